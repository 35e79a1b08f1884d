import type * as arrow from 'apache-arrow';
import { parse as parseStream, type Info } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { BadInputError } from '@salesflow/errors';
import { byteDialect, CsvColumnParser, CsvSyntaxError, type CsvColumnBatch } from './csv-columns';

const CSV = { delimiter: ',', quote: '"', header: false, encoding: 'utf8' as const };

/** Rows as text (null for a missing column) from batches; also checks row numbering is continuous. */
function rowsOf(batches: CsvColumnBatch[]): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (const b of batches) {
    expect(b.firstRow).toBe(rows.length + 1);
    for (let r = 0; r < b.length; r++) rows.push(b.columns.map((c) => textAt(c, r)));
  }
  return rows;
}

function textAt(c: arrow.Data<arrow.Utf8>, r: number): string | null {
  if (c.nullCount > 0 && !(c.nullBitmap![r >> 3]! & (1 << (r & 7)))) return null;
  return Buffer.from(c.values.subarray(c.valueOffsets[r], c.valueOffsets[r + 1])).toString('utf8');
}

/** Parses `bytes` fed in the given chunk sizes (cycled); header=false, columns column_1..width. `skipped` receives the blank and comment lines counted. */
function parseChunked(bytes: Buffer, chunk: number[], width: number, batchSize = 3, comment?: string, skipped?: { blank: number; comments: number }): (string | null)[][] {
  const columns = Array.from({ length: width }, (_, i) => `column_${i + 1}`);
  const parser = new CsvColumnParser(byteDialect({ ...CSV, comment })!, false, columns, batchSize, 'mem://test.csv');
  const out: CsvColumnBatch[] = [];
  let p = 0;
  for (let i = 0; p < bytes.length; i++) {
    const n = chunk[i % chunk.length]!;
    out.push(...parser.push(bytes.subarray(p, p + n)));
    p += n;
  }
  out.push(...parser.end());
  if (skipped) Object.assign(skipped, { blank: parser.blankLines, comments: parser.commentLines });
  return rowsOf(out);
}

/** csv-parse's own count of the lines it skipped (its stream API keeps `info`; the sync one does not). */
async function csvParseSkipped(bytes: Buffer, comment?: string): Promise<{ blank: number; comments: number }> {
  const parser = parseStream({ ...OPTIONS, ...(comment ? { comment, comment_no_infix: true } : {}) });
  parser.end(bytes);
  for await (const _ of parser) void _;
  const info = parser.info as Info;
  // csv-parse counts the end after a final line end as one more empty line (readCsvRecords takes it off too).
  const last = bytes.at(-1);
  return { blank: info.empty_lines - (last === 0x0a || last === 0x0d ? 1 : 0), comments: info.comment_lines };
}

/** csv-parse's options as the pipeline sets them (read-text-records' csvParser). */
const OPTIONS = {
  bom: true,
  delimiter: ',',
  quote: '"',
  encoding: 'utf8' as const,
  skip_empty_lines: true,
  // Each record ends at its own line end, whichever of the three.
  record_delimiter: ['\r\n', '\n', '\r'],
  relax_column_count: true,
};

/** csv-parse as the pipeline configures it; `seen` receives each record as it is read, so it holds those before an error. */
function csvParse(bytes: Buffer, seen: string[][] = [], comment?: string): string[][] {
  return parse(bytes, {
    ...OPTIONS,
    ...(comment ? { comment, comment_no_infix: true } : {}),
    on_record: (record: string[]) => {
      seen.push(record);
      return record;
    },
  }) as string[][];
}

/** A seeded generator, so a failure names an input that can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', ',', ',', '"', '""', '\n', '\r', '\r\n', ' ', 'é', '€', '\u{1F600}', 'x,y', '"q"'];
/** Pieces added when the comment option is on: comments at line starts, inside fields and quotes, holding quotes. */
const COMMENT_PIECES = ['\n#', '\n# x,"y', '#', '\r\n#c\r\n', '"#"', 'a#b', '\n#"'];

describe('CsvColumnParser against csv-parse', () => {
  it('reads every generated input as csv-parse does, in any chunking, or refuses it where csv-parse does; skips and counts the same blank and comment lines', async () => {
    let compared = 0;
    let refused = 0;
    let commentsSeen = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const rnd = random(seed);
      // Every other seed sets comment: "#" (and generates pieces that hold it).
      const comment = seed % 2 === 0 ? '#' : undefined;
      const pieces = comment ? [...PIECES, ...COMMENT_PIECES] : PIECES;
      const parts: string[] = [];
      const len = 1 + Math.floor(rnd() * 30);
      for (let i = 0; i < len; i++) parts.push(pieces[Math.floor(rnd() * pieces.length)]!);
      const bytes = Buffer.concat([rnd() < 0.1 ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(parts.join(''), 'utf8'), rnd() < 0.1 ? Buffer.from([0xff, 0x41]) : Buffer.alloc(0)]);
      const chunks = [1 + Math.floor(rnd() * 7), 1 + Math.floor(rnd() * 3)];
      // The records csv-parse gives before any error: a ragged one among them fails first.
      const seen: string[][] = [];
      let expected: string[][] | undefined;
      try {
        expected = csvParse(bytes, seen, comment);
      } catch {
        expected = undefined;
      }
      const width = seen[0]?.length ?? 1;
      const ragged = seen.findIndex((r) => r.length !== width);
      const skipped = { blank: 0, comments: 0 };
      const run = () => parseChunked(bytes, chunks, width, 3, comment, skipped);
      const context = `seed ${seed}${comment ? ' (comment "#")' : ''}: ${JSON.stringify(bytes.toString('latin1'))}`;
      if (ragged >= 0) {
        const e = catchOf(run);
        expect([context, e instanceof BadInputError && e.message]).toEqual([context, expect.stringContaining(`at row ${ragged + 1}: expected ${width} fields, found ${seen[ragged]!.length}`)]);
      } else if (expected === undefined) {
        expect([context, catchOf(run)]).toEqual([context, expect.any(CsvSyntaxError)]);
        refused++;
      } else {
        expect([context, run()]).toEqual([context, expected]);
        expect([context, skipped]).toEqual([context, await csvParseSkipped(bytes, comment)]);
        commentsSeen += skipped.comments;
        compared++;
      }
    }
    // The generator must exercise both outcomes, and comments, or the comparison proves little.
    expect(compared).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(400);
    expect(commentsSeen).toBeGreaterThan(200);
  });

  it.each([
    ['LF', 'a,b\nc,d\n', [['a', 'b'], ['c', 'd']]],
    ['mixed CRLF, LF and CR line ends, each record its own', 'a,b\r\nc,d\ne,f\rg,h\r\n', [['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h']]],
    ['blank lines of every kind between records', 'a,b\r\n\r\nc,d\n\n\re,f\n', [['a', 'b'], ['c', 'd'], ['e', 'f']]],
    ['CR', 'a,b\rc,d', [['a', 'b'], ['c', 'd']]],
    ['empty lines and a header-less BOM', '\uFEFF\n\na,b\n\n,\n', [['a', 'b'], ['', '']]],
    ['quoted fields with delimiters, quotes and line ends', '"a,1","b""2"\n"c\r\nd",""\n', [['a,1', 'b"2'], ['c\r\nd', '']]],
    ['a delimiter at the very end', 'a,b\nc,', [['a', 'b'], ['c', '']]],
  ])('%s', (_, text, rows) => {
    expect(parseChunked(Buffer.from(text), [1], 2)).toEqual(rows);
    expect(parseChunked(Buffer.from(text), [1000], 2)).toEqual(rows);
  });

  it('skips comment lines (a "#" where a record starts, up to its line end) and counts them; a "#" inside a field or quoted is text', () => {
    const text = '# exported 2026-11-26, "draft\na,b\r\n#a,"unclosed\r"#q",c#d\n\n#last';
    for (const chunk of [1, 2, 1000]) {
      const skipped = { blank: 0, comments: 0 };
      expect(parseChunked(Buffer.from(text), [chunk], 2, 3, '#', skipped)).toEqual([
        ['a', 'b'],
        ['#q', 'c#d'],
      ]);
      expect(skipped).toEqual({ blank: 1, comments: 3 });
    }
    // After a closing quote, as csv-parse reads it: the rest is text, or after a first "" a comment.
    expect(parseChunked(Buffer.from('"q"#a\n""#x,y\n'), [1], 1, 3, '#')).toEqual([['q#a'], ['']]);
    // Without the option, a "#" line is a record.
    expect(parseChunked(Buffer.from('#x,y\na,b\n'), [1000], 2)).toEqual([
      ['#x', 'y'],
      ['a', 'b'],
    ]);
  });
});

describe('CsvColumnParser columns', () => {
  it('maps header names to the requested columns, nulls for the ones the file lacks', () => {
    const parser = new CsvColumnParser(byteDialect(CSV)!, true, ['b', 'missing', 'a'], 2, 'mem://h.csv');
    const out = [...parser.push(Buffer.from(' a ,b,unused\n1,2,3\n4,5,6\n7,8,9\n')), ...parser.end()];
    expect(parser.fileColumns).toEqual(['a', 'b', 'unused']);
    expect(out.map((b) => [b.firstRow, b.length])).toEqual([
      [1, 2],
      [3, 1],
    ]);
    expect(rowsOf(out)).toEqual([
      ['2', null, '1'],
      ['5', null, '4'],
      ['8', null, '7'],
    ]);
  });

  it('turns bytes that are not UTF-8 into U+FFFD and names the first row and column holding them', () => {
    const parser = new CsvColumnParser(byteDialect(CSV)!, true, ['id', 'name'], 10, 'mem://l.csv');
    const bytes = Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n3,'), Buffer.from([0xff]), Buffer.from('\n')]);
    const rows = rowsOf([...parser.push(bytes), ...parser.end()]);
    expect(rows).toEqual([
      ['1', 'ok'],
      ['2', 'caf\uFFFD'],
      ['3', '\uFFFD'],
    ]);
    expect(rows).toEqual(csvParse(bytes).slice(1));
    expect([parser.mangled, parser.firstMangled]).toEqual([2, { row: 2, column: 'name' }]);
  });

  it('refuses a record longer than its limit instead of holding the rest of the file', () => {
    const parser = new CsvColumnParser(byteDialect(CSV)!, true, ['a'], 10, 'mem://q.csv');
    parser.push(Buffer.from('a\n"never closed'));
    const big = Buffer.alloc(8 * 2 ** 20, 0x61);
    expect(() => {
      for (let i = 0; i < 9; i++) parser.push(big);
    }).toThrow(/mem:\/\/q\.csv: record 2 is longer than 64 MiB/);
  });

  it('is used only for UTF-8 files with one-byte delimiter and quote', () => {
    expect(byteDialect(CSV)).toEqual({ delimiter: 44, quote: 34, comment: -1 });
    expect(byteDialect({ ...CSV, delimiter: ';', comment: '#' })).toEqual({ delimiter: 59, quote: 34, comment: 35 });
    expect(byteDialect({ ...CSV, comment: '§' })).toBeUndefined();
    expect(byteDialect({ ...CSV, encoding: 'latin1' })).toBeUndefined();
    expect(byteDialect({ ...CSV, delimiter: '||' })).toBeUndefined();
    expect(byteDialect({ ...CSV, delimiter: '\t', quote: '\t' })).toBeUndefined();
  });
});

function catchOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return 'no error';
}
