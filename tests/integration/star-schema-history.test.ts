/**
 * Type 2 history, late-arriving members and backfills end to end: build-star-schema on a temp
 * local lake, then load-warehouse into real PostgreSQL and MariaDB/MySQL (see warehouse-servers.ts;
 * each test makes its own database with a random name and drops it).
 *
 * Three days with changes:
 *   day 1  C1 lives in Austin, C2 in Boston; sales of C1 and C2, and one of C1 dated weeks before
 *          the first load (joins C1's first version, valid from history_start).
 *   day 2  C1 moved to Dallas (a tracked change: new version); C2 changed phone (untracked: in
 *          place); a sale of product P9 that no file ever delivers (unknown member -1); a sale of
 *          C3, whose customer row has not arrived (inferred member); a sale of C1 dated day 1
 *          that arrived late, in day 2's batch (points at C1's day-1 version).
 *   day 3  C3 arrives (the inferred member is filled in, same key); more sales.
 * Built in order, day 2 re-run; and built out of order (day 3 before day 2). First versions are
 * valid from history_start (1900-01-01 by default), so sales before a member's first day join too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, schemaOf, type ColumnDef } from '@salesflow/batches';
import type { PipelineConfig } from '@salesflow/config';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import type { Knex } from 'knex';
import { runBuildStarSchema } from '../../tasks/build-star-schema/src';
import { DEMO_CONFIG, snapshotWarehouse } from '../../tasks/load-warehouse/src/curated-fixture.test-util';
import { loadStarSchema } from '../../tasks/load-warehouse/src';
import { SERVERS, createTestDatabase } from './warehouse-servers';

const D1 = '2026-11-24';
const D2 = '2026-11-25';
const D3 = '2026-11-26';

const str = (...names: string[]): ColumnDef[] => names.map((name) => ({ name, kind: 'string' }));
/** The masked entities as mask writes them for the demo config's declarations. */
const SOURCES: Record<string, ColumnDef[]> = {
  customers: str('customer_id', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country'),
  products: [...str('product_id', 'product_name', 'category', 'subcategory', 'brand'), { name: 'unit_cost', kind: 'float64' }, { name: 'unit_price', kind: 'float64' }],
  locations: str('location_id', 'store_name', 'address', 'city', 'state', 'zip_code', 'country', 'region'),
  sales_transactions: [
    ...str('transaction_id', 'customer_id', 'product_id', 'location_id'),
    { name: 'quantity', kind: 'int32' },
    ...['unit_price', 'discount', 'tax_amount', 'total_amount'].map((name): ColumnDef => ({ name, kind: 'float64' })),
    { name: 'transaction_timestamp', kind: 'timestamp' },
  ],
};

type Row = Record<string, unknown>;
const customer = (id: string, city: string, address: string, phone = '555-0100'): Row => ({ customer_id: id, first_name: `tok-${id}`, phone, address, city, state: 'TX', country: 'US' });
const sale = (id: string, customerId: string, productId: string, day: string): Row => ({
  transaction_id: id,
  customer_id: customerId,
  product_id: productId,
  location_id: 'L1',
  quantity: 2,
  unit_price: 10,
  discount: 0.1,
  tax_amount: 1.44,
  total_amount: 19.44,
  transaction_timestamp: Date.parse(`${day}T15:30:00Z`),
});

const DAYS: Record<string, { customers: Row[]; sales: Row[] }> = {
  [D1]: { customers: [customer('C1', 'Austin', 'h-a1'), customer('C2', 'Boston', 'h-b1')], sales: [sale('S1-0', 'C1', 'P1', '2026-10-01'), sale('S1-1', 'C1', 'P1', D1), sale('S1-2', 'C2', 'P2', D1)] },
  [D2]: {
    customers: [customer('C1', 'Dallas', 'h-a2'), customer('C2', 'Boston', 'h-b1', '555-0199')],
    sales: [sale('S2-1', 'C1', 'P1', D2), sale('S2-2', 'C2', 'P9', D2), sale('S2-3', 'C3', 'P1', D2), sale('S2-4', 'C1', 'P2', D1)],
  },
  [D3]: { customers: [customer('C1', 'Dallas', 'h-a2'), customer('C3', 'Chicago', 'h-c1')], sales: [sale('S3-1', 'C1', 'P2', D3), sale('S3-2', 'C3', 'P2', D3)] },
};

async function writeMasked(lake: Lake, entity: string, ds: string, rows: Row[]): Promise<void> {
  const b = new BatchBuilder(SOURCES[entity]!);
  rows.forEach((r) => b.appendObject(r));
  const w = lake.openPartition({ dataset: datasets.masked(entity), ds, step: 'mask', runId: 'test', schema: schemaOf(SOURCES[entity]!) });
  await w.write(b.finish());
  await w.commit();
}

async function writeDays(lake: Lake): Promise<void> {
  for (const [ds, day] of Object.entries(DAYS)) {
    await writeMasked(lake, 'customers', ds, day.customers);
    await writeMasked(lake, 'products', ds, [
      { product_id: 'P1', product_name: 'Pen', category: 'Office', unit_cost: 4, unit_price: 10 },
      { product_id: 'P2', product_name: 'Pad', category: 'Office', unit_cost: 5, unit_price: 10 },
    ]);
    await writeMasked(lake, 'locations', ds, [{ location_id: 'L1', store_name: 'Main', region: 'South' }]);
    await writeMasked(lake, 'sales_transactions', ds, day.sales);
  }
}

let runs = 0;
/** Builds the star schema of ds, then loads it: what the DAG does (the quality step between is not under test here). */
async function buildAndLoad(lake: Lake, ds: string, config: PipelineConfig): Promise<Record<string, unknown>> {
  // Runs a few ms apart, so each snapshot's committed_at is later than the one before.
  await new Promise((r) => setTimeout(r, 5));
  const built = await runBuildStarSchema({ step: 'build-star-schema', ds, runId: `run-${++runs}`, config, lake, log: silentLogger });
  await loadStarSchema({ ds, lake, log: silentLogger, config });
  return built.metrics as Record<string, unknown>;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

/** customer_id -> its versions [key, valid_from, valid_to, city, is_current, is_inferred], by valid_from. */
async function versions(db: Knex): Promise<Record<string, unknown[][]>> {
  const rows = await db('dim_customer').where('customer_key', '>', 0).orderBy(['customer_id', 'valid_from']);
  const out: Record<string, unknown[][]> = {};
  for (const r of rows) (out[r.customer_id] ??= []).push([r.customer_key, iso(r.valid_from), iso(r.valid_to), r.city, Boolean(r.is_current), Boolean(r.is_inferred)]);
  return out;
}

/** transaction_id -> [customer_key, city of that version, product_key]. */
async function facts(db: Knex): Promise<Record<string, unknown[]>> {
  const rows = await db('fact_sales as f').join('dim_customer as c', 'c.customer_key', 'f.customer_key').select('f.transaction_id', 'f.customer_key', 'c.city', 'f.product_key').orderBy('f.transaction_id');
  return Object.fromEntries(rows.map((r: Row) => [r.transaction_id, [r.customer_key, r.city, r.product_key]]));
}

/** Facts whose customer version does not cover the fact's date (the join a BI tool makes by date range). */
async function factsOutsideTheirVersion(db: Knex): Promise<unknown[]> {
  return db('fact_sales as f')
    .join('dim_date as d', 'd.date_key', 'f.date_key')
    .join('dim_customer as c', 'c.customer_key', 'f.customer_key')
    .whereRaw('NOT (d.full_date BETWEEN c.valid_from AND c.valid_to)')
    .pluck('f.transaction_id');
}

/** Natural keys with other than exactly one current row. */
async function currentRowProblems(db: Knex): Promise<unknown[]> {
  return db('dim_customer').select('customer_id').sum({ current: db.raw('CASE WHEN is_current THEN 1 ELSE 0 END') }).groupBy('customer_id').havingRaw('SUM(CASE WHEN is_current THEN 1 ELSE 0 END) <> 1');
}

const FACTS = {
  'S1-0': [1, 'Austin', 1],
  'S1-1': [1, 'Austin', 1],
  'S1-2': [2, 'Boston', 2],
  'S2-1': [3, 'Dallas', 1],
  'S2-2': [2, 'Boston', -1],
  'S2-3': [4, expect.anything(), 1],
  'S2-4': [1, 'Austin', 2],
  'S3-1': [3, 'Dallas', 2],
  'S3-2': [4, 'Chicago', 2],
};

describe.each(SERVERS)('star schema history on $client', (server) => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'star-history-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('three days in order: a move opens a version, facts point at the version of their date, inferred members fill in, and re-running day 2 changes nothing', async () => {
    const target = await createTestDatabase(server, 'scd_test');
    try {
      const lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
      await writeDays(lake);
      const config = { ...DEMO_CONFIG, warehouse: target.warehouse } as PipelineConfig;

      await buildAndLoad(lake, D1, config);
      const day2 = await buildAndLoad(lake, D2, config);
      // Both counted in the run report: the late customer got an inferred member, the unknown product -1.
      expect(day2).toMatchObject({ unknown_members: { customer_key: 0, product_key: 1, location_key: 0 }, inferred_members: { dim_customer: 1 }, derived_mismatches: { total_amount: 0 } });
      expect(await versions(target.db)).toEqual({
        C1: [
          [1, '1900-01-01', D1, 'Austin', false, false],
          [3, D2, '9999-12-31', 'Dallas', true, false],
        ],
        C2: [[2, '1900-01-01', '9999-12-31', 'Boston', true, false]],
        C3: [[4, '1900-01-01', '9999-12-31', null, true, true]],
      });
      expect((await target.db('dim_customer').where({ customer_key: 2 }).first()).phone).toBe('555-0199');

      const day3 = await buildAndLoad(lake, D3, config);
      expect(day3).toMatchObject({ inferred_members: { dim_customer: 0 }, dimensions: { dim_customer: { inferred_filled: 1 } } });
      expect((await versions(target.db)).C3).toEqual([[4, '1900-01-01', '9999-12-31', 'Chicago', true, false]]);
      expect(await facts(target.db)).toEqual(FACTS);
      expect(await factsOutsideTheirVersion(target.db)).toEqual([]);
      expect(await currentRowProblems(target.db)).toEqual([]);

      const before = await snapshotWarehouse(target.db);
      await buildAndLoad(lake, D2, config);
      expect(await snapshotWarehouse(target.db)).toEqual(before);

      // Loading day 1 again (an Airflow clear) replaces its facts but keeps the newer history.
      const reload = await loadStarSchema({ ds: D1, lake, log: silentLogger, config });
      expect(reload.metrics).toMatchObject({ tables: { dim_customer: { skipped: true, rowsOut: 0 }, fact_sales: { rowsOut: 3, merge: { unchanged: 3, inserted: 0, updated: 0 } } } });
      expect(await snapshotWarehouse(target.db)).toEqual(before);
    } finally {
      await target.drop();
    }
  });

  it('day 3 built before day 2 (an out-of-order backfill) gives the same keys, one current row per customer, and facts on the right versions', async () => {
    const target = await createTestDatabase(server, 'scd_test');
    try {
      const lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
      await writeDays(lake);
      const config = { ...DEMO_CONFIG, warehouse: target.warehouse } as PipelineConfig;

      await buildAndLoad(lake, D1, config);
      await buildAndLoad(lake, D3, config);
      expect((await versions(target.db)).C1).toEqual([
        [1, '1900-01-01', D2, 'Austin', false, false],
        [3, D3, '9999-12-31', 'Dallas', true, false],
      ]);
      await buildAndLoad(lake, D2, config);

      expect(await versions(target.db)).toEqual({
        C1: [
          [1, '1900-01-01', D1, 'Austin', false, false],
          [3, D2, '9999-12-31', 'Dallas', true, false],
        ],
        C2: [[2, '1900-01-01', '9999-12-31', 'Boston', true, false]],
        // Known since day 3, so day 2's sale found it (its first version, valid from history_start) and needed no inferred member.
        C3: [[4, '1900-01-01', '9999-12-31', 'Chicago', true, false]],
      });
      expect(await facts(target.db)).toEqual({ ...FACTS, 'S2-3': [4, 'Chicago', 1] });
      expect(await factsOutsideTheirVersion(target.db)).toEqual([]);
      expect(await currentRowProblems(target.db)).toEqual([]);
      // The lake agrees with the warehouse: the last snapshot holds every version.
      const manifest = await lake.readManifest(datasets.curated('dim_customer'), D2);
      expect(manifest!.rows).toBe(1 + 4);
    } finally {
      await target.drop();
    }
  });
});
