import { schemaOf } from '@salesflow/batches';
import type { MaskRuleConfig } from '@salesflow/config';
import { datasets, type Manifest } from '@salesflow/lake';
import { registerSecret, startProgress } from '@salesflow/logging';
import type { DatasetRef, StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { checkMaskRules, type MaskRules } from './check-mask-rules';
import { createMaskCounts, maskBatch, maskedSchemaOf, type MaskCounts } from './mask-batch';
import { createMaskKey } from './mask-key';
import { MaskRuleInvalidError } from './mask-rule-invalid-error';

/** Step name as in the DAG and the run reports. */
export const MASK_STEP_NAME = 'mask';

/** The step that writes the standardized entities to the masked zone. */
const PRODUCER = 'standardize';

interface EntityPlan {
  readonly entity: string;
  readonly rules: MaskRules;
  readonly input: Manifest;
}

/**
 * Writes processed/masked/<entity>/dt=<ds>/ for every standardized entity: columns with a rule in
 * `mask.entities.<entity>` are masked (see maskBatch) and get `_mask_key_id`; entities without
 * rules are copied unchanged, so the star schema reads only the masked zone.
 *
 * Every entity's input and rules are checked before anything is written, so a config mistake
 * (exit 2) leaves no entity half done. Logs name columns and methods, never a key or a value.
 */
export async function runMask(ctx: StepContext): Promise<StepResult> {
  const { config, lake, ds } = ctx;
  const mask = config.mask;
  // The harness registers the secrets it reads from env; a key given as a ${VAR:-default} or in
  // a test config is registered here too, so no log line can print it.
  registerSecret(mask.hmac_key);

  const entities = Object.keys(config.standardize.entities);
  const unknown = Object.keys(mask.entities).filter((e) => !entities.includes(e));
  // A misspelt entity would otherwise leave the real one's personal data unmasked, silently.
  const unknownErrors = unknown.map(
    (e) =>
      new MaskRuleInvalidError(`mask.entities.${e}`, `no standardized entity "${e}", so these rules would mask nothing`, {
        entity: e,
        fix: `name one of the standardize.entities (${entities.join(', ')}) under mask.entities`,
      }),
  );
  failOnProblems(ctx, unknownErrors);

  const plans: EntityPlan[] = [];
  const problems: MaskRuleInvalidError[] = [];
  for (const entity of entities) {
    const rules: MaskRules = mask.entities[entity] ?? {};
    const input = await lake.requireManifest(datasets.processed(entity), ds, PRODUCER);
    const columns = input.schema.map((c) => c.name);
    problems.push(...checkMaskRules(entity, rules, columns));
    plans.push({ entity, rules: withKeyedRowHash(rules, columns), input });
  }
  failOnProblems(ctx, problems);

  const key = createMaskKey(mask.hmac_key, mask.key_id);
  const inputs: DatasetRef[] = [];
  const outputs: DatasetRef[] = [];
  const metrics: Record<string, unknown> = {};
  let rows = 0;
  for (const { entity, rules, input } of plans) {
    const methods = methodsOf(rules);
    const masked = Object.keys(rules).length > 0;
    const log = ctx.log.child({ entity });
    log.info(masked ? `masking ${entity}` : `copying ${entity} (no mask rules)`, { rules: methods, ...(masked ? { keyId: key.keyId } : {}) });

    const dataset = datasets.masked(entity);
    const inSchema = schemaOf(input.schema);
    const writer = lake.openPartition({ dataset, ds, step: ctx.step, runId: ctx.runId, schema: masked ? maskedSchemaOf(inSchema, rules) : inSchema });
    const counts: MaskCounts = createMaskCounts();
    const progress = startProgress(log, `mask ${entity}`);
    let manifest: Manifest;
    try {
      // The batches of exactly the manifest the rules were checked against (readPartition would
      // read the manifest again, and a standardize re-run in between could change it).
      for await (const batch of lake.readManifestBatches(input, { batchSize: config.lake.row_group_size })) {
        await writer.write(masked ? maskBatch(batch, rules, key, counts) : batch);
        progress.add(batch.numRows);
      }
      if (writer.rows !== input.rows) throw new Error(`mask ${entity}: read ${input.rows} rows from the manifest but got ${writer.rows}`);
      manifest = await writer.commit({
        rules: methods,
        key_id: masked ? key.keyId : null,
        input: { dataset: input.dataset, rows: input.rows, run_id: input.producer.run_id },
        counts,
      });
    } catch (e) {
      await writer.abort(e);
      throw e;
    }
    progress.done();
    warnAboutOddValues(log, counts);
    rows += manifest.rows;
    inputs.push({ uri: lake.partitionUri(input.dataset, ds), rows: input.rows });
    outputs.push({ uri: lake.partitionUri(dataset, ds), rows: manifest.rows });
    metrics[entity] = { rows: manifest.rows, rules: methods, counts };
  }
  return { rowsIn: rows, rowsOut: rows, inputs, outputs, metrics: { key_id: key.keyId, entities: metrics } };
}

/** Logs every problem but the first, which is thrown, so one run shows them all. */
function failOnProblems(ctx: StepContext, problems: readonly MaskRuleInvalidError[]): void {
  if (problems.length === 0) return;
  problems.slice(1).forEach((p) => ctx.log.error(p.describe()));
  throw problems[0];
}

/** column -> method, for the manifest and the logs (patterns and keys stay out). */
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

function methodsOf(rules: MaskRules): Record<string, MaskRuleConfig['method']> {
  return Object.fromEntries(Object.entries(rules).map(([c, r]) => [c, r.method]));
}

function warnAboutOddValues(log: StepContext['log'], counts: MaskCounts): void {
  for (const [column, c] of Object.entries(counts)) {
    if (c.notEmail) log.warn(`${c.notEmail} value(s) of ${column} are not emails; hashed whole (method hmac)`, { column, values: c.notEmail });
    if (c.tooFewDigits) log.warn(`${c.tooFewDigits} value(s) of ${column} have too few digits for the pattern; masked fully`, { column, values: c.tooFewDigits });
  }
}

export const maskStep: StepDefinition = {
  name: MASK_STEP_NAME,
  description:
    'Masks personal data (hmac, pattern, email, tokenize, redact per mask.entities) from processed/<entity> into processed/masked/<entity>; entities without rules are copied.',
  run: runMask,
};
