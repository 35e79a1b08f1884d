/**
 * The most frequent values of a column, Misra-Gries style, in at most `capacity` counters. While a
 * column has no more distinct values than counters the counts are exact; past that, a new value
 * decrements every counter (dropping zeros), so counts are lower bounds, short by at most the number
 * of decrement rounds. A column that forces more than `capacity` rounds is not low-cardinality:
 * counting stops and its counters are freed (the profile then shows no top values).
 */
export class TopValues {
  private counts: Map<string | number, number> | undefined = new Map();
  /** Decrement rounds so far: the most any count is short by. */
  rounds = 0;

  constructor(readonly capacity = 100) {}

  add(value: string | number): void {
    const counts = this.counts;
    if (!counts) return;
    const c = counts.get(value);
    if (c !== undefined) return void counts.set(value, c + 1);
    if (counts.size < this.capacity) return void counts.set(value, 1);
    if (++this.rounds > this.capacity) return void (this.counts = undefined);
    for (const [k, n] of counts) {
      if (n <= 1) counts.delete(k);
      else counts.set(k, n - 1);
    }
  }

  /** Whether the column stayed low-cardinality enough to report. */
  get tracked(): boolean {
    return this.counts !== undefined;
  }

  /** The `limit` largest counts, largest first (ties by value), or undefined when counting stopped. */
  top(limit: number): { value: string | number; count: number }[] | undefined {
    if (!this.counts) return undefined;
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))
      .slice(0, limit)
      .map(([value, count]) => ({ value, count }));
  }
}
