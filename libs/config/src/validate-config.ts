import { columnsOfExpression, parseMeasureExpression } from './measure-expression';
import { columnGlobRegExp, isColumnGlob } from './schema/mask';
import { pipelineConfigSchema, type PipelineConfig, type QualityCheckConfig, type SourceConfig, type StandardizeEntityConfig } from './pipeline-config';
import { checkSqlPlaceholders } from './sql-placeholders';

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
    const errors = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${issueMessage(i)}`);
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
  c.sources.forEach((s, i) => errors.push(...checkSourceEntities(s, `sources.${i}`)));
  const landed = new Map<string, string>(); // entity -> source
  for (const s of c.sources) for (const e of s.entities) landed.set(`${s.name}/${e.name}`, s.name);
  for (const [name, e] of Object.entries(c.standardize.entities)) {
    for (const source of e.sources) {
      if (!sourceNames.has(source)) errors.push(`standardize.entities.${name}.source: no source named "${source}"; known: ${[...sourceNames].join(', ')}`);
      else if (!landed.has(`${source}/${name}`)) errors.push(`standardize.entities.${name}: source "${source}" has no entity "${name}"`);
    }
    e.key.forEach((k, i) => {
      if (!(k in e.columns)) errors.push(`standardize.entities.${name}.key.${i}: "${k}" is not a declared column`);
    });
    checkStandardizeEntity(`standardize.entities.${name}`, e, errors);
  }
  const entities = c.standardize.entities;
  checkMask(c, errors, warnings);
  const hasColumn = (ent: string, col: string) => Boolean(entities[ent]?.columns[col]);
  for (const [dim, d] of Object.entries(c.star_schema.dimensions)) {
    const p = `star_schema.dimensions.${dim}`;
    if (!(d.source in entities)) errors.push(`${p}.source: no standardized entity "${d.source}"`);
    else
      [d.natural_key, ...d.attributes].forEach((col) => {
        if (!hasColumn(d.source, col)) errors.push(`${p}: "${col}" is not a declared column of ${d.source}`);
      });
    (d.indexes ?? []).forEach((cols, i) => {
      cols.forEach((col) => {
        if (col !== d.natural_key && !d.attributes.includes(col)) errors.push(`${p}.indexes.${i}: "${col}" is not the natural key or one of the attributes`);
      });
    });
    (d.tracked ?? []).forEach((col, i) => {
      if (!d.attributes.includes(col)) errors.push(`${p}.tracked.${i}: "${col}" is not one of the attributes`);
    });
    if (d.tracked && d.history !== 'type2') errors.push(`${p}.tracked: only type2 dimensions track attributes; set history: type2 or remove tracked`);
    if (d.valid_from_column !== undefined) {
      if (d.history !== 'type2') errors.push(`${p}.valid_from_column: only type2 dimensions have versions to date; set history: type2 or remove valid_from_column`);
      const type = entities[d.source]?.columns[d.valid_from_column]?.type;
      if (d.source in entities && type === undefined)
        errors.push(`${p}.valid_from_column: "${d.valid_from_column}" is not a declared column of ${d.source}; declare it in standardize.entities.${d.source}.columns as timestamp or date`);
      else if (type !== undefined && type !== 'timestamp' && type !== 'date')
        errors.push(`${p}.valid_from_column: "${d.valid_from_column}" is declared as ${type}; a version's start needs a timestamp or date column`);
    }
    if (d.history_start !== undefined && d.history !== 'type2') errors.push(`${p}.history_start: only type2 dimensions have a history; set history: type2 or remove history_start`);
    const reserved = d.history === 'type2' ? ['valid_from', 'valid_to', 'is_current', 'is_inferred', 'observed_from', 'observed_at'] : ['is_inferred'];
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
  c.quality.checks.forEach((q, i) => errors.push(...checkQualityCheck(q, `quality.checks.${i}`, tables, f.table)));
  const w = c.warehouse;
  if (w.client === 'sqlite' && !w.sqlite) errors.push('warehouse.sqlite: required for client sqlite (filename)');
  if (w.client !== 'sqlite' && !w.connection) errors.push(`warehouse.connection: required for client ${w.client}`);
  if (!c.lake.root.startsWith('s3://') && c.lake.s3.endpoint) warnings.push('lake.s3.endpoint: ignored because lake.root is a local folder');
  return errors.length ? { errors, warnings } : { config: deepFreeze(c), errors, warnings };
}

/** Kinds that read no column: they look at row counts or run reports. */
const COLUMNLESS_CHECKS: ReadonlySet<string> = new Set(['row_count', 'row_count_change', 'reconciliation', 'pii_scan']);

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

/** Entity-level rules of a source the schema alone cannot say. Pure. */
function checkSourceEntities(s: SourceConfig, path: string): string[] {
  const errors: string[] = [];
  const names = new Set<string>();
  s.entities.forEach((e, j) => {
    if (names.has(e.name)) errors.push(`${path}.entities.${j}.name: duplicate entity name "${e.name}" in source ${s.name}`);
    names.add(e.name);
  });
  if (s.kind === 'database') {
    s.entities.forEach((e, j) => {
      const p = `${path}.entities.${j}`;
      if (Boolean(e.table) === Boolean(e.query)) errors.push(`${p}: give either table or query`);
      if (e.query && (e.columns || e.schema)) errors.push(`${p}: columns and schema go with table, not query`);
      if (e.query && !/^\s*(select|with)\b/i.test(e.query)) errors.push(`${p}.query: must be one SELECT (or WITH ... SELECT) statement`);
      if (e.query && /;\s*\S/.test(e.query)) errors.push(`${p}.query: must be a single statement (no ";" followed by more SQL)`);
      if (e.where && e.query) errors.push(`${p}.where: goes with table; write the condition inside the query`);
      if (e.where && /;/.test(e.where)) errors.push(`${p}.where: must be a condition, without ";"`);
      if (e.query) errors.push(...checkSqlPlaceholders(e.query, s.client, `${p}.query`));
      if (e.where) errors.push(...checkSqlPlaceholders(e.where, s.client, `${p}.where`));
      if (e.cursor_column && !e.primary_key?.length) errors.push(`${p}.primary_key: required with cursor_column, to drop rows already loaded at the watermark`);
      if (e.columns && e.cursor_column && !e.columns.includes(e.cursor_column)) errors.push(`${p}.columns: must include the cursor_column "${e.cursor_column}"`);
      for (const k of e.primary_key ?? []) if (e.columns && !e.columns.includes(k)) errors.push(`${p}.columns: must include the primary_key column "${k}"`);
    });
  }
  return errors;
}

const NUMERIC = new Set(['int', 'bigint', 'float', 'decimal']);

/** Declared-schema checks that need more than one field of a column or entity. */
function checkStandardizeEntity(path: string, e: StandardizeEntityConfig, errors: string[]): void {
  if (e.order_by !== undefined) {
    const t = e.columns[e.order_by]?.type;
    if (!t) errors.push(`${path}.order_by: "${e.order_by}" is not a declared column`);
    else if (!NUMERIC.has(t) && t !== 'date' && t !== 'timestamp') errors.push(`${path}.order_by: "${e.order_by}" is ${t}; declare a numeric, date or timestamp column to order duplicates by`);
  }
  for (const [col, spec] of Object.entries(e.columns)) {
    const p = `${path}.columns.${col}`;
    if (spec.format !== undefined && spec.type !== 'date' && spec.type !== 'timestamp') errors.push(`${p}.format: only for date and timestamp columns (this one is ${spec.type})`);
    if (spec.timezone !== undefined && spec.type !== 'timestamp') errors.push(`${p}.timezone: only for timestamp columns (this one is ${spec.type})`);
    if ((spec.min !== undefined || spec.max !== undefined) && !NUMERIC.has(spec.type)) errors.push(`${p}: min and max are only for numeric columns (this one is ${spec.type})`);
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) errors.push(`${p}.min: ${spec.min} is above max ${spec.max}`);
    if (spec.type === 'decimal' && spec.precision !== undefined && spec.precision < spec.scale) errors.push(`${p}.precision: ${spec.precision} is below the scale ${spec.scale}`);
    if ((spec.true_values || spec.false_values) && spec.type !== 'bool') errors.push(`${p}: true_values and false_values are only for bool columns`);
    spec.normalize.forEach((n, i) => {
      if (n !== 'trim' && spec.type !== 'string') errors.push(`${p}.normalize.${i}: ${n} is only for string columns (this one is ${spec.type})`);
    });
  }
}

function checkMask(c: PipelineConfig, errors: string[], warnings: string[]): void {
  const entities = c.standardize.entities;
  const m = c.mask;
  if (m.key_id in m.previous_keys) errors.push(`mask.previous_keys.${m.key_id}: the current key_id cannot also be a previous key`);
  if (m.vault && m.vault.key_id in m.vault.previous_keys) errors.push(`mask.vault.previous_keys.${m.vault.key_id}: the current key_id cannot also be a previous key`);
  if (m.vault)
    for (const [id, k] of Object.entries(m.vault.previous_keys))
      if (!/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/.test(k)) errors.push(`mask.vault.previous_keys.${id}: must be 32 bytes as 64 hex characters or 44 base64 characters`);
  for (const [ent, rules] of Object.entries(m.entities)) {
    if (!(ent in entities)) {
      errors.push(`mask.entities.${ent}: no standardized entity "${ent}"`);
      continue;
    }
    const declared = Object.keys(entities[ent]!.columns);
    for (const [col, rule] of Object.entries(rules)) {
      const p = `mask.entities.${ent}.${col}`;
      if (isColumnGlob(col)) {
        if (!declared.some((d) => columnGlobRegExp(col).test(d))) warnings.push(`${p}: the pattern matches no declared column of ${ent}`);
      } else if (!(col in entities[ent]!.columns)) errors.push(`${p}: "${col}" is not a declared column of ${ent}`);
      if (rule.method === 'pattern' && !rule.pattern) errors.push(`${p}.pattern: required for method pattern, e.g. XXX-XXX-####`);
      if (rule.method === 'generalize' && !rule.to) errors.push(`${p}.to: required for method generalize (year, month, zip3 or bucket)`);
      if (rule.method === 'generalize' && rule.to === 'bucket' && !rule.bucket_size) errors.push(`${p}.bucket_size: required for generalize to bucket`);
      if (rule.method === 'tokenize' && !m.vault) errors.push(`${p}: method tokenize needs mask.vault (key: \${VAULT_KEY}) to keep the originals; or use method hmac`);
      const spec = isColumnGlob(col) ? undefined : entities[ent]!.columns[col];
      if (rule.at_ingest && spec && (spec.type !== 'string' || spec.normalize.includes('e164')))
        errors.push(`${p}.at_ingest: a column masked at ingest holds masked text; declare it type string without e164 in standardize.entities.${ent}.columns.${col}`);
      if (rule.method === 'sha256' || rule.method === 'md5')
        warnings.push(`${p}: method ${rule.method} is an unkeyed digest; anyone can confirm a guessed value. Prefer hmac`);
    }
  }
  m.pii_scan.safe_columns.forEach((s, i) => {
    const ent = s.split('.')[0]!;
    if (!/[*?]/.test(ent) && !(ent in entities)) warnings.push(`mask.pii_scan.safe_columns.${i}: no standardized entity "${ent}"`);
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * A record key that fails its schema comes back as "Invalid key in record" with the reason
 * nested; the reason (e.g. "must be a plain identifier") is what the user needs to read.
 */
function issueMessage(issue: { code?: string; message: string; issues?: readonly { message: string }[] }): string {
  if (issue.code === 'invalid_key' && issue.issues?.length) return `invalid name: ${issue.issues[0]!.message}`;
  return issue.message;
}
