import { ExitCode, PipelineError } from '@salesflow/errors';
import type { PiiFinding } from './scan-batches-for-pii';

/** Personal data where the PII contract forbids it. Exit 3: the data, not the run, is wrong. */
export class PiiFoundError extends PipelineError {
  readonly findings: readonly PiiFinding[];

  constructor(findings: readonly PiiFinding[], opts: { readonly ds?: string } = {}) {
    const list = findings.map(describeFinding).join('; ');
    super(`PII scan failed: ${list}`, {
      exitCode: ExitCode.dataQuality,
      context: { table: findings[0]?.table, column: findings[0]?.column, ds: opts.ds },
      fix: 'add a mask rule for each column under mask.entities.<entity> (or mask at ingest); if the values are not personal data, list the column in mask.pii_scan.safe_columns as entity.column',
    });
    this.findings = Object.freeze([...findings]);
  }
}

/** One finding as a phrase, values never included. */
export function describeFinding(f: PiiFinding): string {
  return f.reason === 'sensitive_unmasked'
    ? `${f.table}.${f.column} is a sensitive column and is not masked`
    : `${f.table}.${f.column} has ${f.matches} of ${f.sampled} sampled values that look like ${f.kind === 'card' ? 'card numbers' : f.kind === 'ssn' ? 'SSNs' : `${f.kind}s`}`;
}
