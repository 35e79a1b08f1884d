import { readFileSync } from 'node:fs';
import { envWithFiles, readConfig } from '@salesflow/config';
import { ExitCode, UsageError, type ExitCodeValue } from '@salesflow/errors';
import { createLogger, registerSecret, type Logger } from '@salesflow/logging';
import { createVaultKeyRing, detokenize } from '@salesflow/masking';
import { openLake } from '@salesflow/step';
import { commandFailed, commandParser } from './command-args';

export interface DetokenizeOptions {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Where each `{"token","value"}` line goes; default stdout. */
  readonly print?: (line: string) => void;
  readonly log?: Logger;
}

/**
 * The `detokenize` command: turns tokens of one tokenized column back into their values, for an
 * authorised user who holds the vault key (VAULT_KEY, or the file named by VAULT_KEY_FILE, as the
 * config's mask.vault.key says). Prints one JSON line per token, `{"token","value"}` (value null
 * when the vault has no such token), and logs who-what counts only, never values. Exit 0 when
 * every token was found, 4 when some were not, 2 without a usable key.
 */
export async function runDetokenize(opts: DetokenizeOptions): Promise<ExitCodeValue> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const log = opts.log ?? createLogger({ bindings: { step: 'detokenize' } });
  try {
    const a = await commandParser(opts.argv, 'detokenize-main.js', '$0 --config FILE --entity NAME --column NAME (--token TOKEN ... | --tokens-file FILE)\n\nLooks tokens up in the vault and prints their original values (needs the vault key).')
      .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config (mask.vault)' })
      .option('entity', { type: 'string', demandOption: true, describe: 'Entity of the tokenized column, e.g. customers' })
      .option('column', { type: 'string', demandOption: true, describe: 'Tokenized column, e.g. first_name' })
      .option('token', { type: 'string', array: true, describe: 'Token(s) to reverse' })
      .option('tokens-file', { type: 'string', describe: 'File with one token per line' })
      .parseAsync();
    if (opts.argv.includes('--help')) return ExitCode.ok;
    const tokens = [...(a.token ?? []).map(String), ...(a['tokens-file'] ? readTokens(a['tokens-file']) : [])];
    if (tokens.length === 0) throw new UsageError('no token given', { fix: 'pass --token TOKEN (repeatable) or --tokens-file FILE' });
    const { config, secrets } = readConfig(a.config, envWithFiles(opts.env ?? process.env), { onSecret: registerSecret });
    secrets.forEach(registerSecret);
    const vault = config.mask.vault;
    if (!vault) throw new UsageError(`${a.config} has no mask.vault, so no token can be reversed`, { fix: 'add mask.vault (key: ${VAULT_KEY}) to the config the mask step ran with' });
    const keys = createVaultKeyRing(vault);
    [vault.key, ...Object.values(vault.previous_keys)].forEach(registerSecret);
    const lake = openLake(config.lake, log);
    const found = await detokenize(lake, { prefix: vault.prefix, entity: a.entity, column: a.column, tokens, keys });
    for (const t of tokens) print(JSON.stringify({ token: t, value: found.get(t) ?? null }));
    const missing = new Set(tokens.filter((t) => !found.has(t))).size;
    log.info('detokenized', { entity: a.entity, column: a.column, requested: new Set(tokens).size, found: found.size, missing });
    if (missing) {
      log.error(`${missing} token(s) are not in the vault of ${a.entity}.${a.column}`, { missing });
      return ExitCode.badInput;
    }
    return ExitCode.ok;
  } catch (err) {
    return commandFailed(log, 'detokenize', err);
  }
}

function readTokens(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  } catch (e) {
    throw new UsageError(`cannot read --tokens-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { fix: 'pass a readable file with one token per line' });
  }
}
