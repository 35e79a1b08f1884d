import { Readable } from 'node:stream';
import { locateJsonSyntaxError } from './locate-json-syntax-error';

/** The text as a byte stream in chunks of `chunk` bytes, so characters and lines straddle chunks. */
const source = (text: string, chunk = 1000) => async () => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
};

describe('locateJsonSyntaxError', () => {
  it('finds the line and column of a bad NDJSON line deep in a file, past several parse pieces', async () => {
    const good = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i, name: `Zoë ${i} 🎉`, amount: '10.50' }));
    const lines = [...good.slice(0, 4321), '{"id":4321,"name":"x",oops}', ...good.slice(4321)];
    expect(lines.join('\n').length).toBeGreaterThan(3 * 64 * 1024);
    const at = await locateJsonSyntaxError(source(lines.join('\n')), true);
    expect(at).toEqual({ line: 4322, column: '{"id":4321,"name":"x",'.length + 1, offset: lines.slice(0, 4321).join('\n').length + 1 + '{"id":4321,"name":"x",'.length });
  });

  it('places a truncated JSON array at its end', async () => {
    const text = '[\n  {"a": 1},\n  {"a": 2,';
    expect(await locateJsonSyntaxError(source(text, 3), false)).toEqual({ line: 3, column: 11, offset: text.length });
  });

  it('finds an error on the first line of a JSON array', async () => {
    expect(await locateJsonSyntaxError(source('[{"a": tru}]'), false)).toMatchObject({ line: 1, column: 8 });
  });

  it('answers undefined for text that parses', async () => {
    expect(await locateJsonSyntaxError(source('{"a":1}\n\n{"a":2}\n'), true)).toBeUndefined();
    expect(await locateJsonSyntaxError(source('[{"a":1},{"a":2}]'), false)).toBeUndefined();
  });
});
