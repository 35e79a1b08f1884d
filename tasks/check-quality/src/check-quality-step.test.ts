import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { ExitCode } from '@salesflow/errors';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';
import { readConfig } from '@salesflow/config';
import { createLogger, silentLogger } from '@salesflow/logging';
import { executeStep } from '@salesflow/step';
import { checkQualityStep, qualityReportKey } from './check-quality-step';
import type { QualityReport } from './quality-report';
import { profilesKey, type ProfilesDocument } from './profile';

const DS = '2026-11-26';
const REPO = path.resolve(__dirname, '../../..');

const TABLES: Record<string, ColumnDef[]> = {
  dim_customer: [
    { name: 'customer_key', kind: 'int32' },
    { name: 'customer_id', kind: 'string' },
    { name: 'city', kind: 'string' },
    { name: 'valid_from', kind: 'date' },
  ],
  dim_product: [
    { name: 'product_key', kind: 'int32' },
    { name: 'product_id', kind: 'string' },
    { name: 'unit_price', kind: 'float64' },
  ],
  dim_location: [
    { name: 'location_key', kind: 'int32' },
    { name: 'location_id', kind: 'string' },
    { name: 'region', kind: 'string' },
  ],
  dim_date: [
    { name: 'date_key', kind: 'int32' },
    { name: 'full_date', kind: 'date' },
  ],
  fact_sales: [
    { name: 'transaction_id', kind: 'string' },
    { name: 'date_key', kind: 'int32' },
    { name: 'customer_key', kind: 'int32' },
    { name: 'product_key', kind: 'int32' },
    { name: 'location_key', kind: 'int32' },
    { name: 'quantity', kind: 'int32' },
    { name: 'total_amount', kind: 'float64' },
    { name: 'transaction_timestamp', kind: 'timestamp' },
    { name: 'batch_ds', kind: 'string' },
  ],
};

type Row = Record<string, unknown>;

function goodData(): Record<string, Row[]> {
  const dim = (key: string, id: string, n: number, prefix: string, extra: (i: number) => Row = () => ({})) => [
    { [key]: -1, [id]: 'UNKNOWN' },
    ...Array.from({ length: n }, (_, i) => ({ [key]: i + 1, [id]: `${prefix}${i + 1}`, ...extra(i) })),
  ];
  return {
    dim_customer: dim('customer_key', 'customer_id', 5, 'CUST', (i) => ({ city: `City${i}`, valid_from: Date.UTC(2026, 10, 1) })),
    dim_product: dim('product_key', 'product_id', 3, 'PROD', (i) => ({ unit_price: 10 + i })),
    dim_location: dim('location_key', 'location_id', 2, 'LOC', (i) => ({ region: ['West', 'Midwest'][i] })),
    dim_date: [{ date_key: -1 }, { date_key: 20261126, full_date: Date.UTC(2026, 10, 26) }],
    fact_sales: Array.from({ length: 300 }, (_, i) => ({
      transaction_id: `TXN${String(i + 1).padStart(8, '0')}`,
      date_key: 20261126,
      customer_key: (i % 5) + 1,
      product_key: (i % 3) + 1,
      location_key: i % 7 === 0 ? -1 : (i % 2) + 1,
      quantity: 1,
      total_amount: 9.99,
      transaction_timestamp: Date.UTC(2026, 10, 26, 10, 0, i % 60),
      batch_ds: DS,
    })),
  };
}

/** The demo config with the lake in the temp folder and, optionally, other quality checks. */
function writeConfig(dir: string, checksYaml?: string): string {
  let text = readFileSync(path.join(REPO, 'config/demo_config.yaml'), 'utf8').replace('${LAKE_ROOT:-.demo/lake}', path.join(dir, 'lake'));
  if (checksYaml) text = text.replace(/\nquality:\n(?: {2}#.*\n)* {2}checks:\n(?: {4}(?:- |#).*\n)+/, `\nquality:\n  checks:\n${checksYaml}`);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

async function writeCurated(lake: Lake, data: Record<string, Row[]>): Promise<void> {
  for (const [table, rows] of Object.entries(data)) {
    const b = new BatchBuilder(TABLES[table]!);
    const w = lake.openPartition({ dataset: datasets.curated(table), ds: DS, step: 'build-star-schema', runId: 'test', schema: b.schema });
    // Two batches, so the checks see the partition as a stream.
    const half = Math.ceil(rows.length / 2);
    for (const part of [rows.slice(0, half), rows.slice(half)]) {
      part.forEach((r) => b.appendObject(r));
      await w.write(b.finish());
    }
    await w.commit();
  }
}

/** The run reports of the steps before, as they would be for goodData(): 300 transactions all the way. */
async function writeRunReports(lake: Lake, factRows = 300): Promise<void> {
  const uri = (dataset: string) => lake.partitionUri(dataset, DS);
  const ok = { status: 'success', ds: DS };
  await lake.writeJson(datasets.runReportKey(DS, 'ingest', 'landing'), {
    ...ok,
    step: 'ingest',
    rows_in: 302,
    rows_out: 302,
    outputs: [{ uri: uri(datasets.raw('files', 'landing', 'sales_transactions')), rows: 302 }],
  });
  await lake.writeJson(datasets.runReportKey(DS, 'standardize'), {
    ...ok,
    step: 'standardize',
    rows_in: 302,
    rows_out: 300,
    rows_rejected: 1,
    rows_dropped: 1,
    metrics: { entities: { sales_transactions: { rowsIn: 302, rowsOut: 300, rejected: 1, duplicates: 1 } } },
  });
  await lake.writeJson(datasets.runReportKey(DS, 'mask'), { ...ok, step: 'mask', rows_in: 300, rows_out: 300, metrics: { entities: { sales_transactions: { rows: 300 } } } });
  await lake.writeJson(datasets.runReportKey(DS, 'build-star-schema'), {
    ...ok,
    step: 'build-star-schema',
    rows_in: 300,
    rows_out: 300,
    outputs: [{ uri: uri(datasets.curated('fact_sales')), rows: factRows }],
    metrics: { unknown_members: { location_key: 43 } },
  });
}

describe('check-quality step', () => {
  let dir: string;
  let lake: Lake;
  let logs: Array<{ level: string; msg: string; check?: string }>;
  let printed: string[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'check-quality-'));
    lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
    logs = [];
    printed = [];
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runStep(config: string) {
    const code = await executeStep(checkQualityStep, {
      argv: ['--config', config, '--ds', DS, '--run-id', 'run-1'],
      print: (l) => printed.push(l),
      log: createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(JSON.parse(l)) }),
      xcomDir: path.join(dir, 'no-xcom'),
    });
    const report = await lake.readJson<QualityReport>(qualityReportKey(DS));
    return { code, report: report!, summary: JSON.parse(printed.at(-1)!) as Record<string, unknown> };
  }

  it('passes the demo checks on good data and writes the report', async () => {
    await writeCurated(lake, goodData());
    await writeRunReports(lake);
    const { code, report, summary } = await runStep(writeConfig(dir));
    expect(report.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    expect(code).toBe(ExitCode.ok);
    expect(report).toMatchObject({ ds: DS, run_id: 'run-1', status: 'passed', summary: { passed: 21, failed: 0, warned: 0 } });
    expect(report.checks.map((c) => c.name)).toEqual([
      'fact_sales.not_null(transaction_id,date_key,customer_key,product_key,location_key,total_amount)',
      'fact_sales.unique(transaction_id)',
      'fact_sales.relationships(customer_key->dim_customer.customer_key)',
      'fact_sales.relationships(product_key->dim_product.product_key)',
      'fact_sales.relationships(location_key->dim_location.location_key)',
      'fact_sales.relationships(date_key->dim_date.date_key)',
      'fact_sales.row_count(min=1)',
      'dim_customer.unique(customer_id,valid_from)',
      'dim_customer.unique(customer_key)',
      'dim_product.unique(product_key)',
      'dim_location.unique(location_key)',
      'dim_date.unique(date_key)',
      'fact_sales.range(quantity,min=1,max=1000)',
      'fact_sales.range(total_amount,min=0)',
      'fact_sales.regex(transaction_id)',
      'fact_sales.freshness(transaction_timestamp,max_age_hours=48)',
      'fact_sales.row_count_change(max_drop_pct=50,max_growth_pct=300)',
      'fact_sales.reconciliation()',
      'dim_customer.pii_scan()',
      'fact_sales.pii_scan()',
      'dim_location.accepted_values(region)',
    ]);
    expect(report.checks.find((c) => c.table === 'fact_sales')!.rows_checked).toBe(300);
    expect(report.checks.find((c) => c.check === 'reconciliation')!.message).toBe('9 row balances hold across ingest, standardize, mask and build-star-schema');
    // Every partition read once: 300 fact rows + 6 + 4 + 3 + 2 dimension rows.
    expect(summary).toMatchObject({ status: 'success', exit_code: 0, rows_in: 315, rows_out: 315 });
    const run = await lake.readJson<{ metrics: unknown }>(datasets.runReportKey(DS, 'check-quality'));
    expect(run!.metrics).toEqual({ passed: 21, failed: 0, warned: 0 });
  });

  it('exits 3 after writing the report when an error-severity check fails', async () => {
    const data = goodData();
    const fact = data.fact_sales!;
    fact[10] = { ...fact[10]!, transaction_id: fact[3]!.transaction_id }; // duplicate id
    fact[20] = { ...fact[20]!, customer_key: 99 }; // unknown customer
    fact[250] = { ...fact[250]!, total_amount: null };
    await writeCurated(lake, data);
    await writeRunReports(lake);
    const { code, report, summary } = await runStep(writeConfig(dir));
    expect(code).toBe(ExitCode.dataQuality);
    expect(report).toMatchObject({ status: 'failed', summary: { passed: 18, failed: 3, warned: 0 } });
    const failed = report.checks.filter((c) => c.status === 'failed');
    expect(failed.map((c) => [c.name, c.failing_rows])).toEqual([
      ['fact_sales.not_null(transaction_id,date_key,customer_key,product_key,location_key,total_amount)', 1],
      ['fact_sales.unique(transaction_id)', 1],
      ['fact_sales.relationships(customer_key->dim_customer.customer_key)', 1],
    ]);
    // Samples show the grain (transaction_id) so the row can be found.
    expect(failed[2]!.sample).toEqual([{ _row: 20, customer_key: 99, transaction_id: 'TXN00000021' }]);
    expect(failed[0]!.sample[0]).toMatchObject({ _row: 250, total_amount: null, transaction_id: 'TXN00000251' });
    expect(summary).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(String(summary.error)).toContain('3 error-severity quality check(s) failed');
    expect(logs.filter((l) => l.level === 'error' && l.check).map((l) => l.check)).toEqual(failed.map((c) => c.name));
  });

  it('fails reconciliation when the fact rows built differ from the rows checked and the rows masked', async () => {
    await writeCurated(lake, goodData());
    await writeRunReports(lake, 299);
    const { code, report } = await runStep(writeConfig(dir));
    expect(code).toBe(ExitCode.dataQuality);
    const rec = report.checks.find((c) => c.check === 'reconciliation')!;
    expect(rec).toMatchObject({ status: 'failed', failing_rows: 2 });
    expect(rec.sample.map((s) => [s.equation, s.left, s.right])).toEqual([
      ['masked sales_transactions rows = fact_sales rows + rows a newer batch holds (43 lookups went to unknown members)', 300, 299],
      ["fact_sales partition rows = build-star-schema's count", 300, 299],
    ]);
  });

  it('only reports warn-severity failures', async () => {
    const data = goodData();
    data.fact_sales![5]!.customer_key = 42;
    await writeCurated(lake, data);
    const config = writeConfig(
      dir,
      [
        '    - { table: fact_sales, check: relationships, columns: [customer_key], references: { table: dim_customer, column: customer_key }, severity: warn }',
        '    - { table: fact_sales, check: row_count, max: 100, severity: warn }',
        '    - { table: fact_sales, check: unique, columns: [transaction_id] }',
        '',
      ].join('\n'),
    );
    const { code, report } = await runStep(config);
    expect(code).toBe(ExitCode.ok);
    expect(report).toMatchObject({ status: 'passed', summary: { passed: 1, failed: 0, warned: 2 } });
    expect(report.checks.map((c) => [c.status, c.severity, c.failing_rows])).toEqual([
      ['failed', 'warn', 1],
      ['failed', 'warn', 200],
      ['passed', 'error', 0],
    ]);
    expect(logs.filter((l) => l.level === 'warn' && l.check)).toHaveLength(2);
  });

  it('fails, not crashes, on a missing column or a missing partition', async () => {
    const data = goodData();
    delete data.dim_location;
    await writeCurated(lake, data);
    const config = writeConfig(
      dir,
      [
        '    - { table: fact_sales, check: not_null, columns: [transaction_id, discount] }',
        '    - { table: fact_sales, check: relationships, columns: [location_key], references: { table: dim_location, column: location_key } }',
        '    - { table: dim_location, check: unique, columns: [location_key] }',
        '    - { table: fact_sales, check: relationships, columns: [product_key], references: { table: dim_product, column: product_id } }',
        '    - { table: fact_sales, check: row_count, min: 1 }',
        '',
      ].join('\n'),
    );
    const { code, report } = await runStep(config);
    expect(code).toBe(ExitCode.dataQuality);
    expect(report.checks.map((c) => c.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'passed']);
    expect(report.checks[0]!.message).toBe(
      'fact_sales has no column "discount" (its columns: transaction_id, date_key, customer_key, product_key, location_key, quantity, total_amount, transaction_timestamp, batch_ds)',
    );
    expect(report.checks[1]!.message).toMatch(/^cannot check against dim_location.location_key: dim_location has no partition for ds 2026-11-26 .*run build-star-schema/);
    expect(report.checks[2]!.message).toMatch(/^dim_location has no partition for ds 2026-11-26/);
    // product_key values (ints) are not product_id values (strings): every row fails.
    expect(report.checks[3]!.failing_rows).toBe(300);
  });

  it('reads each partition once, only the columns the checks need (profiles off)', async () => {
    await writeCurated(lake, goodData());
    await writeRunReports(lake);
    // Without the pii_scan checks and the profiles, which read every column of their tables.
    const { config: withProfiles } = readConfig(writeConfig(dir, readFileSync(path.join(REPO, 'config/demo_config.yaml'), 'utf8').match(/\n {2}checks:\n((?: {4}(?:- |#).*\n)+)/)![1]!.replace(/ {4}- \{[^\n]*check: pii_scan[^\n]*\n/g, '')));
    const config = { ...withProfiles, quality: { ...withProfiles.quality, profiles: { ...withProfiles.quality.profiles, enabled: false } } };
    const reads = spyReads();
    const result = await checkQualityStep.run({ step: 'check-quality', ds: DS, runId: 'r', config, lake, log: silentLogger });
    expect(result.metrics).toEqual({ passed: 19, failed: 0, warned: 0 });
    expect(await lake.readJson(profilesKey(DS))).toBeUndefined();
    // Dimensions first: their keys are collected in the same pass as their own checks.
    expect(reads).toEqual([
      ['curated/dim_customer', ['customer_id', 'valid_from', 'customer_key']],
      ['curated/dim_product', ['product_key', 'product_id']],
      ['curated/dim_location', ['location_key', 'region', 'location_id']],
      ['curated/dim_date', ['date_key']],
      ['curated/fact_sales', ['transaction_id', 'date_key', 'customer_key', 'product_key', 'location_key', 'total_amount', 'quantity', 'transaction_timestamp']],
    ]);
    expect(result).toMatchObject({ rowsIn: 315, rowsOut: 315, metrics: { passed: 19, failed: 0, warned: 0 } });
    expect(result.inputs.map((i) => i.rows)).toEqual([6, 4, 3, 2, 300]);
    expect(result.outputs[0]).toEqual({ uri: path.join(dir, 'lake', 'quality', `dt=${DS}`, 'report.json'), rows: 19 });
  });

  it('samples the repeats of a fact too large to hold its keys from a second read of the sample columns only', async () => {
    // Past KEYS_IN_MEMORY (512 k) rows the unique check spills its keys and learns the repeats at the end.
    const rows = 600_000;
    const data = goodData();
    data.fact_sales = Array.from({ length: rows }, (_, i) => ({
      transaction_id: `TXN${String(i === 10 ? 4 : i === 550_000 ? 8 : i + 1).padStart(8, '0')}`,
      date_key: 20261126,
      customer_key: (i % 5) + 1,
      product_key: (i % 3) + 1,
      location_key: (i % 2) + 1,
      quantity: 1,
      total_amount: 9.99,
      transaction_timestamp: Date.UTC(2026, 10, 26, 10, 0, i % 60),
      batch_ds: DS,
    }));
    await writeCurated(lake, data);
    await writeRunReports(lake, rows);
    const { config: read } = readConfig(writeConfig(dir, '    - { table: fact_sales, check: unique, columns: [transaction_id] }\n'));
    const config = { ...read, quality: { ...read.quality, profiles: { ...read.quality.profiles, enabled: false } } };
    const reads = spyReads();
    await expect(checkQualityStep.run({ step: 'check-quality', ds: DS, runId: 'r', config, lake, log: silentLogger })).rejects.toThrow('1 error-severity quality check(s) failed: fact_sales.unique(transaction_id)');
    const report = (await lake.readJson<QualityReport>(qualityReportKey(DS)))!;
    expect(report.checks[0]).toMatchObject({ name: 'fact_sales.unique(transaction_id)', status: 'failed', failing_rows: 2, rows_checked: rows });
    expect(report.checks[0]!.sample).toEqual([
      { _row: 10, transaction_id: 'TXN00000004' },
      { _row: 550_000, transaction_id: 'TXN00000008' },
    ]);
    // The check's pass, then the second read: the sample columns, the whole way (the last repeat is near the end).
    expect(reads).toEqual([
      ['curated/fact_sales', ['transaction_id']],
      ['curated/fact_sales', ['transaction_id']],
    ]);
  }, 60_000);

  /** Records which partitions the step reads, and which columns. */
  function spyReads(target: Lake = lake): Array<[string, readonly string[] | undefined]> {
    const reads: Array<[string, readonly string[] | undefined]> = [];
    const original = target.readManifestBatches;
    jest.spyOn(target, 'readManifestBatches').mockImplementation(function (this: Lake, m, opts) {
      reads.push([m.dataset, opts?.columns]);
      return original.call(this, m, opts);
    });
    return reads;
  }

  it('profiles every column of every curated table and masked entity in the same single pass per partition', async () => {
    await writeCurated(lake, goodData());
    await writeRunReports(lake);
    // A masked entity with no checks: profiled in a pass of its own.
    const cols: ColumnDef[] = [
      { name: 'customer_id', kind: 'string' },
      { name: 'email', kind: 'string' },
    ];
    const b = new BatchBuilder(cols);
    for (let i = 0; i < 50; i++) b.appendObject({ customer_id: `C${i}`, email: i % 5 === 0 ? null : `h${i % 7}` });
    const w = lake.openPartition({ dataset: datasets.masked('customers'), ds: DS, step: 'mask', runId: 't', schema: b.schema });
    await w.write(b.finish());
    await w.commit();
    const reads = spyReads(Lake.prototype);
    const { code, report } = await runStep(writeConfig(dir));
    expect(code).toBe(ExitCode.ok);
    // One read per partition, each with every column.
    expect(reads.map((r) => r[0]).sort()).toEqual(['curated/dim_customer', 'curated/dim_date', 'curated/dim_location', 'curated/dim_product', 'curated/fact_sales', 'processed/masked/customers']);
    expect(reads.find((r) => r[0] === 'curated/fact_sales')![1]).toEqual(TABLES.fact_sales!.map((c) => c.name));
    const doc = (await lake.readJson<ProfilesDocument>(profilesKey(DS)))!;
    expect(doc.sketches).toEqual({ hll_precision: 14, quantile_k: 200, top_value_counters: 100 });
    const fact = doc.datasets.find((d) => d.dataset === 'curated/fact_sales')!;
    expect(fact.rows).toBe(300);
    expect(fact.columns.find((c) => c.name === 'location_key')).toMatchObject({ nulls: 0, min: -1, max: 2, distinct: 3 });
    expect(fact.columns.find((c) => c.name === 'transaction_timestamp')).toMatchObject({ min: '2026-11-26T10:00:00.000Z', max: '2026-11-26T10:00:59.000Z' });
    expect(doc.datasets.find((d) => d.dataset === 'processed/masked/customers')!.columns[1]).toMatchObject({ name: 'email', nulls: 10, null_pct: 20, distinct: 7 });
    // No earlier profile: no drift check yet.
    expect(report.checks.some((c) => c.check === 'profile_drift')).toBe(false);
  });

  it('warns, and still passes, when a column drifted from the previous ds profile', async () => {
    await writeCurated(lake, goodData());
    await writeRunReports(lake);
    const config = writeConfig(dir);
    await runStep(config);
    // Yesterday's profile is today's good one; today 40% of the cities are null.
    const doc = (await lake.readJson<ProfilesDocument>(profilesKey(DS)))!;
    await lake.writeJson(profilesKey('2026-11-25'), { ...doc, ds: '2026-11-25', datasets: doc.datasets.map((d) => ({ ...d, ds: '2026-11-25' })) });
    const data = goodData();
    data.dim_customer = data.dim_customer!.map((r, i) => (i % 5 < 2 ? { ...r, city: null } : r));
    await writeCurated(lake, data);
    const { code, report } = await runStep(config);
    expect(code).toBe(ExitCode.ok);
    expect(report.status).toBe('passed');
    const drift = report.checks.filter((c) => c.check === 'profile_drift');
    expect(drift.map((c) => c.name).sort()).toEqual(['dim_customer.profile_drift', 'dim_date.profile_drift', 'dim_location.profile_drift', 'dim_product.profile_drift', 'fact_sales.profile_drift']);
    const customer = drift.find((c) => c.table === 'dim_customer')!;
    expect(customer).toMatchObject({ status: 'failed', severity: 'warn', columns: ['city'] });
    expect(customer.message).toMatch(/city \(null % 16\.6667 -> 50\)/);
    expect(drift.filter((c) => c.status === 'failed')).toHaveLength(1);
    expect(report.summary.warned).toBeGreaterThanOrEqual(1);
    expect(readFileSync(path.join(dir, 'lake', 'quality', `dt=${DS}`, 'report.html'), 'utf8')).toContain('dim_customer.profile_drift');
  });
});
