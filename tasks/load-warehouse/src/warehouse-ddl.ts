import type { WarehouseColumn, WarehouseDialect, WarehouseTable } from '@salesflow/config';
import { quoteIdentifier } from './build-insert-sql';
import { sqlTypeOf } from './dialect-types';

/**
 * The warehouse DDL of a model, for one dialect, generated from the model alone (warehouseTablesOf):
 * every statement idempotent (CREATE ... IF NOT EXISTS), so the loader runs them before each load
 * and `npm run warehouse:ddl` prints them for review. Views come last (see viewStatements).
 */

/** Where the loader records which dimension snapshot each dimension table holds (its bookkeeping). */
export const DIMENSION_STATE_TABLE = 'etl_dimension_state';

const BOOKKEEPING: WarehouseTable = Object.freeze<WarehouseTable>({
  name: DIMENSION_STATE_TABLE,
  kind: 'dimension',
  key: ['table_name'],
  columns: [
    { name: 'table_name', type: 'text', nullable: false },
    { name: 'ds', type: 'date', nullable: false },
    { name: 'committed_at', type: 'text', nullable: false },
  ],
  indexes: [],
  foreignKeys: [],
});

/** MySQL tables: InnoDB, utf8mb4 with the binary collation, so natural keys that differ only in case stay distinct, as in the lake. */
const MYSQL_TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** A column's definition in a CREATE TABLE or ADD COLUMN. */
export function columnDefinition(c: WarehouseColumn, dialect: WarehouseDialect): string {
  return `${quoteIdentifier(c.name, dialect)} ${sqlTypeOf(c, dialect)}${c.nullable === false ? ' NOT NULL' : ''}`;
}

/** CREATE INDEX for PostgreSQL and SQLite (MySQL declares its indexes inside CREATE TABLE). */
function createIndexSql(table: WarehouseTable, ix: WarehouseTable['indexes'][number], dialect: WarehouseDialect): string {
  const q = (n: string) => quoteIdentifier(n, dialect);
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(ix.name)} ON ${q(table.name)} (${ix.columns.map(q).join(', ')})`;
}

/** The statements that create one table, its keys and its indexes where missing. */
export function createTableStatements(table: WarehouseTable, dialect: WarehouseDialect): string[] {
  const q = (n: string) => quoteIdentifier(n, dialect);
  const list = (cols: readonly string[]) => cols.map(q).join(', ');
  const lines = table.columns.map((c) => `  ${columnDefinition(c, dialect)}`);
  lines.push(`  CONSTRAINT ${q(`pk_${table.name}`)} PRIMARY KEY (${list(table.key)})`);
  if (dialect === 'mysql') {
    for (const ix of table.indexes) lines.push(`  ${ix.unique ? `CONSTRAINT ${q(ix.name)} UNIQUE KEY` : `INDEX ${q(ix.name)}`} (${list(ix.columns)})`);
  } else {
    // Unique constraints stay in the table (the loader's upserts name their conflict targets).
    for (const ix of table.indexes.filter((i) => i.unique)) lines.push(`  CONSTRAINT ${q(ix.name)} UNIQUE (${list(ix.columns)})`);
  }
  for (const fk of table.foreignKeys) lines.push(`  CONSTRAINT ${q(fk.name)} FOREIGN KEY (${list(fk.columns)}) REFERENCES ${q(fk.table)} (${list(fk.references)})`);
  const create = `CREATE TABLE IF NOT EXISTS ${q(table.name)} (\n${lines.join(',\n')}\n)${dialect === 'mysql' ? ` ${MYSQL_TABLE_OPTIONS}` : ''}`;
  const indexes = dialect === 'mysql' ? [] : table.indexes.filter((i) => !i.unique).map((ix) => createIndexSql(table, ix, dialect));
  return [create, ...indexes];
}

/** The model's tables and the loader's bookkeeping table (dimensions before the fact: its foreign keys need them). */
export function tablesToCreate(tables: readonly WarehouseTable[]): WarehouseTable[] {
  return [...tables, BOOKKEEPING];
}

/** The statements that create the whole star schema of a model where missing: every table with its keys and indexes, then the views. */
export function schemaStatements(tables: readonly WarehouseTable[], dialect: WarehouseDialect): string[] {
  return [...tablesToCreate(tables).flatMap((t) => createTableStatements(t, dialect)), ...viewStatements(tables, dialect)];
}

/** The name of a fact's BI view: vw_<fact without its fact_ prefix>_analysis (fact_sales: vw_sales_analysis). */
export function analysisViewName(fact: WarehouseTable): string {
  return `vw_${fact.name.replace(/^fact_/, '')}_analysis`;
}

/** The calendar columns the BI view takes from dim_date. */
const DATE_COLUMNS = ['full_date', 'year', 'quarter', 'month', 'month_name', 'week_of_year', 'day_name', 'is_weekend', 'is_holiday', 'fiscal_year', 'fiscal_quarter'];

/**
 * The BI view of the fact: one row per fact with the date dimension joined and every looked-up
 * dimension's attributes under friendly names: <dimension without dim_>_<attribute> (an attribute
 * already starting with that prefix keeps its name). For a type 2 dimension the names give the
 * member's CURRENT version, and <name>_at_sale the version the fact points to. Inner joins lose
 * nothing: the foreign keys guarantee a match, a missed lookup points at the unknown member (-1),
 * and every member has exactly one current row.
 * PostgreSQL's CREATE OR REPLACE VIEW can only append columns, so the loader drops and creates the
 * view when the config changed it (see applySchema); SQLite has no OR REPLACE, so it always does.
 */
export function viewStatements(tables: readonly WarehouseTable[], dialect: WarehouseDialect): string[] {
  const fact = tables.find((t) => t.kind === 'fact');
  if (!fact) return [];
  const q = (n: string) => quoteIdentifier(n, dialect);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const select: string[] = [];
  const joins: string[] = [];
  const factCols = fact.columns.filter((c) => !fact.foreignKeys.some((fk) => fk.columns.includes(c.name)));
  select.push(...factCols.map((c) => `f.${q(c.name)}`));
  select.push('f.date_key', ...DATE_COLUMNS.map((c) => `d.${q(c)}`));
  joins.push(`JOIN ${q('dim_date')} d ON d.${q('date_key')} = f.${q('date_key')}`);
  const taken = new Set(select.map((s) => s.replace(/^.*\./, '').replace(/["`]/g, '')));
  fact.foreignKeys
    .filter((fk) => fk.table !== 'dim_date')
    .forEach((fk, i) => {
      const dim = byName.get(fk.table)!;
      const base = dim.name.replace(/^dim_/, '');
      const alias = `t${i + 1}`;
      const current = `c${i + 1}`;
      const type2 = dim.history === 'type2';
      const friendly = (n: string) => (n.startsWith(`${base}_`) ? n : `${base}_${n}`);
      const add = (expr: string, name: string) => {
        // Two dimensions mapping to one friendly name (or a fact column of it) keep the later one apart.
        const unique = taken.has(name) ? `${name}_${i + 1}` : name;
        taken.add(unique);
        select.push(`${expr} AS ${q(unique)}`);
      };
      select.push(`f.${q(fk.columns[0]!)}`);
      taken.add(fk.columns[0]!);
      joins.push(`JOIN ${q(dim.name)} ${alias} ON ${alias}.${q(fk.references[0]!)} = f.${q(fk.columns[0]!)}`);
      if (type2) joins.push(`JOIN ${q(dim.name)} ${current} ON ${current}.${q(dim.naturalKey!)} = ${alias}.${q(dim.naturalKey!)} AND ${current}.${q('is_current')} = ${dialect === 'mysql' ? '1' : 'TRUE'}`);
      const attrs = dim.columns.filter((c) => c.name !== fk.references[0] && !['valid_from', 'valid_to', 'is_current'].includes(c.name));
      for (const c of attrs) {
        if (c.name === dim.naturalKey) add(`${alias}.${q(c.name)}`, c.name);
        else add(`${type2 ? current : alias}.${q(c.name)}`, friendly(c.name));
      }
      if (type2) for (const c of attrs.filter((a) => a.name !== dim.naturalKey && a.name !== 'is_inferred')) add(`${alias}.${q(c.name)}`, `${friendly(c.name)}_at_sale`);
    });
  const view = q(analysisViewName(fact));
  const body = `SELECT\n  ${select.join(',\n  ')}\nFROM ${q(fact.name)} f\n${joins.join('\n')}`;
  if (dialect === 'sqlite') return [`DROP VIEW IF EXISTS ${view}`, `CREATE VIEW ${view} AS\n${body}`];
  return [`CREATE OR REPLACE VIEW ${view} AS\n${body}`];
}
