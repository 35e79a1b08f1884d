import type { PipelineConfig } from '@salesflow/config';

/**
 * Columns a Kafka source lands for every record, before the value's fields (see
 * kafka/kafka-ingest.ts). Standardize may declare them to keep them, typed; they are never
 * looked up in the value, where a field of the same name would collide with them.
 */
export const KAFKA_RECORD_COLUMN_NAMES: readonly string[] = Object.freeze(['topic', 'partition', 'offset', 'timestamp', 'key', 'headers', 'event_time']);

/**
 * The source column names standardize expects for an entity of this source (its `from` or column
 * names); undefined when it is not standardized. For a Kafka source, the record's own columns
 * (KAFKA_RECORD_COLUMN_NAMES) are left out: they land whether declared or not.
 */
export function declaredColumnsOf(config: PipelineConfig, source: string, entity: string): string[] | undefined {
  const std = config.standardize.entities[entity];
  if (!std || !std.sources.includes(source)) return undefined;
  const names = Object.entries(std.columns).map(([name, spec]) => spec.from ?? name);
  if (config.sources.find((s) => s.name === source)?.kind !== 'kafka') return names;
  return names.filter((name) => !KAFKA_RECORD_COLUMN_NAMES.includes(name));
}
