/**
 * Parquet encoding on the worker thread. The thread runs the compiled script
 * (libs/lake/dist/parquet/parquet-encoder-thread.js), so `npm run build` must have run first,
 * as `npm test` does.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { BadInputError } from '@salesflow/errors';
import { encodeParquet } from './encode-parquet';
import { readParquetFile } from './read-parquet';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const SCRIPT = path.resolve(__dirname, '../../dist/parquet/parquet-encoder-thread.js');
const SCHEMA = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('code', new arrow.Utf8(), true),
  new arrow.Field('amount', new arrow.Float64(), true),
]);

/** Batches of `size` rows numbered from `from`; every seventh code is null. */
function batchOf(from: number, size: number): arrow.RecordBatch {
  const ids = BigInt64Array.from({ length: size }, (_v, i) => BigInt(from + i));
  const codes = Array.from({ length: size }, (_v, i) => ((from + i) % 7 === 0 ? null : `c${(from + i) % 500}`));
  const amounts = Float64Array.from({ length: size }, (_v, i) => (from + i) / 4);
  return new arrow.RecordBatch({ id: arrow.makeVector(ids), code: arrow.vectorFromArray(codes, new arrow.Utf8()), amount: arrow.makeVector(amounts) });
}

function batches(rows: number, size: number): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (let at = 0; at < rows; at += size) out.push(conform(batchOf(at, Math.min(size, rows - at))));
  return out;
}
const conform = (b: arrow.RecordBatch) => new arrow.RecordBatch(SCHEMA, b.data);

async function* iterate<T>(items: readonly T[], failAt = -1): AsyncGenerator<T> {
  for (const [i, item] of items.entries()) {
    if (i === failAt) throw new Error('the source failed');
    yield item;
  }
}

async function collect(bytes: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of bytes) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('encodeParquet on a worker thread', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run npm run build first`);
    dir = await mkdtemp(path.join(tmpdir(), 'encode-thread-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same file as encoding on the calling thread, row groups and all', async () => {
    const input = batches(25_000, 3_000);
    const here = await collect(encodeParquet(iterate(input), { rowGroupSize: 10_000, threadScript: false }));
    const there = await collect(encodeParquet(iterate(input), { rowGroupSize: 10_000, threadScript: SCRIPT }));
    expect(there.equals(here)).toBe(true);
    const file = path.join(dir, 'thread.parquet');
    await writeFile(file, there);
    let rows = 0;
    let groups = 0;
    for await (const b of readParquetFile(file)) {
      rows += b.numRows;
      groups++;
    }
    expect([rows, groups > 1]).toEqual([25_000, true]);
  });

  it('fails the byte stream when the input fails mid-file', async () => {
    await expect(collect(encodeParquet(iterate(batches(40_000, 2_000), 12), { rowGroupSize: 10_000, threadScript: SCRIPT }))).rejects.toThrow('the source failed');
  });

  it('rejects a batch that does not fit the schema, naming the field', async () => {
    const bad = new arrow.RecordBatch({ id: arrow.makeVector(Int32Array.from([1])), code: arrow.vectorFromArray(['x']), amount: arrow.makeVector(Float64Array.from([1])) });
    const input = [...batches(20_000, 5_000), bad];
    const err = await collect(encodeParquet(iterate(input), { rowGroupSize: 10_000, threadScript: SCRIPT })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(/field "id" is Int32 where the schema has Int64/);
  });

  it('ends the thread and stops pulling the input when the consumer stops early', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<arrow.RecordBatch> {
      for (const b of batches(200_000, 5_000)) {
        pulled++;
        yield b;
      }
    }
    for await (const chunk of encodeParquet(counted(), { rowGroupSize: 10_000, threadScript: SCRIPT })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const at = pulled;
    await new Promise((r) => setTimeout(r, 200));
    expect(pulled).toBe(at);
    expect(pulled).toBeLessThan(40);
  });
});
