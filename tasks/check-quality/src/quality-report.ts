import type { QualityCheckResult } from './checks';
import type { RunHistoryPoint, StepRunSummary } from './run-history';

/** quality/dt=<ds>/report.json: every check's result for one ds. */
export interface QualityReport {
  readonly ds: string;
  readonly run_id: string;
  readonly generated_at: string;
  /** failed when any error-severity check failed; warn-severity failures leave it passed. */
  readonly status: 'passed' | 'failed';
  /** passed: checks that passed; failed: error-severity checks that failed; warned: warn-severity checks that failed. */
  readonly summary: { readonly passed: number; readonly failed: number; readonly warned: number };
  readonly checks: readonly QualityCheckResult[];
  /** The step runs of ds so far (from _runs/dt=<ds>/): rows in, out, rejected, dropped, seconds, peak RSS. */
  readonly steps?: readonly StepRunSummary[];
  /** The last quality.history_runs ds, oldest first, ds last: what report.html charts. */
  readonly history?: readonly RunHistoryPoint[];
}

/** Assembles the report from the results, in config order. Pure: the caller supplies the time. */
export function buildQualityReport(opts: {
  readonly ds: string;
  readonly runId: string;
  readonly generatedAt: Date;
  readonly checks: readonly QualityCheckResult[];
  readonly steps?: readonly StepRunSummary[];
  readonly history?: readonly RunHistoryPoint[];
}): QualityReport {
  const summary = { passed: 0, failed: 0, warned: 0 };
  for (const c of opts.checks) {
    if (c.status === 'passed') summary.passed++;
    else if (c.severity === 'warn') summary.warned++;
    else summary.failed++;
  }
  return Object.freeze({
    ds: opts.ds,
    run_id: opts.runId,
    generated_at: opts.generatedAt.toISOString(),
    status: summary.failed > 0 ? 'failed' : 'passed',
    summary: Object.freeze(summary),
    checks: Object.freeze([...opts.checks]),
    ...(opts.steps ? { steps: opts.steps } : {}),
    ...(opts.history ? { history: opts.history } : {}),
  });
}

/** The names of the error-severity checks that failed: what stops the load. */
export function blockingFailures(report: QualityReport): string[] {
  return report.checks.filter((c) => c.status === 'failed' && c.severity === 'error').map((c) => c.name);
}
