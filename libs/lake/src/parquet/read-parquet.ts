import { batchesOfIpc, plainSchema } from '@salesflow/batches';
import { BadInputError } from '@salesflow/errors';
import { openAsBlob } from 'node:fs';
import * as arrow from 'apache-arrow';
import { ParquetFile } from 'parquet-wasm';
import type { RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import { defaultThreadMode, type ParquetThreadMode } from './encode-parquet';
import { ParquetThread } from './parquet-thread';

/** Rows per batch unless told otherwise; parquet-wasm's own default (1024) makes far too many batches. */
export const DEFAULT_READ_BATCH_SIZE = 65_536;

/** How to read a Parquet file. */
export interface ReadParquetOptions {
  /** Rows per record batch (the last batch of each row group may be shorter). Default 65536. */
  readonly batchSize?: number;
  /** Read only these columns, in this order; unknown names throw. Default: all columns. */
  readonly columns?: readonly string[];
  /**
   * Where parquet-wasm decodes: 'worker' (default) on the process's Parquet worker thread, which
   * decodes the next batches while the caller works on this one; 'inline' on the calling thread.
   * LAKE_PARQUET_THREAD=inline in the environment makes 'inline' the default.
   */
  readonly thread?: ParquetThreadMode;
  /**
   * Called with each decoded chunk as Arrow IPC stream bytes (the columns read, in file order),
   * before its batches are yielded, and awaited: a consumer elsewhere (another thread) sees the
   * same data without decoding the file again, and can hold the read back by not resolving.
   * `batchesOfIpc` (@salesflow/batches) turns the bytes into the batches this reader yields.
   */
  readonly onChunk?: (ipc: Uint8Array) => void | Promise<void>;
}

/**
 * Streams the record batches of a local Parquet file, one batch in memory at a time.
 *
 * What the values come back as (through `vector.get(i)`):
 * - Utf8 as string; dictionary-encoded strings are decoded to plain Utf8, so downstream code
 *   sees one string type whatever the writer used;
 * - Int32 and Float64 as number, Int64 as bigint, Bool as boolean;
 * - DateDay (date32) and TimestampMillisecond as a number of milliseconds since the epoch (UTC),
 *   not a Date: wrap it in `new Date(ms)` where a Date is needed;
 * - nulls as null; field types, nullability and timezones are those that were written.
 */
export async function* readParquetFile(path: string, opts: ReadParquetOptions = {}): AsyncGenerator<arrow.RecordBatch, void, undefined> {
  const columns = opts.columns ? [...opts.columns] : undefined;
  const batchSize = opts.batchSize ?? DEFAULT_READ_BATCH_SIZE;
  if ((opts.thread ?? defaultThreadMode()) === 'worker') {
    // The footer is read here too, so a broken file or an unknown column fails the same way.
    const file = await openParquetFile(path);
    try {
      if (columns) checkColumns(path, schemaOf(file), columns);
    } finally {
      file.free();
    }
    yield* decodeOnThread(path, batchSize, columns, opts.onChunk);
    return;
  }
  const file = await openParquetFile(path);
  let reader: ReadableStreamDefaultReader<WasmRecordBatch> | undefined;
  try {
    if (columns) checkColumns(path, schemaOf(file), columns);
    const stream = await file.stream({ batchSize, columns });
    reader = stream.getReader() as ReadableStreamDefaultReader<WasmRecordBatch>;
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        reader = undefined;
        break;
      }
      const ipc = next.value.intoIPCStream();
      if (opts.onChunk) await opts.onChunk(ipc);
      yield* batchesOfIpc(ipc, columns);
    }
  } finally {
    if (reader) await reader.cancel().catch(() => undefined);
    file.free();
  }
}

/** readParquetFile's loop on the Parquet worker, which keeps a bounded number of decoded batches ahead. */
async function* decodeOnThread(
  path: string,
  batchSize: number,
  columns: string[] | undefined,
  onChunk: ReadParquetOptions['onChunk'],
): AsyncGenerator<arrow.RecordBatch, void, undefined> {
  const stream = ParquetThread.get().open();
  try {
    stream.send({ op: 'decode', id: stream.id, path, batchSize, columns });
    for (;;) {
      const msg = await stream.next().catch((err: Error) => ({ op: 'error' as const, id: stream.id, message: err.message }));
      if (msg.op === 'done') return;
      if (msg.op === 'error') throw new Error(`${path} could not be read: ${msg.message}`);
      if (msg.op !== 'chunk') continue;
      stream.send({ op: 'ack', id: stream.id });
      if (onChunk) await onChunk(msg.bytes);
      yield* batchesOfIpc(msg.bytes, columns);
    }
  } finally {
    stream.close();
  }
}

/** The Arrow schema of a local Parquet file, with dictionary strings shown as Utf8 as readParquetFile returns them. */
export async function readParquetSchema(path: string): Promise<arrow.Schema> {
  const file = await openParquetFile(path);
  try {
    return plainSchema(schemaOf(file));
  } finally {
    file.free();
  }
}

/** The number of rows of a local Parquet file, from its footer without reading any data. */
export async function countParquetRows(path: string): Promise<number> {
  const file = await openParquetFile(path);
  try {
    return file.metadata().fileMetadata().numRows();
  } finally {
    file.free();
  }
}

async function openParquetFile(path: string): Promise<ParquetFile> {
  // A blob reads lazily, so only the footer and the requested column chunks leave the disk.
  const blob = await openAsBlob(path);
  try {
    return await ParquetFile.fromFile(blob as unknown as Parameters<typeof ParquetFile.fromFile>[0]);
  } catch (err) {
    // A broken footer will not mend on a retry: bad input (exit 4), not a transient failure.
    throw new BadInputError(`${path} is not a readable Parquet file: ${err instanceof Error ? err.message : String(err)}`, {
      context: { file: path },
      fix: 'the file is truncated or not Parquet: export it again from the source, or set the entity format to what the file really is',
      cause: err,
    });
  }
}

function schemaOf(file: ParquetFile): arrow.Schema {
  return arrow.tableFromIPC(file.schema().intoIPCStream()).schema;
}

function checkColumns(path: string, schema: arrow.Schema, columns: readonly string[]): void {
  const names = new Set(schema.fields.map((f) => f.name));
  const unknown = columns.filter((c) => !names.has(c));
  if (unknown.length) {
    throw new Error(`${path} has no column(s) ${unknown.map((c) => `"${c}"`).join(', ')}; it has ${[...names].join(', ')}`);
  }
}
