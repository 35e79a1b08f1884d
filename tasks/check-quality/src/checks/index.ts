// The check engine: pure functions and classes over Arrow record batches, no lake, env or clock.
export {
  DEFAULT_SAMPLE_LIMIT,
  type CheckContext,
  type CheckOptions,
  type CheckRunner,
  type QualityCheckResult,
  type RunReportView,
  type SampleRow,
  type SampleValue,
} from './quality-check-result';
export { CHECK_KINDS, type CheckKind, type CheckNeeds } from './check-kinds';
export { AcceptedValuesCheck } from './accepted-values-check';
export { RangeCheck } from './range-check';
export { RegexCheck } from './regex-check';
export { RowCountChangeCheck } from './row-count-change-check';
export { FreshnessCheck } from './freshness-check';
export { ReconciliationCheck } from './reconciliation-check';
export { reconcileRuns, RECONCILED_STEPS, type Balance, type Reconciliation } from './reconcile-runs';
export { nameCheck } from './check-name';
export { createCheck, unrunnableCheckResult, type CreateCheckOptions } from './create-check';
export { runChecks, type BatchConsumer } from './run-checks';
export { NotNullCheck } from './not-null-check';
export { UniqueCheck } from './unique-check';
export { RelationshipsCheck } from './relationships-check';
export { RowCountCheck } from './row-count-check';
export { ColumnCheck, missingColumnsMessage } from './column-check';
export { ReferenceKeyCollector, referenceKeysOf, type ReferenceKeys } from './reference-keys';
export { normalizeKey, type KeyValue } from './column-values';
export { KeySet } from '@salesflow/batches';
