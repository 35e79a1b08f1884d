import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as arrow from 'apache-arrow';
import { encodeParquet } from './encode-parquet';
import { readParquetFile } from './read-parquet';

const SCHEMA = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false), new arrow.Field('name', new arrow.Utf8(), true)]);

function batch(from: number, rows: number): arrow.RecordBatch {
  const ids = Int32Array.from({ length: rows }, (_, i) => from + i);
  const names = arrow.vectorFromArray(Array.from(ids, (id) => (id % 7 === 0 ? null : `name-${id}`)), new arrow.Utf8());
  return new arrow.RecordBatch(SCHEMA, arrow.makeData({ type: new arrow.Struct(SCHEMA.fields), length: rows, nullCount: 0, children: [arrow.makeData({ type: new arrow.Int32(), length: rows, nullCount: 0, data: ids }), names.data[0]!] }));
}

async function* batches(count: number, rows: number): AsyncGenerator<arrow.RecordBatch> {
  for (let i = 0; i < count; i++) yield batch(i * rows, rows);
}

async function write(path: string, bytes: AsyncIterable<Uint8Array>): Promise<void> {
  const chunks: Uint8Array[] = [];
  for await (const c of bytes) chunks.push(c);
  await writeFile(path, Buffer.concat(chunks));
}

async function idsAndNames(path: string, thread: 'worker' | 'inline'): Promise<{ rows: number; sum: number; nulls: number; last: string | null }> {
  let rows = 0;
  let sum = 0;
  let nulls = 0;
  let last: string | null = null;
  for await (const b of readParquetFile(path, { thread, batchSize: 10_000 })) {
    const ids = b.getChild('id')!;
    const names = b.getChild('name')!;
    for (let i = 0; i < b.numRows; i++) {
      sum += ids.get(i) as number;
      const name = names.get(i) as string | null;
      if (name === null) nulls++;
      else last = name;
    }
    rows += b.numRows;
  }
  return { rows, sum, nulls, last };
}

describe('the Parquet worker thread', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'parquet-thread-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes files that the calling thread reads back the same, and reads what it wrote', async () => {
    const onWorker = join(dir, 'worker.parquet');
    const inline = join(dir, 'inline.parquet');
    await write(onWorker, encodeParquet(batches(12, 25_000), { thread: 'worker', rowGroupSize: 100_000 }));
    await write(inline, encodeParquet(batches(12, 25_000), { thread: 'inline', rowGroupSize: 100_000 }));
    const n = 300_000;
    // Every 7th name is null, the last row's (299999) included.
    const expected = { rows: n, sum: (n * (n - 1)) / 2, nulls: Math.ceil(n / 7), last: `name-${n - 2}` };
    expect(await idsAndNames(onWorker, 'inline')).toEqual(expected);
    expect(await idsAndNames(inline, 'worker')).toEqual(expected);
    expect(await idsAndNames(onWorker, 'worker')).toEqual(expected);
  });

  it('serves several files being written and read at once, each with its own rows', async () => {
    const files = Array.from({ length: 6 }, (_, i) => join(dir, `f${i}.parquet`));
    await Promise.all(files.map((f, i) => write(f, encodeParquet(batches(i + 1, 10_000), { thread: 'worker', rowGroupSize: 20_000 }))));
    const read = await Promise.all(files.map((f) => idsAndNames(f, 'worker')));
    expect(read.map((r) => r.rows)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it('names the file when a data page cannot be decoded', async () => {
    const path = join(dir, 'damaged.parquet');
    await write(path, encodeParquet(batches(4, 50_000), { thread: 'worker', compression: 'zstd' }));
    const bytes = await readFile(path);
    // Overwrites the middle of the first column chunk; the footer at the end stays readable.
    bytes.fill(0xab, 2_000, 60_000);
    await writeFile(path, bytes);
    await expect(idsAndNames(path, 'worker')).rejects.toThrow(`${path} could not be read`);
  });

  it('does not keep a process alive when a writer is left open, as a step that failed would', () => {
    const lake = resolve(__dirname, '../../dist/index.js');
    const script = `
      const arrow = require(${JSON.stringify(require.resolve('apache-arrow'))});
      const { openParquetWriter } = require(${JSON.stringify(lake)});
      const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false)]);
      const data = arrow.makeData({ type: new arrow.Int32(), length: 3, nullCount: 0, data: Int32Array.of(1, 2, 3) });
      const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 3, nullCount: 0, children: [data] }));
      const writer = openParquetWriter(async (body) => { let n = 0; for await (const c of body) n += c.byteLength; return n; });
      writer.write(batch).then(() => console.log('written, never closed'));
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('written, never closed');
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
