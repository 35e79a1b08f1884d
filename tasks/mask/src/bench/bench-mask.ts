/**
 * One-off measurement (not a test) of masking in memory: masks 1 M customer-like rows with the
 * demo's five rules (tokenize x2 with the vault collector sealing originals, email, pattern,
 * hmac) through maskBatchColumns, then runs the PII scan over the output, batch by batch as the
 * step does, and prints rows/s and peak RSS. Building the input batches is timed apart.
 * `npm run bench:mask` measures the real step programs on 10 M transactions and 1 M customers.
 *
 *   npx tsc -b tasks/mask && node tasks/mask/dist/bench/bench-mask.js [rows] [batchSize]
 */
import * as arrow from 'apache-arrow';
import { schemaOf, type ColumnDef } from '@salesflow/batches';
import { createMaskCounts, createMaskKey, maskBatchColumns, parseVaultKey, TokenVaultCollector, type MaskRules } from '@salesflow/masking';
import { PiiScanner } from '@salesflow/pii-scan';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BATCH = Number(process.argv[3] ?? 65_536);

const columns: ColumnDef[] = [
  'customer_id', 'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'state', 'zip_code', 'country', '_source', '_run_id', '_row_hash',
].map((name) => ({ name, kind: 'string' as const }));
const schema = schemaOf([...columns.slice(0, 11), { name: '_ingested_at', kind: 'timestamp' }, ...columns.slice(11)]);

const rules: MaskRules = {
  first_name: { method: 'tokenize' },
  last_name: { method: 'tokenize' },
  email: { method: 'email' },
  phone: { method: 'pattern', pattern: 'XXX-XXX-####' },
  address: { method: 'hmac' },
};

const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez'];

/** Builds a Utf8 column from strings straight into Arrow buffers (BatchBuilder is too slow for a bench input). */
function utf8Column(values: readonly string[]): arrow.Data<arrow.Utf8> {
  const bytes = values.map((v) => Buffer.from(v, 'utf8'));
  const offsets = new Int32Array(values.length + 1);
  bytes.forEach((b, i) => (offsets[i + 1] = offsets[i]! + b.length));
  return arrow.makeData({ type: new arrow.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(bytes) });
}

function makeBatch(start: number, n: number): arrow.RecordBatch {
  const rows = Array.from({ length: n }, (_, k) => {
    const i = start + k;
    // About 1,000 distinct first and last names, as in real customer data; emails, phones and addresses unique.
    const first = `${FIRST[i % FIRST.length]}${i % 71}`;
    const last = `${LAST[(i * 7) % LAST.length]}${i % 83}`;
    return [
      `CUST-${i}`, first, last, `${first}.${last}.${i}@Example${i % 5}.com`,
      `(${200 + (i % 800)}) ${String(Math.floor(i / 10000) % 1000).padStart(3, '0')} ${String(i % 10000).padStart(4, '0')}`,
      `${i} Main Street Apt ${i % 97}`, 'Springfield', 'IL', '62701', 'US', 'landing', 'run-1', `h${i}`,
    ];
  });
  const children: arrow.Data[] = columns.map((_, c) => utf8Column(rows.map((r) => r[c]!)));
  const ingested = arrow.makeData({ type: new arrow.TimestampMillisecond('UTC'), length: n, nullCount: 0, data: new BigInt64Array(n).fill(BigInt(Date.UTC(2026, 10, 26))) });
  children.splice(11, 0, ingested);
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }));
}

function main(): void {
  const key = createMaskKey('bench-key-0123456789abcdefghij', 'bench');
  const counts = createMaskCounts();
  const vault = new TokenVaultCollector('customers', parseVaultKey('42'.repeat(32), 'bench'));
  const scanner = new PiiScanner('customers', { detectors: ['email', 'phone', 'card', 'ssn'], sensitiveColumns: [], safeColumns: [], maskedColumns: Object.keys(rules), sampleRows: 100_000 }, { expectedRows: ROWS });
  let buildMs = 0;
  let maskMs = 0;
  let scanMs = 0;
  let out = 0;
  for (let start = 0; start < ROWS; start += BATCH) {
    let t = performance.now();
    const batch = makeBatch(start, Math.min(BATCH, ROWS - start));
    buildMs += performance.now() - t;
    t = performance.now();
    const masked = maskBatchColumns(batch, rules, { hmac: key }, { counts, tokens: vault });
    for (const c of vault.columns) vault.take(c);
    out += masked.numRows;
    maskMs += performance.now() - t;
    t = performance.now();
    scanner.scan(masked);
    scanMs += performance.now() - t;
  }
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  const line = {
    rows: out,
    batch_size: BATCH,
    masked_columns: Object.keys(rules).length,
    mask_seconds: +(maskMs / 1000).toFixed(2),
    rows_per_second: Math.round(out / (maskMs / 1000)),
    pii_scan_seconds: +(scanMs / 1000).toFixed(2),
    pii_rows_sampled: scanner.result().rowsSampled,
    vault_tokens: vault.columns.reduce((n, c) => n + vault.distinct(c), 0),
    build_input_seconds: +(buildMs / 1000).toFixed(2),
    peak_rss_mb: rss,
    node: process.version,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

main();
