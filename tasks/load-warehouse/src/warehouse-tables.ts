/**
 * The warehouse tables the loader fills, derived from the star_schema config exactly as
 * build-star-schema derives the curated tables (one curated dataset per table, same column
 * names). sql/<dialect>/create_star_schema.sql must declare these columns; the loader checks it.
 */
import { surrogateKeyOf, type PipelineConfig } from '@salesflow/config';

/** Warehouse engine, as in the config's warehouse.client. */
export type WarehouseDialect = 'sqlite' | 'postgres' | 'mysql';

/** How a value is written: each maps to the DDL type of the column in every dialect. */
export type WarehouseColumnType = 'text' | 'int' | 'float' | 'decimal' | 'date' | 'timestamp' | 'bool';

export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  /** Digits after the point, for decimal columns (DECIMAL(p, scale)). */
  readonly scale?: number;
}

export interface WarehouseTable {
  readonly name: string;
  readonly kind: 'dimension' | 'fact';
  /** Primary key: the surrogate key of a dimension, the grain of the fact. */
  readonly key: readonly string[];
  readonly columns: readonly WarehouseColumn[];
}

const text = (name: string): WarehouseColumn => ({ name, type: 'text' });
const int = (name: string): WarehouseColumn => ({ name, type: 'int' });
const bool = (name: string): WarehouseColumn => ({ name, type: 'bool' });
const date = (name: string): WarehouseColumn => ({ name, type: 'date' });

/** dim_date's columns (generated, the same for every config). */
export const DIM_DATE_TABLE: WarehouseTable = Object.freeze({
  name: 'dim_date',
  kind: 'dimension',
  key: ['date_key'],
  columns: [
    int('date_key'),
    date('full_date'),
    int('day'),
    int('day_of_week'),
    text('day_name'),
    int('week_of_year'),
    int('month'),
    text('month_name'),
    int('quarter'),
    int('year'),
    bool('is_weekend'),
    bool('is_holiday'),
    int('fiscal_year'),
    int('fiscal_quarter'),
  ],
});

/**
 * The tables of a config, dimensions first (the fact's foreign keys need their rows): dim_date,
 * each configured dimension (surrogate key, natural key, attributes, then valid_from, valid_to,
 * is_current for type 2, then is_inferred), then the fact (grain, date_key, one key per lookup,
 * measures, derived measures, the date column, batch_ds). Column types follow the standardize
 * declarations of the source entity.
 */
export function warehouseTablesOf(config: PipelineConfig): WarehouseTable[] {
  const star = config.star_schema;
  const entities = config.standardize.entities;
  const typed = (entity: string, name: string): WarehouseColumn => {
    const spec = entities[entity]?.columns[name];
    switch (spec?.type) {
      case 'int':
      case 'bigint':
        return int(name);
      case 'float':
        return { name, type: 'float' };
      case 'decimal':
        return { name, type: 'decimal', scale: spec.scale };
      case 'bool':
        return bool(name);
      case 'date':
        return date(name);
      case 'timestamp':
        return { name, type: 'timestamp' };
      default:
        return text(name);
    }
  };
  const dims = Object.entries(star.dimensions).map(([name, d]): WarehouseTable => {
    const key = surrogateKeyOf(name, d);
    return {
      name,
      kind: 'dimension',
      key: [key],
      columns: [
        int(key),
        text(d.natural_key),
        ...d.attributes.map((a) => typed(d.source, a)),
        ...(d.history === 'type2' ? [date('valid_from'), date('valid_to'), bool('is_current')] : []),
        bool('is_inferred'),
      ],
    };
  });
  const f = star.fact;
  const fact: WarehouseTable = {
    name: f.table,
    kind: 'fact',
    key: f.grain,
    columns: [
      ...f.grain.map((g) => typed(f.source, g)),
      int('date_key'),
      ...f.lookups.map((l) => int(surrogateKeyOf(l.dimension, star.dimensions[l.dimension]))),
      ...f.measures.map((m) => typed(f.source, m)),
      ...f.derived_measures.map((d): WarehouseColumn => ({ name: d.name, type: 'decimal', scale: d.scale })),
      typed(f.source, f.date_column),
      date('batch_ds'),
    ],
  };
  return [DIM_DATE_TABLE, ...dims, fact];
}
