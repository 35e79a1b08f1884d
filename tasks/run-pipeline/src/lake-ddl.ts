import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { LAKE_DDL_ENGINES, lakeTableDdl, readConfig, type LakeDdlEngine } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';

/**
 * `node tasks/run-pipeline/dist/lake-ddl.js --config FILE --engine duckdb|spark|athena
 * [--root URI] [--database NAME]`: prints the external-table DDL of the curated zone (see
 * docs/query-the-lake.md). Only the star schema and the declared types are read, so secrets the
 * config refers to need not be set: unset ones are filled with a placeholder.
 */
/** Stands in for secrets that are not set: 64 hex digits, which every secret field accepts. */
const PLACEHOLDER = '0'.repeat(64);

/** Names the config refers to without a default (${NAME}, not ${NAME:-x}): the secrets. */
function namesWithoutDefault(file: string): Set<string> {
  return new Set([...readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!));
}

let required = new Set<string>();

async function main(): Promise<number> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('node tasks/run-pipeline/dist/lake-ddl.js')
    .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
    .option('engine', { choices: LAKE_DDL_ENGINES, demandOption: true, describe: 'Engine the DDL is for' })
    .option('root', { type: 'string', describe: "Lake root the tables point at (default: the config's lake.root)" })
    .option('database', { type: 'string', describe: 'Spark/Athena database (schema) to create the tables in' })
    .strict()
    .version(false)
    .parseAsync();
  required = namesWithoutDefault(args.config);
  const { config } = readConfig(args.config, (name) => process.env[name] ?? (required.has(name) ? PLACEHOLDER : undefined));
  process.stdout.write(lakeTableDdl(config, args.engine as LakeDdlEngine, args.root ?? config.lake.root, args.database));
  return ExitCode.ok;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`lake-ddl: ${err instanceof PipelineError ? err.describe() : String(err)}\n`);
    process.exitCode = err instanceof PipelineError ? err.exitCode : ExitCode.usage;
  },
);
