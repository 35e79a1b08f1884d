import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const DS = '2026-11-26';

/** The steps in DAG order, as the runner starts them for the demo config (one files source, "landing"). */
export const STEPS: readonly { readonly task: string; readonly args: readonly string[] }[] = [
  { task: 'setup', args: [] },
  { task: 'ingest', args: ['--source', 'landing'] },
  { task: 'standardize', args: [] },
  { task: 'mask', args: [] },
  { task: 'build-star-schema', args: [] },
  { task: 'check-quality', args: [] },
  { task: 'load-warehouse', args: [] },
];

export interface StepRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function stepArgs(task: string, args: readonly string[], config: string, ds: string, runId?: string): string[] {
  return [path.join(ROOT, 'tasks', task, 'dist', 'main.js'), '--config', config, '--ds', ds, ...args, ...(runId ? ['--run-id', runId] : [])];
}

export function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...extra };
}

/** Runs one step program to completion; blocks this process, so never use it while a server of the test must answer. */
export function runStep(task: string, args: readonly string[], opts: { config: string; env: NodeJS.ProcessEnv; ds?: string; runId?: string }): StepRun {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, stepArgs(task, args, opts.config, opts.ds ?? DS, opts.runId), { cwd: ROOT, env: opts.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
}

/** Starts one step program; resolves when it ends. `killAfterMs` sends SIGKILL at that point if it still runs. */
export function startStep(
  task: string,
  args: readonly string[],
  opts: { config: string; env: NodeJS.ProcessEnv; ds?: string; runId?: string; killAfterMs?: number },
): Promise<StepRun & { killed: boolean }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, stepArgs(task, args, opts.config, opts.ds ?? DS, opts.runId), { cwd: ROOT, env: opts.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let killed = false;
  const timer = opts.killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), opts.killAfterMs);
  return new Promise((resolve) =>
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000, killed: killed && signal === 'SIGKILL' });
    }),
  );
}

/**
 * Runs the steps in order and stops at the first failure; returns every run. Asynchronous, so a
 * server of the test's own (the fault proxy) keeps answering while the steps run.
 */
export async function runPipeline(opts: { config: string; env: NodeJS.ProcessEnv; ds?: string; from?: string; to?: string }): Promise<StepRun[]> {
  const runs: StepRun[] = [];
  const first = opts.from ? STEPS.findIndex((s) => s.task === opts.from) : 0;
  const last = opts.to ? STEPS.findIndex((s) => s.task === opts.to) : STEPS.length - 1;
  for (const s of STEPS.slice(first, last + 1)) {
    const r = await startStep(s.task, s.args, opts);
    runs.push(r);
    if (r.status !== 0) break;
  }
  return runs;
}

/** The last stdout line of a step: its JSON summary. */
export function summaryOf(run: Pick<StepRun, 'stdout'>): Record<string, any> {
  return JSON.parse(run.stdout.trim().split('\n').pop() || '{}');
}

/** Generates the sample landing files for ds under <landing>/dt=<ds>/. */
export function generateLanding(landing: string, ds = DS, scale = 1): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tasks/sample-data/dist/main.js'), '--out', path.join(landing, `dt=${ds}`), '--ds', ds, '--scale', String(scale)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sample-data failed: ${r.stderr}`);
}
