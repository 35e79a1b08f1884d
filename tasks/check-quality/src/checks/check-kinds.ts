import type { QualityCheckConfig } from '@salesflow/config';
import type { PiiScanPolicy } from '@salesflow/pii-scan';
import { AcceptedValuesCheck } from './accepted-values-check';
import { FreshnessCheck } from './freshness-check';
import { NotNullCheck } from './not-null-check';
import { PiiScanCheck } from './pii-scan-check';
import type { CheckOptions, CheckRunner } from './quality-check-result';
import { RangeCheck } from './range-check';
import { ReconciliationCheck } from './reconciliation-check';
import type { ReferenceKeys } from './reference-keys';
import { RegexCheck } from './regex-check';
import { RelationshipsCheck } from './relationships-check';
import { RowCountChangeCheck } from './row-count-change-check';
import { RowCountCheck } from './row-count-check';
import { UniqueCheck } from './unique-check';

/** Options of createCheck: the common ones plus, for relationships, the referenced keys. */
export interface CreateCheckOptions extends CheckOptions {
  /** For relationships: the keys of references.table's references.column (or why they are missing). */
  readonly reference?: ReferenceKeys;
  /** For pii_scan: the PII contract of the table's source entity (from the mask section). */
  readonly piiPolicy?: PiiScanPolicy;
}

/** What the step must gather before the pass for a kind of check (checks themselves never read the lake). */
export interface CheckNeeds {
  /** The checked table's latest partition before ds (row_count_change). */
  readonly previousPartition?: boolean;
  /** The run reports of ds (reconciliation). */
  readonly runReports?: boolean;
}

/**
 * One kind of check: how to build its runner over the batches of one partition, and what context
 * it needs. A new kind (e.g. a PII scan) is one entry here, its name in QUALITY_CHECK_KINDS
 * (libs/config/src/schema/quality.ts) and its field rules in validate-config.ts; the Record type
 * makes the compiler ask for the entry once the name is added.
 */
export interface CheckKind {
  create(config: QualityCheckConfig, opts: CreateCheckOptions): CheckRunner;
  readonly needs?: CheckNeeds;
}

export const CHECK_KINDS: Readonly<Record<QualityCheckConfig['check'], CheckKind>> = Object.freeze({
  not_null: { create: (c, o) => new NotNullCheck(c, o) },
  unique: { create: (c, o) => new UniqueCheck(c, o) },
  relationships: { create: (c, o) => new RelationshipsCheck(c, o.reference, o) },
  accepted_values: { create: (c, o) => new AcceptedValuesCheck(c, o) },
  range: { create: (c, o) => new RangeCheck(c, o) },
  regex: { create: (c, o) => new RegexCheck(c, o) },
  row_count: { create: (c, o) => new RowCountCheck(c, o) },
  row_count_change: { create: (c, o) => new RowCountChangeCheck(c, o), needs: { previousPartition: true } },
  freshness: { create: (c, o) => new FreshnessCheck(c, o) },
  reconciliation: { create: (c, o) => new ReconciliationCheck(c, o), needs: { runReports: true } },
  pii_scan: {
    create: (c, o) => {
      if (!o.piiPolicy) throw new Error(`${c.table}: pii_scan needs the PII policy of the table's source entity`);
      return new PiiScanCheck(c, o.piiPolicy, o);
    },
  },
});
