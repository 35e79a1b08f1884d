import yargs from 'yargs';
import { readConfig, warehouseTablesOf, type WarehouseDialect } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { schemaStatements } from './warehouse-ddl';

/**
 * Prints the warehouse DDL a config gives, for a DBA to review (the loader runs the same
 * statements, plus any migration, before each load):
 *   node tasks/load-warehouse/dist/ddl-main.js --config config/pipeline_config.yaml [--dialect mysql]
 */
async function main(): Promise<void> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('npm run warehouse:ddl --')
    .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
    .option('dialect', { choices: ['postgres', 'mysql', 'sqlite'] as const, describe: "Warehouse dialect (default: the config's warehouse.client)" })
    .strict()
    .version(false)
    .parseAsync();
  const { config } = readConfig(args.config);
  const dialect: WarehouseDialect = args.dialect ?? config.warehouse.client;
  process.stdout.write(`-- Warehouse DDL of ${args.config} for ${dialect}, generated from star_schema and the standardize types.\n\n`);
  process.stdout.write(schemaStatements(warehouseTablesOf(config), dialect).map((s) => `${s};\n`).join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`warehouse:ddl: ${err instanceof PipelineError ? err.describe() : String(err)}\n`);
  process.exitCode = err instanceof PipelineError ? err.exitCode : ExitCode.failed;
});
