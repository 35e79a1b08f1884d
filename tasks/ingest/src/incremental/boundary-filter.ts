/**
 * The kinds of cursor an incremental entity can have. Values arrive as the lake holds them:
 * timestamp and date as epoch milliseconds (UTC), int as number or bigint.
 */
export type CursorType = 'timestamp' | 'date' | 'int';

/** What an incremental entity keeps between runs in _state/<source>/<entity>.json. */
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
  if (type === 'int') return BigInt(watermark) - BigInt(Math.ceil(lookback));
  return Number(watermark) - lookback * 1000;
}

function greater(a: number | bigint, b: number | bigint): boolean {
  return typeof a === typeof b ? a > b : BigInt(a) > BigInt(b);
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
  private max?: number | bigint;
  /** Key@cursor of rows at or above max - lookback seen so far; pruned as max grows. */
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
    if (previous) this.max = parseCursor(type, previous.watermark);
  }

  /** Whether to load a row with this key and cursor value (null cursors are always loaded and never advance the watermark). */
  accept(key: string, cursor: number | bigint | null | undefined): boolean {
    if (cursor === null || cursor === undefined) {
      this.accepted++;
      return true;
    }
    const id = `${key}@${formatCursor(this.type, cursor)}`;
    if (this.seen.has(id)) {
      this.dropped++;
      this.remember(id, cursor);
      return false;
    }
    this.accepted++;
    this.remember(id, cursor);
    return true;
  }

  private remember(id: string, cursor: number | bigint): void {
    if (this.max === undefined || greater(cursor, this.max)) this.max = cursor;
    const floor = lowerBound(this.type, this.max, this.lookback);
    if (greater(floor, cursor)) return;
    this.window.set(id, cursor);
    if (this.window.size >= this.pruneAt) {
      this.prune(floor);
      this.pruneAt = Math.max(65_536, this.window.size * 2);
    }
  }

  private prune(floor: number | bigint): void {
    for (const [id, c] of this.window) if (greater(floor, c)) this.window.delete(id);
  }

  /** The state to keep after this read, or undefined when no row ever had a cursor value. */
  next(cursor: string): WatermarkState | undefined {
    if (this.max === undefined) return undefined;
    this.prune(lowerBound(this.type, this.max, this.lookback));
    // Boundary rows of the previous run still inside the window stay remembered, even when this run did not re-read them.
    const boundary = new Set(this.window.keys());
    const floor = lowerBound(this.type, this.max, this.lookback);
    for (const id of this.seen) {
      const at = id.lastIndexOf('@');
      const c = parseCursor(this.type, id.slice(at + 1));
      if (!greater(floor, c)) boundary.add(id);
    }
    return { cursor, cursor_type: this.type, watermark: formatCursor(this.type, this.max), boundary: [...boundary].sort() };
  }
}

/** A stable text key of primary key values (bigints as decimal text). */
export function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
