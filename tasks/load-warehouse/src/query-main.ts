import yargs from 'yargs';
import { readConfig, warehouseTablesOf } from '@salesflow/config';
import { PipelineError } from '@salesflow/errors';
import { openWarehouse } from './open-warehouse';
import { runAnalyticalQueries } from './run-analytical-queries';

/**
 * Prints the answers of sql/analytical_queries.sql from the configured warehouse as tables:
 *   node tasks/load-warehouse/dist/query-main.js --config config/demo_config.yaml [--json]
 */
async function main(): Promise<void> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('node tasks/load-warehouse/dist/query-main.js')
    .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config' })
    .option('json', { type: 'boolean', default: false, describe: 'One JSON object per query instead of tables' })
    .strict()
    .version(false)
    .parseAsync();
  const { config } = readConfig(args.config);
  const db = openWarehouse(config.warehouse);
  try {
    for (const { name, rows, skipped } of await runAnalyticalQueries(db, { tables: warehouseTablesOf(config) })) {
      if (args.json) {
        process.stdout.write(JSON.stringify({ name, rows, ...(skipped ? { skipped } : {}) }) + '\n');
        continue;
      }
      if (skipped) {
        process.stdout.write(`\n${name}: not run, the star schema of this config has no ${skipped.replace(/^needs /, '')}\n`);
        continue;
      }
      process.stdout.write(`\n${name} (${rows.length} rows)\n`);
      process.stdout.write(formatTable(rows) + '\n');
    }
  } finally {
    await db.destroy();
  }
}

/** A plain text table: numbers right-aligned, at most 20 rows. */
function formatTable(rows: readonly Record<string, unknown>[]): string {
  if (!rows.length) return '  (no rows)';
  const shown = rows.slice(0, 20);
  const cols = Object.keys(shown[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const width = cols.map((c) => Math.max(c.length, ...shown.map((r) => cell(r[c]).length)));
  const numeric = cols.map((c) => shown.every((r) => r[c] === null || typeof r[c] === 'number'));
  const line = (vals: string[]) => '  ' + vals.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join('  ');
  const out = [line(cols), line(width.map((w) => '-'.repeat(w))), ...shown.map((r) => line(cols.map((c) => cell(r[c]))))];
  if (rows.length > shown.length) out.push(`  ... ${rows.length - shown.length} more`);
  return out.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`query: ${err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof PipelineError ? err.exitCode : 1;
});
