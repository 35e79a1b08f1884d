/**
 * Parquet written by other engines lands with exact values: files made here by pyarrow (DECIMAL as
 * INT32, INT64 and FIXED_LEN_BYTE_ARRAY, nested lists and structs, nanosecond and zoned timestamps,
 * INT96, dictionaries, large strings, binary, small ints) and by DuckDB (DECIMAL, a list, a
 * struct, TIMESTAMPTZ), read by the files extractor as ingest reads them.
 *
 * Needs a Python with pyarrow and duckdb: LAKECHECK_PYTHON, default <repo>/.venv-lakecheck/bin/python
 * (.ci/run makes it from tests/lake-readers/requirements.txt). Without it the suite fails; it never skips.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { batchToObjects } from '@salesflow/batches';
import type { FileEntityConfig } from '@salesflow/config';
import { LocalStorage } from '@salesflow/lake';
import { FilesExtractor } from '../../tasks/ingest/src/files/files-extractor';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = process.env.LAKECHECK_PYTHON || path.join(ROOT, '.venv-lakecheck/bin/python');

const WRITE = String.raw`
import sys, decimal, datetime
import pyarrow as pa, pyarrow.parquet as pq, duckdb
out = sys.argv[1]
D = decimal.Decimal
t = pa.table({
  "id": pa.array([1, 2, 3], pa.int64()),
  "price": pa.array([D("1234.50"), D("-0.01"), None], pa.decimal128(9, 2)),
  "total": pa.array([D("99999999999999.9999"), D("0.0001"), D("-12.3400")], pa.decimal128(18, 4)),
  "huge": pa.array([D("12345678901234567890.1234567890"), D("-1"), D("0")], pa.decimal128(38, 10)),
  "tags": pa.array([[1, 2], [], None], pa.list_(pa.int64())),
  "who": pa.array([{"a": 1, "b": "x"}, {"a": None, "b": "é"}, None], pa.struct([("a", pa.int32()), ("b", pa.string())])),
  "at_ns": pa.array([datetime.datetime(2026, 11, 26, 10, 0, 0, 123456), None, datetime.datetime(1999, 12, 31, 23, 59, 59)], pa.timestamp("ns")),
  "at_ny": pa.array([datetime.datetime(2026, 11, 26, 15, 0, 0, tzinfo=datetime.timezone.utc)] * 3, pa.timestamp("us", tz="America/New_York")),
  "color": pa.array(["red", "blue", "red"]).dictionary_encode(),
  "note": pa.array(["long", None, "text"], pa.large_string()),
  "blob": pa.array([b"\x00\x01", b"", None], pa.binary()),
  "small": pa.array([1, -2, 3], pa.int8()),
})
pq.write_table(t, f"{out}/arrow.parquet", store_decimal_as_integer=True)
pq.write_table(pa.table({"id": [1], "at": pa.array([datetime.datetime(2026, 11, 26, 10, 0, 0)], pa.timestamp("ms"))}), f"{out}/int96.parquet", use_deprecated_int96_timestamps=True)
duckdb.sql("""COPY (SELECT 7::INTEGER AS id, 1234.56::DECIMAL(12,2) AS amount, [1.5, 2.25]::DECIMAL(5,2)[] AS parts,
  {'sku': 'A-1', 'qty': 3} AS item, TIMESTAMPTZ '2026-11-26 10:00:00.5+00' AS at) TO '%s/duck.parquet' (FORMAT parquet)""" % out)
`;

let dir: string;

beforeAll(() => {
  if (!existsSync(PYTHON)) throw new Error(`no Python with pyarrow and duckdb at ${PYTHON}: make it with python3 -m venv .venv-lakecheck && .venv-lakecheck/bin/pip install -r tests/lake-readers/requirements.txt, or set LAKECHECK_PYTHON`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'other-engines-'));
  const r = spawnSync(PYTHON, ['-c', WRITE, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writing the fixtures failed: ${r.stderr}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function land(file: string): Promise<Record<string, unknown>[]> {
  const entity: FileEntityConfig = { name: 'x', pattern: file, csv: { delimiter: ',', quote: '"', header: true, encoding: 'utf8' }, required: true } as FileEntityConfig;
  const x = await new FilesExtractor(new LocalStorage(dir), 'sources.0').extract(entity, { batchSize: 2 });
  const rows: Record<string, unknown>[] = [];
  for await (const b of x.batches) rows.push(...batchToObjects(b));
  return rows;
}

it('lands pyarrow decimals of every physical width as their exact digits, nested values as JSON text, every timestamp as its UTC instant', async () => {
  const rows = await land('arrow.parquet');
  expect(rows.map((r) => [r.price, r.total, r.huge])).toEqual([
    ['1234.50', '99999999999999.9999', '12345678901234567890.1234567890'],
    ['-0.01', '0.0001', '-1.0000000000'],
    [null, '-12.3400', '0.0000000000'],
  ]);
  expect(rows.map((r) => [r.tags, r.who])).toEqual([
    ['[1,2]', '{"a":1,"b":"x"}'],
    ['[]', '{"a":null,"b":"é"}'],
    [null, null],
  ]);
  expect(rows.map((r) => r.at_ns)).toEqual([Date.UTC(2026, 10, 26, 10, 0, 0, 123), null, Date.UTC(1999, 11, 31, 23, 59, 59)]);
  expect(rows.map((r) => r.at_ny)).toEqual(Array(3).fill(Date.UTC(2026, 10, 26, 15)));
  expect(rows.map((r) => [r.id, r.color, r.note, r.blob, r.small])).toEqual([
    [1n, 'red', 'long', 'AAE=', 1],
    [2n, 'blue', null, '', -2],
    [3n, 'red', 'text', null, 3],
  ]);
});

it('lands INT96 timestamps and DuckDB decimals, lists of decimals, structs and TIMESTAMPTZ exactly', async () => {
  expect((await land('int96.parquet')).map((r) => r.at)).toEqual([Date.UTC(2026, 10, 26, 10)]);
  const [duck] = await land('duck.parquet');
  expect(duck).toMatchObject({ id: 7, amount: '1234.56', parts: '[1.50,2.25]', item: '{"sku":"A-1","qty":3}', at: Date.UTC(2026, 10, 26, 10, 0, 0, 500) });
});
