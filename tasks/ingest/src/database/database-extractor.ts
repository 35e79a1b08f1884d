import type { Readable } from 'node:stream';
import type * as arrow from 'apache-arrow';
import type { Knex } from 'knex';
import QueryStream from 'pg-query-stream';
import { BatchBuilder } from '@salesflow/batches';
import type { DatabaseEntityConfig, DatabaseSourceConfig } from '@salesflow/config';
import { BadInputError, PipelineError, UsageError } from '@salesflow/errors';
import type { Extraction, ExtractedInput, ExtractOptions, Extractor } from '../extractor';
import { BoundaryFilter, formatCursor, keyOf, lowerBound, parseCursor, type CursorType } from '../incremental/boundary-filter';
import { buildSelect, type SourceDialect } from './build-select';
import { mysqlColumn, type MysqlField } from './mysql-types';
import { openSourceDatabase } from './open-source-database';
import { pgColumn, pgTypeParsers, type SourceColumn } from './pg-types';

interface PgConn {
  query(q: { text: string; rowMode: 'array'; types: typeof pgTypeParsers }): Promise<{ fields: { name: string; dataTypeID: number }[] }>;
  query(q: QueryStream): QueryStream;
}
interface MysqlConn {
  query(opts: { sql: string; values?: unknown[]; rowsAsArray: true }, cb?: (err: Error | null, rows: unknown, fields: MysqlField[]) => void): { stream(o?: { highWaterMark?: number }): Readable };
}

/** SQL errors that mean the config names something the database does not have: retrying will not help. */
const NOT_FOUND = new Set(['42P01', '42703', '3F000', '42601', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_BAD_DB_ERROR', 'ER_PARSE_ERROR']);

/**
 * Reads tables and named queries from PostgreSQL (a server-side cursor, fetch_size rows per round
 * trip) or MySQL/MariaDB (a streamed result set, paused when the lake falls behind) into record
 * batches, so memory stays flat whatever the table size. Incremental entities read
 * `cursor >= watermark - lookback` and drop rows already loaded at the boundary.
 */
export class DatabaseExtractor implements Extractor<DatabaseEntityConfig> {
  readonly kind = 'database' as const;
  private readonly db: Knex;
  private readonly dialect: SourceDialect;

  constructor(
    private readonly source: DatabaseSourceConfig,
    /** Config path of the source, e.g. "sources.1", for error messages. */
    private readonly configPath: string,
    db?: Knex,
  ) {
    this.dialect = source.client;
    this.db = db ?? openSourceDatabase(source);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Lineage URI of an entity, without host credentials: "postgres://host:port/db/schema.table". */
  uriOf(entity: DatabaseEntityConfig): string {
    const c = this.source.connection;
    const what = entity.table ? `${entity.schema ? entity.schema + '.' : ''}${entity.table}` : `query/${entity.name}`;
    return `${this.source.client}://${c.host}${c.port ? ':' + c.port : ''}/${c.database}/${what}`;
  }

  async extract(entity: DatabaseEntityConfig, opts: ExtractOptions): Promise<Extraction> {
    const key = `${this.configPath}.entities.${this.source.entities.indexOf(entity)}`;
    const context = { source: this.source.name, entity: entity.name };
    const prev = opts.start?.watermark?.cursor === entity.cursor_column ? opts.start?.watermark : undefined;
    const select = buildSelect(this.dialect, entity, key, Boolean(prev && entity.cursor_column));
    const conn = (await this.db.client.acquireConnection()) as unknown;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await this.db.client.releaseConnection(conn);
    };
    try {
      const columns = await this.describe(conn, select.describeSql, key, context);
      const index = (name: string, what: string) => {
        const i = columns.findIndex((c) => c.name === name);
        if (i < 0) throw new UsageError(`${key}.${what}: the result of ${entity.table ?? 'the query'} has no column "${name}"`, { context, fix: `name one of: ${columns.map((c) => c.name).join(', ')}` });
        return i;
      };
      let filter: BoundaryFilter | undefined;
      let cursorAt = -1;
      let keyAt: number[] = [];
      let binds: unknown[] = [];
      if (entity.cursor_column) {
        cursorAt = index(entity.cursor_column, 'cursor_column');
        keyAt = (entity.primary_key ?? []).map((k, i) => index(k, `primary_key.${i}`));
        const type = cursorTypeOf(columns[cursorAt]!, `${key}.cursor_column`);
        if (prev && prev.cursor_type !== type) {
          throw new UsageError(`${key}.cursor_column: "${entity.cursor_column}" was a ${prev.cursor_type} cursor and is now ${type}`, { context, fix: 'run once with --full-refresh to start a new watermark' });
        }
        filter = new BoundaryFilter(type, entity.lookback, prev);
        if (prev) binds = [bindOf(type, lowerBound(type, parseCursor(type, prev.watermark), entity.lookback))];
      }
      const builder = new BatchBuilder(columns.map((c) => ({ name: c.name, kind: c.kind })));
      const inputs: ExtractedInput[] = [];
      const uri = this.uriOf(entity);
      const rowsStream = this.stream(conn, select.sql, binds);
      const converters = columns.map((c) => c.convert);
      const hasConverters = converters.some(Boolean);
      const batchSize = opts.batchSize;
      const self = this;
      async function* batches(): AsyncGenerator<arrow.RecordBatch> {
        let rows = 0;
        try {
          for await (const raw of rowsStream as AsyncIterable<unknown[]>) {
            if (hasConverters) {
              for (let i = 0; i < raw.length; i++) {
                if (raw[i] === null || !converters[i]) continue;
                try {
                  raw[i] = converters[i]!(raw[i]);
                } catch (e) {
                  throw new BadInputError(`${uri}: column ${columns[i]!.name}, row ${rows + 1} of the read: ${(e as Error).message}`, {
                    context: { ...context, column: columns[i]!.name },
                    fix: `correct the value at the source, or read the column through a query that casts it (${key}.query)`,
                  });
                }
              }
            }
            if (filter) {
              if (!filter.accept(raw[cursorAt] as number | bigint | null, () => keyOf(keyAt.map((i) => raw[i])))) continue;
            }
            builder.appendRow(raw);
            rows++;
            if (builder.length >= batchSize) yield builder.finish();
          }
          if (builder.length > 0) yield builder.finish();
          inputs.push({ uri, rows });
        } catch (e) {
          throw self.wrap(e, `reading ${uri}`, context);
        } finally {
          rowsStream.destroy();
          await release();
        }
      }
      return {
        schema: builder.schema,
        batches: batches(),
        planned: 1,
        inputs,
        outcome: filter
          ? () => {
              const next = filter.next(entity.cursor_column!);
              return { position: { watermark: next ?? prev }, dropped: filter.dropped };
            }
          : undefined,
      };
    } catch (e) {
      await release();
      throw this.wrap(e, `reading ${this.uriOf(entity)}`, context);
    }
  }

  private async describe(conn: unknown, sql: string, key: string, context: Record<string, string>): Promise<SourceColumn[]> {
    try {
      if (this.dialect === 'postgres') {
        const r = await (conn as PgConn).query({ text: sql, rowMode: 'array', types: pgTypeParsers });
        return r.fields.map((f) => pgColumn(f.name, f.dataTypeID));
      }
      const fields = await new Promise<MysqlField[]>((resolve, reject) =>
        (conn as MysqlConn).query({ sql, rowsAsArray: true }, (err, _rows, f) => (err ? reject(err) : resolve(f ?? []))),
      );
      return fields.map(mysqlColumn);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code && NOT_FOUND.has(code)) {
        throw new UsageError(`${key}: ${(e as Error).message}`, { context, fix: `correct the table, schema, columns or query of ${key}, or grant the user access` });
      }
      throw e;
    }
  }

  private stream(conn: unknown, sql: string, binds: unknown[]): Readable {
    if (this.dialect === 'postgres') {
      return (conn as PgConn).query(new QueryStream(sql, binds, { batchSize: this.source.fetch_size, rowMode: 'array', types: pgTypeParsers } as never));
    }
    return (conn as MysqlConn).query({ sql, values: binds, rowsAsArray: true }).stream({ highWaterMark: Math.min(this.source.fetch_size, 1024) });
  }

  private wrap(e: unknown, what: string, context: Record<string, string>): unknown {
    if (e instanceof PipelineError) return e;
    const err = e as Error & { code?: string };
    // Conversion errors name the value; driver errors are transient unless proven otherwise (exit 1, retried).
    return new PipelineError(`${what} failed: ${err.message}`, { context, cause: e, fix: err.code ? `database error ${err.code}` : undefined });
  }
}

/** The cursor type of a column, or a UsageError naming the key when the column cannot be a cursor. */
function cursorTypeOf(c: SourceColumn, key: string): CursorType {
  if (c.kind === 'timestamp' || c.kind === 'date') return c.kind;
  if (c.kind === 'int32' || c.kind === 'int64') return 'int';
  throw new UsageError(`${key}: column "${c.name}" is ${c.sourceType}; a cursor must be a timestamp, date or integer column`, { fix: 'pick an updated_at timestamp or an increasing id' });
}

/** A lower bound as a literal both databases compare correctly with their column types, sessions in UTC. */
function bindOf(type: CursorType, v: number | bigint): string {
  if (type === 'timestamp') return formatCursor(type, v).replace('T', ' ').replace('Z', '');
  return formatCursor(type, v);
}
