import path from 'node:path';
import { readConfig, validateConfig } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');

describe('quality and lineage sections', () => {
  const demo = () => JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config));

  it('defaults the report settings and lineage to the lake file', () => {
    const c = demo();
    delete c.quality.sample_size;
    delete c.quality.history_runs;
    delete c.lineage;
    const r = validateConfig(c);
    expect(r.errors).toEqual([]);
    expect(r.config!.quality).toMatchObject({ sample_size: 10, history_runs: 30, html_report: true });
    expect(r.config!.lineage).toEqual({ enabled: true, endpoint: 'api/v1/lineage', timeout_ms: 5000 });
  });

  it('names each check field a kind needs, with its path', () => {
    const c = demo();
    c.quality.checks = [
      { table: 'fact_sales', check: 'range', columns: ['quantity'] },
      { table: 'fact_sales', check: 'range', columns: ['quantity'], min: 5, max: 1 },
      { table: 'fact_sales', check: 'accepted_values', columns: ['quantity'], values: [] },
      { table: 'fact_sales', check: 'regex', columns: ['transaction_id'], pattern: '([a-z' },
      { table: 'fact_sales', check: 'regex', columns: ['transaction_id'] },
      { table: 'fact_sales', check: 'row_count_change' },
      { table: 'fact_sales', check: 'freshness', columns: ['a', 'b'] },
      { table: 'dim_customer', check: 'reconciliation' },
      { table: 'fact_sales', check: 'row_count', min: 1.5 },
      { table: 'fact_sales', check: 'range' },
    ];
    c.lineage = { url: 'not a url' };
    const r = validateConfig(c);
    expect(r.errors).toEqual(['lineage.url: Invalid URL']);
    delete c.lineage;
    expect(validateConfig(c).errors).toEqual([
      'quality.checks.0: give min, max or both',
      'quality.checks.1: min 5 is above max 1',
      'quality.checks.2.values: list the accepted values, e.g. [web, store]',
      expect.stringMatching(/^quality\.checks\.3\.pattern: not a valid regular expression/),
      'quality.checks.4.pattern: required for regex, e.g. "^TXN[0-9]{8}$"',
      'quality.checks.5: give max_drop_pct, max_growth_pct or both',
      'quality.checks.6.max_age_hours: required for freshness, e.g. 36',
      'quality.checks.6.columns: freshness reads one timestamp or date column',
      'quality.checks.7.table: reconciliation follows the rows into the fact table; set it to "fact_sales"',
      'quality.checks.8.min: a row count is a whole number >= 0',
      'quality.checks.9.columns: name at least one column',
      'quality.checks.9: give min, max or both',
    ]);
  });
});
