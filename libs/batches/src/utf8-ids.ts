import type * as arrow from 'apache-arrow';
import { Type } from 'apache-arrow';
import { KeySet } from './key-set';

/**
 * Numbers the distinct values of text columns by their UTF-8 bytes, 0, 1, 2... in order of first
 * sight, decoding each distinct value to a string once. A lookup of natural keys over a million
 * fact rows with ten thousand customers then decodes and looks up ten thousand strings, not a
 * million; callers keep what they learn per id in arrays. Ids are stable for the object's life.
 */
export class Utf8Ids {
  private readonly keys = new KeySet();
  private scratch = Buffer.allocUnsafe(64);
  /** The value of each id. */
  readonly values: string[] = [];

  /** Number of distinct values seen. */
  get size(): number {
    return this.values.length;
  }

  /** The id of each row of `vector` (-1 for null) in `out`; any column type, read as text (String of the value) when it is not Utf8. */
  idsOf(vector: arrow.Vector, out: Int32Array = new Int32Array(vector.length)): Int32Array {
    let at = 0;
    for (const d of vector.data) {
      if (d.type.typeId === Type.Utf8) this.utf8Ids(d as arrow.Data<arrow.Utf8>, out, at);
      else for (let r = 0; r < d.length; r++) out[at + r] = d.getValid(r) ? this.idOfText(String(vector.get(at + r))) : -1;
      at += d.length;
    }
    return out;
  }

  /** The id of a string, adding it when new. */
  idOfText(text: string): number {
    if (text.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(text.length * 3);
    const n = this.scratch.write(text, 0, 'utf8');
    const k = this.keys.keyNumberOf(this.scratch, 0, n);
    return k >= 0 ? k : this.add(this.scratch, 0, n, text);
  }

  private utf8Ids(d: arrow.Data<arrow.Utf8>, out: Int32Array, at: number): void {
    const offsets = d.valueOffsets;
    const bytes = d.values;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const nulls = d.nullCount > 0;
    for (let r = 0; r < d.length; r++) {
      if (nulls && !d.getValid(r)) {
        out[at + r] = -1;
        continue;
      }
      const s = offsets[r]!;
      const e = offsets[r + 1]!;
      const k = this.keys.keyNumberOf(bytes, s, e);
      out[at + r] = k >= 0 ? k : this.add(bytes, s, e, buf.toString('utf8', s, e));
    }
  }

  private add(bytes: Uint8Array, start: number, end: number, text: string): number {
    this.keys.add(bytes, start, end);
    this.values.push(text);
    return this.values.length - 1;
  }
}
