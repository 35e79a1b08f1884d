import path from 'node:path';
import { readConfig, validateConfig } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');

/** The demo config as a plain mutable tree, to break. */
const demo = () => JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config));

describe('validateConfig star_schema and warehouse', () => {
  it('reads the default model: dim_customer type 2 with tracked attributes and inferred members, total_amount derived, mysql_bulk load_data', () => {
    const { config } = readConfig(DEMO, () => undefined);
    expect(config.star_schema.dimensions.dim_customer).toMatchObject({ history: 'type2', late_arriving: 'inferred', tracked: ['address', 'city', 'state', 'zip_code', 'country'] });
    expect(config.star_schema.dimensions.dim_product).toMatchObject({ history: 'type1', late_arriving: 'unknown' });
    expect(config.star_schema.fact.derived_measures).toEqual([expect.objectContaining({ name: 'total_amount', scale: 2 })]);
    expect(config.star_schema.dim_date).toEqual({ holidays: ['01-01', '07-04', '11-11', '12-25'], fiscal_year_start_month: 1 });
    expect(config.warehouse.mysql_bulk).toBe('load_data');
  });

  it('reports every mapping problem with its dotted path', () => {
    const c = demo();
    c.star_schema.dimensions.dim_customer.tracked = ['city', 'shoe_size'];
    c.star_schema.dimensions.dim_product.tracked = ['brand'];
    c.star_schema.dimensions.dim_location.history = 'type3';
    c.star_schema.fact.derived_measures.push({ name: 'quantity', expression: 'quantity * 2' });
    c.star_schema.fact.derived_measures.push({ name: 'margin', expression: 'unit_price - unit_cost' });
    c.star_schema.fact.derived_measures.push({ name: 'bad', expression: 'round(unit_price * ' });
    c.star_schema.dim_date.holidays.push('Christmas');
    c.star_schema.dim_date.fiscal_year_start_month = 13;
    const schemaErrors = validateConfig(c).errors;
    expect(schemaErrors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^star_schema\.dimensions\.dim_location\.history: /),
        expect.stringMatching(/^star_schema\.dim_date\.holidays\.4: must be MM-DD \(every year\) or YYYY-MM-DD/),
        expect.stringMatching(/^star_schema\.dim_date\.fiscal_year_start_month: /),
      ]),
    );

    c.star_schema.dimensions.dim_location.history = 'type2';
    c.star_schema.dim_date.holidays.pop();
    c.star_schema.dim_date.fiscal_year_start_month = 7;
    const { errors } = validateConfig(c);
    expect(errors).toEqual([
      'star_schema.dimensions.dim_customer.tracked.1: "shoe_size" is not one of the attributes',
      'star_schema.dimensions.dim_product.tracked: only type2 dimensions track attributes; set history: type2 or remove tracked',
      'star_schema.fact.derived_measures.1.name: "quantity" is also in measures; a column is either copied or derived',
      'star_schema.fact.derived_measures.2.expression: "unit_cost" is not a declared column of sales_transactions',
      'star_schema.fact.derived_measures.3.expression: the expression ends too early',
    ]);
  });

  it('checks valid_from_column and history_start of a dimension, naming the key', () => {
    const c = demo();
    c.standardize.entities.customers.columns.updated_at = { type: 'timestamp' };
    c.star_schema.dimensions.dim_customer.valid_from_column = 'updated_at';
    c.star_schema.dimensions.dim_customer.history_start = '2000-01-01';
    const ok = validateConfig(c);
    expect(ok.errors).toEqual([]);
    expect(ok.config!.star_schema.dimensions.dim_customer).toMatchObject({ valid_from_column: 'updated_at', history_start: '2000-01-01' });
    c.star_schema.dimensions.dim_customer.history_start = null;
    expect(validateConfig(c).errors).toEqual([]);

    c.star_schema.dimensions.dim_customer.history_start = '2026-02-30';
    c.star_schema.dimensions.dim_location.history_start = '1 Jan 1900';
    expect(validateConfig(c).errors).toEqual([
      'star_schema.dimensions.dim_customer.history_start: must be a date YYYY-MM-DD between 1000-01-01 and 9999-12-30',
      'star_schema.dimensions.dim_location.history_start: must be a date YYYY-MM-DD between 1000-01-01 and 9999-12-30',
    ]);

    c.star_schema.dimensions.dim_customer.history_start = '1900-01-01';
    c.star_schema.dimensions.dim_customer.valid_from_column = 'email';
    c.star_schema.dimensions.dim_product.valid_from_column = 'updated_at';
    c.star_schema.dimensions.dim_location.history_start = '1900-01-01';
    expect(validateConfig(c).errors).toEqual([
      'star_schema.dimensions.dim_customer.valid_from_column: "email" is declared as string; a version\'s start needs a timestamp or date column',
      'star_schema.dimensions.dim_product.valid_from_column: only type2 dimensions have versions to date; set history: type2 or remove valid_from_column',
      'star_schema.dimensions.dim_product.valid_from_column: "updated_at" is not a declared column of products; declare it in standardize.entities.products.columns as timestamp or date',
      'star_schema.dimensions.dim_location.history_start: only type2 dimensions have a history; set history: type2 or remove history_start',
    ]);
  });
});
