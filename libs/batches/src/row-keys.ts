import * as arrow from 'apache-arrow';
import { isNullAt, normalizeKey, nullBitsOf } from './null-bits';

/** How one key column's value of a row becomes bytes. */
type KeyPart =
  | { readonly kind: 'var'; readonly nulls: ReturnType<typeof nullBitsOf>; readonly bytes: Uint8Array; readonly offsets: Int32Array | BigInt64Array }
  | { readonly kind: 'fixed'; readonly nulls: ReturnType<typeof nullBitsOf>; readonly bytes: Uint8Array; readonly width: number }
  | { readonly kind: 'bool'; readonly nulls: ReturnType<typeof nullBitsOf>; readonly bits: Uint8Array; readonly offset: number }
  | { readonly kind: 'text'; readonly nulls: ReturnType<typeof nullBitsOf>; readonly vector: arrow.Vector };

/**
 * The key of each row of a batch as bytes, for KeySet: equal keys give equal bytes and different
 * keys different bytes. A one-column key of strings or fixed-width numbers is handed out straight
 * from the Arrow buffers (no copy); composite keys are written into a scratch buffer, each part
 * but the last prefixed with its length so that ("ab","c") and ("a","bc") differ.
 */
export class RowKeys {
  /** After key(row): the key is bytes[start, end). */
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  private readonly parts: readonly KeyPart[];
  private scratch = Buffer.alloc(256);

  /** @param columns the key columns' data, in key order, all of one batch. */
  constructor(columns: readonly arrow.Data[]) {
    this.parts = columns.map(partOf);
  }

  /** Whether any key column is null in this row (such rows have no key). */
  hasNull(row: number): boolean {
    for (const p of this.parts) if (p.nulls && isNullAt(p.nulls, row)) return true;
    return false;
  }

  /** True when no key column of this batch holds a null, so hasNull() can be skipped. */
  get noNulls(): boolean {
    return this.parts.every((p) => !p.nulls);
  }

  /** Sets bytes/start/end to the key of a row without nulls. */
  key(row: number): void {
    const parts = this.parts;
    if (parts.length === 1) {
      const p = parts[0]!;
      if (p.kind === 'var') {
        this.bytes = p.bytes;
        this.start = Number(p.offsets[row]);
        this.end = Number(p.offsets[row + 1]);
        return;
      }
      if (p.kind === 'fixed') {
        this.bytes = p.bytes;
        this.start = row * p.width;
        this.end = this.start + p.width;
        return;
      }
    }
    let at = 0;
    for (let i = 0; i < parts.length; i++) at = this.writePart(parts[i]!, row, at, i < parts.length - 1);
    this.bytes = this.scratch;
    this.start = 0;
    this.end = at;
  }

  private writePart(p: KeyPart, row: number, at: number, prefixLength: boolean): number {
    switch (p.kind) {
      case 'var': {
        const from = Number(p.offsets[row]);
        const len = Number(p.offsets[row + 1]) - from;
        at = this.reserve(at, len + 4);
        if (prefixLength) at = this.scratch.writeUInt32LE(len, at);
        this.scratch.set(p.bytes.subarray(from, from + len), at);
        return at + len;
      }
      case 'fixed': {
        at = this.reserve(at, p.width);
        const from = row * p.width;
        for (let i = 0; i < p.width; i++) this.scratch[at + i] = p.bytes[from + i]!;
        return at + p.width;
      }
      case 'bool': {
        at = this.reserve(at, 1);
        const pos = p.offset + row;
        this.scratch[at] = (p.bits[pos >> 3]! >> (pos & 7)) & 1;
        return at + 1;
      }
      case 'text': {
        const text = String(normalizeKey(p.vector.get(row)));
        const len = Buffer.byteLength(text);
        at = this.reserve(at, len + 4);
        if (prefixLength) at = this.scratch.writeUInt32LE(len, at);
        return at + this.scratch.write(text, at);
      }
    }
  }

  private reserve(at: number, more: number): number {
    if (at + more > this.scratch.length) {
      const bigger = Buffer.alloc(Math.max(this.scratch.length * 2, at + more));
      this.scratch.copy(bigger, 0, 0, at);
      this.scratch = bigger;
    }
    return at;
  }
}

function partOf(data: arrow.Data): KeyPart {
  const nulls = nullBitsOf(data);
  const t = data.type;
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t) || arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t)) {
    return { kind: 'var', nulls, bytes: data.values as Uint8Array, offsets: data.valueOffsets as Int32Array | BigInt64Array };
  }
  if (arrow.DataType.isBool(t)) return { kind: 'bool', nulls, bits: data.values as Uint8Array, offset: data.offset };
  if (
    arrow.DataType.isInt(t) ||
    arrow.DataType.isFloat(t) ||
    arrow.DataType.isDate(t) ||
    arrow.DataType.isTimestamp(t) ||
    arrow.DataType.isTime(t) ||
    arrow.DataType.isDecimal(t) ||
    arrow.DataType.isDuration(t)
  ) {
    // The values array is already sliced to the data's offset; a value is stride elements wide.
    const values = data.values as ArrayBufferView & { BYTES_PER_ELEMENT: number };
    return {
      kind: 'fixed',
      nulls,
      bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      width: values.BYTES_PER_ELEMENT * data.stride,
    };
  }
  return { kind: 'text', nulls, vector: arrow.makeVector(data) };
}
