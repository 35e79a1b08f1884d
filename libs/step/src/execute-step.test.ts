import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BadInputError, NothingToDoError } from '@salesflow/errors';
import { PartitionReplacedError } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import { executeStep } from './execute-step';
import type { StepDefinition } from './step-context';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');

describe('executeStep', () => {
  let dir: string;
  let config: string;
  const lines: string[] = [];
  const logs: string[] = [];
  const log = createLogger({ write: (l) => logs.push(l), format: 'json' });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'step-'));
    config = path.join(dir, 'c.yaml');
    writeFileSync(config, readFileSync(DEMO, 'utf8').replace('${LAKE_ROOT:-.demo/lake}', path.join(dir, 'lake')));
    lines.length = 0;
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (def: StepDefinition, extra: string[] = []) =>
    executeStep(def, { argv: ['--config', config, '--ds', '2026-11-26', '--run-id', 'r1', ...extra], print: (l) => lines.push(l), log, xcomDir: dir });

  it('passes the context, prints the summary last, writes the run report and the xcom file', async () => {
    let seen: { ds: string; runId: string; source?: string } | undefined;
    const code = await run(
      {
        name: 'demo-step',
        description: 'd',
        run: async (ctx) => {
          seen = { ds: ctx.ds, runId: ctx.runId, source: ctx.source };
          return { rowsIn: 5, rowsOut: 3, rowsRejected: 1, rowsDropped: 1, inputs: [{ uri: 'in', rows: 5 }], outputs: [{ uri: 'out', rows: 3 }], metrics: { x: 1 } };
        },
      },
    );
    expect(code).toBe(0);
    expect(seen).toEqual({ ds: '2026-11-26', runId: 'r1', source: undefined });
    const summary = JSON.parse(lines[lines.length - 1]!);
    expect(summary).toMatchObject({ step: 'demo-step', status: 'success', exit_code: 0, rows_in: 5, rows_out: 3, rows_rejected: 1, rows_dropped: 1, outputs: ['out'] });
    expect(JSON.parse(readFileSync(path.join(dir, 'return.json'), 'utf8'))).toEqual(summary);
    const report = JSON.parse(readFileSync(path.join(dir, 'lake/_runs/dt=2026-11-26/demo-step.json'), 'utf8'));
    expect(report).toMatchObject({ status: 'success', inputs: [{ uri: 'in', rows: 5 }], metrics: { x: 1 } });
  });

  it('runs a step again when a partition it read was replaced under it, up to three runs, and no other error', async () => {
    const replaced = () => new PartitionReplacedError('Partition curated/fact_sales dt=2026-11-25 was replaced while being read', { exitCode: 1 });
    let runs = 0;
    const flaky: StepDefinition = { name: 'flaky', description: 'd', run: async () => (++runs < 3 ? Promise.reject(replaced()) : { rowsIn: 1, rowsOut: 1, inputs: [], outputs: [] }) };
    expect(await run(flaky)).toBe(0);
    expect(runs).toBe(3);
    expect(logs.filter((l) => l.includes('running the step again'))).toHaveLength(2);
    runs = 0;
    const always: StepDefinition = { name: 'always', description: 'd', run: async () => (runs++, Promise.reject(replaced())) };
    expect(await run(always)).toBe(1);
    expect(runs).toBe(3);
    runs = 0;
    const bad: StepDefinition = { name: 'bad', description: 'd', run: async () => (runs++, Promise.reject(new BadInputError('broken file'))) };
    expect(await run(bad)).toBe(4);
    expect(runs).toBe(1);
  });

  it('passes the data interval: the UTC day of ds by default, or the one given; a bad bound is exit 2', async () => {
    const seen: unknown[] = [];
    const def: StepDefinition = { name: 'windowed', description: 'd', run: async (ctx) => (seen.push(ctx.dataInterval), { rowsIn: 0, rowsOut: 0, inputs: [], outputs: [] }) };
    expect(await run(def)).toBe(0);
    expect(await run(def, ['--data-interval-start', '2026-11-26T02:00:00+00:00', '--data-interval-end', '2026-11-27T02:00:00+00:00'])).toBe(0);
    expect(seen).toEqual([
      { start: '2026-11-26T00:00:00.000Z', end: '2026-11-27T00:00:00.000Z' },
      { start: '2026-11-26T02:00:00.000Z', end: '2026-11-27T02:00:00.000Z' },
    ]);
    expect(await run(def, ['--data-interval-end', 'tomorrow'])).toBe(2);
    expect(JSON.parse(lines[lines.length - 1]!).error).toMatch(/--data-interval-end "tomorrow" is not an ISO-8601 instant/);
  });

  it.each([
    [new BadInputError('bad file', { fix: 'fix it' }), 4, 'failed'],
    [new NothingToDoError('no new files'), 99, 'skipped'],
    [new Error('connection reset'), 1, 'failed'],
  ])('maps %s to exit %i', async (err, code, status) => {
    const exit = await run({ name: 'failing', description: 'd', run: async () => Promise.reject(err) });
    expect(exit).toBe(code);
    const summary = JSON.parse(lines[lines.length - 1]!);
    expect(summary).toMatchObject({ status, exit_code: code, error: expect.stringContaining(err.message) });
    const report = JSON.parse(readFileSync(path.join(dir, 'lake/_runs/dt=2026-11-26/failing.json'), 'utf8'));
    expect(report.status).toBe(status);
  });

  it('requires --source for per-source steps and names the configured ones', async () => {
    const code = await run({ name: 'ingest', description: 'd', perSource: true, run: async () => ({ rowsIn: 0, rowsOut: 0, inputs: [], outputs: [] }) }, ['--source', 'nope']);
    expect(code).toBe(2);
    expect(JSON.parse(lines[lines.length - 1]!).error).toMatch(/--source nope is not a configured source.*Fix: pass one of: landing/);
  });

  it('never logs a secret filled from the environment', async () => {
    process.env.MASK_HMAC_KEY = 'super-secret-mask-key-0123456789';
    try {
      await run({ name: 'leaky', description: 'd', run: async (ctx) => Promise.reject(new Error(`boom with ${ctx.config.mask.hmac_key}`)) });
    } finally {
      delete process.env.MASK_HMAC_KEY;
    }
    expect(logs.join('\n')).toContain('boom with ***');
    expect(logs.join('\n')).not.toContain('super-secret-mask-key-0123456789');
    expect(lines.join('\n')).toContain('boom with ***');
    expect(lines.join('\n')).not.toContain('super-secret-mask-key-0123456789');
  });
});
