import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { envWithFiles, readConfig, type PipelineConfig } from '@salesflow/config';
import { BadInputError, ExitCode, UsageError, type ExitCodeValue } from '@salesflow/errors';
import { datasets, type Lake } from '@salesflow/lake';
import { createLogger, registerSecret, type Logger } from '@salesflow/logging';
import { resolveMaskRules, vaultDataset } from '@salesflow/masking';
import { openLake } from '@salesflow/step';
import { commandFailed, commandParser } from './command-args';
import { rewritePartitionWithout } from './rewrite-partition-without';

export interface ForgetOptions {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Where the JSON summary goes; default stdout. */
  readonly print?: (line: string) => void;
  readonly log?: Logger;
  /** Clock for the audit record; injectable for tests. */
  readonly now?: () => Date;
}

/** What one erasure did, as printed and as kept in the audit record. Counts and ids, never values. */
export interface ForgetResult {
  readonly entity: string;
  readonly key_column: string;
  readonly key_value: string;
  readonly operator: string;
  readonly request_id: string | null;
  readonly at: string;
  readonly run_id: string;
  /** Rows of the person found in processed/masked/<entity>. */
  readonly masked_rows: number;
  /** Per tokenized column: vault entries removed, and tokens kept because other people share them. */
  readonly vault: Readonly<Record<string, { readonly removed: number; readonly shared_kept: number }>>;
  /** Rows removed from processed/<entity> (standardized, still in the clear). */
  readonly processed_rows_removed: number;
}

/** Lake key of an erasure's audit record. */
export function forgetAuditKey(at: string, runId: string): string {
  return `_audit/forget/dt=${at.slice(0, 10)}/${at.replace(/[:.]/g, '-')}-${runId}.json`;
}

/**
 * The `forget` command (a GDPR erasure): for the person whose `--key column=value` (an unmasked
 * key such as customer_id) matches rows of processed/masked/<entity>, it removes from every vault
 * partition the entries of the tokens only that person uses, so those tokens can no longer be
 * reversed, and removes the person's rows from processed/<entity> (the standardized zone, still
 * in the clear). Tokens other people share (a common last name) are kept unless
 * `--include-shared`, since removing them makes the others' unreadable too. Needs no key: it
 * reads tokens and deletes entries, never opens one. Writes an audit record naming who ran it
 * (`--operator`, else the OS user) to _audit/forget/ and logs the same line. Exit 0 when done,
 * 4 when no row has that key.
 */
export async function runForget(opts: ForgetOptions): Promise<ExitCodeValue> {
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const log = opts.log ?? createLogger({ bindings: { step: 'forget' } });
  try {
    const a = await commandParser(opts.argv, 'forget-main.js', '$0 --config FILE --entity NAME --key COLUMN=VALUE [--operator NAME] [--request-id ID] [--include-shared]\n\nErases one person: their vault entries (their tokens stay unresolvable) and their standardized rows.')
      .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config (lake, mask.vault.prefix, mask.entities)' })
      .option('entity', { type: 'string', demandOption: true, describe: 'Masked entity the person is in, e.g. customers' })
      .option('key', { type: 'string', demandOption: true, describe: 'An unmasked key of the person, e.g. customer_id=CUST-00042' })
      .option('operator', { type: 'string', describe: 'Who runs the erasure, for the audit record (default: the OS user)' })
      .option('request-id', { type: 'string', describe: 'The erasure request it answers, for the audit record' })
      .option('include-shared', { type: 'boolean', default: false, describe: 'Also remove tokens other people share (their values become unreadable too)' })
      .parseAsync();
    if (opts.argv.includes('--help')) return ExitCode.ok;
    const eq = a.key.indexOf('=');
    if (eq <= 0) throw new UsageError(`--key ${a.key} is not COLUMN=VALUE`, { fix: 'pass e.g. --key customer_id=CUST-00042' });
    const keyColumn = a.key.slice(0, eq);
    const keyValue = a.key.slice(eq + 1);
    const { config, secrets } = readConfig(a.config, envWithFiles(opts.env ?? process.env), { onSecret: registerSecret });
    secrets.forEach(registerSecret);
    const lake = openLake(config.lake, log);
    const now = (opts.now ?? (() => new Date()))();
    const runId = `forget__${now.toISOString().replace(/[:.]/g, '-')}_${randomBytes(3).toString('hex')}`;
    const operator = a.operator ?? (opts.env ?? process.env).SUDO_USER ?? safeUser();
    const result = await forgetPerson(lake, config, { entity: a.entity, keyColumn, keyValue, includeShared: a['include-shared'], runId });
    const record: ForgetResult = { ...result, operator, request_id: a['request-id'] ?? null, at: now.toISOString(), run_id: runId };
    await lake.writeJson(forgetAuditKey(record.at, runId), record);
    log.info(`forget: ${operator} erased ${keyColumn}=${keyValue} from ${a.entity}`, { audit: forgetAuditKey(record.at, runId), ...record });
    print(JSON.stringify(record));
    return ExitCode.ok;
  } catch (err) {
    return commandFailed(log, 'forget', err);
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The erasure itself (see runForget), without the audit record. */
export async function forgetPerson(
  lake: Lake,
  config: PipelineConfig,
  req: { readonly entity: string; readonly keyColumn: string; readonly keyValue: string; readonly includeShared: boolean; readonly runId: string },
): Promise<Omit<ForgetResult, 'operator' | 'request_id' | 'at' | 'run_id'>> {
  const { entity, keyColumn, keyValue } = req;
  const maskedDataset = datasets.masked(entity);
  const days = await lake.listPartitions(maskedDataset);
  if (days.length === 0) {
    throw new BadInputError(`No masked partition of ${entity} under ${lake.storage.uriOf(maskedDataset)}`, { context: { entity }, fix: 'check --entity (a standardized entity the mask step has run for)' });
  }
  const latest = (await lake.readManifest(maskedDataset, days.at(-1)!))!;
  const columns = latest.schema.map((c) => c.name);
  if (!columns.includes(keyColumn)) {
    throw new BadInputError(`${entity} has no column ${keyColumn}`, { context: { entity, column: keyColumn }, fix: `name one of its columns in --key (${columns.filter((c) => !c.startsWith('_')).join(', ')})` });
  }
  const rules = resolveMaskRules(config.mask.entities[entity] ?? {}, columns);
  if (rules[keyColumn]) {
    throw new UsageError(`${entity}.${keyColumn} is masked (${rules[keyColumn]!.method}), so no row can be found by its value`, { fix: 'pass an unmasked key column such as the natural key (customer_id)' });
  }
  const tokenized = Object.keys(rules).filter((c) => rules[c]!.method === 'tokenize');

  // Pass 1: the person's rows and tokens. Pass 2: which of those tokens anyone else uses.
  const mine = new Map<string, Set<string>>(tokenized.map((c) => [c, new Set()]));
  let rows = 0;
  for (const ds of days) {
    const m = (await lake.readManifest(maskedDataset, ds))!;
    for await (const b of lake.readManifestBatches(m, { columns: [keyColumn, ...tokenized] })) {
      const key = b.getChild(keyColumn)!;
      for (let r = 0; r < b.numRows; r++) {
        if (String(key.get(r)) !== keyValue) continue;
        rows++;
        for (const c of tokenized) {
          const t = b.getChild(c)?.get(r) as string | null | undefined;
          if (t) mine.get(c)!.add(t);
        }
      }
    }
  }
  if (rows === 0) {
    throw new BadInputError(`No row of ${entity} has ${keyColumn} = the value given, in any of ${days.length} masked partition(s)`, {
      context: { entity, column: keyColumn },
      fix: 'check the key value; nothing was erased',
    });
  }
  const shared = new Map<string, Set<string>>(tokenized.map((c) => [c, new Set()]));
  if (!req.includeShared) {
    for (const ds of days) {
      const m = (await lake.readManifest(maskedDataset, ds))!;
      for await (const b of lake.readManifestBatches(m, { columns: [keyColumn, ...tokenized] })) {
        const key = b.getChild(keyColumn)!;
        for (let r = 0; r < b.numRows; r++) {
          if (String(key.get(r)) === keyValue) continue;
          for (const c of tokenized) {
            const t = b.getChild(c)?.get(r) as string | null | undefined;
            if (t && mine.get(c)!.has(t)) shared.get(c)!.add(t);
          }
        }
      }
    }
  }

  const prefix = config.mask.vault?.prefix ?? '_vault';
  const vault: Record<string, { removed: number; shared_kept: number }> = {};
  for (const c of tokenized) {
    const gone = new Set([...mine.get(c)!].filter((t) => !shared.get(c)!.has(t)));
    const dataset = vaultDataset(prefix, entity, c);
    let removed = 0;
    if (gone.size) {
      for (const ds of await lake.listPartitions(dataset)) {
        removed += await rewritePartitionWithout(lake, dataset, ds, req.runId, ['token'], (b) => {
          const tokens = b.getChild('token')!;
          return (r) => gone.has(tokens.get(r) as string);
        });
      }
    }
    vault[c] = { removed, shared_kept: shared.get(c)!.size };
  }

  let processedRows = 0;
  const processed = datasets.processed(entity);
  for (const ds of await lake.listPartitions(processed)) {
    processedRows += await rewritePartitionWithout(lake, processed, ds, req.runId, [keyColumn], (b) => {
      const key = b.getChild(keyColumn);
      return (r) => key !== null && String(key.get(r)) === keyValue;
    });
  }
  return { entity, key_column: keyColumn, key_value: keyValue, masked_rows: rows, vault, processed_rows_removed: processedRows };
}
