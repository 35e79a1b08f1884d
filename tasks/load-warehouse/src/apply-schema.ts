import { compareWarehouseModels, type ExistingTable, type WarehouseChanges, type WarehouseColumn, type WarehouseColumnType, type WarehouseDialect, type WarehouseTable } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import type { Knex } from 'knex';
import { quoteIdentifier } from './build-insert-sql';
import { sqlTypeOf } from './dialect-types';
import { runSql } from './run-sql';
import { analysisViewName, columnDefinition, createTableStatements, tablesToCreate, viewStatements } from './warehouse-ddl';

/** What applySchema did. */
export interface AppliedSchema {
  readonly statements: number;
  readonly changes: WarehouseChanges;
}

/**
 * Brings the warehouse to the config's model (warehouseTablesOf) before a load: creates the
 * tables, keys and indexes that are missing, adds new columns, widens types, and (re)creates the
 * BI view, each statement generated from the model for the dialect (warehouse-ddl.ts). A change
 * that cannot be made safely (compareWarehouseModels) fails first, with exit 2, before anything
 * is changed. MySQL commits implicitly around DDL, so this never runs inside the load's transaction.
 */
export async function applySchema(db: Knex, dialect: WarehouseDialect, tables: readonly WarehouseTable[]): Promise<AppliedSchema> {
  const existing = await readExistingTables(db, dialect, tablesToCreate(tables).map((t) => t.name));
  const withRows = new Set<string>();
  for (const t of existing) if ((await runSql(db, dialect, `SELECT 1 AS x FROM ${quoteIdentifier(t.name, dialect)} LIMIT 1`)).length) withRows.add(t.name);
  const changes = compareWarehouseModels(existing, tables, { tablesWithRows: withRows });
  if (changes.problems.length) {
    throw new PipelineError(`The ${dialect} warehouse cannot be brought to the star_schema of the config safely: ${changes.problems.join('; ')}`, {
      exitCode: ExitCode.usage,
      context: { dialect },
      fix: 'see each problem above; `npm run warehouse:ddl -- --config <file>` prints the DDL the config gives',
    });
  }
  const q = (n: string) => quoteIdentifier(n, dialect);
  const creates = tablesToCreate(tables).map((t) => createTableStatements(t, dialect));
  const alters = [
    ...changes.addColumns.map(({ table, column }) => `ALTER TABLE ${q(table)} ADD COLUMN ${columnDefinition({ ...column, nullable: true }, dialect)}`),
    // SQLite keeps any value in any column: its declared type is a name, nothing to widen.
    ...changes.widen.filter(() => dialect !== 'sqlite').map(({ table, column }) =>
      dialect === 'postgres' ? `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column.name)} TYPE ${sqlTypeOf(column, dialect)}` : `ALTER TABLE ${q(table)} MODIFY COLUMN ${columnDefinition(column, dialect)}`,
    ),
  ];
  const fact = tables.find((t) => t.kind === 'fact');
  // PostgreSQL refuses to change a column type a view reads; the view is made again below.
  const dropView = dialect === 'postgres' && changes.widen.length && fact ? [`DROP VIEW IF EXISTS ${q(analysisViewName(fact))}`] : [];
  const statements = [...creates.map((c) => c[0]!), ...dropView, ...alters, ...creates.flatMap((c) => c.slice(1))];
  for (const sql of statements) await run(db, dialect, sql);
  const views = viewStatements(tables, dialect);
  for (const sql of views) await createView(db, dialect, sql, fact);
  return Object.freeze({ statements: statements.length + views.length, changes });
}

async function run(db: Knex, dialect: WarehouseDialect, sql: string): Promise<void> {
  try {
    await runSql(db, dialect, sql);
  } catch (e) {
    throw new Error(`warehouse DDL "${sql.split('\n')[0]!.slice(0, 100)}" failed: ${(e as Error).message}`, { cause: e });
  }
}

/** SQLSTATE of CREATE OR REPLACE VIEW changing a view's columns other than by appending. */
const CANNOT_CHANGE_VIEW_COLUMNS = '42P16';

/** CREATE OR REPLACE VIEW; on PostgreSQL, a view whose columns the config changed is dropped and created. */
async function createView(db: Knex, dialect: WarehouseDialect, sql: string, fact: WarehouseTable | undefined): Promise<void> {
  try {
    await runSql(db, dialect, sql);
  } catch (e) {
    if (dialect !== 'postgres' || (e as { code?: string }).code !== CANNOT_CHANGE_VIEW_COLUMNS || !fact) throw e;
    await run(db, dialect, `DROP VIEW IF EXISTS ${quoteIdentifier(analysisViewName(fact), dialect)}`);
    await run(db, dialect, sql.replace(/^CREATE OR REPLACE VIEW/, 'CREATE VIEW'));
  }
}

/** Type names each catalog reports, to our column types. */
const CATALOG_TYPES: Readonly<Record<string, WarehouseColumnType>> = {
  'character varying': 'text', varchar: 'text', text: 'text', char: 'text', character: 'text', longtext: 'text', mediumtext: 'text',
  integer: 'int', int: 'int', smallint: 'int', mediumint: 'int', int4: 'int',
  bigint: 'bigint', int8: 'bigint',
  'double precision': 'float', double: 'float', real: 'float', float: 'float',
  numeric: 'decimal', decimal: 'decimal',
  date: 'date',
  'timestamp with time zone': 'timestamp', 'timestamp without time zone': 'timestamp', timestamp: 'timestamp', datetime: 'timestamp', timestamptz: 'timestamp',
  boolean: 'bool', tinyint: 'bool', bool: 'bool',
};

interface CatalogColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  numeric_precision: number | string | null;
  numeric_scale: number | string | null;
  is_nullable: string;
}

/**
 * The named tables as they stand in the warehouse (absent ones left out): column names, types,
 * decimal precision and scale, nullability, from information_schema (PostgreSQL: the current
 * schema; MySQL: the connection's database) or PRAGMA table_info (SQLite).
 */
export async function readExistingTables(db: Knex, dialect: WarehouseDialect, names: readonly string[]): Promise<ExistingTable[]> {
  const out: ExistingTable[] = [];
  if (dialect === 'sqlite') {
    for (const name of names) {
      const info = (await db.raw(`PRAGMA table_info(${quoteIdentifier(name, dialect)})`)) as { name: string; type: string; notnull: number; pk: number }[];
      if (!info.length) continue;
      out.push({ name, columns: info.map((c) => ({ ...sqliteType(c.type), name: c.name, nullable: !(c.notnull || c.pk) })) });
    }
    return out;
  }
  const schema = dialect === 'postgres' ? 'current_schema()' : 'DATABASE()';
  const rows = (
    await db.raw(
      `SELECT table_name AS table_name, column_name AS column_name, data_type AS data_type, numeric_precision AS numeric_precision, numeric_scale AS numeric_scale, is_nullable AS is_nullable
         FROM information_schema.columns WHERE table_schema = ${schema} AND table_name IN (${names.map(() => '?').join(', ')}) ORDER BY ordinal_position`,
      [...names],
    )
  )[dialect === 'postgres' ? 'rows' : 0] as CatalogColumn[];
  const byTable = new Map<string, WarehouseColumn[]>();
  for (const r of rows) {
    const t = String(r.table_name ?? (r as unknown as Record<string, string>).TABLE_NAME);
    const type = CATALOG_TYPES[String(r.data_type).toLowerCase()] ?? 'text';
    const column: WarehouseColumn = {
      name: String(r.column_name),
      type,
      nullable: String(r.is_nullable).toUpperCase() === 'YES',
      ...(type === 'decimal' ? { precision: Number(r.numeric_precision), scale: Number(r.numeric_scale) } : {}),
    };
    byTable.set(t, [...(byTable.get(t) ?? []), column]);
  }
  for (const name of names) {
    const columns = byTable.get(name);
    if (columns) out.push({ name, columns });
  }
  return out;
}

/** A SQLite declared type (any text) as one of ours: only names matter there, values are not checked. */
function sqliteType(declared: string): Pick<WarehouseColumn, 'type' | 'precision' | 'scale'> {
  const m = /^\s*(DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)/i.exec(declared);
  if (m) return { type: 'decimal', precision: Number(m[2]), scale: Number(m[3]) };
  return { type: CATALOG_TYPES[declared.replace(/\(.*$/, '').trim().toLowerCase()] ?? 'text' };
}
