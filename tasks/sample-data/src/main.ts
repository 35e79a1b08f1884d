#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { generateSampleData } from './generate-sample-data';
import { validatePublishEventsConfig } from './publish-events-config';
import { publishOrderEvents } from './publish-order-events';
import { SAMPLE_DATA_DEFAULTS, validateSampleDataConfig } from './sample-data-config';
import { createJsonLinesLogger } from './sample-data-logger';
import { SampleDataUsageError } from './sample-data-usage-error';

const STEP = 'sample-data';

/** Parses the command line, runs the generator, prints the summary line and sets the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const started = Date.now();
  try {
    const args = yargs(argv)
      .scriptName(STEP)
      .usage(
        '$0 --out <landing folder> --ds YYYY-MM-DD [--seed 42] [--scale 1] [--days 365 | --daily]\n$0 --kafka-brokers host:port --topic T --ds YYYY-MM-DD [--to YYYY-MM-DD] [--rate 1000] [--partitions 3] [--record-time publish|day]\n\nWrites deterministic reference sales data (customers.csv, products.json, locations.ndjson, sales_transactions.csv): a year of history by default, or with --daily the nightly delivery of ds. With --kafka-brokers it publishes the daily deliveries of ds..to as JSON order events to a topic instead (docs/sample-data.md).',
      )
      .options({
        out: { type: 'string', describe: 'Landing folder to write into; created if missing, same-named files replaced' },
        ds: { type: 'string', demandOption: true, describe: 'Partition date YYYY-MM-DD; transactions fall in the --days days before it (UTC)' },
        seed: { type: 'number', default: SAMPLE_DATA_DEFAULTS.seed, describe: 'PRNG seed; same seed, ds, scale and days give byte-identical files' },
        scale: { type: 'number', default: SAMPLE_DATA_DEFAULTS.scale, describe: 'Transactions x scale (10,000 at 1), customers x sqrt(scale); 0.1 to 9999' },
        days: { type: 'number', describe: `History delivery: days before ds that transactions are spread over (default ${SAMPLE_DATA_DEFAULTS.days})` },
        daily: { type: 'boolean', describe: 'Nightly delivery: the sales of ds (ids TXN<ds>-n), late ones and corrections of earlier days, customers as of ds' },
        'kafka-brokers': { type: 'string', describe: 'Publish order events to these brokers (host:port[,host:port]) instead of writing files' },
        topic: { type: 'string', describe: 'Topic for the order events; created when missing' },
        to: { type: 'string', describe: 'Last delivery day to publish, YYYY-MM-DD (default: ds)' },
        rate: { type: 'number', describe: 'Events per second; 0: as fast as the broker takes them (default 1000)' },
        partitions: { type: 'number', describe: 'Partitions of the topic when it is created (default 3)' },
        'record-time': { type: 'string', describe: 'Record timestamps: publish (when sent, a live stream) or day (the event\'s time inside its delivery day, for backfills); default publish' },
      })
      .strict()
      .version(false)
      .help()
      .fail((msg, err) => {
        throw err ?? new SampleDataUsageError(msg);
      })
      .parseSync();

    if (args.kafkaBrokers !== undefined) {
      const extra = (['out', 'days', 'daily'] as const).filter((k) => args[k] !== undefined);
      if (extra.length) throw new SampleDataUsageError(`${extra.map((k) => `--${k}`).join(', ')}: not with --kafka-brokers, which publishes the daily deliveries of --ds..--to`);
      const { config, errors } = validatePublishEventsConfig(args);
      if (config === undefined) throw new SampleDataUsageError(errors.join('; '));
      const log = createJsonLinesLogger({ step: STEP, ds: config.ds }, (line) => process.stderr.write(line + '\n'));
      const result = await publishOrderEvents(config, { log });
      log.info('order events published', { ...result });
      process.stdout.write(JSON.stringify({ step: STEP, status: 'ok', ...result }) + '\n');
      return 0;
    }
    const kafkaOnly = (['topic', 'to', 'rate', 'partitions', 'recordTime'] as const).filter((k) => args[k] !== undefined);
    if (kafkaOnly.length) throw new SampleDataUsageError(`${kafkaOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}: only with --kafka-brokers`);
    const { config, errors } = validateSampleDataConfig(args);
    if (config === undefined) throw new SampleDataUsageError(errors.join('; '));

    const log = createJsonLinesLogger({ step: STEP, ds: config.ds }, (line) => process.stderr.write(line + '\n'));
    const result = await generateSampleData(config, { log });
    const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    log.info('sample data written', { seconds: (Date.now() - started) / 1000, maxRssMiB });
    process.stdout.write(JSON.stringify({ step: STEP, status: 'ok', ...result, seconds: (Date.now() - started) / 1000, maxRssMiB }) + '\n');
    return 0;
  } catch (error) {
    const exitCode = error instanceof SampleDataUsageError ? error.exitCode : 1;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SampleDataUsageError) {
      process.stderr.write(`${STEP}: ${message.replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
    } else {
      process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level: 'error', msg: message, step: STEP, stack: error instanceof Error ? error.stack : undefined }) + '\n');
    }
    process.stdout.write(JSON.stringify({ step: STEP, status: 'failed', exitCode, error: message }) + '\n');
    return exitCode;
  }
}

main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
