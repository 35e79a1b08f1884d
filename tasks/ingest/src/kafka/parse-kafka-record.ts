import type { KafkaMessage } from 'kafkajs';
import type { KafkaEntityConfig } from '@salesflow/config';

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

function cell(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Parses one record's JSON value (pure): its event time, its headers as a JSON object of text,
 * and the value fields named in `columns` as text (objects and arrays as JSON), or the whole
 * value as JSON text when no columns are declared.
 */
export function parseKafkaRecord(m: Pick<KafkaMessage, 'value' | 'headers'>, entity: Pick<KafkaEntityConfig, 'event_time_field' | 'max_message_bytes'>, columns: readonly string[] | undefined): ParsedRecord {
  if (!m.value) return { ok: false, reason: 'value is empty (a tombstone or a record without a value)' };
  if (m.value.length > entity.max_message_bytes) return { ok: false, reason: `value is ${m.value.length} bytes, over max_message_bytes (${entity.max_message_bytes})` };
  let value: unknown;
  try {
    value = JSON.parse(m.value.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `value is not JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'value is not a JSON object' };
  const record = value as Record<string, unknown>;
  const raw = record[entity.event_time_field];
  if (raw === undefined || raw === null) return { ok: false, reason: `event time field "${entity.event_time_field}" is missing` };
  const eventTime = parseEventTime(raw);
  if (eventTime === undefined) return { ok: false, reason: `event time field "${entity.event_time_field}" is not ISO-8601 text or epoch milliseconds: ${JSON.stringify(raw).slice(0, 80)}` };
  const entries = Object.entries(m.headers ?? {});
  const headers = entries.length ? JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : v === undefined ? null : v.toString()]))) : null;
  const values = columns ? columns.map((c) => cell(record[c])) : [JSON.stringify(record)];
  return { ok: true, eventTime, headers, values };
}
