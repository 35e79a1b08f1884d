import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { encodeParquet } from './encode-parquet';
import { countParquetRows, readParquetFile, readParquetSchema } from './read-parquet';
import { describeOnEachThread } from './thread-modes.test-util';

const ROWS = 10_000;

function sales(from: number, rows: number): arrow.RecordBatch {
  return new arrow.RecordBatch({
    id: arrow.makeData({ type: new arrow.Int32(), length: rows, data: Int32Array.from({ length: rows }, (_, i) => from + i) }),
    amount: arrow.makeData({ type: new arrow.Float64(), length: rows, data: Float64Array.from({ length: rows }, (_, i) => (from + i) / 4) }),
    region: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => ['north', 'south', null][(from + i) % 3]), new arrow.Utf8()).data[0]!,
  });
}

async function* twoBatches(): AsyncGenerator<arrow.RecordBatch> {
  yield sales(0, ROWS / 2);
  yield sales(ROWS / 2, ROWS / 2);
}

async function readAll(path: string, opts?: Parameters<typeof readParquetFile>[1]): Promise<arrow.RecordBatch[]> {
  const out: arrow.RecordBatch[] = [];
  for await (const b of readParquetFile(path, opts)) out.push(b);
  return out;
}

describeOnEachThread(() => {
  describe('readParquetFile', () => {
    let dir: string;
    let path: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'read-parquet-'));
      path = join(dir, 'sales.parquet');
      const chunks: Uint8Array[] = [];
      for await (const c of encodeParquet(twoBatches(), { rowGroupSize: 4_000 })) chunks.push(c);
      await writeFile(path, Buffer.concat(chunks));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('reads only the requested columns, in the requested order', async () => {
      const batches = await readAll(path, { columns: ['region', 'id'] });
      const table = new arrow.Table(batches);
      expect(table.schema.fields.map((f) => f.name)).toEqual(['region', 'id']);
      expect(table.numRows).toBe(ROWS);
      expect(table.getChild('id')!.get(7_777)).toBe(7_777);
      expect(table.getChild('region')!.get(7_777)).toBe('south');
      expect(table.getChild('region')!.get(7_778)).toBeNull();
    });

    it('throws on an unknown column, naming it', async () => {
      await expect(readAll(path, { columns: ['id', 'price'] })).rejects.toThrow(/no column\(s\) "price"/);
    });

    it('returns batches of at most batchSize rows and never crosses a row group', async () => {
      const sizes = (await readAll(path, { batchSize: 3_000 })).map((b) => b.numRows);
      expect(sizes).toEqual([3_000, 1_000, 3_000, 1_000, 2_000]);
      const values = new arrow.Table(await readAll(path)).getChild('amount')!;
      expect(values.get(9_999)).toBe(9_999 / 4);
    });

    it('counts rows and reads the schema from the footer', async () => {
      expect(await countParquetRows(path)).toBe(ROWS);
      expect((await readParquetSchema(path)).fields.map((f) => `${f.name}: ${f.type}`)).toEqual(['id: Int32', 'amount: Float64', 'region: Utf8']);
    });

    it('stops cleanly when the caller stops early', async () => {
      let n = 0;
      for await (const b of readParquetFile(path, { batchSize: 1_000 })) {
        n += b.numRows;
        if (n >= 2_000) break;
      }
      expect(n).toBe(2_000);
      expect(await countParquetRows(path)).toBe(ROWS);
    });

    it('names the file when it is not Parquet', async () => {
      const bogus = join(dir, 'bogus.parquet');
      await writeFile(bogus, 'not parquet at all');
      await expect(countParquetRows(bogus)).rejects.toThrow(/bogus\.parquet is not a readable Parquet file/);
    });
  });
});
