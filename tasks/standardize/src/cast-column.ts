import * as arrow from 'apache-arrow';
import { columnReaders, copyBytes, DEFAULT_DECIMAL_PRECISION, parseDecimalUnits, type ColumnKind, type ColumnReader } from '@salesflow/batches';
import { daysFromCivil, makeCaster, type CastResult, type CastSpec } from './cast-value';

/** A row's cast outcome in CastColumn.status. */
export const CAST_OK = 0;
export const CAST_NULL = 1;
export const CAST_FAILED = 2;
/** Not decided by the fast path yet (only while a column is being cast). */
const PENDING = 3;

/**
 * One column of one batch, cast: the same outcome makeCaster gives per value, held in typed
 * arrays. The arrays belong to the ColumnCaster and are overwritten by its next cast().
 */
export interface CastColumn {
  readonly rows: number;
  /** Per row: CAST_OK, CAST_NULL or CAST_FAILED. */
  readonly status: Uint8Array;
  /** Rows with CAST_FAILED, and CAST_NULL rows. */
  readonly failures: number;
  readonly nulls: number;
  /** Values the control_characters policy strip changed. */
  readonly stripped: number;
  /** The reason of each failed row. */
  readonly reasons: ReadonlyMap<number, string>;
  /**
   * Kinds int32, float64, date and timestamp: Number(value) of each OK row. Kind decimal: the
   * scaled integer (12.34 at scale 2 is 1234) when it is a safe integer, else NaN and the bigint
   * is in values.
   */
  readonly num: Float64Array;
  /** Kinds int64 and bool: the value of each OK row; kind decimal: the scaled integer where num is NaN. */
  readonly values: readonly unknown[];
  /** UTF-8 bytes of String(value) of OK row r: text[start[r], end[r]) (what the row hash and the key read). */
  readonly text: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** The ASCII bytes of trimmed text that ends or starts with whitespace (String.prototype.trim's ASCII set). */
const isAsciiSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Growable bytes with a write position. A plain Uint8Array, like Arrow's buffers, so code reading
 * either sees one type; `writer` is a Buffer over the same memory for writing strings.
 */
class TextBytes {
  bytes = new Uint8Array(64 * 1024);
  private writer = Buffer.from(this.bytes.buffer);
  used = 0;

  reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    this.writer = Buffer.from(grown.buffer);
  }

  /** Writes String(n) of a safe integer (no exponent form below 2^53). */
  writeInteger(n: number): void {
    this.reserve(17);
    const b = this.bytes;
    let at = this.used;
    let v = n;
    if (v < 0) {
      b[at++] = 45;
      v = -v;
    }
    if (v < 1e8) at = writeDigits(b, at, v, 0);
    else {
      // Two parts that fit 32-bit integer arithmetic: v < 2^53 makes the high one below 10^8 too.
      const hi = Math.floor(v / 1e8);
      at = writeDigits(b, at, hi, 0);
      at = writeDigits(b, at, v - hi * 1e8, 8);
    }
    this.used = at;
  }

  writeString(s: string): void {
    this.reserve(s.length * 3);
    this.used += this.writer.write(s, this.used, 'utf8');
  }

  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    this.used = copyBytes(this.bytes, this.used, src, start, end);
  }
}

type FastPath = 'string' | 'int' | 'number' | 'decimal' | 'timestamp' | undefined;

/**
 * Casts a whole column of a raw batch at a time, with the outcome of makeCaster(spec) for every
 * value (value, null, or the same failure reason). Values of the commonest shapes are read
 * straight from the Arrow UTF-8 bytes without making JS strings: ASCII text that needs no
 * trimming, plain integers and decimals of up to 15 significant digits, and
 * "YYYY-MM-DDTHH:MM:SSZ" timestamps. Every other value, and every column that is not single-chunk
 * Utf8, goes through makeCaster itself.
 */
export class ColumnCaster {
  private readonly castOne: (raw: unknown) => CastResult;
  private readonly fast: FastPath;
  private readonly required: boolean;
  private readonly min: number;
  private readonly max: number;
  private readonly maxScale: number;
  private readonly maxAbs: number;
  /** Kind decimal: the scale, and the largest scaled integer + 1 the precision holds (as a number). */
  private readonly scale: number;
  private readonly unitLimit: number;
  private readonly side = new TextBytes();
  private capacity = 0;
  private status = new Uint8Array(0);
  private num = new Float64Array(0);
  private start = new Int32Array(0);
  private end = new Int32Array(0);
  private values: unknown[] = [];
  private reasons = new Map<number, string>();
  private withText = true;
  /** Text columns under a control_characters policy other than keep: bytes below this go to makeCaster (0x20), else 0. */
  private readonly controlBound: number;
  private stripped = 0;

  constructor(
    private readonly spec: CastSpec,
    private readonly kind: ColumnKind,
  ) {
    this.castOne = makeCaster(spec);
    this.required = spec.required;
    this.min = spec.min ?? -Infinity;
    this.max = spec.max ?? Infinity;
    const scale = spec.scale ?? 2;
    // Past 10^22 a power of ten is not exact in a double.
    this.maxScale = spec.type === 'decimal' ? Math.min(scale, 22) : 22;
    this.maxAbs = Infinity;
    this.scale = scale;
    this.unitLimit = 10 ** (spec.precision ?? DEFAULT_DECIMAL_PRECISION);
    this.fast = fastPathOf(spec);
    this.controlBound = spec.type === 'string' && (spec.control_characters ?? 'reject') !== 'keep' ? 0x20 : 0;
  }

  /**
   * Casts the column named `name` of a raw batch (undefined or absent: the raw data lacks it,
   * every value is null). opts.text false: the caller reads no text, and the fast paths skip it.
   */
  cast(batch: arrow.RecordBatch, name: string | undefined, opts: { readonly text?: boolean } = {}): CastColumn {
    this.withText = opts.text ?? true;
    const rows = batch.numRows;
    const vector = name === undefined ? null : batch.getChild(name);
    const reader = () => columnReaders(batch, [name ?? '\u0000missing'])[0]!;
    this.reserve(rows);
    this.reasons.clear();
    this.side.used = 0;
    this.stripped = 0;
    const d = vector && vector.data.length === 1 && vector.type.typeId === arrow.Type.Utf8 ? (vector.data[0] as arrow.Data<arrow.Utf8>) : undefined;
    let text: Uint8Array = this.side.bytes;
    let start: Int32Array = this.start;
    let end: Int32Array = this.end;
    if (d && this.fast === 'string') {
      // Text that needs nothing done is its own output: point at the raw bytes.
      const pending = this.scanStrings(d, rows);
      if (pending === 0) {
        text = d.values;
        start = d.valueOffsets.subarray(0, rows);
        end = d.valueOffsets.subarray(1, rows + 1);
      } else {
        this.copyStrings(d, rows, reader());
        text = this.side.bytes;
      }
    } else if (d && this.fast) {
      this.castNumbers(d, rows, reader);
      text = this.side.bytes;
    } else {
      const read = reader();
      for (let r = 0; r < rows; r++) this.castSlow(r, read(r));
      text = this.side.bytes;
    }
    let failures = 0;
    let nulls = 0;
    const status = this.status;
    for (let r = 0; r < rows; r++) {
      const s = status[r]!;
      if (s === CAST_FAILED) failures++;
      else if (s === CAST_NULL) nulls++;
    }
    return { rows, status, failures, nulls, stripped: this.stripped, reasons: this.reasons, num: this.num, values: this.values, text, start, end };
  }

  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = rows;
    this.status = new Uint8Array(rows);
    this.num = new Float64Array(rows);
    this.start = new Int32Array(rows);
    this.end = new Int32Array(rows);
    if (this.kind === 'int64' || this.kind === 'bool' || this.kind === 'decimal') this.values = new Array<unknown>(rows).fill(null);
  }

  /** makeCaster's outcome for one raw value, stored for row r (text into the side bytes). */
  private castSlow(r: number, raw: unknown): void {
    const res = this.castOne(raw);
    if (!res.ok) {
      this.status[r] = CAST_FAILED;
      this.reasons.set(r, res.reason);
      return;
    }
    if (res.stripped) this.stripped++;
    const v = res.value;
    if (v === null || v === undefined) {
      this.status[r] = CAST_NULL;
      return;
    }
    this.status[r] = CAST_OK;
    if (this.kind === 'int64' || this.kind === 'bool') this.values[r] = v;
    else if (this.kind === 'decimal') {
      // makeCaster gives the value's digits at no more than the scale: exact units.
      const units = parseDecimalUnits(String(v), this.scale)!;
      const n = Number(units);
      if (Number.isSafeInteger(n)) this.num[r] = n;
      else {
        this.num[r] = NaN;
        this.values[r] = units;
      }
    } else if (this.kind !== 'string') this.num[r] = Number(v);
    this.start[r] = this.side.used;
    this.side.writeString(String(v));
    this.end[r] = this.side.used;
  }

  /** A value that is null or empty text: null, or missing when required. */
  private setEmpty(r: number): void {
    if (this.required) {
      this.status[r] = CAST_FAILED;
      this.reasons.set(r, 'required value is missing');
    } else this.status[r] = CAST_NULL;
  }

  /**
   * Text columns: marks OK the values that are ASCII with no space at either end (and, unless the
   * control_characters policy is keep, no byte below 0x20: tab, LF and CR go to makeCaster too,
   * which keeps them); returns how many need makeCaster.
   */
  private scanStrings(d: arrow.Data<arrow.Utf8>, rows: number): number {
    const offsets = d.valueOffsets;
    const bytes = d.values;
    const status = this.status;
    const hasNulls = d.nullCount > 0;
    let pending = 0;
    for (let r = 0; r < rows; r++) {
      const s = offsets[r]!;
      const e = offsets[r + 1]!;
      if (s === e || (hasNulls && !d.getValid(r))) {
        this.setEmpty(r);
        continue;
      }
      const first = bytes[s]!;
      const last = bytes[e - 1]!;
      const low = this.controlBound;
      let ascii = first < 128 && last < 128 && first >= low && last >= low && !isAsciiSpace(first) && !isAsciiSpace(last);
      for (let i = s + 1; ascii && i < e - 1; i++) if (bytes[i]! >= 128 || bytes[i]! < low) ascii = false;
      if (ascii) status[r] = CAST_OK;
      else {
        status[r] = PENDING;
        pending++;
      }
    }
    return pending;
  }

  /** Text columns with some values for makeCaster: every OK value's bytes copied beside theirs. */
  private copyStrings(d: arrow.Data<arrow.Utf8>, rows: number, read: ColumnReader): void {
    const offsets = d.valueOffsets;
    for (let r = 0; r < rows; r++) {
      const s = this.status[r]!;
      if (s === PENDING) this.castSlow(r, read(r));
      else if (s === CAST_OK) {
        this.start[r] = this.side.used;
        this.side.copy(d.values, offsets[r]!, offsets[r + 1]!);
        this.end[r] = this.side.used;
      }
    }
  }

  /** Number and timestamp columns: the fast shapes parsed from the bytes, the others through makeCaster. */
  private castNumbers(d: arrow.Data<arrow.Utf8>, rows: number, reader: () => ColumnReader): void {
    const offsets = d.valueOffsets;
    const bytes = d.values;
    const hasNulls = d.nullCount > 0;
    let read: ColumnReader | undefined;
    for (let r = 0; r < rows; r++) {
      const s = offsets[r]!;
      const e = offsets[r + 1]!;
      if (s === e || (hasNulls && !d.getValid(r))) {
        this.setEmpty(r);
        continue;
      }
      const ok = this.fast === 'timestamp' ? this.timestampAt(r, bytes, s, e) : this.numberAt(r, bytes, s, e);
      if (!ok) this.castSlow(r, (read ??= reader())(r));
    }
  }

  /**
   * Plain number text ([+-]digits[.digits]) of at most 15 significant digits, within the
   * column's scale, range and bounds: its value and String(value), exactly as Number() and
   * String() give them (such a decimal is an exact integer over an exact power of ten, and its
   * shortest round-trip form is its own digits). False for anything else.
   */
  private numberAt(r: number, b: Uint8Array, s: number, e: number): boolean {
    let i = s;
    const c0 = b[i]!;
    const negative = c0 === 45;
    if (negative || c0 === 43) i++;
    const intStart = i;
    let m = 0;
    let sig = 0;
    let firstSig = -1;
    for (; i < e; i++) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      if (c !== 0 && firstSig < 0) firstSig = i;
      m = m * 10 + c;
    }
    const intEnd = i;
    if (intEnd === intStart) return false;
    let fracStart = i;
    let lastNonZero = -1;
    if (i < e) {
      if (b[i] !== 46 || this.fast === 'int') return false;
      fracStart = ++i;
      for (; i < e; i++) {
        const c = b[i]! - 48;
        if (c < 0 || c > 9) return false;
        if (c !== 0) {
          if (firstSig < 0) firstSig = i;
          lastNonZero = i;
        }
        m = m * 10 + c;
      }
    }
    const decimals = e - fracStart;
    if (decimals > this.maxScale) return false;
    if (firstSig >= 0) {
      // Digits from the first significant one, the point not counted.
      sig = e - firstSig - (firstSig < intEnd && fracStart > intEnd ? 1 : 0);
      if (sig > 15) return false;
    }
    let n = m / POW10[decimals]!;
    if (negative) n = -n;
    if (this.fast === 'int' && (n < -2147483648 || n > 2147483647)) return false;
    if (Math.abs(n) >= this.maxAbs || n < this.min || n > this.max) return false;
    // Below 1e-6 String() writes an exponent: leave those to it.
    if (firstSig >= intEnd && firstSig - fracStart >= 6) return false;
    if (this.fast === 'decimal') {
      // The digits are the scaled integer once padded to the scale: exact while it is a safe integer.
      const units = m * POW10[this.scale - decimals]!;
      if (!Number.isSafeInteger(units) || units >= this.unitLimit) return false;
      this.num[r] = negative ? -units : units;
    } else this.num[r] = n;
    this.status[r] = CAST_OK;
    if (!this.withText) return true;
    const side = this.side;
    side.reserve(e - s + 2);
    const out = side.bytes;
    let at = side.used;
    this.start[r] = at;
    if (m === 0) out[at++] = 48;
    else {
      if (negative) out[at++] = 45;
      if (firstSig < 0 || firstSig >= intEnd) out[at++] = 48;
      else for (let j = firstSig; j < intEnd; j++) out[at++] = b[j]!;
      if (lastNonZero >= 0) {
        out[at++] = 46;
        for (let j = fracStart; j <= lastNonZero; j++) out[at++] = b[j]!;
      }
    }
    side.used = at;
    this.end[r] = at;
    return true;
  }

  /** "YYYY-MM-DDTHH:MM:SSZ" (T or space, Z or z), a valid time within the bounds: as cast-value's fastIsoUtc. */
  private timestampAt(r: number, b: Uint8Array, s: number, e: number): boolean {
    if (e - s !== 20) return false;
    const t = b[s + 10]!;
    const z = b[s + 19]!;
    if ((t !== 84 && t !== 116 && t !== 32) || (z !== 90 && z !== 122)) return false;
    if (b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 13] !== 58 || b[s + 16] !== 58) return false;
    const y = digitsAt(b, s, 4);
    const mo = digitsAt(b, s + 5, 2);
    const d = digitsAt(b, s + 8, 2);
    const h = digitsAt(b, s + 11, 2);
    const mi = digitsAt(b, s + 14, 2);
    const sec = digitsAt(b, s + 17, 2);
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
    const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    if (d > MONTH_DAYS[mo - 1]! + (leap ? 1 : 0)) return false;
    const ms = daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000;
    if (ms < this.min || ms > this.max) return false;
    this.status[r] = CAST_OK;
    this.num[r] = ms;
    if (this.withText) {
      this.start[r] = this.side.used;
      this.side.writeInteger(ms);
      this.end[r] = this.side.used;
    }
    return true;
  }
}

/** Which fast path a column can take; undefined: makeCaster for every value. */
function fastPathOf(spec: CastSpec): FastPath {
  // Normalizers and allowed values work on strings: leave those columns to makeCaster.
  if (spec.allowed || (spec.normalize ?? []).some((n) => n !== 'trim')) return undefined;
  switch (spec.type) {
    case 'string':
      return spec.min === undefined && spec.max === undefined ? 'string' : undefined;
    case 'int':
      return 'int';
    case 'float':
      return spec.decimal_comma ? undefined : 'number';
    case 'decimal':
      // Above 15 digits of scale the power of ten is no longer exact: makeCaster decides.
      return spec.decimal_comma || (spec.scale ?? 2) > 15 ? undefined : 'decimal';
    case 'timestamp':
      return spec.format ? undefined : 'timestamp';
    default:
      return undefined;
  }
}

/** Writes the digits of 0 <= v < 10^8 at b[at], zero-padded to `width`; returns the end. */
function writeDigits(b: Uint8Array, at: number, v: number, width: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) n++;
  if (n < width) n = width;
  let x = v | 0;
  for (let i = at + n - 1; i >= at; i--) {
    const q = (x / 10) | 0;
    b[i] = 48 + x - q * 10;
    x = q;
  }
  return at + n;
}

/** The number written in b[at, at + n) when every byte is a digit, else -1. */
function digitsAt(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
