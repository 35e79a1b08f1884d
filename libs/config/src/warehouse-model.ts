/**
 * The warehouse model: every table, column, type, key, index and foreign key of the star schema
 * the warehouse holds, derived from the config alone (star_schema, and the standardize types of
 * the source entities), exactly as build-star-schema derives the curated tables (one curated
 * dataset per table, same column names). The DDL of every dialect, the migrations and the load
 * all read this one model; nothing is declared a second time per dialect. Pure.
 */
import { columnsOfExpression, parseMeasureExpression } from './measure-expression';
import { surrogateKeyOf, type PipelineConfig } from './pipeline-config';

/** Warehouse engine, as in the config's warehouse.client. */
export type WarehouseDialect = 'sqlite' | 'postgres' | 'mysql';

/** How a value is written: each maps to one DDL type per dialect. */
export type WarehouseColumnType = 'text' | 'int' | 'bigint' | 'float' | 'decimal' | 'date' | 'timestamp' | 'bool';

export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  /** Digits after the point, for decimal columns (DECIMAL(precision, scale)). */
  readonly scale?: number;
  /** Total digits, for decimal columns (default DEFAULT_DECIMAL_PRECISION). */
  readonly precision?: number;
  /** False for keys and the columns the star schema always fills. */
  readonly nullable?: boolean;
  /** Where the column comes from in the config, for messages (e.g. star_schema.fact.measures). */
  readonly origin?: string;
}

export interface WarehouseForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly table: string;
  readonly references: readonly string[];
}

export interface WarehouseIndex {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
}

export interface WarehouseTable {
  readonly name: string;
  readonly kind: 'dimension' | 'fact';
  /** Primary key: the surrogate key of a dimension, the grain of the fact. */
  readonly key: readonly string[];
  readonly columns: readonly WarehouseColumn[];
  /** Unique constraints and plain indexes beyond the primary key. */
  readonly indexes: readonly WarehouseIndex[];
  readonly foreignKeys: readonly WarehouseForeignKey[];
  /** For dimensions: the natural key and whether the table keeps versions (type 2). */
  readonly naturalKey?: string;
  readonly history?: 'type1' | 'type2';
}

/** Precision of a decimal column whose config gives only a scale. */
export const DEFAULT_DECIMAL_PRECISION = 18;

const col = (name: string, type: WarehouseColumnType, nullable = true, origin?: string): WarehouseColumn => ({ name, type, nullable, ...(origin ? { origin } : {}) });
const index = (table: string, columns: readonly string[], unique = false): WarehouseIndex => ({ name: `${unique ? 'uq' : 'ix'}_${table}_${columns.join('_')}`, columns, unique });

/** dim_date's columns (generated, the same for every config). */
export const DIM_DATE_TABLE: WarehouseTable = Object.freeze({
  name: 'dim_date',
  kind: 'dimension',
  key: ['date_key'],
  naturalKey: 'full_date',
  history: 'type1',
  columns: [
    col('date_key', 'int', false),
    col('full_date', 'date'),
    col('day', 'int'),
    col('day_of_week', 'int'),
    col('day_name', 'text'),
    col('week_of_year', 'int'),
    col('month', 'int'),
    col('month_name', 'text'),
    col('quarter', 'int'),
    col('year', 'int'),
    col('is_weekend', 'bool'),
    col('is_holiday', 'bool'),
    col('fiscal_year', 'int'),
    col('fiscal_quarter', 'int'),
  ],
  indexes: [index('dim_date', ['full_date'], true), index('dim_date', ['year', 'month'])],
  foreignKeys: [],
});

/**
 * The tables of a config, dimensions first (the fact's foreign keys need their rows): dim_date,
 * each configured dimension (surrogate key, natural key, attributes, then valid_from, valid_to,
 * is_current for type 2, then is_inferred), then the fact (grain, date_key, one key per lookup,
 * measures, derived measures, the date column, batch_ds). Column types follow the standardize
 * declarations of the source entity (decimals with their precision and scale).
 */
export function warehouseTablesOf(config: Pick<PipelineConfig, 'star_schema' | 'standardize'>): WarehouseTable[] {
  const star = config.star_schema;
  const entities = config.standardize.entities;
  const typed = (entity: string, name: string, origin: string, nullable = true): WarehouseColumn => {
    const spec = entities[entity]?.columns[name];
    switch (spec?.type) {
      case 'int':
        return col(name, 'int', nullable, origin);
      case 'bigint':
        return col(name, 'bigint', nullable, origin);
      case 'float':
        return col(name, 'float', nullable, origin);
      case 'decimal':
        return { ...col(name, 'decimal', nullable, origin), scale: spec.scale ?? 2, precision: spec.precision ?? DEFAULT_DECIMAL_PRECISION };
      case 'bool':
        return col(name, 'bool', nullable, origin);
      case 'date':
        return col(name, 'date', nullable, origin);
      case 'timestamp':
        return col(name, 'timestamp', nullable, origin);
      default:
        return col(name, 'text', nullable, origin);
    }
  };
  const dims = Object.entries(star.dimensions).map(([name, d]): WarehouseTable => {
    const key = surrogateKeyOf(name, d);
    const p = `star_schema.dimensions.${name}`;
    const type2 = d.history === 'type2';
    return {
      name,
      kind: 'dimension',
      key: [key],
      naturalKey: d.natural_key,
      history: d.history,
      columns: [
        col(key, 'int', false, `${p}.surrogate_key`),
        { ...typed(d.source, d.natural_key, `${p}.natural_key`, false), type: 'text' },
        ...d.attributes.map((a) => typed(d.source, a, `${p}.attributes`)),
        ...(type2 ? [col('valid_from', 'date', false), col('valid_to', 'date', false), col('is_current', 'bool', false)] : []),
        col('is_inferred', 'bool', false),
      ],
      indexes: [
        type2 ? index(name, [d.natural_key, 'valid_from'], true) : index(name, [d.natural_key], true),
        ...(type2 ? [index(name, ['is_current', d.natural_key])] : []),
        ...(d.indexes ?? []).map((cols) => index(name, cols)),
      ],
      foreignKeys: [],
    };
  });
  const f = star.fact;
  const p = 'star_schema.fact';
  const lookupKeys = f.lookups.map((l) => ({ key: surrogateKeyOf(l.dimension, star.dimensions[l.dimension]), dimension: l.dimension }));
  const fact: WarehouseTable = {
    name: f.table,
    kind: 'fact',
    key: f.grain,
    columns: [
      ...f.grain.map((g) => typed(f.source, g, `${p}.grain`, false)),
      col('date_key', 'int', false),
      ...lookupKeys.map((l) => col(l.key, 'int', false, `${p}.lookups`)),
      ...f.measures.map((m) => typed(f.source, m, `${p}.measures`)),
      ...f.derived_measures.map((d, i): WarehouseColumn => ({ ...col(d.name, 'decimal', true, `${p}.derived_measures.${i}`), scale: d.scale, precision: d.precision ?? DEFAULT_DECIMAL_PRECISION })),
      typed(f.source, f.date_column, `${p}.date_column`),
      col('batch_ds', 'date', false),
    ],
    indexes: [index(f.table, ['batch_ds']), index(f.table, ['date_key']), ...lookupKeys.map((l) => index(f.table, [l.key]))],
    foreignKeys: [
      { name: `fk_${f.table}_date_key`, columns: ['date_key'], table: 'dim_date', references: ['date_key'] },
      ...lookupKeys.map((l) => ({ name: `fk_${f.table}_${l.key}`, columns: [l.key], table: l.dimension, references: [l.key] })),
    ],
  };
  return [DIM_DATE_TABLE, ...dims, fact];
}

/**
 * The columns of a standardized entity that the star schema reads (dimension keys, attributes and
 * version times; the fact's grain, date, measures, lookups and the inputs of its derived measures).
 * A declared column the source lacks would reach the warehouse as a column of nulls, so standardize
 * refuses these instead of filling them.
 */
export function starSchemaColumnsOf(config: Pick<PipelineConfig, 'star_schema'>, entity: string): Set<string> {
  const out = new Set<string>();
  for (const d of Object.values(config.star_schema.dimensions)) {
    if (d.source !== entity) continue;
    [d.natural_key, ...d.attributes, ...(d.valid_from_column ? [d.valid_from_column] : [])].forEach((c) => out.add(c));
  }
  const f = config.star_schema.fact;
  if (f.source === entity) {
    [...f.grain, f.date_column, ...f.measures, ...f.lookups.map((l) => l.column)].forEach((c) => out.add(c));
    for (const d of f.derived_measures) {
      try {
        for (const c of columnsOfExpression(parseMeasureExpression(d.expression))) out.add(c);
      } catch {
        // validateConfig reports a bad expression; nothing to add here.
      }
    }
  }
  return out;
}
