import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuplicateFinder } from './duplicate-finder';

/** Rows of keys with repeats: key i % distinct, plus a few odd lengths (empty, long). */
function keys(rows: number, distinct: number): Buffer[] {
  return Array.from({ length: rows }, (_, i) => (i % 97 === 5 ? Buffer.alloc(0) : i % 89 === 3 ? Buffer.alloc(300, i % distinct) : Buffer.from(`K${(i * 7919) % distinct}`)));
}

function run(all: readonly Buffer[], finder: DuplicateFinder) {
  all.forEach((k, row) => finder.add(k, 0, k.length, row, (at) => ({ _row: at, key: all[at]!.toString('latin1') }), row));
  return finder.finish();
}

describe('DuplicateFinder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dup-finder-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('spilled to disk in buckets finds what the in-memory set finds: counts, and the first repeats as rows to sample', async () => {
    for (const [rows, distinct] of [
      [5000, 1200],
      [5000, 5000],
      [3000, 7],
    ] as const) {
      const all = keys(rows, distinct);
      const inMemory = run(all, new DuplicateFinder(rows, 10, { keysInMemory: rows }));
      const spilled = run(all, new DuplicateFinder(rows, 10, { keysInMemory: 256, tmpDir: tmp }));
      const expectedDistinct = new Set(all.map((k) => k.toString('hex'))).size;
      expect(inMemory.distinct).toBe(expectedDistinct);
      expect(inMemory.repeated).toBe(rows - expectedDistinct);
      expect(inMemory.rowsToSample).toEqual([]);
      expect(spilled.samples).toEqual([]);
      expect(spilled.rowsToSample).toEqual(inMemory.samples.map((s) => s._row));
      expect(spilled.rowsToSample.length).toBe(Math.min(10, inMemory.repeated));
      expect({ ...spilled, samples: [], rowsToSample: [] }).toEqual({ ...inMemory, samples: [], rowsToSample: [] });
      expect(inMemory.samples.map((s) => s._row)).toEqual([...inMemory.samples.map((s) => s._row as number)].sort((a, b) => a - b));
    }
    // finish() removed the spill files.
    expect(await readdir(tmp)).toEqual([]);
  });

  it('reports nothing repeated for distinct keys, and dispose() removes the files of a run that stopped', async () => {
    const all = keys(2000, 2000).filter((k) => k.length > 0 && k.length < 300);
    expect(run(all, new DuplicateFinder(all.length, 5, { keysInMemory: 100, tmpDir: tmp }))).toEqual({ distinct: all.length, repeated: 0, samples: [], rowsToSample: [] });
    const stopped = new DuplicateFinder(all.length, 5, { keysInMemory: 100, tmpDir: tmp });
    all.slice(0, 500).forEach((k, row) => stopped.add(k, 0, k.length, row, (at) => ({ _row: at }), row));
    expect((await readdir(tmp)).length).toBe(1);
    stopped.dispose();
    expect(await readdir(tmp)).toEqual([]);
  });
});
