import type * as arrow from 'apache-arrow';
import { ExitCode, LakeObjectNotFoundError, PipelineError } from '@salesflow/errors';
import { redactDocument, type Logger } from '@salesflow/logging';
import { readParquetFile, type ParquetCompression, type ParquetStatistics } from './parquet';
import { MANIFEST_FILE, parseManifest, type Manifest } from './partition/manifest';
import { partitionPrefix } from './partition/partition-paths';
import { PartitionWriter, type PartitionWriterOptions } from './partition/partition-writer';
import type { Storage } from './storage';

/** The zones whose partitions can be compressed differently (lake.compression). */
export type LakeZone = 'raw' | 'processed' | 'curated';

export interface LakeOptions {
  readonly rowGroupSize?: number;
  /** Page compression per zone, by a dataset's first path segment; other datasets and unset zones: zstd. */
  readonly compression?: Partial<Readonly<Record<LakeZone, ParquetCompression>>>;
  /** Column statistics per zone, likewise; unset: chunk. */
  readonly statistics?: Partial<Readonly<Record<LakeZone, ParquetStatistics>>>;
  readonly log?: Logger;
}

export interface ReadOptions {
  readonly columns?: readonly string[];
  readonly batchSize?: number;
  /** Each decoded chunk as Arrow IPC bytes, awaited before its batches are yielded (ReadParquetOptions.onChunk). */
  readonly onChunk?: (ipc: Uint8Array) => void | Promise<void>;
}

/** The lake: partitions committed by manifests, JSON documents (state, run reports), over any Storage. */
export class Lake {
  constructor(
    readonly storage: Storage,
    private readonly opts: LakeOptions = {},
  ) {}

  /** Starts writing a partition; nothing is visible until commit(). */
  openPartition(opts: Omit<PartitionWriterOptions, 'rowGroupSize' | 'log'> & { rowGroupSize?: number }): PartitionWriter {
    const zone = opts.dataset.slice(0, opts.dataset.indexOf('/')) as LakeZone;
    return new PartitionWriter(this.storage, { rowGroupSize: this.opts.rowGroupSize, compression: this.opts.compression?.[zone], statistics: this.opts.statistics?.[zone], log: this.opts.log, ...opts });
  }

  /** URI of a partition folder, for logs, run reports and lineage: ".../raw/files/x/customers/dt=2026-11-26/". */
  partitionUri(dataset: string, ds: string): string {
    return this.storage.uriOf(partitionPrefix(dataset, ds).replace(/\/$/, '')) + '/';
  }

  /** The manifest of a partition, or undefined when it is not committed. */
  async readManifest(dataset: string, ds: string): Promise<Manifest | undefined> {
    const key = partitionPrefix(dataset, ds) + MANIFEST_FILE;
    const bytes = await this.storage.getBytes(key);
    return bytes ? parseManifest(Buffer.from(bytes).toString('utf8'), this.storage.uriOf(key)) : undefined;
  }

  /** The manifest and its version (null when not committed), for a commit that must not replace a newer one (PartitionWriter.commit ifVersion). */
  async readManifestVersioned(dataset: string, ds: string): Promise<{ manifest?: Manifest; version: string | null }> {
    const key = partitionPrefix(dataset, ds) + MANIFEST_FILE;
    const got = await this.storage.getVersioned(key);
    return got ? { manifest: parseManifest(Buffer.from(got.bytes).toString('utf8'), this.storage.uriOf(key)), version: got.version } : { version: null };
  }

  /** The manifest, or a LakeObjectNotFoundError telling which step to run first. */
  async requireManifest(dataset: string, ds: string, producedBy: string): Promise<Manifest> {
    const m = await this.readManifest(dataset, ds);
    if (!m) {
      throw new LakeObjectNotFoundError(
        this.partitionUri(dataset, ds),
        `run the ${producedBy} step for --ds ${ds} first (a partition without ${MANIFEST_FILE} does not exist)`,
      );
    }
    return m;
  }

  /** Streams the record batches of exactly the files a manifest lists. */
  async *readManifestBatches(manifest: Manifest, opts: ReadOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    for (const f of manifest.files) {
      const local = await this.storage.openLocal(f.key).catch((e: unknown) => {
        // A listed file vanishes when the partition is replaced while we read it: retrying reads the new one.
        if (e instanceof LakeObjectNotFoundError) {
          throw new PartitionReplacedError(`Partition ${manifest.dataset} dt=${manifest.ds} was replaced while being read (${this.storage.uriOf(f.key)} is gone)`, {
            exitCode: ExitCode.failed,
            context: { dataset: manifest.dataset, ds: manifest.ds },
            fix: 'retry the step; it will read the new partition',
          });
        }
        throw e;
      });
      try {
        yield* readParquetFile(local.path, { batchSize: opts.batchSize, columns: opts.columns ? [...opts.columns] : undefined, onChunk: opts.onChunk });
      } finally {
        await local.release();
      }
    }
  }

  /** Streams a committed partition; throws when it is not committed. */
  async *readPartition(dataset: string, ds: string, producedBy: string, opts: ReadOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    yield* this.readManifestBatches(await this.requireManifest(dataset, ds, producedBy), opts);
  }

  /** The ds values of the committed partitions of a dataset, sorted ascending. */
  async listPartitions(dataset: string): Promise<string[]> {
    const prefix = dataset.replace(/\/+$/, '') + '/dt=';
    const out = new Set<string>();
    for (const o of await this.storage.list(prefix)) {
      const m = /^dt=(\d{4}-\d{2}-\d{2})\/_manifest\.json$/.exec(o.key.slice(prefix.length - 3));
      if (m) out.add(m[1]!);
    }
    return [...out].sort();
  }

  /** Reads a JSON document (state, run report), or undefined. */
  async readJson<T>(key: string): Promise<T | undefined> {
    const b = await this.storage.getBytes(key);
    return b ? (JSON.parse(Buffer.from(b).toString('utf8')) as T) : undefined;
  }

  /**
   * Writes a JSON document atomically, passed through redactDocument first: run reports and
   * lineage events carry error messages and URLs, and no secret may be stored with them.
   */
  async writeJson(key: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
    await this.storage.putBytes(key, JSON.stringify(redactDocument(JSON.parse(json)), null, 2), 'application/json');
  }
}

/**
 * A partition was replaced (re-run, or a newer batch moving fact rows out of it) while a step
 * read it. Every step is idempotent, so the step runner runs it again at once (executeStep,
 * retryInPlace): the new manifest is read and nothing half-done was committed.
 */
export class PartitionReplacedError extends PipelineError {
  readonly retryInPlace = true;
}
