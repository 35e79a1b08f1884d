import { Transform } from 'node:stream';
import { BadInputError } from '@salesflow/errors';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { streamValues } from 'stream-json/streamers/StreamValues';

/**
 * A JSON number kept as its source text. JSON.parse turns 12345678901234567891 into
 * 12345678901234567000 and 1.50 into 1.5; the raw zone must keep what landed.
 */
export class RawNumber {
  constructor(readonly text: string) {}
}

interface AssemblerInternals {
  numberValue(text: string): void;
  _saveValue(value: unknown): void;
}

/**
 * Makes a stream-json streamer assemble numbers as RawNumber. stream-json (pinned at 1.9.1)
 * offers numbers as strings or as JS numbers only, so its assembler's number hook is replaced;
 * the tests in files-extractor.test.ts pin this behaviour.
 */
function keepNumberText<T extends Transform>(streamer: T): T {
  const assembler = (streamer as unknown as { _assembler: AssemblerInternals })._assembler;
  assembler.numberValue = (text: string) => assembler._saveValue(new RawNumber(text));
  return streamer;
}

/** Tokens to the elements of a top-level JSON array, numbers exact. */
export function exactArrayElements(): { tokens: Transform; elements: Transform } {
  return { tokens: parser(), elements: keepNumberText(streamArray()) };
}

/** Tokens to the values of a stream of JSON values (NDJSON, JSON lines), numbers exact. */
export function exactValues(): { tokens: Transform; elements: Transform } {
  return { tokens: parser({ jsonStreaming: true }), elements: keepNumberText(streamValues()) };
}

/** JSON text of a value assembled with RawNumber, numbers written as they came. */
export function stringifyExact(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stringifyExact).join(',')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${stringifyExact(v)}`).join(',')}}`;
}

/** Parses one JSON document with numbers kept as RawNumber; throws on invalid JSON. */
export async function parseExactJson(text: string, where = 'the document'): Promise<unknown> {
  const { tokens, elements } = exactValues();
  const guard = depthGuard(where);
  tokens.on('error', (e) => elements.destroy(e));
  guard.on('error', (e) => elements.destroy(e));
  tokens.end(text);
  tokens.pipe(guard).pipe(elements);
  let result: unknown;
  let count = 0;
  for await (const { value } of elements as AsyncIterable<{ value: unknown }>) {
    result = value;
    count++;
  }
  if (count !== 1) throw new Error(count === 0 ? 'empty body' : 'more than one JSON value');
  return result;
}

/** Deepest nesting of objects and arrays a JSON source may have; deeper is refused (exit 4) before anything recurses over it. */
export const MAX_JSON_DEPTH = 256;

/**
 * A pass-through of stream-json tokens that fails, naming the file, once objects and arrays nest
 * deeper than maxDepth: assembling and writing such a value recurses once per level, and a file
 * nested 100,000 levels deep would overflow the stack (exit 1, retried, naming no file).
 */
export function depthGuard(uri: string, maxDepth = MAX_JSON_DEPTH): Transform {
  let depth = 0;
  return new Transform({
    objectMode: true,
    transform(token: { name: string }, _enc, done) {
      if (token.name === 'startObject' || token.name === 'startArray') {
        if (++depth > maxDepth) {
          done(
            new BadInputError(`JSON ${uri} nests objects and arrays deeper than ${maxDepth} levels`, {
              context: { file: uri },
              fix: `flatten the file's records (at most ${maxDepth} levels of nesting), or land it in another format`,
            }),
          );
          return;
        }
      } else if (token.name === 'endObject' || token.name === 'endArray') depth--;
      done(null, token);
    },
  });
}
