import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { BadInputError } from '@salesflow/errors';
import { encodeParquet } from './encode-parquet';
import { countParquetRows, readParquetFile, readParquetSchema } from './read-parquet';
import { describeOnEachThread } from './thread-modes.test-util';

const SCHEMA = new arrow.Schema([
  new arrow.Field('name', new arrow.Utf8(), true),
  new arrow.Field('qty', new arrow.Int32(), true),
  new arrow.Field('id', new arrow.Int64(), true),
  new arrow.Field('amount', new arrow.Float64(), true),
  new arrow.Field('paid', new arrow.Bool(), true),
  new arrow.Field('day', new arrow.DateDay(), true),
  new arrow.Field('at', new arrow.TimestampMillisecond('UTC'), true),
  new arrow.Field('store', new arrow.Int32(), false),
]);

const DAY = 86_400_000;
const ROWS = [
  { name: 'ü-ß €', qty: 1, id: 9_007_199_254_740_993n, amount: 12.5, paid: true, day: 20_418 * DAY, at: Date.UTC(2025, 10, 26, 23, 59, 59, 123), store: 7 },
  { name: null, qty: null, id: null, amount: null, paid: null, day: null, at: null, store: 8 },
  { name: '', qty: -2_147_483_648, id: -(2n ** 63n), amount: -0.1, paid: false, day: 0, at: 0, store: 9 },
];

function batchOf(schema: arrow.Schema, rows: readonly Record<string, unknown>[]): arrow.RecordBatch {
  const children = schema.fields.map((f) => arrow.vectorFromArray(rows.map((r) => r[f.name]), f.type).data[0]!);
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(bytes: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of bytes) chunks.push(c);
  return Buffer.concat(chunks);
}

async function readAll(path: string): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = [];
  for await (const b of readParquetFile(path)) batches.push(b);
  return new arrow.Table(batches);
}

describeOnEachThread(() => {
  describe('encodeParquet', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'encode-parquet-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('round-trips every supported type with nulls, keeping types and nullability', async () => {
      const path = join(dir, 'types.parquet');
      await writeFile(path, await collect(encodeParquet(iterate([batchOf(SCHEMA, ROWS), batchOf(SCHEMA, ROWS.slice(0, 1))]), { compression: 'snappy' })));

      const table = await readAll(path);
      expect(table.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
        ['name', 'Utf8', true],
        ['qty', 'Int32', true],
        ['id', 'Int64', true],
        ['amount', 'Float64', true],
        ['paid', 'Bool', true],
        ['day', 'Date32<DAY>', true],
        ['at', 'Timestamp<MILLISECOND, UTC>', true],
        ['store', 'Int32', false],
      ]);
      expect(table.toArray().map((r) => r.toJSON())).toEqual([...ROWS, ROWS[0]]);
      // Dates and timestamps come back as epoch milliseconds, not Date objects.
      expect(typeof table.getChild('at')!.get(0)).toBe('number');
      expect(typeof table.getChild('id')!.get(0)).toBe('bigint');
      expect(table.getChild('day')!.data[0]!.values[0]).toBe(20_418);
    });

    it('decodes dictionary strings to plain Utf8 when read back, even with a different dictionary per batch', async () => {
      const path = join(dir, 'dict.parquet');
      const first = arrow.tableFromArrays({ k: ['a', 'b', 'a'] }).batches[0]!;
      const second = new arrow.RecordBatch(first.schema, arrow.tableFromArrays({ k: ['zz', 'a'] }).batches[0]!.data);
      expect(arrow.DataType.isDictionary(first.schema.fields[0]!.type)).toBe(true);
      await writeFile(path, await collect(encodeParquet(iterate([first, second]))));

      const table = await readAll(path);
      expect(String(table.schema.fields[0]!.type)).toBe('Utf8');
      expect(String((await readParquetSchema(path)).fields[0]!.type)).toBe('Utf8');
      expect(table.getChild('k')!.toArray()).toEqual(['a', 'b', 'a', 'zz', 'a']);
    });

    it('writes a readable empty file with the given schema when there are no batches', async () => {
      const path = join(dir, 'empty.parquet');
      await writeFile(path, await collect(encodeParquet(iterate([]), { schema: SCHEMA })));

      expect(await countParquetRows(path)).toBe(0);
      expect((await readParquetSchema(path)).fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual(
        SCHEMA.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
      );
      expect((await readAll(path)).numRows).toBe(0);
    });

    it('writes an empty file with the schema of empty batches', async () => {
      const path = join(dir, 'empty-batches.parquet');
      await writeFile(path, await collect(encodeParquet(iterate([batchOf(SCHEMA, [])]))));
      expect(await countParquetRows(path)).toBe(0);
      expect((await readParquetSchema(path)).fields.map((f) => f.name)).toEqual(SCHEMA.fields.map((f) => f.name));
    });

    it('throws without batches and without a schema', async () => {
      await expect(collect(encodeParquet(iterate([])))).rejects.toThrow(/no batches and no schema/);
    });

    it('rejects a batch whose field type differs, naming the field', async () => {
      const other = new arrow.Schema(SCHEMA.fields.map((f) => (f.name === 'amount' ? f.clone({ type: new arrow.Float32() }) : f)));
      const bytes = encodeParquet(iterate([batchOf(SCHEMA, ROWS), batchOf(other, ROWS)]));
      const err: unknown = await collect(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadInputError);
      expect((err as Error).message).toMatch(/batch 1 .*field "amount" is Float32 where the schema has Float64/);
      expect((err as BadInputError).context).toMatchObject({ batch: 1, field: 'amount' });
    });

    it('rejects a batch with a renamed or missing field, naming it', async () => {
      const renamed = new arrow.Schema(SCHEMA.fields.map((f) => (f.name === 'qty' ? f.clone({ name: 'quantity' }) : f)));
      await expect(collect(encodeParquet(iterate([batchOf(SCHEMA, ROWS), batchOf(renamed, ROWS)])))).rejects.toThrow(
        /field 1 is "quantity" where the schema has "qty"/,
      );
      const fewer = new arrow.Schema(SCHEMA.fields.slice(0, -1));
      await expect(collect(encodeParquet(iterate([batchOf(fewer, ROWS)]), { schema: SCHEMA }))).rejects.toThrow(/field "store" is missing/);
    });

    it('rejects nulls in a non-nullable field but accepts a nullable-labelled batch without nulls', async () => {
      const loose = new arrow.Schema(SCHEMA.fields.map((f) => f.clone({ nullable: true })));
      const path = join(dir, 'loose.parquet');
      await writeFile(path, await collect(encodeParquet(iterate([batchOf(loose, ROWS)]), { schema: SCHEMA })));
      expect((await readParquetSchema(path)).fields.find((f) => f.name === 'store')!.nullable).toBe(false);

      const withNull = batchOf(loose, [{ ...ROWS[0], store: null }]);
      await expect(collect(encodeParquet(iterate([withNull]), { schema: SCHEMA }))).rejects.toThrow(/null\(s\) in field "store"/);
    });

    it('fails the byte stream when the input fails, instead of ending a valid but truncated file', async () => {
      async function* failing(): AsyncGenerator<arrow.RecordBatch> {
        yield batchOf(SCHEMA, ROWS);
        throw new Error('source connection lost');
      }
      // rowGroupSize 1 makes the first batch reach the encoder before the input fails.
      await expect(collect(encodeParquet(failing(), { rowGroupSize: 1 }))).rejects.toThrow('source connection lost');
    });

    it('stops pulling the input when the consumer stops early', async () => {
      let pulled = 0;
      let finalized = false;
      async function* endless(): AsyncGenerator<arrow.RecordBatch> {
        try {
          for (;;) {
            pulled++;
            yield batchOf(SCHEMA, ROWS);
          }
        } finally {
          finalized = true;
        }
      }
      for await (const chunk of encodeParquet(endless(), { rowGroupSize: 3 })) {
        expect(chunk.byteLength).toBeGreaterThan(0);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(finalized).toBe(true);
      const after = pulled;
      await new Promise((r) => setTimeout(r, 50));
      expect(pulled).toBe(after);
    });

    it('rejects a bad rowGroupSize', async () => {
      await expect(collect(encodeParquet(iterate([batchOf(SCHEMA, ROWS)]), { rowGroupSize: 0 }))).rejects.toThrow(RangeError);
    });
  });
});
