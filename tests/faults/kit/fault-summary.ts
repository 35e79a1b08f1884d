import { appendFileSync } from 'node:fs';

/** One line of the fault suite's summary: what a test tried and what came out of it. */
export interface FaultFigures {
  readonly suite: string;
  readonly trials?: number;
  readonly faults_injected?: number;
  readonly runs_completed?: number;
  readonly runs_failed_cleanly?: number;
  readonly rows_lost?: number;
  readonly partial_partitions_seen?: number;
  readonly leaks?: number;
  readonly cases?: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Appends the figures to FAULTS_SUMMARY_FILE (set by tests/faults/run-faults.js, which prints the
 * total); without it the figures only go to the test's own assertions.
 */
export function recordFigures(figures: FaultFigures): void {
  const file = process.env.FAULTS_SUMMARY_FILE;
  if (file) appendFileSync(file, JSON.stringify(figures) + '\n');
}

/** Trials per step: FAULTS_TRIALS_PER_STEP (npm run faults sets 20), else the quick default for npm test. */
export function trialsPerStep(quick: number): number {
  const n = Number(process.env.FAULTS_TRIALS_PER_STEP);
  return Number.isInteger(n) && n > 0 ? n : quick;
}

/** The seed of a fault run: FAULTS_SEED, else a fixed one, so a failure replays exactly. */
export function faultSeed(): number {
  const n = Number(process.env.FAULTS_SEED);
  return Number.isInteger(n) ? n : 20261126;
}
