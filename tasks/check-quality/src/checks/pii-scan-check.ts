import type * as arrow from 'apache-arrow';
import type { QualityCheckConfig } from '@salesflow/config';
import { PiiScanner, type PiiScanPolicy } from '@salesflow/pii-scan';
import { nameCheck } from './check-name';
import { formatCount } from './column-check';
import { checkResult, type CheckOptions, type CheckRunner, type QualityCheckResult } from './quality-check-result';

/**
 * The PII contract on a curated table: a sensitive column name that no mask rule covers, or
 * sampled values that look like emails, phones, card numbers or SSNs in a column not declared
 * safe, fail the check. The report names columns and counts only: a PII finding never samples
 * a value, since the value is the leak.
 */
export class PiiScanCheck implements CheckRunner {
  readonly name: string;
  readonly columns: readonly string[];
  private readonly scanner: PiiScanner;

  constructor(
    readonly config: QualityCheckConfig,
    policy: PiiScanPolicy,
    opts: CheckOptions = {},
  ) {
    this.name = nameCheck(config);
    // No columns configured: every column of the table except lineage columns (the scanner reads text ones only).
    this.columns = config.columns.length ? [...config.columns] : (opts.tableColumns ?? []).filter((c) => !c.startsWith('_'));
    this.scanner = new PiiScanner(config.table, policy, { expectedRows: opts.expectedRows });
  }

  consume(batch: arrow.RecordBatch): void {
    this.scanner.scan(batch);
  }

  finish(): QualityCheckResult {
    const r = this.scanner.result();
    const failing = r.findings.reduce((n, f) => n + (f.matches ?? 1), 0);
    const message = r.findings.length
      ? `${r.findings.length} PII finding(s): ` +
        r.findings
          .map((f) =>
            f.reason === 'sensitive_unmasked'
              ? `${f.column} is a sensitive column and no mask rule covers it (add a rule under mask.entities)`
              : `${f.column} has ${formatCount(f.matches ?? 0)} of ${formatCount(f.sampled ?? 0)} sampled values that look like ${f.kind} (mask it, or list it in mask.pii_scan.safe_columns)`,
          )
          .join('; ')
      : `no PII found in ${formatCount(r.valuesScanned)} values of ${formatCount(r.rowsSampled)} sampled rows`;
    return checkResult(this.config, this.name, {
      status: r.findings.length ? 'failed' : 'passed',
      failing_rows: failing,
      rows_checked: r.rowsSampled,
      sample: [],
      message,
    });
  }
}
