import type { WarehouseColumn, WarehouseTable } from './warehouse-model';

/** A table as it stands in a warehouse (or as a previous config's model had it): its columns only. */
export interface ExistingTable {
  readonly name: string;
  /** Columns with their types; a decimal's precision and scale when known. */
  readonly columns: readonly Omit<WarehouseColumn, 'origin'>[];
}

/** What it takes to bring a warehouse to a model. */
export interface WarehouseChanges {
  /** Tables of the model the warehouse lacks: created whole. */
  readonly addTables: readonly string[];
  /** Columns of the model a table lacks: added (nullable, so existing rows read null). */
  readonly addColumns: readonly { readonly table: string; readonly column: WarehouseColumn }[];
  /** Columns whose type the model widens without losing a value: a longer decimal of the same scale, int to bigint. */
  readonly widen: readonly { readonly table: string; readonly column: WarehouseColumn; readonly from: string }[];
  /** Changes that cannot be made safely, each naming the config key and the fix. */
  readonly problems: readonly string[];
}

/** int < bigint, and decimal precision, are the widenings that keep every value. */
const typeText = (c: Pick<WarehouseColumn, 'type' | 'precision' | 'scale'>) => (c.type === 'decimal' ? `decimal(${c.precision ?? '?'},${c.scale ?? '?'})` : c.type);

/**
 * Compares the warehouse (or the model a previous config gave) with a config's model and lists
 * the safe changes and the unsafe ones. Safe: a new table; a new nullable column (a new measure
 * or attribute; old rows read null); a wider type. Unsafe: a column that must be filled
 * (NOT NULL, e.g. a new lookup's key) added to a table that has rows in it already, a type changed
 * to another kind, a decimal's scale changed or its precision narrowed, a column the warehouse
 * requires (NOT NULL) that the model no longer fills. Pure.
 * `typesKnown: false` (SQLite, whose columns take any value) compares columns only, not types.
 */
export function compareWarehouseModels(
  existing: readonly ExistingTable[],
  model: readonly WarehouseTable[],
  opts: { readonly typesKnown?: boolean; readonly tablesWithRows?: ReadonlySet<string> } = {},
): WarehouseChanges {
  const typesKnown = opts.typesKnown ?? true;
  const have = new Map(existing.map((t) => [t.name.toLowerCase(), t]));
  const addTables: string[] = [];
  const addColumns: { table: string; column: WarehouseColumn }[] = [];
  const widen: { table: string; column: WarehouseColumn; from: string }[] = [];
  const problems: string[] = [];
  for (const table of model) {
    const current = have.get(table.name.toLowerCase());
    if (!current) {
      addTables.push(table.name);
      continue;
    }
    const cols = new Map(current.columns.map((c) => [c.name.toLowerCase(), c]));
    for (const column of table.columns) {
      const where = column.origin ? ` (${column.origin})` : '';
      const old = cols.get(column.name.toLowerCase());
      if (!old) {
        const mayHaveRows = opts.tablesWithRows ? opts.tablesWithRows.has(table.name) : true;
        if (column.nullable === false && mayHaveRows) {
          problems.push(
            `${table.name}.${column.name}${where}: a column every row must fill cannot be added to a table that already holds rows; ` +
              `rebuild ${table.name} (drop it and backfill), or remove the change from the config`,
          );
        } else addColumns.push({ table: table.name, column });
        continue;
      }
      if (!typesKnown) continue;
      if (old.type === column.type) {
        if (column.type !== 'decimal') continue;
        if ((old.scale ?? 2) !== (column.scale ?? 2)) {
          problems.push(
            `${table.name}.${column.name}${where}: the scale changes from ${old.scale} to ${column.scale} digits, which would round or pad every stored value; ` +
              `keep scale ${old.scale} in the config, or rebuild ${table.name}`,
          );
        } else if ((old.precision ?? 0) < (column.precision ?? 0)) widen.push({ table: table.name, column, from: typeText(old) });
        // A warehouse column wider than the config asks for holds every value: nothing to do.
        continue;
      }
      if (old.type === 'int' && column.type === 'bigint') {
        widen.push({ table: table.name, column, from: typeText(old) });
        continue;
      }
      if (old.type === 'bigint' && column.type === 'int') continue;
      problems.push(
        `${table.name}.${column.name}${where}: the warehouse column is ${typeText(old)}, the config makes it ${typeText(column)}; ` +
          `changing a column's kind cannot be done without rewriting its values: keep the declared type, or rebuild ${table.name}`,
      );
    }
    const wanted = new Set(table.columns.map((c) => c.name.toLowerCase()));
    for (const old of current.columns) {
      if (wanted.has(old.name.toLowerCase()) || old.nullable !== false) continue;
      problems.push(`${table.name}.${old.name}: the warehouse requires it (NOT NULL) but the config no longer fills it; keep it in star_schema, or drop the column (ALTER TABLE ${table.name} DROP COLUMN ${old.name})`);
    }
  }
  return Object.freeze({ addTables, addColumns, widen, problems });
}

/** Lake key where load-warehouse records the model it last brought the warehouse to. */
export const WAREHOUSE_MODEL_KEY = '_state/_warehouse_model.json';

/** What load-warehouse records after a load: the warehouse's client and the model's tables and columns. */
export interface RecordedWarehouseModel {
  readonly format: 'salesflow.warehouse-model/1';
  readonly client: string;
  readonly ds: string;
  readonly recorded_at: string;
  readonly tables: readonly ExistingTable[];
}

/** The record of a model (origins left out: they name config keys of the config that made it). */
export function recordOfModel(tables: readonly WarehouseTable[], client: string, ds: string, at: Date): RecordedWarehouseModel {
  return {
    format: 'salesflow.warehouse-model/1',
    client,
    ds,
    recorded_at: at.toISOString(),
    tables: tables.map((t) => ({ name: t.name, columns: t.columns.map(({ origin: _origin, ...c }) => c) })),
  };
}
