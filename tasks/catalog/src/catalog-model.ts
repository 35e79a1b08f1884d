import type { CatalogConfig, PipelineConfig } from '@salesflow/config';

/** Where a dataset lives: a lake zone, the warehouse, or a source outside the lake (from lineage). */
export type CatalogZone = 'source' | 'raw' | 'processed' | 'rejected' | 'masked' | 'curated' | 'warehouse';

/** Zones left to right, as the lineage graph draws them. */
export const CATALOG_ZONES: readonly CatalogZone[] = ['source', 'raw', 'processed', 'rejected', 'masked', 'curated', 'warehouse'];

export interface CatalogColumn {
  readonly name: string;
  readonly kind: string;
  readonly nullable: boolean;
  readonly description?: string;
  /** The mask method of a personal-data column (hmac, tokenize, email, ...): masked from processed/masked on. */
  readonly pii?: string;
}

/** One partition as the catalog shows it: its rows and when it was committed. */
export interface PartitionPoint {
  readonly ds: string;
  readonly rows: number;
  readonly committed_at?: string;
}

/** A quality check result as the catalog shows it (the fields of report.json it reads). */
export interface CatalogCheck {
  readonly name: string;
  readonly check: string;
  readonly severity: string;
  readonly status: string;
  readonly failing_rows: number;
  readonly rows_checked: number;
  readonly message: string;
}

export interface CatalogDataset {
  /** "curated/fact_sales", "warehouse/fact_sales", "source/postgres://db:5432/sales/customers". */
  readonly id: string;
  readonly zone: CatalogZone;
  readonly name: string;
  readonly uri: string;
  /** The step that writes it. */
  readonly step: string;
  readonly description?: string;
  readonly owner: string;
  readonly columns: readonly CatalogColumn[];
  /** Partitions committed in total; history holds the last catalog.history_days of them. */
  readonly partitions: number;
  readonly history: readonly PartitionPoint[];
  /** Hours between the newest commit and the catalog's build. */
  readonly age_hours?: number;
  readonly checks: readonly CatalogCheck[];
  readonly quality_ds?: string;
  /** The column profile of the newest profiled ds (quality/dt=<ds>/profiles.json), as stored. */
  readonly profile?: Readonly<Record<string, unknown>>;
  readonly upstream: readonly string[];
  readonly downstream: readonly string[];
}

export interface CatalogModel {
  readonly pipeline: string;
  readonly lake_root: string;
  readonly generated_at: string;
  /** The newest ds with a quality report, and each reported ds's verdict. */
  readonly quality: readonly { readonly ds: string; readonly status: string; readonly passed: number; readonly failed: number; readonly warned: number }[];
  readonly datasets: readonly CatalogDataset[];
}

/** A column glob of the mask config (`*email*`, `?`) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** The mask method of each masked column of an entity: the first rule whose name or glob matches. */
export function piiMethodOf(config: PipelineConfig, entity: string | undefined, column: string): string | undefined {
  const rules = entity ? config.mask.entities[entity] : undefined;
  if (!rules) return undefined;
  if (rules[column]) return rules[column]!.method;
  for (const [pattern, rule] of Object.entries(rules)) if (globToRegExp(pattern).test(column)) return rule.method;
  return undefined;
}

/**
 * Description and owner of a dataset: its path's entry, else its entity or table's entry, else the
 * default owner. Column descriptions also come from the entity it is built from (a dimension's
 * email column means what customers.email means), the nearer entry winning.
 */
export function describeDataset(catalog: CatalogConfig, id: string, name: string, entity?: string): { description?: string; owner: string; columns: Readonly<Record<string, string>> } {
  const entry = catalog.datasets[id];
  const byName = catalog.datasets[name];
  const fromEntity = entity && entity !== name ? catalog.datasets[entity] : undefined;
  const description = entry?.description ?? byName?.description;
  return {
    ...(description ? { description } : {}),
    owner: entry?.owner ?? byName?.owner ?? catalog.owner,
    columns: { ...(fromEntity?.columns ?? {}), ...(byName?.columns ?? {}), ...(entry?.columns ?? {}) },
  };
}
