/**
 * `npm run bench:csv`: the byte CSV reader (CsvColumnParser) alone, over a generated sales CSV of
 * N rows (8 columns, a quoted field with a doubled quote in every 10th row, LF line ends) pushed
 * in 64 KiB chunks as the file stream delivers them. Prints rows/s and MB/s, the median of
 * BENCH_REPEATS runs, for the parser in this build, or in another build's dist given as
 * BENCH_CSV_MODULE (e.g. main's tasks/ingest/dist/files/csv-columns.js, for a before/after).
 *
 *   npm run bench:csv                                      # 1 M rows, 5 repeats
 *   BENCH_ROWS=1000000 BENCH_CSV_COMMENT='#' npm run bench:csv   # with the comment option set
 */
import path from 'node:path';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const MODULE = path.resolve(process.env.BENCH_CSV_MODULE ?? path.join(__dirname, '../files/csv-columns.js'));
const COMMENT = process.env.BENCH_CSV_COMMENT;
const COLUMNS = ['id', 'customer_id', 'product_id', 'quantity', 'unit_price', 'total_amount', 'note', 'transaction_timestamp'];

function makeCsv(rows: number): Buffer {
  const parts: string[] = [`${COLUMNS.join(',')}\n`];
  for (let i = 1; i <= rows; i++) {
    const note = i % 10 === 0 ? `"said ""hi"", left"` : 'plain';
    parts.push(`${i},CUST${String(i % 31623).padStart(6, '0')},PROD${String(i % 200).padStart(6, '0')},${1 + (i % 10)},${((i % 9000) / 100 + 1).toFixed(2)},${((i % 90000) / 100 + 1.5).toFixed(2)},${note},2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z\n`);
  }
  return Buffer.from(parts.join(''));
}

interface Parser {
  push(chunk: Buffer): { length: number }[];
  end(): { length: number }[];
}
type ParserClass = new (dialect: { delimiter: number; quote: number; comment?: number }, header: boolean, columns: readonly string[], batchSize: number, uri: string) => Parser;

function main(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CsvColumnParser } = require(MODULE) as { CsvColumnParser: ParserClass };
  const bytes = makeCsv(ROWS);
  const dialect = { delimiter: 0x2c, quote: 0x22, ...(COMMENT ? { comment: COMMENT.charCodeAt(0) } : {}) };
  const times: number[] = [];
  for (let run = 0; run < REPEATS; run++) {
    const parser = new CsvColumnParser(dialect, true, COLUMNS, 32_768, 'mem://bench.csv');
    const started = process.hrtime.bigint();
    let rows = 0;
    for (let p = 0; p < bytes.length; p += 65_536) for (const b of parser.push(bytes.subarray(p, p + 65_536))) rows += b.length;
    for (const b of parser.end()) rows += b.length;
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (rows !== ROWS) throw new Error(`read ${rows} rows of ${ROWS}`);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  console.log(
    JSON.stringify({ module: path.relative(process.cwd(), MODULE), rows: ROWS, mb: +(bytes.length / 1e6).toFixed(1), comment: COMMENT ?? null, seconds: +median.toFixed(3), rows_per_s: Math.round(ROWS / median), mb_per_s: +(bytes.length / 1e6 / median).toFixed(1), runs: times.map((t) => +t.toFixed(3)) }),
  );
}

main();
