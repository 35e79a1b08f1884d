/**
 * The most frequent values of a column, Misra-Gries style, in at most `capacity` counters. While a
 * column has no more distinct values than counters the counts are exact; past that, a new value
 * decrements every counter (dropping zeros), so counts are lower bounds, short by at most the number
 * of decrement rounds. A column that forces more than `capacity` rounds is not low-cardinality:
 * counting stops and its counters are freed (the profile then shows no top values).
 */
export class TopValues {
  private counts: Map<string | number, number> | undefined = new Map();
  /** For values added by addKeyed: the text of each key (decoded once, when its counter starts). */
  private readonly labels = new Map<number, string>();
  /** For values added by addKeyed: the low 32 bits of each key's 64-bit hash (the key holds the high ones). */
  private readonly lows = new Map<number, number>();
  /** Decrement rounds so far: the most any count is short by. */
  rounds = 0;
  /**
   * Called once, just before the first decrement round, with every value seen so far (until then
   * each distinct value has its counter): a distinct-count sketch can skip the values while the
   * counts are exact, and take them all from here when they stop being so.
   */
  onFirstRound?: (values: readonly (string | number)[], keyed: readonly { readonly hi: number; readonly lo: number }[]) => void;

  constructor(readonly capacity = 100) {}

  add(value: string | number): void {
    const counts = this.counts;
    if (!counts) return;
    const c = counts.get(value);
    if (c !== undefined) return void counts.set(value, c + 1);
    if (counts.size < this.capacity) return void counts.set(value, 1);
    if (++this.rounds === 1) this.firstRound(counts);
    if (this.rounds > this.capacity) return void (this.counts = undefined);
    this.decrementAll(counts);
  }

  /**
   * add() for a UTF-8 value known by a 53-bit hash of its bytes: counting goes by the key, and
   * the text is decoded only when a counter starts for it (a repeated value is never decoded
   * again). Two values sharing a 53-bit key would be counted as one (odds about 2^-53 per pair).
   */
  addKeyed(key: number, bytes: Buffer, start: number, end: number, lo = 0): void {
    const counts = this.counts;
    if (!counts) return;
    const c = counts.get(key);
    if (c !== undefined) return void counts.set(key, c + 1);
    if (counts.size < this.capacity) {
      counts.set(key, 1);
      this.labels.set(key, bytes.toString('utf8', start, end));
      this.lows.set(key, lo);
      return;
    }
    if (++this.rounds === 1) this.firstRound(counts);
    if (this.rounds > this.capacity) {
      this.counts = undefined;
      this.labels.clear();
      this.lows.clear();
      return;
    }
    this.decrementAll(counts);
  }

  private firstRound(counts: Map<string | number, number>): void {
    if (!this.onFirstRound) return;
    const values: (string | number)[] = [];
    const keyed: { hi: number; lo: number }[] = [];
    for (const k of counts.keys()) {
      if (typeof k === 'number' && this.lows.has(k)) keyed.push({ hi: Math.floor(k / 2 ** 21), lo: this.lows.get(k)! });
      else values.push(k);
    }
    this.onFirstRound(values, keyed);
  }

  private decrementAll(counts: Map<string | number, number>): void {
    for (const [k, n] of counts) {
      if (n > 1) counts.set(k, n - 1);
      else {
        counts.delete(k);
        if (typeof k === 'number') {
          this.labels.delete(k);
          this.lows.delete(k);
        }
      }
    }
  }

  /** Whether the column stayed low-cardinality enough to report. */
  get tracked(): boolean {
    return this.counts !== undefined;
  }

  /** The `limit` largest counts, largest first (ties by value), or undefined when counting stopped. */
  top(limit: number): { value: string | number; count: number }[] | undefined {
    if (!this.counts) return undefined;
    const labels = this.labels;
    return [...this.counts]
      .map(([value, count]): [string | number, number] => [typeof value === 'number' && labels.has(value) ? labels.get(value)! : value, count])
      .sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))
      .slice(0, limit)
      .map(([value, count]) => ({ value, count }));
  }
}
