import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ColumnDef } from '@salesflow/batches';
import { ExitCode, PipelineError } from '@salesflow/errors';
import type { DatasetProfile } from './table-profiler';

/** Chunks handed to the thread and not yet profiled; past this many the reader waits (each is one read batch). */
const SLOTS = 2;

/** What the step's thread sends the profile thread. */
export type ProfileFeedMessage =
  | { readonly op: 'begin'; readonly id: number; readonly dataset: string; readonly ds: string; readonly schema: readonly ColumnDef[] }
  | { readonly op: 'chunk'; readonly id: number; readonly slot: number; readonly buffer: SharedArrayBuffer; readonly length: number }
  | { readonly op: 'end'; readonly id: number };

/** What the profile thread answers: a chunk profiled, a dataset's profile, or why it failed. */
export type ProfileFeedReply =
  | { readonly op: 'ack'; readonly slot: number }
  | { readonly op: 'profile'; readonly id: number; readonly profile: DatasetProfile }
  | { readonly op: 'error'; readonly message: string; readonly stack?: string };

/** One dataset being profiled by a ProfileFeed. */
export interface DatasetProfiling {
  /** Give it as ReadOptions.onChunk: hands each decoded chunk to the thread, waiting while it is behind. */
  readonly chunk: (ipc: Uint8Array) => Promise<void>;
  /** The dataset's profile, once every chunk was handed over. */
  finish(): Promise<DatasetProfile>;
}

/** The compiled thread entry; absent when the sources run untranspiled (jest), which profiles inline. */
const THREAD_ENTRY = path.join(__dirname, 'profile-thread.js');

/** Whether a ProfileFeed can run here: the built entry exists and QUALITY_PROFILE_THREAD is not "inline". */
export function profileThreadAvailable(): boolean {
  return process.env.QUALITY_PROFILE_THREAD !== 'inline' && existsSync(THREAD_ENTRY);
}

/**
 * Profiles on a thread of its own the batches this thread reads anyway. check-quality's main
 * thread was its bottleneck (profiles were 40% of its CPU at 10 M sales) while the second core
 * waited; the thread is handed each chunk the Parquet worker decoded, as Arrow IPC bytes, so
 * nothing is decoded twice and no second Parquet decoder sits in memory.
 *
 * The chunks go through SLOTS shared buffers, reused: a chunk posted as a copy would be a new
 * buffer each time, which V8 frees only when it collects, and the thread held 100 MB of them
 * between collections. The reader waits while every slot is taken, so memory stays bounded
 * when the thread falls behind.
 */
export class ProfileFeed {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly buffers: SharedArrayBuffer[] = [];
  private readonly free: number[] = [];
  /** Chunks waiting for a free slot, first come first served. */
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly finishing = new Map<number, { resolve: (p: DatasetProfile) => void; reject: (e: Error) => void }>();
  private failure?: Error;
  private closed = false;

  constructor(entry = THREAD_ENTRY) {
    this.worker = new Worker(entry);
    for (let slot = 0; slot < SLOTS; slot++) {
      this.buffers.push(new SharedArrayBuffer(0));
      this.free.push(slot);
    }
    this.worker.on('message', (m: ProfileFeedReply) => this.onReply(m));
    this.worker.once('error', (e) => this.fail(e));
    this.worker.once('exit', (code) => this.fail(new Error(`the profile thread exited with code ${code}`)));
  }

  /** Starts the profile of one partition with the manifest's schema. */
  begin(dataset: string, ds: string, schema: readonly ColumnDef[]): DatasetProfiling {
    const id = this.nextId++;
    this.post({ op: 'begin', id, dataset, ds, schema });
    return {
      chunk: (bytes) => this.chunk(id, bytes),
      finish: () =>
        new Promise<DatasetProfile>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          this.finishing.set(id, { resolve, reject });
          this.post({ op: 'end', id });
        }),
    };
  }

  /** Stops the thread; call it once every profile was had, or when the step stops early. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }

  private async chunk(id: number, bytes: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.free.length === 0) await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    const slot = this.free.pop()!;
    // A slot grows to the largest chunk so far (a quarter more, so slowly growing chunks do not reallocate each time).
    if (this.buffers[slot]!.byteLength < bytes.byteLength) this.buffers[slot] = new SharedArrayBuffer(Math.ceil(bytes.byteLength * 1.25));
    const buffer = this.buffers[slot]!;
    new Uint8Array(buffer).set(bytes);
    this.post({ op: 'chunk', id, slot, buffer, length: bytes.byteLength });
  }

  private post(m: ProfileFeedMessage): void {
    this.worker.postMessage(m);
  }

  private onReply(m: ProfileFeedReply): void {
    if (m.op === 'ack') {
      this.free.push(m.slot);
      this.waiting.shift()?.resolve();
    } else if (m.op === 'profile') {
      this.finishing.get(m.id)?.resolve(m.profile);
      this.finishing.delete(m.id);
    } else {
      this.fail(new PipelineError(`profiling failed: ${m.message}`, { exitCode: ExitCode.failed, cause: Object.assign(new Error(m.message), { stack: m.stack }) }));
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
    for (const f of this.finishing.values()) f.reject(this.failure);
    this.finishing.clear();
  }
}
