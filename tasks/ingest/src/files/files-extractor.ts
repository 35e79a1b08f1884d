import * as arrow from 'apache-arrow';
import picomatch from 'picomatch';
import { arrowTypeOf, assembleBatch, BatchBuilder, constantUtf8Data, int32Data, type ColumnDef } from '@salesflow/batches';
import type { FileEntityConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import { readParquetFile, readParquetSchema, type ObjectInfo, type Storage } from '@salesflow/lake';
import type { Extraction, ExtractedInput, ExtractOptions, Extractor } from '../extractor';
import { detectFormat, type FileFormat } from './detect-format';
import { readCsvColumns, readCsvHeader, readCsvRecords, readJsonArrayRecords, readNdjsonRecords, readsCsvColumns, type JsonRecord, type TextRecord } from './read-text-records';
import { checkCsvHeader } from './check-csv-header';
import { noRowsWarning } from './no-rows-warning';
import { toRawText } from './raw-value';
import { landingOf, landParquetBatch, type LandedColumn } from './parquet-to-lake';

/** Lineage columns every raw row carries: the file it came from and its 1-based data row (CSV), line (NDJSON) or element (JSON). */
export const SOURCE_FILE_COLUMN = '_source_file';
export const SOURCE_ROW_COLUMN = '_source_row';

interface MatchedFile {
  readonly info: ObjectInfo;
  readonly uri: string;
  readonly format: FileFormat;
}

/** Reads CSV, JSON array, NDJSON and Parquet files (optionally gzip-compressed) matched by a glob under a folder or s3:// prefix. */
export class FilesExtractor implements Extractor<FileEntityConfig> {
  readonly kind = 'files' as const;

  constructor(
    private readonly storage: Storage,
    /** Config path of the source, for error messages, e.g. "sources.0". */
    private readonly configPath: string,
  ) {}

  async extract(entity: FileEntityConfig, opts: ExtractOptions): Promise<Extraction> {
    const known = opts.start?.files ?? {};
    // A file counts as ingested by its URI and modification time: one landed again (rewritten) is read again.
    const matched = await this.match(entity);
    const files = matched.filter((f) => !entity.new_files_only || known[f.uri] !== f.info.modified.toISOString());
    const inputs: ExtractedInput[] = [];
    // The state lists the files still there (ingested before, or now): it stays as long as the listing, not the history.
    const outcome = entity.new_files_only
      ? () => ({
          position: { files: Object.fromEntries([...matched.filter((f) => known[f.uri] !== undefined).map((f) => [f.uri, known[f.uri]!]), ...inputs.map((i) => [i.uri, i.modified ?? ''])]) },
          dropped: 0,
        })
      : undefined;
    if (files.length === 0) {
      return { schema: new BatchBuilder(this.lineageColumns()).schema, batches: (async function* () {})(), inputs, planned: 0, found: matched.length, outcome };
    }
    const formats = new Set(files.map((f) => f.format));
    if (formats.has('parquet') && formats.size > 1) {
      throw new BadInputError(`Entity ${entity.name} matches Parquet and text files together: ${files.map((f) => f.info.key).join(', ')}`, {
        fix: `narrow ${this.configPath}.entities pattern "${entity.pattern}" so it matches one kind of file`,
      });
    }
    const extraction = formats.has('parquet') ? await this.extractParquet(files, opts.batchSize, inputs) : await this.extractText(entity, files, opts, inputs);
    return { ...extraction, found: matched.length, outcome };
  }

  private lineageColumns(): ColumnDef[] {
    return [
      { name: SOURCE_FILE_COLUMN, kind: 'string', nullable: false },
      { name: SOURCE_ROW_COLUMN, kind: 'int32', nullable: false },
    ];
  }

  private async match(entity: FileEntityConfig): Promise<MatchedFile[]> {
    const isMatch = picomatch(entity.pattern, { dot: false });
    const found = (await this.storage.list('')).filter((o) => isMatch(o.key));
    return found.map((info) => {
      const format = detectFormat(info.key, entity);
      const uri = this.storage.uriOf(info.key);
      if (!format) {
        throw new BadInputError(`Cannot tell the format of ${uri}`, { context: { file: uri }, fix: `set ${this.configPath}.entities[${entity.name}].format to csv, json, ndjson or parquet` });
      }
      return { info, uri, format };
    });
  }

  private async extractText(entity: FileEntityConfig, files: readonly MatchedFile[], opts: ExtractOptions, inputs: ExtractedInput[]): Promise<Extraction> {
    const batchSize = opts.batchSize;
    // The schema must be known before the first batch: the union of every file's columns, in order of appearance.
    const names: string[] = [];
    const headers = new Map<string, string[]>();
    for (const f of files) {
      // A file of 0 bytes is an export with nothing in it, whatever its format: no rows, and a warning.
      const cols =
        f.info.size === 0 ? [] : f.format === 'csv' ? await readCsvHeader(() => this.storage.getStream(f.info.key), f.info.key, f.uri, entity.csv) : await this.scanJsonKeys(f);
      if (f.format === 'csv' && entity.csv.header && cols.length) checkCsvHeader(cols, f.uri, opts.declaredColumns, `${this.configPath}.entities[${entity.name}]`);
      headers.set(f.info.key, cols);
      for (const c of cols) if (!names.includes(c)) names.push(c);
    }
    for (const lineage of [SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN]) {
      if (names.includes(lineage)) throw new BadInputError(`Column ${lineage} in the source files clashes with a lineage column`, { fix: 'rename that column in the source' });
    }
    const columns: ColumnDef[] = [...names.map((name): ColumnDef => ({ name, kind: 'string' })), ...this.lineageColumns()];
    const builder = new BatchBuilder(columns);
    const storage = this.storage;
    const csvHeader = entity.csv.header;
    const configPath = this.configPath;
    const warnings: string[] = [];
    const byColumns = readsCsvColumns(entity.csv);
    const records = (f: MatchedFile): AsyncGenerator<TextRecord> => {
      if (f.info.size === 0) return (async function* () {})();
      const open = () => storage.getStream(f.info.key);
      if (f.format === 'csv') return readCsvRecords(open, f.info.key, f.uri, entity.csv, names, (w) => warnings.push(w), `${configPath}.entities[${entity.name}]`);
      return alignJson(f.format === 'ndjson' ? readNdjsonRecords(open, f.info.key, f.uri) : readJsonArrayRecords(open, f.info.key, f.uri), names);
    };
    async function* batches(): AsyncGenerator<arrow.RecordBatch> {
      const row = new Array<unknown>(columns.length);
      for (const f of files) {
        let rows = 0;
        if (f.format === 'csv' && f.info.size > 0 && byColumns) {
          // Straight from bytes to columns; rows gathered from earlier JSON files go first.
          if (builder.length > 0) yield builder.finish();
          const open = () => storage.getStream(f.info.key);
          for await (const b of readCsvColumns(open, f.info.key, f.uri, entity.csv, names, batchSize, (w) => warnings.push(w), `${configPath}.entities[${entity.name}]`)) {
            const sourceRows = new Int32Array(b.length);
            for (let r = 0; r < b.length; r++) sourceRows[r] = b.firstRow + r;
            yield assembleBatch(builder.schema, [...b.columns, constantUtf8Data(f.uri, b.length), int32Data(sourceRows)], b.length);
            rows += b.length;
          }
        } else {
          for await (const rec of records(f)) {
            for (let i = 0; i < names.length; i++) row[i] = toRawText(rec.values[i]);
            row[names.length] = f.uri;
            row[names.length + 1] = rec.row;
            builder.appendRow(row);
            rows++;
            if (builder.length >= batchSize) yield builder.finish();
          }
        }
        if (rows === 0) warnings.push(noRowsWarning(f.uri, f.format, f.info.size, csvHeader ? headers.get(f.info.key)!.length : 0));
        inputs.push({ uri: f.uri, rows, bytes: f.info.size, modified: f.info.modified.toISOString() });
      }
      if (builder.length > 0) yield builder.finish();
    }
    return { schema: builder.schema, batches: batches(), inputs, planned: files.length, warnings };
  }

  private async scanJsonKeys(f: MatchedFile): Promise<string[]> {
    const keys = new Set<string>();
    const open = () => this.storage.getStream(f.info.key);
    const it = f.format === 'ndjson' ? readNdjsonRecords(open, f.info.key, f.uri) : readJsonArrayRecords(open, f.info.key, f.uri);
    for await (const rec of it) for (const k of Object.keys(rec.object)) keys.add(k);
    return [...keys];
  }

  private async extractParquet(files: readonly MatchedFile[], batchSize: number, inputs: ExtractedInput[]): Promise<Extraction> {
    const storage = this.storage;
    const first = await storage.openLocal(files[0]!.info.key);
    const fileSchema = await readParquetSchema(first.path)
      .catch((e: unknown) => {
        throw namingFile(e, first.path, files[0]!.uri);
      })
      .finally(() => first.release());
    // Checked here, not when the raw partition is opened, so the error names the landing file.
    const landings = fileSchema.fields.map((fld) => landingOf(fld.type));
    const unsupported = fileSchema.fields.find((_, i) => !landings[i]);
    if (unsupported) {
      throw new BadInputError(`Parquet file ${files[0]!.uri}: column "${unsupported.name}" is of type ${typeName(unsupported.type)}, which no lake column can hold`, {
        context: { file: files[0]!.uri, column: unsupported.name },
        fix: `cast the column to a number, text, date, timestamp, decimal or a list/struct where the file is written, or land the file without "${unsupported.name}"`,
      });
    }
    const lineage = new BatchBuilder(this.lineageColumns());
    const landedFields = fileSchema.fields.map((fld, i) => new arrow.Field(fld.name, arrowTypeOf(landings[i]!.kind), true));
    const schema = new arrow.Schema([...landedFields, ...lineage.schema.fields]);
    const warnings: string[] = [];
    async function* batches(): AsyncGenerator<arrow.RecordBatch> {
      for (const f of files) {
        const local = await storage.openLocal(f.info.key);
        let rows = 0;
        try {
          for await (const b of readParquetFile(local.path, { batchSize })) {
            const mismatch = fileSchema.fields.find((fld, i) => b.schema.fields[i]?.name !== fld.name || String(b.schema.fields[i]?.type) !== String(fld.type));
            if (mismatch || b.schema.fields.length !== fileSchema.fields.length) {
              throw new BadInputError(`Parquet file ${f.uri} has a different schema than ${files[0]!.uri}${mismatch ? ` (column ${mismatch.name})` : ''}`, {
                context: { file: f.uri },
                fix: 'land files of one schema per entity, or split them into two entities',
              });
            }
            for (let r = 0; r < b.numRows; r++) lineage.appendRow([f.uri, rows + r + 1]);
            const extra = lineage.finish();
            rows += b.numRows;
            const landed = landParquetBatch(b, landings as LandedColumn[]);
            yield assembleBatch(schema, [...landed.children, ...extra.data.children], b.numRows);
          }
        } catch (e) {
          throw namingFile(e, local.path, f.uri);
        } finally {
          await local.release();
        }
        if (rows === 0) warnings.push(noRowsWarning(f.uri, f.format, f.info.size, fileSchema.fields.length));
        inputs.push({ uri: f.uri, rows, bytes: f.info.size, modified: f.info.modified.toISOString() });
      }
    }
    return { schema, batches: batches(), inputs, planned: files.length, warnings };
  }
}

/** A bad-input error about the local copy of a file (a temporary folder), told of the file as landed. */
function namingFile(e: unknown, localPath: string, uri: string): unknown {
  if (!(e instanceof BadInputError) || localPath === uri) return e;
  return new BadInputError(e.message.split(localPath).join(uri), { context: { ...e.context, file: uri }, fix: e.fix, cause: e });
}

/** JSON objects as values in column order, like CSV records. */
async function* alignJson(objects: AsyncIterable<JsonRecord>, columns: readonly string[]): AsyncGenerator<TextRecord> {
  for await (const { object, row } of objects) yield { values: columns.map((c) => object[c]), row };
}

/** An Arrow type as people write it: Decimal(12, 2), Timestamp(ns, UTC), List<Int32>. */
function typeName(type: arrow.DataType): string {
  if (arrow.DataType.isDecimal(type)) return `Decimal(${type.precision}, ${type.scale})`;
  return String(type);
}
