import { pipelineConfigSchema, type PipelineConfig, type QualityCheckConfig } from './pipeline-config';

export interface ValidationResult {
  readonly config?: PipelineConfig;
  /** Every problem as "dotted.path: message". Empty when config is set. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Validates an interpolated config tree: the schema, then the references between sections
 * (entities name existing sources, the star schema names standardized entities...). Pure, and it
 * reports every problem at once rather than stopping at the first.
 */
export function validateConfig(raw: unknown): ValidationResult {
  const parsed = pipelineConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    return { errors: [...new Set(errors)], warnings: [] };
  }
  const c = parsed.data;
  const errors: string[] = [];
  const warnings: string[] = [];
  const sourceNames = new Set<string>();
  c.sources.forEach((s, i) => {
    if (sourceNames.has(s.name)) errors.push(`sources.${i}.name: duplicate source name "${s.name}"`);
    sourceNames.add(s.name);
  });
  const landed = new Map<string, string>(); // entity -> source
  for (const s of c.sources) for (const e of s.entities) landed.set(`${s.name}/${e.name}`, s.name);
  for (const [name, e] of Object.entries(c.standardize.entities)) {
    if (!sourceNames.has(e.source)) errors.push(`standardize.entities.${name}.source: no source named "${e.source}"; known: ${[...sourceNames].join(', ')}`);
    else if (!landed.has(`${e.source}/${name}`)) errors.push(`standardize.entities.${name}: source "${e.source}" has no entity "${name}"`);
    e.key.forEach((k, i) => {
      if (!(k in e.columns)) errors.push(`standardize.entities.${name}.key.${i}: "${k}" is not a declared column`);
    });
  }
  const entities = c.standardize.entities;
  for (const [ent, rules] of Object.entries(c.mask.entities)) {
    if (!(ent in entities)) errors.push(`mask.entities.${ent}: no standardized entity "${ent}"`);
    else
      for (const [col, rule] of Object.entries(rules)) {
        if (!(col in entities[ent]!.columns)) errors.push(`mask.entities.${ent}.${col}: "${col}" is not a declared column of ${ent}`);
        if (rule.method === 'pattern' && !rule.pattern) errors.push(`mask.entities.${ent}.${col}.pattern: required for method pattern, e.g. XXX-XXX-####`);
      }
  }
  const hasColumn = (ent: string, col: string) => Boolean(entities[ent]?.columns[col]);
  for (const [dim, d] of Object.entries(c.star_schema.dimensions)) {
    const p = `star_schema.dimensions.${dim}`;
    if (!(d.source in entities)) errors.push(`${p}.source: no standardized entity "${d.source}"`);
    else
      [d.natural_key, ...d.attributes].forEach((col) => {
        if (!hasColumn(d.source, col)) errors.push(`${p}: "${col}" is not a declared column of ${d.source}`);
      });
  }
  const f = c.star_schema.fact;
  if (!(f.source in entities)) errors.push(`star_schema.fact.source: no standardized entity "${f.source}"`);
  else {
    for (const col of [...f.grain, f.date_column, ...f.measures, ...f.lookups.map((l) => l.column)])
      if (!hasColumn(f.source, col)) errors.push(`star_schema.fact: "${col}" is not a declared column of ${f.source}`);
    if (entities[f.source]!.columns[f.date_column]?.type !== 'timestamp' && entities[f.source]!.columns[f.date_column]?.type !== 'date')
      errors.push(`star_schema.fact.date_column: "${f.date_column}" must be declared as timestamp or date`);
  }
  f.lookups.forEach((l, i) => {
    if (!(l.dimension in c.star_schema.dimensions)) errors.push(`star_schema.fact.lookups.${i}.dimension: no dimension "${l.dimension}"`);
  });
  const tables = new Set([...Object.keys(c.star_schema.dimensions), 'dim_date', f.table]);
  c.quality.checks.forEach((q, i) => errors.push(...checkQualityCheck(q, `quality.checks.${i}`, tables, f.table)));
  const w = c.warehouse;
  if (w.client === 'sqlite' && !w.sqlite) errors.push('warehouse.sqlite: required for client sqlite (filename)');
  if (w.client !== 'sqlite' && !w.connection) errors.push(`warehouse.connection: required for client ${w.client}`);
  if (!c.lake.root.startsWith('s3://') && c.lake.s3.endpoint) warnings.push('lake.s3.endpoint: ignored because lake.root is a local folder');
  return errors.length ? { errors, warnings } : { config: deepFreeze(c), errors, warnings };
}

/** Kinds that read no column: they look at row counts or run reports. */
const COLUMNLESS_CHECKS: ReadonlySet<string> = new Set(['row_count', 'row_count_change', 'reconciliation']);

/** The fields each kind of quality check needs, beyond what the schema can say. */
function checkQualityCheck(q: QualityCheckConfig, p: string, tables: ReadonlySet<string>, factTable: string): string[] {
  const errors: string[] = [];
  if (!tables.has(q.table)) errors.push(`${p}.table: no curated table "${q.table}"; known: ${[...tables].join(', ')}`);
  if (!COLUMNLESS_CHECKS.has(q.check) && q.columns.length === 0) errors.push(`${p}.columns: name at least one column`);
  switch (q.check) {
    case 'relationships':
      if (!q.references) errors.push(`${p}.references: required for relationships, e.g. { table: dim_customer, column: customer_key }`);
      break;
    case 'row_count':
      if (q.min === undefined && q.max === undefined) errors.push(`${p}: give min, max or both`);
      for (const k of ['min', 'max'] as const) {
        const v = q[k];
        if (v !== undefined && (!Number.isInteger(v) || v < 0)) errors.push(`${p}.${k}: a row count is a whole number >= 0`);
      }
      break;
    case 'range':
      if (q.min === undefined && q.max === undefined) errors.push(`${p}: give min, max or both`);
      else if (q.min !== undefined && q.max !== undefined && q.min > q.max) errors.push(`${p}: min ${q.min} is above max ${q.max}`);
      break;
    case 'accepted_values':
      if (!q.values?.length) errors.push(`${p}.values: list the accepted values, e.g. [web, store]`);
      break;
    case 'regex':
      if (q.pattern === undefined) errors.push(`${p}.pattern: required for regex, e.g. "^TXN[0-9]{8}$"`);
      else
        try {
          new RegExp(q.pattern, 'u');
        } catch (e) {
          errors.push(`${p}.pattern: not a valid regular expression (${(e as Error).message})`);
        }
      break;
    case 'row_count_change':
      if (q.max_drop_pct === undefined && q.max_growth_pct === undefined) errors.push(`${p}: give max_drop_pct, max_growth_pct or both`);
      break;
    case 'freshness':
      if (q.max_age_hours === undefined) errors.push(`${p}.max_age_hours: required for freshness, e.g. 36`);
      if (q.columns.length > 1) errors.push(`${p}.columns: freshness reads one timestamp or date column`);
      break;
    case 'reconciliation':
      if (q.table !== factTable) errors.push(`${p}.table: reconciliation follows the rows into the fact table; set it to "${factTable}"`);
      break;
  }
  return errors;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
