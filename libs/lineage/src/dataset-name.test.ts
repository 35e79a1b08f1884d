import { datasetNameOf } from './dataset-name';

describe('datasetNameOf', () => {
  it.each([
    ['s3://lake-bucket/prefix/curated/fact_sales/dt=2026-11-26/', { namespace: 's3://lake-bucket', name: 'prefix/curated/fact_sales/dt=2026-11-26' }],
    ['/var/lake/raw/files/landing/customers/dt=2026-11-26/', { namespace: 'file', name: '/var/lake/raw/files/landing/customers/dt=2026-11-26' }],
    ['file:///var/landing/customers.csv', { namespace: 'file', name: '/var/landing/customers.csv' }],
    ['sqlite://.demo/warehouse.sqlite/fact_sales', { namespace: 'sqlite://.demo', name: 'warehouse.sqlite/fact_sales' }],
    ['postgres://db:5432/warehouse/fact_sales', { namespace: 'postgres://db:5432', name: 'warehouse/fact_sales' }],
  ])('%s', (uri, expected) => {
    expect(datasetNameOf(uri)).toEqual(expected);
  });
});
