import { spawn } from 'node:child_process';
import path from 'node:path';
import { ExitCode } from '@salesflow/errors';
import type { PlannedStep } from './pipeline-plan';

/** The repository root, where tasks/<step>/dist/main.js live (also the working directory of every step). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface StepRun {
  readonly task: string;
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly seconds: number;
  /** The step's last stdout line, parsed (its summary). */
  readonly summary?: Record<string, unknown>;
}

/** Runs one step as a child process with the step contract's arguments; stderr (logs) passes through. */
export function runStep(step: PlannedStep, common: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<StepRun> {
  const started = Date.now();
  const args = [path.join(REPO_ROOT, 'tasks', step.task, 'dist', 'main.js'), ...common, ...step.args];
  return new Promise((resolve, reject) => {
    // A fixed malloc mmap threshold and a smaller young generation keep the steps' peak RSS down
    // (see STEP_PROCESS_ENV in @salesflow/lake); a NODE_OPTIONS of the caller's replaces the latter.
    const env = { MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=16', ...(opts.env ?? process.env) };
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      let summary: Record<string, unknown> | undefined;
      try {
        summary = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        summary = undefined;
      }
      resolve({ task: step.task, args: step.args, exitCode: code ?? ExitCode.failed, seconds: (Date.now() - started) / 1000, summary });
    });
  });
}

/**
 * Runs the steps in order and stops at the first failure, returning its exit code. Exit 99
 * ("nothing to do") counts as skipped and the run goes on, as in the DAG.
 */
export async function runSteps(steps: readonly PlannedStep[], common: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; onStep?: (r: StepRun) => void } = {}): Promise<{ exitCode: number; runs: StepRun[] }> {
  const runs: StepRun[] = [];
  for (const step of steps) {
    const r = await runStep(step, common, opts);
    runs.push(r);
    opts.onStep?.(r);
    if (r.exitCode !== ExitCode.ok && r.exitCode !== ExitCode.nothingToDo) return { exitCode: r.exitCode, runs };
  }
  return { exitCode: ExitCode.ok, runs };
}
