import { parseDs } from './parse-ds';
import { MAX_SCALE, MIN_SCALE } from './sample-counts';
import { SAMPLE_DATA_DEFAULTS } from './sample-data-config';

/** A validated run of the order events publisher (`--kafka-brokers`). */
export interface PublishEventsConfig {
  /** Bootstrap brokers as host:port. */
  readonly brokers: readonly string[];
  /** Topic the events go to; created with `partitions` partitions when missing. */
  readonly topic: string;
  /** Partitions of the topic when this run creates it. */
  readonly partitions: number;
  /** Events per second; 0 publishes as fast as the broker takes them. */
  readonly rate: number;
  /** First delivery day, YYYY-MM-DD, and its UTC midnight in ms. */
  readonly ds: string;
  readonly fromEpochMs: number;
  /** Last delivery day (included), YYYY-MM-DD, and its UTC midnight in ms. */
  readonly to: string;
  readonly toEpochMs: number;
  readonly seed: number;
  readonly scale: number;
  /**
   * Record timestamps: 'publish' lets the producer stamp the time it sends (a live stream);
   * 'day' stamps each record with its time inside its delivery day, so an ingest of that ds
   * (a backfill) reads exactly that day's events.
   */
  readonly recordTime: 'publish' | 'day';
}

/** Arguments as the command line gives them, before validation. */
export interface RawPublishEventsArgs {
  readonly kafkaBrokers?: unknown;
  readonly topic?: unknown;
  readonly partitions?: unknown;
  readonly rate?: unknown;
  readonly ds?: unknown;
  readonly to?: unknown;
  readonly seed?: unknown;
  readonly scale?: unknown;
  readonly recordTime?: unknown;
}

/** Defaults of the publisher's optional arguments. */
export const PUBLISH_EVENTS_DEFAULTS = Object.freeze({ partitions: 3, rate: 1_000, recordTime: 'publish' as const });

/** A day range longer than this is refused: a typo in --to, not a backfill. */
export const MAX_PUBLISH_DAYS = 366;

const MS_PER_DAY = 86_400_000;

/** Checks every publisher argument and reports all problems at once, each as "field: message"; pure. */
export function validatePublishEventsConfig(raw: RawPublishEventsArgs): { readonly config?: PublishEventsConfig; readonly errors: readonly string[] } {
  const errors: string[] = [];
  const brokers = String(raw.kafkaBrokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) errors.push('kafka-brokers: give the brokers as host:port[,host:port]');
  for (const b of brokers) if (!/^[^:\s]+:\d+$/.test(b)) errors.push(`kafka-brokers: "${b}" is not host:port`);
  const topic = raw.topic;
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) errors.push(`topic: a Kafka topic name is required (--topic; letters, digits, . _ -), got ${String(topic)}`);
  const partitions = raw.partitions ?? PUBLISH_EVENTS_DEFAULTS.partitions;
  if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > 1000) errors.push(`partitions: must be a whole number from 1 to 1000, got ${String(raw.partitions)}`);
  const rate = raw.rate ?? PUBLISH_EVENTS_DEFAULTS.rate;
  if (typeof rate !== 'number' || !(rate >= 0) || !Number.isFinite(rate)) errors.push(`rate: must be events per second, 0 or more (0: as fast as possible), got ${String(raw.rate)}`);
  const day = (field: string, v: unknown): number => {
    if (typeof v !== 'string') return Number.NaN;
    const parsed = parseDs(v);
    if (!parsed.ok) errors.push(`${field}: ${parsed.error}; expected a real date as YYYY-MM-DD, e.g. 2026-11-26`);
    return parsed.ok ? parsed.epochMs : Number.NaN;
  };
  if (typeof raw.ds !== 'string') errors.push('ds: the first delivery day is required (--ds YYYY-MM-DD)');
  const fromEpochMs = day('ds', raw.ds);
  const to = raw.to ?? raw.ds;
  const toEpochMs = day('to', to);
  if (toEpochMs < fromEpochMs) errors.push(`to: ${String(to)} is before ds ${String(raw.ds)}`);
  else if ((toEpochMs - fromEpochMs) / MS_PER_DAY >= MAX_PUBLISH_DAYS) errors.push(`to: at most ${MAX_PUBLISH_DAYS} days from ds, got ${String(to)}`);
  const seed = raw.seed ?? SAMPLE_DATA_DEFAULTS.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) errors.push(`seed: must be a non-negative integer, got ${String(raw.seed)}`);
  const scale = raw.scale ?? SAMPLE_DATA_DEFAULTS.scale;
  if (typeof scale !== 'number' || !(scale >= MIN_SCALE && scale <= MAX_SCALE)) errors.push(`scale: must be a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${String(raw.scale)}`);
  const recordTime = raw.recordTime ?? PUBLISH_EVENTS_DEFAULTS.recordTime;
  if (recordTime !== 'publish' && recordTime !== 'day') errors.push(`record-time: publish (stamped when sent) or day (stamped inside the delivery day, for backfills), got ${String(raw.recordTime)}`);
  if (errors.length > 0) return Object.freeze({ errors: Object.freeze(errors) });
  return Object.freeze({
    config: Object.freeze({
      brokers: Object.freeze(brokers),
      topic: topic as string,
      partitions: partitions as number,
      rate: rate as number,
      ds: raw.ds as string,
      fromEpochMs,
      to: to as string,
      toEpochMs,
      seed: seed as number,
      scale: scale as number,
      recordTime: recordTime as PublishEventsConfig['recordTime'],
    }),
    errors: Object.freeze([]),
  });
}
