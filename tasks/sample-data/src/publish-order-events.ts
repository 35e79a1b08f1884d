import { Kafka, logLevel, type Message } from 'kafkajs';
import { generateProducts } from './generate-products';
import { generateOrderEvents, type OrderEvent } from './order-events';
import type { PublishEventsConfig } from './publish-events-config';
import { computeSampleCounts } from './sample-counts';
import type { SampleDataLogger } from './sample-data-logger';

/** What a publish run sent. */
export interface PublishEventsResult {
  readonly topic: string;
  /** Partitions of the topic as the broker reports them. */
  readonly partitions: number;
  readonly from: string;
  readonly to: string;
  readonly events: number;
  readonly created: number;
  readonly corrected: number;
  /** Created events whose event time is on a day before their delivery day (included in created). */
  readonly late: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** What publishOrderEvents runs with besides its config. */
export interface PublishEventsContext {
  readonly log: SampleDataLogger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progressIntervalMs?: number;
}

/** The Kafka record of an event: keyed by transaction id, JSON value, event_type header; stamped with its publish time for `recordTime: day`. */
export function orderEventToMessage(event: OrderEvent, recordTime: PublishEventsConfig['recordTime']): Message {
  return {
    key: event.key,
    value: JSON.stringify(event.value),
    headers: { event_type: event.value.event_type },
    ...(recordTime === 'day' ? { timestamp: String(event.publishMs) } : {}),
  };
}

/** Records per send: about 20 sends a second at the given rate, at most 1,000. */
export function sendSize(rate: number): number {
  return rate > 0 ? Math.max(1, Math.min(1_000, Math.ceil(rate / 20))) : 1_000;
}

/**
 * Publishes the sample order events of config.ds..config.to to config.topic (creating it with
 * config.partitions partitions when missing), at config.rate events per second: each send waits
 * until the events sent so far are due. Waits for every in-sync replica (acks -1) on each send, so
 * what the result counts is on the broker.
 */
export async function publishOrderEvents(config: PublishEventsConfig, ctx: PublishEventsContext): Promise<PublishEventsResult> {
  const now = ctx.now ?? Date.now;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const kafka = new Kafka({ clientId: 'salesflow-sample-data', brokers: [...config.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    const created = await admin.createTopics({ topics: [{ topic: config.topic, numPartitions: config.partitions }], waitForLeaders: true });
    partitions = (await admin.fetchTopicMetadata({ topics: [config.topic] })).topics[0]?.partitions.length ?? 0;
    if (!created && partitions !== config.partitions) ctx.log.info('topic exists with another partition count; publishing to it as it is', { topic: config.topic, partitions, asked: config.partitions });
  } finally {
    await admin.disconnect();
  }

  const counts = computeSampleCounts(config.scale);
  const products = [...generateProducts({ seed: config.seed, count: counts.products })];
  const events = generateOrderEvents({ seed: config.seed, baseCount: counts.transactions, customerCount: counts.customers, products, locationCount: counts.locations, fromEpochMs: config.fromEpochMs, toEpochMs: config.toEpochMs });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const size = sendSize(config.rate);
  const started = now();
  let lastReport = started;
  const tally = { events: 0, created: 0, corrected: 0, late: 0 };
  try {
    let batch: Message[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await producer.send({ topic: config.topic, messages: batch, acks: -1 });
      tally.events += batch.length;
      batch = [];
      if (config.rate > 0) {
        const due = started + (tally.events / config.rate) * 1000 - now();
        if (due > 0) await sleep(due);
      }
      if (now() - lastReport >= (ctx.progressIntervalMs ?? 10_000)) {
        lastReport = now();
        ctx.log.info(`${config.topic}: ${tally.events} events`, { events: tally.events, eventsPerSecond: Math.round(tally.events / ((lastReport - started) / 1000)) });
      }
    };
    for (const event of events) {
      if (event.value.event_type === 'order_corrected') tally.corrected++;
      else tally.created++;
      if (event.late) tally.late++;
      batch.push(orderEventToMessage(event, config.recordTime));
      if (batch.length >= size) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  const seconds = (now() - started) / 1000;
  return Object.freeze({
    topic: config.topic,
    partitions,
    from: config.ds,
    to: config.to,
    ...tally,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(tally.events / seconds) : tally.events,
  });
}
