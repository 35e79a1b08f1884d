/**
 * The ingest step on database sources, against the real servers of this machine:
 *   - PostgreSQL at WAREHOUSE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test)
 *   - MariaDB/MySQL at WAREHOUSE_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test)
 * Each test creates its own database ingest_<random> and drops it; the lake is a temp folder.
 * An unreachable server fails the suite: these tests are never skipped.
 */
import { datasets } from '@salesflow/lake';
import { ExitCode, exitCodeOf } from '@salesflow/errors';
import { validateConfig } from '@salesflow/config';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, createTempDatabase, readRaw, stepContext, tempLake, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const D1 = '2026-11-24';
const D2 = '2026-11-25';
const D3 = '2026-11-26';

function sourceOf(t: TempDatabase, entities: unknown[]) {
  return { name: 'db', kind: 'database', client: t.client, connection: t.connection, fetch_size: 3, entities };
}

describe.each(['postgres', 'mysql'] as const)('%s source', (client) => {
  let t: TempDatabase;
  beforeEach(async () => {
    t = await createTempDatabase(client);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('loads in full, then only what changed: updates, inserts and late commits arrive exactly once; a re-run and --full-refresh', async () => {
    const ts = client === 'postgres' ? 'timestamp(3)' : 'datetime(3)';
    await t.db.raw(`CREATE TABLE sales (id integer PRIMARY KEY, amount numeric(12,2) NOT NULL, updated_at ${ts} NOT NULL)`);
    const insert = (id: number, amount: string, at: string) => t.db('sales').insert({ id, amount, updated_at: at });
    for (let i = 1; i <= 5; i++) await insert(i, `${i}.10`, `2026-11-24 10:0${i}:00.000`);
    const config = configWith([sourceOf(t, [{ name: 'sales', table: 'sales', cursor_column: 'updated_at', primary_key: ['id'], lookback: 3600 }])]);
    const lake = tempLake();
    const dataset = datasets.raw('database', 'db', 'sales');

    const first = await runIngest(stepContext(config, lake, 'db', D1));
    expect(first.rowsOut).toBe(5);
    expect(first.metrics?.watermarks).toEqual({ sales: { before: null, after: '2026-11-24T10:05:00.000Z' } });

    // Between runs: row 2 is updated, row 6 is new, row 7 commits late with a cursor older than the
    // watermark (inside the lookback), and row 5 sits at the watermark unchanged.
    await t.db('sales').where({ id: 2 }).update({ amount: '22.20', updated_at: '2026-11-25 09:00:00.000' });
    await insert(6, '6.60', '2026-11-25 09:30:00.000');
    await insert(7, '7.70', '2026-11-24 09:59:00.000');
    const second = await runIngest(stepContext(config, lake, 'db', D2));
    const got = (await readRaw(lake, dataset, D2)).rows.map((r) => [r.id, r.amount]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(got).toEqual([
      [2, '22.20'],
      [6, '6.60'],
      [7, '7.70'],
    ]);
    // Rows 1, 3, 4, 5 were read again inside the lookback and dropped as already loaded.
    expect(second).toMatchObject({ rowsIn: 7, rowsOut: 3, rowsDropped: 4 });
    expect(second.metrics?.watermarks).toEqual({ sales: { before: '2026-11-24T10:05:00.000Z', after: '2026-11-25T09:30:00.000Z' } });

    // Re-running the same ds starts where that ds started: the same rows, not an empty partition.
    await runIngest(stepContext(config, lake, 'db', D2));
    expect((await readRaw(lake, dataset, D2)).rows).toHaveLength(3);

    // Nothing changed: the next ds lands nothing new.
    const quiet = await runIngest(stepContext(config, lake, 'db', D3));
    expect(quiet.rowsOut).toBe(0);

    const full = await runIngest(stepContext(config, lake, 'db', D3, true));
    expect(full.rowsOut).toBe(7);
    expect(full.metrics?.watermarks).toEqual({ sales: { before: null, after: '2026-11-25T09:30:00.000Z' } });
    expect((await lake.readJson<{ watermark: { watermark: string } }>(datasets.stateDayKey('db', 'sales', D3)))?.watermark.watermark).toBe('2026-11-25T09:30:00.000Z');
  });

  it('keeps the old watermark and the old partition when a read fails before its commit', async () => {
    const ts = client === 'postgres' ? 'timestamp' : 'datetime';
    await t.db.raw(`CREATE TABLE items (id integer PRIMARY KEY, updated_at ${ts}, shipped date)`);
    await t.db('items').insert([{ id: 1, updated_at: '2026-11-24 01:00:00' }, { id: 2, updated_at: '2026-11-24 02:00:00' }]);
    const config = configWith([sourceOf(t, [{ name: 'items', table: 'items', cursor_column: 'updated_at', primary_key: ['id'] }])]);
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'db', D1));
    await t.db('items').insert({ id: 3, updated_at: '2026-11-24 03:00:00' });
    // A value the lake cannot hold, after a good row: the read fails mid-stream.
    if (client === 'postgres') await t.db.raw("INSERT INTO items VALUES (4, '2026-11-24 04:00:00', 'infinity')");
    else await t.db.raw("SET SESSION sql_mode = ''; INSERT INTO items VALUES (4, '2026-11-24 04:00:00', '0000-00-00')");
    const err = await runIngest(stepContext(config, lake, 'db', D2)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/column shipped, row \d of the read: date\S* ".*" cannot be stored in the lake/);
    expect(exitCodeOf(err)).toBe(ExitCode.badInput);
    expect((await lake.readJson<{ watermark: { watermark: string } }>(datasets.stateDayKey('db', 'items', D1)))?.watermark.watermark).toBe('2026-11-24T02:00:00.000Z');
    expect(await lake.readJson(datasets.stateDayKey('db', 'items', D2))).toBeUndefined();
    expect(await lake.readManifest(datasets.raw('database', 'db', 'items'), D2)).toBeUndefined();
    await t.db('items').where({ id: 4 }).update({ shipped: '2026-11-24' });
    await runIngest(stepContext(config, lake, 'db', D2));
    expect((await readRaw(lake, datasets.raw('database', 'db', 'items'), D2)).rows.map((r) => r.id)).toEqual([3, 4]);
  });

  it('fails with exit 2 naming the entity key when a table does not exist', async () => {
    const config = configWith([sourceOf(t, [{ name: 'missing', table: 'no_such_table' }])]);
    await expect(runIngest(stepContext(config, tempLake(), 'db', D1))).rejects.toMatchObject({ exitCode: ExitCode.usage, message: expect.stringContaining('sources.1.entities.0') });
  });

  it('reports columns added, removed and retyped since the previous partition; added columns land', async () => {
    await t.db.raw('CREATE TABLE customers (id integer PRIMARY KEY, name varchar(20), score integer)');
    await t.db('customers').insert({ id: 1, name: 'Ann', score: 3 });
    const config = configWith([sourceOf(t, [{ name: 'customers', table: 'customers' }])]);
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'db', D1));
    await t.db.raw('ALTER TABLE customers ADD COLUMN email varchar(40)');
    await t.db.raw('ALTER TABLE customers DROP COLUMN name');
    await t.db.raw(client === 'postgres' ? 'ALTER TABLE customers ALTER COLUMN score TYPE varchar(5)' : 'ALTER TABLE customers MODIFY score varchar(5)');
    await t.db('customers').insert({ id: 2, email: 'b@x.io', score: '4' });
    const r = await runIngest(stepContext(config, lake, 'db', D2));
    expect(r.metrics?.schema_changes).toEqual({ customers: { since: `dt=${D1}`, added: ['email'], removed: ['name'], changed: ['score: int32 -> string'] } });
    const rows = (await readRaw(lake, datasets.raw('database', 'db', 'customers'), D2)).rows;
    expect(rows.map((x) => [x.id, x.email, x.score])).toEqual([
      [1, null, '3'],
      [2, 'b@x.io', '4'],
    ]);
  });

  it('reads a named query, and rejects a cursor that is not a time or an integer', async () => {
    await t.db.raw('CREATE TABLE orders (id integer PRIMARY KEY, region varchar(5), total numeric(10,2))');
    await t.db('orders').insert([{ id: 1, region: 'EU', total: '10.00' }, { id: 2, region: 'US', total: '5.50' }, { id: 3, region: 'EU', total: '1.25' }]);
    const config = configWith([sourceOf(t, [{ name: 'eu_orders', query: "SELECT id, total FROM orders WHERE region = 'EU';" }])]);
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'db', D1));
    const rows = (await readRaw(lake, datasets.raw('database', 'db', 'eu_orders'), D1)).rows;
    expect(rows.map((r) => [r.id, r.total])).toEqual([
      [1, '10.00'],
      [3, '1.25'],
    ]);
    const bad = configWith([sourceOf(t, [{ name: 'o', table: 'orders', cursor_column: 'region', primary_key: ['id'] }])]);
    const err = await runIngest(stepContext(bad, lake, 'db', D1)).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(ExitCode.usage);
    expect((err as Error).message).toMatch(/sources\.1\.entities\.0\.cursor_column: column "region" is .*a cursor must be a timestamp, date or integer/);
  });
});

describe('database source config', () => {
  it('rejects names that are not plain identifiers and incomplete incremental settings, naming the key', () => {
    const raw = JSON.parse(JSON.stringify(configWith([]))) as { sources: unknown[] };
    raw.sources.push({
      name: 'db',
      kind: 'database',
      client: 'postgres',
      connection: { host: 'h', user: 'u', database: 'd' },
      entities: [
        { name: 'a', table: 'sales; DROP TABLE x' },
        { name: 'b', table: 't', cursor_column: 'updated_at' },
        { name: 'c', table: 't', query: 'SELECT 1' },
        { name: 'd', query: 'DELETE FROM t' },
      ],
    });
    const r = validateConfig(raw);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sources\.1\.entities\.0\.table: must be a plain identifier/),
      ]),
    );
    raw.sources[1] = { ...(raw.sources[1] as object), entities: (raw.sources[1] as { entities: unknown[] }).entities.slice(1) };
    expect(validateConfig(raw).errors).toEqual([
      'sources.1.entities.0.primary_key: required with cursor_column, to drop rows already loaded at the watermark',
      'sources.1.entities.1: give either table or query',
      'sources.1.entities.2.query: must be one SELECT (or WITH ... SELECT) statement',
    ]);
  });
});
