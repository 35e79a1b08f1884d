import type { QualityCheckConfig } from '@salesflow/config';
import { nameCheck } from './check-name';
import { NotNullCheck } from './not-null-check';
import type { CheckOptions, CheckRunner, QualityCheckResult } from './quality-check-result';
import type { ReferenceKeys } from './reference-keys';
import { RelationshipsCheck } from './relationships-check';
import { RowCountCheck } from './row-count-check';
import { UniqueCheck } from './unique-check';

/** Options of createCheck: the common ones plus, for relationships, the referenced keys. */
export interface CreateCheckOptions extends CheckOptions {
  /** For relationships: the keys of references.table's references.column (or why they are missing). */
  readonly reference?: ReferenceKeys;
}

/** The runner of one configured check. */
export function createCheck(config: QualityCheckConfig, opts: CreateCheckOptions = {}): CheckRunner {
  switch (config.check) {
    case 'not_null':
      return new NotNullCheck(config, opts);
    case 'unique':
      return new UniqueCheck(config, opts);
    case 'relationships':
      return new RelationshipsCheck(config, opts.reference, opts);
    case 'row_count':
      return new RowCountCheck(config, opts);
  }
}

/**
 * The failed result of a check that could not run at all (its table has no partition for the
 * ds): reported like any failure, with the reason as message, rather than crashing the step.
 */
export function unrunnableCheckResult(config: QualityCheckConfig, message: string): QualityCheckResult {
  return Object.freeze({
    name: nameCheck(config),
    table: config.table,
    check: config.check,
    columns: Object.freeze([...config.columns]),
    severity: config.severity,
    status: 'failed',
    failing_rows: 0,
    rows_checked: 0,
    sample: Object.freeze([]),
    message,
  });
}
