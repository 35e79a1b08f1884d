import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PipelineError } from '@salesflow/errors';

/** How to read one object's body to the end across dropped connections. */
export interface ResumeObjectBodyOptions {
  /** The object's URI, for errors. */
  readonly uri: string;
  /** The body of the first GET. */
  readonly body: Readable;
  /** Its Content-Length: the object's size; undefined when the server sent none. */
  readonly size: number | undefined;
  /** Tries in all (the first GET counts as one); every resume spends one. */
  readonly maxAttempts: number;
  /** The body from byte `offset` to the end, of the same version of the object (the caller sends If-Match). */
  readonly fetchFrom: (offset: number) => Promise<Readable>;
  /** Milliseconds to wait before try `attempt` (2, 3, ...); default exponential from 100 ms, capped at 5 s, with jitter. */
  readonly delayMs?: (attempt: number) => number;
}

const backoff = (attempt: number) => Math.min(5000, 100 * 2 ** (attempt - 2)) * (0.5 + Math.random() / 2);

/**
 * The bytes of an object, resuming with a ranged GET from the last byte received when the
 * connection drops mid-body (the SDK retries a request only until its headers arrive). A body
 * that ends before its Content-Length counts as dropped too. After `maxAttempts` tries in all it
 * fails with a retryable PipelineError saying how far it got.
 */
export async function* resumeObjectBody(opts: ResumeObjectBodyOptions): AsyncGenerator<Buffer> {
  let body = opts.body;
  let received = 0;
  for (let attempt = 1; ; attempt++) {
    let dropped: string;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        received += chunk.length;
        yield chunk;
      }
      if (opts.size === undefined || received >= opts.size) return;
      dropped = 'the body ended early';
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      // Duck-typed: errors of node core come from another realm under jest.
      const e = err as { code?: unknown; message?: unknown };
      dropped = `${typeof e?.code === 'string' ? `${e.code}: ` : ''}${String(e?.message ?? err)}`;
    } finally {
      body.destroy();
    }
    const progress = `after ${received} of ${opts.size ?? 'unknown'} bytes`;
    if (attempt >= opts.maxAttempts) {
      throw new PipelineError(`S3 GetObject failed for ${opts.uri} after ${attempt} tries: the connection dropped mid-body, last ${progress} (${dropped})`, {
        exitCode: ExitCode.failed,
        context: { uri: opts.uri, op: 'GetObject' },
        fix: 'S3 or the network kept dropping the download through the retries (lake.s3.max_attempts); nothing partial was committed, so retry the step once the endpoint answers',
      });
    }
    await sleep((opts.delayMs ?? backoff)(attempt + 1));
    body = await opts.fetchFrom(received);
  }
}
