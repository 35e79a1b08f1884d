import { schemaOf } from '@salesflow/batches';
import type { MaskRuleConfig } from '@salesflow/config';
import { datasets, type Manifest, type PartitionWriter } from '@salesflow/lake';
import { registerSecret, startProgress } from '@salesflow/logging';
import {
  createMaskCounts,
  createMaskKeyRing,
  createTokenizeKey,
  createVaultKeyRing,
  maskBatchColumns,
  maskedSchemaOf,
  resolveMaskRules,
  TokenVaultCollector,
  VAULT_COLUMNS,
  vaultDataset,
  type MaskCounts,
  type MaskRules,
} from '@salesflow/masking';
import { describeFinding, piiPolicyFromConfig, PiiFoundError, PiiScanner, type PiiScanResult } from '@salesflow/pii-scan';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { checkMaskRules } from './check-mask-rules';
import { MaskRuleInvalidError } from './mask-rule-invalid-error';

/** Step name as in the DAG and the run reports. */
export const MASK_STEP_NAME = 'mask';

/** The step that writes the standardized entities to the masked zone. */
const PRODUCER = 'standardize';

interface EntityPlan {
  readonly entity: string;
  /** Rules by exact column name, globs resolved, at-ingest rules left out. */
  readonly rules: MaskRules;
  /** Columns masked at ingest already: passed through, and counted as masked by the PII scan. */
  readonly maskedAtIngest: readonly string[];
  readonly input: Manifest;
}

/**
 * Writes processed/masked/<entity>/dt=<ds>/ for every standardized entity: columns with a rule in
 * `mask.entities.<entity>` (exact names or globs) are masked with maskBatchColumns and get
 * `_mask_key_id`; entities without rules are copied unchanged, so the star schema reads only the
 * masked zone. Tokenized columns leave their originals, encrypted, in the vault
 * (`<vault.prefix>/<entity>/<column>/dt=<ds>/`), committed before the masked partition so every
 * published token can be reversed. The PII scan then samples the masked output: a sensitive
 * column left unmasked, or personal-looking values in a column not declared safe, fails the
 * step with exit 3 and publishes nothing for that entity.
 *
 * Every entity's input and rules are checked before anything is written, so a config mistake
 * (exit 2) leaves no entity half done. Logs name columns and methods, never a key or a value.
 */
/**
 * Rows per batch read. The writer still gathers row groups of lake.row_group_size; reading in
 * smaller batches keeps less of the input decoded at once (the WASM heap never shrinks).
 */
const READ_BATCH_ROWS = 32_768;

export async function runMask(ctx: StepContext): Promise<StepResult> {
  const { config, lake, ds } = ctx;
  const mask = config.mask;
  // The harness registers the secrets it reads from env; keys given as ${VAR:-default} or in a
  // test config are registered here too, so no log line can print them.
  for (const s of [mask.hmac_key, mask.tokenize_key, ...Object.values(mask.previous_keys), mask.vault?.key, ...Object.values(mask.vault?.previous_keys ?? {})]) registerSecret(s);

  const entities = Object.keys(config.standardize.entities);
  const unknown = Object.keys(mask.entities).filter((e) => !entities.includes(e));
  // A misspelt entity would otherwise leave the real one's personal data unmasked, silently.
  failOnProblems(
    ctx,
    unknown.map(
      (e) =>
        new MaskRuleInvalidError(`mask.entities.${e}`, `no standardized entity "${e}", so these rules would mask nothing`, {
          entity: e,
          fix: `name one of the standardize.entities (${entities.join(', ')}) under mask.entities`,
        }),
    ),
  );

  const plans: EntityPlan[] = [];
  const problems: MaskRuleInvalidError[] = [];
  for (const entity of entities) {
    const configured: MaskRules = mask.entities[entity] ?? {};
    const input = await lake.requireManifest(datasets.processed(entity), ds, PRODUCER);
    const columns = input.schema.map((c) => c.name);
    problems.push(...checkMaskRules(entity, configured, columns));
    const resolved = resolveMaskRules(configured, columns);
    const now = Object.fromEntries(Object.entries(resolved).filter(([, r]) => !r.at_ingest));
    const maskedAtIngest = Object.keys(resolved).filter((c) => resolved[c]!.at_ingest);
    if (Object.values(now).some((r) => r.method === 'tokenize') && !mask.vault) {
      problems.push(
        new MaskRuleInvalidError(`mask.vault`, `${entity} has tokenize rules but no vault is configured, so the originals would be lost`, {
          entity,
          fix: 'add mask.vault with key: ${VAULT_KEY}, or use method hmac',
        }),
      );
    }
    plans.push({ entity, rules: withKeyedRowHash(now, columns), maskedAtIngest, input });
  }
  failOnProblems(ctx, problems);

  const keys = createMaskKeyRing(mask);
  const tokenizeKey = plans.some((p) => Object.values(p.rules).some((r) => r.method === 'tokenize')) ? createTokenizeKey(mask) : undefined;
  if (tokenizeKey && mask.tokenize_key === mask.hmac_key) {
    throw new MaskRuleInvalidError('mask.tokenize_key', 'is the same as mask.hmac_key, so every step holding the hmac key could reverse tokens by guessing', {
      fix: 'give MASK_TOKENIZE_KEY its own random value (openssl rand -hex 32), known to the mask step alone',
    });
  }
  const vaultKeys = mask.vault ? createVaultKeyRing(mask.vault) : undefined;
  const batchSize = config.lake.row_group_size;
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const metrics: Record<string, unknown> = {};
  const scans: PiiScanResult[] = [];
  let rows = 0;
  for (const { entity, rules, maskedAtIngest, input } of plans) {
    const methods = methodsOf(rules);
    const masked = Object.keys(rules).length > 0;
    const log = ctx.log.child({ entity });
    log.info(masked ? `masking ${entity}` : `copying ${entity} (no mask rules)`, { rules: methods, ...(masked ? { keyId: keys.current.keyId } : {}), ...(maskedAtIngest.length ? { maskedAtIngest } : {}) });
    for (const [c, m] of Object.entries(methods)) if (m === 'sha256' || m === 'md5') log.warn(`${c} is masked with the unkeyed digest ${m}; a guessed value can be confirmed by hashing it. Prefer hmac`, { column: c });

    const dataset = datasets.masked(entity);
    const inSchema = schemaOf(input.schema);
    const open = (d: string, schema: ReturnType<typeof schemaOf>) => lake.openPartition({ dataset: d, ds, step: ctx.step, runId: ctx.runId, schema });
    const writer = open(dataset, masked ? maskedSchemaOf(inSchema, rules) : inSchema);
    const tokenized = Object.keys(rules).filter((c) => rules[c]!.method === 'tokenize');
    const vault = vaultKeys && tokenized.length ? new TokenVaultCollector(entity, vaultKeys.current) : undefined;
    const vaultWriters = new Map<string, PartitionWriter>(tokenized.map((c) => [c, open(vaultDataset(mask.vault!.prefix, entity, c), schemaOf(VAULT_COLUMNS))]));
    const scanner = mask.pii_scan.enabled
      ? new PiiScanner(entity, piiPolicyFromConfig(mask, entity, input.schema.map((c) => c.name)), { expectedRows: input.rows })
      : undefined;
    const counts: MaskCounts = createMaskCounts();
    const progress = startProgress(log, `mask ${entity}`);
    let manifest: Manifest;
    try {
      // The batches of exactly the manifest the rules were checked against (readPartition would
      // read the manifest again, and a standardize re-run in between could change it).
      if (masked) {
        for await (const batch of lake.readManifestBatches(input, { batchSize: READ_BATCH_ROWS })) {
          const out = maskBatchColumns(batch, rules, { hmac: keys.current, tokenize: tokenizeKey }, { counts, tokens: vault, entity });
          scanner?.scan(out);
          await writer.write(out);
          for (const [c, w] of vaultWriters) if (vault!.pending(c) >= batchSize) await w.write(vault!.take(c)!);
          progress.add(batch.numRows);
        }
      } else {
        // Nothing to mask: the scan reads only the columns it looks at, and the files are copied as they are.
        if (scanner) await scanCopiedEntity(lake, input, inSchema, scanner);
        for (const f of input.files) {
          await writer.copyFile(f);
          progress.add(f.rows);
        }
      }
      if (writer.rows !== input.rows) throw new Error(`mask ${entity}: read ${input.rows} rows from the manifest but got ${writer.rows}`);
      const scan = scanner?.result();
      if (scan) {
        scans.push(scan);
        if (scan.findings.length) {
          scan.findings.forEach((f) => log.error(`PII scan: ${describeFinding(f)}`, { column: f.column, reason: f.reason, kind: f.kind }));
          throw new PiiFoundError(scan.findings, { ds });
        }
      }
      const vaultMeta: Record<string, number> = {};
      for (const [c, w] of vaultWriters) {
        const rest = vault!.take(c);
        if (rest) await w.write(rest);
        await w.commit({ entity, column: c, key_id: vaultKeys!.current.keyId, tokens: vault!.distinct(c) });
        vaultMeta[c] = vault!.distinct(c);
      }
      manifest = await writer.commit({
        rules: methods,
        masked_at_ingest: maskedAtIngest,
        key_id: masked ? keys.current.keyId : null,
        vault: tokenized.length ? { key_id: vaultKeys!.current.keyId, tokenize_key_id: tokenizeKey!.keyId, tokens: vaultMeta } : null,
        input: { dataset: input.dataset, rows: input.rows, run_id: input.producer.run_id },
        counts,
      });
    } catch (e) {
      await writer.abort(e).catch(() => undefined);
      for (const w of vaultWriters.values()) await w.abort(e).catch(() => undefined);
      throw e;
    }
    progress.done();
    warnAboutOddValues(log, counts);
    rows += manifest.rows;
    inputs.push({ uri: lake.partitionUri(input.dataset, ds), rows: input.rows });
    outputs.push({ uri: lake.partitionUri(dataset, ds), rows: manifest.rows });
    metrics[entity] = { rows: manifest.rows, rules: methods, counts, ...(tokenized.length ? { vault_tokens: Object.fromEntries(tokenized.map((c) => [c, vault!.distinct(c)])) } : {}) };
  }
  return {
    rowsIn: rows,
    rowsOut: rows,
    rowsRejected: 0,
    rowsDropped: 0,
    inputs,
    outputs,
    metrics: { key_id: keys.current.keyId, vault_key_id: vaultKeys?.current.keyId ?? null, entities: metrics, pii_scan: scans.map(({ table, rowsSampled, valuesScanned }) => ({ table, rowsSampled, valuesScanned })) },
  };
}

/** PII-scans an entity that is copied unmasked, decoding only the columns the scanner looks at. */
async function scanCopiedEntity(lake: StepContext['lake'], input: Manifest, schema: ReturnType<typeof schemaOf>, scanner: PiiScanner): Promise<void> {
  scanner.checkSchema(schema);
  const columns = scanner.scannedColumns(schema);
  if (columns.length === 0) {
    scanner.skipRows(input.rows);
    return;
  }
  for await (const batch of lake.readManifestBatches(input, { batchSize: READ_BATCH_ROWS, columns })) scanner.scan(batch);
}

/** Logs every problem but the first, which is thrown, so one run shows them all. */
function failOnProblems(ctx: StepContext, problems: readonly MaskRuleInvalidError[]): void {
  if (problems.length === 0) return;
  problems.slice(1).forEach((p) => ctx.log.error(p.describe()));
  throw problems[0];
}

/**
 * Standardize's _row_hash is an unkeyed hash over every business column, personal data included,
 * so anyone who can guess a row's values could confirm them. Where an entity is masked, the hash
 * is re-keyed with the masking key: it still detects changed rows, but reveals nothing.
 */
function withKeyedRowHash(rules: MaskRules, columns: readonly string[]): MaskRules {
  if (Object.keys(rules).length === 0 || !columns.includes(ROW_HASH_COLUMN) || rules[ROW_HASH_COLUMN]) return rules;
  return { ...rules, [ROW_HASH_COLUMN]: { method: 'hmac' } };
}

const ROW_HASH_COLUMN = '_row_hash';

/** column -> method, for the manifest and the logs (patterns and keys stay out). */
function methodsOf(rules: MaskRules): Record<string, MaskRuleConfig['method']> {
  return Object.fromEntries(Object.entries(rules).map(([c, r]) => [c, r.method]));
}

function warnAboutOddValues(log: StepContext['log'], counts: MaskCounts): void {
  for (const [column, c] of Object.entries(counts)) {
    if (c.notEmail) log.warn(`${c.notEmail} value(s) of ${column} are not emails; hashed whole (method hmac)`, { column, values: c.notEmail });
    if (c.tooFewDigits) log.warn(`${c.tooFewDigits} value(s) of ${column} have too few digits for the pattern; masked fully`, { column, values: c.tooFewDigits });
    if (c.unreadable) log.warn(`${c.unreadable} value(s) of ${column} could not be generalized and became null`, { column, values: c.unreadable });
  }
}

export const maskStep: StepDefinition = {
  name: MASK_STEP_NAME,
  description:
    'Masks personal data (hmac, sha256/md5, pattern, keep_last, email, generalize, tokenize with a vault, redact per mask.entities) from processed/<entity> into processed/masked/<entity>, then runs the PII scan; entities without rules are copied.',
  run: runMask,
};
