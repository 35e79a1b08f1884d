/**
 * The kinds of cursor an incremental entity can have. Values arrive as the lake holds them:
 * timestamp and date as epoch milliseconds (UTC), int as number or bigint.
 */
export type CursorType = 'timestamp' | 'date' | 'int';

/** What an incremental entity keeps between runs, in its per-day state (see entity-state.ts). */
export interface WatermarkState {
  readonly cursor: string;
  readonly cursor_type: CursorType;
  /** Highest cursor value loaded, as text: ISO-8601 UTC, YYYY-MM-DD, or a decimal integer. */
  readonly watermark: string;
  /** Rows (primary key + cursor value) loaded at or above watermark - lookback: the next run drops them when it reads them again. */
  readonly boundary: readonly string[];
}

const DAY_MS = 86_400_000;

/** A cursor value as text, the form the state and the query bind use. */
export function formatCursor(type: CursorType, v: number | bigint): string {
  if (type === 'timestamp') return new Date(Number(v)).toISOString();
  if (type === 'date') return new Date(Math.floor(Number(v) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  return String(v);
}

/** Text of a cursor back to its value; throws naming the state when it is not one. */
export function parseCursor(type: CursorType, text: string): number | bigint {
  if (type === 'int') {
    if (!/^-?\d+$/.test(text)) throw new Error(`watermark "${text}" is not an integer`);
    return BigInt(text);
  }
  const ms = Date.parse(type === 'date' ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new Error(`watermark "${text}" is not a ${type}`);
  return ms;
}

/** Lower bound of the next read: the watermark minus the lookback (seconds for times, units for integers). */
export function lowerBound(type: CursorType, watermark: number | bigint, lookback: number): number | bigint {
  if (type === 'int') return typeof watermark === 'bigint' ? watermark - BigInt(Math.ceil(lookback)) : watermark - Math.ceil(lookback);
  return Number(watermark) - lookback * 1000;
}

/**
 * Decides which rows of an incremental read are new. The read starts at watermark - lookback, so
 * rows committed late with an older cursor value are seen; rows loaded by the previous run at the
 * boundary (same key, same cursor value) are dropped, so nothing is loaded twice. It also tracks
 * the next watermark and the rows near it. Memory grows with the rows inside the lookback window
 * only. Pure.
 */
export class BoundaryFilter {
  private readonly seen: ReadonlySet<string>;
  /** The previous watermark: only rows at or below it can have been loaded before. */
  private readonly previousMax?: number | bigint;
  private max?: number | bigint;
  /** max - lookback, kept in step with max. */
  private floor?: number | bigint;
  /** Key@cursor of rows at or above floor seen so far; pruned as max grows. */
  private window = new Map<string, number | bigint>();
  private pruneAt = 65_536;
  dropped = 0;
  accepted = 0;

  constructor(
    readonly type: CursorType,
    private readonly lookback: number,
    previous?: Pick<WatermarkState, 'watermark' | 'boundary'>,
  ) {
    this.seen = new Set(previous?.boundary ?? []);
    if (previous) {
      this.previousMax = comparable(parseCursor(type, previous.watermark));
      this.raise(this.previousMax);
    }
  }

  /**
   * Whether to load a row with this cursor value; `key` gives its primary key text and is called
   * only for rows near the watermark. Null cursors are always loaded and never move the watermark.
   */
  accept(cursorValue: number | bigint | null | undefined, key: () => string): boolean {
    if (cursorValue === null || cursorValue === undefined) {
      this.accepted++;
      return true;
    }
    const cursor = comparable(cursorValue);
    if (this.max === undefined || cursor > this.max) this.raise(cursor);
    const inWindow = !(this.floor! > cursor);
    const maybeSeen = this.previousMax !== undefined && !(cursor > this.previousMax) && this.seen.size > 0;
    if (!inWindow && !maybeSeen) {
      this.accepted++;
      return true;
    }
    const id = `${key()}@${formatCursor(this.type, cursor)}`;
    if (inWindow) this.remember(id, cursor);
    if (maybeSeen && this.seen.has(id)) {
      this.dropped++;
      return false;
    }
    this.accepted++;
    return true;
  }

  private raise(cursor: number | bigint): void {
    this.max = cursor;
    this.floor = comparable(lowerBound(this.type, cursor, this.lookback));
  }

  private remember(id: string, cursor: number | bigint): void {
    this.window.set(id, cursor);
    if (this.window.size >= this.pruneAt) {
      this.prune();
      this.pruneAt = Math.max(65_536, this.window.size * 2);
    }
  }

  private prune(): void {
    for (const [id, c] of this.window) if (this.floor! > c) this.window.delete(id);
  }

  /** The state to keep after this read, or undefined when no row ever had a cursor value. */
  next(cursor: string): WatermarkState | undefined {
    if (this.max === undefined) return undefined;
    this.prune();
    // Boundary rows of the previous run still inside the window stay remembered, even when this run did not re-read them.
    const boundary = new Set(this.window.keys());
    for (const id of this.seen) {
      const c = comparable(parseCursor(this.type, id.slice(id.lastIndexOf('@') + 1)));
      if (!(this.floor! > c)) boundary.add(id);
    }
    return { cursor, cursor_type: this.type, watermark: formatCursor(this.type, this.max), boundary: [...boundary].sort() };
  }
}

/** Integers as numbers while they are exact, so comparisons stay on one JS type; beyond 2^53 as bigint. */
function comparable(v: number | bigint): number | bigint {
  return typeof v === 'bigint' && v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v;
}

/** A stable text key of primary key values (bigints as decimal text). */
export function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
