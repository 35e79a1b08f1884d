import * as arrow from 'apache-arrow';
import { isUtf8 } from 'node:buffer';
import type { FileEntityConfig } from '@salesflow/config';
import { copyBytes } from '@salesflow/batches';
import { BadInputError } from '@salesflow/errors';

/**
 * A CSV reader that goes from the file's bytes straight into Arrow Utf8 columns, for UTF-8 files
 * with a one-byte delimiter and quote. It makes no JS string per field: a field's bytes are copied
 * into its column's buffer (doubled quotes undone). It follows csv-parse as the pipeline
 * configures it (bom, skip_empty_lines, relax_column_count, comment with comment_no_infix; each
 * record ends at its own unquoted \n, \r\n or \r), and where csv-parse would fail it reports `CsvSyntaxError`,
 * so the caller can let csv-parse say what and where.
 */

const LF = 0x0a;
const CR = 0x0d;
/** Records longer than this are refused rather than held in memory (an unclosed quote, most often). */
export const MAX_RECORD_BYTES = 64 * 2 ** 20;

/** The bytes of a CSV dialect: delimiter, quote, and the comment character (-1 for none). */
export interface CsvByteDialect {
  readonly delimiter: number;
  readonly quote: number;
  readonly comment?: number;
}

/** The byte-level dialect the reader handles, or undefined when the options need csv-parse (another encoding, a longer delimiter, a non-ASCII comment). */
export function byteDialect(csv: FileEntityConfig['csv']): CsvByteDialect | undefined {
  if (csv.encoding !== 'utf8' && csv.encoding !== 'utf-8') return undefined;
  if (csv.delimiter.length !== 1 || csv.quote.length !== 1 || (csv.comment !== undefined && csv.comment.length !== 1)) return undefined;
  const delimiter = csv.delimiter.charCodeAt(0);
  const quote = csv.quote.charCodeAt(0);
  const comment = csv.comment === undefined ? -1 : csv.comment.charCodeAt(0);
  const plain = (c: number) => c < 0x80 && c !== LF && c !== CR;
  if (comment >= 0 && (!plain(comment) || comment === delimiter || comment === quote)) return undefined;
  return plain(delimiter) && plain(quote) && delimiter !== quote ? { delimiter, quote, comment } : undefined;
}

/** Raised where csv-parse would reject the file; `record` is the 1-based record (header included) it is in. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly record: number,
    what: string,
  ) {
    super(`${what} in record ${record}`);
  }
}

/** The text of a finished batch: one Utf8 column per requested column, and the data rows it holds. */
export interface CsvColumnBatch {
  readonly columns: arrow.Data<arrow.Utf8>[];
  readonly length: number;
  /** 1-based data row of the batch's first row (header excluded). */
  readonly firstRow: number;
}

/** One Utf8 column being filled: offsets and bytes grown as fields arrive. */
class Utf8Column {
  offsets: Int32Array;
  bytes: Uint8Array;
  used = 0;

  constructor(rows: number, bytes: number) {
    this.offsets = new Int32Array(rows + 1);
    this.bytes = new Uint8Array(bytes);
  }

  reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}

/**
 * Parses CSV bytes pushed chunk by chunk into batches of `batchSize` rows. `columns` are the
 * output columns; the file's header (or, without one, the first record's width) decides which
 * field feeds which column, and columns the file lacks are all null.
 */
export class CsvColumnParser {
  private pending: Buffer | undefined;
  private started = false;
  private records = 0;
  private fields = -1;
  /** For each file field, its output column or -1. */
  private target: Int32Array = new Int32Array(0);
  private names: string[] = [];
  private out: Utf8Column[] = [];
  private rows = 0;
  private firstRow = 1;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  /** Per field: 1 when it holds doubled quotes, 2 when text follows its closing quote (at mids[f]). */
  private escaped = new Uint8Array(64);
  private mids = new Int32Array(64);
  private bytesHint: number[];
  /** Rows of the file holding bytes that are not UTF-8 (decoded to U+FFFD, as csv-parse's decoder would), and the first one. */
  mangled = 0;
  /** Blank lines skipped between records (an empty line is no record, as for csv-parse's skip_empty_lines). */
  blankLines = 0;
  /** Comment lines skipped (a record that starts with the comment character, up to its line end; csv-parse's comment_no_infix). */
  commentLines = 0;
  firstMangled: { row: number; column: string } | undefined;

  constructor(
    private readonly dialect: CsvByteDialect,
    private readonly header: boolean,
    private readonly columns: readonly string[],
    private readonly batchSize: number,
    private readonly uri: string,
  ) {
    this.bytesHint = columns.map(() => 64 * 1024);
  }

  /** The file's column names (from its header, or column_1..n), once the first record is read. */
  get fileColumns(): readonly string[] {
    return this.names;
  }

  /** Parses a chunk; returns the batches it completed. */
  push(chunk: Buffer): CsvColumnBatch[] {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.started) {
      if (buf.length < 3 && buf[0] === 0xef) {
        this.pending = buf;
        return [];
      }
      this.started = true;
      buf = withoutBom(buf);
    }
    const out: CsvColumnBatch[] = [];
    const used = this.parse(buf, false, out);
    const rest = buf.length - used;
    if (rest > MAX_RECORD_BYTES) {
      throw new BadInputError(`Cannot read CSV ${this.uri}: record ${this.records + 1} is longer than ${MAX_RECORD_BYTES / 2 ** 20} MiB`, {
        context: { file: this.uri, row: this.records + 1 - (this.header ? 1 : 0) },
        fix: 'close the quote that opens in that record (a field with an opening quote runs to the next quote), or split the record',
      });
    }
    this.pending = rest > 0 ? Buffer.from(buf.subarray(used)) : undefined;
    return out;
  }

  /** Parses what is left at the end of the file; returns the last batches. */
  end(): CsvColumnBatch[] {
    const out: CsvColumnBatch[] = [];
    if (this.pending) {
      let buf = this.pending;
      if (!this.started) buf = withoutBom(buf);
      this.started = true;
      this.pending = undefined;
      this.parse(buf, true, out);
    }
    if (this.rows > 0) out.push(this.finishBatch());
    return out;
  }

  /** Parses whole records of buf (all of it when `last`); returns how many bytes were consumed. */
  private parse(buf: Buffer, last: boolean, out: CsvColumnBatch[]): number {
    const n = buf.length;
    const { delimiter, quote } = this.dialect;
    const comment = this.dialect.comment ?? -1;
    let p = 0;
    records: while (p < n) {
      const recordStart = p;
      let count = 0;
      // Skip an empty line (a record delimiter right at the start of a record).
      const emptyEnd = this.lineEndAt(buf, p, last);
      if (emptyEnd === -2) return recordStart;
      if (emptyEnd >= 0) {
        p = emptyEnd;
        this.blankLines++;
        continue;
      }
      if (buf[p] === comment) {
        // Quotes and delimiters mean nothing in a comment: it runs to the first line end.
        let q = p + 1;
        while (q < n && buf[q] !== LF && buf[q] !== CR) q++;
        if (q >= n && !last) return recordStart;
        const e = q >= n ? n : this.lineEndAt(buf, q, last);
        if (e === -2) return recordStart;
        p = e;
        this.commentLines++;
        continue;
      }
      for (;;) {
        if (count === this.starts.length) this.growFields();
        if (p < n && buf[p] === quote) {
          const s = p + 1;
          let q = s;
          let esc = 0;
          for (;;) {
            q = buf.indexOf(quote, q);
            if (q < 0) {
              if (last) throw new CsvSyntaxError(this.records + 1, 'a quote is not closed');
              return recordStart;
            }
            if (q + 1 < n && buf[q + 1] === quote) {
              esc = 1;
              q += 2;
              continue;
            }
            if (q + 1 >= n && !last) return recordStart;
            break;
          }
          this.starts[count] = s;
          this.ends[count] = q;
          this.escaped[count++] = esc;
          p = q + 1;
          if (p >= n) break;
          const c = buf[p]!;
          if (c === delimiter) {
            p++;
            continue;
          }
          const e = this.lineEndAt(buf, p, last);
          if (e === -2) return recordStart;
          if (e >= 0) {
            p = e;
            break;
          }
          if (c !== comment) throw new CsvSyntaxError(this.records + 1, 'a closing quote is not followed by a delimiter or a line end');
          // csv-parse lets a comment character follow a closing quote (its infix comments). With
          // comment_no_infix, after an empty quoted first field ("") it comments out the rest of the
          // line, whose record is that one field; otherwise it and the field's rest are text: "q"#a is q#a.
          if (q === s && count === 1) {
            let l = p;
            while (l < n && buf[l] !== LF && buf[l] !== CR) l++;
            if (l >= n && !last) return recordStart;
            const lineEnd = l >= n ? n : this.lineEndAt(buf, l, last);
            if (lineEnd === -2) return recordStart;
            p = lineEnd;
            break;
          }
          const end = this.unquotedEnd(buf, p, last);
          if (end === -2) return recordStart;
          this.mids[count - 1] = q;
          this.ends[count - 1] = end;
          this.escaped[count - 1] = esc | 2;
          p = end;
          if (p >= n) break;
          if (buf[p] === delimiter) {
            p++;
            continue;
          }
          p = this.lineEndAt(buf, p, last);
          break;
        }
        const s = p;
        let e = -1;
        while (p < n) {
          const c = buf[p]!;
          if (c === delimiter) break;
          if (c === LF || c === CR) {
            e = this.lineEndAt(buf, p, last);
            if (e === -2) return recordStart;
            if (e >= 0) break;
          } else if (c === quote) throw new CsvSyntaxError(this.records + 1, 'a quote opens inside an unquoted field');
          p++;
        }
        if (p >= n && !last) return recordStart;
        this.starts[count] = s;
        this.ends[count] = p;
        this.escaped[count++] = 0;
        if (p >= n) break;
        if (e >= 0) {
          p = e;
          break;
        }
        p++; // the delimiter; at the very end of the file, one more (empty) field follows it
      }
      this.record(buf, count, out);
      continue records;
    }
    return p;
  }

  /**
   * Where the record delimiter at p ends, or -1 when p does not start one, or -2 when the bytes
   * so far cannot tell (a \r at the end of a chunk). Each record ends at its own \n, \r\n or \r,
   * so a file whose line endings are mixed (edited on two systems, concatenated) reads as
   * pandas, DuckDB and Spark read it (csv-parse with record_delimiter [\r\n, \n, \r] likewise).
   */
  private lineEndAt(buf: Buffer, p: number, last: boolean): number {
    const c = buf[p];
    if (c === LF) return p + 1;
    if (c !== CR) return -1;
    if (p + 1 >= buf.length) return last ? p + 1 : -2;
    return buf[p + 1] === LF ? p + 2 : p + 1;
  }

  /** Where an unquoted run from p ends (a delimiter, a line end, or the end of the file), or -2 when the bytes so far cannot tell. */
  private unquotedEnd(buf: Buffer, p: number, last: boolean): number {
    const n = buf.length;
    const { delimiter, quote } = this.dialect;
    for (; p < n; p++) {
      const c = buf[p]!;
      if (c === delimiter) return p;
      if (c === LF || c === CR) return this.lineEndAt(buf, p, last) === -2 ? -2 : p;
      if (c === quote) throw new CsvSyntaxError(this.records + 1, 'a quote opens inside an unquoted field');
    }
    return last ? n : -2;
  }

  private growFields(): void {
    const size = this.starts.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, new Int32Array(size));
    this.ends = grow(this.ends, new Int32Array(size));
    this.escaped = grow(this.escaped, new Uint8Array(size));
    this.mids = grow(this.mids, new Int32Array(size));
  }

  private record(buf: Buffer, count: number, out: CsvColumnBatch[]): void {
    this.records++;
    if (this.fields < 0) {
      this.fields = count;
      const texts = Array.from({ length: count }, (_, i) => this.text(buf, i));
      this.names = this.header ? texts.map((t, i) => t.trim() || `column_${i + 1}`) : texts.map((_, i) => `column_${i + 1}`);
      this.target = Int32Array.from(this.names, (name) => this.columns.indexOf(name));
      this.startBatch();
      if (this.header) return;
    }
    const row = this.records - (this.header ? 1 : 0);
    if (count !== this.fields) {
      throw new BadInputError(`Cannot read CSV ${this.uri} at row ${row}: expected ${this.fields} fields, found ${count}`, {
        context: { file: this.uri, row },
        fix: 'repair that row (quote fields that contain the delimiter), or remove it from the file',
      });
    }
    const r = this.rows++;
    for (let f = 0; f < count; f++) {
      const t = this.target[f]!;
      if (t < 0) continue;
      const col = this.out[t]!;
      const s = this.starts[f]!;
      const e = this.ends[f]!;
      col.reserve(e - s);
      let w = col.used;
      const dst = col.bytes;
      const escaped = this.escaped[f]!;
      if (escaped) {
        const quote = this.dialect.quote;
        const q = escaped & 2 ? this.mids[f]! : e;
        for (let i = s; i < q; i++) {
          const b = buf[i]!;
          dst[w++] = b;
          if (b === quote) i++;
        }
        if (escaped & 2) w = copyBytes(dst, w, buf, q + 1, e);
      } else w = copyBytes(dst, w, buf, s, e);
      col.used = w;
      col.offsets[r + 1] = w;
    }
    if (this.rows === this.batchSize) out.push(this.finishBatch());
  }

  /** Field i of the current record as text (for the header). */
  private text(buf: Buffer, i: number): string {
    const quote = String.fromCharCode(this.dialect.quote);
    const tail = this.escaped[i]! & 2 ? this.mids[i]! : -1;
    const raw = buf.toString('utf8', this.starts[i], tail >= 0 ? tail : this.ends[i]);
    const text = this.escaped[i]! & 1 ? raw.split(quote.repeat(2)).join(quote) : raw;
    return tail >= 0 ? text + buf.toString('utf8', tail + 1, this.ends[i]) : text;
  }

  private startBatch(): void {
    this.out = this.columns.map((_, c) => (this.target.includes(c) ? new Utf8Column(this.batchSize, this.bytesHint[c]!) : new Utf8Column(0, 0)));
  }

  private finishBatch(): CsvColumnBatch {
    const length = this.rows;
    const firstRow = this.firstRow;
    const present = new Set(this.target);
    const columns = this.out.map((col, c): arrow.Data<arrow.Utf8> => {
      if (!present.has(c)) {
        return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: length, nullBitmap: new Uint8Array(((length + 63) & ~63) >> 3), valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
      }
      // Next batch's buffer starts at this one's size, so a steady file grows each column once.
      this.bytesHint[c] = Math.max(1024, col.used + (col.used >> 3));
      return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: 0, valueOffsets: col.offsets.subarray(0, length + 1), data: col.bytes.subarray(0, col.used) });
    });
    this.repairEncoding(columns, firstRow);
    this.firstRow += length;
    this.rows = 0;
    this.startBatch();
    return { columns, length, firstRow };
  }

  /**
   * Bytes that are not UTF-8 become U+FFFD, as csv-parse's decoder makes them (delimiters, quotes
   * and line ends are ASCII, so decoding field by field gives the same text as the whole file).
   * Such rows are counted, and the first one named, for the step's warning.
   */
  private repairEncoding(columns: arrow.Data<arrow.Utf8>[], firstRow: number): void {
    const bad = columns.map((d) => d.nullCount === 0 && !isUtf8(d.values));
    if (!bad.includes(true)) return;
    const length = columns[0]!.length;
    const texts = columns.map((d, c) => (bad[c] ? Array.from({ length }, (_, r) => Buffer.from(d.values.buffer, d.values.byteOffset + d.valueOffsets[r]!, d.valueOffsets[r + 1]! - d.valueOffsets[r]!).toString('utf8')) : undefined));
    // Columns in the file's field order, so the first bad field of a row is the one named.
    const order = [...this.target].filter((t) => t >= 0 && bad[t]);
    for (let r = 0; r < length; r++) {
      const at = order.find((c) => !isUtf8(columns[c]!.values.subarray(columns[c]!.valueOffsets[r], columns[c]!.valueOffsets[r + 1])));
      if (at === undefined) continue;
      this.mangled++;
      this.firstMangled ??= { row: firstRow + r, column: this.columns[at]! };
    }
    for (let c = 0; c < columns.length; c++) {
      const t = texts[c];
      if (!t) continue;
      const bytes = t.map((s) => Buffer.from(s, 'utf8'));
      const offsets = new Int32Array(length + 1);
      for (let r = 0; r < length; r++) offsets[r + 1] = offsets[r]! + bytes[r]!.length;
      columns[c] = arrow.makeData({ type: new arrow.Utf8(), length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(bytes) });
    }
  }
}

/** The bytes after a UTF-8 byte order mark at the start, if there is one. */
function withoutBom(buf: Buffer): Buffer {
  return buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
}
