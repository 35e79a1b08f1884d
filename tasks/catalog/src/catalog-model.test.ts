import path from 'node:path';
import { readConfig } from '@salesflow/config';
import { describeDataset, piiMethodOf } from './catalog-model';
import { plannedDatasets } from './gather-catalog';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const { config } = readConfig(DEMO);

describe('the catalog model', () => {
  it('plans every zone of every entity, the curated tables and their warehouse tables, with what each is made from', () => {
    const planned = plannedDatasets(config!);
    expect(planned.map((p) => p.id)).toEqual(expect.arrayContaining(['raw/files/landing/customers', 'processed/_rejected/customers', 'processed/masked/customers', 'curated/dim_date', 'warehouse/fact_sales']));
    const byId = new Map(planned.map((p) => [p.id, p]));
    expect(byId.get('processed/_rejected/customers')!.inputs).toEqual(['raw/files/landing/customers']);
    expect(byId.get('curated/dim_customer')!.inputs).toEqual(['processed/masked/customers']);
    expect(byId.get('curated/fact_sales')!.inputs).toEqual(['processed/masked/sales_transactions', 'curated/dim_customer', 'curated/dim_product', 'curated/dim_location', 'curated/dim_date']);
    expect(byId.get('warehouse/dim_customer')).toMatchObject({ inputs: ['curated/dim_customer'], entity: 'customers', step: 'load-warehouse' });
  });

  it('finds the mask method of a column by name or glob, for the entity a table is built from', () => {
    const masked = { ...config!, mask: { ...config!.mask, entities: { customers: { email: { method: 'email' }, '*phone*': { method: 'redact' } } } } } as never;
    expect(piiMethodOf(masked, 'customers', 'email')).toBe('email');
    expect(piiMethodOf(masked, 'customers', 'home_phone_2')).toBe('redact');
    expect(piiMethodOf(masked, 'customers', 'city')).toBeUndefined();
    expect(piiMethodOf(masked, undefined, 'email')).toBeUndefined();
  });

  it('takes descriptions from the dataset path, then its name, and column descriptions also from its entity', () => {
    const catalog = {
      ...config!.catalog,
      owner: 'team',
      datasets: {
        customers: { columns: { email: 'from the entity', city: 'entity city' } },
        dim_customer: { description: 'by name', columns: { city: 'table city' } },
        'curated/dim_customer': { owner: 'crm', columns: {} },
      },
    };
    expect(describeDataset(catalog, 'curated/dim_customer', 'dim_customer', 'customers')).toEqual({ description: 'by name', owner: 'crm', columns: { email: 'from the entity', city: 'table city' } });
    expect(describeDataset(catalog, 'raw/files/landing/products', 'products', 'products')).toEqual({ owner: 'team', columns: {} });
  });
});
