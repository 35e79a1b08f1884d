import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { SampleFileWriteError } from './sample-file-write-error';

/** Options of writeLinesAtomically. */
export interface WriteLinesOptions {
  /** Lines are joined into chunks of about this many characters before each write; default 1 MiB. */
  readonly chunkChars?: number;
  /** Called after each chunk with the number of lines written so far, e.g. to report progress. */
  readonly onChunk?: (linesSoFar: number) => void;
}

/**
 * Writes each line plus "\n" to `path` through a buffered stream, waiting for 'drain'
 * whenever the stream is full, so memory stays flat however many lines come. The data
 * goes to a temp name in the same folder and is renamed over `path` only once complete,
 * so a reader never sees half a file. Returns the number of lines written.
 */
export async function writeLinesAtomically(path: string, lines: Iterable<string>, options: WriteLinesOptions = {}): Promise<number> {
  const chunkChars = options.chunkChars ?? 1 << 20;
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const stream = createWriteStream(tempPath, { highWaterMark: 4 * chunkChars });
  let streamError: unknown;
  // A failure between writes would otherwise be an unhandled 'error' event.
  stream.on('error', (error) => {
    streamError ??= error;
  });
  let written = 0;
  try {
    let parts: string[] = [];
    let chars = 0;
    const flush = async (): Promise<void> => {
      if (streamError !== undefined) throw streamError;
      const ok = stream.write(parts.join(''));
      written += parts.length / 2;
      parts = [];
      chars = 0;
      if (!ok) await once(stream, 'drain');
      options.onChunk?.(written);
    };
    for (const line of lines) {
      parts.push(line, '\n');
      chars += line.length + 1;
      if (chars >= chunkChars) await flush();
    }
    if (parts.length > 0) await flush();
    await new Promise<void>((resolve, reject) => {
      stream.once('close', () => (streamError === undefined ? resolve() : reject(streamError)));
      stream.end();
    });
    await rename(tempPath, path);
    return written;
  } catch (error) {
    stream.destroy();
    await rm(tempPath, { force: true });
    throw new SampleFileWriteError(path, error);
  }
}

