import { openAsBlob } from 'node:fs';
import { mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { ParquetFile } from 'parquet-wasm';
import { openParquetWriter, type ParquetSink } from './parquet-writer';
import { readParquetFile } from './read-parquet';
import { describeOnEachThread } from './thread-modes.test-util';

const SCHEMA = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false), new arrow.Field('sku', new arrow.Utf8(), true)]);

function batchOf(from: number, rows: number, schema = SCHEMA): arrow.RecordBatch {
  const id = BigInt64Array.from({ length: rows }, (_, i) => BigInt(from + i));
  const sku = arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => ((from + i) % 10 === 0 ? null : `sku-${from + i}`)), new arrow.Utf8());
  const children = [arrow.makeData({ type: new arrow.Int64(), length: rows, data: id }), sku.data[0]!];
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children }));
}

/** Like local storage: writes a temp file, renames it on success, deletes it when the body throws. */
function fileSink(path: string, seen: { error?: unknown; chunks: number }): ParquetSink {
  return async (body) => {
    const temp = `${path}.tmp`;
    const fh = await open(temp, 'w');
    let bytes = 0;
    try {
      for await (const chunk of body) {
        seen.chunks++;
        await fh.write(chunk);
        bytes += chunk.byteLength;
      }
    } catch (err) {
      seen.error = err;
      await fh.close();
      await rm(temp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(temp, path);
    return bytes;
  };
}

async function rowGroupsOf(path: string): Promise<number[]> {
  const file = await ParquetFile.fromFile(await openAsBlob(path));
  try {
    return file.metadata().rowGroups().map((g) => g.numRows());
  } finally {
    file.free();
  }
}

async function idsOf(path: string): Promise<bigint[]> {
  const ids: bigint[] = [];
  for await (const b of readParquetFile(path)) ids.push(...(b.getChild('id')!.toArray() as BigInt64Array));
  return ids;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describeOnEachThread(() => {
  describe('openParquetWriter', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'parquet-writer-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('coalesces many small pushed batches into row groups of the configured size', async () => {
      const path = join(dir, 'small.parquet');
      const seen = { chunks: 0 };
      const writer = openParquetWriter(fileSink(path, seen), { rowGroupSize: 10_000 });
      for (let i = 0; i < 45; i++) await writer.write(batchOf(i * 1_000, 1_000));
      expect(writer.rows).toBe(45_000);

      const result = await writer.close();
      expect(result.rows).toBe(45_000);
      expect(result.bytes).toBeGreaterThan(0);
      expect(Object.isFrozen(result)).toBe(true);
      expect(await rowGroupsOf(path)).toEqual([10_000, 10_000, 10_000, 10_000, 5_000]);
      const ids = await idsOf(path);
      expect(ids.length).toBe(45_000);
      expect(ids.every((id, i) => id === BigInt(i))).toBe(true);
    });

    it('splits a batch larger than a row group', async () => {
      const path = join(dir, 'big.parquet');
      const writer = openParquetWriter(fileSink(path, { chunks: 0 }), { rowGroupSize: 1_000 });
      await writer.write(batchOf(0, 2_500));
      await writer.close();
      expect(await rowGroupsOf(path)).toEqual([1_000, 1_000, 500]);
    });

    it('writes an empty file with the schema when closed without batches', async () => {
      const path = join(dir, 'empty.parquet');
      const writer = openParquetWriter(fileSink(path, { chunks: 0 }), { schema: SCHEMA });
      expect(await writer.close()).toEqual({ rows: 0, bytes: expect.any(Number) });
      expect(await rowGroupsOf(path)).toEqual([]);
      expect(await idsOf(path)).toEqual([]);
    });

    it('without batches or schema, close() throws and the sink discards its file', async () => {
      const path = join(dir, 'none.parquet');
      const seen: { error?: unknown; chunks: number } = { chunks: 0 };
      const writer = openParquetWriter(fileSink(path, seen));
      await expect(writer.close()).rejects.toThrow(/no batches and no schema/);
      expect(seen.error).toBeInstanceOf(Error);
      expect(await readdir(dir)).toEqual([]);
    });

    it('abort makes the sink see the reason, so it discards its temp file', async () => {
      const path = join(dir, 'aborted.parquet');
      const seen: { error?: unknown; chunks: number } = { chunks: 0 };
      const writer = openParquetWriter(fileSink(path, seen), { rowGroupSize: 1_000 });
      await writer.write(batchOf(0, 5_000));
      await writer.write(batchOf(5_000, 5_000));
      const reason = new Error('upstream failed');
      await writer.abort(reason);

      expect(seen.error).toBe(reason);
      expect(await readdir(dir)).toEqual([]);
      await expect(writer.write(batchOf(0, 1))).rejects.toThrow(/aborted/);
      await expect(writer.close()).rejects.toThrow(/aborted/);
    });

    it('abort before any batch still reaches the sink', async () => {
      const seen: { error?: unknown; chunks: number } = { chunks: 0 };
      const writer = openParquetWriter(fileSink(join(dir, 'x.parquet'), seen));
      await writer.abort(new Error('cancelled'));
      expect((seen.error as Error).message).toBe('cancelled');
      expect(seen.chunks).toBe(0);
    });

    it('rejects write() once the sink has failed', async () => {
      const failing: ParquetSink = async (body) => {
        for await (const _ of body) throw new Error('disk full');
        return 0;
      };
      const writer = openParquetWriter(failing, { rowGroupSize: 1_000 });
      const outcome = (async () => {
        for (let i = 0; i < 100; i++) await writer.write(batchOf(i * 1_000, 1_000));
      })();
      await expect(outcome).rejects.toThrow('disk full');
      await expect(writer.close()).rejects.toThrow('disk full');
    });

    it('applies backpressure: write() waits while the sink does not read', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let bytes = 0;
      let chunks = 0;
      const stalling: ParquetSink = async (body) => {
        for await (const chunk of body) {
          bytes += chunk.byteLength;
          // Reads the first chunk (the first row group), then stalls like a slow upload.
          if (++chunks === 1) await gate;
        }
        return bytes;
      };
      const writer = openParquetWriter(stalling, { rowGroupSize: 1_000 });
      let written = 0;
      const pushing = (async () => {
        for (let i = 0; i < 50; i++) {
          await writer.write(batchOf(i * 1_000, 1_000));
          written++;
        }
      })();
      // Waits until the writer stops taking batches (on the worker thread that takes a few round trips).
      let whileStalled = -1;
      for (let still = 0; still < 5; ) {
        await tick();
        still = written === whileStalled ? still + 1 : 0;
        whileStalled = written;
      }
      // A stalled sink stops the writer after a few row groups (measured: 6), most of them already
      // encoded Parquet bytes waiting in the stream between encoder and sink; it does not keep growing.
      await new Promise((r) => setTimeout(r, 200));
      expect(written).toBe(whileStalled);
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThanOrEqual(8);
      release();
      await pushing;
      expect(written).toBe(50);
      expect(await writer.close()).toEqual({ rows: 50_000, bytes });
    });

    it('rejects a batch with another schema and stays usable', async () => {
      const path = join(dir, 'mixed.parquet');
      const writer = openParquetWriter(fileSink(path, { chunks: 0 }));
      await writer.write(batchOf(0, 10));
      const other = new arrow.Schema([SCHEMA.fields[0]!, new arrow.Field('sku', new arrow.Int32(), true)]);
      const bad = new arrow.RecordBatch(other, arrow.makeData({
        type: new arrow.Struct(other.fields),
        length: 1,
        nullCount: 0,
        children: [batchOf(0, 1).data.children[0]!, arrow.makeData({ type: new arrow.Int32(), length: 1, data: Int32Array.of(1) })],
      }));
      await expect(writer.write(bad)).rejects.toThrow(/field "sku" is Int32 where the schema has Utf8/);
      await writer.write(batchOf(10, 10));
      expect((await writer.close()).rows).toBe(20);
      expect((await idsOf(path)).map(Number)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('keeps order when writes are not awaited one by one', async () => {
      const path = join(dir, 'unawaited.parquet');
      const writer = openParquetWriter(fileSink(path, { chunks: 0 }), { rowGroupSize: 500 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => writer.write(batchOf(i * 100, 100))));
      await writer.close();
      expect((await idsOf(path)).map(Number)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    });
  });
});
