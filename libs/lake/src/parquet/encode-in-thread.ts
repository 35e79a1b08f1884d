import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as arrow from 'apache-arrow';
import type { EncoderThreadData } from './parquet-encoder-thread';

/** Row groups handed to the thread and not yet taken by its encoder: one encoding, one waiting. */
const IN_FLIGHT = 2;

/** The compiled thread script beside this module; absent when running from TypeScript sources (tests), where encoding stays on the calling thread. */
export function defaultEncoderThreadScript(): string | undefined {
  const script = path.join(__dirname, 'parquet-encoder-thread.js');
  return existsSync(script) ? script : undefined;
}

type Outbound = { readonly taken: true } | { readonly chunk: Uint8Array } | { readonly done: true } | { readonly error: string };

/**
 * Encodes row groups on a worker thread and yields the Parquet bytes it sends back. The calling
 * thread only serialises each group to Arrow IPC (a copy of its buffers), so it goes on producing
 * batches while the thread compresses: decoding and encoding use two cores. At most IN_FLIGHT
 * groups wait for the thread, so memory stays bounded by a few row groups.
 *
 * `nextGroup` returns [] at the end of the input; its errors (a batch that does not fit the
 * schema, a failed read) end the thread and are thrown from here, so a sink never keeps a
 * truncated file. Returning early also ends the thread.
 */
export async function* encodeGroupsInThread(
  script: string,
  settings: EncoderThreadData,
  first: readonly arrow.RecordBatch[],
  nextGroup: () => Promise<arrow.RecordBatch[]>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const worker = new Worker(script, { workerData: settings });
  const chunks: Uint8Array[] = [];
  let credit = IN_FLIGHT;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let wakeFeeder: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    signal();
    wakeFeeder?.();
  };
  worker.on('message', (m: Outbound) => {
    if ('taken' in m) {
      credit++;
      wakeFeeder?.();
      wakeFeeder = undefined;
    } else if ('chunk' in m) {
      chunks.push(m.chunk);
      signal();
    } else if ('done' in m) {
      done = true;
      signal();
    } else {
      fail(new Error(`the Parquet encoder thread failed: ${m.error}`));
    }
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => {
    if (!done) fail(new Error(`the Parquet encoder thread exited (code ${code}) before the file was complete`));
  });

  const send = (group: readonly arrow.RecordBatch[]) => {
    const ipc = arrow.tableToIPC(new arrow.Table(group as arrow.RecordBatch[]), 'stream');
    worker.postMessage({ group: ipc }, [ipc.buffer as ArrayBuffer]);
  };
  let stopped = false;
  const feed = async () => {
    send(first);
    credit--;
    for (;;) {
      while (credit === 0 && !stopped && !failure) await new Promise<void>((r) => (wakeFeeder = r));
      if (stopped || failure) return;
      const group = await nextGroup();
      if (stopped || failure) return;
      if (group.length === 0) break;
      send(group);
      credit--;
    }
    worker.postMessage({ end: true });
  };
  const feeding = feed().catch(fail);

  try {
    for (;;) {
      while (chunks.length === 0 && !done && !failure) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure.error;
      if (chunks.length > 0) yield chunks.shift()!;
      else if (done) break;
    }
    await feeding;
    if (failure) throw (failure as { error: unknown }).error;
  } finally {
    stopped = true;
    wakeFeeder?.();
    if (!done || failure) void worker.terminate();
    else void worker.terminate().catch(() => undefined);
  }
}
