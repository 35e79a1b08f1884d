import type { ColumnDef } from '@salesflow/batches';
import { datasetNameOf } from './dataset-name';

/** The OpenLineage core spec version the events follow. */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACET = 'https://openlineage.io/spec/facets';
/** Who produced the events (the OpenLineage `producer`). */
export const LINEAGE_PRODUCER = 'https://github.com/salesflow/salesflow/tree/main/libs/lineage';

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL';

/** One dataset a run read or wrote, as the step harness knows it. */
export interface LineageDataset {
  readonly uri: string;
  readonly rows?: number;
  /** The Parquet columns (from the partition's manifest), for the schema facet. */
  readonly schema?: readonly ColumnDef[];
}

/** A run event as sent: plain JSON. */
export type RunEvent = Readonly<Record<string, unknown>> & {
  readonly eventType: RunEventType;
  readonly run: { readonly runId: string; readonly facets?: Readonly<Record<string, unknown>> };
};

export interface RunEventInput {
  readonly eventType: RunEventType;
  readonly eventTime: Date;
  /** The OpenLineage run id: a UUID, the same for START and its COMPLETE or FAIL. */
  readonly runId: string;
  /** Job namespace: the pipeline name. */
  readonly namespace: string;
  /** Job name: the step, with its source for per-source steps ("ingest.landing"). */
  readonly job: string;
  /** The logical date, as the nominal start of the run. */
  readonly ds: string;
  /** The orchestrator's run id (Airflow's run_id), kept in a custom run facet. */
  readonly externalRunId: string;
  readonly inputs?: readonly LineageDataset[];
  readonly outputs?: readonly LineageDataset[];
  /** For FAIL: what went wrong (already redacted). */
  readonly error?: string;
}

const facet = (schema: string) => ({ _producer: LINEAGE_PRODUCER, _schemaURL: schema });

function schemaFacet(schema: readonly ColumnDef[]) {
  return {
    ...facet(`${FACET}/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet`),
    fields: schema.map((c) => ({ name: c.name, type: c.kind })),
  };
}

function datasetOf(d: LineageDataset) {
  return { ...datasetNameOf(d.uri), facets: d.schema ? { schema: schemaFacet(d.schema) } : {} };
}

/**
 * Builds one OpenLineage RunEvent: job and run with a nominal-time facet, input datasets with
 * schema and inputStatistics (rows read), output datasets with schema and outputStatistics (rows
 * written), and an errorMessage facet on FAIL. Pure.
 */
export function buildRunEvent(e: RunEventInput): RunEvent {
  const runFacets: Record<string, unknown> = {
    nominalTime: { ...facet(`${FACET}/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet`), nominalStartTime: `${e.ds}T00:00:00.000Z` },
    salesflow_run: { ...facet(`${LINEAGE_PRODUCER}#salesflow_run`), ds: e.ds, run_id: e.externalRunId },
  };
  if (e.eventType === 'FAIL' && e.error) {
    runFacets.errorMessage = { ...facet(`${FACET}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet`), message: e.error, programmingLanguage: 'TypeScript' };
  }
  return {
    eventType: e.eventType,
    eventTime: e.eventTime.toISOString(),
    producer: LINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: e.runId, facets: runFacets },
    job: {
      namespace: e.namespace,
      name: e.job,
      facets: { jobType: { ...facet(`${FACET}/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet`), processingType: 'BATCH', integration: 'SALESFLOW', jobType: 'TASK' } },
    },
    inputs: (e.inputs ?? []).map((d) => ({
      ...datasetOf(d),
      ...(d.rows !== undefined
        ? { inputFacets: { inputStatistics: { ...facet(`${FACET}/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet`), rowCount: d.rows } } }
        : {}),
    })),
    outputs: (e.outputs ?? []).map((d) => ({
      ...datasetOf(d),
      ...(d.rows !== undefined
        ? { outputFacets: { outputStatistics: { ...facet(`${FACET}/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet`), rowCount: d.rows } } }
        : {}),
    })),
  };
}
