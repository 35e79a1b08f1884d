import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, LakeObjectNotFoundError } from '@salesflow/errors';
import { Lake, LocalStorage } from '@salesflow/lake';
import type { Knex } from 'knex';
import { fact, loadContext, sampleCurated, sampleDimensions, sampleFacts, snapshotWarehouse, writeCurated } from './curated-fixture.test-util';
import { loadStarSchema } from './load-star-schema';
import { openWarehouse } from './open-warehouse';
import { runAnalyticalQueries } from './run-analytical-queries';
import { WarehouseLoadError } from './warehouse-load-error';

const A = '2026-11-25';
const B = '2026-11-26';

describe('loadStarSchema into SQLite', () => {
  let dir: string;
  let lake: Lake;
  let filename: string;
  const open = () => openWarehouse({ client: 'sqlite', sqlite: { filename }, batch_size: 500 });
  const load = (ds: string, opts: Parameters<typeof loadStarSchema>[1] = {}, batchSize = 500) =>
    loadStarSchema(loadContext(lake, ds, { client: 'sqlite', sqlite: { filename }, batch_size: batchSize }), opts);
  const snapshot = async () => {
    const db = open();
    try {
      return await snapshotWarehouse(db);
    } finally {
      await db.destroy();
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'load-warehouse-'));
    lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
    // A folder that does not exist yet: openWarehouse creates it.
    filename = path.join(dir, 'nested', 'warehouse.sqlite');
    await writeCurated(lake, A, sampleCurated(A));
    await writeCurated(lake, B, sampleCurated(B));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every table, converting values, and reports counts and outputs', async () => {
    const result = await load(B, {}, 2); // 2 rows per INSERT: several statements per table
    const snap = await snapshot();
    expect(snap.dim_date).toHaveLength(6);
    expect(snap.dim_customer!.map((r) => r.customer_id)).toEqual(['UNKNOWN', 'C001', 'C002', 'c002']);
    expect(snap.fact_sales!.map((r) => r.transaction_id)).toEqual(['T0003', 'T0004', 'T0005', 'T0006', 'T0007']);
    expect(snap.dim_product!.find((r) => r.product_key === 3)).toMatchObject({ unit_cost: 20, unit_price: 49.5 });
    expect(snap.dim_product!.find((r) => r.product_key === 2)).toMatchObject({ product_name: 'T-Shirt; "crew"', brand: "O'Neil" });
    expect(snap.fact_sales!.find((r) => r.transaction_id === 'T0006')).toMatchObject({ total_amount: 40, discount: 0.1, batch_ds: B });
    expect(snap.dim_date!.find((r) => r.date_key === 20261128)).toMatchObject({ full_date: '2026-11-28', is_weekend: true, day_of_week: 6 });
    expect(snap.dim_date!.find((r) => r.date_key === -1)).toMatchObject({ full_date: null, year: null, month_name: 'Unknown' });
    expect(snap.dim_date!.find((r) => r.date_key === 20261225)).toMatchObject({ is_holiday: true, fiscal_year: 2026, fiscal_quarter: 4 });
    expect(snap.dim_customer!.find((r) => r.customer_key === 1)).toMatchObject({ valid_from: '2026-11-01', valid_to: '9999-12-31', is_current: true, is_inferred: false });
    expect(snap.dim_product!.find((r) => r.product_key === 3)).toMatchObject({ is_inferred: true });

    // Raw storage: dates and timestamps as UTC text, booleans as 0/1.
    const db = open();
    try {
      const raw = (await db('fact_sales').where({ transaction_id: 'T0003' }).first()) as Record<string, unknown>;
      expect(raw.transaction_timestamp).toBe('2026-11-26 00:00:00.000');
      expect(raw.batch_ds).toBe(B);
      expect((await db('dim_date').where({ date_key: 20261128 }).first()).is_weekend).toBe(1);
    } finally {
      await db.destroy();
    }

    expect(result.rowsIn).toBe(6 + 4 + 4 + 3 + 5);
    expect(result.rowsOut).toBe(result.rowsIn);
    expect(result.outputs).toContainEqual({ uri: `sqlite://${filename}/fact_sales`, rows: 5 });
    expect(result.inputs.map((i) => i.uri)).toContainEqual(path.join(dir, 'lake', 'curated', 'fact_sales', `dt=${B}`) + '/');
    expect(result.metrics).toMatchObject({ tables: { fact_sales: { rowsIn: 5, rowsOut: 5, merge: { inserted: 5, updated: 0, unchanged: 0, superseded: 0, removed: 0 } }, dim_customer: { rowsOut: 4 } } });
  });

  it('gives the same rows when the same ds is loaded twice', async () => {
    await load(A);
    await load(B);
    const first = await snapshot();
    const again = await load(B);
    expect(await snapshot()).toEqual(first);
    expect(again.metrics).toMatchObject({ tables: { fact_sales: { rowsOut: 5, merge: { inserted: 0, updated: 0, unchanged: 5, superseded: 0, removed: 0 } } } });
    expect(first.fact_sales).toHaveLength(7);
  });

  it('waits while another load holds the write lock, then loads (a parallel backfill)', async () => {
    await load(A);
    // Another process takes the write lock and keeps it for 1.5 s, as a second load would.
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(filename)});
      db.exec('BEGIN IMMEDIATE');
      db.exec("UPDATE dim_customer SET customer_id = customer_id WHERE 0");
      process.stdout.write('locked\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
      db.exec('COMMIT');
    `]);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => String(d).includes('locked') && resolve());
      holder.on('exit', (code) => reject(new Error(`the lock holder exited ${code} before locking`)));
    });
    const started = Date.now();
    await load(B);
    expect(Date.now() - started).toBeGreaterThan(500);
    expect((await snapshot()).fact_sales).toHaveLength(7);
  });

  it('upserts dimensions by surrogate key: changed attributes are applied, keys stay', async () => {
    await load(B);
    const dims = sampleDimensions();
    const customers = dims.dim_customer.map((c) => (c.customer_key === 2 ? { ...c, city: 'Cambridge', zip_code: '02139' } : c));
    const products = [...dims.dim_product, { product_key: 4, product_id: 'P004', product_name: 'Mouse', category: 'Electronics', subcategory: 'Computers', brand: 'Acme', unit_cost: 5, unit_price: 9.99, is_inferred: false }];
    await writeCurated(lake, B, { dim_customer: customers, dim_product: products });
    await load(B);
    const snap = await snapshot();
    expect(snap.dim_customer!.map((r) => [r.customer_key, r.customer_id])).toEqual([[-1, 'UNKNOWN'], [1, 'C001'], [2, 'C002'], [3, 'c002']]);
    expect(snap.dim_customer!.find((r) => r.customer_key === 2)).toMatchObject({ city: 'Cambridge', zip_code: '02139' });
    expect(snap.dim_product!.map((r) => r.product_key)).toEqual([-1, 1, 2, 3, 4]);
  });

  it("re-loading a ds with fewer facts replaces that ds's rows and leaves other batches alone", async () => {
    await load(A);
    await load(B);
    await writeCurated(lake, B, { fact_sales: sampleFacts(B).slice(0, 2) });
    const result = await load(B);
    const snap = await snapshot();
    expect(snap.fact_sales!.map((r) => [r.transaction_id, r.batch_ds])).toEqual([
      ['T0001', A],
      ['T0002', A],
      ['T0003', B],
      ['T0004', B],
    ]);
    expect(result.metrics).toMatchObject({ tables: { fact_sales: { rowsOut: 2, merge: { inserted: 0, updated: 0, unchanged: 2, superseded: 0, removed: 3 } } } });
  });

  it('merges facts on the grain across batches: a grain moves to the newest batch, an older batch loaded late never brings back its version', async () => {
    await load(A);
    await load(B);
    // The next day re-delivers T0001 (from A) corrected and T0004 (from B) unchanged, plus a new sale.
    const C = '2026-11-27';
    const corrected = { ...sampleFacts(A)[0]!, batch_ds: C, quantity: 3, total_amount: 2999.97 };
    const resent = { ...sampleFacts(B)[1]!, batch_ds: C };
    const fresh = { ...sampleFacts(B)[0]!, transaction_id: 'T0100', batch_ds: C };
    await writeCurated(lake, C, { ...sampleDimensions(), fact_sales: [corrected, resent, fresh] });
    const result = await load(C);
    expect(result.metrics).toMatchObject({ tables: { fact_sales: { rowsIn: 3, rowsOut: 3, merge: { inserted: 1, updated: 2, unchanged: 0, superseded: 0, removed: 0 } } } });
    const after = await snapshot();
    const byId = new Map(after.fact_sales!.map((r) => [r.transaction_id, r]));
    expect(after.fact_sales).toHaveLength(8);
    expect(byId.get('T0001')).toMatchObject({ batch_ds: C, quantity: 3, total_amount: 2999.97 });
    expect(byId.get('T0004')).toMatchObject({ batch_ds: C });
    expect(byId.get('T0002')).toMatchObject({ batch_ds: A });

    // Loading A and B again (out of order, their partitions still carrying the old versions)
    // leaves the newer versions alone and changes nothing.
    const lateA = await load(A);
    expect(lateA.metrics).toMatchObject({ tables: { fact_sales: { rowsOut: 1, merge: { inserted: 0, updated: 0, unchanged: 1, superseded: 1, removed: 0 } } } });
    expect(lateA.rowsDropped).toBe(1);
    const lateB = await load(B);
    expect(lateB.metrics).toMatchObject({ tables: { fact_sales: { merge: { unchanged: 4, superseded: 1 } } } });
    expect((await snapshot()).fact_sales).toEqual(after.fact_sales);
    // And C again: the same table.
    const againC = await load(C);
    expect(againC.metrics).toMatchObject({ tables: { fact_sales: { merge: { inserted: 0, updated: 0, unchanged: 3, superseded: 0, removed: 0 } } } });
    expect((await snapshot()).fact_sales).toEqual(after.fact_sales);
  });

  it('an empty fact partition removes the ds batch', async () => {
    await load(A);
    await load(B);
    await writeCurated(lake, B, { fact_sales: [] });
    await load(B);
    expect((await snapshot()).fact_sales!.map((r) => r.transaction_id)).toEqual(['T0001', 'T0002']);
  });

  it('rolls everything back when a step of the load throws', async () => {
    await load(A);
    await load(B);
    const before = await snapshot();
    // A new attempt that changes a dimension and the facts, then fails after the fact table.
    const dims = sampleDimensions();
    await writeCurated(lake, B, {
      dim_customer: dims.dim_customer.map((c) => (c.customer_key === 1 ? { ...c, city: 'Changed' } : c)),
      fact_sales: sampleFacts(B).slice(0, 1),
    });
    const seen: string[] = [];
    const boom = load(B, {
      afterTable: (table) => {
        seen.push(table);
        if (table === 'fact_sales') throw new Error('injected failure');
      },
    });
    await expect(boom).rejects.toThrow('injected failure');
    expect(seen).toEqual(['dim_date', 'dim_customer', 'dim_product', 'dim_location', 'fact_sales']);
    expect(await snapshot()).toEqual(before);
  });

  it('rolls everything back when a fact row breaks a foreign key, and exits 4', async () => {
    await load(A);
    const before = await snapshot();
    const dims = sampleDimensions();
    await writeCurated(lake, B, {
      dim_location: dims.dim_location.map((l) => (l.location_key === 1 ? { ...l, region: 'Changed' } : l)),
      fact_sales: [...sampleFacts(B), fact('T9999', B, [20261126, 999, 1, 1], 1, 1, '2026-11-26T00:00:00Z')],
    });
    const err = await load(B, {}, 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WarehouseLoadError);
    expect((err as WarehouseLoadError).exitCode).toBe(ExitCode.badInput);
    expect((err as WarehouseLoadError).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect((err as Error).message).toMatch(/^Loading fact_sales into the sqlite warehouse failed, nothing was changed: FOREIGN KEY constraint failed/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a fact row of another batch_ds', async () => {
    await writeCurated(lake, B, { fact_sales: [...sampleFacts(B), fact('T0100', A, [20261125, 1, 1, 1], 1, 1, '2026-11-25T00:00:00Z')] });
    await expect(load(B)).rejects.toMatchObject({ exitCode: ExitCode.badInput, message: expect.stringContaining('has batch_ds 2026-11-25') });
  });

  it('fails with exit 4 and leaves the warehouse untouched when a curated partition is missing', async () => {
    await expect(load('2026-11-27')).rejects.toBeInstanceOf(LakeObjectNotFoundError);
    expect(existsSync(filename)).toBe(false);
  });

  it('inserts more than 500 rows per statement (knex would hit SQLite\'s compound SELECT limit)', async () => {
    const many = Array.from({ length: 1203 }, (_, i) => fact(`M${String(i).padStart(5, '0')}`, B, [20261126, 1 + (i % 3), 1 + (i % 3), 1 + (i % 2)], 1, 1.5, '2026-11-26T10:00:00Z'));
    await writeCurated(lake, B, { fact_sales: many });
    const result = await load(B, { readBatchSize: 500 }, 1000);
    expect(result.metrics).toMatchObject({ tables: { fact_sales: { rowsIn: 1203, rowsOut: 1203 } } });
    expect((await snapshot()).fact_sales).toHaveLength(1203);
  });

  describe('analytical queries', () => {
    let db: Knex;
    afterEach(async () => db?.destroy());

    it('answer over both batches, unknown members included as Unknown rows', async () => {
      await load(A);
      await load(B);
      db = open();
      const results = await runAnalyticalQueries(db);
      expect(results.map((r) => r.name)).toEqual(['revenue_by_category', 'revenue_by_period', 'top_customers', 'revenue_by_region', 'top_products', 'monthly_trend', 'customer_segments']);
      const byName = Object.fromEntries(results.map((r) => [r.name, r.rows]));
      expect(byName.revenue_by_category).toEqual([
        { category: 'Electronics', subcategory: 'Computers', transactions: 2, units: 2, revenue: 1999.98 },
        { category: 'Electronics', subcategory: 'Audio', transactions: 2, units: 3, revenue: 148.5 },
        { category: 'Clothing', subcategory: 'Tops', transactions: 2, units: 4, revenue: 79.96 },
        { category: 'Unknown', subcategory: 'Unknown', transactions: 1, units: 4, revenue: 40 },
      ]);
      expect(byName.revenue_by_period).toEqual([
        { year: 2026, quarter: 4, month: 11, month_name: 'November', transactions: 6, units: 12, revenue: 2218.94 },
        { year: null, quarter: null, month: null, month_name: 'Unknown', transactions: 1, units: 1, revenue: 49.5 },
      ]);
      expect(byName.top_customers).toEqual([
        { customer_id: 'C001', city: 'Austin', state: 'TX', transactions: 2, revenue: 1098.99 },
        { customer_id: 'UNKNOWN', city: 'Unknown', state: 'Unknown', transactions: 1, revenue: 999.99 },
        { customer_id: 'C002', city: 'Boston', state: 'MA', transactions: 3, revenue: 149.47 },
        { customer_id: 'c002', city: 'Chicago', state: 'IL', transactions: 1, revenue: 19.99 },
      ]);
      expect(byName.revenue_by_region).toEqual([
        { region: 'South', state: 'TX', stores: 1, transactions: 3, revenue: 1148.49 },
        { region: 'Northeast', state: 'MA', stores: 1, transactions: 3, revenue: 1079.95 },
        { region: 'Unknown', state: 'Unknown', stores: 1, transactions: 1, revenue: 40 },
      ]);
      // Profit: revenue without tax less units x unit_cost; the Laptop: 2 x (999.99 - 80.00) - 2 x 700.
      expect(byName.top_products!.map((r) => [r.product_id, r.revenue, r.estimated_profit])).toEqual([
        ['P001', 1999.98, 439.98],
        ['P003', 148.5, 76.62],
        ['P002', 79.96, 55.56],
        ['UNKNOWN', 40, 36.8],
      ]);
      expect(byName.monthly_trend).toEqual([
        { year: 2026, month: 11, transactions: 6, unique_customers: 4, revenue: 2218.94 },
        { year: null, month: null, transactions: 1, unique_customers: 1, revenue: 49.5 },
      ]);
      expect(byName.customer_segments).toEqual([
        { segment: 'High', customers: 1, transactions: 2, revenue: 1098.99 },
        { segment: 'Medium', customers: 1, transactions: 1, revenue: 999.99 },
        { segment: 'Low', customers: 2, transactions: 4, revenue: 169.46 },
      ]);
    });
  });
});
