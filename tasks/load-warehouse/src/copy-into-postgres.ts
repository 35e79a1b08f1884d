import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import { from as copyFrom } from 'pg-copy-streams';

/** The pg client (driver connection) behind a knex transaction on PostgreSQL. */
interface PgConnection {
  query(stream: ReturnType<typeof copyFrom>): ReturnType<typeof copyFrom>;
}

/**
 * Streams COPY text lines into a table through `COPY ... FROM STDIN` on the transaction's own
 * connection, so the rows commit or roll back with the rest of the load. Backpressure holds
 * the producer while the server is busy: memory stays at one chunk. Returns the rows copied.
 */
export async function copyIntoPostgres(trx: Knex.Transaction, copySql: string, chunks: AsyncIterable<string>): Promise<number> {
  // Inside a transaction knex's client hands out that transaction's connection only.
  const client = trx.client as { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    const copy = conn.query(copyFrom(copySql));
    await pipeline(Readable.from(chunks, { objectMode: false }), copy);
    return Number(copy.rowCount ?? 0);
  } finally {
    await client.releaseConnection(conn);
  }
}
