import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import type { FileEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';

/**
 * One record of a text file: its values in the order of the column list the reader was given
 * (undefined where the record lacks a column), and where it came from: the 1-based data row
 * (CSV, header excluded), line (NDJSON) or array element (JSON). CSV readers reuse the values
 * array between records, so copy what must outlive the next one.
 */
export interface TextRecord {
  readonly values: readonly unknown[];
  readonly row: number;
}

/** One object of a JSON or NDJSON file and its 1-based element or line number. */
export interface JsonRecord {
  readonly object: Readonly<Record<string, unknown>>;
  readonly row: number;
}

/** Opens a byte stream, decompressing ".gz" files on the way. */
export type OpenStream = () => Promise<Readable>;

function decompressed(stream: Readable, key: string): Readable {
  return key.toLowerCase().endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
}

function csvParser(csv: FileEntityConfig['csv']) {
  return parse({
    bom: true,
    delimiter: csv.delimiter,
    quote: csv.quote,
    encoding: csv.encoding === 'utf-8' ? 'utf8' : csv.encoding,
    skip_empty_lines: true,
    // Field counts are checked by us, to name the file, line and counts in one message.
    relax_column_count: true,
  });
}

function csvError(e: unknown, uri: string): Error {
  if (e instanceof CsvError) {
    const line = (e as CsvError & { lines?: number }).lines;
    return new BadInputError(`Cannot read CSV ${uri}${line ? ` at line ${line}` : ''}: ${e.message}`, {
      context: { file: uri, ...(line ? { row: line } : {}) },
      fix: 'repair that row (quote fields that contain the delimiter or quotes, one record per line), or set the csv options of the entity',
    });
  }
  return e as Error;
}

/** Column names of a CSV file: its header, or column_1..n from the first record when there is none. */
export async function readCsvHeader(open: OpenStream, key: string, uri: string, csv: FileEntityConfig['csv']): Promise<string[]> {
  const src = decompressed(await open(), key);
  const parser = csvParser(csv);
  src.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const names = csv.header ? record.map((n, i) => n.trim() || `column_${i + 1}`) : record.map((_, i) => `column_${i + 1}`);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) throw new BadInputError(`CSV ${uri} has the column "${dup}" twice in its header`, { context: { file: uri, column: dup }, fix: 'rename one of the columns in the file' });
      return names;
    }
    return [];
  } catch (e) {
    throw csvError(e, uri);
  } finally {
    src.unpipe(parser);
    src.destroy();
    parser.destroy();
  }
}

/** Streams the records of a CSV file, values ordered as `columns` (columns the file lacks read undefined). */
export async function* readCsvRecords(open: OpenStream, key: string, uri: string, csv: FileEntityConfig['csv'], columns: readonly string[]): AsyncGenerator<TextRecord> {
  const src = decompressed(await open(), key);
  const parser = csvParser(csv);
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  let fields = -1;
  let index: number[] = [];
  const values = new Array<unknown>(columns.length);
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (fields < 0) {
        // The first record fixes the field count, and the header (when there is one) the mapping.
        fields = record.length;
        const names = csv.header ? record.map((n, i) => n.trim() || `column_${i + 1}`) : record.map((_, i) => `column_${i + 1}`);
        index = columns.map((c) => names.indexOf(c));
        if (csv.header) continue;
      }
      row++;
      if (record.length !== fields) {
        throw new BadInputError(`Cannot read CSV ${uri} at row ${row}: expected ${fields} fields, found ${record.length}`, {
          context: { file: uri, row },
          fix: 'repair that row (quote fields that contain the delimiter), or remove it from the file',
        });
      }
      for (let i = 0; i < index.length; i++) values[i] = index[i]! >= 0 ? record[index[i]!] : undefined;
      yield { values, row };
    }
  } catch (e) {
    throw csvError(e, uri);
  } finally {
    src.destroy();
  }
}

/** Streams the objects of an NDJSON file, one per non-blank line. */
export async function* readNdjsonRecords(open: OpenStream, key: string, uri: string): AsyncGenerator<JsonRecord> {
  const src = decompressed(await open(), key);
  const lines = createInterface({ input: src, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new BadInputError(`Cannot read NDJSON ${uri} at line ${n}: ${(e as Error).message}`, { context: { file: uri, row: n }, fix: 'make each line one complete JSON object' });
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new BadInputError(`NDJSON ${uri} line ${n} is not a JSON object`, { context: { file: uri, row: n }, fix: 'write one JSON object per line' });
      }
      yield { object: value as Record<string, unknown>, row: n };
    }
  } finally {
    lines.close();
    src.destroy();
  }
}

/**
 * Streams the objects of a JSON array file element by element (stream-json), so a large array
 * never sits in memory whole.
 */
export async function* readJsonArrayRecords(open: OpenStream, key: string, uri: string): AsyncGenerator<JsonRecord> {
  const src = decompressed(await open(), key);
  const tokens = parser();
  const elements = src.pipe(tokens).pipe(streamArray());
  // pipe() does not forward errors: a syntax error in the parser must end the iteration too.
  src.on('error', (e) => elements.destroy(e));
  tokens.on('error', (e) => elements.destroy(e));
  const fix = 'make the file one JSON array of objects, or use format ndjson';
  try {
    for await (const { key: index, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new BadInputError(`JSON ${uri} element ${index + 1} is not an object`, { context: { file: uri, row: index + 1 }, fix: 'make every element a JSON object' });
      }
      yield { object: value as Record<string, unknown>, row: index + 1 };
    }
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    throw new BadInputError(`Cannot read JSON ${uri}: ${(e as Error).message}`, { context: { file: uri }, fix });
  } finally {
    elements.destroy();
    tokens.destroy();
    src.destroy();
  }
}
