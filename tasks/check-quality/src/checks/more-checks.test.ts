import type * as arrow from 'apache-arrow';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import type { QualityCheckConfig } from '@salesflow/config';
import { createCheck, reconcileRuns, runChecks, type CheckContext, type QualityCheckResult, type RunReportView } from './index';

const cols: ColumnDef[] = [
  { name: 'transaction_id', kind: 'string' },
  { name: 'channel', kind: 'string' },
  { name: 'quantity', kind: 'int32' },
  { name: 'amount', kind: 'float64' },
  { name: 'ts', kind: 'timestamp' },
  { name: 'day', kind: 'date' },
];
type Row = Partial<Record<string, unknown>>;

function batchesOf(rows: readonly Row[], size = 3): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const b = new BatchBuilder(cols);
    rows.slice(i, i + size).forEach((r) => b.appendObject(r));
    out.push(b.finish());
  }
  return out;
}

const cfg = (c: Partial<QualityCheckConfig> & Pick<QualityCheckConfig, 'check'>): QualityCheckConfig => ({ table: 'fact_sales', columns: [], severity: 'error', ...c });

async function run(c: QualityCheckConfig, rows: readonly Row[], context?: CheckContext): Promise<QualityCheckResult> {
  const [r] = await runChecks([createCheck(c, { context, sampleColumns: ['transaction_id'] })], batchesOf(rows));
  return r!;
}

describe('accepted_values', () => {
  const rows = [{ channel: 'web' }, { channel: 'store' }, { channel: null }, { channel: 'fax', transaction_id: 'T4' }, { channel: 'Web' }];

  it('fails each value outside the list, ignores nulls, and samples the rows', async () => {
    const r = await run(cfg({ check: 'accepted_values', columns: ['channel'], values: ['web', 'store'] }), rows);
    expect(r).toMatchObject({ name: 'fact_sales.accepted_values(channel)', status: 'failed', failing_rows: 2, rows_checked: 5 });
    expect(r.sample).toEqual([
      { _row: 3, channel: 'fax', transaction_id: 'T4' },
      { _row: 4, channel: 'Web', transaction_id: null },
    ]);
    expect(r.message).toBe('2 of 5 rows have a channel not in [web, store]; 1 null values not checked');
  });

  it('matches numbers written in YAML against int columns and numeric text', async () => {
    const r = await run(cfg({ check: 'accepted_values', columns: ['quantity'], values: ['1', 2] }), [{ quantity: 1 }, { quantity: 2 }, { quantity: 3 }]);
    expect(r).toMatchObject({ failing_rows: 1, sample: [{ _row: 2, quantity: 3 }] });
  });
});

describe('range', () => {
  it('checks numbers inclusively on both bounds', async () => {
    const r = await run(cfg({ check: 'range', columns: ['quantity', 'amount'], min: 0, max: 10 }), [
      { quantity: 0, amount: 10 },
      { quantity: -1, amount: 5 },
      { quantity: 3, amount: 10.01 },
      { quantity: null, amount: null },
    ]);
    expect(r).toMatchObject({ name: 'fact_sales.range(quantity,amount,min=0,max=10)', status: 'failed', failing_rows: 2 });
    expect(r.sample.map((s) => s._row)).toEqual([1, 2]);
  });

  it('compares timestamps as epoch milliseconds and fails text that is no number', async () => {
    const min = Date.UTC(2026, 0, 1);
    const ts = await run(cfg({ check: 'range', columns: ['ts'], min }), [{ ts: min }, { ts: min - 1 }]);
    expect(ts).toMatchObject({ failing_rows: 1, sample: [{ _row: 1, ts: '2025-12-31T23:59:59.999Z' }] });
    const text = await run(cfg({ check: 'range', columns: ['channel'], max: 5 }), [{ channel: '4' }, { channel: 'x' }, { channel: ' ' }]);
    expect(text.failing_rows).toBe(2);
  });
});

describe('regex', () => {
  it('fails values that do not match', async () => {
    const r = await run(cfg({ check: 'regex', columns: ['transaction_id'], pattern: '^TXN[0-9]{3}$' }), [
      { transaction_id: 'TXN001' },
      { transaction_id: 'TXN01' },
      { transaction_id: 'xTXN001' },
      { transaction_id: null },
    ]);
    expect(r).toMatchObject({ name: 'fact_sales.regex(transaction_id)', failing_rows: 2, rows_checked: 4 });
    expect(r.message).toContain('not matching /^TXN[0-9]{3}$/');
  });
});

describe('row_count_change', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ quantity: i }));
  const check = cfg({ check: 'row_count_change', max_drop_pct: 50, max_growth_pct: 100 });

  it('passes within the limits and with no earlier partition', async () => {
    expect(await run(check, rows, { ds: '2026-11-26', previous: { ds: '2026-11-25', rows: 60 } })).toMatchObject({
      status: 'passed',
      message: '40 rows vs 60 on 2026-11-25 (-33.3%), within -50% / +100%',
    });
    expect(await run(check, rows, { ds: '2026-11-26' })).toMatchObject({ status: 'passed', message: '40 rows; no earlier partition to compare with' });
  });

  it('fails a drop or a growth beyond the limits; failing_rows is the change', async () => {
    expect(await run(check, rows, { ds: '2026-11-26', previous: { ds: '2026-11-20', rows: 100 } })).toMatchObject({ status: 'failed', failing_rows: 60 });
    expect(await run(check, rows, { ds: '2026-11-26', previous: { ds: '2026-11-25', rows: 19 } })).toMatchObject({ status: 'failed', failing_rows: 21 });
    expect(await run(check, [], { ds: '2026-11-26', previous: { ds: '2026-11-25', rows: 0 } })).toMatchObject({ status: 'passed' });
  });
});

describe('freshness', () => {
  const check = cfg({ check: 'freshness', columns: ['ts'], max_age_hours: 12 });
  const ctx = { ds: '2026-11-26' };

  it('passes when the newest value is recent enough before the end of ds', async () => {
    const r = await run(check, [{ ts: Date.UTC(2026, 10, 25, 1) }, { ts: Date.UTC(2026, 10, 26, 13) }, { ts: null }], ctx);
    expect(r).toMatchObject({ status: 'passed', message: 'newest ts 2026-11-26T13:00:00.000Z is 11.0 h before the end of ds, within 12 h' });
  });

  it('fails stale data, an empty column, and works on date columns', async () => {
    expect(await run(check, [{ ts: Date.UTC(2026, 10, 26, 11) }], ctx)).toMatchObject({ status: 'failed', failing_rows: 1 });
    expect(await run(check, [{ ts: null }, { ts: null }], ctx)).toMatchObject({ status: 'failed', failing_rows: 2, message: 'ts has no value in 2 rows' });
    const day = cfg({ check: 'freshness', columns: ['day'], max_age_hours: 24 });
    expect(await run(day, [{ day: Date.UTC(2026, 10, 26) }], ctx)).toMatchObject({ status: 'passed' });
    expect(await run(day, [{ day: Date.UTC(2026, 10, 25) }], ctx)).toMatchObject({ status: 'failed' });
  });

  it('passes a fact partition left empty because newer batches carry all its rows, and only that', async () => {
    expect(await run(check, [], { ...ctx, factMovedOut: 4, factSuperseded: 3 })).toMatchObject({ status: 'passed', message: 'no rows here: all 7 rows of this batch are now in newer batches' });
    expect(await run(check, [], { ...ctx, factMovedOut: 0, factSuperseded: 0 })).toMatchObject({ status: 'failed' });
    expect(await run(check, [{ ts: Date.UTC(2026, 10, 20) }], { ...ctx, factMovedOut: 4 })).toMatchObject({ status: 'failed', failing_rows: 1 });
  });
});

describe('reconciliation', () => {
  const DS = '2026-11-26';
  const out = (zone: string, name: string, rows: number) => ({ uri: `/lake/${zone}/${name}/dt=${DS}/`, rows });
  function reports(over: Partial<Record<string, Partial<RunReportView>>> = {}): Map<string, RunReportView> {
    const base: Record<string, RunReportView> = {
      'ingest-landing': { step: 'ingest', status: 'success', rows_in: 110, rows_out: 110, outputs: [out('raw/files/landing', 'customers', 10), out('raw/files/landing', 'sales', 100)] },
      standardize: {
        step: 'standardize',
        status: 'success',
        rows_in: 110,
        rows_out: 105,
        rows_rejected: 3,
        rows_dropped: 2,
        metrics: { entities: { customers: { rowsIn: 10, rowsOut: 10, rejected: 0, duplicates: 0 }, sales: { rowsIn: 100, rowsOut: 95, rejected: 3, duplicates: 2 } } },
      },
      mask: { step: 'mask', status: 'success', rows_in: 105, rows_out: 105, metrics: { entities: { customers: { rows: 10 }, sales: { rows: 95 } } } },
      'build-star-schema': { step: 'build-star-schema', status: 'success', rows_in: 95, rows_out: 95, outputs: [out('curated', 'fact_sales', 95)], metrics: { unknown_members: { customer_key: 4 } } },
      setup: { step: 'setup', status: 'failed' },
    };
    for (const [k, v] of Object.entries(over)) base[k] = { ...base[k]!, ...v } as RunReportView;
    return new Map(Object.entries(base));
  }
  const check = cfg({ check: 'reconciliation' });
  const rows95 = Array.from({ length: 95 }, () => ({}));

  it('passes when every balance holds (other steps, like a failed setup, are not its business)', async () => {
    const r = await run(check, rows95, { ds: DS, runReports: reports(), factSource: 'sales' });
    expect(r).toMatchObject({ name: 'fact_sales.reconciliation()', status: 'passed', failing_rows: 0, rows_checked: 95 });
    expect(r.message).toBe('12 row balances hold across ingest, standardize, mask and build-star-schema');
  });

  it('counts the rows newer batches moved out of the fact partition after its build, and the rows a newer batch held at build time', async () => {
    const rows92 = rows95.slice(3);
    const moved = await run(check, rows92, { ds: DS, runReports: reports(), factSource: 'sales', factMovedOut: 3 });
    expect(moved).toMatchObject({ status: 'passed', failing_rows: 0 });
    const unexplained = await run(check, rows92, { ds: DS, runReports: reports(), factSource: 'sales' });
    expect(unexplained).toMatchObject({ status: 'failed', failing_rows: 3 });
    const superseded = reports({ 'build-star-schema': { rows_in: 95, rows_out: 90, rows_dropped: 5, outputs: [out('curated', 'fact_sales', 90)], metrics: { unknown_members: {}, fact_merge: { superseded: 5 } } } });
    expect(await run(check, rows95.slice(5), { ds: DS, runReports: superseded, factSource: 'sales' })).toMatchObject({ status: 'passed' });
  });

  it('names every broken balance and the rows unaccounted for', async () => {
    const broken = reports({ mask: { metrics: { entities: { customers: { rows: 10 }, sales: { rows: 93 } } } } });
    const r = await run(check, rows95, { ds: DS, runReports: broken, factSource: 'sales' });
    expect(r).toMatchObject({ status: 'failed', failing_rows: 4 });
    expect(r.sample).toEqual([
      { _row: 9, equation: 'sales: processed rows = masked rows', left: 95, right: 93, difference: 2 },
      { _row: 10, equation: 'masked sales rows = fact_sales rows + rows a newer batch holds (4 lookups went to unknown members)', left: 93, right: 95, difference: -2 },
    ]);
    expect(reconcileRuns({ ds: DS, reports: broken, factTable: 'fact_sales', factSource: 'sales' }).balances).toHaveLength(11);
  });

  it('fails with the reason when a report is missing or its run failed', async () => {
    const missing = reports();
    missing.delete('mask');
    const r = await run(check, rows95, { ds: DS, runReports: missing, factSource: 'sales' });
    expect(r).toMatchObject({ status: 'failed', rows_checked: 0 });
    expect(r.message).toBe(`cannot reconcile: no mask run report in _runs/dt=${DS}/: run mask for this ds first`);
    const failed = await run(check, rows95, { ds: DS, runReports: reports({ standardize: { status: 'failed' } }), factSource: 'sales' });
    expect(failed.message).toContain('the standardize run of 2026-11-26 ended failed');
  });
});

describe('checks over Decimal128 columns', () => {
  it('read decimals as their values: range bounds and accepted values compare as numbers', () => {
    const { BatchBuilder } = require('@salesflow/batches') as typeof import('@salesflow/batches');
    const { keyReaderOf } = require('./column-values') as typeof import('./column-values');
    const b = new BatchBuilder([{ name: 'amount', kind: 'decimal', precision: 12, scale: 2 }]);
    for (const v of ['12.50', '-0.05', null, '9999999999.99']) b.appendRow([v]);
    const read = keyReaderOf(b.finish().getChild('amount')!.data[0]!);
    expect([0, 1, 2, 3].map(read)).toEqual([12.5, -0.05, null, 9999999999.99]);
  });
});
