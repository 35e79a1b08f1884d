import { Worker } from 'node:worker_threads';

/**
 * One worker thread per process that runs parquet-wasm's encoder and decoder, so Parquet's
 * compression and decoding use the second core while the step's own code runs on the main thread.
 *
 * The worker serves any number of streams at once, each with an id. Record batches cross the
 * thread boundary as Arrow IPC bytes whose buffers are transferred, not copied. Both directions are
 * flow-controlled, so a stream holds a bounded number of batches whatever its size:
 * - encoding: the worker asks for the next group of rows (`need`) while it encodes the current one,
 *   so one group is prepared ahead; it sends each Parquet chunk and waits for the consumer's `ack`
 *   before reading more of the encoder's output;
 * - decoding: the worker keeps at most READ_AHEAD decoded batches unacknowledged.
 *
 * The worker keeps the process alive only while someone awaits it, so neither an idle worker nor a
 * stream its caller abandoned (a step that failed without closing a writer) holds a process open.
 */

/** Messages from the main thread. */
export type ToWorker =
  | {
      readonly op: 'encode';
      readonly id: number;
      readonly compression: 'ZSTD' | 'SNAPPY' | 'LZ4_RAW' | 'UNCOMPRESSED';
      readonly statistics: 'Chunk' | 'None';
      readonly rowGroupSize: number;
      readonly dictionaryPageLimit: number;
    }
  | { readonly op: 'batch'; readonly id: number; readonly ipc: Uint8Array }
  | { readonly op: 'end'; readonly id: number }
  | { readonly op: 'decode'; readonly id: number; readonly path: string; readonly batchSize: number; readonly columns?: readonly string[] }
  | { readonly op: 'ack'; readonly id: number }
  | { readonly op: 'cancel'; readonly id: number };

/** Messages from the worker. */
export type FromWorker =
  | { readonly op: 'need'; readonly id: number }
  | { readonly op: 'chunk'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly op: 'done'; readonly id: number }
  | { readonly op: 'error'; readonly id: number; readonly message: string };

/**
 * Environment for a step process, set where we start one (the images, run-pipeline, the
 * benchmarks).
 * - MALLOC_MMAP_THRESHOLD_: batches change threads as buffers malloc'd on one thread and freed on
 *   the other; glibc's adaptive mmap threshold then serves them from its heaps and keeps the freed
 *   memory, which measured about 80 MB more peak RSS in the standardize step. A fixed threshold
 *   sends every buffer over 128 KiB to mmap, returned to the system when freed.
 * - NODE_OPTIONS=--max-semi-space-size=16: V8 sizes the young generation from the heap limit (32
 *   MiB semi-spaces for the 4 GiB default here); the steps' short-lived garbage (cells, rows,
 *   keys) fills it between scavenges. Half of that measured, at 10 M sales, 60 MB less peak RSS in
 *   build-star-schema (441 -> 369 MB, three runs each, no slower) and 40 MB less in check-quality
 *   (453 -> 412 MB, CPU within the runs' spread); standardize and mask did not change.
 */
export const STEP_PROCESS_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=16' });

/** Decoded batches the worker may send ahead of the consumer. */
export const READ_AHEAD = 1;

// Plain JavaScript, evaluated in the worker: it must not depend on how this package was built or
// loaded (dist under node, sources under jest), so it gets parquet-wasm's resolved path instead.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { openAsBlob } = require('node:fs');
const pw = require(workerData.parquetWasm);
const READ_AHEAD = ${READ_AHEAD};
const streams = new Map();
const post = (msg, transfer) => parentPort.postMessage(msg, transfer || []);
const fail = (id, err) => {
  if (!streams.has(id)) return;
  streams.delete(id);
  post({ op: 'error', id, message: err && err.message ? err.message : String(err) });
};
// Only a buffer that the view covers whole can be transferred; anything else is copied once.
const own = (bytes) => (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice());
const waiter = () => { let resolve; const promise = new Promise((r) => (resolve = r)); return { promise, resolve }; };

function startEncode(msg) {
  const s = { kind: 'encode', inbox: [], wake: null, ended: false, credit: waiter(), reader: null, cancelled: false };
  s.credit.resolve();
  streams.set(msg.id, s);
  const source = new ReadableStream({
    pull: async (controller) => {
      while (s.inbox.length === 0 && !s.ended && !s.cancelled) {
        const w = waiter(); s.wake = w.resolve; post({ op: 'need', id: msg.id }); await w.promise;
      }
      if (s.inbox.length) return controller.enqueue(s.inbox.shift());
      controller.close();
    },
  }, { highWaterMark: 1 });
  // The same properties as encodeParquet's inline path.
  const props = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression[msg.compression])
    .setMaxRowGroupSize(msg.rowGroupSize)
    .setDictionaryPageSizeLimit(msg.dictionaryPageLimit)
    .setStatisticsEnabled(pw.EnabledStatistics[msg.statistics])
    .build();
  (async () => {
    const reader = (await pw.transformParquetStream(source, props)).getReader();
    s.reader = reader;
    for (;;) {
      await s.credit.promise;
      if (s.cancelled) return;
      const next = await reader.read();
      if (s.cancelled) return;
      if (next.done) { streams.delete(msg.id); return post({ op: 'done', id: msg.id }); }
      s.credit = waiter();
      const bytes = own(next.value);
      post({ op: 'chunk', id: msg.id, bytes }, [bytes.buffer]);
    }
  })().catch((err) => fail(msg.id, err));
}

function onBatch(msg) {
  const s = streams.get(msg.id);
  if (!s) return;
  try {
    const table = pw.Table.fromIPCStream(msg.ipc);
    try { s.inbox.push(...table.recordBatches()); } finally { table.free(); }
  } catch (err) { return fail(msg.id, err); }
  if (s.wake) { const w = s.wake; s.wake = null; w(); }
}

function startDecode(msg) {
  const s = { kind: 'decode', credit: READ_AHEAD, wake: null, reader: null, file: null, cancelled: false };
  streams.set(msg.id, s);
  (async () => {
    s.file = await pw.ParquetFile.fromFile(await openAsBlob(msg.path));
    const stream = await s.file.stream({ batchSize: msg.batchSize, columns: msg.columns ? [...msg.columns] : undefined });
    s.reader = stream.getReader();
    for (;;) {
      while (s.credit === 0 && !s.cancelled) { const w = waiter(); s.wake = w.resolve; await w.promise; }
      if (s.cancelled) return;
      const next = await s.reader.read();
      if (s.cancelled) { if (!next.done) next.value.free(); return; }
      if (next.done) { s.reader = null; closeDecode(s); streams.delete(msg.id); return post({ op: 'done', id: msg.id }); }
      let bytes;
      try { bytes = own(next.value.intoIPCStream()); } finally { try { next.value.free(); } catch {} }
      s.credit--;
      post({ op: 'chunk', id: msg.id, bytes }, [bytes.buffer]);
    }
  })().catch((err) => { closeDecode(s); fail(msg.id, err); });
}

function closeDecode(s) {
  if (s.reader) { s.reader.cancel().catch(() => undefined); s.reader = null; }
  if (s.file) { try { s.file.free(); } catch {} s.file = null; }
}

parentPort.on('message', (msg) => {
  const s = streams.get(msg.id);
  switch (msg.op) {
    case 'encode': return startEncode(msg);
    case 'decode': return startDecode(msg);
    case 'batch': return onBatch(msg);
    case 'end':
      if (s) { s.ended = true; if (s.wake) { const w = s.wake; s.wake = null; w(); } }
      return;
    case 'ack':
      if (!s) return;
      if (s.kind === 'encode') s.credit.resolve();
      else { s.credit++; if (s.wake) { const w = s.wake; s.wake = null; w(); } }
      return;
    case 'cancel':
      if (!s) return;
      s.cancelled = true;
      streams.delete(msg.id);
      if (s.kind === 'encode') {
        for (const b of s.inbox.splice(0)) b.free();
        if (s.reader) s.reader.cancel().catch(() => undefined);
        s.credit.resolve();
      } else closeDecode(s);
      if (s.wake) { const w = s.wake; s.wake = null; w(); }
      return;
  }
});
`;

/** The consumer's side of one stream: messages for it, in order. */
export interface ThreadStream {
  readonly id: number;
  /** Sends a message about this stream to the worker. */
  send(msg: ToWorker, transfer?: readonly ArrayBuffer[]): void;
  /** Waits for the worker's next message about this stream (or a crash of the worker). */
  next(): Promise<FromWorker>;
  /** Ends the stream on both sides; safe to call more than once. */
  close(): void;
}

/** The shared Parquet worker of this process. */
export class ParquetThread {
  private static shared: ParquetThread | undefined;
  private readonly worker: Worker;
  private readonly inboxes = new Map<number, { queue: FromWorker[]; wake?: () => void }>();
  private nextId = 1;
  private waiting = 0;
  private crashed: Error | undefined;

  /** The process's worker, started on first use. */
  static get(): ParquetThread {
    if (!ParquetThread.shared || ParquetThread.shared.crashed) ParquetThread.shared = new ParquetThread();
    return ParquetThread.shared;
  }

  private constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { parquetWasm: require.resolve('parquet-wasm') },
      // The worker's own heap holds no data (that lives in WASM memory), so a small one will do.
      resourceLimits: { maxOldGenerationSizeMb: 64 },
    });
    this.worker.unref();
    this.worker.on('message', (msg: FromWorker) => this.deliver(msg.id, msg));
    // A WASM trap (a panic on a damaged file) ends the worker: its streams fail, the next one starts a new worker.
    this.worker.on('error', (err) => this.crash(err));
    this.worker.on('exit', (code) => this.crash(new Error(`the Parquet worker thread exited with code ${code}`)));
  }

  /** Opens a stream. */
  open(): ThreadStream {
    if (this.crashed) throw this.crashed;
    const id = this.nextId++;
    const inbox: { queue: FromWorker[]; wake?: () => void } = { queue: [] };
    this.inboxes.set(id, inbox);
    let open = true;
    return {
      id,
      send: (msg, transfer) => {
        if (open && !this.crashed) this.worker.postMessage(msg, transfer as ArrayBuffer[] | undefined);
      },
      next: async () => {
        while (inbox.queue.length === 0) {
          if (this.crashed) throw this.crashed;
          if (this.waiting++ === 0) this.worker.ref();
          try {
            await new Promise<void>((resolve) => (inbox.wake = resolve));
          } finally {
            inbox.wake = undefined;
            if (--this.waiting === 0) this.worker.unref();
          }
        }
        return inbox.queue.shift()!;
      },
      close: () => {
        if (!open) return;
        open = false;
        if (!this.crashed) this.worker.postMessage({ op: 'cancel', id } satisfies ToWorker);
        this.inboxes.delete(id);
      },
    };
  }

  private deliver(id: number, msg: FromWorker): void {
    const inbox = this.inboxes.get(id);
    if (!inbox) return; // a stream closed early: its late messages are dropped
    inbox.queue.push(msg);
    inbox.wake?.();
  }

  private crash(err: Error): void {
    this.crashed ??= err;
    for (const inbox of this.inboxes.values()) inbox.wake?.();
  }
}
