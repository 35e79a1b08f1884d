import { columnsOfExpression, parseMeasureExpression } from './measure-expression';
import { pipelineConfigSchema, type PipelineConfig } from './pipeline-config';

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
    (d.tracked ?? []).forEach((col, i) => {
      if (!d.attributes.includes(col)) errors.push(`${p}.tracked.${i}: "${col}" is not one of the attributes`);
    });
    if (d.tracked && d.history !== 'type2') errors.push(`${p}.tracked: only type2 dimensions track attributes; set history: type2 or remove tracked`);
    const reserved = d.history === 'type2' ? ['valid_from', 'valid_to', 'is_current', 'is_inferred'] : ['is_inferred'];
    [d.natural_key, ...d.attributes].forEach((col) => {
      if (reserved.includes(col)) errors.push(`${p}: "${col}" is a column the star schema adds itself; rename it in standardize`);
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
  f.derived_measures.forEach((d, i) => {
    const p = `star_schema.fact.derived_measures.${i}`;
    if (f.measures.includes(d.name)) errors.push(`${p}.name: "${d.name}" is also in measures; a column is either copied or derived`);
    try {
      for (const col of columnsOfExpression(parseMeasureExpression(d.expression))) {
        if (f.source in entities && !hasColumn(f.source, col)) errors.push(`${p}.expression: "${col}" is not a declared column of ${f.source}`);
      }
    } catch (e) {
      errors.push(`${p}.expression: ${(e as Error).message}`);
    }
  });
  const tables = new Set([...Object.keys(c.star_schema.dimensions), 'dim_date', f.table]);
  c.quality.checks.forEach((q, i) => {
    const p = `quality.checks.${i}`;
    if (!tables.has(q.table)) errors.push(`${p}.table: no curated table "${q.table}"; known: ${[...tables].join(', ')}`);
    if (q.check === 'relationships' && !q.references) errors.push(`${p}.references: required for relationships`);
    if (q.check !== 'row_count' && q.columns.length === 0) errors.push(`${p}.columns: name at least one column`);
    if (q.check === 'row_count' && q.min === undefined && q.max === undefined) errors.push(`${p}: give min, max or both`);
  });
  const w = c.warehouse;
  if (w.client === 'sqlite' && !w.sqlite) errors.push('warehouse.sqlite: required for client sqlite (filename)');
  if (w.client !== 'sqlite' && !w.connection) errors.push(`warehouse.connection: required for client ${w.client}`);
  if (!c.lake.root.startsWith('s3://') && c.lake.s3.endpoint) warnings.push('lake.s3.endpoint: ignored because lake.root is a local folder');
  return errors.length ? { errors, warnings } : { config: deepFreeze(c), errors, warnings };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
