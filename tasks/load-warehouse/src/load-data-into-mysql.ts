import { Readable } from 'node:stream';
import type { Knex } from 'knex';

/** A mysql2 connection (the driver's, behind a knex transaction). */
interface MysqlConnection {
  query(opts: { sql: string; infileStreamFactory?: () => Readable }, cb: (err: Error | null, result: unknown) => void): void;
}

function queryOn<T>(conn: MysqlConnection, opts: { sql: string; infileStreamFactory?: () => Readable }): Promise<T> {
  return new Promise<T>((resolve, reject) => conn.query(opts, (err, res) => (err ? reject(err) : resolve(res as T))));
}

/** Driver error numbers meaning "LOAD DATA LOCAL is switched off" (server or client side). */
const LOCAL_INFILE_REFUSED = new Set([1148, 2068, 3948, 4166]);

/** Whether an error says the server or client refuses LOAD DATA LOCAL INFILE (then INSERTs are the way). */
export function isLocalInfileRefused(err: unknown): boolean {
  return LOCAL_INFILE_REFUSED.has(Number((err as { errno?: unknown })?.errno));
}

/**
 * Streams tab-separated lines (the escapes of PostgreSQL's COPY text format, which MySQL's
 * defaults read the same way: \N null, \t, \n, \r, \\) into a table by LOAD DATA LOCAL INFILE on
 * the transaction's own connection, so the rows commit or roll back with the rest of the load.
 * With LOCAL the server turns duplicate keys and bad values into warnings and skips the row;
 * here any row not loaded, or any warning, throws, so nothing is lost silently. A failure of
 * the producer (bad input) is rethrown after the statement ends.
 */
export async function loadDataIntoMysql(trx: Knex.Transaction, table: string, columns: readonly string[], lines: AsyncIterable<string>): Promise<number> {
  const client = trx.client as { acquireConnection(): Promise<MysqlConnection>; releaseConnection(c: MysqlConnection): Promise<void> };
  const conn = await client.acquireConnection();
  let produced = 0;
  let failure: unknown;
  async function* counted(): AsyncGenerator<string> {
    try {
      for await (const chunk of lines) {
        let n = 0;
        for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) n++;
        produced += n;
        yield chunk;
      }
    } catch (e) {
      // Ending the stream early would only load fewer rows; remember why, and fail after the statement.
      failure = e;
    }
  }
  const q = (n: string) => `\`${n.replace(/`/g, '``')}\``;
  const sql =
    `LOAD DATA LOCAL INFILE 'rows.tsv' INTO TABLE ${q(table)} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns.map(q).join(', ')})`;
  try {
    const result = await queryOn<{ affectedRows: number; warningStatus?: number }>(conn, { sql, infileStreamFactory: () => Readable.from(counted(), { objectMode: false }) });
    if (failure) throw failure;
    if (result.affectedRows !== produced || (result.warningStatus ?? 0) > 0) {
      const warnings = await queryOn<{ Message: string }[]>(conn, { sql: 'SHOW WARNINGS LIMIT 3' }).catch(() => []);
      const why = warnings.map((w) => w.Message).join('; ') || 'a duplicate key or a value the column refuses';
      throw Object.assign(new Error(`LOAD DATA loaded ${result.affectedRows} of ${produced} rows into ${table}: ${why}`), { sqlState: '23000' });
    }
    return result.affectedRows;
  } finally {
    await client.releaseConnection(conn);
  }
}
