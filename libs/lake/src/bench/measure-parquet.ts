/**
 * One-off measurement of the Parquet codec: writes ROWS (default 10 M) transactions-like rows of
 * 10 columns through openParquetWriter into a local file in 128k-row batches, then reads them
 * back with readParquetFile. Prints rows/s for both and the peak RSS of each phase.
 *
 *   npx tsc -b tsconfig.build.json && node libs/lake/dist/bench/measure-parquet.js
 *
 * Env: ROWS (default 10000000), BATCH_ROWS (default 131072), BENCH_DIR (default os.tmpdir()),
 * KEEP=1 keeps the file.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import * as arrow from 'apache-arrow';
import { wasmMemory } from 'parquet-wasm';
import { countParquetRows, openParquetWriter, readParquetFile } from '../parquet';
import type { ParquetSink } from '../parquet';

const ROWS = Number(process.env.ROWS ?? 10_000_000);
const BATCH_ROWS = Number(process.env.BATCH_ROWS ?? 131_072);
const MB = 1024 * 1024;

const SCHEMA = new arrow.Schema([
  new arrow.Field('txn_id', new arrow.Int64(), false),
  new arrow.Field('occurred_at', new arrow.TimestampMillisecond('UTC'), false),
  new arrow.Field('store_code', new arrow.Utf8(), false),
  new arrow.Field('customer_id', new arrow.Int64(), true),
  new arrow.Field('sku', new arrow.Utf8(), false),
  new arrow.Field('quantity', new arrow.Int64(), false),
  new arrow.Field('unit_price', new arrow.Float64(), false),
  new arrow.Field('discount', new arrow.Float64(), true),
  new arrow.Field('amount', new arrow.Float64(), false),
  new arrow.Field('currency', new arrow.Utf8(), false),
]);

const encoder = new TextEncoder();
const pool = (n: number, name: (i: number) => string): Uint8Array[] => Array.from({ length: n }, (_, i) => encoder.encode(name(i)));
const STORES = pool(500, (i) => `ST-${String(i).padStart(4, '0')}`);
const SKUS = pool(50_000, (i) => `SKU-${String(i * 7919 % 1_000_000).padStart(6, '0')}`);
const CURRENCIES = pool(4, (i) => ['EUR', 'USD', 'GBP', 'CHF'][i]!);

// A fixed-seed xorshift keeps runs comparable and the data not trivially compressible.
let seed = 0x2545f491;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}

function utf8Column(length: number, pick: (i: number) => Uint8Array): arrow.Data<arrow.Utf8> {
  const offsets = new Int32Array(length + 1);
  const picked = new Array<Uint8Array>(length);
  for (let i = 0; i < length; i++) {
    picked[i] = pick(i);
    offsets[i + 1] = offsets[i]! + picked[i]!.length;
  }
  const data = new Uint8Array(offsets[length]!);
  for (let i = 0; i < length; i++) data.set(picked[i]!, offsets[i]!);
  return arrow.makeData({ type: new arrow.Utf8(), length, valueOffsets: offsets, data });
}

function nullsEvery(length: number, every: number): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(((length + 63) & ~63) >> 3).fill(0xff);
  let nullCount = 0;
  for (let i = 0; i < length; i += every) {
    nullBitmap[i >> 3]! &= ~(1 << (i & 7));
    nullCount++;
  }
  return { nullBitmap, nullCount };
}

function makeBatch(first: number, length: number): arrow.RecordBatch {
  const txn = new BigInt64Array(length);
  const at = new Float64Array(length);
  const customer = new BigInt64Array(length);
  const qty = new BigInt64Array(length);
  const price = new Float64Array(length);
  const discount = new Float64Array(length);
  const amount = new Float64Array(length);
  const start = Date.UTC(2026, 10, 26);
  for (let i = 0; i < length; i++) {
    txn[i] = BigInt(first + i);
    at[i] = start + Math.floor(((first + i) / ROWS) * 86_400_000);
    customer[i] = BigInt(Math.floor(random() * 2_000_000));
    qty[i] = BigInt(1 + Math.floor(random() * 5));
    price[i] = Math.round(random() * 20_000) / 100;
    discount[i] = random() < 0.2 ? Math.round(random() * 500) / 100 : 0;
    amount[i] = Number(qty[i]) * price[i]! - discount[i]!;
  }
  const children = [
    arrow.makeData({ type: new arrow.Int64(), length, data: txn }),
    // Arrow keeps timestamps as int64, so the ms go in as a BigInt64Array.
    arrow.makeData({ type: new arrow.TimestampMillisecond('UTC'), length, data: BigInt64Array.from(at, (v) => BigInt(v)) }),
    utf8Column(length, () => STORES[Math.floor(random() * STORES.length)]!),
    arrow.makeData({ type: new arrow.Int64(), length, data: customer, ...nullsEvery(length, 7) }),
    utf8Column(length, () => SKUS[Math.floor(random() * SKUS.length)]!),
    arrow.makeData({ type: new arrow.Int64(), length, data: qty }),
    arrow.makeData({ type: new arrow.Float64(), length, data: price }),
    arrow.makeData({ type: new arrow.Float64(), length, data: discount, ...nullsEvery(length, 11) }),
    arrow.makeData({ type: new arrow.Float64(), length, data: amount }),
    utf8Column(length, (i) => CURRENCIES[i % 97 === 0 ? 1 + (i % 3) : 0]!),
  ];
  return new arrow.RecordBatch(SCHEMA, arrow.makeData({ type: new arrow.Struct(SCHEMA.fields), length, nullCount: 0, children }));
}

/** Like local storage: a temp file renamed into place on success, removed on failure. */
function fileSink(path: string): ParquetSink {
  return async (body) => {
    const temp = `${path}.tmp`;
    const out = createWriteStream(temp);
    let bytes = 0;
    try {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      out.end();
      await finished(out);
    } catch (err) {
      out.destroy();
      await rm(temp, { force: true });
      throw err;
    }
    await rename(temp, path);
    return bytes;
  };
}

function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'measure-parquet-'));
  const path = join(dir, 'transactions.parquet');
  try {
    const baseline = process.memoryUsage().rss;

    let rss = sampleRss();
    let buildMs = 0;
    let t0 = performance.now();
    const writer = openParquetWriter(fileSink(path));
    for (let first = 0; first < ROWS; first += BATCH_ROWS) {
      const b0 = performance.now();
      const batch = makeBatch(first, Math.min(BATCH_ROWS, ROWS - first));
      buildMs += performance.now() - b0;
      await writer.write(batch);
    }
    const { rows: written, bytes } = await writer.close();
    const writeMs = performance.now() - t0;
    const writePeak = rss.stop();
    const wasmAfterWrite = wasmMemory().buffer.byteLength;

    rss = sampleRss();
    t0 = performance.now();
    let read = 0;
    let batches = 0;
    let total = 0;
    for await (const batch of readParquetFile(path)) {
      read += batch.numRows;
      batches++;
      // Touch values so the read is not just IPC bytes: sum one column through its typed array.
      for (const data of batch.getChild('amount')!.data) for (const v of data.values as Float64Array) total += v;
    }
    const readMs = performance.now() - t0;
    const readPeak = rss.stop();

    t0 = performance.now();
    let projected = 0;
    for await (const batch of readParquetFile(path, { columns: ['store_code', 'amount'] })) projected += batch.numRows;
    const projectedMs = performance.now() - t0;

    const summary = {
      rows: ROWS,
      batchRows: BATCH_ROWS,
      fileMB: +((await stat(path)).size / MB).toFixed(1),
      sinkBytes: bytes,
      footerRows: await countParquetRows(path),
      write: {
        rows: written,
        seconds: +(writeMs / 1000).toFixed(2),
        rowsPerSecond: Math.round(written / (writeMs / 1000)),
        buildBatchesSeconds: +(buildMs / 1000).toFixed(2),
        encodeRowsPerSecond: Math.round(written / ((writeMs - buildMs) / 1000)),
        peakRssMB: Math.round(writePeak / MB),
      },
      read: {
        rows: read,
        batches,
        seconds: +(readMs / 1000).toFixed(2),
        rowsPerSecond: Math.round(read / (readMs / 1000)),
        peakRssMB: Math.round(readPeak / MB),
        amountSum: Math.round(total),
      },
      readTwoColumns: { rows: projected, seconds: +(projectedMs / 1000).toFixed(2), rowsPerSecond: Math.round(projected / (projectedMs / 1000)) },
      baselineRssMB: Math.round(baseline / MB),
      wasmHeapMB: { afterWrite: Math.round(wasmAfterWrite / MB), end: Math.round(wasmMemory().buffer.byteLength / MB) },
      node: process.version,
    };
    console.log(JSON.stringify(summary, null, 2));
    if (read !== ROWS || written !== ROWS || projected !== ROWS) throw new Error(`row counts differ: wrote ${written}, read ${read}, projected ${projected}`);
  } finally {
    if (process.env.KEEP === '1') console.error(`kept ${path}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
