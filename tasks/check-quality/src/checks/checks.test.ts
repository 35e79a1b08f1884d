import type * as arrow from 'apache-arrow';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import type { QualityCheckConfig } from '@salesflow/config';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCheck, referenceKeysOf, runChecks, type CreateCheckOptions, type QualityCheckResult } from './index';
import { UniqueCheck } from './unique-check';

const factCols: ColumnDef[] = [
  { name: 'transaction_id', kind: 'string' },
  { name: 'store', kind: 'string' },
  { name: 'line', kind: 'int32' },
  { name: 'customer_key', kind: 'int32' },
  { name: 'big_key', kind: 'int64' },
  { name: 'amount', kind: 'float64' },
  { name: 'ts', kind: 'timestamp' },
];
type Row = Partial<Record<string, unknown>>;

function batchOf(rows: readonly Row[], cols: readonly ColumnDef[] = factCols): arrow.RecordBatch {
  const b = new BatchBuilder(cols);
  rows.forEach((r) => b.appendObject(r));
  return b.finish();
}

/** Splits rows into batches of `size` rows. */
function batchesOf(rows: readonly Row[], size: number, cols: readonly ColumnDef[] = factCols): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(batchOf(rows.slice(i, i + size), cols));
  return out;
}

function cfg(c: Partial<QualityCheckConfig> & Pick<QualityCheckConfig, 'check'>): QualityCheckConfig {
  return { table: 'fact_sales', columns: [], severity: 'error', ...c };
}

async function run(c: QualityCheckConfig, batches: readonly arrow.RecordBatch[], opts: CreateCheckOptions = {}): Promise<QualityCheckResult> {
  const [result] = await runChecks([createCheck(c, opts)], batches);
  return result!;
}

const rows = (n: number, f: (i: number) => Row): Row[] => Array.from({ length: n }, (_, i) => f(i));

describe('not_null', () => {
  const check = cfg({ check: 'not_null', columns: ['transaction_id', 'customer_key'] });

  it('passes when no column has a null', async () => {
    const r = await run(check, [batchOf(rows(5, (i) => ({ transaction_id: `T${i}`, customer_key: i })))]);
    expect(r).toMatchObject({ name: 'fact_sales.not_null(transaction_id,customer_key)', status: 'passed', failing_rows: 0, rows_checked: 5, sample: [] });
    expect(r.message).toBe('no null in transaction_id, customer_key over 5 rows');
  });

  it('fails each row with a null in any of the columns, once', async () => {
    const data = [
      { transaction_id: 'T0', customer_key: 1 },
      { transaction_id: null, customer_key: 2 },
      { transaction_id: 'T2', customer_key: null },
      { transaction_id: null, customer_key: null },
    ];
    const r = await run(check, [batchOf(data)]);
    expect(r).toMatchObject({ status: 'failed', failing_rows: 3, rows_checked: 4 });
    expect(r.sample).toEqual([
      { _row: 1, transaction_id: null, customer_key: 2 },
      { _row: 2, transaction_id: 'T2', customer_key: null },
      { _row: 3, transaction_id: null, customer_key: null },
    ]);
    expect(r.message).toBe('3 of 4 rows have a null (transaction_id: 2, customer_key: 2)');
  });
});

describe('unique', () => {
  it('passes on distinct keys and ignores rows with a null key', async () => {
    const r = await run(cfg({ check: 'unique', columns: ['transaction_id'] }), [
      batchOf([{ transaction_id: 'a' }, { transaction_id: 'b' }, { transaction_id: null }, { transaction_id: null }]),
    ]);
    expect(r).toMatchObject({ name: 'fact_sales.unique(transaction_id)', status: 'passed', failing_rows: 0, rows_checked: 4 });
    expect(r.message).toBe('2 distinct transaction_id over 4 rows; 2 rows with a null in the key were not compared');
  });

  it('counts every row whose key was already seen, across batches', async () => {
    const r = await run(cfg({ check: 'unique', columns: ['transaction_id'] }), [
      batchOf([{ transaction_id: 'a' }, { transaction_id: 'b' }, { transaction_id: 'a' }]),
      batchOf([{ transaction_id: 'a' }, { transaction_id: 'c' }, { transaction_id: 'b' }]),
    ]);
    expect(r).toMatchObject({ status: 'failed', failing_rows: 3, rows_checked: 6 });
    expect(r.sample).toEqual([
      { _row: 2, transaction_id: 'a' },
      { _row: 3, transaction_id: 'a' },
      { _row: 5, transaction_id: 'b' },
    ]);
    expect(r.message).toBe('3 of 6 rows repeat a transaction_id already seen (3 distinct)');
  });

  it('gives the same answer when sized from the table row count, keys longer than the first ones included', async () => {
    const ids = rows(3000, (i) => ({ transaction_id: i < 10 ? `t${i}` : `transaction-with-a-longer-id-${i % 2500}` }));
    const r = await run(cfg({ check: 'unique', columns: ['transaction_id'] }), batchesOf(ids, 700), { expectedRows: ids.length });
    expect(r).toMatchObject({ status: 'failed', failing_rows: 490, rows_checked: 3000 });
    expect(r.message).toBe('490 of 3,000 rows repeat a transaction_id already seen (2,510 distinct)');
  });

  it('checks composite keys as a whole, without confusing ("ab","c") and ("a","bc")', async () => {
    const check = cfg({ check: 'unique', columns: ['transaction_id', 'store'] });
    const ok = await run(check, [
      batchOf([
        { transaction_id: 'ab', store: 'c' },
        { transaction_id: 'a', store: 'bc' },
        { transaction_id: 'a', store: 'b' },
        { transaction_id: 'b', store: 'a' },
      ]),
    ]);
    expect(ok).toMatchObject({ name: 'fact_sales.unique(transaction_id,store)', status: 'passed' });
    const bad = await run(check, [batchOf([{ transaction_id: 'a', store: 'x' }, { transaction_id: 'a', store: 'y' }, { transaction_id: 'a', store: 'x' }])]);
    expect(bad).toMatchObject({ status: 'failed', failing_rows: 1, sample: [{ _row: 2, transaction_id: 'a', store: 'x' }] });
  });

  it('handles mixed-type composite keys (string, int32, int64, timestamp)', async () => {
    const check = cfg({ check: 'unique', columns: ['store', 'line', 'big_key', 'ts'] });
    const r = await run(check, [
      batchOf([
        { store: 's', line: 1, big_key: 10n, ts: 1000 },
        { store: 's', line: 1, big_key: 10n, ts: 1001 },
        { store: 's', line: 2, big_key: 10n, ts: 1000 },
        { store: 's', line: 1, big_key: 11n, ts: 1000 },
        { store: 's', line: 1, big_key: 10n, ts: 1000 },
      ]),
    ]);
    expect(r).toMatchObject({ failing_rows: 1, sample: [{ _row: 4, store: 's', line: 1, big_key: '10', ts: '1970-01-01T00:00:01.000Z' }] });
  });

  it('works on numeric single-column keys and on sliced batches', async () => {
    const whole = batchOf(rows(10, (i) => ({ line: i % 4 })));
    const r = await run(cfg({ check: 'unique', columns: ['line'] }), [whole.slice(0, 3), whole.slice(3, 10)]);
    expect(r).toMatchObject({ failing_rows: 6, rows_checked: 10 });
    expect(r.sample.map((s) => s._row)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  describe('with its keys spilled to disk', () => {
    let tmpDir: string;
    beforeAll(async () => {
      tmpDir = await mkdtemp(path.join(os.tmpdir(), 'unique-check-'));
    });
    afterAll(() => rm(tmpDir, { recursive: true, force: true }));

    // Repeats early (rows 30..) and late (row 2990): the first ten are all early.
    const table = rows(3000, (i) => ({ transaction_id: i >= 30 && i < 60 ? `t${i - 30}` : i === 2990 ? 't7' : `t${i}`, store: `s${i % 13}` }));
    const spilledCheck = () => new UniqueCheck(cfg({ check: 'unique', columns: ['transaction_id'] }), { expectedRows: table.length, keysInMemory: 256, tmpDir, sampleColumns: ['store'] });

    it('reports the same samples as keys held in memory, made from a second read that stops after the last sampled row', async () => {
      const batches = batchesOf(table, 100);
      const inMemory = await run(cfg({ check: 'unique', columns: ['transaction_id'] }), batches, { expectedRows: table.length, sampleColumns: ['store'] });
      const reads: { columns: readonly string[]; batches: number }[] = [];
      async function* reread(columns: readonly string[]) {
        const read = { columns, batches: 0 };
        reads.push(read);
        for (const b of batches) {
          read.batches++;
          yield b.select(columns as string[]);
        }
      }
      const [spilled] = await runChecks([spilledCheck()], batches, { reread });
      expect(inMemory).toMatchObject({ status: 'failed', failing_rows: 31 });
      expect(inMemory.sample.map((s) => s._row)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
      expect(inMemory.sample[0]).toEqual({ _row: 30, transaction_id: 't0', store: 's4' });
      expect(spilled).toEqual(inMemory);
      // One second read, of the sampled columns, up to the batch holding row 39.
      expect(reads).toEqual([{ columns: ['transaction_id', 'store'], batches: 1 }]);
      expect(await readdir(tmpDir)).toEqual([]);
    });

    it('reads nothing again when no key repeats', async () => {
      const distinct = batchesOf(rows(3000, (i) => ({ transaction_id: `t${i}`, store: 's' })), 100);
      const reread = jest.fn(() => distinct);
      const [r] = await runChecks([spilledCheck()], distinct, { reread });
      expect(r).toMatchObject({ status: 'passed', failing_rows: 0, sample: [] });
      expect(reread).not.toHaveBeenCalled();
    });

    it('says a second read is needed when the batches cannot be read again', async () => {
      const batches = batchesOf(table, 500);
      async function* once() {
        yield* batches;
      }
      await expect(runChecks([spilledCheck()], once())).rejects.toThrow('fact_sales.unique(transaction_id) need a second read of the partition for their samples, and no reread was given');
      expect(await readdir(tmpDir)).toEqual([]);
    });
  });
});

describe('relationships', () => {
  const check = cfg({ check: 'relationships', columns: ['customer_key'], references: { table: 'dim_customer', column: 'customer_key' } });
  const reference = referenceKeysOf('dim_customer', 'customer_key', [-1, 1, 2, 3]);

  it('passes when every value is a key of the referenced table; nulls are ignored', async () => {
    const r = await run(check, [batchOf([{ customer_key: 1 }, { customer_key: null }, { customer_key: -1 }, { customer_key: 3 }])], { reference });
    expect(r).toMatchObject({ name: 'fact_sales.relationships(customer_key->dim_customer.customer_key)', status: 'passed', rows_checked: 4 });
    expect(r.message).toBe('every customer_key of 4 rows is in dim_customer.customer_key (4 keys); 1 null values ignored');
  });

  it('fails rows whose value is not a key', async () => {
    const r = await run(check, [batchOf([{ customer_key: 1, transaction_id: 'T1' }, { customer_key: 9, transaction_id: 'T2' }])], {
      reference,
      sampleColumns: ['transaction_id'],
    });
    expect(r).toMatchObject({ status: 'failed', failing_rows: 1, sample: [{ _row: 1, customer_key: 9, transaction_id: 'T2' }] });
  });

  it('matches an int64 column against int32 keys, and string keys', async () => {
    const big = cfg({ check: 'relationships', columns: ['big_key'], references: { table: 'dim_customer', column: 'customer_key' } });
    expect(await run(big, [batchOf([{ big_key: 1n }, { big_key: 3n }, { big_key: 4n }])], { reference })).toMatchObject({ failing_rows: 1 });
    const str = cfg({ check: 'relationships', columns: ['store'], references: { table: 'dim_location', column: 'location_id' } });
    const locs = referenceKeysOf('dim_location', 'location_id', ['S1', 'S2']);
    expect(await run(str, [batchOf([{ store: 'S1' }, { store: 'S3' }, { store: null }])], { reference: locs })).toMatchObject({
      failing_rows: 1,
      sample: [{ _row: 1, store: 'S3' }],
    });
  });

  it('fails with the reason when the referenced keys could not be read', async () => {
    const r = await run(check, [batchOf([{ customer_key: 1 }])], {
      reference: { table: 'dim_customer', column: 'customer_key', problem: 'dim_customer has no partition for ds 2026-01-01' },
    });
    expect(r).toMatchObject({ status: 'failed', rows_checked: 0 });
    expect(r.message).toBe('cannot check against dim_customer.customer_key: dim_customer has no partition for ds 2026-01-01');
  });
});

describe('row_count', () => {
  const batch = batchOf(rows(5, (i) => ({ line: i })));

  it('passes within the bounds', async () => {
    expect(await run(cfg({ check: 'row_count', min: 1, max: 5 }), [batch])).toMatchObject({
      name: 'fact_sales.row_count(min=1,max=5)',
      status: 'passed',
      rows_checked: 5,
      message: '5 rows, within [1, 5]',
    });
  });

  it('fails below min or above max, failing_rows telling by how much', async () => {
    expect(await run(cfg({ check: 'row_count', min: 8 }), [batch])).toMatchObject({ status: 'failed', failing_rows: 3, message: '5 rows, fewer than min 8' });
    expect(await run(cfg({ check: 'row_count', max: 2 }), [batch])).toMatchObject({ status: 'failed', failing_rows: 3, message: '5 rows, more than max 2' });
    expect(await run(cfg({ check: 'row_count', min: 1 }), [])).toMatchObject({ status: 'failed', failing_rows: 1, rows_checked: 0 });
  });

  it('counts on the fact the rows of the batch that newer batches now carry, so a day whose rows all moved is not empty', async () => {
    const context = { ds: '2026-11-26', factMovedOut: 3, factSuperseded: 2 };
    expect(await run(cfg({ check: 'row_count', min: 1 }), [], { context })).toMatchObject({
      status: 'passed',
      rows_checked: 0,
      message: '5 rows delivered (0 here, 5 now in newer batches), within [1, ∞)',
    });
    expect(await run(cfg({ check: 'row_count', min: 8 }), [batch], { context })).toMatchObject({ status: 'passed', failing_rows: 0, message: '10 rows delivered (5 here, 5 now in newer batches), within [8, ∞)' });
    expect(await run(cfg({ check: 'row_count', min: 11 }), [batch], { context })).toMatchObject({ status: 'failed', failing_rows: 1 });
  });
});

describe('a column missing from the table', () => {
  it('fails the check with a message naming table and column, whatever the kind', async () => {
    const reference = referenceKeysOf('dim_customer', 'customer_key', [1]);
    for (const check of ['not_null', 'unique', 'relationships'] as const) {
      const c = cfg({ check, columns: ['customer_key', 'nope'], references: { table: 'dim_customer', column: 'customer_key' } });
      const r = await run(c, [batchOf([{ customer_key: 1 }], [{ name: 'customer_key', kind: 'int32' }])], { reference });
      expect(r).toMatchObject({ status: 'failed', failing_rows: 0, rows_checked: 0 });
      expect(r.message).toBe('fact_sales has no column "nope" (its columns: customer_key)');
    }
  });

  it('is caught from the table columns even when the partition has no rows', async () => {
    const r = await run(cfg({ check: 'not_null', columns: ['nope'] }), [], { tableColumns: ['a', 'b'] });
    expect(r).toMatchObject({ status: 'failed', message: 'fact_sales has no column "nope" (its columns: a, b)' });
  });
});

describe('sliced batches (Arrow data with an offset)', () => {
  it('read nulls, strings and numbers at the right rows', async () => {
    const data = rows(40, (i) => ({ transaction_id: i % 5 === 3 ? null : `T${i % 9}`, line: i % 6 === 1 ? null : i % 4 }));
    const whole = batchOf(data);
    const pieces = [whole.slice(0, 3), whole.slice(3, 11), whole.slice(11, 40)];
    const checks = [
      cfg({ check: 'not_null', columns: ['transaction_id', 'line'] }),
      cfg({ check: 'unique', columns: ['transaction_id', 'line'] }),
    ];
    const sliced = await runChecks(checks.map((c) => createCheck(c)), pieces);
    const plain = await runChecks(checks.map((c) => createCheck(c)), batchesOf(data, 40));
    expect(sliced).toEqual(plain);
    expect(sliced[0]!.failing_rows).toBe(data.filter((r) => r.transaction_id === null || r.line === null).length);
  });
});

describe('samples', () => {
  it('hold at most 10 rows, with JSON-safe values', async () => {
    const data = rows(50, (i) => ({ transaction_id: null, big_key: 2n ** 60n + BigInt(i), ts: Date.UTC(2026, 10, 26, 1, 2, 3), amount: Number.NaN }));
    const r = await run(cfg({ check: 'not_null', columns: ['transaction_id'] }), batchesOf(data, 7), { sampleColumns: ['big_key', 'ts', 'amount', 'absent'] });
    expect(r.failing_rows).toBe(50);
    expect(r.sample).toHaveLength(10);
    expect(r.sample[9]).toEqual({ _row: 9, transaction_id: null, big_key: (2n ** 60n + 9n).toString(), ts: '2026-11-26T01:02:03.000Z', amount: 'NaN' });
    expect(JSON.parse(JSON.stringify(r.sample))).toEqual(r.sample);
  });

  it('honour a smaller sampleLimit', async () => {
    const r = await run(cfg({ check: 'not_null', columns: ['line'] }), [batchOf(rows(5, () => ({})))], { sampleLimit: 2 });
    expect(r.sample).toHaveLength(2);
  });
});

describe('streaming', () => {
  it('gives the same result over many batches as over one', async () => {
    // Deterministic data with nulls, duplicates and unknown keys spread over the rows.
    const data = rows(1000, (i) => ({
      transaction_id: i % 97 === 0 ? null : `T${i % 613}`,
      store: `S${i % 7}`,
      line: i % 13,
      customer_key: i % 89 === 0 ? null : i % 41,
      big_key: BigInt(i % 17),
    }));
    const reference = referenceKeysOf('dim_customer', 'customer_key', Array.from({ length: 35 }, (_, i) => i));
    const checks = [
      cfg({ check: 'not_null', columns: ['transaction_id', 'customer_key'] }),
      cfg({ check: 'unique', columns: ['transaction_id'] }),
      cfg({ check: 'unique', columns: ['store', 'line', 'big_key'] }),
      cfg({ check: 'relationships', columns: ['customer_key'], references: { table: 'dim_customer', column: 'customer_key' } }),
      cfg({ check: 'row_count', min: 1, max: 999 }),
    ];
    const once = await runChecks(checks.map((c) => createCheck(c, { reference })), [batchOf(data)]);
    for (const size of [1, 7, 128, 999]) {
      const streamed = await runChecks(checks.map((c) => createCheck(c, { reference })), batchesOf(data, size));
      expect(streamed).toEqual(once);
    }
    // A plain-JS oracle over the same rows.
    const seen = new Set<unknown>();
    const dup = data.filter((r) => r.transaction_id !== null && (seen.has(r.transaction_id) || !seen.add(r.transaction_id))).length;
    expect(once.map((r) => r.failing_rows)).toEqual([
      data.filter((r) => r.transaction_id === null || r.customer_key === null).length,
      dup,
      0, // (i % 7, i % 13, i % 17) never repeats below 1547
      data.filter((r) => r.customer_key !== null && (r.customer_key as number) >= 35).length,
      1,
    ]);
    expect(once.map((r) => r.status)).toEqual(['failed', 'failed', 'passed', 'failed', 'failed']);
  });
});
