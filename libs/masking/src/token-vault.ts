import type * as arrow from 'apache-arrow';
import { BatchBuilder, KeySet, type ColumnDef } from '@salesflow/batches';
import { ExitCode, PipelineError } from '@salesflow/errors';
import type { Lake } from '@salesflow/lake';
import { openSealedValue, sealValue, type VaultKey, type VaultKeyRing } from './vault-key';

/** Columns of a vault partition: the token, the vault key id that sealed it, and the sealed original. */
export const VAULT_COLUMNS: readonly ColumnDef[] = Object.freeze([
  { name: 'token', kind: 'string', nullable: false },
  { name: 'key_id', kind: 'string', nullable: false },
  { name: 'sealed', kind: 'string', nullable: false },
]);

/** Lake dataset of one tokenized column's vault: `<prefix>/<entity>/<column>` (partitioned by dt like the data). */
export function vaultDataset(prefix: string, entity: string, column: string): string {
  return `${prefix}/${entity}/${column}`;
}

/** Where maskBatchColumns hands each (token, original) pair of a tokenized column. */
export interface TokenSink {
  add(column: string, token: string, value: string): void;
}

/** The associated data bound into every sealed entry. */
function aadOf(entity: string, column: string, token: string): string {
  return `${entity}\u0000${column}\u0000${token}`;
}

/**
 * Collects the distinct tokens of each tokenized column with their originals sealed under the
 * current vault key, as record batches ready for the vault partition. Holds the tokens seen (to
 * store each once per partition) and the batch being built, never the originals in the clear.
 */
export class TokenVaultCollector implements TokenSink {
  private readonly perColumn = new Map<string, { seen: KeySet; builder: BatchBuilder; buf: Buffer }>();

  constructor(
    private readonly entity: string,
    private readonly key: VaultKey,
  ) {}

  add(column: string, token: string, value: string): void {
    let c = this.perColumn.get(column);
    if (!c) this.perColumn.set(column, (c = { seen: new KeySet(), builder: new BatchBuilder(VAULT_COLUMNS), buf: Buffer.allocUnsafe(64) }));
    if (token.length * 3 > c.buf.length) c.buf = Buffer.allocUnsafe(token.length * 3);
    const n = c.buf.write(token, 0, 'utf8');
    if (!c.seen.add(c.buf, 0, n)) return;
    c.builder.appendRow([token, this.key.keyId, sealValue(value, this.key, aadOf(this.entity, column, token))]);
  }

  /** Columns that received tokens so far. */
  get columns(): string[] {
    return [...this.perColumn.keys()];
  }

  /** Entries waiting in a column's current batch. */
  pending(column: string): number {
    return this.perColumn.get(column)?.builder.length ?? 0;
  }

  /** Distinct tokens of a column so far. */
  distinct(column: string): number {
    return this.perColumn.get(column)?.seen.size ?? 0;
  }

  /** The column's pending entries as one batch (then empty), or undefined when none. */
  take(column: string): arrow.RecordBatch | undefined {
    const c = this.perColumn.get(column);
    return c && c.builder.length ? c.builder.finish() : undefined;
  }
}

export interface DetokenizeRequest {
  /** `mask.vault.prefix`. */
  readonly prefix: string;
  readonly entity: string;
  readonly column: string;
  readonly tokens: Iterable<string>;
  readonly keys: VaultKeyRing;
}

/**
 * Looks tokens up in a column's vault (every committed dt partition, newest first) and opens
 * them with the key ring: token -> original. Tokens not in the vault are absent from the map.
 * Reads the vault as a stream; stops as soon as every token is found.
 */
export async function detokenize(lake: Lake, req: DetokenizeRequest): Promise<Map<string, string>> {
  const wanted = new Set(req.tokens);
  const out = new Map<string, string>();
  const dataset = vaultDataset(req.prefix, req.entity, req.column);
  const partitions = (await lake.listPartitions(dataset)).reverse();
  if (partitions.length === 0) {
    throw new PipelineError(`No vault for ${req.entity}.${req.column} under ${lake.storage.uriOf(dataset)}`, {
      exitCode: ExitCode.badInput,
      context: { entity: req.entity, column: req.column },
      fix: `check the entity and column names (the column must be masked with method tokenize) and mask.vault.prefix`,
    });
  }
  for (const ds of partitions) {
    if (out.size === wanted.size) break;
    const manifest = await lake.requireManifest(dataset, ds, 'mask');
    for await (const batch of lake.readManifestBatches(manifest)) {
      const tokens = batch.getChild('token')!;
      const keyIds = batch.getChild('key_id')!;
      const sealed = batch.getChild('sealed')!;
      for (let r = 0; r < batch.numRows; r++) {
        const token = tokens.get(r) as string;
        if (!wanted.has(token) || out.has(token)) continue;
        const keyId = keyIds.get(r) as string;
        const key = req.keys.byId(keyId);
        if (!key) {
          throw new PipelineError(`Vault entry of ${token} was sealed with vault key ${keyId}, which is not configured (held: ${req.keys.keyIds.join(', ')})`, {
            exitCode: ExitCode.usage,
            context: { entity: req.entity, column: req.column, key: keyId },
            fix: `add the old key as mask.vault.previous_keys.${keyId} (e.g. \${VAULT_KEY_${keyId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}})`,
          });
        }
        out.set(token, openSealedValue(sealed.get(r) as string, key, aadOf(req.entity, req.column, token)));
      }
    }
  }
  return out;
}
