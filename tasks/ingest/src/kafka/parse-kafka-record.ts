import type { KafkaMessage } from 'kafkajs';
import type { KafkaEntityConfig } from '@salesflow/config';
import type { ValueDecoder } from './value-decoders';

/** A record's value as columns, or why it is quarantined. */
export type ParsedRecord =
  | { readonly ok: true; readonly eventTime: number; readonly headers: string | null; readonly values: readonly (string | null)[] }
  | { readonly ok: false; readonly reason: string };

/** Epoch milliseconds of an event time given as ISO-8601 text or epoch milliseconds; undefined when it is neither. */
export function parseEventTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** JSON text of a decoded value: bytes (Avro bytes and fixed) as base64. */
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data) ? Buffer.from((x as { data: number[] }).data).toString('base64') : x));

function cell(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return json(v);
}

/**
 * Parses one record (pure): its value through the entity's decoder (JSON or Avro), its event
 * time, its headers as a JSON object of text, and the value fields named in `columns` as text
 * (objects and arrays as JSON, bytes as base64), or the whole value as JSON text when no columns
 * are declared.
 */
export function parseKafkaRecord(m: Pick<KafkaMessage, 'value' | 'headers'>, entity: Pick<KafkaEntityConfig, 'event_time_field' | 'max_message_bytes'>, columns: readonly string[] | undefined, decode: ValueDecoder): ParsedRecord {
  if (!m.value) return { ok: false, reason: 'value is empty (a tombstone or a record without a value)' };
  if (m.value.length > entity.max_message_bytes) return { ok: false, reason: `value is ${m.value.length} bytes, over max_message_bytes (${entity.max_message_bytes})` };
  const decoded = decode(m.value);
  if (!decoded.ok) return decoded;
  const record = decoded.value;
  const raw = record[entity.event_time_field];
  if (raw === undefined || raw === null) return { ok: false, reason: `event time field "${entity.event_time_field}" is missing` };
  const eventTime = parseEventTime(raw);
  if (eventTime === undefined) return { ok: false, reason: `event time field "${entity.event_time_field}" is not ISO-8601 text or epoch milliseconds: ${json(raw).slice(0, 80)}` };
  const entries = Object.entries(m.headers ?? {});
  const headers = entries.length ? JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : v === undefined ? null : v.toString()]))) : null;
  const values = columns ? columns.map((c) => cell(record[c])) : [json(record)];
  return { ok: true, eventTime, headers, values };
}

/** What quarantine keeps of a bad value: text for JSON, base64 for binary formats; never more than `chars` characters. */
export function quarantinedValue(value: Buffer | null, format: KafkaEntityConfig['value_format'], chars: number): string | null {
  if (!value) return null;
  return format === 'json' ? value.toString('utf8').slice(0, chars) : value.subarray(0, Math.floor((chars * 3) / 4)).toString('base64');
}
