import type * as arrow from 'apache-arrow';
import { conformBatch, encodeParquet, unlessAborted, type EncodeParquetOptions } from './encode-parquet';

/** A Parquet file being written batch by batch into a byte sink. */
export interface ParquetWriter {
  /**
   * Hands one batch to the encoder. Resolves once the encoder has taken it, which is how a slow
   * sink slows the caller down; rejects when the batch does not fit the schema (the writer stays
   * usable), or when the sink failed or the writer was aborted (it is then unusable).
   */
  write(batch: arrow.RecordBatch): Promise<void>;
  /** Ends the file and waits for the sink; resolves with the rows written and the bytes the sink reports. */
  close(): Promise<ParquetWriteResult>;
  /** Makes the sink's byte stream throw `reason`, so it discards what it wrote; waits for the sink to finish. */
  abort(reason?: unknown): Promise<void>;
  /** Rows accepted so far. */
  readonly rows: number;
}

/** What a closed ParquetWriter wrote. */
export interface ParquetWriteResult {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Consumes a Parquet byte stream (a local temp file, an S3 multipart upload) and resolves with
 * the number of bytes written. It must read `body` to its end, and must not keep what it wrote
 * when `body` throws.
 */
export type ParquetSink = (body: AsyncIterable<Uint8Array>) => Promise<number>;

type Handoff = { readonly batch: arrow.RecordBatch; readonly taken: () => void } | { readonly end: true };

/**
 * Opens a push-based Parquet writer over `put`, which starts consuming at once. Batches are
 * coalesced up to `rowGroupSize` rows by encodeParquet, so callers may push small batches.
 * Pass `opts.schema` when the file may get no batch at all: close() then writes an empty file
 * with it; without it, close() on an empty writer aborts the sink and throws.
 */
export function openParquetWriter(put: ParquetSink, opts: EncodeParquetOptions = {}): ParquetWriter {
  let schema = opts.schema;
  let rows = 0;
  let batches = 0;
  let state: 'open' | 'closing' | 'closed' | 'aborted' | 'failed' = 'open';
  let failure: unknown;

  // One-slot channel from write() to the encoder: write() offers a batch and waits until taken.
  let offered = deferred<Handoff>();
  // Aborted when the writer is aborted or the sink fails; everything waiting gives up then.
  const stop = new AbortController();
  // Serialises write() and close() so batches keep their order even when callers do not await.
  let last: Promise<unknown> = Promise.resolve();

  async function* source(): AsyncGenerator<arrow.RecordBatch, void, undefined> {
    for (;;) {
      const item = await unlessAborted(stop.signal, offered.promise);
      offered = deferred<Handoff>();
      if ('end' in item) return;
      item.taken();
      yield item.batch;
    }
  }

  const body = encodeParquet(source(), opts);
  // The sink's next() also watches `stop`, so abort reaches it even while the encoder is busy.
  const guarded: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => unlessAborted(stop.signal, body.next()),
      return: async () => {
        void body.return(undefined).catch(() => undefined);
        return { done: true, value: undefined };
      },
    }),
  };
  // A stopped encoder may be waiting on the sink or on write(); returning it frees the WASM side.
  stop.signal.addEventListener('abort', () => void body.return(undefined).catch(() => undefined), { once: true });
  const done = Promise.resolve()
    .then(() => put(guarded))
    .then((bytes) => {
      if (state === 'closing') return bytes;
      throw new Error('the Parquet sink returned before the writer was closed; a sink must read the whole body');
    });
  done.catch((err: unknown) => {
    if (state === 'open' || state === 'closing') {
      state = 'failed';
      failure = err;
      stop.abort(err);
    }
  });

  const usable = (): void => {
    if (state === 'open') return;
    if (state === 'failed') throw failure;
    if (state === 'aborted') throw new Error('the Parquet writer was aborted', { cause: failure });
    throw new Error('the Parquet writer is already closed');
  };

  const write = async (batch: arrow.RecordBatch): Promise<void> => {
    usable();
    schema ??= batch.schema;
    // Checked here as well as in the encoder so the caller's write() gets the error, not the sink.
    const conformed = conformBatch(schema, batch, batches++);
    // Empty batches still go to the encoder: the first one may be all it learns the schema from.
    const taken = deferred<void>();
    offered.resolve({ batch: conformed, taken: taken.resolve });
    await unlessAborted(stop.signal, taken.promise);
    rows += conformed.numRows;
  };

  const writer: ParquetWriter = {
    write(batch) {
      const p = last.then(() => write(batch));
      last = p.catch(() => undefined);
      return p;
    },
    close() {
      const p = last.then(async () => {
        usable();
        if (rows === 0 && !schema) {
          const err = new Error('cannot close a Parquet writer that got no batches and no schema; pass opts.schema to write an empty file');
          await writer.abort(err);
          throw err;
        }
        state = 'closing';
        offered.resolve({ end: true });
        const bytes = await done;
        state = 'closed';
        return Object.freeze({ rows, bytes });
      });
      last = p.catch(() => undefined);
      return p;
    },
    async abort(reason) {
      if (state === 'open' || state === 'closing') {
        state = 'aborted';
        failure = reason ?? new Error('the Parquet writer was aborted');
        stop.abort(failure);
      }
      if (state === 'closed') return;
      await done.catch(() => undefined);
    },
    get rows() {
      return rows;
    },
  };
  return writer;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
