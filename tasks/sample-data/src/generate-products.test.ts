import { generateProducts } from './generate-products';
import { PRODUCT_CATALOG } from './product-catalog';
import { PRODUCT_COLUMNS } from './sample-schema';

const products = [...generateProducts({ seed: 42, count: 200 })];
const hasAtMostTwoDecimals = (x: number) => Math.abs(Math.round(x * 100) - x * 100) < 1e-6;

describe('generateProducts', () => {
  it('yields count products with sequential ids, all columns, deterministically', () => {
    expect(products).toHaveLength(200);
    expect(products[0]?.product_id).toBe('PROD000001');
    expect(products[199]?.product_id).toBe('PROD000200');
    for (const row of products) expect(Object.keys(row)).toEqual([...PRODUCT_COLUMNS]);
    expect([...generateProducts({ seed: 42, count: 200 })]).toEqual(products);
  });

  it('prices with at most 2 decimals and a cost below the price', () => {
    for (const row of products) {
      expect(hasAtMostTwoDecimals(row.unit_price)).toBe(true);
      expect(hasAtMostTwoDecimals(row.unit_cost)).toBe(true);
      expect(row.unit_cost).toBeGreaterThan(0);
      expect(row.unit_cost).toBeLessThan(row.unit_price);
    }
  });

  it('places each product in a catalog subcategory of its category, with one of its brands', () => {
    for (const row of products) {
      const category = PRODUCT_CATALOG.find((c) => c.name === row.category);
      expect(category?.subcategories.map((s) => s.name)).toContain(row.subcategory);
      expect(category?.brands).toContain(row.brand);
      expect(row.product_name.startsWith(row.brand + ' ')).toBe(true);
    }
    expect(new Set(products.map((row) => row.category)).size).toBe(PRODUCT_CATALOG.length);
  });
});
