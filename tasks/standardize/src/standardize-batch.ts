import { hash } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, KeySet, type ColumnDef, type ColumnKind } from '@salesflow/batches';
import type { StandardizeEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { KIND_OF_TYPE, makeCaster, type CastResult, type CastSpec } from './cast-value';
import { LatestByKey } from './latest-by-key';
import { snakeCase } from '@salesflow/batches';

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
  readonly spec: CastSpec;
  readonly kind: ColumnKind;
}

/** The entity settings planEntity reads (the config's, with its defaults optional). */
export type EntitySpec = Pick<StandardizeEntityConfig, 'source' | 'key'> &
  Partial<Pick<StandardizeEntityConfig, 'order_by' | 'unknown_columns'>> & { readonly columns: Readonly<Record<string, CastSpec>> };

/** How one entity's raw columns map to its declared schema. */
export interface EntityPlan {
  readonly entity: string;
  /** Declared columns, then (policy evolve) the undeclared ones kept as text. */
  readonly columns: readonly PlannedColumn[];
  readonly key: readonly string[];
  /** Column ordering duplicates (the latest wins); undefined: the first row wins. */
  readonly orderBy?: string;
  /** Raw columns not declared (dropped, or kept with policy evolve; reported either way). */
  readonly undeclared: readonly string[];
  /** Undeclared raw columns kept (policy evolve), by their snake_case name. */
  readonly evolved: readonly string[];
  /** Declared optional columns the raw data lacks (filled with nulls, reported). */
  readonly missing: readonly string[];
  readonly rawColumns: readonly string[];
}

const RAW_LINEAGE = new Set(['_source_file', '_source_row']);

/**
 * Matches raw column names (snake_cased) to the declared schema and applies the entity's
 * unknown-column policy. A required declared column missing from the data, or (policy freeze)
 * an undeclared one present, fails with the entity and column named.
 */
export function planEntity(entity: string, cfg: EntitySpec, rawSchema: arrow.Schema, opts: { readonly empty?: boolean } = {}): EntityPlan {
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
        fix: delimiterHint(rawColumns) ?? `set standardize.entities.${entity}.columns.${target}.from to the source column name, or fix the source`,
      });
    } else missing.push(target);
    return { target, raw, spec, kind: KIND_OF_TYPE[spec.type] };
  });
  const undeclared = rawColumns.filter((n) => !used.has(n) && !RAW_LINEAGE.has(n));
  const policy = cfg.unknown_columns ?? 'drop';
  if (policy === 'freeze' && undeclared.length) {
    throw new BadInputError(`Entity ${entity}: the raw data has columns the declared schema does not name: ${undeclared.join(', ')} (unknown_columns: freeze)`, {
      context: { entity, column: undeclared[0] },
      fix: `declare them under standardize.entities.${entity}.columns, or set standardize.entities.${entity}.unknown_columns to drop or evolve`,
    });
  }
  const evolved: string[] = [];
  if (policy === 'evolve') {
    const names = new Set(columns.map((c) => c.target));
    for (const raw of undeclared) {
      const target = snakeCase(raw);
      if (names.has(target)) {
        throw new BadInputError(`Entity ${entity}: the undeclared raw column "${raw}" would be kept as "${target}", which is a declared column`, {
          context: { entity, column: target },
          fix: `declare "${raw}" under standardize.entities.${entity}.columns with another name, or set unknown_columns: drop`,
        });
      }
      names.add(target);
      evolved.push(target);
      columns.push({ target, raw, spec: { type: 'string', required: false, scale: 0 }, kind: 'string' });
    }
  }
  return { entity, columns, key: cfg.key, orderBy: cfg.order_by, undeclared, evolved, missing, rawColumns };
}

/** Output columns: the declared ones in config order, evolved ones, then lineage. */
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
 * rejected builder (with reason), or dropping it as a duplicate of its key. Without an ordering
 * column the first row of a key is kept, in one pass. With one (plan.orderBy), the caller first
 * feeds every batch to prepass(), which records the latest row of each key, then to push().
 * Holds only keys across batches, never the rows.
 */
export class EntityStandardizer {
  readonly processed: BatchBuilder;
  readonly rejected: BatchBuilder;
  readonly counts: StandardizeCounts = { rowsIn: 0, rowsOut: 0, rejected: 0, duplicates: 0 };
  /** Keys seen so far, as bytes: a Set of strings would hold at most 16.7 M keys and cost far more memory. */
  private readonly seen = new KeySet();
  private readonly latest?: LatestByKey;
  private keyBytes = Buffer.allocUnsafe(256);
  private keyLength = 0;
  private readonly keyIdx: number[];
  private readonly orderIdx: number;
  private readonly casters: ((raw: unknown) => CastResult)[];
  private readonly out: unknown[];
  private readonly reasons: string[] = [];
  private prepassRows = 0;
  private settled = false;
  private pushRows = 0;

  /**
   * opts.expectedRows (the raw partition's row count) sizes the latest-row bookkeeping, which
   * spills to opts.tmpDir (default: the OS temp folder) beyond about a million rows.
   */
  constructor(
    private readonly plan: EntityPlan,
    private readonly lineage: { readonly source: string; readonly ingestedAt: number; readonly runId: string },
    opts: { readonly expectedRows?: number; readonly tmpDir?: string } = {},
  ) {
    this.processed = new BatchBuilder(processedColumns(plan));
    this.rejected = new BatchBuilder(rejectedColumns(plan));
    this.keyIdx = plan.key.map((k) => plan.columns.findIndex((c) => c.target === k));
    this.orderIdx = plan.orderBy ? plan.columns.findIndex((c) => c.target === plan.orderBy) : -1;
    if (this.orderIdx >= 0) this.latest = new LatestByKey(opts.expectedRows ?? 0, { tmpDir: opts.tmpDir });
    this.casters = plan.columns.map((c) => makeCaster(c.spec));
    this.out = new Array<unknown>(plan.columns.length + LINEAGE_COLUMNS.length);
  }

  /** Whether batches must go through prepass() before push() (an ordering column is declared). */
  get needsPrepass(): boolean {
    return this.latest !== undefined;
  }

  /**
   * First pass (ordering column only): records, per key, the latest row. Only the key and
   * ordering columns are cast, so the latest delivery of a key wins even when another of its
   * columns is bad: that row is then rejected and the older ones dropped, rather than publishing
   * a stale version. A row whose key or ordering value cannot be read does not compete.
   */
  prepass(batch: arrow.RecordBatch): void {
    if (!this.latest) throw new Error('prepass() is only for entities with an ordering column');
    const readers = this.readersOf(batch);
    const needed = [...new Set([...this.keyIdx, this.orderIdx])];
    rows: for (let r = 0; r < batch.numRows; r++) {
      const row = this.prepassRows++;
      for (const i of needed) {
        const res = this.casters[i]!(readers[i]!(r));
        if (!res.ok || (res.value === null && i !== this.orderIdx)) continue rows;
        this.out[i] = res.value;
      }
      this.encodeKey();
      const o = this.out[this.orderIdx];
      this.latest.offer(this.keyBytes, 0, this.keyLength, o === null || o === undefined ? null : Number(o), row);
    }
  }

  /** Removes the latest-row bookkeeping's spill files (for a step that stops early; push() settles and removes them). */
  dispose(): void {
    this.latest?.dispose();
  }

  /** Processes one raw batch. */
  push(batch: arrow.RecordBatch): void {
    if (this.latest && !this.settled) {
      this.latest.resolve();
      this.settled = true;
    }
    const readers = this.readersOf(batch);
    const rawReaders = columnReaders(batch, this.plan.rawColumns);
    const n = this.plan.columns.length;
    const out = this.out;
    for (let r = 0; r < batch.numRows; r++) {
      const row = this.pushRows++;
      this.counts.rowsIn++;
      const failedColumn = this.castRow(readers, r);
      if (failedColumn !== undefined) {
        this.rejectRow(rawReaders, r, failedColumn, this.reasons.join('; '));
        continue;
      }
      let keep: boolean;
      if (this.latest) keep = this.latest.isWinner(row);
      else {
        this.encodeKey();
        keep = this.seen.add(this.keyBytes, 0, this.keyLength);
      }
      if (!keep) {
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

  private readersOf(batch: arrow.RecordBatch) {
    return columnReaders(batch, this.plan.columns.map((c) => c.raw ?? '\u0000missing'));
  }

  /** Casts row r into this.out; returns the first failing column (reasons in this.reasons), or undefined. */
  private castRow(readers: ReturnType<typeof columnReaders>, r: number): string | undefined {
    const cols = this.plan.columns;
    let failedColumn: string | undefined;
    this.reasons.length = 0;
    for (let i = 0; i < cols.length; i++) {
      const res = this.casters[i]!(readers[i]!(r));
      if (res.ok) this.out[i] = res.value;
      else {
        failedColumn ??= cols[i]!.target;
        this.reasons.push(`${cols[i]!.target}: ${res.reason}`);
      }
    }
    if (failedColumn === undefined) {
      for (const i of this.keyIdx) {
        if (this.out[i] === null) {
          // A row without its key cannot be deduplicated or joined: it is rejected, not dropped.
          failedColumn ??= cols[i]!.target;
          this.reasons.push(`${cols[i]!.target}: key column is empty`);
        }
      }
    }
    return failedColumn;
  }

  /** Writes the current row's key into keyBytes/keyLength. Key parts are never null here. */
  private encodeKey(): void {
    const values = this.out;
    const key = this.keyIdx.length === 1 ? String(values[this.keyIdx[0]!]) : this.keyIdx.map((i) => String(values[i])).join('\u001f');
    if (key.length * 3 > this.keyBytes.length) this.keyBytes = Buffer.allocUnsafe(key.length * 3);
    this.keyLength = this.keyBytes.write(key, 0, 'utf8');
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

/** When the whole CSV header landed in one column, the file uses another delimiter: say which. */
function delimiterHint(rawColumns: readonly string[]): string | undefined {
  for (const d of [';', '\t', '|']) {
    const col = rawColumns.find((c) => c.split(d).length > 2);
    if (col) return `the header "${col}" looks delimited by ${JSON.stringify(d)}: set the entity's csv.delimiter to ${JSON.stringify(d)} in sources and ingest again`;
  }
  return undefined;
}
