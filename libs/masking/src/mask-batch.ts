import * as arrow from 'apache-arrow';
import { assembleBatch, constantUtf8Data } from '@salesflow/batches';
import { maskDigest } from './mask-digest';
import { maskEmail, splitEmail } from './mask-email';
import { generalizeValue } from './mask-generalize';
import { maskHmac } from './mask-hmac';
import { maskKeepLast } from './mask-keep-last';
import type { MaskKey } from './mask-key';
import { hasTooFewDigits, maskPattern } from './mask-pattern';
import { tokenizeValue } from './mask-tokenize';
import { MASK_KEY_ID_COLUMN, type MaskRule, type MaskRules } from './resolve-mask-rules';
import type { TokenSink } from './token-vault';

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
  /** Method generalize: values that could not be read as a date, zip or number, and became null. */
  unreadable?: number;
}

/** Per masked column, what masking did; maskBatchColumns adds to it, so one object can total a whole partition. */
export type MaskCounts = Record<string, ColumnMaskCounts>;

/** An empty counter object for maskBatchColumns. */
export function createMaskCounts(): MaskCounts {
  return {};
}

/** The keys maskBatchColumns uses: the HMAC key (hmac, email) and the tokenize key (tokenize). */
export interface MaskingKeys {
  readonly hmac: MaskKey;
  /** mask.tokenize_key; required when a rule tokenizes. */
  readonly tokenize?: MaskKey;
}

export interface MaskBatchOptions {
  /** Totals per column, added to. */
  readonly counts?: MaskCounts;
  /** Receives (column, token, original) for every tokenized value; required when a rule tokenizes. */
  readonly tokens?: TokenSink;
  /** Append `_mask_key_id` (default true). At ingest, record the key id in the manifest instead. */
  readonly keyIdColumn?: boolean;
  /** Entity of the batch: with the column it makes each rule's default domain "<entity>.<column>". */
  readonly entity?: string;
  /** The column's name as the domain names it (ingest gives standardize's snake_casing of raw names). */
  readonly nameOf?: (column: string) => string;
}

/**
 * The domain a rule's keyed hash mixes in: its `link_as`, else "<entity>.<column>" (column alone
 * without an entity). Equal domains give equal outputs for equal values, nothing else does.
 */
export function maskDomainOf(rule: MaskRule, column: string, entity?: string): string {
  if (rule.link_as) return rule.link_as;
  return entity ? `${entity}.${column}` : column;
}

/**
 * The schema maskBatchColumns produces: same fields in the same order, masked columns turned
 * into strings (redacted ones keep their type and become nullable), then `_mask_key_id`.
 */
export function maskedSchemaOf(schema: arrow.Schema, rules: MaskRules, opts: Pick<MaskBatchOptions, 'keyIdColumn'> = {}): arrow.Schema {
  const fields = schema.fields.map((f) => {
    const rule = rules[f.name];
    if (!rule) return f;
    if (rule.method === 'redact') return new arrow.Field(f.name, plainTypeOf(f.type), true, f.metadata);
    // generalize turns unreadable values into null, so its column may hold nulls.
    return new arrow.Field(f.name, new arrow.Utf8(), f.nullable || rule.method === 'generalize', f.metadata);
  });
  if (opts.keyIdColumn === false) return new arrow.Schema(fields, schema.metadata);
  return new arrow.Schema([...fields, new arrow.Field(MASK_KEY_ID_COLUMN, new arrow.Utf8(), false)], schema.metadata);
}

/**
 * Masks one record batch: rebuilds only the columns that have a rule (by exact name: resolve
 * globs first with resolveMaskRules) and reuses every other column's Arrow data as it is, keeps
 * the column order, and appends `_mask_key_id` (the HMAC key's version) to every row. Values
 * are masked as their text (`String(value)` for numbers and bigints; generalize reads dates and
 * numbers as such); nulls stay null.
 *
 * This is the one entry point for masking anywhere in the pipeline: the mask step, and ingest
 * for rules marked `at_ingest`. Pure apart from adding to `opts.counts` and handing tokens to
 * `opts.tokens`. Throws when a rule names a column the batch does not have, or tokenizes
 * without a token sink.
 */
export function maskBatchColumns(batch: arrow.RecordBatch, rules: MaskRules, keys: MaskingKeys, opts: MaskBatchOptions = {}): arrow.RecordBatch {
  const names = batch.schema.fields.map((f) => f.name);
  const missing = Object.keys(rules).filter((c) => !names.includes(c));
  if (missing.length) throw new Error(`maskBatchColumns: the batch has no column(s) ${missing.join(', ')} named by the masking rules`);
  const withKeyId = opts.keyIdColumn !== false;
  if (withKeyId && names.includes(MASK_KEY_ID_COLUMN)) throw new Error(`maskBatchColumns: the batch already has a ${MASK_KEY_ID_COLUMN} column`);
  if (!opts.tokens && Object.values(rules).some((r) => r.method === 'tokenize')) {
    throw new Error('maskBatchColumns: a rule tokenizes but no token sink (vault) was given; the originals would be lost');
  }
  if (!keys.tokenize && Object.values(rules).some((r) => r.method === 'tokenize')) {
    throw new Error('maskBatchColumns: a rule tokenizes but no tokenize key was given (mask.tokenize_key)');
  }

  const schema = maskedSchemaOf(batch.schema, rules, opts);
  const length = batch.numRows;
  const counts = opts.counts;
  const children = batch.schema.fields.map((f, i): arrow.Data => {
    const data = batch.data.children[i]!;
    const rule = rules[f.name];
    if (!rule) return data;
    const domain = maskDomainOf(rule, opts.nameOf ? opts.nameOf(f.name) : f.name, opts.entity);
    return maskColumn(f.name, domain, data, rule, keys, counts ? (counts[f.name] ??= emptyCounts()) : emptyCounts(), opts.tokens);
  });
  if (withKeyId) children.push(constantUtf8Data(keys.hmac.keyId, length));
  return assembleBatch(schema, children, length);
}

/** maskBatchColumns with a single key, as the mask step called it before key rings. */
export function maskBatch(batch: arrow.RecordBatch, rules: MaskRules, key: MaskKey, counts?: MaskCounts, tokens?: TokenSink, tokenizeKey?: MaskKey): arrow.RecordBatch {
  return maskBatchColumns(batch, rules, { hmac: key, tokenize: tokenizeKey }, { counts, tokens });
}

/** Values looked at before deciding whether a column repeats enough to keep its memo. */
const MEMO_PROBE = 2048;
const MEMO_MIN_HIT_RATE = 0.2;

function emptyCounts(): ColumnMaskCounts {
  return { masked: 0, nulls: 0, notEmail: 0, tooFewDigits: 0 };
}

function maskColumn(column: string, domain: string, data: arrow.Data, rule: MaskRule, keys: MaskingKeys, counts: ColumnMaskCounts, tokens?: TokenSink): arrow.Data {
  const nulls = data.nullCount;
  counts.nulls += nulls;
  counts.masked += data.length - nulls;
  if (rule.method === 'redact') return allNulls(plainTypeOf(data.type), data.length);
  const mask = valueMaskerOf(column, domain, rule, keys, counts, tokens);
  // Names and cities repeat a lot within a batch: a memo saves most of their HMACs. It lives only
  // as long as the batch, so no unmasked value outlives it, and it is dropped early for columns
  // of unique values (emails, addresses), where it would only cost time and garbage.
  // Cheap or value-dependent methods skip the memo.
  let memo = rule.method === 'pattern' || rule.method === 'keep_last' || rule.method === 'generalize' ? undefined : new Map<string, string | null>();
  let lookups = 0;
  let hits = 0;
  const vector = arrow.makeVector(data);
  const isDateLike = arrow.DataType.isDate(data.type) || arrow.DataType.isTimestamp(data.type);
  const out = new Utf8Writer(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = vector.get(i);
    if (v === null || v === undefined) {
      out.append(null);
      continue;
    }
    if (rule.method === 'generalize') {
      // Dates and timestamps arrive as epoch ms numbers and must stay numbers to be read as dates.
      const g = generalizeValue(isDateLike ? Number(v) : v, rule.to ?? 'year', rule.bucket_size);
      if (g === null) counts.unreadable = (counts.unreadable ?? 0) + 1;
      out.append(g);
      continue;
    }
    const text = typeof v === 'string' ? v : String(v);
    // A blank holds no personal data, and masking it would hide that it is blank (raw text at
    // ingest keeps blanks as "", which standardize turns into null or rejects when required).
    if (text.trim() === '') {
      out.append(text);
      continue;
    }
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

function valueMaskerOf(column: string, domain: string, rule: MaskRule, keys: MaskingKeys, counts: ColumnMaskCounts, tokens?: TokenSink): (text: string) => string | null {
  const key = keys.hmac;
  switch (rule.method) {
    case 'hmac':
      return (v) => maskHmac(v, key, domain);
    case 'sha256':
    case 'md5': {
      const algorithm = rule.method;
      return (v) => maskDigest(v, algorithm);
    }
    case 'tokenize':
      return (v) => {
        const token = tokenizeValue(v, keys.tokenize!, domain)!;
        tokens!.add(column, token, v);
        return token;
      };
    case 'email':
      return (v) => {
        if (!splitEmail(v)) counts.notEmail++;
        return maskEmail(v, key, domain);
      };
    case 'pattern': {
      const pattern = rule.pattern;
      if (!pattern) throw new Error(`maskBatchColumns: the pattern rule of ${column} has no pattern`);
      return (v) => {
        if (hasTooFewDigits(v, pattern)) counts.tooFewDigits++;
        return maskPattern(v, pattern);
      };
    }
    case 'keep_last': {
      const keep = rule.keep ?? 4;
      return (v) => maskKeepLast(v, keep);
    }
    case 'generalize':
      return (v) => generalizeValue(v, rule.to ?? 'year', rule.bucket_size);
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
