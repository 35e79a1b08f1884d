import { hash } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, KeySet, type ColumnDef, type ColumnKind } from '@salesflow/batches';
import type { ColumnSpecConfig, StandardizeEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { castValue, KIND_OF_TYPE } from './cast-value';
import { snakeCase } from './snake-case';

/** Lineage columns every processed row carries. */
export const LINEAGE_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: '_source', kind: 'string', nullable: false },
  { name: '_ingested_at', kind: 'timestamp', nullable: false },
  { name: '_run_id', kind: 'string', nullable: false },
  { name: '_row_hash', kind: 'string', nullable: false },
]);

export const REJECT_COLUMN = '_reject_column';
export const REJECT_REASON = '_reject_reason';

interface PlannedColumn {
  readonly target: string;
  /** Raw column it is read from; undefined when the raw data lacks it (all nulls). */
  readonly raw?: string;
  readonly spec: ColumnSpecConfig;
  readonly kind: ColumnKind;
}

/** How one entity's raw columns map to its declared schema. */
export interface EntityPlan {
  readonly entity: string;
  readonly columns: readonly PlannedColumn[];
  readonly key: readonly string[];
  /** Raw columns not declared (dropped, reported). */
  readonly undeclared: readonly string[];
  /** Declared optional columns the raw data lacks (filled with nulls, reported). */
  readonly missing: readonly string[];
  readonly rawColumns: readonly string[];
}

const RAW_LINEAGE = new Set(['_source_file', '_source_row']);

/**
 * Matches raw column names (snake_cased) to the declared schema. A required declared column
 * missing from the data fails with the entity and column named.
 */
export function planEntity(entity: string, cfg: StandardizeEntityConfig, rawSchema: arrow.Schema, opts: { readonly empty?: boolean } = {}): EntityPlan {
  const rawColumns = rawSchema.fields.map((f) => f.name);
  const bySnake = new Map<string, string>();
  for (const n of rawColumns) {
    if (RAW_LINEAGE.has(n)) continue;
    const snake = snakeCase(n);
    const clash = bySnake.get(snake);
    if (clash !== undefined) {
      throw new BadInputError(`Entity ${entity}: the raw columns "${clash}" and "${n}" both become "${snake}"`, {
        context: { entity, column: snake },
        fix: 'rename one of them in the source; otherwise one would be dropped',
      });
    }
    bySnake.set(snake, n);
  }
  const used = new Set<string>();
  const missing: string[] = [];
  const columns = Object.entries(cfg.columns).map(([target, spec]): PlannedColumn => {
    const raw = bySnake.get(snakeCase(spec.from ?? target));
    if (raw) used.add(raw);
    // An empty raw partition (nothing landed) has no columns to check, and no rows to cast.
    else if (spec.required && !opts.empty) {
      throw new BadInputError(`Entity ${entity}: the required column "${spec.from ?? target}" is not in the raw data (columns: ${rawColumns.join(', ')})`, {
        context: { entity, column: target },
        fix: `set standardize.entities.${entity}.columns.${target}.from to the source column name, or fix the source`,
      });
    } else missing.push(target);
    return { target, raw, spec, kind: KIND_OF_TYPE[spec.type] };
  });
  const undeclared = rawColumns.filter((n) => !used.has(n) && !RAW_LINEAGE.has(n));
  return { entity, columns, key: cfg.key, undeclared, missing, rawColumns };
}

/** Output columns: the declared ones in config order, then lineage. */
export function processedColumns(plan: EntityPlan): ColumnDef[] {
  return [...plan.columns.map((c) => ({ name: c.target, kind: c.kind, nullable: !c.spec.required })), ...LINEAGE_COLUMNS];
}

/** Rejected rows keep every raw value as text, plus which column failed and why. */
export function rejectedColumns(plan: EntityPlan): ColumnDef[] {
  return [
    ...plan.rawColumns.map((name): ColumnDef => ({ name, kind: name === '_source_row' ? 'int32' : 'string' })),
    { name: REJECT_COLUMN, kind: 'string', nullable: false },
    { name: REJECT_REASON, kind: 'string', nullable: false },
  ];
}

export interface StandardizeCounts {
  rowsIn: number;
  rowsOut: number;
  rejected: number;
  duplicates: number;
}

/**
 * Casts raw batches to the declared schema, routing each row to the processed builder, the
 * rejected builder (with reason), or dropping it as a duplicate of an earlier key (first kept).
 * Holds only the key set across batches, never the rows.
 */
export class EntityStandardizer {
  readonly processed: BatchBuilder;
  readonly rejected: BatchBuilder;
  readonly counts: StandardizeCounts = { rowsIn: 0, rowsOut: 0, rejected: 0, duplicates: 0 };
  /** Keys seen so far, as bytes: a Set of strings would hold at most 16.7 M keys and cost far more memory. */
  private readonly seen = new KeySet();
  private keyBytes = Buffer.allocUnsafe(256);
  private readonly keyIdx: number[];

  constructor(
    private readonly plan: EntityPlan,
    private readonly lineage: { readonly source: string; readonly ingestedAt: number; readonly runId: string },
  ) {
    this.processed = new BatchBuilder(processedColumns(plan));
    this.rejected = new BatchBuilder(rejectedColumns(plan));
    this.keyIdx = plan.key.map((k) => plan.columns.findIndex((c) => c.target === k));
  }

  /** Processes one raw batch. */
  push(batch: arrow.RecordBatch): void {
    const cols = this.plan.columns;
    const readers = columnReaders(batch, cols.map((c) => c.raw ?? '\u0000missing'));
    const rawReaders = columnReaders(batch, this.plan.rawColumns);
    const n = cols.length;
    const out = new Array<unknown>(n + LINEAGE_COLUMNS.length);
    for (let r = 0; r < batch.numRows; r++) {
      this.counts.rowsIn++;
      let failedColumn: string | undefined;
      const reasons: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = castValue(readers[i]!(r), cols[i]!.spec);
        if (res.ok) out[i] = res.value;
        else {
          failedColumn ??= cols[i]!.target;
          reasons.push(`${cols[i]!.target}: ${res.reason}`);
        }
      }
      if (!failedColumn) {
        for (const i of this.keyIdx) {
          if (out[i] === null) {
            // A row without its key cannot be deduplicated or joined: it is rejected, not dropped.
            failedColumn ??= cols[i]!.target;
            reasons.push(`${cols[i]!.target}: key column is empty`);
          }
        }
      }
      if (failedColumn) {
        this.rejectRow(rawReaders, r, failedColumn, reasons.join('; '));
        continue;
      }
      if (!this.addKey(out)) {
        this.counts.duplicates++;
        continue;
      }
      out[n] = this.lineage.source;
      out[n + 1] = this.lineage.ingestedAt;
      out[n + 2] = this.lineage.runId;
      out[n + 3] = rowHash(out, n);
      this.processed.appendRow(out);
      this.counts.rowsOut++;
    }
  }

  /** Adds the row's key to the seen set; false when it was already there (a duplicate). */
  private addKey(values: readonly unknown[]): boolean {
    // Key parts are never null here (rows with an empty key are rejected first).
    const key = this.keyIdx.length === 1 ? String(values[this.keyIdx[0]!]) : this.keyIdx.map((i) => String(values[i])).join('\u001f');
    if (key.length * 3 > this.keyBytes.length) this.keyBytes = Buffer.allocUnsafe(key.length * 3);
    const n = this.keyBytes.write(key, 0, 'utf8');
    return this.seen.add(this.keyBytes, 0, n);
  }

  private rejectRow(rawReaders: ReturnType<typeof columnReaders>, r: number, column: string, reason: string): void {
    const row = this.plan.rawColumns.map((name, i) => {
      const v = rawReaders[i]!(r);
      if (name === '_source_row') return v;
      return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
    });
    row.push(column, reason);
    this.rejected.appendRow(row);
    this.counts.rejected++;
  }
}

/** A hash of the business columns, so later steps detect changed rows cheaply. */
function rowHash(values: readonly unknown[], n: number): string {
  // One string and one-shot hashing: a Hash object with an update per column cost twice as much.
  let text = '';
  for (let i = 0; i < n; i++) {
    const v = values[i];
    text += (v === null || v === undefined ? '\u0000' : String(v)) + '\u001f';
  }
  return hash('sha256', text, 'hex').slice(0, 32);
}
