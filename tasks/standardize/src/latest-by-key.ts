import { KeySet } from '@salesflow/batches';

/**
 * For each key, which row wins deduplication: the one with the highest ordering value, ties going
 * to the later row. Filled in a first pass over the input (offer), then read in a second pass
 * (isWinner) that sees the rows in the same order. Holds the keys' bytes and two numbers per key,
 * never the rows: 12 bytes per key in these arrays, plus the key set's own cost.
 */
export class LatestByKey {
  private readonly keys = new KeySet(1 << 16);
  private order = new Float64Array(1 << 16);
  /** Row numbers fit 32 bits: a partition holds far fewer than 4 billion rows. */
  private row = new Uint32Array(1 << 16);

  get size(): number {
    return this.keys.size;
  }

  /** Records row number `row` (counted over the whole input) with its ordering value (null: lowest). */
  offer(key: Uint8Array, start: number, end: number, order: number | null, row: number): void {
    const o = order ?? -Infinity;
    if (this.keys.add(key, start, end)) {
      const k = this.keys.size - 1;
      if (k >= this.order.length) this.grow();
      this.order[k] = o;
      this.row[k] = row;
      return;
    }
    const k = this.keys.keyNumberOf(key, start, end);
    if (o >= this.order[k]!) {
      this.order[k] = o;
      this.row[k] = row;
    }
  }

  /** Whether row number `row` is the one kept for its key. */
  isWinner(key: Uint8Array, start: number, end: number, row: number): boolean {
    const k = this.keys.keyNumberOf(key, start, end);
    return k >= 0 && this.row[k] === row;
  }

  private grow(): void {
    const order = new Float64Array(this.order.length * 2);
    order.set(this.order);
    const row = new Uint32Array(this.row.length * 2);
    row.set(this.row);
    this.order = order;
    this.row = row;
  }
}
