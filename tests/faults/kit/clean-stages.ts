import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { baseEnv, runStep, STEPS } from './run-step';

export interface CleanStages {
  /** Folder holding lake/ and wh.sqlite as they were before step i; stage(STEPS.length) is the finished run. */
  stage(i: number): string;
  /** Seconds each step took in the clean run. */
  readonly seconds: readonly number[];
}

/** Env of a run whose lake and SQLite warehouse live in `dir`. */
export function envAt(dir: string, landing: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({ LAKE_ROOT: path.join(dir, 'lake'), LANDING_PATH: landing, WAREHOUSE_SQLITE: path.join(dir, 'wh.sqlite'), LOG_LEVEL: 'warn', ...extra });
}

/** Runs every step once on a local lake under `work`, keeping a copy of the state before each step. */
export function runCleanStages(work: string, landing: string, config: string): CleanStages {
  const stage = (i: number) => path.join(work, `stage-${i}`);
  const dir = path.join(work, 'clean');
  mkdirSync(dir, { recursive: true });
  const seconds: number[] = [];
  for (const [i, s] of STEPS.entries()) {
    cpSync(dir, stage(i), { recursive: true });
    const r = runStep(s.task, s.args, { config, env: envAt(dir, landing) });
    if (r.status !== 0) throw new Error(`clean run: ${s.task} exited ${r.status}\n${r.stderr.slice(-2000)}`);
    seconds.push(r.seconds);
  }
  cpSync(dir, stage(STEPS.length), { recursive: true });
  return { stage, seconds };
}
