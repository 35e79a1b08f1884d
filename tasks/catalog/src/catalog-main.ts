/**
 * `npm run catalog -- --config FILE [--out DIR]`: builds the data catalog from the lake the config
 * names. With --out, writes DIR/index.html (open it with a browser, or copy it to any static host);
 * without, writes _catalog/index.html in the lake, as the DAG's catalog step does.
 *
 * Exit 0, 2 on bad arguments or config, 1 when the lake cannot be read.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError, UsageError, exitCodeOf } from '@salesflow/errors';
import { createLogger, redactText, registerSecret, type Logger } from '@salesflow/logging';
import { openLake } from '@salesflow/step';
import { CATALOG_KEY } from './catalog-step';
import { gatherCatalog } from './gather-catalog';
import { renderCatalogHtml } from './render-catalog-html';

const USAGE = 'usage: npm run catalog -- --config FILE [--out DIR]';

/** Runs the command; returns the exit code (never calls process.exit, so tests can call it). */
export async function runCatalogCommand(argv: readonly string[], print: (text: string) => void, log: Logger = createLogger({ bindings: { step: 'catalog' } })): Promise<number> {
  try {
    let values: { config?: string; out?: string };
    try {
      ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, out: { type: 'string' } } }));
    } catch (e) {
      throw new UsageError((e as Error).message, { fix: USAGE });
    }
    if (!values.config) throw new UsageError('--config is required', { fix: USAGE });
    const { config, secrets } = readConfig(values.config);
    secrets.forEach(registerSecret);
    const lake = openLake(config.lake, log);
    const html = renderCatalogHtml(await gatherCatalog(config, lake, log));
    let where: string;
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      where = path.resolve(values.out, 'index.html');
      // Written to a temp name, then renamed: a reader never sees half a page.
      writeFileSync(where + '.tmp', html);
      renameSync(where + '.tmp', where);
    } else {
      await lake.storage.putBytes(CATALOG_KEY, html, 'text/html; charset=utf-8');
      where = lake.storage.uriOf(CATALOG_KEY);
    }
    print(`catalog written: ${where}\n`);
    return ExitCode.ok;
  } catch (err) {
    const message = redactText(err instanceof PipelineError ? err.describe() : err instanceof Error ? err.message : String(err));
    log.error(`catalog failed: ${message}`);
    return exitCodeOf(err);
  }
}

if (require.main === module) {
  void runCatalogCommand(process.argv.slice(2), (t) => process.stdout.write(t)).then((code) => (process.exitCode = code));
}
