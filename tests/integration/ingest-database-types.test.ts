/**
 * Every column type of PostgreSQL and MariaDB/MySQL, through the ingest step into raw Parquet and
 * back: the lake kind each maps to and the exact value (and null) that comes back.
 * Needs the servers of ingest-databases.test.ts; each test has its own database, dropped after.
 */
import { datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, createTempDatabase, readRaw, stepContext, tempLake, type TempDatabase } from '../../tasks/ingest/src/ingest-fixture.test-util';

const DS = '2026-11-26';

/** Column name -> [SQL type, SQL literal, expected lake kind, expected value read back]. */
type Case = readonly [string, string, string, unknown];

const PG: Record<string, Case> = {
  c_smallint: ['smallint', '-32768', 'int32', -32768],
  c_integer: ['integer', '2147483647', 'int32', 2147483647],
  c_bigint: ['bigint', '9223372036854775807', 'int64', 9223372036854775807n],
  c_numeric: ['numeric(38,10)', '12345678901234567890.0123456789', 'string', '12345678901234567890.0123456789'],
  c_numeric_free: ['numeric', '0.1000', 'string', '0.1000'],
  c_real: ['real', '1.5', 'float64', 1.5],
  c_double: ['double precision', '3.141592653589793', 'float64', 3.141592653589793],
  c_bool: ['boolean', 'true', 'bool', true],
  c_text: ['text', "'héllo, \"world\"'", 'string', 'héllo, "world"'],
  c_varchar: ['varchar(10)', "'abc'", 'string', 'abc'],
  c_char: ['char(4)', "'ab'", 'string', 'ab  '],
  c_date: ['date', "'2026-02-28'", 'date', Date.UTC(2026, 1, 28)],
  c_timestamp: ['timestamp(6)', "'2026-11-26 23:59:58.123456'", 'timestamp', Date.UTC(2026, 10, 26, 23, 59, 58, 123)],
  c_timestamptz: ['timestamptz', "'2026-11-26 08:00:00.5+05:30'", 'timestamp', Date.UTC(2026, 10, 26, 2, 30, 0, 500)],
  c_json: ['json', `'{"b": 1, "a": [1, 2.50]}'`, 'string', '{"b": 1, "a": [1, 2.50]}'],
  c_jsonb: ['jsonb', `'{"b": 1, "a": 12345678901234567890}'`, 'string', '{"a": 12345678901234567890, "b": 1}'],
  c_uuid: ['uuid', "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", 'string', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  c_bytea: ['bytea', "'\\x00ff10'::bytea", 'string', '\\x00ff10'],
  c_interval: ['interval', "'1 day 02:00:00'", 'string', '1 day 02:00:00'],
  c_int_array: ['integer[]', "'{1,2,3}'", 'string', '{1,2,3}'],
  c_time: ['time', "'13:45:01'", 'string', '13:45:01'],
};

const MYSQL: Record<string, Case> = {
  c_tinyint: ['tinyint', '-128', 'int32', -128],
  c_bool: ['boolean', 'true', 'int32', 1],
  c_smallint: ['smallint', '32767', 'int32', 32767],
  c_mediumint: ['mediumint', '-8388608', 'int32', -8388608],
  c_int: ['int', '-2147483648', 'int32', -2147483648],
  c_int_unsigned: ['int unsigned', '4294967295', 'int64', 4294967295n],
  c_bigint: ['bigint', '-9223372036854775808', 'int64', -9223372036854775808n],
  c_bigint_unsigned: ['bigint unsigned', '18446744073709551615', 'string', '18446744073709551615'],
  c_decimal: ['decimal(38,10)', '12345678901234567890.0123456789', 'string', '12345678901234567890.0123456789'],
  c_float: ['float', '1.5', 'float64', 1.5],
  c_double: ['double', '3.141592653589793', 'float64', 3.141592653589793],
  c_bit: ['bit(8)', "b'10100101'", 'string', '\\xa5'],
  c_date: ['date', "'2026-02-28'", 'date', Date.UTC(2026, 1, 28)],
  c_datetime: ['datetime(6)', "'2026-11-26 23:59:58.123456'", 'timestamp', Date.UTC(2026, 10, 26, 23, 59, 58, 123)],
  c_timestamp: ['timestamp(3) NULL', "'2026-11-26 08:00:00.500'", 'timestamp', Date.UTC(2026, 10, 26, 8, 0, 0, 500)],
  c_year: ['year', '2026', 'int32', 2026],
  c_time: ['time', "'13:45:01'", 'string', '13:45:01'],
  c_char: ['char(4)', "'ab'", 'string', 'ab'],
  c_varchar: ['varchar(20)', "'héllo, \"world\"'", 'string', 'héllo, "world"'],
  c_text: ['text', "'long text'", 'string', 'long text'],
  c_json: ['json', `'{"b": 1, "a": 12345678901234567890}'`, 'string', '{"b": 1, "a": 12345678901234567890}'],
  c_blob: ['blob', "x'00ff10'", 'string', '\\x00ff10'],
  c_varbinary: ['varbinary(8)', "x'0a0b'", 'string', '\\x0a0b'],
  c_enum: ["enum('small','large')", "'large'", 'string', 'large'],
};

describe.each([
  ['postgres', PG],
  ['mysql', MYSQL],
] as const)('%s types', (client, cases) => {
  let t: TempDatabase;
  beforeAll(async () => {
    t = await createTempDatabase(client);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('map to lake kinds and come back exactly, nulls included', async () => {
    const names = Object.keys(cases);
    await t.db.raw(`CREATE TABLE all_types (id integer PRIMARY KEY, ${names.map((n) => `${n} ${cases[n]![0]}`).join(', ')})`);
    await t.db.raw(`INSERT INTO all_types VALUES (1, ${names.map((n) => cases[n]![1]).join(', ')})`);
    await t.db.raw(`INSERT INTO all_types (id) VALUES (2)`);
    const config = configWith([{ name: 'db', kind: 'database', client, connection: t.connection, entities: [{ name: 'all_types', table: 'all_types' }] }]);
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'db', DS));
    const { rows, manifest } = await readRaw(lake, datasets.raw('database', 'db', 'all_types'), DS);
    const kinds = Object.fromEntries(manifest.schema.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({ id: 'int32', ...Object.fromEntries(names.map((n) => [n, cases[n]![2]])) });
    const [full, empty] = rows.sort((a, b) => Number(a.id) - Number(b.id));
    const got = client === 'postgres' ? { ...full, c_jsonb: full!.c_jsonb } : full;
    expect(got).toEqual({ id: 1, ...Object.fromEntries(names.map((n) => [n, cases[n]![3]])) });
    expect(empty).toEqual({ id: 2, ...Object.fromEntries(names.map((n) => [n, null])) });
  });
});
