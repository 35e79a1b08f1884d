import { BadInputError, DataQualityFailedError } from '@salesflow/errors';
import { datasets, type Lake } from '@salesflow/lake';


interface QualityReportSummary {
  readonly status: 'passed' | 'failed';
  readonly generated_at: string;
  readonly checks?: readonly { readonly name: string; readonly status: string; readonly severity: string }[];
}

/**
 * Write-audit-publish: the warehouse only gets a ds whose curated partitions passed the quality
 * checks. The report must exist, have no failed error-severity check, and be newer than every
 * curated partition (a rebuild after the checks needs checking again). Throws otherwise; the
 * warehouse keeps its previous state.
 */
export async function requirePassedQuality(lake: Lake, ds: string, tables: readonly string[]): Promise<void> {
  const key = datasets.qualityPrefix(ds) + 'report.json';
  const report = await lake.readJson<QualityReportSummary>(key);
  if (!report) {
    throw new BadInputError(`No quality report for ds ${ds} at ${lake.storage.uriOf(key)}`, {
      context: { ds },
      fix: `run the check-quality step for --ds ${ds} first; the warehouse only loads checked data`,
    });
  }
  if (report.status !== 'passed') {
    const failed = (report.checks ?? []).filter((c) => c.status === 'failed' && c.severity === 'error').map((c) => c.name);
    throw new DataQualityFailedError(failed.length ? failed : ['(see the report)'], { context: { ds } });
  }
  const checkedAt = Date.parse(report.generated_at);
  for (const table of tables) {
    const manifest = await lake.readManifest(datasets.curated(table), ds);
    // A fact partition a newer batch rewrote to move rows out keeps its build's time (built_at):
    // it holds a subset of the rows that were checked.
    const builtAt = typeof manifest?.meta.built_at === 'string' ? manifest.meta.built_at : manifest?.committed_at;
    if (manifest && builtAt && Date.parse(builtAt) > checkedAt) {
      throw new BadInputError(`curated/${table} for ds ${ds} was rebuilt after the quality checks ran`, {
        context: { ds, table },
        fix: `run check-quality for --ds ${ds} again, then load`,
      });
    }
  }
}
