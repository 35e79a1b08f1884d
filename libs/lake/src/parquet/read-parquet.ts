import { assembleBatch } from '@salesflow/batches';
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
    yield* decodeOnThread(path, batchSize, columns);
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
      for (const batch of arrow.tableFromIPC(next.value.intoIPCStream()).batches) {
        if (batch.numRows === 0) continue;
        // parquet-wasm returns columns in file order whatever order `columns` asks for.
        yield decodeDictionaries(columns ? inOrder(batch, columns) : batch);
      }
    }
  } finally {
    if (reader) await reader.cancel().catch(() => undefined);
    file.free();
  }
}

/** readParquetFile's loop on the Parquet worker, which keeps a bounded number of decoded batches ahead. */
async function* decodeOnThread(path: string, batchSize: number, columns: string[] | undefined): AsyncGenerator<arrow.RecordBatch, void, undefined> {
  const stream = ParquetThread.get().open();
  try {
    stream.send({ op: 'decode', id: stream.id, path, batchSize, columns });
    for (;;) {
      const msg = await stream.next().catch((err: Error) => ({ op: 'error' as const, id: stream.id, message: err.message }));
      if (msg.op === 'done') return;
      if (msg.op === 'error') throw new Error(`${path} could not be read: ${msg.message}`);
      if (msg.op !== 'chunk') continue;
      stream.send({ op: 'ack', id: stream.id });
      for (const batch of arrow.tableFromIPC(msg.bytes).batches) {
        if (batch.numRows === 0) continue;
        // parquet-wasm returns columns in file order whatever order `columns` asks for.
        yield decodeDictionaries(columns ? inOrder(batch, columns) : batch);
      }
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

// RecordBatch.select keeps the schema's order, so pick columns by index instead.
function inOrder(batch: arrow.RecordBatch, columns: readonly string[]): arrow.RecordBatch {
  const names = batch.schema.fields.map((f) => f.name);
  return batch.selectAt(columns.map((c) => names.indexOf(c)));
}

function plainSchema(schema: arrow.Schema): arrow.Schema {
  if (!schema.fields.some(isDictionaryOfUtf8)) return schema;
  return new arrow.Schema(
    schema.fields.map((f) => (isDictionaryOfUtf8(f) ? f.clone({ type: new arrow.Utf8() }) : f)),
    schema.metadata,
  );
}

function isDictionaryOfUtf8(field: arrow.Field): boolean {
  return arrow.DataType.isDictionary(field.type) && arrow.DataType.isUtf8(field.type.dictionary);
}

function decodeDictionaries(batch: arrow.RecordBatch): arrow.RecordBatch {
  const schema = plainSchema(batch.schema);
  if (schema === batch.schema) return batch;
  const children = batch.data.children.map((child, i) =>
    isDictionaryOfUtf8(batch.schema.fields[i]!) ? decodeUtf8Dictionary(child as arrow.Data<arrow.Dictionary<arrow.Utf8>>) : child,
  );
  return assembleBatch(schema, children, batch.numRows);
}

/** Copies each row's dictionary entry into a plain Utf8 column (nulls stay null). */
function decodeUtf8Dictionary(data: arrow.Data<arrow.Dictionary<arrow.Utf8>>): arrow.Data<arrow.Utf8> {
  const dict = flattenUtf8(data.dictionary!);
  const indices = data.values as ArrayLike<number | bigint>;
  const { length } = data;
  const offsets = new Int32Array(length + 1);
  const validity = new Uint8Array(((length + 63) & ~63) >> 3);
  let nulls = 0;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const k = Number(indices[i]);
    if (data.getValid(i) && dict.valid(k)) {
      bytes += dict.offsets[k + 1]! - dict.offsets[k]!;
      validity[i >> 3]! |= 1 << (i & 7);
    } else {
      nulls++;
    }
    offsets[i + 1] = bytes;
  }
  const values = new Uint8Array(bytes);
  for (let i = 0; i < length; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (end === start) continue;
    const from = dict.offsets[Number(indices[i])]!;
    values.set(dict.values.subarray(from, from + end - start), start);
  }
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: nulls, nullBitmap: nulls ? validity : null, valueOffsets: offsets, data: values });
}

/** One contiguous view of a dictionary, which arrow may hold in several chunks. */
function flattenUtf8(dictionary: arrow.Vector<arrow.Utf8>): { offsets: Int32Array; values: Uint8Array; valid(k: number): boolean } {
  const chunks = dictionary.data;
  if (chunks.length === 1) {
    const d = chunks[0]!;
    return { offsets: d.valueOffsets, values: d.values, valid: (k) => d.getValid(k) };
  }
  const strings: (string | null)[] = [...dictionary];
  const encoded = strings.map((s) => Buffer.from(s ?? '', 'utf8'));
  const offsets = new Int32Array(strings.length + 1);
  encoded.forEach((b, k) => (offsets[k + 1] = offsets[k]! + b.length));
  return { offsets, values: Buffer.concat(encoded), valid: (k) => strings[k] !== null };
}
