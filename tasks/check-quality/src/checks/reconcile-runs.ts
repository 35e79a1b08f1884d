import type { RunReportView } from './quality-check-result';

/** One balance the row counts of a ds must satisfy. */
export interface Balance {
  readonly equation: string;
  readonly left: number;
  readonly right: number;
}

/** The balances of a ds, or why they cannot be computed (a run report is missing or failed). */
export interface Reconciliation {
  readonly balances: readonly Balance[];
  readonly problems: readonly string[];
}

/** The steps whose reports reconciliation follows, in pipeline order. ingest has one report per source. */
export const RECONCILED_STEPS = ['ingest', 'standardize', 'mask', 'build-star-schema'] as const;

interface EntityCounts {
  readonly rowsIn?: number;
  readonly rowsOut?: number;
  readonly rejected?: number;
  readonly duplicates?: number;
  readonly rows?: number;
}

const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Rows of the outputs whose URI holds `/<segment>/dt=<ds>/` (the partition of one entity or table). */
function outputRows(report: RunReportView | undefined, segment: string, ds: string, zone?: string): number {
  const needle = `/${segment}/dt=${ds}/`;
  return (report?.outputs ?? []).filter((o) => o.uri.includes(needle) && (!zone || o.uri.includes(`/${zone}/`))).reduce((s, o) => s + o.rows, 0);
}

/**
 * Follows the rows of a ds through the run reports: every step's rows in = out + rejected +
 * dropped; per entity, raw rows = processed + rejected + duplicates, processed = masked; and the
 * masked rows of the fact's source = fact rows (facts whose lookups missed point at the unknown
 * members and are still rows). Pure: the caller reads the reports.
 */
export function reconcileRuns(opts: {
  readonly ds: string;
  readonly reports: ReadonlyMap<string, RunReportView>;
  readonly factTable: string;
  readonly factSource?: string;
  /** Rows of the checked fact partition, to tie the reports to the data checked. */
  readonly factRows?: number;
}): Reconciliation {
  const { ds, reports, factTable, factSource } = opts;
  const problems: string[] = [];
  const balances: Balance[] = [];
  const ingests = [...reports.entries()].filter(([name]) => name === 'ingest' || name.startsWith('ingest-')).map(([, r]) => r);
  if (ingests.length === 0) problems.push(`no ingest run report in _runs/dt=${ds}/: run ingest for this ds first`);
  for (const step of RECONCILED_STEPS.slice(1)) {
    if (!reports.has(step)) problems.push(`no ${step} run report in _runs/dt=${ds}/: run ${step} for this ds first`);
  }
  for (const [name, r] of reports) {
    if (!RECONCILED_STEPS.some((s) => name === s || name.startsWith(`${s}-`))) continue;
    if (r.status !== 'success') problems.push(`the ${name} run of ${ds} ended ${r.status}: its counts are not final`);
  }
  if (problems.length) return { balances, problems };

  for (const [name, r] of [...reports.entries()].filter(([k]) => RECONCILED_STEPS.some((s) => k === s || k.startsWith(`${s}-`)))) {
    balances.push({ equation: `${name}: rows in = out + rejected + dropped`, left: n(r.rows_in), right: n(r.rows_out) + n(r.rows_rejected) + n(r.rows_dropped) });
  }
  const standardize = reports.get('standardize')!;
  const mask = reports.get('mask')!;
  const star = reports.get('build-star-schema')!;
  const stdEntities = (standardize.metrics?.entities ?? {}) as Record<string, EntityCounts>;
  const maskEntities = (mask.metrics?.entities ?? {}) as Record<string, EntityCounts>;
  for (const [entity, e] of Object.entries(stdEntities)) {
    const raw = ingests.reduce((s, r) => s + outputRows(r, entity, ds, 'raw'), 0);
    balances.push({ equation: `${entity}: raw rows = standardize rows in`, left: raw, right: n(e.rowsIn) });
    balances.push({ equation: `${entity}: raw rows = processed + rejected + duplicates`, left: n(e.rowsIn), right: n(e.rowsOut) + n(e.rejected) + n(e.duplicates) });
    if (entity in maskEntities) balances.push({ equation: `${entity}: processed rows = masked rows`, left: n(e.rowsOut), right: n(maskEntities[entity]!.rows) });
    else problems.push(`the mask run report has no counts for entity ${entity}`);
  }
  const builtFact = outputRows(star, factTable, ds, 'curated');
  if (factSource) {
    const unknown = Object.values((star.metrics?.unknown_members ?? {}) as Record<string, number>).reduce((s, v) => s + n(v), 0);
    // Rows whose grain a newer batch carries are left out of this batch's fact on purpose.
    const superseded = n((star.metrics?.fact_merge as { superseded?: unknown } | undefined)?.superseded);
    balances.push({
      equation: `masked ${factSource} rows = ${factTable} rows + rows a newer batch holds (${unknown} lookups went to unknown members)`,
      left: n(maskEntities[factSource]?.rows),
      right: builtFact + superseded,
    });
  }
  if (opts.factRows !== undefined) balances.push({ equation: `${factTable} partition rows = build-star-schema's count`, left: opts.factRows, right: builtFact });
  return { balances, problems };
}
