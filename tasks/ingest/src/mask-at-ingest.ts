import type * as arrow from 'apache-arrow';
import { BatchBuilder, snakeCase } from '@salesflow/batches';
import type { PipelineConfig } from '@salesflow/config';
import type { Lake, PartitionWriter } from '@salesflow/lake';
import {
  createMaskKeyRing,
  createTokenizeKey,
  createVaultKeyRing,
  ingestMaskRules,
  maskBatchColumns,
  maskedSchemaOf,
  TokenVaultCollector,
  VAULT_COLUMNS,
  vaultDataset,
  type MaskRules,
} from '@salesflow/masking';
import { UsageError } from '@salesflow/errors';

/** What a raw manifest records about columns masked before landing. */
export interface IngestMaskMeta {
  readonly columns: Readonly<Record<string, string>>;
  readonly key_id: string;
  readonly vault_key_id: string | null;
}

/**
 * Masking of the `at_ingest: true` rules of an entity (mask.entities.<entity>), so those values
 * never land in raw in the clear. Rules match raw column names after snake_casing, as standardize
 * renames them. Tokenized columns seal their originals into the vault, committed before the raw
 * partition so every landed token can be reversed. The key id goes in the raw manifest rather
 * than a column: raw keeps the source's columns.
 */
export class IngestMasking {
  readonly schema: arrow.Schema;
  private readonly vault?: TokenVaultCollector;
  private readonly vaultWriters = new Map<string, PartitionWriter>();
  private readonly hmac;
  private readonly tokenize;

  private constructor(
    private readonly config: PipelineConfig,
    private readonly entity: string,
    private readonly rules: MaskRules,
    inSchema: arrow.Schema,
    open: (dataset: string, schema: arrow.Schema) => PartitionWriter,
  ) {
    this.schema = maskedSchemaOf(inSchema, rules, { keyIdColumn: false });
    this.hmac = createMaskKeyRing(config.mask).current;
    const tokenized = Object.keys(rules).filter((c) => rules[c]!.method === 'tokenize');
    // Ingest holds the tokenize and vault keys only when it tokenizes itself.
    this.tokenize = tokenized.length ? createTokenizeKey(config.mask) : undefined;
    if (tokenized.length) {
      const vault = config.mask.vault;
      if (!vault) {
        throw new UsageError(`mask.entities.${entity}: a column tokenized at ingest needs a vault`, { fix: 'add mask.vault with key: ${VAULT_KEY}, or use method hmac' });
      }
      this.vault = new TokenVaultCollector(entity, createVaultKeyRing(vault).current);
      const vaultSchema = new BatchBuilder(VAULT_COLUMNS).schema;
      for (const c of tokenized) this.vaultWriters.set(c, open(vaultDataset(vault.prefix, entity, c), vaultSchema));
    }
  }

  /** The masking of an entity's raw batches, or undefined when no rule of the entity applies at ingest. */
  static of(config: PipelineConfig, entity: string, inSchema: arrow.Schema, open: (dataset: string, schema: arrow.Schema) => PartitionWriter): IngestMasking | undefined {
    const rules = ingestMaskRules(config.mask.entities[entity] ?? {}, inSchema.fields.map((f) => f.name), snakeCase);
    return Object.keys(rules).length ? new IngestMasking(config, entity, rules, inSchema, open) : undefined;
  }

  /** Masks one batch; vault entries are written as they fill a row group. */
  async mask(batch: arrow.RecordBatch, rowGroupSize: number): Promise<arrow.RecordBatch> {
    const out = maskBatchColumns(batch, this.rules, { hmac: this.hmac, tokenize: this.tokenize }, { keyIdColumn: false, tokens: this.vault, entity: this.entity, nameOf: snakeCase });
    for (const [c, w] of this.vaultWriters) if (this.vault!.pending(c) >= rowGroupSize) await w.write(this.vault!.take(c)!);
    return out;
  }

  /** Commits the vault partitions (before the raw one) and returns what the raw manifest records. */
  async commit(): Promise<IngestMaskMeta> {
    const vaultKeyId = this.vault && this.config.mask.vault ? this.config.mask.vault.key_id : null;
    for (const [c, w] of this.vaultWriters) {
      const rest = this.vault!.take(c);
      if (rest) await w.write(rest);
      await w.commit({ entity: this.entity, column: c, key_id: vaultKeyId, tokens: this.vault!.distinct(c), at_ingest: true });
    }
    return {
      columns: Object.fromEntries(Object.entries(this.rules).map(([c, r]) => [c, r.method])),
      key_id: this.hmac.keyId,
      vault_key_id: this.vaultWriters.size ? vaultKeyId : null,
    };
  }

  async abort(e: unknown): Promise<void> {
    for (const w of this.vaultWriters.values()) await w.abort(e).catch(() => undefined);
  }
}
