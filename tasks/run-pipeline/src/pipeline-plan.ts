import type { PipelineConfig } from '@salesflow/config';

/** One step invocation, exactly as Airflow runs it: the task folder and its extra arguments. */
export interface PlannedStep {
  readonly task: string;
  readonly args: readonly string[];
}

/**
 * The DAG's order: setup, one ingest per source, then standardize, mask, build-star-schema,
 * check-quality, load-warehouse, and catalog when catalog.enabled.
 */
export function planPipeline(config: Pick<PipelineConfig, 'sources'> & { readonly catalog?: { readonly enabled: boolean } }): PlannedStep[] {
  return [
    { task: 'setup', args: [] },
    ...config.sources.map((s) => ({ task: 'ingest', args: ['--source', s.name] })),
    { task: 'standardize', args: [] },
    { task: 'mask', args: [] },
    { task: 'build-star-schema', args: [] },
    { task: 'check-quality', args: [] },
    { task: 'load-warehouse', args: [] },
    ...(config.catalog?.enabled ? [{ task: 'catalog', args: [] }] : []),
  ];
}

/** Yesterday's date (UTC) as YYYY-MM-DD: the ds a nightly run processes. */
export function yesterday(now: Date = new Date()): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}
