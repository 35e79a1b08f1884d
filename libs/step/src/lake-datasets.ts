import type { PipelineConfig } from '@salesflow/config';
import { datasets } from '@salesflow/lake';

export type Zone = 'raw' | 'processed' | 'masked' | 'curated' | 'quality';

/** One dataset the pipeline writes per ds, the step that writes it, and the datasets it is made from. */
export interface LakeDataset {
  readonly zone: Zone;
  /** Dataset path below the lake root ("processed/customers"); "quality" for the quality reports. */
  readonly dataset: string;
  /** What to run to (re)make it: "ingest --source landing", "standardize"... */
  readonly step: string;
  readonly inputs: readonly string[];
}

export const ZONES: readonly Zone[] = ['raw', 'processed', 'masked', 'curated', 'quality'];

/** The quality reports, as a pseudo-dataset: quality/dt=<ds>/report.json. */
export const QUALITY_DATASET = 'quality';

/** Every dataset of every zone the config makes, with its inputs, in pipeline order. Pure. */
export function lakeDatasetsOf(config: PipelineConfig): LakeDataset[] {
  const out: LakeDataset[] = [];
  const rawOf = new Map<string, string>();
  for (const s of config.sources) {
    for (const e of s.entities) {
      const dataset = datasets.raw(s.kind, s.name, e.name);
      rawOf.set(`${s.name}/${e.name}`, dataset);
      out.push({ zone: 'raw', dataset, step: `ingest --source ${s.name}`, inputs: [] });
    }
  }
  for (const [entity, e] of Object.entries(config.standardize.entities)) {
    const raws = e.sources.map((source) => rawOf.get(`${source}/${entity}`)).filter((r): r is string => r !== undefined);
    out.push({ zone: 'processed', dataset: datasets.processed(entity), step: 'standardize', inputs: raws });
  }
  for (const entity of Object.keys(config.standardize.entities)) {
    out.push({ zone: 'masked', dataset: datasets.masked(entity), step: 'mask', inputs: [datasets.processed(entity)] });
  }
  const star = config.star_schema;
  const sources = [...new Set([...Object.values(star.dimensions).map((d) => d.source), star.fact.source])].map(datasets.masked);
  const tables = [...Object.keys(star.dimensions), 'dim_date', star.fact.table];
  for (const t of tables) out.push({ zone: 'curated', dataset: datasets.curated(t), step: 'build-star-schema', inputs: sources });
  out.push({ zone: 'quality', dataset: QUALITY_DATASET, step: 'check-quality', inputs: tables.map(datasets.curated) });
  return out;
}
