import type { QualityCheckConfig } from '@salesflow/config';

/** One curated table to read once: the checks on it, and the key columns other tables' relationships need from it. */
export interface TableRead {
  readonly table: string;
  /** Indexes into quality.checks of the checks on this table, in config order. */
  readonly checks: readonly number[];
  /** Columns of this table that relationships checks on other tables reference; collected during the same pass. */
  readonly referencedColumns: readonly string[];
}

/**
 * Groups the checks by table and orders the tables so that a referenced table (a dimension) is
 * read before the tables whose relationships checks point at it: its key set is then collected
 * during its own pass instead of by a second read. Ties keep config order; a reference cycle
 * (unusual) just leaves the remaining tables in config order, and their keys are read separately.
 */
export function planTableReads(checks: readonly QualityCheckConfig[]): TableRead[] {
  const byTable = new Map<string, number[]>();
  checks.forEach((c, i) => {
    const list = byTable.get(c.table) ?? [];
    list.push(i);
    byTable.set(c.table, list);
  });
  const referenced = new Map<string, Set<string>>();
  const dependsOn = new Map<string, Set<string>>();
  for (const c of checks) {
    if (c.check !== 'relationships' || !c.references) continue;
    const r = c.references;
    if (!byTable.has(r.table)) continue; // read on its own when needed
    (referenced.get(r.table) ?? referenced.set(r.table, new Set()).get(r.table)!).add(r.column);
    if (r.table !== c.table) (dependsOn.get(c.table) ?? dependsOn.set(c.table, new Set()).get(c.table)!).add(r.table);
  }
  const order: string[] = [];
  const pending = [...byTable.keys()];
  while (pending.length) {
    const ready = pending.findIndex((t) => [...(dependsOn.get(t) ?? [])].every((d) => order.includes(d)));
    order.push(pending.splice(ready < 0 ? 0 : ready, 1)[0]!);
  }
  return order.map((table) => ({ table, checks: byTable.get(table)!, referencedColumns: [...(referenced.get(table) ?? [])] }));
}
