import { findValueLikeNames } from '@salesflow/pii-scan';
import type { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import type { FileEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { depthGuard, exactArrayElements, exactValues, RawNumber } from './exact-json';
import { locateJsonSyntaxError } from './locate-json-syntax-error';
import { Utf8Checker } from './utf8-checker';
import { byteDialect, CsvColumnParser, CsvSyntaxError, type CsvColumnBatch } from './csv-columns';

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

/** The file's bytes, gunzipped for ".gz" keys; closing either end closes the other. */
function decompressed(stream: Readable, key: string): Readable {
  if (!key.toLowerCase().endsWith('.gz')) return stream;
  const gunzip = createGunzip();
  stream.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => stream.destroy());
  return stream.pipe(gunzip);
}

/**
 * A file read as UTF-8 that is UTF-16 (a byte order mark FF FE or FE FF, or a NUL in every other
 * byte of its start, as Excel's "Unicode text" exports are) is refused at once, naming the
 * encoding to declare: read as UTF-8 it would fail later with a misleading field count.
 */
function refuseUtf16(start: Buffer, uri: string, configPath: string): void {
  const head = start.subarray(0, 64);
  const bom = head[0] === 0xff && head[1] === 0xfe ? 'utf16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf16be' : undefined;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) evenNuls++;
    if (head[i + 1] === 0) oddNuls++;
  }
  const pairs = Math.floor(head.length / 2);
  const guessed = bom ?? (pairs >= 4 && oddNuls === pairs ? 'utf16le' : pairs >= 4 && evenNuls === pairs ? 'utf16be' : undefined);
  if (!guessed) return;
  throw new BadInputError(`CSV ${uri} is ${guessed === 'utf16le' ? 'UTF-16 little-endian' : 'UTF-16 big-endian'}, not UTF-8 as its entity declares`, {
    context: { file: uri },
    fix: guessed === 'utf16le' ? `set ${configPath}.csv.encoding to utf16le, or land the file as UTF-8` : 'land the file as UTF-8 (big-endian UTF-16 is not read)',
  });
}

/** A zlib failure (truncated or corrupt archive). Duck-typed: errors from node core may come from another realm. */
function isZlibError(e: unknown): e is Error {
  if (!e || typeof e !== 'object') return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && code.startsWith('Z_')) || /unexpected end of file|incorrect header check/i.test(String(message));
}

function badArchive(uri: string, e: Error): BadInputError {
  return new BadInputError(`Cannot decompress ${uri}: ${e.message}`, { context: { file: uri }, fix: 'land the complete gzip file again (it is truncated or not gzip)' });
}

function csvParser(csv: FileEntityConfig['csv']) {
  return parse({
    bom: true,
    delimiter: csv.delimiter,
    quote: csv.quote,
    encoding: csv.encoding === 'utf-8' ? 'utf8' : csv.encoding,
    skip_empty_lines: true,
    // Each record ends at its own line end, whichever of the three.
    record_delimiter: ['\r\n', '\n', '\r'],
    // Field counts are checked by us, to name the file, line and counts in one message.
    relax_column_count: true,
    // A comment is a whole line that starts with the character, never the rest of a line after it.
    ...(csv.comment !== undefined ? { comment: csv.comment, comment_no_infix: true } : {}),
  });
}

/** The warning for lines that held no record (blank, or comments), so a count of lines and one of rows can be reconciled. */
function skippedLinesWarnings(uri: string, csv: FileEntityConfig['csv'], blank: number, comments: number): string[] {
  return [
    ...(blank > 0 ? [`${uri}: ${blank} blank line(s) between records skipped`] : []),
    ...(comments > 0 ? [`${uri}: ${comments} comment line(s) (starting with "${csv.comment}") skipped`] : []),
  ];
}

function csvError(e: unknown, uri: string): Error {
  if (isZlibError(e)) return badArchive(uri, e);
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
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const names = csv.header ? record.map((n, i) => n.trim() || `column_${i + 1}`) : record.map((_, i) => `column_${i + 1}`);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      // A repeated "name" that reads like a value is a data row, and checkCsvHeader says so without printing it.
      if (dup && findValueLikeNames([dup]).length === 0) throw new BadInputError(`CSV ${uri} has the column "${dup}" twice in its header`, { context: { file: uri, column: dup }, fix: 'rename one of the columns in the file' });
      return names;
    }
    return [];
  } catch (e) {
    throw csvError(e, uri);
  } finally {
    // Only the header was wanted: what the rest of the file holds (even a broken archive) is the
    // reading pass's business, so late errors of this stream are ignored.
    src.on('error', () => undefined);
    src.unpipe(parser);
    src.destroy();
    parser.destroy();
  }
}

/**
 * Streams the records of a CSV file, values ordered as `columns` (columns the file lacks read
 * undefined). For a file declared UTF-8 that holds bytes which are not, `warn` is told once at the
 * end: the decoder has turned them into U+FFFD, and standardize quarantines the rows they are in.
 */
export async function* readCsvRecords(
  open: OpenStream,
  key: string,
  uri: string,
  csv: FileEntityConfig['csv'],
  columns: readonly string[],
  warn: (message: string) => void = () => undefined,
  configPath = 'the entity',
): AsyncGenerator<TextRecord> {
  const src = decompressed(await open(), key);
  const parser = csvParser(csv);
  // Registered before pipe(), so a chunk is checked before the parser sees it.
  const utf8 = csv.encoding === 'utf8' || csv.encoding === 'utf-8' ? new Utf8Checker() : undefined;
  if (utf8) src.on('data', (chunk: Buffer) => utf8.check(chunk));
  // The file's last bytes: csv-parse counts the end after a final line end as one more empty line.
  let tail: Buffer = Buffer.alloc(0);
  src.on('data', (chunk: Buffer) => (tail = chunk.length >= 2 ? chunk.subarray(-2) : Buffer.concat([tail, chunk]).subarray(-2)));
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  let fields = -1;
  let index: number[] = [];
  let names: string[] = [];
  const values = new Array<unknown>(columns.length);
  let row = 0;
  // Rows holding U+FFFD once invalid bytes were seen, and the first of them; only then is a record scanned.
  let mangled = 0;
  let first: { row: number; column: string } | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (fields < 0) {
        // The first record fixes the field count, and the header (when there is one) the mapping.
        fields = record.length;
        names = csv.header ? record.map((n, i) => n.trim() || `column_${i + 1}`) : record.map((_, i) => `column_${i + 1}`);
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
      if (utf8?.invalid) {
        const at = record.findIndex((v) => v.includes('\uFFFD'));
        if (at >= 0) {
          mangled++;
          first ??= { row, column: names[at]! };
        }
      }
      for (let i = 0; i < index.length; i++) values[i] = index[i]! >= 0 ? record[index[i]!] : undefined;
      yield { values, row };
    }
    if (utf8 && (utf8.end() || mangled > 0)) warn(invalidUtf8Warning(uri, csv, configPath, mangled, first));
    const lineEnd = csv.encoding === 'utf16le' ? tail.length === 2 && tail[1] === 0 && (tail[0] === 0x0a || tail[0] === 0x0d) : tail.length > 0 && (tail.at(-1) === 0x0a || tail.at(-1) === 0x0d);
    for (const w of skippedLinesWarnings(uri, csv, parser.info.empty_lines - (lineEnd ? 1 : 0), parser.info.comment_lines)) warn(w);
  } catch (e) {
    throw csvError(e, uri);
  } finally {
    src.destroy();
  }
}

/** Whether readCsvColumns can read files of these options (UTF-8, one-byte delimiter and quote); otherwise readCsvRecords does. */
export function readsCsvColumns(csv: FileEntityConfig['csv']): boolean {
  return byteDialect(csv) !== undefined;
}

/**
 * Streams a CSV file as batches of Utf8 columns, ordered as `columns` (columns the file lacks are
 * null), straight from its bytes (see CsvColumnParser). Same records, errors and warnings as
 * readCsvRecords: where the bytes break the CSV rules, csv-parse reads the file again to say
 * where and why.
 */
export async function* readCsvColumns(
  open: OpenStream,
  key: string,
  uri: string,
  csv: FileEntityConfig['csv'],
  columns: readonly string[],
  batchSize: number,
  warn: (message: string) => void = () => undefined,
  configPath = 'the entity',
): AsyncGenerator<CsvColumnBatch> {
  const dialect = byteDialect(csv);
  if (!dialect) throw new Error(`readCsvColumns cannot read ${uri} with these csv options; use readCsvRecords`);
  const parser = new CsvColumnParser(dialect, csv.header, columns, batchSize, uri);
  const utf8 = new Utf8Checker();
  const src = decompressed(await open(), key);
  try {
    let first = true;
    for await (const chunk of src as AsyncIterable<Buffer>) {
      if (first) refuseUtf16(chunk, uri, configPath);
      first = false;
      utf8.check(chunk);
      yield* parser.push(chunk);
    }
    yield* parser.end();
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw await csvParseError(open, key, uri, csv, columns, e);
    throw isZlibError(e) ? badArchive(uri, e) : e;
  } finally {
    src.destroy();
  }
  if (utf8.end() || parser.mangled > 0) warn(invalidUtf8Warning(uri, csv, configPath, parser.mangled, parser.firstMangled));
  for (const w of skippedLinesWarnings(uri, csv, parser.blankLines, parser.commentLines)) warn(w);
}

/** csv-parse's account of a file the byte reader refused: it names the line and what is wrong. */
async function csvParseError(open: OpenStream, key: string, uri: string, csv: FileEntityConfig['csv'], columns: readonly string[], refusal: CsvSyntaxError): Promise<Error> {
  try {
    for await (const _ of readCsvRecords(open, key, uri, csv, columns)) void _;
  } catch (e) {
    return e as Error;
  }
  return new Error(`CSV ${uri}: the byte reader found ${refusal.message}, which csv-parse accepts`);
}

function invalidUtf8Warning(uri: string, csv: FileEntityConfig['csv'], configPath: string, mangled: number, first: { row: number; column: string } | undefined): string {
  const where = first ? `first at data row ${first.row} (line ${first.row + (csv.header ? 1 : 0)} if no field spans lines), column "${first.column}"` : 'in no data row (a cut-off character at the end)';
  return (
    `${uri} is not valid UTF-8 as csv.encoding says: bytes were decoded as U+FFFD, ${where}; ${mangled} row(s) hold them, and standardize quarantines those whose configured columns do. ` +
    `Fix: set ${configPath}.csv.encoding to the file's real encoding (latin1 for most Windows and Excel exports) and run ingest again, or have the file written as UTF-8`
  );
}

/** Streams the objects of an NDJSON file (one JSON object per line; blank lines skipped), numbers exact. */
export function readNdjsonRecords(open: OpenStream, key: string, uri: string): AsyncGenerator<JsonRecord> {
  return readJsonObjects(open, key, uri, exactValues(), 'NDJSON', 'write one JSON object per line');
}

/**
 * Streams the objects of a JSON array file element by element, numbers exact, so a large array
 * never sits in memory whole.
 */
export function readJsonArrayRecords(open: OpenStream, key: string, uri: string): AsyncGenerator<JsonRecord> {
  return readJsonObjects(open, key, uri, exactArrayElements(), 'JSON', 'make the file one JSON array of objects, or use format ndjson');
}

async function* readJsonObjects(
  open: OpenStream,
  key: string,
  uri: string,
  { tokens, elements }: { tokens: Transform; elements: Transform },
  what: string,
  fix: string,
): AsyncGenerator<JsonRecord> {
  const raw = await open();
  const src = decompressed(raw, key);
  const guard = depthGuard(uri);
  src.pipe(tokens).pipe(guard).pipe(elements);
  // pipe() does not forward errors: a syntax, depth or decompression error must end the iteration too.
  src.on('error', (e) => elements.destroy(e));
  tokens.on('error', (e) => elements.destroy(e));
  guard.on('error', (e) => elements.destroy(e));
  try {
    for await (const { key: index, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof RawNumber) {
        throw new BadInputError(`${what} ${uri} element ${index + 1} is not an object`, { context: { file: uri, row: index + 1 }, fix: 'make every element a JSON object' });
      }
      yield { object: value as Record<string, unknown>, row: index + 1 };
    }
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    if (isZlibError(e)) throw badArchive(uri, e);
    const message = String((e as Error).message);
    // stream-json says what it expected but not where; the file is read again to find out.
    const at = message.startsWith('Parser') ? await locateJsonSyntaxError(async () => decompressed(await open(), key), what === 'NDJSON') : undefined;
    const where = at ? `line ${at.line}, column ${at.column} (character ${at.offset + 1} of the file)` : undefined;
    throw new BadInputError(`Cannot read ${what} ${uri}: ${where ? `${where}: ` : ''}${message}`, {
      context: { file: uri, ...(at ? { line: at.line, column: at.column } : {}) },
      fix: at ? `${fix}; repair the file at line ${at.line}, column ${at.column}` : fix,
    });
  } finally {
    elements.destroy();
    tokens.destroy();
    src.destroy();
    raw.destroy();
  }
}
