import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { BatchBuilder } from '@salesflow/batches';
import { BadInputError } from '@salesflow/errors';
import { Lake, LocalStorage, datasets, hashSchema } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import { executeStep } from './execute-step';
import type { StepDefinition } from './step-context';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const SPEC = path.resolve(__dirname, '../../lineage/src/fixtures/openlineage');
const DS = '2026-11-26';

/** Validators for the run event and the two facets we emit, from the vendored OpenLineage schemas. */
function openLineageValidators(): { event: ValidateFunction; schemaFacet: ValidateFunction; outputStatistics: ValidateFunction } {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const core = JSON.parse(readFileSync(path.join(SPEC, 'OpenLineage.json'), 'utf8')) as Record<string, unknown>;
  // The facet files refer to the core schema by its published URLs and $defs; serve them our copy.
  for (const id of ['https://openlineage.io/spec/1-0-2/OpenLineage.json', 'https://openlineage.io/spec/1-0-1/OpenLineage.json']) {
    ajv.addSchema({ ...core, $id: id, $defs: core.definitions });
  }
  const facet = (file: string) => ajv.compile(JSON.parse(readFileSync(path.join(SPEC, file), 'utf8')) as object);
  return { event: ajv.compile(core), schemaFacet: facet('SchemaDatasetFacet.json'), outputStatistics: facet('OutputStatisticsOutputDatasetFacet.json') };
}

type Event = {
  eventType: string;
  run: { runId: string; facets: Record<string, { message?: string }> };
  job: { namespace: string; name: string };
  inputs: Array<{ namespace: string; name: string; facets: { schema?: { fields: Array<{ name: string; type: string }> } }; inputFacets?: { inputStatistics: { rowCount: number } } }>;
  outputs: Array<{ namespace: string; name: string; facets: { schema?: unknown }; outputFacets?: { outputStatistics: unknown } }>;
};

/** A stand-in for Marquez: accepts POST /api/v1/lineage when the event validates (201), else 400 with the errors. */
async function startReceiver(status?: number) {
  const v = openLineageValidators();
  const received: Event[] = [];
  const invalid: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (status) return void res.writeHead(status).end('down for maintenance');
      if (req.method !== 'POST' || req.url !== '/api/v1/lineage' || req.headers['content-type'] !== 'application/json') return void res.writeHead(404).end();
      const event = JSON.parse(body) as Event;
      const problems: string[] = [];
      if (!v.event(event)) problems.push(JSON.stringify(v.event.errors));
      for (const d of [...(event.inputs ?? []), ...(event.outputs ?? [])]) {
        if (d.facets.schema && !v.schemaFacet({ schema: d.facets.schema })) problems.push(JSON.stringify(v.schemaFacet.errors));
      }
      for (const d of event.outputs ?? []) {
        if (d.outputFacets && !v.outputStatistics({ outputStatistics: d.outputFacets.outputStatistics })) problems.push(JSON.stringify(v.outputStatistics.errors));
      }
      if (problems.length) {
        invalid.push(...problems);
        return void res.writeHead(400).end(problems.join('\n'));
      }
      received.push(event);
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, invalid, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('lineage from the step harness', () => {
  let dir: string;
  let lake: Lake;
  const lines: string[] = [];
  const logs: Array<{ level: string; msg: string }> = [];
  const log = createLogger({ write: (l) => logs.push(JSON.parse(l)), format: 'json' });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'step-lineage-'));
    lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
    lines.length = 0;
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function config(lineageYaml: string): string {
    const file = path.join(dir, 'c.yaml');
    // The demo's own lineage section is the last one; ours replaces it.
    const demo = readFileSync(DEMO, 'utf8').replace('${LAKE_ROOT:-.demo/lake}', path.join(dir, 'lake')).replace(/\n(# [^\n]*\n)*lineage:\n[\s\S]*$/, '\n');
    writeFileSync(file, `${demo}\nlineage:\n${lineageYaml}\n`);
    return file;
  }

  const run = (def: StepDefinition, configFile: string, extra: string[] = []) =>
    executeStep(def, { argv: ['--config', configFile, '--ds', DS, '--run-id', 'scheduled__2026-11-27T02:00:00+00:00', ...extra], print: (l) => lines.push(l), log, xcomDir: dir });

  const cols = [
    { name: 'customer_id', kind: 'string' as const, nullable: false },
    { name: 'amount', kind: 'float64' as const },
  ];

  /** A step that reads one partition and writes another, like the real ones. */
  const copyStep: StepDefinition = {
    name: 'mask',
    description: 'copies',
    run: async (ctx) => {
      const b = new BatchBuilder(cols);
      b.appendObject({ customer_id: 'C1', amount: 1.5 });
      b.appendObject({ customer_id: 'C2', amount: 2 });
      const w = ctx.lake.openPartition({ dataset: datasets.masked('customers'), ds: ctx.ds, step: 'mask', runId: ctx.runId, schema: b.schema });
      await w.write(b.finish());
      await w.commit();
      return {
        rowsIn: 2,
        rowsOut: 2,
        inputs: [{ uri: ctx.lake.partitionUri(datasets.processed('customers'), ctx.ds), rows: 2 }],
        outputs: [{ uri: ctx.lake.partitionUri(datasets.masked('customers'), ctx.ds), rows: 2 }],
        metrics: { watermarks: { customers: { before: '2026-11-25T00:00:00Z', after: '2026-11-26T23:59:00Z' } } },
      };
    },
  };

  it('sends START then COMPLETE, valid OpenLineage, with schema facets and row counts', async () => {
    const receiver = await startReceiver();
    try {
      expect(await run(copyStep, config(`  url: ${receiver.url}`))).toBe(0);
    } finally {
      await receiver.close();
    }
    expect(receiver.invalid).toEqual([]);
    expect(receiver.received.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    const [start, complete] = receiver.received as [Event, Event];
    expect(complete.run.runId).toBe(start.run.runId);
    expect(complete.job).toEqual({ namespace: 'salesflow', name: 'mask', facets: expect.any(Object) });
    expect(complete.outputs).toEqual([
      expect.objectContaining({
        namespace: 'file',
        name: path.join(dir, 'lake', 'processed/masked/customers', `dt=${DS}`),
        facets: { schema: expect.objectContaining({ fields: [{ name: 'customer_id', type: 'string' }, { name: 'amount', type: 'float64' }] }) },
        outputFacets: { outputStatistics: expect.objectContaining({ rowCount: 2 }) },
      }),
    ]);
    // The input partition does not exist in this lake: named, counted, no schema.
    expect(complete.inputs).toEqual([expect.objectContaining({ name: path.join(dir, 'lake', 'processed/customers', `dt=${DS}`), facets: {}, inputFacets: { inputStatistics: expect.objectContaining({ rowCount: 2 }) } })]);

    const report = await lake.readJson<Record<string, unknown>>(datasets.runReportKey(DS, 'mask'));
    expect(report).toMatchObject({
      status: 'success',
      rows_in: 2,
      rows_out: 2,
      outputs: [{ uri: expect.stringContaining('masked/customers'), rows: 2, schema_hash: hashSchema(cols) }],
      inputs: [{ uri: expect.stringContaining('processed/customers'), rows: 2 }],
      watermarks: { customers: { before: '2026-11-25T00:00:00Z', after: '2026-11-26T23:59:00Z' } },
      lineage: { run_id: start.run.runId, target: `${receiver.url}/api/v1/lineage` },
      peak_rss_mb: expect.any(Number),
      duration_s: expect.any(Number),
      started_at: expect.any(String),
    });
  });

  it('sends FAIL with the error message when the step fails', async () => {
    const receiver = await startReceiver();
    const failing: StepDefinition = { name: 'ingest', perSource: true, description: 'd', run: async () => Promise.reject(new BadInputError('customers.csv row 3: bad date', { fix: 'fix the file' })) };
    try {
      expect(await run(failing, config(`  url: ${receiver.url}/`), ['--source', 'landing'])).toBe(4);
    } finally {
      await receiver.close();
    }
    expect(receiver.invalid).toEqual([]);
    expect(receiver.received.map((e) => [e.eventType, e.job.name])).toEqual([
      ['START', 'ingest.landing'],
      ['FAIL', 'ingest.landing'],
    ]);
    expect(receiver.received[1]!.run.facets.errorMessage!.message).toContain('customers.csv row 3: bad date');
  });

  it('writes the events to the lake when no endpoint is set, or when the endpoint fails', async () => {
    expect(await run(copyStep, config('  enabled: true'))).toBe(0);
    const report = await lake.readJson<{ lineage: { run_id: string; target: string } }>(datasets.runReportKey(DS, 'mask'));
    const key = `_lineage/dt=${DS}/mask/${report!.lineage.run_id}.json`;
    expect(report!.lineage.target).toBe(path.join(dir, 'lake', key));
    const kept = await lake.readJson<Event[]>(key);
    const v = openLineageValidators();
    expect(kept!.map((e) => [e.eventType, v.event(e)])).toEqual([
      ['START', true],
      ['COMPLETE', true],
    ]);

    const down = await startReceiver(503);
    try {
      expect(await run(copyStep, config(`  url: ${down.url}`))).toBe(0);
    } finally {
      await down.close();
    }
    expect(logs.filter((l) => l.level === 'warn' && l.msg.startsWith('lineage: could not send')).length).toBe(2);
    const again = await lake.readJson<{ lineage: { run_id: string } }>(datasets.runReportKey(DS, 'mask'));
    expect((await lake.readJson<Event[]>(`_lineage/dt=${DS}/mask/${again!.lineage.run_id}.json`))!.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
  });

  it('the receiver rejects an event that breaks the schema (the validation can fail)', () => {
    const v = openLineageValidators();
    expect(v.event({ eventType: 'START', eventTime: 'yesterday', run: { runId: 'not-a-uuid' }, job: { namespace: 'n', name: 'j' }, producer: 'p' })).toBe(false);
    expect(JSON.stringify(v.event.errors)).toMatch(/date-time|uuid/);
    expect(v.schemaFacet({ schema: { _producer: 'https://x', _schemaURL: 'https://y', fields: [{ type: 'int' }] } })).toBe(false);
  });
});
