/**
 * Facts merged on their grain across batches, on every warehouse: SQLite, PostgreSQL (the fact's
 * indexes kept, and rebuilt) and MariaDB/MySQL (LOAD DATA and INSERTs).
 *
 * Needs PostgreSQL and MariaDB/MySQL as warehouse-servers.ts says (each case makes and drops its
 * own database); nothing is started here.
 *
 * Three batches: B re-delivers a sale of A corrected, C re-delivers one of A unchanged and one of
 * B corrected again. Then every ds is loaded again in every order: the warehouse must stay the one
 * the in-order load gave, each grain once, at its newest batch's version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WarehouseConfig } from '@salesflow/config';
import { Lake, LocalStorage } from '@salesflow/lake';
import { fact, loadContext, sampleDimensions, snapshotWarehouse, writeCurated } from '../../tasks/load-warehouse/src/curated-fixture.test-util';
import { loadStarSchema, openWarehouse, type LoadStarSchemaOptions } from '../../tasks/load-warehouse/src';
import { createTestDatabase, SERVERS } from './warehouse-servers';

const A = '2026-11-25';
const B = '2026-11-26';
const C = '2026-11-27';

const BATCHES: Record<string, ReturnType<typeof fact>[]> = {
  [A]: [
    fact('T1', A, [20261125, 1, 1, 1], 1, 100, '2026-11-25T10:00:00.000Z'),
    fact('T2', A, [20261125, 2, 2, 2], 2, 40, '2026-11-25T11:00:00.000Z'),
    fact('T3', A, [20261125, 1, 2, 1], 3, 60, '2026-11-25T12:00:00.000Z'),
  ],
  [B]: [
    fact('T1', B, [20261125, 1, 1, 1], 2, 200, '2026-11-25T10:00:00.000Z'), // A's T1 corrected
    fact('T4', B, [20261126, 2, 1, 2], 1, 100, '2026-11-26T09:00:00.000Z'),
  ],
  [C]: [
    fact('T2', C, [20261125, 2, 2, 2], 2, 40, '2026-11-25T11:00:00.000Z'), // A's T2 re-sent as it was
    fact('T4', C, [20261126, 2, 1, 2], 5, 500, '2026-11-26T09:00:00.000Z'), // B's T4 corrected
    fact('T5', C, [20261125, 1, 1, 1], 1, 100, '2026-11-25T20:00:00.000Z'), // late: sold on A's day
  ],
};

/** The warehouse the in-order load must give: every grain once, from its newest batch. */
const EXPECTED = [
  ['T1', B, 2, 200],
  ['T2', C, 2, 40],
  ['T3', A, 3, 60],
  ['T4', C, 5, 500],
  ['T5', C, 1, 100],
];

const ORDERS = [
  [C, A, B],
  [B, C, A],
  [A, A, C, B, C],
];

interface Target {
  readonly name: string;
  readonly warehouse: WarehouseConfig;
  readonly options?: LoadStarSchemaOptions;
  open(): Promise<{ warehouse: WarehouseConfig; drop(): Promise<void> }>;
}

const sqliteTarget = (dir: () => string): Target => ({
  name: 'sqlite',
  warehouse: { client: 'sqlite', batch_size: 2 },
  async open() {
    return { warehouse: { client: 'sqlite', sqlite: { filename: path.join(dir(), `w-${Math.random()}.sqlite`) }, batch_size: 2 }, drop: async () => undefined };
  },
});

const serverTarget = (name: string, server: (typeof SERVERS)[number], extra: Partial<WarehouseConfig> = {}, options?: LoadStarSchemaOptions): Target => ({
  name,
  warehouse: { client: server.client, batch_size: 2 },
  options,
  async open() {
    const t = await createTestDatabase(server, 'merge_test', 2);
    return { warehouse: { ...t.warehouse, ...extra } as WarehouseConfig, drop: () => t.drop() };
  },
});

let dir: string;
let lake: Lake;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fact-merge-'));
  lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
  for (const [ds, facts] of Object.entries(BATCHES)) await writeCurated(lake, ds, { ...sampleDimensions(), fact_sales: facts });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const postgres = SERVERS.find((s) => s.client === 'postgres')!;
const mysql = SERVERS.find((s) => s.client === 'mysql')!;

describe.each([
  sqliteTarget(() => dir),
  serverTarget('postgres, indexes kept', postgres, {}, { factIndexes: 'keep' }),
  serverTarget('postgres, indexes rebuilt', postgres, {}, { factIndexes: 'rebuild' }),
  serverTarget('mysql, LOAD DATA', mysql, { mysql_bulk: 'load_data' }),
  serverTarget('mysql, INSERTs', mysql, { mysql_bulk: 'insert' }),
])('facts merged on the grain on $name', (target) => {
  it('moves a re-delivered grain to its newest batch, counts what each load did, and gives the same warehouse in any load order', async () => {
    const t = await target.open();
    const load = (ds: string) => loadStarSchema(loadContext(lake, ds, t.warehouse), target.options);
    const factRows = async () => {
      const db = openWarehouse(t.warehouse);
      try {
        return (await snapshotWarehouse(db)).fact_sales!.map((r) => [r.transaction_id, r.batch_ds, r.quantity, r.total_amount]);
      } finally {
        await db.destroy();
      }
    };
    try {
      const counts = [];
      for (const ds of [A, B, C]) counts.push(((await load(ds)).metrics as { tables: Record<string, { merge: unknown }> }).tables.fact_sales!.merge);
      expect(counts).toEqual([
        { inserted: 3, updated: 0, unchanged: 0, superseded: 0, removed: 0 },
        { inserted: 1, updated: 1, unchanged: 0, superseded: 0, removed: 0 },
        { inserted: 1, updated: 2, unchanged: 0, superseded: 0, removed: 0 },
      ]);
      expect(await factRows()).toEqual(EXPECTED);

      for (const order of ORDERS) {
        for (const ds of order) await load(ds);
        expect(await factRows()).toEqual(EXPECTED);
      }
      // An older batch loaded after the newer ones: its re-delivered grains are left to them.
      expect(((await load(A)).metrics as { tables: Record<string, { merge: unknown }> }).tables.fact_sales!.merge).toEqual({ inserted: 0, updated: 0, unchanged: 1, superseded: 2, removed: 0 });
    } finally {
      await t.drop();
    }
  });
});
