import { endianness } from 'node:os';
import * as arrow from 'apache-arrow';
import { assembleBatch, schemaOf, type ColumnKind } from '@salesflow/batches';

/**
 * How a column's binary COPY field is read. Types without a decoding here are converted to
 * their text form on the server (see copySelect in pg-copy-reader), so every column arrives as
 * either a binary value decoded below or PostgreSQL's own text.
 */
export type PgDecoding = 'bool' | 'int2' | 'int4' | 'int8' | 'oid' | 'float8' | 'float-text' | 'date' | 'timestamp' | 'numeric' | 'uuid' | 'text' | 'jsonb';

/** Binary decodings of the types read natively; the rest (and float4, see below) travel as text. */
const BINARY: Readonly<Record<number, PgDecoding>> = {
  16: 'bool',
  19: 'text', // name
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  26: 'oid',
  114: 'text', // json
  701: 'float8',
  1042: 'text', // char(n), padded as stored
  1043: 'text', // varchar
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamp',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

/**
 * The decoding of a column of this type OID, or undefined when the server must send it as text.
 * float4 is sent as text and parsed: its binary value widened to a double is not the number the
 * text path gives ("1.1" and not 1.100000023841858).
 */
export function binaryDecodingOf(oid: number): PgDecoding | undefined {
  return BINARY[oid];
}

/** One column of a binary COPY: its lake kind and how its field is read. */
export interface PgCopyColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly decoding: PgDecoding;
}

/** A value the lake cannot hold (infinity, BC dates); the caller turns it into a BadInputError naming column and row. */
export class PgValueNotStorableError extends Error {
  constructor(
    readonly column: string,
    /** 1-based position of the row in the read. */
    readonly row: number,
    readonly text: string,
    kind: string,
  ) {
    super(`${kind} "${text}" cannot be stored in the lake (infinity and BC dates are not supported)`);
    this.name = 'PgValueNotStorableError';
  }
}

/** The COPY stream is not binary COPY output of the expected columns. */
export class PgCopyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgCopyFormatError';
  }
}

/** Decides per row whether it is loaded (the incremental boundary filter); values as the lake holds them. */
export interface RowFilter {
  readonly cursorAt: number;
  readonly keyAt: readonly number[];
  accept(cursor: number | bigint | null, key: () => readonly unknown[]): boolean;
}

const NONE: readonly arrow.RecordBatch[] = Object.freeze([]);
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Days and milliseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_MS = PG_EPOCH_DAYS * 86_400_000;
/** The first day of year 1 AD (1970-based): earlier dates are BC, which the lake does not hold. */
const FIRST_AD_DAY = -719_162;
const FIRST_AD_MS = FIRST_AD_DAY * 86_400_000;
const TWO_32 = 4_294_967_296;
const HEX = '0123456789abcdef';

if (endianness() !== 'LE') throw new Error('the PostgreSQL binary decoder writes 64-bit values as little-endian word pairs');

/** Accumulates one column of a batch in Arrow's own buffers. */
interface ColumnBuffers {
  /** Int32 / Float64 values, or lo/hi word pairs of 64-bit values, or bool bits. */
  values: Int32Array | Float64Array | Uint8Array;
  validity: Uint8Array;
  nulls: number;
  /** String columns: offsets and UTF-8 bytes. */
  offsets?: Int32Array;
  bytes?: Uint8Array;
  used: number;
}

/** Decodings as small integers for the per-value switch; text-like ones last (they have offsets). */
const BOOL = 0;
const INT2 = 1;
const INT4 = 2;
const INT8 = 3;
const OID = 4;
const FLOAT8 = 5;
const FLOAT_TEXT = 6;
const DATE = 7;
const TIMESTAMP = 8;
const TEXT = 9;
const CODES: Readonly<Record<PgDecoding, number>> = { bool: BOOL, int2: INT2, int4: INT4, int8: INT8, oid: OID, float8: FLOAT8, 'float-text': FLOAT_TEXT, date: DATE, timestamp: TIMESTAMP, text: TEXT, numeric: TEXT + 1, uuid: TEXT + 2, jsonb: TEXT + 3 };

const be32 = (b: Uint8Array, p: number) => (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
const be16 = (b: Uint8Array, p: number) => ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;

/**
 * Decodes PostgreSQL's binary COPY output (`COPY ... TO STDOUT (FORMAT binary)`) straight into
 * Arrow column buffers, batchSize rows per record batch, with no JS object per row or value:
 * integers, floats, dates and timestamps are copied into typed arrays, text bytes into the UTF-8
 * buffer, numeric and uuid are written as their text digits. Values are those the text protocol
 * path gives (see pg-types): timestamps as UTC milliseconds (sub-millisecond digits dropped),
 * dates as days, numeric in PostgreSQL's text form. Chunks may split rows anywhere. Pure.
 */
export class PgBinaryDecoder {
  readonly schema: arrow.Schema;
  private readonly n: number;
  private readonly codes: Uint8Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private cols: ColumnBuffers[] = [];
  private rows = 0;
  private read = 0;
  private headerDone = false;
  private ended = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the pending chunks must reach before a row can be complete. */
  private need = 0;
  private bytesHint = 64 * 1024;

  constructor(
    private readonly columns: readonly PgCopyColumn[],
    private readonly batchSize: number,
    private readonly filter?: RowFilter,
  ) {
    this.n = columns.length;
    this.codes = Uint8Array.from(columns.map((c) => CODES[c.decoding]));
    this.schema = schemaOf(columns.map((c) => ({ name: c.name, kind: c.kind })));
    this.starts = new Int32Array(this.n);
    this.lengths = new Int32Array(this.n);
    this.cols = this.allocate();
  }

  /** Rows read from the stream so far, loaded or dropped. */
  get rowsRead(): number {
    return this.read;
  }

  /** Decodes bytes start..end of a chunk; returns the batches they completed (usually none or one). */
  push(chunk: Buffer, start = 0, end = chunk.length): readonly arrow.RecordBatch[] {
    if (this.pending.length > 0) {
      const part = chunk.subarray(start, end);
      this.pending.push(part);
      this.pendingBytes += part.length;
      if (this.pendingBytes < this.need) return NONE;
      chunk = Buffer.concat(this.pending, this.pendingBytes);
      start = 0;
      end = chunk.length;
      this.pending = [];
      this.pendingBytes = 0;
    }
    // Called once per row message by PgCopyOut: no array unless a batch completes.
    let out: arrow.RecordBatch[] | undefined;
    let pos = start;
    if (!this.headerDone) {
      const after = this.header(chunk, start, end);
      if (after < 0) return this.keep(chunk, start, end, -after - start), NONE;
      pos = after;
    }
    while (pos < end) {
      if (this.ended) throw new PgCopyFormatError('data after the end of the COPY stream');
      const next = this.scanRow(chunk, pos, end);
      if (next === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      if (next < 0) {
        this.keep(chunk, pos, end, -next - pos);
        break;
      }
      this.read++;
      if (this.accepts(chunk)) {
        this.appendRow(chunk);
        if (this.rows === this.batchSize) (out ??= []).push(this.finish());
      }
      pos = next;
    }
    return out ?? NONE;
  }

  /** Ends the stream: the last partial batch, if any. Throws when the stream stopped inside a row or before its trailer. */
  end(): arrow.RecordBatch[] {
    if (this.pending.length > 0 || !this.ended) throw new PgCopyFormatError('the COPY stream ended before its end marker');
    return this.rows > 0 ? [this.finish()] : [];
  }

  /** Parses the header at start; returns the position after it, or minus the absolute end needed. */
  private header(b: Buffer, start: number, end: number): number {
    if (end - start < 19) return -(start + 19);
    if (!b.subarray(start, start + 11).equals(SIGNATURE)) throw new PgCopyFormatError('not a binary COPY stream (bad signature)');
    const ext = be32(b, start + 15);
    if (end - start < 19 + ext) return -(start + 19 + ext);
    this.headerDone = true;
    return start + 19 + ext;
  }

  private keep(b: Buffer, from: number, end: number, need: number): void {
    // A copy: the chunk's memory may be reused by the socket once this returns.
    const rest = Buffer.from(b.subarray(from, end));
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.need = need;
  }

  /**
   * Finds the fields of the row at pos: starts and lengths (-1 for null). Returns the position
   * after the row, -1 at the end marker, or minus the absolute end needed when the row is cut.
   */
  private scanRow(b: Buffer, pos: number, end: number): number {
    if (pos + 2 > end) return -(pos + 2);
    const count = be16(b, pos);
    if (count === -1) return -1;
    if (count !== this.n) throw new PgCopyFormatError(`a row has ${count} fields where ${this.n} columns were described`);
    let p = pos + 2;
    for (let i = 0; i < this.n; i++) {
      if (p + 4 > end) return -(p + 4);
      const len = be32(b, p);
      p += 4;
      this.starts[i] = p;
      this.lengths[i] = len;
      if (len > 0) {
        p += len;
        if (p > end) return -p;
      }
    }
    return p;
  }

  private accepts(b: Buffer): boolean {
    const f = this.filter;
    if (!f) return true;
    const cursor = this.valueAt(b, f.cursorAt) as number | bigint | null;
    return f.accept(cursor, () => f.keyAt.map((i) => this.valueAt(b, i)));
  }

  /**
   * The JS value of field i of the current row, as the text protocol path gives it: for the
   * cursor and key columns of the boundary filter, and for tests.
   */
  valueAt(b: Buffer, i: number): unknown {
    const s = this.starts[i]!;
    const len = this.lengths[i]!;
    if (len < 0) return null;
    const c = this.columns[i]!;
    switch (c.decoding) {
      case 'bool':
        return b[s] !== 0;
      case 'int2':
        return be16(b, s);
      case 'int4':
        return be32(b, s);
      case 'int8':
        return b.readBigInt64BE(s);
      case 'oid':
        return BigInt(be32(b, s) >>> 0);
      case 'float8':
        return b.readDoubleBE(s);
      case 'float-text':
        return parseFloat(b.toString('latin1', s, s + len));
      case 'date':
        return this.days(b, s, i) * 86_400_000;
      case 'timestamp':
        return this.millis(b, s, i);
      default: {
        const text = { bytes: new Uint8Array(64), used: 0 };
        this.appendText(b, i, text);
        return Buffer.from(text.bytes.buffer, 0, text.used).toString('utf8');
      }
    }
  }

  private appendRow(b: Buffer): void {
    const row = this.rows++;
    const bit = 1 << (row & 7);
    const byte = row >> 3;
    const { starts, lengths, cols, codes, n } = this;
    for (let i = 0; i < n; i++) {
      const col = cols[i]!;
      const len = lengths[i]!;
      const s = starts[i]!;
      const code = codes[i]!;
      if (len < 0) {
        col.nulls++;
        if (code >= TEXT) col.offsets![row + 1] = col.used;
        continue;
      }
      col.validity[byte]! |= bit;
      switch (code) {
        case BOOL:
          if (b[s] !== 0) (col.values as Uint8Array)[byte]! |= bit;
          break;
        case INT2:
          (col.values as Int32Array)[row] = be16(b, s);
          break;
        case INT4:
          (col.values as Int32Array)[row] = be32(b, s);
          break;
        case INT8:
          (col.values as Int32Array)[2 * row] = be32(b, s + 4);
          (col.values as Int32Array)[2 * row + 1] = be32(b, s);
          break;
        case OID:
          (col.values as Int32Array)[2 * row] = be32(b, s);
          break;
        case FLOAT8:
          (col.values as Float64Array)[row] = b.readDoubleBE(s);
          break;
        case FLOAT_TEXT:
          (col.values as Float64Array)[row] = parseFloat(b.toString('latin1', s, s + len));
          break;
        case DATE:
          (col.values as Int32Array)[row] = this.days(b, s, i);
          break;
        case TIMESTAMP: {
          const ms = this.millis(b, s, i);
          const hi = Math.floor(ms / TWO_32);
          (col.values as Int32Array)[2 * row] = ms - hi * TWO_32;
          (col.values as Int32Array)[2 * row + 1] = hi;
          break;
        }
        case TEXT: {
          // Plain text, the common case, copied here rather than through appendText.
          let used = col.used;
          if (used + len > col.bytes!.length) this.grow(col, len);
          const out = col.bytes!;
          if (len < 48) for (let k = 0; k < len; k++) out[used++] = b[s + k]!;
          else {
            out.set(b.subarray(s, s + len), used);
            used += len;
          }
          col.used = used;
          col.offsets![row + 1] = used;
          break;
        }
        default:
          this.appendText(b, i, col as { bytes: Uint8Array; used: number });
          col.offsets![row + 1] = col.used;
      }
    }
  }

  private grow(col: { bytes?: Uint8Array; used: number }, room: number): void {
    const grown = new Uint8Array(Math.max(col.bytes!.length * 2, col.used + room + 1024));
    grown.set(col.bytes!.subarray(0, col.used));
    col.bytes = grown;
  }

  /** Days since 1970 of a binary date; rejects infinity and BC dates as the text path does. */
  private days(b: Buffer, s: number, i: number): number {
    const raw = be32(b, s);
    if (raw === 0x7fffffff || raw === -0x80000000) throw new PgValueNotStorableError(this.columns[i]!.name, this.read, raw > 0 ? 'infinity' : '-infinity', 'date');
    const days = raw + PG_EPOCH_DAYS;
    if (days < FIRST_AD_DAY) throw new PgValueNotStorableError(this.columns[i]!.name, this.read, bcText(days * 86_400_000, 10), 'date');
    return days;
  }

  /**
   * UTC milliseconds of a binary timestamp (microseconds since 2000), rounded down as the text
   * path truncates the fraction digits. Exact in doubles: the microseconds are split so no
   * intermediate exceeds 2^53.
   */
  private millis(b: Buffer, s: number, i: number): number {
    const hi = be32(b, s);
    const lo = be32(b, s + 4) >>> 0;
    if ((hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0)) {
      throw new PgValueNotStorableError(this.columns[i]!.name, this.read, hi > 0 ? 'infinity' : '-infinity', 'timestamp');
    }
    // micros = hi * 2^32 + lo, and 2^32 = 4294967 * 1000 + 296.
    const rest = hi * 296 + lo;
    const ms = hi * 4_294_967 + Math.floor(rest / 1000) + PG_EPOCH_MS;
    if (ms < FIRST_AD_MS) throw new PgValueNotStorableError(this.columns[i]!.name, this.read, bcText(ms, 19), 'timestamp');
    return ms;
  }

  /** Appends the text of string field i to a column's UTF-8 bytes, growing them when needed. */
  private appendText(b: Buffer, i: number, col: { bytes: Uint8Array; used: number }): void {
    let out = col.bytes;
    let used = col.used;
    let s = this.starts[i]!;
    let len = this.lengths[i]!;
    const d = this.columns[i]!.decoding;
    if (d === 'jsonb') {
      // jsonb's binary form is a version byte, then its text.
      if (b[s] !== 1) throw new PgCopyFormatError(`jsonb column ${this.columns[i]!.name} has binary version ${b[s]}`);
      s++;
      len--;
    }
    // numeric text takes at most 4 characters per base-10000 digit plus scale, sign and point.
    const room = d === 'numeric' ? 16 + 4 * len + 4 * Math.max(0, be16(b, s + 6)) : d === 'uuid' ? 36 : len;
    if (used + room > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, used + room + 1024));
      grown.set(out.subarray(0, used));
      out = grown;
      col.bytes = grown;
    }
    if (d === 'numeric') used = writeNumeric(b, s, out, used);
    else if (d === 'uuid') used = writeUuid(b, s, out, used);
    else if (len < 48) {
      for (let k = 0; k < len; k++) out[used + k] = b[s + k]!;
      used += len;
    } else {
      out.set(b.subarray(s, s + len), used);
      used += len;
    }
    col.used = used;
  }

  private allocate(): ColumnBuffers[] {
    const rows = this.batchSize;
    const bits = ((rows + 63) & ~63) >> 3;
    return this.columns.map((c) => {
      const col: ColumnBuffers = { values: new Uint8Array(0), validity: new Uint8Array(bits), nulls: 0, used: 0 };
      switch (c.kind) {
        case 'bool':
          col.values = new Uint8Array(bits);
          break;
        case 'int32':
        case 'date':
          col.values = new Int32Array(rows);
          break;
        case 'int64':
        case 'timestamp':
          col.values = new Int32Array(2 * rows);
          break;
        case 'float64':
          col.values = new Float64Array(rows);
          break;
        case 'string':
          col.offsets = new Int32Array(rows + 1);
          col.bytes = new Uint8Array(this.bytesHint);
          break;
      }
      return col;
    });
  }

  private finish(): arrow.RecordBatch {
    const length = this.rows;
    let bytes = 0;
    const data = this.columns.map((c, i) => {
      const col = this.cols[i]!;
      const type = this.schema.fields[i]!.type as arrow.DataType;
      const nulls = col.nulls ? { nullBitmap: col.validity.subarray(0, ((length + 63) & ~63) >> 3), nullCount: col.nulls } : { nullCount: 0 };
      let values: ArrayBufferView;
      switch (c.kind) {
        case 'bool':
          values = (col.values as Uint8Array).subarray(0, ((length + 63) & ~63) >> 3);
          break;
        case 'int64':
        case 'timestamp':
          values = new BigInt64Array(col.values.buffer, 0, length);
          break;
        case 'string':
          bytes += col.used;
          return arrow.makeData({ type, length, valueOffsets: col.offsets!.subarray(0, length + 1), data: col.bytes!.subarray(0, col.used), ...nulls } as never) as arrow.Data;
        default:
          values = col.values.subarray(0, length);
      }
      return arrow.makeData({ type, length, data: values, ...nulls } as never) as arrow.Data;
    });
    // The next batch's text buffers start at about this batch's size, so they rarely grow.
    this.bytesHint = Math.max(64 * 1024, Math.ceil((bytes / Math.max(1, this.columns.filter((c) => c.kind === 'string').length)) * 1.1));
    this.rows = 0;
    this.cols = this.allocate();
    return assembleBatch(this.schema, data, length);
  }
}

/** PostgreSQL's text of a BC date or timestamp ("0044-03-15 12:00:00 BC"), for the error message. */
function bcText(ms: number, chars: number): string {
  const d = new Date(ms);
  const two = (v: number) => String(v).padStart(2, '0');
  const text = `${String(1 - d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${text.slice(0, chars)} BC`;
}

/** numeric's binary form (base-10000 digits, weight, sign, display scale) as numeric_out writes it. */
function writeNumeric(b: Uint8Array, s: number, out: Uint8Array, used: number): number {
  const ndigits = be16(b, s);
  const weight = be16(b, s + 2);
  const sign = (b[s + 4]! << 8) | b[s + 5]!;
  const dscale = be16(b, s + 6);
  if (sign === 0xc000 || sign === 0xd000 || sign === 0xf000) {
    const text = sign === 0xc000 ? 'NaN' : sign === 0xd000 ? 'Infinity' : '-Infinity';
    for (let k = 0; k < text.length; k++) out[used++] = text.charCodeAt(k);
    return used;
  }
  if (sign === 0x4000) out[used++] = 45; // '-'
  let d: number;
  if (weight < 0) {
    d = weight + 1;
    out[used++] = 48;
  } else {
    for (d = 0; d <= weight; d++) {
      let dig = d < ndigits ? (b[s + 8 + 2 * d]! << 8) | b[s + 9 + 2 * d]! : 0;
      let put = d > 0;
      const d1 = (dig / 1000) | 0;
      dig -= d1 * 1000;
      put ||= d1 > 0;
      if (put) out[used++] = 48 + d1;
      const d2 = (dig / 100) | 0;
      dig -= d2 * 100;
      put ||= d2 > 0;
      if (put) out[used++] = 48 + d2;
      const d3 = (dig / 10) | 0;
      dig -= d3 * 10;
      put ||= d3 > 0;
      if (put) out[used++] = 48 + d3;
      out[used++] = 48 + dig;
    }
  }
  if (dscale > 0) {
    out[used++] = 46; // '.'
    const end = used + dscale;
    for (let i = 0; i < dscale; d++, i += 4) {
      let dig = d >= 0 && d < ndigits ? (b[s + 8 + 2 * d]! << 8) | b[s + 9 + 2 * d]! : 0;
      const d1 = (dig / 1000) | 0;
      dig -= d1 * 1000;
      const d2 = (dig / 100) | 0;
      dig -= d2 * 100;
      const d3 = (dig / 10) | 0;
      dig -= d3 * 10;
      out[used] = 48 + d1;
      out[used + 1] = 48 + d2;
      out[used + 2] = 48 + d3;
      out[used + 3] = 48 + dig;
      used += 4;
    }
    used = end;
  }
  return used;
}

/** A uuid's 16 bytes as lowercase 8-4-4-4-12 hex, as uuid_out writes it. */
function writeUuid(b: Uint8Array, s: number, out: Uint8Array, used: number): number {
  for (let k = 0; k < 16; k++) {
    if (k === 4 || k === 6 || k === 8 || k === 10) out[used++] = 45;
    out[used++] = HEX.charCodeAt(b[s + k]! >> 4);
    out[used++] = HEX.charCodeAt(b[s + k]! & 15);
  }
  return used;
}
