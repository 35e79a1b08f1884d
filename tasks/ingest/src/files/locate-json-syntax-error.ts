import type { Readable } from 'node:stream';
import { parser } from 'stream-json';

/** A place in a text file: 1-based line and column, and the 0-based character offset. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** Characters fed to the parser at once in the first pass; the second pass feeds the last two pieces one character at a time. */
const PIECE = 64 * 1024;

interface ParserInternals {
  _buffer: string;
  push(chunk: unknown): boolean;
  _transform(chunk: string, encoding: string, callback: (error?: Error | null) => void): void;
  _flush(callback: (error?: Error | null) => void): void;
}

/** A stream-json parser driven by hand: its tokens are dropped, its first error kept. */
function bareParser(jsonStreaming: boolean) {
  const p = parser({ jsonStreaming }) as unknown as ParserInternals;
  p.push = () => true;
  let failed = false;
  return {
    /** Feeds text; false once the parser has failed. */
    feed(text: string): boolean {
      if (!failed) p._transform(text, 'utf8', (e) => (failed = failed || Boolean(e)));
      return !failed;
    },
    end(): boolean {
      if (!failed) p._flush((e) => (failed = failed || Boolean(e)));
      return !failed;
    },
    /** Characters received but not yet parsed: the start of the token the parser failed on. */
    held: () => p._buffer.length,
  };
}

/** The text of a stream in pieces of at most PIECE characters, decoded as UTF-8 across chunk bounds. */
async function* pieces(open: () => Promise<Readable>): AsyncGenerator<string> {
  const stream = await open();
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      for (let i = 0; i < chunk.length; i += PIECE) yield chunk.slice(i, i + PIECE);
    }
  } finally {
    stream.destroy();
  }
}

/**
 * Where stream-json first fails on a file, which its errors do not say. Called only once a read
 * has failed, so the fast path pays nothing: the file is read again in large pieces to find the
 * piece it fails in, then once more up to there, the last two pieces a character at a time, so
 * the characters the parser still holds at the error mark where the bad token starts. Undefined
 * when the text parses (the failure was elsewhere) or cannot be read again.
 */
export async function locateJsonSyntaxError(open: () => Promise<Readable>, jsonStreaming: boolean): Promise<TextPosition | undefined> {
  try {
    const first = bareParser(jsonStreaming);
    let failedAt = -1;
    let count = 0;
    for await (const piece of pieces(open)) {
      if (!first.feed(piece)) {
        failedAt = count;
        break;
      }
      count++;
    }
    if (failedAt < 0) {
      if (first.end()) return undefined;
      // Failed at the end of the text (truncated): place it within the last piece.
      failedAt = count;
    }

    const second = bareParser(jsonStreaming);
    let fed = 0;
    let newlines = 0;
    // Offsets of the newlines of the part fed a character at a time, and of the last one before it.
    const recent: number[] = [];
    let lastBefore = -1;
    const position = (): TextPosition => {
      const offset = fed - second.held();
      const after = recent.filter((o) => o >= offset).length;
      const starts = [lastBefore, ...recent].filter((o) => o < offset);
      const lineStart = starts.length > 0 ? starts[starts.length - 1]! + 1 : 0;
      return { line: newlines - after + 1, column: offset - lineStart + 1, offset };
    };
    const noteWhole = (text: string, at: number) => {
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
        newlines++;
        lastBefore = at + i;
      }
    };
    let index = 0;
    for await (const piece of pieces(open)) {
      if (index < failedAt - 1) {
        noteWhole(piece, fed);
        second.feed(piece);
        fed += piece.length;
      } else {
        for (const ch of piece) {
          if (ch === '\n') {
            newlines++;
            recent.push(fed);
          }
          fed += ch.length;
          if (!second.feed(ch)) return position();
        }
      }
      if (index++ >= failedAt) break;
    }
    return second.end() ? undefined : position();
  } catch {
    return undefined;
  }
}
