import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Type, types, type Schema } from 'avsc';
import type { KafkaEntityConfig } from '@salesflow/config';
import { UsageError } from '@salesflow/errors';

/** A record value as an object of fields, or why it cannot be read. */
export type DecodedValue = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly reason: string };

/** Decodes one record value (pure, given the entity's settings). */
export type ValueDecoder = (value: Buffer) => DecodedValue;

function decodeJson(buf: Buffer): DecodedValue {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `value is not JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'value is not a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

/** An unscaled two's-complement big-endian integer and a scale as exact decimal text: 0x3039, 2 -> "123.45". */
export function decimalText(bytes: Buffer, scale: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length && bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The bytes of decimal text at a scale (two's complement, shortest), for writing test and sample records. */
export function decimalBytes(text: string, scale: number): Buffer {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || (m[3] ?? '').length > scale) throw new Error(`${text} is not a decimal of scale ${scale}`);
  let n = BigInt(m[2]! + (m[3] ?? '').padEnd(scale, '0'));
  if (m[1]) n = -n;
  const out: number[] = [];
  for (;;) {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
    if ((n === 0n && !(out[0]! & 0x80)) || (n === -1n && out[0]! & 0x80)) break;
  }
  return Buffer.from(out);
}

/** Avro decimal (bytes or fixed): exact text, never a double. */
class DecimalAsText extends types.LogicalType {
  private readonly scale: number;
  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    this.scale = (schema as { scale?: number }).scale ?? 0;
  }
  protected override _fromValue(v: Buffer): string {
    return decimalText(v, this.scale);
  }
  protected override _toValue(v: string): Buffer | undefined {
    if (typeof v !== 'string') return undefined;
    const b = decimalBytes(v, this.scale);
    const size = (this.underlyingType as unknown as { size?: number }).size;
    if (size === undefined) return b;
    // A fixed of `size` bytes: sign-extended.
    return Buffer.concat([Buffer.alloc(Math.max(0, size - b.length), b[0]! & 0x80 ? 0xff : 0), b]);
  }
  protected override _resolve(type: unknown): ((v: unknown) => unknown) | undefined {
    return type instanceof DecimalAsText && type.scale === this.scale ? (v) => v : undefined;
  }
}

/** Avro timestamp-millis / -micros: ISO-8601 UTC text (microseconds kept), which the event time and standardize read. */
abstract class TimestampAsText extends types.LogicalType {
  protected abstract readonly unitsPerMs: number;
  protected override _fromValue(v: number): string {
    const ms = Math.floor(v / this.unitsPerMs);
    const iso = new Date(ms).toISOString();
    if (this.unitsPerMs === 1) return iso;
    const micros = String(((v % this.unitsPerMs) + this.unitsPerMs) % this.unitsPerMs).padStart(3, '0');
    return `${iso.slice(0, -1)}${micros}Z`;
  }
  protected override _toValue(v: string): number | undefined {
    if (typeof v !== 'string') return undefined;
    const m = /\.\d{3}(\d{3})Z$/.exec(v);
    return Date.parse(v) * this.unitsPerMs + (this.unitsPerMs > 1 && m ? Number(m[1]) : 0);
  }
}
class TimestampMillisAsText extends TimestampAsText {
  protected readonly unitsPerMs = 1;
}
class TimestampMicrosAsText extends TimestampAsText {
  protected readonly unitsPerMs = 1000;
}

/** Avro date (days since the epoch): YYYY-MM-DD. */
class DateAsText extends types.LogicalType {
  protected override _fromValue(v: number): string {
    return new Date(v * 86_400_000).toISOString().slice(0, 10);
  }
  protected override _toValue(v: string): number | undefined {
    return typeof v === 'string' ? Date.parse(`${v}T00:00:00Z`) / 86_400_000 : undefined;
  }
}

/** How logical types are decoded: exact text for decimals and times, so no value becomes a double on the way. */
export const AVRO_LOGICAL_TYPES = { decimal: DecimalAsText, 'timestamp-millis': TimestampMillisAsText, 'timestamp-micros': TimestampMicrosAsText, date: DateAsText };

/** The Avro type of an entity's schema file (a record), or a usage error naming the config key and the file. */
export function avroTypeOf(entity: Pick<KafkaEntityConfig, 'name' | 'avro' | 'event_time_field'>, key: string): Type {
  const file = path.resolve(entity.avro!.schema_file);
  let type: Type;
  try {
    type = Type.forSchema(JSON.parse(readFileSync(file, 'utf8')) as Schema, { logicalTypes: AVRO_LOGICAL_TYPES, wrapUnions: 'auto' });
  } catch (e) {
    throw new UsageError(`${key}.avro.schema_file: ${file} is not an Avro schema: ${(e as Error).message}`, { fix: 'give the path of the .avsc file the producers write with (absolute, or relative to the working directory)' });
  }
  const fields = (type as unknown as { fields?: { name: string }[] }).fields;
  if (type.typeName !== 'record' || !fields) throw new UsageError(`${key}.avro.schema_file: ${file} is a ${type.typeName}, not a record`, { fix: 'a record value needs a record schema' });
  if (!fields.some((f) => f.name === entity.event_time_field)) {
    throw new UsageError(`${key}.event_time_field: "${entity.event_time_field}" is not a field of ${file} (${fields.map((f) => f.name).join(', ')})`, { fix: 'name a field of the record schema' });
  }
  return type;
}

/**
 * The value decoder of an entity: JSON, or Avro binary with the entity's schema file (the writer
 * schema), framed as Confluent's wire format (magic byte 0 and a 4-byte schema id before the
 * body) or raw. A value the schema does not read (truncated, trailing bytes, a long beyond 2^53)
 * is refused with the reason.
 */
export function valueDecoderOf(entity: KafkaEntityConfig, key: string): ValueDecoder {
  if (entity.value_format === 'json') return decodeJson;
  const type = avroTypeOf(entity, key);
  const confluent = entity.avro!.framing === 'confluent';
  const name = path.basename(entity.avro!.schema_file);
  return (buf) => {
    if (confluent && (buf.length < 5 || buf[0] !== 0)) return { ok: false, reason: `value is not in the Confluent wire format (magic byte 0, then a 4-byte schema id): it starts with 0x${buf.subarray(0, 5).toString('hex')}` };
    try {
      return { ok: true, value: type.fromBuffer(confluent ? buf.subarray(5) : buf) as Record<string, unknown> };
    } catch (e) {
      return { ok: false, reason: `value is not Avro of ${name}: ${(e as Error).message}` };
    }
  };
}
