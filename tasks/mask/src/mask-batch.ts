import * as arrow from 'apache-arrow';
import { assembleBatch, constantUtf8Data } from '@salesflow/batches';
import type { MaskRuleConfig } from '@salesflow/config';
import { MASK_KEY_ID_COLUMN, type MaskRules } from './check-mask-rules';
import { maskEmail, splitEmail } from './mask-email';
import { maskHmac } from './mask-hmac';
import type { MaskKey } from './mask-key';
import { hasTooFewDigits, maskPattern } from './mask-pattern';
import { tokenizeValue } from './mask-tokenize';

/** What masking did to one column; counts only, never values. */
export interface ColumnMaskCounts {
  /** Non-null values replaced (redact: values dropped). */
  masked: number;
  /** Nulls, which stay null. */
  nulls: number;
  /** Method email: values not shaped like an email, hashed whole with hmac instead. */
  notEmail: number;
  /** Method pattern: values with too few digits, masked fully. */
  tooFewDigits: number;
}

/** Per masked column, what maskBatch did; maskBatch adds to it, so one object can total a whole partition. */
export type MaskCounts = Record<string, ColumnMaskCounts>;

/** An empty counter object for maskBatch. */
export function createMaskCounts(): MaskCounts {
  return {};
}

/**
 * The schema maskBatch produces: same fields in the same order, masked columns turned into
 * strings (redacted ones keep their type and become nullable), then `_mask_key_id`.
 */
export function maskedSchemaOf(schema: arrow.Schema, rules: MaskRules): arrow.Schema {
  const fields = schema.fields.map((f) => {
    const rule = rules[f.name];
    if (!rule) return f;
    if (rule.method === 'redact') return new arrow.Field(f.name, plainTypeOf(f.type), true, f.metadata);
    return new arrow.Field(f.name, new arrow.Utf8(), f.nullable, f.metadata);
  });
  return new arrow.Schema([...fields, new arrow.Field(MASK_KEY_ID_COLUMN, new arrow.Utf8(), false)], schema.metadata);
}

/**
 * Masks one record batch: rebuilds only the columns that have a rule and reuses every other
 * column's Arrow data as it is (no round trip through JS values), keeps the column order, and
 * appends `_mask_key_id` (the key's version) to every row. Values are masked as their text
 * (`String(value)` for numbers and bigints); nulls stay null.
 *
 * Pure apart from adding to `counts` when given. Throws when a rule names a column the batch
 * does not have; the mask step checks that up front with a config-level error (checkMaskRules).
 */
export function maskBatch(batch: arrow.RecordBatch, rules: MaskRules, key: MaskKey, counts?: MaskCounts): arrow.RecordBatch {
  const names = batch.schema.fields.map((f) => f.name);
  const missing = Object.keys(rules).filter((c) => !names.includes(c));
  if (missing.length) throw new Error(`maskBatch: the batch has no column(s) ${missing.join(', ')} named by the masking rules`);
  if (names.includes(MASK_KEY_ID_COLUMN)) throw new Error(`maskBatch: the batch already has a ${MASK_KEY_ID_COLUMN} column`);

  const schema = maskedSchemaOf(batch.schema, rules);
  const length = batch.numRows;
  const children = batch.schema.fields.map((f, i): arrow.Data => {
    const data = batch.data.children[i]!;
    const rule = rules[f.name];
    if (!rule) return data;
    return maskColumn(data, rule, key, counts ? (counts[f.name] ??= emptyCounts()) : emptyCounts());
  });
  children.push(constantUtf8Data(key.keyId, length));
  return assembleBatch(schema, children, length);
}

/** Values looked at before deciding whether a column repeats enough to keep its memo. */
const MEMO_PROBE = 2048;
const MEMO_MIN_HIT_RATE = 0.2;

function emptyCounts(): ColumnMaskCounts {
  return { masked: 0, nulls: 0, notEmail: 0, tooFewDigits: 0 };
}

function maskColumn(data: arrow.Data, rule: MaskRuleConfig, key: MaskKey, counts: ColumnMaskCounts): arrow.Data {
  const nulls = data.nullCount;
  counts.nulls += nulls;
  counts.masked += data.length - nulls;
  if (rule.method === 'redact') return allNulls(plainTypeOf(data.type), data.length);
  const mask = valueMaskerOf(rule, key, counts);
  // Names and cities repeat a lot within a batch: a memo saves most of their HMACs. It lives only
  // as long as the batch, so no unmasked value outlives it, and it is dropped early for columns
  // of unique values (emails, addresses), where it would only cost time and garbage.
  let memo = rule.method === 'pattern' ? undefined : new Map<string, string | null>();
  let lookups = 0;
  let hits = 0;
  const vector = arrow.makeVector(data);
  const out = new Utf8Writer(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = vector.get(i);
    if (v === null || v === undefined) {
      out.append(null);
      continue;
    }
    const text = typeof v === 'string' ? v : String(v);
    let masked: string | null | undefined;
    if (memo) {
      masked = memo.get(text);
      if (masked !== undefined) {
        hits++;
        if (rule.method === 'email' && !splitEmail(text)) counts.notEmail++;
      }
      if (++lookups === MEMO_PROBE && hits < MEMO_PROBE * MEMO_MIN_HIT_RATE) memo = undefined;
    }
    if (masked === undefined) {
      masked = mask(text);
      memo?.set(text, masked);
    }
    out.append(masked);
  }
  return out.finish();
}

function valueMaskerOf(rule: MaskRuleConfig, key: MaskKey, counts: ColumnMaskCounts): (text: string) => string | null {
  switch (rule.method) {
    case 'hmac':
      return (v) => maskHmac(v, key);
    case 'tokenize':
      return (v) => tokenizeValue(v, key);
    case 'email':
      return (v) => {
        if (!splitEmail(v)) counts.notEmail++;
        return maskEmail(v, key);
      };
    case 'pattern': {
      const pattern = rule.pattern;
      if (!pattern) throw new Error('maskBatch: a pattern rule has no pattern');
      return (v) => {
        if (hasTooFewDigits(v, pattern)) counts.tooFewDigits++;
        return maskPattern(v, pattern);
      };
    }
    case 'redact':
      return () => null;
  }
}

/** The reader hands dictionaries back as Utf8; a redacted dictionary column is written as Utf8 too. */
function plainTypeOf(type: arrow.DataType): arrow.DataType {
  return arrow.DataType.isDictionary(type) ? new arrow.Utf8() : type;
}

function allNulls(type: arrow.DataType, length: number): arrow.Data {
  const b = arrow.makeBuilder({ type, nullValues: [null] });
  for (let i = 0; i < length; i++) b.append(null);
  return b.finish().flush();
}

function validityBytes(length: number): Uint8Array {
  return new Uint8Array(((length + 63) & ~63) >> 3);
}

/** Builds a Utf8 column straight into its offsets, bytes and validity buffers. */
class Utf8Writer {
  private readonly offsets: Int32Array;
  private readonly validity: Uint8Array;
  private bytes: Buffer;
  private row = 0;
  private used = 0;
  private nulls = 0;

  constructor(private readonly length: number) {
    this.offsets = new Int32Array(length + 1);
    this.validity = validityBytes(length);
    this.bytes = Buffer.allocUnsafe(Math.max(64, length * 24));
  }

  append(value: string | null): void {
    if (value === null) {
      this.nulls++;
    } else {
      // A UTF-16 code unit takes at most 3 UTF-8 bytes.
      if (this.used + value.length * 3 > this.bytes.length) {
        const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + value.length * 3));
        this.bytes.copy(grown, 0, 0, this.used);
        this.bytes = grown;
      }
      this.used += this.bytes.write(value, this.used, 'utf8');
      this.validity[this.row >> 3]! |= 1 << (this.row & 7);
    }
    this.offsets[++this.row] = this.used;
  }

  finish(): arrow.Data<arrow.Utf8> {
    if (this.row !== this.length) throw new Error(`Utf8Writer: ${this.row} of ${this.length} rows appended`);
    const data = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.used).slice();
    return arrow.makeData({
      type: new arrow.Utf8(),
      length: this.length,
      nullCount: this.nulls,
      nullBitmap: this.nulls ? this.validity : null,
      valueOffsets: this.offsets,
      data,
    });
  }
}
