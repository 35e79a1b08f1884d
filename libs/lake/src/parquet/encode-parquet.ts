import * as arrow from 'apache-arrow';
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, transformParquetStream, writeParquet } from 'parquet-wasm';
import type { RecordBatch as WasmRecordBatch, WriterProperties } from 'parquet-wasm';
import { BadInputError } from '@salesflow/errors';
import { ParquetThread } from './parquet-thread';

/** Page compression codec of a Parquet file. */
export type ParquetCompression = 'zstd' | 'snappy' | 'lz4' | 'uncompressed';

/** Column statistics a Parquet file keeps: min, max and null count per column chunk, or none. */
export type ParquetStatistics = 'chunk' | 'none';

/** Rows per row group unless told otherwise: large enough for good compression, small enough to stream. */
export const DEFAULT_ROW_GROUP_SIZE = 131_072;

/** How to encode a Parquet file. */
export interface EncodeParquetOptions {
  /** Rows per row group; consecutive small batches are coalesced up to this many rows. Default 131072. */
  readonly rowGroupSize?: number;
  /** Page compression codec. Default 'zstd'. */
  readonly compression?: ParquetCompression;
  /** Column statistics. Default 'chunk'. */
  readonly statistics?: ParquetStatistics;
  /**
   * Where parquet-wasm encodes: 'worker' (default) on the process's Parquet worker thread, so
   * compression runs on the second core while the caller builds the next batches; 'inline' on the
   * calling thread. LAKE_PARQUET_THREAD=inline in the environment makes 'inline' the default.
   */
  readonly thread?: ParquetThreadMode;
  /**
   * The file's schema. Needed when there may be no batches (an empty file is then written with
   * it); when given, every batch must match it instead of the first batch's schema.
   */
  readonly schema?: arrow.Schema;
}

/**
 * Rows handed to the Parquet worker at a time. The encoder still fills row groups of rowGroupSize
 * rows; smaller handoffs keep fewer rows waiting in front of it (one handoff is prepared ahead).
 */
const THREAD_HANDOFF_ROWS = 32_768;

/**
 * Largest dictionary page per column chunk. A column of few distinct values (a status, a product
 * code) stays dictionary-encoded; one of mostly distinct values (ids, timestamps, names) falls
 * back to plain encoding after 64 KiB instead of the 1 MiB default. With the default, writing
 * 1 M sales rows spent about two thirds of its time building dictionaries it then dropped, and
 * the file came out twice as large.
 *
 * Statistics (min, max, nulls) are kept per column chunk, which is what row-group pruning
 * reads; the per-page ones the default also writes cost about 15% of the encoding time. Where no
 * reader prunes (the raw zone, read whole by standardize), 'none' saves another 25% on text
 * columns: each value is compared with the chunk's min and max.
 */
const DICTIONARY_PAGE_LIMIT = 64 * 1024;

/** Where Parquet is encoded and decoded: on the process's Parquet worker thread, or on the calling thread. */
export type ParquetThreadMode = 'worker' | 'inline';

/** The default thread mode: LAKE_PARQUET_THREAD=inline turns the worker off (to compare, or to debug). */
export function defaultThreadMode(): ParquetThreadMode {
  return process.env.LAKE_PARQUET_THREAD === 'inline' ? 'inline' : 'worker';
}

const STATISTICS: Readonly<Record<ParquetStatistics, 'Chunk' | 'None'>> = Object.freeze({ chunk: 'Chunk', none: 'None' });

const CODECS: Readonly<Record<ParquetCompression, 'ZSTD' | 'SNAPPY' | 'LZ4_RAW' | 'UNCOMPRESSED'>> = Object.freeze({
  zstd: 'ZSTD',
  snappy: 'SNAPPY',
  // Parquet's LZ4_RAW (plain LZ4 blocks), not the deprecated Hadoop-framed LZ4.
  lz4: 'LZ4_RAW',
  uncompressed: 'UNCOMPRESSED',
});

/**
 * Streams a Parquet file as bytes while consuming record batches, so memory stays bounded by
 * about one row group whatever the number of batches.
 *
 * Every batch must have the schema of the first one (or `opts.schema` when given): same field
 * names in the same order and the same types. A mismatch throws a BadInputError naming the field.
 * With no batches at all, an empty file is written with `opts.schema`; without it this throws.
 * If `batches` throws, the returned iterable throws too, so a sink never mistakes a truncated
 * file for a complete one.
 */
export async function* encodeParquet(
  batches: AsyncIterable<arrow.RecordBatch>,
  opts: EncodeParquetOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  const codec = CODECS[opts.compression ?? 'zstd'];
  if (codec === undefined) throw new RangeError(`unknown Parquet compression "${opts.compression}"`);
  const statistics = STATISTICS[opts.statistics ?? 'chunk'];
  if (statistics === undefined) throw new RangeError(`unknown Parquet statistics "${opts.statistics}"`);
  const properties = (): WriterProperties =>
    new WriterPropertiesBuilder()
      .setCompression(Compression[codec])
      .setMaxRowGroupSize(rowGroupSize)
      .setDictionaryPageSizeLimit(DICTIONARY_PAGE_LIMIT)
      .setStatisticsEnabled(EnabledStatistics[statistics])
      .build();

  const input = batches[Symbol.asyncIterator]();
  let schema = opts.schema;
  let seen = 0;
  let inputDone = false;

  // Coalescing happens here rather than in the callers: converting each batch to WASM costs an
  // IPC round trip, so many tiny batches are much slower than a few row-group-sized ones.
  const nextGroup = async (limit = rowGroupSize): Promise<arrow.RecordBatch[]> => {
    const group: arrow.RecordBatch[] = [];
    let rows = 0;
    while (rows < limit && !inputDone) {
      const next = await input.next();
      if (next.done) {
        inputDone = true;
        break;
      }
      schema ??= next.value.schema;
      const batch = conformBatch(schema, next.value, seen++);
      if (batch.numRows === 0) continue;
      group.push(batch);
      rows += batch.numRows;
    }
    return group;
  };

  let queue: WasmRecordBatch[] = [];
  let finished = false;
  let stopped = false;
  try {
    const onThread = (opts.thread ?? defaultThreadMode()) === 'worker';
    const groupRows = onThread ? Math.min(rowGroupSize, THREAD_HANDOFF_ROWS) : rowGroupSize;
    const first = await nextGroup(groupRows);
    if (first.length === 0) {
      // transformParquetStream fails on a stream without batches, so an empty file is written whole.
      if (!schema) throw new Error('encodeParquet got no batches and no schema; pass opts.schema to write an empty file');
      const empty = WasmTable.fromIPCStream(arrow.tableToIPC(new arrow.Table(schema), 'stream'));
      yield writeParquet(empty, properties());
      finished = true;
      return;
    }
    if (onThread) {
      yield* encodeOnThread(first, () => nextGroup(groupRows), { compression: codec, statistics, rowGroupSize });
      finished = true;
      return;
    }
    queue = toWasmBatches(first);

    // parquet-wasm skips input errors and still writes a valid footer, which would make a
    // truncated file look complete; so an input failure is raised on the output side as well.
    const inputFailed = new AbortController();

    const source = new ReadableStream<WasmRecordBatch>(
      {
        async pull(controller) {
          try {
            while (queue.length === 0) {
              if (inputDone || stopped) return controller.close();
              const group = await nextGroup();
              if (stopped) return controller.close();
              queue = toWasmBatches(group);
            }
            controller.enqueue(queue.shift()!);
          } catch (err) {
            inputFailed.abort(err);
            controller.error(err);
          }
        },
      },
      // Pull only when the encoder asks, so at most one group waits in front of it.
      { highWaterMark: 0 },
    );
    const reader = (await transformParquetStream(source, properties())).getReader() as ReadableStreamDefaultReader<Uint8Array>;
    try {
      for (;;) {
        const chunk = await unlessAborted(inputFailed.signal, reader.read());
        if (chunk.done) break;
        yield chunk.value;
      }
      finished = true;
    } finally {
      if (!finished) reader.cancel().catch(() => undefined);
    }
  } finally {
    if (!finished) {
      stopped = true;
      for (const b of queue.splice(0)) b.free();
      // Not awaited: the encoder may still be inside input.next(), and an async generator's
      // return() waits for that, which never ends if the input is a stalled push channel.
      if (!inputDone) void Promise.resolve(input.return?.()).catch(() => undefined);
    }
  }
}

/**
 * The encoding loop on the Parquet worker: answers the worker's requests for rows with the next
 * group as Arrow IPC (prepared while the worker compresses the previous one) and yields its
 * Parquet chunks, acknowledging each once the consumer asks for more. An input failure ends the
 * stream without a footer, so the sink never keeps a truncated file that looks complete.
 */
async function* encodeOnThread(
  first: arrow.RecordBatch[],
  nextGroup: () => Promise<arrow.RecordBatch[]>,
  props: { readonly compression: 'ZSTD' | 'SNAPPY' | 'LZ4_RAW' | 'UNCOMPRESSED'; readonly statistics: 'Chunk' | 'None'; readonly rowGroupSize: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = ParquetThread.get().open();
  let pending: arrow.RecordBatch[] | undefined = first;
  try {
    stream.send({ op: 'encode', id: stream.id, ...props, dictionaryPageLimit: DICTIONARY_PAGE_LIMIT });
    for (;;) {
      const msg = await stream.next().catch((err: Error) => ({ op: 'error' as const, id: stream.id, message: err.message }));
      if (msg.op === 'need') {
        const group = pending ?? (await nextGroup());
        pending = undefined;
        if (group.length === 0) stream.send({ op: 'end', id: stream.id });
        else {
          const ipc = arrow.tableToIPC(new arrow.Table(group), 'stream');
          const own = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? ipc : ipc.slice();
          stream.send({ op: 'batch', id: stream.id, ipc: own }, [own.buffer as ArrayBuffer]);
        }
      } else if (msg.op === 'chunk') {
        yield msg.bytes;
        stream.send({ op: 'ack', id: stream.id });
      } else if (msg.op === 'done') return;
      else throw new Error(`parquet-wasm could not encode the file: ${msg.message}`);
    }
  } finally {
    stream.close();
  }
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts.
 *
 * Promise.race against a promise that stays pending (an abort that never comes) would keep
 * every value raced so far reachable through that promise's reaction list: with Parquet chunks
 * and record batches that leaked the whole file into memory. Listeners here are removed instead.
 */
export function unlessAborted<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Checks that `batch` fits `schema` (names, order and types) and returns it labelled with
 * `schema`, so the encoder sees one schema object. A non-nullable field may not hold nulls; a
 * batch that says nullable but has no nulls is accepted. Throws a BadInputError naming the field.
 */
export function conformBatch(schema: arrow.Schema, batch: arrow.RecordBatch, index: number): arrow.RecordBatch {
  if (batch.schema === schema) return checkNulls(schema, batch, index);
  const want = schema.fields;
  const got = batch.schema.fields;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    const g = got[i];
    let problem: string | undefined;
    if (!g) problem = `field "${w!.name}" is missing`;
    else if (!w) problem = `field "${g.name}" is not in the schema`;
    else if (w.name !== g.name) problem = `field ${i} is "${g.name}" where the schema has "${w.name}"`;
    else if (!sameType(w.type, g.type)) problem = `field "${g.name}" is ${g.type} where the schema has ${w.type}`;
    if (problem) {
      throw new BadInputError(`Record batch ${index} does not match the Parquet file's schema: ${problem}`, {
        context: { batch: index, field: (g ?? w)!.name },
        fix: "build every batch with the first batch's schema (or opts.schema), casting columns where they differ",
      });
    }
  }
  return checkNulls(schema, new arrow.RecordBatch(schema, batch.data), index);
}

function checkNulls(schema: arrow.Schema, batch: arrow.RecordBatch, index: number): arrow.RecordBatch {
  schema.fields.forEach((f, i) => {
    const nulls = f.nullable ? 0 : batch.data.children[i]!.nullCount;
    if (nulls > 0) {
      throw new BadInputError(`Record batch ${index} has ${nulls} null(s) in field "${f.name}", which the schema declares non-nullable`, {
        context: { batch: index, field: f.name },
        fix: `make "${f.name}" nullable in the schema, or fill its nulls before writing`,
      });
    }
  });
  return batch;
}

// arrow's own compareTypes also compares dictionary ids and constructors, which differ between
// batches built separately (or read back over IPC) although the data has the same type.
function sameType(a: arrow.DataType, b: arrow.DataType): boolean {
  return a.typeId === b.typeId && String(a) === String(b);
}

function toWasmBatches(group: readonly arrow.RecordBatch[]): WasmRecordBatch[] {
  if (group.length === 0) return [];
  const table = WasmTable.fromIPCStream(arrow.tableToIPC(new arrow.Table(group as arrow.RecordBatch[]), 'stream'));
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}
