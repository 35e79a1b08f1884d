import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BatchBuilder, batchToObjects } from '@salesflow/batches';
import type { FileEntityConfig } from '@salesflow/config';
import { LocalStorage, openParquetWriter } from '@salesflow/lake';
import { createWriteStream } from 'node:fs';
import { FilesExtractor } from './files-extractor';

const CSV = { delimiter: ',', quote: '"', header: true, encoding: 'utf8' as const };
const entity = (name: string, pattern: string, extra: Partial<FileEntityConfig> = {}): FileEntityConfig => ({ name, pattern, csv: CSV, required: true, ...extra });

function landing(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'landing-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

async function extractRows(dir: string, e: FileEntityConfig) {
  const x = await new FilesExtractor(new LocalStorage(dir), 'sources.0').extract(e, { batchSize: 2 });
  const rows: Record<string, unknown>[] = [];
  for await (const b of x.batches) rows.push(...batchToObjects(b));
  return { rows, inputs: x.inputs, schema: x.schema.fields.map((f) => f.name) };
}

describe('FilesExtractor', () => {
  it('reads CSV files matched by a glob, quoted fields intact, with file and data-row lineage', async () => {
    const dir = landing({
      'sales_1.csv': 'id,name,amount\n1,"Smith, John","1,234.50"\n2,"Say ""hi""",3\n',
      'sales_2.csv.gz': gzipSync('id,name,amount\n3,Ann,4\n'),
      'other.csv': 'x\n1\n',
    });
    const { rows, inputs, schema } = await extractRows(dir, entity('sales', 'sales_*.csv*'));
    expect(schema).toEqual(['id', 'name', 'amount', '_source_file', '_source_row']);
    expect(rows.map((r) => [r.id, r.name, r.amount, r._source_row])).toEqual([
      ['1', 'Smith, John', '1,234.50', 1],
      ['2', 'Say "hi"', '3', 2],
      ['3', 'Ann', '4', 1],
    ]);
    expect(inputs.map((i) => [path.basename(i.uri), i.rows])).toEqual([
      ['sales_1.csv', 2],
      ['sales_2.csv.gz', 1],
    ]);
    expect(inputs[0]!.modified).toMatch(/^\d{4}-/);
  });

  it('reads semicolon CSV without a header', async () => {
    const dir = landing({ 'a.csv': 'x;1\ny;2\n' });
    const { rows } = await extractRows(dir, entity('a', '*.csv', { csv: { ...CSV, delimiter: ';', header: false } }));
    expect(rows.map((r) => [r.column_1, r.column_2])).toEqual([
      ['x', '1'],
      ['y', '2'],
    ]);
  });

  it('reads JSON arrays and NDJSON, keeping every key and nested values as JSON text', async () => {
    const dir = landing({
      'p.json': JSON.stringify([{ id: 1, price: 9.5, tags: ['a'] }, { id: 2, extra: { k: true } }]),
      'l.ndjson': '{"id":"L1","open":true}\n\n{"id":"L2","zip":"02134"}\n',
    });
    const json = await extractRows(dir, entity('p', '*.json'));
    expect(json.rows.map((r) => [r.id, r.price, r.tags, r.extra])).toEqual([
      ['1', '9.5', '["a"]', null],
      ['2', null, null, '{"k":true}'],
    ]);
    const nd = await extractRows(dir, entity('l', '*.ndjson'));
    expect(nd.rows.map((r) => [r.id, r.open, r.zip, r._source_row])).toEqual([
      ['L1', 'true', null, 1],
      ['L2', null, '02134', 2],
    ]);
  });

  it('reads Parquet files keeping their types', async () => {
    const dir = landing({});
    const b = new BatchBuilder([
      { name: 'id', kind: 'int64' },
      { name: 'amount', kind: 'float64' },
    ]);
    b.appendRow([1n, 2.5]);
    b.appendRow([2n, null]);
    const file = path.join(dir, 'x.parquet');
    const w = openParquetWriter(async (body) => {
      const out = createWriteStream(file);
      let n = 0;
      for await (const c of body) {
        out.write(c);
        n += c.length;
      }
      await new Promise((r) => out.end(r));
      return n;
    });
    await w.write(b.finish());
    await w.close();
    const { rows } = await extractRows(dir, entity('x', '*.parquet'));
    expect(rows.map((r) => [r.id, r.amount, r._source_row])).toEqual([
      [1n, 2.5, 1],
      [2n, null, 2],
    ]);
  });

  it('fails on a CSV row with the wrong number of fields, naming file and line', async () => {
    const dir = landing({ 'bad.csv': 'a,b\n1,2\n3,4,5\n' });
    await expect(extractRows(dir, entity('bad', '*.csv'))).rejects.toMatchObject({
      exitCode: 4,
      message: expect.stringMatching(/bad\.csv at row 2: expected 2 fields, found 3/),
    });
  });

  it('fails on an unterminated quote with the file named', async () => {
    const dir = landing({ 'q.csv': 'a,b\n1,"open\n' });
    await expect(extractRows(dir, entity('q', '*.csv'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('q.csv') });
  });

  it('returns no inputs when nothing matches', async () => {
    const dir = landing({ 'a.txt': 'x' });
    const { rows, inputs } = await extractRows(dir, entity('none', '*.csv'));
    expect(rows).toEqual([]);
    expect(inputs).toEqual([]);
  });
});

describe('JSON arrays', () => {
  it('streams a large array element by element', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `n${i}` }));
    const dir = landing({ 'big.json': JSON.stringify(items) });
    const { rows } = await extractRows(dir, entity('big', '*.json'));
    expect(rows).toHaveLength(20_000);
    expect(rows[19_999]).toMatchObject({ id: '19999', name: 'n19999', _source_row: 20_000 });
  });

  it('fails on a file that is not an array, or an element that is not an object, naming the file', async () => {
    const notArray = landing({ 'o.json': '{"a":1}' });
    await expect(extractRows(notArray, entity('o', '*.json'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('o.json') });
    const badElement = landing({ 'e.json': '[{"a":1}, 5]' });
    await expect(extractRows(badElement, entity('e', '*.json'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/e\.json element 2 is not an object/) });
    const truncated = landing({ 't.json': '[{"a":1}, {"a":' });
    await expect(extractRows(truncated, entity('t', '*.json'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('Cannot read JSON') });
  });
});

describe('comment and blank lines', () => {
  it('are skipped and counted alike by the byte reader and by csv-parse (latin1), in the run report warnings', async () => {
    const text = '# export of 2026-11-26\nid,name\n\n1,Ann\r\n#2,cancelled\r\n\r\n3,"#not a comment"\n# end\n';
    const dir = landing({ 'c.csv': text });
    const read = async (encoding: 'utf8' | 'latin1') => {
      const x = await new FilesExtractor(new LocalStorage(dir), 'sources.0').extract(entity('c', 'c.csv', { csv: { ...CSV, encoding, comment: '#' } }), { batchSize: 2 });
      const rows: Record<string, unknown>[] = [];
      for await (const b of x.batches) rows.push(...batchToObjects(b));
      return { rows: rows.map((r) => [r.id, r.name, r._source_row]), warnings: x.warnings!.map((w) => w.replace(/^\S+c\.csv/, 'c.csv')) };
    };
    const bytes = await read('utf8');
    expect(bytes).toEqual({
      rows: [
        ['1', 'Ann', 1],
        ['3', '#not a comment', 2],
      ],
      warnings: ['c.csv: 2 blank line(s) between records skipped', 'c.csv: 3 comment line(s) (starting with "#") skipped'],
    });
    expect(await read('latin1')).toEqual(bytes);
  });
});

describe('UTF-16 files declared UTF-8', () => {
  it('are refused with exit 4 naming the encoding to set, with or without a byte order mark', async () => {
    const text = 'id,name\n1,Ann\n2,Bo\n';
    const dir = landing({ 'bom.csv': Buffer.from('\ufeff' + text, 'utf16le'), 'plain.csv': Buffer.from(text, 'utf16le') });
    for (const file of ['bom.csv', 'plain.csv']) {
      await expect(extractRows(dir, entity('u', file))).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining(`${file} is UTF-16 little-endian, not UTF-8`), fix: expect.stringContaining('csv.encoding to utf16le') });
    }
    const { rows } = await extractRows(dir, entity('u', 'plain.csv', { csv: { ...CSV, encoding: 'utf16le' } }));
    expect(rows.map((r) => r.name)).toEqual(['Ann', 'Bo']);
  });
});

describe('JSON nested too deep', () => {
  it('fails with exit 4 naming the file, for JSON and NDJSON, while nesting up to the limit reads', async () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const dir = landing({ 'deep.json': `[{"a":${deep}}]`, 'deep.ndjson': `{"a":1}\n{"b":${deep}}\n`, 'ok.json': `[{"a":${'['.repeat(200)}1${']'.repeat(200)}}]` });
    for (const file of ['deep.json', 'deep.ndjson']) {
      await expect(extractRows(dir, entity('d', file))).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(new RegExp(`${file.replace('.', '\\.')} nests objects and arrays deeper than 256 levels`)) });
    }
    const { rows } = await extractRows(dir, entity('ok', 'ok.json'));
    expect(String(rows[0]!.a)).toBe(`${'['.repeat(200)}1${']'.repeat(200)}`);
  });
});

describe('exact JSON numbers and broken archives', () => {
  it('keeps big integers and decimals as they were written, nested ones too', async () => {
    const dir = landing({
      'a.json': '[{"id": 12345678901234567891, "price": 1.50, "tags": [1, 2.0, "x"], "o": {"n": 9007199254740993}}]',
      'b.ndjson': '{"id": 9007199254740993, "e": 1e3}\n',
    });
    const json = await extractRows(dir, entity('a', '*.json'));
    expect(json.rows[0]).toMatchObject({ id: '12345678901234567891', price: '1.50', tags: '[1,2.0,"x"]', o: '{"n":9007199254740993}' });
    const nd = await extractRows(dir, entity('b', '*.ndjson'));
    expect(nd.rows[0]).toMatchObject({ id: '9007199254740993', e: '1e3' });
  });

  it('fails on a truncated gzip file with exit 4, naming it', async () => {
    const whole = gzipSync('a,b\n' + '1,2\n'.repeat(50_000));
    const dir = landing({ 'cut.csv.gz': whole.subarray(0, Math.floor(whole.length / 2)), 'cut.ndjson.gz': gzipSync('{"a":1}\n'.repeat(1000)).subarray(0, 40) });
    await expect(extractRows(dir, entity('cut', '*.csv.gz'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/Cannot decompress .*cut\.csv\.gz/) });
    await expect(extractRows(dir, entity('cutn', '*.ndjson.gz'))).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('cut.ndjson.gz') });
  });
});
