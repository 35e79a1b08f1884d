import type { ColumnDef } from '@salesflow/batches';

/** How an entity's columns differ from its previous partition's. */
export interface SchemaChanges {
  /** The partition compared against. */
  readonly since: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Columns whose type changed, as "name: old -> new". */
  readonly changed: readonly string[];
}

/** The differences between two schemas, or undefined when they have the same columns and kinds. Pure. */
export function diffSchemas(previous: readonly ColumnDef[], current: readonly ColumnDef[], since: string): SchemaChanges | undefined {
  const before = new Map(previous.map((c) => [c.name, c.kind]));
  const now = new Map(current.map((c) => [c.name, c.kind]));
  const added = current.filter((c) => !before.has(c.name)).map((c) => c.name);
  const removed = previous.filter((c) => !now.has(c.name)).map((c) => c.name);
  const changed = current.filter((c) => before.has(c.name) && before.get(c.name) !== c.kind).map((c) => `${c.name}: ${before.get(c.name)} -> ${c.kind}`);
  return added.length || removed.length || changed.length ? { since, added, removed, changed } : undefined;
}
