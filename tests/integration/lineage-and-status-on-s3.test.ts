/**
 * Run reports, lineage kept in the lake, and the status command with the lake in S3 (the test
 * server named by LAKE_TEST_S3_ENDPOINT: moto in CI). Starts no server; makes its own bucket and
 * empties it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder } from '@salesflow/batches';
import { Lake, S3Storage, datasets, hashSchema } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import { executeStep, type StepDefinition } from '@salesflow/step';
import { runStatus } from '../../tasks/check-quality/src/status-main';

const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (see .ci/run)');
const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
const bucket = `lineage-${randomBytes(4).toString('hex')}`;
const storage = new S3Storage({ bucket, prefix: 'lake', endpoint, region: 'us-east-1', forcePathStyle: true });
const lake = new Lake(storage);
const work = mkdtempSync(path.join(os.tmpdir(), 'lineage-s3-'));
const config = path.join(work, 'c.yaml');

const cols = [
  { name: 'customer_id', kind: 'string' as const, nullable: false },
  { name: 'city', kind: 'string' as const },
];

/** Writes one partition of a dataset, like a step would. */
async function commit(l: Lake, dataset: string, step: string): Promise<void> {
  const b = new BatchBuilder(cols);
  for (let i = 0; i < 3; i++) b.appendObject({ customer_id: `C${i}`, city: 'Springfield' });
  const w = l.openPartition({ dataset, ds: DS, step, runId: 'r', schema: b.schema });
  await w.write(b.finish());
  await w.commit();
}

const maskStep: StepDefinition = {
  name: 'mask',
  description: 'writes masked customers',
  run: async (ctx) => {
    await commit(ctx.lake, datasets.masked('customers'), 'mask');
    return {
      rowsIn: 3,
      rowsOut: 3,
      inputs: [{ uri: ctx.lake.partitionUri(datasets.processed('customers'), ctx.ds), rows: 3 }],
      outputs: [{ uri: ctx.lake.partitionUri(datasets.masked('customers'), ctx.ds), rows: 3 }],
    };
  },
};

beforeAll(async () => {
  await storage.ensureRoot();
  const text = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8').replace(
    'root: ${LAKE_ROOT:-.demo/lake}',
    `root: s3://${bucket}/lake\n  s3: { endpoint: "${endpoint}", region: us-east-1, server_side_encryption: none }`,
  );
  writeFileSync(config, text);
});

afterAll(async () => {
  await storage.deleteMany((await storage.list('')).map((o) => o.key));
  rmSync(work, { recursive: true, force: true });
});

it('keeps the run report and the lineage events of a step in the S3 lake', async () => {
  await commit(lake, datasets.processed('customers'), 'standardize');
  const code = await executeStep(maskStep, { argv: ['--config', config, '--ds', DS, '--run-id', 'r1'], print: () => undefined, log: silentLogger, xcomDir: work });
  expect(code).toBe(0);
  const report = await lake.readJson<{ inputs: unknown[]; outputs: unknown[]; lineage: { run_id: string; target: string } }>(datasets.runReportKey(DS, 'mask'));
  expect(report!.outputs).toEqual([{ uri: `s3://${bucket}/lake/processed/masked/customers/dt=${DS}/`, rows: 3, schema_hash: hashSchema(cols) }]);
  expect(report!.inputs).toEqual([{ uri: `s3://${bucket}/lake/processed/customers/dt=${DS}/`, rows: 3, schema_hash: hashSchema(cols) }]);
  expect(report!.lineage.target).toBe(`s3://${bucket}/lake/_lineage/dt=${DS}/mask/${report!.lineage.run_id}.json`);
  const events = await lake.readJson<Array<{ eventType: string; outputs: Array<{ namespace: string; name: string; facets: { schema?: { fields: unknown[] } } }> }>>(
    `_lineage/dt=${DS}/mask/${report!.lineage.run_id}.json`,
  );
  expect(events!.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
  expect(events![1]!.outputs[0]).toMatchObject({ namespace: `s3://${bucket}`, name: `lake/processed/masked/customers/dt=${DS}`, facets: { schema: { fields: [{ name: 'customer_id', type: 'string' }, { name: 'city', type: 'string' }] } } });
});

it('tells from S3 listings which partitions are there and which are older than their inputs', async () => {
  const status = async () => {
    let out = '';
    expect(await runStatus(['--config', config, '--from', DS, '--json'], (t) => (out += t), silentLogger)).toBe(0);
    const day = (JSON.parse(out) as { days: Array<{ rerunFrom?: string; datasets: Array<{ dataset: string; state: string }> }> }).days[0]!;
    return { rerunFrom: day.rerunFrom, states: Object.fromEntries(day.datasets.map((d) => [d.dataset, d.state])) };
  };
  const before = await status();
  expect(before.states).toMatchObject({ 'processed/customers': 'ok', 'processed/masked/customers': 'ok', 'raw/files/landing/customers': 'missing' });
  expect(before.rerunFrom).toBe('ingest --source landing');
  await new Promise((r) => setTimeout(r, 1100)); // S3 times are whole seconds on some servers
  await commit(lake, datasets.processed('customers'), 'standardize');
  expect((await status()).states['processed/masked/customers']).toBe('stale');
});
