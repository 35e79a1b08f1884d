import type * as arrow from 'apache-arrow';
import { BatchBuilder, columnReaders, DEFAULT_DECIMAL_PRECISION, KeySet, type ColumnDef, type ColumnKind, type ColumnWriter, type DecimalWriter, type FixedWidthWriter, type Utf8Writer } from '@salesflow/batches';
import type { StandardizeEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { CAST_FAILED, CAST_NULL, ColumnCaster, type CastColumn } from './cast-column';
import { KIND_OF_TYPE, type CastSpec } from './cast-value';
import { LatestByKey } from './latest-by-key';
import { murmur3x86_128, snakeCase, writeHashHex } from '@salesflow/batches';

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
  Partial<Pick<StandardizeEntityConfig, 'order_by' | 'unknown_columns' | 'control_characters'>> & { readonly columns: Readonly<Record<string, CastSpec>> };

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
 * unknown-column policy. A required declared column missing from the data, one the star schema
 * maps (opts.mapped), or (policy freeze) an undeclared one present, fails with the entity and
 * column named; other declared columns missing are filled with nulls and reported.
 */
export function planEntity(entity: string, cfg: EntitySpec, rawSchema: arrow.Schema, opts: { readonly empty?: boolean; readonly mapped?: ReadonlySet<string> } = {}): EntityPlan {
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
  const controls = cfg.control_characters ?? 'reject';
  const columns = Object.entries(cfg.columns).map(([target, spec]): PlannedColumn => {
    const raw = bySnake.get(snakeCase(spec.from ?? target));
    if (raw) used.add(raw);
    // An empty raw partition (nothing landed) has no columns to check, and no rows to cast.
    else if (spec.required && !opts.empty) {
      throw new BadInputError(`Entity ${entity}: the required column "${spec.from ?? target}" is not in the raw data (columns: ${rawColumns.join(', ')})`, {
        context: { entity, column: target },
        fix: delimiterHint(rawColumns) ?? `set standardize.entities.${entity}.columns.${target}.from to the source column name, or fix the source`,
      });
    } else if (opts.mapped?.has(target) && !opts.empty) {
      // The star schema reads it: a column of nulls would load silently as missing data.
      throw new BadInputError(`Entity ${entity}: the column "${spec.from ?? target}" (declared as ${target}, which star_schema maps) is not in the raw data (columns: ${rawColumns.join(', ')})`, {
        context: { entity, column: target },
        fix: delimiterHint(rawColumns) ?? `set standardize.entities.${entity}.columns.${target}.from to the source column name, or remove ${target} from star_schema`,
      });
    } else missing.push(target);
    return { target, raw, spec: { ...spec, control_characters: controls }, kind: KIND_OF_TYPE[spec.type] };
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
      columns.push({ target, raw, spec: { type: 'string', required: false, scale: 0, control_characters: controls }, kind: 'string' });
    }
  }
  return { entity, columns, key: cfg.key, orderBy: cfg.order_by, undeclared, evolved, missing, rawColumns };
}

/** Output columns: the declared ones in config order, evolved ones, then lineage. */
export function processedColumns(plan: EntityPlan): ColumnDef[] {
  return [
    ...plan.columns.map((c): ColumnDef => ({
      name: c.target,
      kind: c.kind,
      nullable: !c.spec.required,
      ...(c.kind === 'decimal' ? { precision: c.spec.precision ?? DEFAULT_DECIMAL_PRECISION, scale: c.spec.scale ?? 2 } : {}),
    })),
    ...LINEAGE_COLUMNS,
  ];
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

/** How _row_hash is computed; recorded in the processed manifest (meta.row_hash). */
export const ROW_HASH_ALGORITHM = 'murmur3_x86_128';

/**
 * Casts raw batches to the declared schema, routing each row to the processed builder, the
 * rejected builder (with reason), or dropping it as a duplicate of its key. Without an ordering
 * column the first row of a key is kept, in one pass. With one (plan.orderBy), the caller first
 * feeds every batch to prepass(), which records the latest row of each key, then to push().
 * Holds only keys across batches, never the rows.
 *
 * Works a column at a time (ColumnCaster): keys, row hashes and output values are read from the
 * cast columns' bytes and typed arrays, without a JS value per cell.
 */
export class EntityStandardizer {
  readonly processed: BatchBuilder;
  readonly rejected: BatchBuilder;
  readonly counts: StandardizeCounts = { rowsIn: 0, rowsOut: 0, rejected: 0, duplicates: 0 };
  /** Text values whose control characters were stripped (control_characters: strip), by column. */
  readonly stripped = new Map<string, number>();
  /** Keys seen so far, as bytes: a Set of strings would hold at most 16.7 M keys and cost far more memory. */
  private readonly seen = new KeySet();
  private readonly latest?: LatestByKey;
  private keyBytes = Buffer.allocUnsafe(256);
  private readonly keyIdx: number[];
  private readonly orderIdx: number;
  private readonly casters: ColumnCaster[];
  /** Per batch: rows kept, and their row hashes (32 hex bytes each). */
  private kept = new Int32Array(0);
  private hashes = Buffer.allocUnsafe(0);
  private hashInput: Uint8Array = new Uint8Array(1024);
  private readonly hashWords = new Uint32Array(4);
  private runs: { readonly source: TextRun; readonly runId: TextRun } = { source: repeatText('', 0), runId: repeatText('', 0) };
  private hashEnds: Int32Array = new Int32Array(0);
  private prepassRows = 0;
  private settled = false;
  private pushRows = 0;

  /**
   * opts.expectedRows (the raw partition's row count) sizes the latest-row bookkeeping, which
   * spills to opts.tmpDir (default: the OS temp folder) beyond about a million rows.
   */
  /** Raw columns of the rejected rows: every source's, when several land the entity. */
  private readonly rejectedRaw: readonly string[];

  /**
   * opts.rejectedRawColumns: the raw columns rejected rows keep, when several sources (each with
   * its own plan, see useSource) feed the entity; default the plan's.
   */
  constructor(
    private plan: EntityPlan,
    private lineage: { readonly source: string; readonly ingestedAt: number; readonly runId: string },
    opts: { readonly expectedRows?: number; readonly tmpDir?: string; readonly rejectedRawColumns?: readonly string[] } = {},
  ) {
    this.processed = new BatchBuilder(processedColumns(plan));
    this.rejectedRaw = opts.rejectedRawColumns ?? plan.rawColumns;
    this.rejected = new BatchBuilder(rejectedColumns({ ...plan, rawColumns: [...this.rejectedRaw] }));
    this.keyIdx = plan.key.map((k) => plan.columns.findIndex((c) => c.target === k));
    this.orderIdx = plan.orderBy ? plan.columns.findIndex((c) => c.target === plan.orderBy) : -1;
    if (this.orderIdx >= 0) this.latest = new LatestByKey(opts.expectedRows ?? 0, { tmpDir: opts.tmpDir });
    this.casters = plan.columns.map((c) => new ColumnCaster(c.spec, c.kind));
  }

  /**
   * Switches to the batches of another source of the same entity: its plan (its raw column
   * names) and lineage. The declared columns must be the same, so every source's rows land in one
   * processed partition; keys and the latest row per key are shared, so the key decides duplicates
   * across sources (with an ordering column: the latest; without: the first source's row). Call it
   * before the source's batches, in the same source order for prepass() and push().
   */
  useSource(plan: EntityPlan, lineage: { readonly source: string; readonly ingestedAt: number; readonly runId: string }): void {
    const shape = (p: EntityPlan) => processedColumns(p).map((c) => `${c.name}:${c.kind}`).join(',');
    if (shape(plan) !== shape(this.plan)) {
      throw new BadInputError(`Entity ${plan.entity}: source ${lineage.source} lands columns ${processedColumns(plan).map((c) => c.name).join(', ')}, unlike ${this.lineage.source}'s ${processedColumns(this.plan).map((c) => c.name).join(', ')}`, {
        context: { entity: plan.entity, source: lineage.source },
        fix: `entities fed by several sources take the declared columns only: set standardize.entities.${plan.entity}.unknown_columns to drop`,
      });
    }
    this.plan = plan;
    this.lineage = lineage;
    this.runs = { source: repeatText('', 0), runId: repeatText('', 0) };
  }

  /** Whether batches must go through prepass() before push() (an ordering column is declared). */
  get needsPrepass(): boolean {
    return this.latest !== undefined;
  }

  /** The raw columns prepass() reads (the key and ordering columns): reading only these is enough. */
  get prepassColumns(): string[] {
    const names = [...new Set([...this.keyIdx, this.orderIdx])].map((i) => this.plan.columns[i]?.raw).filter((n): n is string => n !== undefined);
    return [...new Set(names)];
  }

  /**
   * First pass (ordering column only): records, per key, the latest row. Only the key and
   * ordering columns are cast, so the latest delivery of a key wins even when another of its
   * columns is bad: that row is then rejected and the older ones dropped, rather than publishing
   * a stale version. A row whose key or ordering value cannot be read does not compete.
   */
  prepass(batch: arrow.RecordBatch): void {
    if (!this.latest) throw new Error('prepass() is only for entities with an ordering column');
    const needed = [...new Set([...this.keyIdx, this.orderIdx])];
    const cast: CastColumn[] = [];
    // The ordering value is read as a number; only the key's text is needed.
    for (const i of needed) cast[i] = this.casters[i]!.cast(batch, this.plan.columns[i]!.raw, { text: this.keyIdx.includes(i) || this.plan.columns[i]!.kind === 'string' });
    const order = cast[this.orderIdx]!;
    const orderKind = this.plan.columns[this.orderIdx]!.kind;
    rows: for (let r = 0; r < batch.numRows; r++) {
      const row = this.prepassRows++;
      for (const i of needed) {
        const s = cast[i]!.status[r];
        if (s === CAST_FAILED || (s === CAST_NULL && i !== this.orderIdx)) continue rows;
      }
      const [key, start, end] = this.keyOf(cast, r);
      this.latest.offer(key, start, end, order.status[r] === CAST_NULL ? null : orderValue(order, orderKind, r), row);
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
    const rows = batch.numRows;
    const cols = this.plan.columns;
    const cast = cols.map((c, i) => this.casters[i]!.cast(batch, c.raw));
    for (let i = 0; i < cast.length; i++) if (cast[i]!.stripped) this.stripped.set(cols[i]!.target, (this.stripped.get(cols[i]!.target) ?? 0) + cast[i]!.stripped);
    // Rows with a failed value or an empty key: rejected, with every reason.
    let problems: Uint8Array | undefined;
    const mark = (c: CastColumn, status: number) => {
      problems ??= new Uint8Array(rows);
      for (let r = 0; r < rows; r++) if (c.status[r] === status) problems[r] = 1;
    };
    for (const c of cast) if (c.failures) mark(c, CAST_FAILED);
    for (const i of this.keyIdx) if (cast[i]!.nulls) mark(cast[i]!, CAST_NULL);
    if (this.kept.length < rows) this.kept = new Int32Array(rows);
    const kept = this.kept;
    let keptCount = 0;
    let rawReaders: ReturnType<typeof columnReaders> | undefined;
    for (let r = 0; r < rows; r++) {
      const row = this.pushRows++;
      if (problems && problems[r]) {
        rawReaders ??= columnReaders(batch, this.plan.rawColumns);
        this.rejectRow(rawReaders, r, ...this.reasonsOf(cast, r));
        continue;
      }
      let keep: boolean;
      if (this.latest) keep = this.latest.isWinner(row);
      else {
        const [key, start, end] = this.keyOf(cast, r);
        keep = this.seen.add(key, start, end);
      }
      if (!keep) {
        this.counts.duplicates++;
        continue;
      }
      kept[keptCount++] = r;
    }
    this.counts.rowsIn += rows;
    this.hashRows(cast, kept, keptCount);
    this.processed.appendColumns(keptCount, (writers) => this.appendKept(writers, cast, kept, keptCount));
    this.counts.rowsOut += keptCount;
  }

  /** Row r's rejection: the first failed column, and every failure as "column: reason" joined by "; " (or the empty key columns). */
  private reasonsOf(cast: readonly CastColumn[], r: number): [string, string] {
    const cols = this.plan.columns;
    let failedColumn: string | undefined;
    const reasons: string[] = [];
    for (let i = 0; i < cols.length; i++) {
      if (cast[i]!.status[r] !== CAST_FAILED) continue;
      failedColumn ??= cols[i]!.target;
      reasons.push(`${cols[i]!.target}: ${cast[i]!.reasons.get(r)!}`);
    }
    if (failedColumn === undefined) {
      for (const i of this.keyIdx) {
        if (cast[i]!.status[r] === CAST_NULL) {
          // A row without its key cannot be deduplicated or joined: it is rejected, not dropped.
          failedColumn ??= cols[i]!.target;
          reasons.push(`${cols[i]!.target}: key column is empty`);
        }
      }
    }
    return [failedColumn!, reasons.join('; ')];
  }

  /**
   * Row r's key as bytes: the UTF-8 of String(value) of each key column, joined by U+001F. One
   * key column is read in place; key parts are never null here.
   */
  private keyOf(cast: readonly CastColumn[], r: number): [Uint8Array, number, number] {
    const idx = this.keyIdx;
    if (idx.length === 1) {
      const c = cast[idx[0]!]!;
      return [c.text, c.start[r]!, c.end[r]!];
    }
    let len = 0;
    for (const i of idx) len += cast[i]!.end[r]! - cast[i]!.start[r]! + 1;
    if (len > this.keyBytes.length) this.keyBytes = Buffer.allocUnsafe(len * 2);
    const key = this.keyBytes;
    let at = 0;
    for (let k = 0; k < idx.length; k++) {
      const c = cast[idx[k]!]!;
      if (k > 0) key[at++] = 0x1f;
      for (let j = c.start[r]!; j < c.end[r]!; j++) key[at++] = c.text[j]!;
    }
    return [key, 0, at];
  }

  /**
   * The row hash of each kept row into this.hashes: MurmurHash3 x86_128 of the business values as
   * text (String(value), U+0000 for null), each followed by U+001F, UTF-8, as 32 hex digits
   * (docs/lake.md). Later steps detect changed rows by it, so the text hashed must not change.
   */
  private hashRows(cast: readonly CastColumn[], kept: Int32Array, count: number): void {
    if (this.hashes.length < count * 32) this.hashes = Buffer.allocUnsafe(count * 32);
    const n = cast.length;
    const texts = cast.map((c) => c.text);
    const starts = cast.map((c) => c.start);
    const ends = cast.map((c) => c.end);
    const statuses = cast.map((c) => c.status);
    let input = this.hashInput;
    for (let k = 0; k < count; k++) {
      const r = kept[k]!;
      let at = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        let e = 0;
        if (statuses[i]![r] !== CAST_NULL) {
          s = starts[i]![r]!;
          e = ends[i]![r]!;
        }
        if (at + e - s + 2 > input.length) input = this.growHashInput(at, at + e - s + 2);
        if (e === s && statuses[i]![r] === CAST_NULL) input[at++] = 0;
        else {
          const text = texts[i]!;
          for (let j = s; j < e; j++) input[at++] = text[j]!;
        }
        input[at++] = 0x1f;
      }
      writeHashHex(murmur3x86_128(input, 0, at, this.hashWords), this.hashes, k * 32);
    }
  }

  /** A larger hashInput holding the first `keep` bytes of the current one. */
  private growHashInput(keep: number, atLeast: number): Uint8Array {
    const grown = new Uint8Array(Math.max(atLeast, this.hashInput.length * 2));
    grown.set(this.hashInput.subarray(0, keep));
    this.hashInput = grown;
    return grown;
  }

  /** Appends the kept rows to the processed writers, column by column. */
  private appendKept(writers: readonly ColumnWriter[], cast: readonly CastColumn[], kept: Int32Array, count: number): void {
    const cols = this.plan.columns;
    for (let i = 0; i < cols.length; i++) {
      const c = cast[i]!;
      const status = c.status;
      const kind = cols[i]!.kind;
      if (kind === 'string') {
        // Consecutive rows that are all kept and not null lie back to back in c.text: one copy each.
        const w = writers[i] as Utf8Writer;
        for (let k = 0; k < count; ) {
          const r = kept[k]!;
          if (status[r] === CAST_NULL) {
            w.appendNull();
            k++;
            continue;
          }
          let len = 1;
          while (k + len < count && kept[k + len] === r + len && status[r + len] !== CAST_NULL) len++;
          w.appendUtf8Run(c.text, c.start[r]!, c.end, r, len);
          k += len;
        }
      } else if (kind === 'decimal') {
        const w = writers[i] as DecimalWriter;
        for (let k = 0; k < count; k++) {
          const r = kept[k]!;
          if (status[r] === CAST_NULL) w.appendNull();
          else {
            const n = c.num[r]!;
            w.appendUnits(Number.isNaN(n) ? (c.values[r] as bigint) : n);
          }
        }
      } else if (kind === 'int64' || kind === 'bool') {
        const w = writers[i]!;
        for (let k = 0; k < count; k++) {
          const r = kept[k]!;
          w.append(status[r] === CAST_NULL ? null : c.values[r]);
        }
      } else {
        const w = writers[i] as FixedWidthWriter;
        for (let k = 0; k < count; k++) {
          const r = kept[k]!;
          if (status[r] === CAST_NULL) w.appendNull();
          else w.appendNumber(c.num[r]!);
        }
      }
    }
    const n = cols.length;
    const source = writers[n] as Utf8Writer;
    const ingestedAt = writers[n + 1] as FixedWidthWriter;
    const runId = writers[n + 2] as Utf8Writer;
    const rowHash = writers[n + 3] as Utf8Writer;
    const { source: sourceRun, runId: runIdRun } = this.lineageRuns(count);
    source.appendUtf8Run(sourceRun.bytes, 0, sourceRun.ends, 0, count);
    runId.appendUtf8Run(runIdRun.bytes, 0, runIdRun.ends, 0, count);
    rowHash.appendUtf8Run(this.hashes, 0, this.hashEnds, 0, count);
    for (let k = 0; k < count; k++) ingestedAt.appendNumber(this.lineage.ingestedAt);
  }

  /** The lineage texts repeated for at least `count` rows, back to back, with their ends (and the row hashes' ends). */
  private lineageRuns(count: number): { readonly source: TextRun; readonly runId: TextRun } {
    if (this.runs.source.ends.length < count) {
      const rows = Math.max(count, this.runs.source.ends.length * 2);
      this.runs = { source: repeatText(this.lineage.source, rows), runId: repeatText(this.lineage.runId, rows) };
      this.hashEnds = endsOf(32, rows);
    }
    return this.runs;
  }

  private rejectRow(rawReaders: ReturnType<typeof columnReaders>, r: number, column: string, reason: string): void {
    const at = this.plan.rawColumns;
    const row = this.rejectedRaw.map((name, k) => {
      const i = at[k] === name ? k : at.indexOf(name);
      if (i < 0) return null;
      const v = rawReaders[i]!(r);
      if (name === '_source_row') return v;
      return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
    });
    row.push(column, reason);
    this.rejected.appendRow(row);
    this.counts.rejected++;
  }
}


/** One text repeated: copy k ends at ends[k]. */
interface TextRun {
  readonly bytes: Buffer;
  readonly ends: Int32Array;
}

function repeatText(text: string, times: number): TextRun {
  const one = Buffer.from(text, 'utf8');
  return { bytes: Buffer.from(one.toString('latin1').repeat(times), 'latin1'), ends: endsOf(one.length, times) };
}

/** Ends of `count` back-to-back values of `width` bytes each. */
function endsOf(width: number, count: number): Int32Array {
  const ends = new Int32Array(count);
  for (let k = 0; k < count; k++) ends[k] = (k + 1) * width;
  return ends;
}

/** The ordering value of OK row r, as Number(value). */
function orderValue(c: CastColumn, kind: ColumnKind, r: number): number {
  if (kind === 'string') return Number(Buffer.from(c.text.buffer, c.text.byteOffset, c.text.byteLength).toString('utf8', c.start[r]!, c.end[r]!));
  if (kind === 'int64' || kind === 'bool') return Number(c.values[r]);
  // Decimals order by their scaled integers, which order as their values.
  if (kind === 'decimal' && Number.isNaN(c.num[r])) return Number(c.values[r]);
  return c.num[r]!;
}

/** When the whole CSV header landed in one column, the file uses another delimiter: say which. */
function delimiterHint(rawColumns: readonly string[]): string | undefined {
  for (const d of [';', '\t', '|']) {
    const col = rawColumns.find((c) => c.split(d).length > 2);
    if (col) return `the header "${col}" looks delimited by ${JSON.stringify(d)}: set the entity's csv.delimiter to ${JSON.stringify(d)} in sources and ingest again`;
  }
  return undefined;
}
