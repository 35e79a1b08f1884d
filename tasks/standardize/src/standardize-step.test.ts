import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { readConfig, standardizeEntitySchema, type PipelineConfig } from '@salesflow/config';
import { BadInputError, ExitCode, exitCodeOf } from '@salesflow/errors';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import type { StepContext } from '@salesflow/step';
import { runStandardize } from './standardize-step';

const DS = '2026-11-26';
const demo = readConfig(resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined).config;

/** An export with the formats real extracts have: US dates, month-only dates, money text, YES/No, local times. */
const HEADER = ['Order ID', 'Customer Email', 'Amount', 'Order Date', 'Billing Month', 'Gift', 'Placed At', 'Qty', 'Status', 'Updated At', 'Extra'];
const ROWS: string[][] = [
  ['O1', ' Ann.Lee@Example.COM ', '$1,234.50', '12/25/2026', '12/2022', 'YES', '2026-11-26 09:30', '1', 'new', '2026-11-26T10:00:00Z', 'x'],
  ['O2', 'bo@example.com', '($12.00)', '01/02/2026', '01/2026', 'No', '2026-07-01 09:30:00', ' 2 ', 'SHIPPED', '2026-11-26T11:00:00Z', 'y'],
  ['O1', 'ann.lee@example.com', '$99.00', '12/25/2026', '12/2022', '1', '2026-11-26 09:30', '3', 'SHIPPED', '2026-11-26T12:00:00Z', 'z'], // later version of O1: kept
  ['O3', 'c@example.com', 'abc', '12/25/2026', '12/2022', 'no', '2026-11-26 09:30', '1', 'NEW', '2026-11-26T10:00:00Z', ''],
  ['O4', 'd@example.com', '5', '12/25/2026', '12/2022', 'no', '2026-11-26 09:30', '0', 'NEW', '2026-11-26T10:00:00Z', ''],
  ['O5', 'e@example.com', '5', '12/25/2026', '12/2022', 'no', '2026-11-26 09:30', '1', 'lost', '2026-11-26T10:00:00Z', ''],
  ['O6', '', '5', '12/25/2026', '12/2022', '   ', '2026-11-26 09:30', '1', 'NEW', '', ''],
  ['O2', 'bo@example.com', '$1.00', '01/02/2026', '01/2026', 'No', '2026-07-01 09:30', '2', 'NEW', '2026-11-25T11:00:00Z', ''], // older version of O2: dropped
  ['O7', 'g@example.com', '5', '02/30/2026', '12/2022', 'no', '2026-11-26 09:30', '1', 'NEW', '2026-11-26T10:00:00Z', ''],
  ['  ', 'h@example.com', '5', '12/25/2026', '12/2022', 'no', '2026-11-26 09:30', '1', 'NEW', '2026-11-26T10:00:00Z', ''],
];

const ORDERS = {
  source: 'landing',
  key: ['order_id'],
  order_by: 'updated_at',
  columns: {
    order_id: { type: 'string', required: true },
    customer_email: { type: 'string', normalize: ['email'] },
    amount: { type: 'decimal(10,2)', required: true },
    order_date: { type: 'date', format: 'MM/DD/YYYY' },
    billing_month: { type: 'date', format: 'MM/YYYY' },
    gift: { type: 'bool' },
    placed_at: { type: 'timestamp', timezone: 'America/New_York' },
    qty: { type: 'int', min: 1 },
    status: { type: 'string', normalize: ['upper'], allowed: ['NEW', 'SHIPPED'] },
    updated_at: { type: 'timestamp' },
  },
};

function configWith(entity: Record<string, unknown>, tolerance: number): PipelineConfig {
  return { ...demo, standardize: { reject_tolerance: tolerance, entities: { orders: standardizeEntitySchema.parse(entity) } } } as PipelineConfig;
}

async function landRaw(lake: Lake): Promise<void> {
  const cols: ColumnDef[] = [...HEADER.map((name) => ({ name, kind: 'string' as const })), { name: '_source_file', kind: 'string' }, { name: '_source_row', kind: 'int32' }];
  const w = lake.openPartition({ dataset: datasets.raw('files', 'landing', 'orders'), ds: DS, step: 'ingest', runId: 'ingest-run' });
  const b = new BatchBuilder(cols);
  ROWS.forEach((r, i) => {
    b.appendRow([...r, 'file:///landing/orders.csv', i + 2]);
  });
  // Two batches, so dedupe works across them.
  const all = b.finish();
  await w.write(all.slice(0, 5));
  await w.write(all.slice(5));
  await w.commit({});
}

describe('runStandardize on dirty formats', () => {
  let root: string;
  let lake: Lake;
  const ctx = (config: PipelineConfig): StepContext => ({ step: 'standardize', ds: DS, runId: 'std-run', config, lake, log: createLogger({ format: 'json', level: 'error', write: () => undefined }) });
  const read = async (dataset: string) => {
    const rows: Record<string, unknown>[] = [];
    for await (const b of lake.readPartition(dataset, DS, 'standardize')) rows.push(...batchToObjects(b));
    return rows;
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'std-step-'));
    lake = new Lake(new LocalStorage(root));
    await landRaw(lake);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('types every format, keeps the latest row per key, quarantines bad rows with reasons, and reconciles counts', async () => {
    const result = await runStandardize(ctx(configWith(ORDERS, 0.6)));
    expect(result).toMatchObject({ rowsIn: 10, rowsOut: 3, rowsRejected: 5, rowsDropped: 2 });
    expect(result.rowsIn).toBe(result.rowsOut + result.rowsRejected! + result.rowsDropped!);

    const rows = await read(datasets.processed('orders'));
    const byId = Object.fromEntries(rows.map((r) => [r.order_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['O1', 'O2', 'O6']);
    expect(byId.O1).toMatchObject({ customer_email: 'ann.lee@example.com', amount: '99.00', gift: true, qty: 3, status: 'SHIPPED', updated_at: Date.UTC(2026, 10, 26, 12) });
    expect(byId.O2).toMatchObject({ amount: '-12.00', order_date: Date.UTC(2026, 0, 2), billing_month: Date.UTC(2026, 0, 1), gift: false, qty: 2, placed_at: Date.UTC(2026, 6, 1, 13, 30) });
    expect(byId.O6).toMatchObject({ customer_email: null, gift: null, updated_at: null, placed_at: Date.UTC(2026, 10, 26, 14, 30), billing_month: Date.UTC(2022, 11, 1) });
    expect(rows.every((r) => r._source === 'landing' && r._run_id === 'std-run' && /^[0-9a-f]{32}$/.test(String(r._row_hash)))).toBe(true);
    expect(rows[0]).not.toHaveProperty('extra');

    const rejected = await read(datasets.rejected('orders'));
    expect(rejected.map((r) => [r['Order ID'], r._reject_column, r._reject_reason, r._source_row])).toEqual([
      ['O3', 'amount', 'amount: "abc" is not a number', 5],
      ['O4', 'qty', 'qty: 0 is out of the allowed range 1..inf', 6],
      ['O5', 'status', 'status: "lost" is not one of the allowed values (NEW, SHIPPED)', 7],
      ['O7', 'order_date', 'order_date: "02/30/2026" is not a date (MM/DD/YYYY or ISO 8601)', 10],
      ['  ', 'order_id', 'order_id: required value is missing', 11],
    ]);
    // The original text is kept as it came.
    expect(rejected[0]).toMatchObject({ Amount: 'abc', 'Customer Email': 'c@example.com', Extra: '' });
    const manifest = await lake.requireManifest(datasets.processed('orders'), DS, 'standardize');
    expect(manifest.meta).toMatchObject({ counts: { rowsIn: 10, rowsOut: 3, rejected: 5, duplicates: 2 }, undeclared_columns: ['Extra'], order_by: 'updated_at', row_hash: 'murmur3_x86_128' });
  });

  it('fails with exit 4 above the tolerance, publishing only the rejects', async () => {
    const err = await runStandardize(ctx(configWith(ORDERS, 0.4))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect(exitCodeOf(err)).toBe(ExitCode.badInput);
    expect((err as Error).message).toMatch(/Entity orders: 5 of 10 rows rejected \(50\.0%\), above the tolerance of 40\.0%/);
    expect(await lake.listPartitions(datasets.processed('orders'))).toEqual([]);
    expect((await read(datasets.rejected('orders'))).length).toBe(5);
  });

  it('unions an entity fed by several sources: each row keeps its _source, the key decides duplicates across them, and the counts balance', async () => {
    // The shop database lands orders too, with its own column names: a newer O1, a new O8, a bad row.
    const names = ['order_id', 'customer_email', 'amount', 'order_date', 'billing_month', 'gift', 'placed_at', 'qty', 'status', 'updated_at'];
    const b = new BatchBuilder(names.map((name) => ({ name, kind: 'string' as const })));
    b.appendRow(['O1', 'ann@example.com', '7.00', '12/25/2026', '12/2022', 'no', '2026-11-26 09:30', '4', 'SHIPPED', '2026-11-26T13:00:00Z']);
    b.appendRow(['O8', 'h@example.com', '8.50', '12/26/2026', '12/2022', 'yes', '2026-11-26 10:30', '1', 'NEW', '2026-11-26T09:00:00Z']);
    b.appendRow(['O9', 'i@example.com', 'n/a', '12/26/2026', '12/2022', 'yes', '2026-11-26 10:30', '1', 'NEW', '2026-11-26T09:00:00Z']);
    const w = lake.openPartition({ dataset: datasets.raw('database', 'shop', 'orders'), ds: DS, step: 'ingest', runId: 'ingest-shop' });
    await w.write(b.finish());
    await w.commit({});
    const config = configWith({ ...ORDERS, source: ['landing', 'shop'] }, 0.6);
    const withShop = { ...config, sources: [...config.sources, { ...config.sources[0]!, name: 'shop', kind: 'database' }] } as PipelineConfig;

    const result = await runStandardize(ctx(withShop));
    expect(result).toMatchObject({ rowsIn: 13, rowsOut: 4, rowsRejected: 6, rowsDropped: 3 });
    expect(result.metrics).toMatchObject({ entities: { orders: { sources: { landing: 10, shop: 3 } } } });
    expect(result.inputs.map((i) => i.rows)).toEqual([10, 3]);
    const rows = await read(datasets.processed('orders'));
    expect(rows.map((r) => [r.order_id, r._source, r.qty]).sort()).toEqual([
      ['O1', 'shop', 4],
      ['O2', 'landing', 2],
      ['O6', 'landing', 1],
      ['O8', 'shop', 1],
    ]);
    const rejected = await read(datasets.rejected('orders'));
    const fromShop = rejected.filter((r) => r.order_id !== null);
    expect(fromShop.map((r) => [r.order_id, r['Order ID'], r._reject_reason])).toEqual([['O9', null, 'amount: "n/a" is not a number']]);
    expect(rejected).toHaveLength(6);
  });

  it('keeps the first row per key without order_by', async () => {
    const { order_by: _o, ...first } = ORDERS;
    await runStandardize(ctx(configWith(first, 0.6)));
    const rows = await read(datasets.processed('orders'));
    expect(rows.find((r) => r.order_id === 'O1')).toMatchObject({ amount: '1234.50', updated_at: Date.UTC(2026, 10, 26, 10) });
    expect(rows.find((r) => r.order_id === 'O2')).toMatchObject({ amount: '-12.00' });
  });

  it('keeps undeclared columns as text with unknown_columns: evolve, and fails with exit 4 with freeze', async () => {
    await runStandardize(ctx(configWith({ ...ORDERS, unknown_columns: 'evolve' }, 0.6)));
    const rows = await read(datasets.processed('orders'));
    expect(rows.find((r) => r.order_id === 'O1')).toMatchObject({ extra: 'z' });
    const m = await lake.requireManifest(datasets.processed('orders'), DS, 'standardize');
    expect(m.schema.map((c) => c.name)).toContain('extra');
    expect(m.meta).toMatchObject({ evolved_columns: ['extra'] });

    const err = await runStandardize(ctx(configWith({ ...ORDERS, unknown_columns: 'freeze' }, 0.6))).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(ExitCode.badInput);
    expect((err as BadInputError).message).toMatch(/columns the declared schema does not name: Extra \(unknown_columns: freeze\)/);
    expect((err as BadInputError).fix).toMatch(/standardize\.entities\.orders\.unknown_columns/);
  });
});
