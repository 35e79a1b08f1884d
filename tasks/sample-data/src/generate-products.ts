import { formatId } from './format-id';
import { PRODUCT_CATALOG } from './product-catalog';
import { createPrng } from './prng';
import type { ProductRow } from './sample-schema';

/** What generateProducts needs. */
export interface GenerateProductsOptions {
  readonly seed: number;
  readonly count: number;
}

/** Price endings as shops use them; .99 is the most common. */
const CENT_ENDINGS: readonly number[] = Object.freeze([99, 99, 99, 49, 95, 0]);

/**
 * Yields products PROD000001 to PROD<count>. Prices have at most 2 decimals and
 * unit_cost is 45% to 80% of unit_price, so always below it.
 */
export function* generateProducts(options: GenerateProductsOptions): Generator<ProductRow> {
  const prng = createPrng(options.seed, 'products');
  for (let n = 1; n <= options.count; n++) {
    const category = prng.pick(PRODUCT_CATALOG);
    const subcategory = prng.pick(category.subcategories);
    const brand = prng.pick(category.brands);
    const item = prng.pick(subcategory.items);
    const variant = prng.pick(category.variants);
    const dollars = prng.int(subcategory.minPrice, subcategory.maxPrice);
    const cents = prng.pick(CENT_ENDINGS);
    // A price ending in .99 sits just below the whole dollar; $0.99 is still at least a dollar's worth of item.
    const priceCents = Math.max(100, dollars * 100 + (cents === 0 ? 0 : cents - 100));
    const costCents = Math.max(1, Math.floor(priceCents * (0.45 + prng.next() * 0.35)));
    yield {
      product_id: formatId('PROD', n, 6),
      product_name: `${brand} ${item} (${variant})`,
      category: category.name,
      subcategory: subcategory.name,
      brand,
      unit_cost: costCents / 100,
      unit_price: priceCents / 100,
    };
  }
}
