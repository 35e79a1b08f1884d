/**
 * `npm run bench:lake`: writes then reads N rows of the sales transactions schema through the
 * lake (partition writer, manifest, partition reader) on a local folder, for 1 M and 10 M rows,
 * and prints rows/s and peak RSS for each. Each size runs in its own process so peak RSS is that
 * size's alone: flat RSS across sizes shows the lake streams by row groups.
 *
 *   npm run bench:lake                      # 1 M and 10 M
 *   BENCH_ROWS=2000000 npm run bench:lake   # one size
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { Lake } from '../lake';
import { LocalStorage } from '../storage/index';

const BATCH = 131_072;
const enc = new TextEncoder();

/** Utf8 column from a function of the row index, built straight into offsets and bytes (no per-row JS strings kept). */
function utf8(length: number, value: (i: number) => string): arrow.Data<arrow.Utf8> {
  const parts = new Array<Uint8Array>(length);
  const offsets = new Int32Array(length + 1);
  for (let i = 0; i < length; i++) {
    parts[i] = enc.encode(value(i));
    offsets[i + 1] = offsets[i]! + parts[i]!.length;
  }
  const data = new Uint8Array(offsets[length]!);
  for (let i = 0; i < length; i++) data.set(parts[i]!, offsets[i]!);
  return arrow.makeData({ type: new arrow.Utf8(), length, valueOffsets: offsets, data });
}

function num<T extends arrow.Int32 | arrow.Float64 | arrow.TimestampMillisecond>(type: T, values: Int32Array | Float64Array): arrow.Data<T> {
  return arrow.makeData({ type, length: values.length, data: values } as never) as unknown as arrow.Data<T>;
}

/** One batch of transactions, deterministic from the first row number. */
function transactions(first: number, length: number): arrow.RecordBatch {
  const qty = new Int32Array(length);
  const price = new Float64Array(length);
  const discount = new Float64Array(length);
  const tax = new Float64Array(length);
  const total = new Float64Array(length);
  const ts = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const n = first + i;
    qty[i] = 1 + (n % 10);
    price[i] = Math.round(((n * 7919) % 100_000) + 99) / 100;
    discount[i] = [0, 0, 0, 0.05, 0.1][n % 5]!;
    const net = qty[i]! * price[i]! * (1 - discount[i]!);
    tax[i] = Math.round(net * 8) / 100;
    total[i] = Math.round((net + tax[i]!) * 100) / 100;
    ts[i] = Date.UTC(2025, 10, 26) + ((n * 104_729) % (365 * 86_400)) * 1000;
  }
  const children = [
    utf8(length, (i) => `TXN${String(first + i + 1).padStart(8, '0')}`),
    utf8(length, (i) => `CUST${String(((first + i) * 31) % 100_000 + 1).padStart(6, '0')}`),
    utf8(length, (i) => `PROD${String(((first + i) * 17) % 200 + 1).padStart(6, '0')}`),
    utf8(length, (i) => `LOC${String(((first + i) * 13) % 50 + 1).padStart(4, '0')}`),
    num(new arrow.Int32(), qty),
    num(new arrow.Float64(), price),
    num(new arrow.Float64(), discount),
    num(new arrow.Float64(), tax),
    num(new arrow.Float64(), total),
    num(new arrow.TimestampMillisecond('UTC'), ts),
  ];
  const fields = ['transaction_id', 'customer_id', 'product_id', 'location_id', 'quantity', 'unit_price', 'discount', 'tax_amount', 'total_amount', 'transaction_timestamp'].map(
    (name, i) => new arrow.Field(name, children[i]!.type, false),
  );
  return new arrow.RecordBatch(new arrow.Schema(fields), arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children }));
}

async function measure(rows: number): Promise<void> {
  const dir = await mkdtemp(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'bench-lake-'));
  const lake = new Lake(new LocalStorage(dir), { rowGroupSize: BATCH });
  try {
    // Only time spent inside the lake counts: generating the test data is not the lake's cost.
    let writeMs = 0;
    const w = lake.openPartition({ dataset: 'processed/sales_transactions', ds: '2026-11-26', step: 'bench', runId: 'bench' });
    for (let first = 0; first < rows; first += BATCH) {
      const batch = transactions(first, Math.min(BATCH, rows - first));
      const t0 = performance.now();
      await w.write(batch);
      writeMs += performance.now() - t0;
    }
    const t1 = performance.now();
    const m = await w.commit();
    writeMs += performance.now() - t1;
    const writeS = Math.round(writeMs) / 1000;
    const writeRss = process.resourceUsage().maxRSS / 1024;
    const t = Date.now();
    let read = 0;
    let sum = 0;
    for await (const b of lake.readPartition('processed/sales_transactions', '2026-11-26', 'bench')) {
      read += b.numRows;
      const q = b.getChild('quantity')!.data[0]!.values as Int32Array;
      for (let i = 0; i < q.length; i++) sum += q[i]!;
    }
    const readS = (Date.now() - t) / 1000;
    if (read !== rows) throw new Error(`read ${read} rows, wrote ${rows}`);
    const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
    process.stdout.write(
      JSON.stringify({
        rows,
        files: m.files.length,
        mb: Math.round(bytes / 1048576),
        write_rows_per_s: Math.round(rows / writeS),
        write_s: writeS,
        read_rows_per_s: Math.round(rows / readS),
        read_s: readS,
        peak_rss_mb_after_write: Math.round(writeRss),
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        checksum: sum,
      }) + '\n',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const child = process.argv[2];
  if (child) return measure(Number(child));
  const sizes = process.env.BENCH_ROWS ? [Number(process.env.BENCH_ROWS)] : [1_000_000, 10_000_000];
  process.stdout.write(`lake bench: local folder, transactions schema (10 columns), ${BATCH}-row batches, one process per size\n`);
  for (const rows of sizes) {
    const r = spawnSync(process.execPath, [__filename, String(rows)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench for ${rows} rows failed with exit ${r.status}`);
    const j = JSON.parse(r.stdout.trim()) as Record<string, number>;
    process.stdout.write(
      `${String(rows).padStart(10)} rows  write ${String(j.write_rows_per_s).padStart(9)} rows/s (${j.write_s} s, ${j.mb} MB in ${j.files} files)  ` +
        `read ${String(j.read_rows_per_s).padStart(9)} rows/s (${j.read_s} s)  peak RSS ${j.peak_rss_mb} MB\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
