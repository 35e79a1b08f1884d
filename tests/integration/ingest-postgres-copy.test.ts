/**
 * The PostgreSQL read path (binary COPY decoded into Arrow buffers) against the real server at
 * WAREHOUSE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), in a database of its
 * own (ingest_<random>, dropped after):
 *   - every type, over thousands of varied rows, gives the values of the text protocol path
 *     (pg's text results through pgTypeParsers into a BatchBuilder), nulls included;
 *   - a backend killed mid-COPY, or an error raised mid-COPY, fails the read with a retryable
 *     error naming the table or query;
 *   - a consumer stopping early leaves the extractor usable.
 */
import type * as arrow from 'apache-arrow';
import { Client } from 'pg';
import { BatchBuilder } from '@salesflow/batches';
import type { DatabaseSourceConfig } from '@salesflow/config';
import { PipelineError } from '@salesflow/errors';
import { ConnectionLostError } from '../../tasks/ingest/src/database/connection-lost-error';
import { DatabaseExtractor } from '../../tasks/ingest/src/database/database-extractor';
import { pgColumn, pgTypeParsers } from '../../tasks/ingest/src/database/pg-types';
import { configWith, createTempDatabase, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

/** Column -> SQL expression over i (1..ROWS); every tenth row is null in every column. */
const COLUMNS: Record<string, string> = {
  c_bool: 'i % 2 = 0',
  c_int2: '((i * 7919) % 65536 - 32768)::int2',
  c_int4: '((i::int8 * 2654435761) % 4294967296 - 2147483648)::int4',
  c_int8: "(i::numeric * 9223372036854775 % 18446744073709551615 - 9223372036854775807)::int8",
  c_oid: '(i::int8 * 104729 % 4294967295)::oid',
  c_float4: "(CASE i % 97 WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity' ELSE (i * 1.1 / 7)::text END)::float4",
  c_float8: "(CASE i % 97 WHEN 1 THEN 'NaN' WHEN 2 THEN '-Infinity' ELSE (i * -3.3 / 7)::text END)::float8",
  c_numeric: "(CASE i % 53 WHEN 1 THEN 'NaN' WHEN 2 THEN '0' WHEN 3 THEN '0.000' ELSE ((i - 2500) * 12345.6789 / 997)::text END)::numeric",
  c_numeric_scaled: '((i - 2500) / 3.0)::numeric(12,2)',
  c_numeric_big: "(repeat('9', i % 40 + 1) || '.' || repeat('0', i % 5) || (i % 7))::numeric * (CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END)",
  c_numeric_tiny: "('0.' || repeat('0', i % 30) || i)::numeric",
  c_date: "date '2000-01-01' + (i * 37 - 100000)",
  c_timestamp: "timestamp '2000-01-01' + (i::int8 * 123456789 - 300000000000) * interval '1 microsecond' * 1000 + (i % 1000) * interval '1 microsecond'",
  c_timestamptz: "timestamptz '1969-12-31 23:59:59.9995+00' + (i - 2500) * interval '1.000777 second'",
  c_text: "repeat(chr(945 + i % 20) || 'x\t\n\\\"', i % 5) || i",
  c_varchar: "('v' || i)::varchar(20)",
  c_bpchar: "('b' || (i % 10))::char(5)",
  c_name: "('n' || i)::name",
  c_uuid: "md5(i::text)::uuid",
  c_json: "json_build_object('i', i, 's', 'ä' || i, 'f', i / 3.0)",
  c_jsonb: "jsonb_build_object('i', i, 'a', jsonb_build_array(i, 'x', null))",
  c_bytea: "decode(md5(i::text), 'hex')",
  c_interval: "(i - 2500) * interval '1 hour 3 minutes 0.5 seconds'",
  c_int_array: 'ARRAY[i, -i, NULL]',
  c_text_array: "ARRAY['a' || i, 'b c', NULL, '\"q\"']",
  c_time: "time '00:00:00' + i * interval '17.25 seconds'",
  c_inet: "('10.0.' || (i % 256) || '.' || (i % 200) || CASE WHEN i % 2 = 0 THEN '/32' ELSE '/24' END)::inet",
  c_row: "ROW(CASE WHEN i % 4 = 0 THEN NULL ELSE i END, NULL::text)::pair",
  c_mood: "(CASE i % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END)::mood",
};
const ROWS = 5000;

/** Values of batches row by row, as plain JS values (bigints, ms numbers, strings). */
function valuesOf(batches: readonly arrow.RecordBatch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    for (let r = 0; r < b.numRows; r++) rows.push(b.schema.fields.map((_f, i) => normalise(b.getChildAt(i)!.get(r))));
  }
  return rows;
}
const normalise = (v: unknown) => (v instanceof Date ? v.getTime() : v);

async function drain(it: AsyncIterable<arrow.RecordBatch>): Promise<arrow.RecordBatch[]> {
  const out: arrow.RecordBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('PostgreSQL binary COPY read', () => {
  let t: TempDatabase;
  let source: DatabaseSourceConfig;
  beforeAll(async () => {
    t = await createTempDatabase('postgres');
    await t.db.raw("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TYPE pair AS (a integer, b text)");
    const names = Object.keys(COLUMNS);
    await t.db.raw(`CREATE TABLE all_types AS SELECT i AS id, ${names.map((n) => `CASE WHEN i % 10 = 0 THEN NULL ELSE ${COLUMNS[n]} END AS ${n}`).join(', ')} FROM generate_series(1, ${ROWS}) i`);
    await t.db.raw('CREATE TABLE big AS SELECT i AS id, md5(i::text) AS txt FROM generate_series(1, 400000) i');
    const config = configWith([{ name: 'db', kind: 'database', client: 'postgres', connection: t.connection, entities: [{ name: 'all_types', table: 'all_types' }, { name: 'big', table: 'big' }, { name: 'fails_late', query: 'SELECT id, 1 / (id - 300000) AS x FROM big' }] }]);
    source = config.sources.find((s) => s.name === 'db') as DatabaseSourceConfig;
  });
  afterAll(async () => {
    await t.drop();
  });

  it('gives the values of the text protocol path for every type, nulls included', async () => {
    const extractor = new DatabaseExtractor(source, 'sources.1');
    let copied: arrow.RecordBatch[];
    let schema: arrow.Schema;
    try {
      const x = await extractor.extract(source.entities[0]!, { batchSize: 777 });
      schema = x.schema;
      copied = await drain(x.batches);
      expect(x.inputs).toEqual([{ uri: extractor.uriOf(source.entities[0]!), rows: ROWS }]);
    } finally {
      await extractor.close();
    }
    expect(copied.map((b) => b.numRows)).toEqual([...Array(Math.floor(ROWS / 777)).fill(777), ROWS % 777]);

    // The text protocol path: pg's text results through the per-query parsers, converters and BatchBuilder.
    const client = new Client({ ...t.connection, database: t.name });
    await client.connect();
    let expected: unknown[][];
    try {
      await client.query("SET TIME ZONE 'Europe/Amsterdam'");
      const r = await client.query({ text: 'SELECT * FROM all_types', rowMode: 'array', types: pgTypeParsers });
      const columns = r.fields.map((f) => pgColumn(f.name, f.dataTypeID));
      expect(schema.fields.map((f) => f.name)).toEqual(columns.map((c) => c.name));
      const builder = new BatchBuilder(columns.map((c) => ({ name: c.name, kind: c.kind })));
      for (const raw of r.rows as unknown[][]) builder.appendRow(raw.map((v, i) => (v === null || !columns[i]!.convert ? v : columns[i]!.convert!(v))));
      expected = valuesOf([builder.finish()]);
    } finally {
      await client.end();
    }
    const got = valuesOf(copied);
    expect(got).toHaveLength(ROWS);
    for (const [i, name] of schema.fields.map((f) => f.name).entries()) {
      expect([name, got.map((r) => r[i])]).toEqual([name, expected.map((r) => r[i])]);
    }
    // Spot checks that the comparison compares something.
    const row1 = Object.fromEntries(schema.fields.map((f, i) => [f.name, got[0]![i]]));
    expect(row1).toMatchObject({ id: 1, c_bool: false, c_varchar: 'v1', c_bpchar: 'b1   ', c_inet: '10.0.1.1/24', c_row: '(1,)', c_mood: 'ok', c_int_array: '{1,-1,NULL}' });
    expect(got[9]!.slice(1)).toEqual(Array(Object.keys(COLUMNS).length).fill(null));
  });

  it('fails with a retryable error naming the table when the backend is killed mid-COPY', async () => {
    const extractor = new DatabaseExtractor(source, 'sources.1');
    const admin = new Client({ ...t.connection, database: t.name });
    await admin.connect();
    try {
      const x = await extractor.extract(source.entities[1]!, { batchSize: 1000 });
      const it = x.batches[Symbol.asyncIterator]();
      expect((await it.next()).value.numRows).toBe(1000);
      const killed = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'salesflow-ingest' AND datname = $1", [t.name]);
      expect(killed.rows).toEqual([{ ok: true }]);
      let err: unknown;
      try {
        for (;;) if ((await it.next()).done) break;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PipelineError);
      expect(err).toBeInstanceOf(ConnectionLostError);
      expect((err as PipelineError).retryable).toBe(true);
      expect((err as Error).message).toMatch(/^reading postgres:\/\/.*\/big failed after \d+ row\(s\): the connection to the database was lost: .*terminat/);
      // The pool replaces the dead connection: the next read works.
      const again = await extractor.extract(source.entities[1]!, { batchSize: 100_000 });
      expect((await drain(again.batches)).reduce((n, b) => n + b.numRows, 0)).toBe(400000);
    } finally {
      await admin.end();
      await extractor.close();
    }
  });

  it('fails naming the query and the database error when PostgreSQL raises one mid-COPY, and reads again after', async () => {
    const extractor = new DatabaseExtractor(source, 'sources.1');
    try {
      const x = await extractor.extract(source.entities[2]!, { batchSize: 1000 });
      const err = await drain(x.batches).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineError);
      expect((err as PipelineError).retryable).toBe(true);
      expect((err as Error).message).toMatch(/^reading postgres:\/\/.*\/query\/fails_late failed after \d+ row\(s\): division by zero \(22012\)/);
      expect((err as PipelineError).fix).toMatch(/nothing of this entity was committed/);
      const again = await extractor.extract(source.entities[1]!, { batchSize: 100_000 });
      expect((await drain(again.batches)).reduce((n, b) => n + b.numRows, 0)).toBe(400000);
    } finally {
      await extractor.close();
    }
  });

  it('drops the COPY when the consumer stops early, and reads again on a fresh connection', async () => {
    const extractor = new DatabaseExtractor(source, 'sources.1');
    try {
      const x = await extractor.extract(source.entities[1]!, { batchSize: 1000 });
      for await (const b of x.batches) {
        expect(b.numRows).toBe(1000);
        break;
      }
      const again = await extractor.extract(source.entities[1]!, { batchSize: 50_000 });
      const batches = await drain(again.batches);
      expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(400000);
      expect(valuesOf([batches[0]!.slice(0, 2)])).toEqual([
        [1, 'c4ca4238a0b923820dcc509a6f75849b'],
        [2, 'c81e728d9d4c2f636f067f89cc14862c'],
      ]);
    } finally {
      await extractor.close();
    }
  });
});
