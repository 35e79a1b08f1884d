import type { Readable } from 'node:stream';
import type * as arrow from 'apache-arrow';
import type { Knex } from 'knex';
import { BatchBuilder } from '@salesflow/batches';
import type { DatabaseEntityConfig, DatabaseSourceConfig } from '@salesflow/config';
import { BadInputError, PipelineError, UsageError } from '@salesflow/errors';
import type { Extraction, ExtractedInput, ExtractOptions, Extractor } from '../extractor';
import type { DataInterval } from '@salesflow/step';
import { BoundaryFilter, formatCursor, keyOf, lowerBound, parseCursor, type CursorType, type WatermarkState } from '../incremental/boundary-filter';
import { buildSelect, type CursorRange, type SourceDialect } from './build-select';
import { ConnectionLostError } from './connection-lost-error';
import { mysqlColumn, type MysqlField } from './mysql-types';
import { openSourceDatabase } from './open-source-database';
import { PgBinaryDecoder, PgValueNotStorableError } from './pg-binary-decoder';
import { copySelect, readPgCopy, type PgCopySource } from './pg-copy-reader';
import { pgColumn, pgTypeParsers, type SourceColumn } from './pg-types';
import type { CursorBound } from '../incremental/entity-state';
import { bindSessionParams, type SessionParam } from './session-params';

interface PgConn {
  query(q: { text: string; rowMode: 'array'; types: typeof pgTypeParsers }): Promise<{ fields: { name: string; dataTypeID: number }[] }>;
}
interface MysqlQuery {
  on(event: 'result', cb: (row: unknown[]) => void): MysqlQuery;
  on(event: 'error', cb: (err: Error) => void): MysqlQuery;
  on(event: 'end', cb: () => void): MysqlQuery;
}
interface MysqlConn {
  query(opts: { sql: string; rowsAsArray: true }, cb?: (err: Error | null, rows: unknown, fields: MysqlField[]) => void): MysqlQuery & { stream(o?: { highWaterMark?: number }): Readable };
  pause(): void;
  resume(): void;
  destroy(): void;
  on(event: 'error' | 'end', cb: (err?: Error) => void): unknown;
  removeListener(event: 'error' | 'end', cb: (err?: Error) => void): unknown;
}

/** SQL errors that mean the config names something the database does not have: retrying will not help. */
const NOT_FOUND = new Set(['42P01', '42703', '3F000', '42601', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_BAD_DB_ERROR', 'ER_PARSE_ERROR']);

/**
 * Reads tables and named queries from PostgreSQL (binary COPY decoded straight into Arrow
 * buffers, the socket paused when the lake falls behind) or MySQL/MariaDB (a streamed result
 * set, paused likewise) into record batches, so memory stays flat whatever the table size.
 * Incremental entities read `cursor >= watermark - lookback` and drop rows already loaded at
 * the boundary.
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
    const conn = (await this.db.client.acquireConnection()) as unknown;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await this.db.client.releaseConnection(conn);
    };
    try {
      if (opts.run) await bindSessionParams(conn, this.dialect, intervalParams(opts.run.ds, opts.run.interval));
      const columns = await this.describe(conn, buildSelect(this.dialect, entity, key).describeSql, key, context);
      const index = (name: string, what: string) => {
        const i = columns.findIndex((c) => c.name === name);
        if (i < 0) throw new UsageError(`${key}.${what}: the result of ${entity.table ?? 'the query'} has no column "${name}"`, { context, fix: `name one of: ${columns.map((c) => c.name).join(', ')}` });
        return i;
      };
      let filter: BoundaryFilter | undefined;
      let cursorAt = -1;
      let keyAt: number[] = [];
      let range: CursorRange = {};
      let readTo: string | undefined;
      let readFrom: CursorBound | undefined;
      if (entity.cursor_column) {
        cursorAt = index(entity.cursor_column, 'cursor_column');
        keyAt = (entity.primary_key ?? []).map((k, i) => index(k, `primary_key.${i}`));
        const type = cursorTypeOf(columns[cursorAt]!, `${key}.cursor_column`);
        if (prev && prev.cursor_type !== type) {
          throw new UsageError(`${key}.cursor_column: "${entity.cursor_column}" was a ${prev.cursor_type} cursor and is now ${type}`, { context, fix: 'run once with --full-refresh to start a new watermark' });
        }
        filter = new BoundaryFilter(type, entity.lookback, prev);
        const bounds = cursorBounds(type, entity.lookback, prev, opts.run, prev ? opts.start?.readFrom : undefined);
        range = { fromType: bounds.from?.type, to: bounds.to !== undefined };
        readTo = bounds.to;
        readFrom = bounds.from;
        await bindSessionParams(conn, this.dialect, [
          ...(bounds.from ? [{ name: 'cursor_from', ...bounds.from }] : []),
          ...(bounds.to ? [{ name: 'cursor_to', type: 'timestamp' as const, value: sqlTimestamp(bounds.to) }] : []),
        ]);
      }
      const select = buildSelect(this.dialect, entity, key, range);
      const inputs: ExtractedInput[] = [];
      const uri = this.uriOf(entity);
      const outcome = filter
        ? () => {
            const next = filter!.next(entity.cursor_column!);
            return { position: { watermark: next ?? prev }, dropped: filter!.dropped, ...(readTo ? { readTo } : {}), ...(readFrom ? { readFrom } : {}) };
          }
        : undefined;
      /** A value the lake cannot hold: bad input naming the column and the row of the read. */
      const notStorable = (column: string, row: number, message: string) =>
        new BadInputError(`${uri}: column ${column}, row ${row} of the read: ${message}`, {
          context: { ...context, column },
          fix: `correct the value at the source, or read the column through a query that casts it (${key}.query)`,
        });
      if (this.dialect === 'postgres') {
        const copy = copySelect(select.sql, columns as PgCopySource[]);
        const rowFilter = filter && { cursorAt, keyAt, accept: (cursor: number | bigint | null, key: () => readonly unknown[]) => filter!.accept(cursor, () => keyOf(key())) };
        const decoder = new PgBinaryDecoder(copy.columns, opts.batchSize, rowFilter);
        const self = this;
        const batches = async function* (): AsyncGenerator<arrow.RecordBatch> {
          let rows = 0;
          try {
            for await (const batch of readPgCopy(conn, copy.sql, decoder)) {
              rows += batch.numRows;
              yield batch;
            }
            inputs.push({ uri, rows });
          } catch (e) {
            if (e instanceof PgValueNotStorableError) throw notStorable(e.column, e.row, e.message);
            throw self.wrap(e, `reading ${uri}`, context, decoder.rowsRead);
          } finally {
            await release();
          }
        };
        return { schema: decoder.schema, batches: batches(), planned: 1, inputs, outcome };
      }
      const builder = new BatchBuilder(columns.map((c) => ({ name: c.name, kind: c.kind })));
      const chunks = this.readChunks(conn, select.sql);
      const converters = columns.map((c) => c.convert);
      const hasConverters = converters.some(Boolean);
      const batchSize = opts.batchSize;
      const self = this;
      /** Turns driver values into lake values in place; a value the lake cannot hold fails naming column and row. */
      const convert = (raw: unknown[], row: number) => {
        for (let i = 0; i < raw.length; i++) {
          if (raw[i] === null || !converters[i]) continue;
          try {
            raw[i] = converters[i]!(raw[i]);
          } catch (e) {
            throw notStorable(columns[i]!.name, row, (e as Error).message);
          }
        }
      };
      async function* batches(): AsyncGenerator<arrow.RecordBatch> {
        let rows = 0;
        let received = 0;
        try {
          for await (const chunk of chunks) {
            received += chunk.length;
            for (const raw of chunk) {
              if (hasConverters) convert(raw, rows + 1);
              if (filter && !filter.accept(raw[cursorAt] as number | bigint | null, () => keyOf(keyAt.map((i) => raw[i])))) continue;
              builder.appendRow(raw);
              rows++;
              if (builder.length >= batchSize) yield builder.finish();
            }
          }
          if (builder.length > 0) yield builder.finish();
          inputs.push({ uri, rows });
        } catch (e) {
          throw self.wrap(e, `reading ${uri}`, context, received);
        } finally {
          // Ends the read (closes the cursor, or drops a MySQL connection mid-result) when the consumer stops early.
          await chunks.return(undefined).catch(() => undefined);
          await release();
        }
      }
      return {
        schema: builder.schema,
        batches: batches(),
        planned: 1,
        inputs,
        outcome,
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
        return r.fields.map((f): PgCopySource => ({ ...pgColumn(f.name, f.dataTypeID), oid: f.dataTypeID }));
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

  /**
   * The rows of a MySQL SELECT in chunks of about fetch_size, as arrays in column order: the
   * streamed result set, the connection paused while a chunk is processed, so memory holds one
   * or two chunks whatever the table size. (PostgreSQL reads through readPgCopy.)
   */
  private async *readChunks(conn: unknown, sql: string): AsyncGenerator<unknown[][]> {
    const size = this.source.fetch_size;
    const c = conn as MysqlConn;
    let chunk: unknown[][] = [];
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    // A connection killed mid-result (KILL CONNECTION, a server restart, a dropped network) ends
    // the connection but not always the query: mysql2 then emits neither 'error' nor 'end' on the
    // query, and waiting for them would hang the step. The connection's own events end the read.
    const lost = (e?: Error) => {
      if (done || failure) return;
      failure = e ?? Object.assign(new Error('the connection closed before the end of the result'), { code: 'PROTOCOL_CONNECTION_LOST' });
      signal();
    };
    c.on('error', lost);
    c.on('end', lost);
    c.query({ sql, rowsAsArray: true })
      .on('result', (row) => {
        chunk.push(row);
        if (chunk.length >= size) {
          c.pause();
          signal();
        }
      })
      .on('error', (e) => {
        failure = e;
        signal();
      })
      .on('end', () => {
        done = true;
        signal();
      });
    let finished = false;
    try {
      for (;;) {
        if (!failure && !done && chunk.length < size) await new Promise<void>((r) => (wake = r));
        if (failure) throw failure;
        if (chunk.length) {
          const out = chunk;
          chunk = [];
          if (!done) c.resume();
          yield out;
        } else if (done) {
          finished = true;
          return;
        }
      }
    } finally {
      c.removeListener('error', lost);
      c.removeListener('end', lost);
      // Stopped before the end of the result: the only way to stop MySQL sending it is to drop the connection.
      if (!finished && !failure) c.destroy();
    }
  }

  /** A driver error as a PipelineError naming the read, and how many rows had arrived when it failed. */
  private wrap(e: unknown, what: string, context: Record<string, string>, received?: number): unknown {
    if (e instanceof PipelineError) return e;
    const err = e as Error & { code?: string };
    const after = received === undefined ? '' : ` after ${received} row(s)`;
    const code = err.code ? ` (${err.code})` : '';
    if (isConnectionLost(err)) {
      return new ConnectionLostError(`${what} failed${after}: the connection to the database was lost: ${err.message}${code}`, {
        context,
        cause: e,
        fix: `nothing of entity ${context.entity} was committed and its watermark is unchanged; retry the step once the database accepts connections (Airflow retries exit 1 on its own)`,
      });
    }
    // Conversion errors name the value; driver errors are transient unless proven otherwise (exit 1, retried).
    return new PipelineError(`${what} failed${after}: ${err.message}${code}`, { context, cause: e, fix: 'nothing of this entity was committed; retry the step, and if it fails again check the database log for this error' });
  }
}

/**
 * Errors that mean the session went away, not that the SQL is wrong: the backend was terminated
 * (57P01, KILL CONNECTION), the server shut down or restarted, or the network dropped. Node core
 * errors fail instanceof Error across realms, so they are read by their fields only.
 */
const LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CONNECTION_KILLED', 'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED']);

function isConnectionLost(err: { code?: string; message?: string }): boolean {
  return (err.code !== undefined && LOST_CODES.has(err.code)) || /connection terminated|connection lost|server has gone away|closed the connection/i.test(err.message ?? '');
}

/** The cursor type of a column, or a UsageError naming the key when the column cannot be a cursor. */
function cursorTypeOf(c: SourceColumn, key: string): CursorType {
  if (c.kind === 'timestamp' || c.kind === 'date') return c.kind;
  if (c.kind === 'int32' || c.kind === 'int64') return 'int';
  throw new UsageError(`${key}: column "${c.name}" is ${c.sourceType}; a cursor must be a timestamp, date or integer column`, { fix: 'pick an updated_at timestamp or an increasing id' });
}

/** An ISO-8601 instant as both databases read a timestamp literal in a UTC session. */
function sqlTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/** The run's {ds}, {data_interval_start} and {data_interval_end}, as session parameters. */
function intervalParams(ds: string, interval: DataInterval): SessionParam[] {
  return [
    { name: 'ds', type: 'date', value: ds },
    { name: 'data_interval_start', type: 'timestamp', value: sqlTimestamp(interval.start) },
    { name: 'data_interval_end', type: 'timestamp', value: sqlTimestamp(interval.end) },
  ];
}

/** A cursor bound as a comparable number (epoch ms for times) or bigint. */
function boundValue(b: CursorBound): number | bigint {
  if (b.type === 'int') return BigInt(b.value);
  return Date.parse(b.type === 'date' ? `${b.value}T00:00:00Z` : `${b.value.replace(' ', 'T')}Z`);
}

/**
 * The cursor range of one read. Lower bound: the previous day's watermark minus the lookback when
 * the run continues from it, but never below where the previous day's read started (`prevFrom`:
 * rows below it belong to days before, not to this one's lookback); else, for a time cursor, the data interval's start (a first day, a
 * day after a gap), unless --full-refresh reads all history. Upper bound: a time cursor stops at
 * the interval's end (exclusive), so a past day never reads rows of later days; an integer cursor
 * has no time to window by and stays unbounded. Pure.
 */
export function cursorBounds(
  type: CursorType,
  lookback: number,
  prev: WatermarkState | undefined,
  run: ExtractOptions['run'],
  prevFrom?: CursorBound,
): { from?: CursorBound; to?: string } {
  const timed = type !== 'int' && run !== undefined;
  const to = timed ? run.interval.end : undefined;
  if (prev) {
    const v = lowerBound(type, parseCursor(type, prev.watermark), lookback);
    const from: CursorBound = { type, value: type === 'timestamp' ? sqlTimestamp(formatCursor(type, v)) : formatCursor(type, v) };
    const higher = prevFrom && (prevFrom.type === 'int') === (type === 'int') && boundValue(prevFrom) > boundValue(from) ? prevFrom : from;
    return { from: higher, to };
  }
  if (timed && !run.fullRefresh) return { from: { type: 'timestamp', value: sqlTimestamp(run.interval.start) }, to };
  return { to };
}
