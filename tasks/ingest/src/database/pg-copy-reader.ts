import type { Readable } from 'node:stream';
import type * as arrow from 'apache-arrow';
import { binaryDecodingOf, type PgBinaryDecoder, type PgCopyColumn } from './pg-binary-decoder';
import { PgCopyOut } from './pg-copy-out';
import type { SourceColumn } from './pg-types';

/** The pg client knex hands out: enough of it to run a COPY and to drop the connection. */
interface PgCopyConn {
  query<T extends Readable>(stream: T): T;
  connection?: { stream?: { destroy(): void } };
  /** knex's mark of a dead connection: the pool destroys it instead of handing it out again. */
  __knex__disposed?: unknown;
}

/** What a COPY read needs from the described columns: lake kind, and the type OID for the decoding. */
export interface PgCopySource extends SourceColumn {
  readonly oid: number;
}

/**
 * The statement that streams a SELECT as binary COPY. COPY takes no bind parameters, so every
 * value the SELECT needs (cursor bounds, the data interval) is a session parameter bound just
 * before (bindSessionParams) and read by name in the SQL. Columns of types without a binary
 * decoding are converted to their text form (the type's output function, as the text protocol
 * sends it) by wrapping the SELECT; positional aliases keep duplicate or odd column names working.
 */
export function copySelect(select: string, columns: readonly PgCopySource[]): { sql: string; columns: PgCopyColumn[] } {
  const decodings = columns.map((c) => binaryDecodingOf(c.oid));
  const out = columns.map((c, i) => ({ name: c.name, kind: c.kind, decoding: decodings[i] ?? (c.kind === 'float64' ? 'float-text' : 'text') }) as PgCopyColumn);
  if (decodings.every(Boolean)) return { sql: `COPY (${select}) TO STDOUT (FORMAT binary)`, columns: out };
  const list = columns.map((_c, i) => `c${i + 1}`);
  // format('%s') calls the type's output function, where a ::text cast may differ (bpchar trims, inet drops /32); num_nulls is true only for a null, not for a row of nulls.
  const exprs = columns.map((_c, i) => (decodings[i] ? `s.c${i + 1}` : `CASE WHEN num_nulls(s.c${i + 1}) = 1 THEN NULL ELSE format('%s', s.c${i + 1}) END`));
  return { sql: `COPY (SELECT ${exprs.join(', ')} FROM (${select}) AS s(${list.join(', ')})) TO STDOUT (FORMAT binary)`, columns: out };
}

/**
 * Streams a binary COPY through the decoder as record batches of batchSize rows. The socket is
 * read only while the consumer asks for batches, so a slow lake pauses it (TCP backpressure)
 * and memory holds about two batches plus one socket read. A consumer that
 * stops early gets the connection dropped, the only way to stop a COPY mid-stream; knex then
 * discards it instead of reusing it.
 */
export async function* readPgCopy(conn: unknown, sql: string, decoder: PgBinaryDecoder): AsyncGenerator<arrow.RecordBatch> {
  const c = conn as PgCopyConn;
  const stream = c.query(new PgCopyOut(sql, decoder));
  let finished = false;
  try {
    for await (const batch of stream as AsyncIterable<arrow.RecordBatch>) yield batch;
    finished = true;
  } finally {
    if (!finished) {
      // Marked before the socket's close event arrives, so the very next acquire cannot get this connection.
      c.__knex__disposed ??= 'the COPY stopped before its end';
      stream.destroy();
      c.connection?.stream?.destroy();
    }
  }
}
