import type { QualityCheckConfig } from '@salesflow/config';
import { nameCheck } from './check-name';
import { CHECK_KINDS, type CreateCheckOptions } from './check-kinds';
import { checkResult, type CheckRunner, type QualityCheckResult } from './quality-check-result';

export type { CreateCheckOptions } from './check-kinds';

/** The runner of one configured check, from the kind's entry in CHECK_KINDS. */
export function createCheck(config: QualityCheckConfig, opts: CreateCheckOptions = {}): CheckRunner {
  const kind = CHECK_KINDS[config.check];
  if (!kind) throw new Error(`no runner registered for quality check kind "${config.check}" (CHECK_KINDS in check-kinds.ts)`);
  return kind.create(config, opts);
}

/**
 * The failed result of a check that could not run at all (its table has no partition for the
 * ds): reported like any failure, with the reason as message, rather than crashing the step.
 */
export function unrunnableCheckResult(config: QualityCheckConfig, message: string): QualityCheckResult {
  return checkResult(config, nameCheck(config), { status: 'failed', failing_rows: 0, rows_checked: 0, sample: [], message });
}
