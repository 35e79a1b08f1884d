/**
 * The Parquet encoder's worker thread (see encode-in-thread.ts). It receives row groups as Arrow
 * IPC streams, encodes them with parquet-wasm, and posts the file's bytes back as they come, so
 * the calling thread keeps building the next batches meanwhile.
 *
 * Messages in: { group: Uint8Array } | { end: true }. Messages out: { taken: true } when a group
 * is taken into the encoder, { chunk: Uint8Array }, then { done: true } or { error: string }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, transformParquetStream } from 'parquet-wasm';
import type { RecordBatch as WasmRecordBatch } from 'parquet-wasm';

export interface EncoderThreadData {
  readonly compression: number;
  readonly rowGroupSize: number;
  readonly dictionaryPageLimit: number;
}

type Inbound = { readonly group: Uint8Array } | { readonly end: true };

const port = parentPort!;
const settings = workerData as EncoderThreadData;
const inbox: Inbound[] = [];
let wake: (() => void) | undefined;
port.on('message', (m: Inbound) => {
  inbox.push(m);
  wake?.();
  wake = undefined;
});

async function next(): Promise<Inbound> {
  while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
  const m = inbox.shift()!;
  if ('group' in m) port.postMessage({ taken: true });
  return m;
}

function toWasmBatches(ipc: Uint8Array): WasmRecordBatch[] {
  const table = WasmTable.fromIPCStream(ipc);
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}

async function run(): Promise<void> {
  let queue: WasmRecordBatch[] = [];
  const source = new ReadableStream<WasmRecordBatch>(
    {
      async pull(controller) {
        while (queue.length === 0) {
          const m = await next();
          if ('end' in m) return controller.close();
          queue = toWasmBatches(m.group);
        }
        controller.enqueue(queue.shift()!);
      },
    },
    { highWaterMark: 0 },
  );
  const properties = new WriterPropertiesBuilder()
    .setCompression(settings.compression)
    .setMaxRowGroupSize(settings.rowGroupSize)
    .setDictionaryPageSizeLimit(settings.dictionaryPageLimit)
    .setStatisticsEnabled(EnabledStatistics.Chunk)
    .build();
  const reader = (await transformParquetStream(source, properties)).getReader() as ReadableStreamDefaultReader<Uint8Array>;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    const chunk = r.value.byteOffset === 0 && r.value.byteLength === r.value.buffer.byteLength ? r.value : r.value.slice();
    port.postMessage({ chunk }, [chunk.buffer as ArrayBuffer]);
  }
  port.postMessage({ done: true });
}

run().catch((err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }));
