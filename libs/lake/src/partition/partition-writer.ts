import { randomBytes } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { columnsOf, type ColumnDef } from '@salesflow/batches';
import { BadInputError, PipelineError } from '@salesflow/errors';
import { redactDocument, type Logger } from '@salesflow/logging';
import { openParquetWriter, type ParquetCompression, type ParquetStatistics, type ParquetWriter } from '../parquet';
import type { Storage } from '../storage';
import { MANIFEST_FILE, MANIFEST_FORMAT, hashSchema, parseManifest, type Manifest, type ManifestFile } from './manifest';
import { partitionPrefix } from './partition-paths';

/** Names of the data files this writer makes: part-<attempt token>-<file number>.parquet. */
const PART_FILE = /\/part-[0-9a-f]{8}-\d{4}\.parquet$/;

export interface PartitionWriterOptions {
  readonly dataset: string;
  readonly ds: string;
  readonly step: string;
  readonly runId: string;
  /** Schema used when no batch is written, so an empty partition still has one. */
  readonly schema?: arrow.Schema;
  readonly rowGroupSize?: number;
  /** Page compression of the partition's files. Default zstd. */
  readonly compression?: ParquetCompression;
  /** Column statistics of the partition's files. Default chunk. */
  readonly statistics?: ParquetStatistics;
  /** A new file starts after this many rows, so one file never grows without bound. Default 5,000,000. */
  readonly maxRowsPerFile?: number;
  /**
   * Unlisted part files younger than this are left alone at commit: they may belong to another
   * attempt still running (a retry next to a zombie pod). Older ones are orphans of crashed
   * attempts and are removed. Default one hour.
   */
  readonly orphanGraceMs?: number;
  readonly log?: Logger;
}

/**
 * What an append decides from the partition's manifest as it is now (undefined: not committed
 * yet): the meta of the new manifest, or why this append must not be committed at all.
 */
/** `added` are the files this append brings (keys relative to the lake root), for a merge that records which files hold what. */
export type AppendMerge = (previous: Manifest | undefined, added: readonly ManifestFile[]) => { readonly meta: Readonly<Record<string, unknown>> } | { readonly conflict: string };

/** How an append ended: committed (manifest), or refused by the merge (conflict) with this writer's files removed. */
export interface AppendResult {
  readonly manifest?: Manifest;
  readonly conflict?: string;
  /** Conditional writes tried: more than one when another writer committed in between. */
  readonly attempts: number;
}

/** The version of a partition's manifest as a run read it (Storage.getVersioned), or null for none: commit() then replaces it only if it is unchanged. */
export type ManifestVersion = string | null;

/** A partition's manifest changed between a run's read and its commit (another writer committed): nothing was replaced. */
export class PartitionChangedError extends PipelineError {}

/** Conditional writes an append tries before it gives up; each loss means another writer committed, so this is far beyond contention seen in practice. */
const APPEND_ATTEMPTS = 50;

/**
 * Writes one partition as a stream of record batches into Parquet files with a name unique to
 * this attempt, then commits by writing the manifest last. Until commit, readers still see the
 * previous manifest and its files; after it, files the new manifest does not list are removed.
 */
export class PartitionWriter {
  private readonly prefix: string;
  private readonly token = randomBytes(4).toString('hex');
  private readonly files: ManifestFile[] = [];
  private current?: { key: string; writer: ParquetWriter };
  private schema?: arrow.Schema;
  private rowsInFile = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private checked = false;

  constructor(
    private readonly storage: Storage,
    private readonly opts: PartitionWriterOptions,
  ) {
    this.prefix = partitionPrefix(opts.dataset, opts.ds);
    this.schema = opts.schema;
  }

  /** Rows written so far. */
  get rows(): number {
    return this.files.reduce((n, f) => n + f.rows, 0) + (this.current?.writer.rows ?? 0);
  }

  /** Appends a batch; every batch must have the schema of the first. */
  async write(batch: arrow.RecordBatch): Promise<void> {
    if (this.state !== 'open') throw new Error(`partition ${this.prefix} is already ${this.state}`);
    if (!this.checked) {
      // Fail on a column type the lake cannot describe before writing anything, not at commit.
      this.checkSchema(batch.schema);
      this.checked = true;
    }
    if (batch.numRows === 0) {
      this.schema ??= batch.schema;
      return;
    }
    this.schema ??= batch.schema;
    if (!this.current) this.current = this.startFile();
    await this.current.writer.write(batch);
    this.rowsInFile += batch.numRows;
    if (this.rowsInFile >= (this.opts.maxRowsPerFile ?? 5_000_000)) await this.closeFile();
  }

  /**
   * Adds a committed file of another partition as it is, copied by the storage (on S3, without
   * passing the bytes through this process). The file must have this partition's schema; the
   * caller vouches for it, as the file was written by the lake under that manifest's schema.
   */
  async copyFile(file: ManifestFile): Promise<void> {
    if (this.state !== 'open') throw new Error(`partition ${this.prefix} is already ${this.state}`);
    await this.closeFile();
    const key = this.nextKey();
    const bytes = await this.storage.copy(file.key, key);
    this.files.push({ key, rows: file.rows, bytes });
  }

  /** Writes every batch of an iterable. */
  async writeAll(batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>): Promise<void> {
    for await (const b of batches) await this.write(b);
  }

  /**
   * Finishes the files, writes the manifest (the commit point), then removes superseded files.
   * `committedAt` keeps an earlier commit time: a rewrite that only changes how the same rows are
   * stored (the lake upgrade) must not make an old snapshot look like the newest one.
   * `keepFiles` are files the previous manifest lists that the new one lists too (rows another
   * writer appended to the partition, such as a stream's late events): they are not removed.
   */
  async commit(meta: Readonly<Record<string, unknown>> = {}, opts: { readonly committedAt?: string; readonly ifVersion?: ManifestVersion; readonly keepFiles?: readonly ManifestFile[] } = {}): Promise<Manifest> {
    if (this.state !== 'open') throw new Error(`partition ${this.prefix} is already ${this.state}`);
    await this.closeFile();
    const kept = opts.keepFiles ?? [];
    if (kept.some((f) => !f.key.startsWith(this.prefix))) throw new Error(`partition ${this.prefix}: keepFiles must be files of this partition`);
    if (this.files.length === 0 && kept.length === 0 && this.schema) {
      // An empty partition still gets one empty file carrying the schema for downstream readers.
      this.current = this.startFile();
      await this.closeFile();
    }
    // Kept files (another writer's share of the partition, listed by the previous manifest) stay as they are.
    const manifest = this.buildManifest([...kept, ...this.files], meta, opts.committedAt);
    const previous = await this.storage.getBytes(this.prefix + MANIFEST_FILE);
    const body = JSON.stringify(manifest, null, 2);
    if (opts.ifVersion === undefined) await this.storage.putBytes(this.prefix + MANIFEST_FILE, body, 'application/json');
    else if (!(await this.storage.putBytesIf(this.prefix + MANIFEST_FILE, body, opts.ifVersion ?? undefined, 'application/json'))) {
      await this.abort();
      throw new PartitionChangedError(`${this.storage.uriOf(this.prefix + MANIFEST_FILE)} was committed by another writer after this run read it; not replaced`, {
        context: { partition: this.prefix },
        fix: 'another process writes this partition (an ingest --follow of the same source?): stop it, then run the step again',
      });
    }
    this.state = 'committed';
    await this.removeSuperseded(manifest, previous);
    return manifest;
  }

  /**
   * Commits this writer's files in addition to those the partition already lists (a micro-batch
   * of a stream into a partition it landed in before): reads the manifest and its version, asks
   * `merge` for the new meta (offset ranges extended, counts added), and writes the manifest only
   * if no other writer committed since (Storage.putBytesIf); when one did, it reads and merges
   * again, so concurrent appends never lose each other's files. When merge answers a conflict,
   * nothing is committed and this writer's files are removed. Nothing is removed from the
   * partition: its files stay listed. The new files must have the partition's schema.
   */
  async commitAppend(merge: AppendMerge): Promise<AppendResult> {
    if (this.state !== 'open') throw new Error(`partition ${this.prefix} is already ${this.state}`);
    await this.closeFile();
    const key = this.prefix + MANIFEST_FILE;
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      const current = await this.storage.getVersioned(key);
      const previous = current ? parseManifest(Buffer.from(current.bytes).toString('utf8'), this.storage.uriOf(key)) : undefined;
      if (!previous && this.files.length === 0 && this.schema) {
        // A new partition gets its schema file, as commit() gives it.
        this.current = this.startFile();
        await this.closeFile();
      }
      const mine = this.schema ? hashSchema(columnsOf(this.schema)) : undefined;
      if (previous && mine && previous.files.length && previous.schema_hash !== mine && this.files.some((f) => f.rows > 0)) {
        await this.abort();
        throw new BadInputError(`${this.storage.uriOf(key)} has schema ${previous.schema_hash}, and the files appended to it have ${mine}: one partition cannot mix them`, {
          context: { partition: this.prefix },
          fix: 're-run the day in batch mode (it replaces the partition) after changing the columns, or keep the columns until the day is over',
        });
      }
      const decided = merge(previous, this.files);
      if ('conflict' in decided) {
        await this.abort();
        return { conflict: decided.conflict, attempts: attempt };
      }
      const files = [...(previous?.files ?? []), ...this.files];
      // The partition keeps its schema: appended files either match it or hold no rows.
      const manifest = this.buildManifest(files, decided.meta, undefined, previous?.schema);
      if (await this.storage.putBytesIf(key, JSON.stringify(manifest, null, 2), current?.version, 'application/json')) {
        this.state = 'committed';
        return { manifest, attempts: attempt };
      }
    }
    await this.abort();
    throw new Error(`${this.storage.uriOf(key)}: ${APPEND_ATTEMPTS} conditional writes of the manifest lost to other writers`);
  }

  private buildManifest(files: readonly ManifestFile[], meta: Readonly<Record<string, unknown>>, committedAt?: string, keepSchema?: readonly ColumnDef[]): Manifest {
    const schema: ColumnDef[] = keepSchema ? [...keepSchema] : this.schema ? columnsOf(this.schema) : [];
    return {
      format: MANIFEST_FORMAT,
      dataset: this.opts.dataset,
      ds: this.opts.ds,
      rows: files.reduce((n, f) => n + f.rows, 0),
      files: [...files],
      schema,
      schema_hash: hashSchema(schema),
      producer: { step: this.opts.step, run_id: this.opts.runId },
      committed_at: committedAt ?? new Date().toISOString(),
      // What steps record about a partition is theirs to say; secrets in it are not.
      meta: redactDocument(meta) as typeof meta,
    };
  }

  /**
   * After the commit: the previous manifest's files go at once (the partition is replaced), and
   * unlisted part files only once they are older than the grace period, so a concurrent attempt's
   * files are never pulled from under it.
   */
  private async removeSuperseded(manifest: Manifest, previousManifest: Uint8Array | undefined): Promise<void> {
    const keep = new Set([...manifest.files.map((f) => f.key), this.prefix + MANIFEST_FILE]);
    const previous = previousManifest ? (JSON.parse(Buffer.from(previousManifest).toString('utf8')) as Partial<Manifest>).files ?? [] : [];
    const replaced = previous.map((f) => f.key).filter((k) => !keep.has(k));
    const cutoff = Date.now() - (this.opts.orphanGraceMs ?? 3_600_000);
    const orphans = (await this.storage.list(this.prefix))
      .filter((o) => !keep.has(o.key) && !replaced.includes(o.key) && PART_FILE.test(o.key) && o.modified.getTime() <= cutoff)
      .map((o) => o.key);
    const stale = [...replaced, ...orphans];
    if (stale.length) {
      await this.storage.deleteMany(stale);
      this.opts.log?.debug('removed superseded files', { partition: this.prefix, replaced: replaced.length, orphans: orphans.length });
    }
  }

  /** Discards what this attempt wrote; the previous manifest and files stay as they were. */
  async abort(reason?: unknown): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    if (this.current) await this.current.writer.abort(reason).catch(() => undefined);
    this.current = undefined;
    const mine = (await this.storage.list(this.prefix)).map((o) => o.key).filter((k) => k.includes(`part-${this.token}-`));
    await this.storage.deleteMany(mine);
  }

  private checkSchema(schema: arrow.Schema): void {
    try {
      columnsOf(schema);
    } catch (e) {
      throw new BadInputError(`${(e as Error).message} (writing ${this.prefix})`, {
        context: { partition: this.prefix },
        fix: 'cast the column to string, integer, float, boolean, date or timestamp at the source',
      });
    }
  }

  private startFile(): { key: string; writer: ParquetWriter } {
    const key = this.nextKey();
    this.rowsInFile = 0;
    const writer = openParquetWriter((body) => this.storage.putStream(key, body, 'application/vnd.apache.parquet'), {
      rowGroupSize: this.opts.rowGroupSize,
      compression: this.opts.compression,
      statistics: this.opts.statistics,
      schema: this.schema,
    });
    return { key, writer };
  }

  private nextKey(): string {
    return `${this.prefix}part-${this.token}-${String(this.files.length).padStart(4, '0')}.parquet`;
  }

  private async closeFile(): Promise<void> {
    if (!this.current) return;
    const { key, writer } = this.current;
    this.current = undefined;
    const { rows, bytes } = await writer.close();
    this.files.push({ key, rows, bytes });
  }
}
