import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS_PER_BUCKET, LatestByKey } from './latest-by-key';

const bytes = (s: string) => Buffer.from(s, 'utf8');

/** Offers rows [key, order] in order and returns the winning row numbers. */
function winnersOf(rows: readonly (readonly [string, number | null])[], expectedRows: number, tmpDir: string): number[] {
  const latest = new LatestByKey(expectedRows, { tmpDir });
  rows.forEach(([k, o], row) => {
    const b = bytes(`..${k}`);
    latest.offer(b, 2, b.length, o, row);
  });
  latest.resolve();
  return rows.map((_, row) => row).filter((row) => latest.isWinner(row));
}

describe('LatestByKey', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'latest-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rows: [string, number | null][] = [
    ['a', 5],
    ['b', 1],
    ['a', 9],
    ['c', null],
    ['a', 9], // a tie on the highest order: the later row wins
    ['b', 0],
    ['c', 3],
    ['d', null],
  ];

  it('keeps the row with the highest order per key, ties to the later row, null lowest', () => {
    expect(winnersOf(rows, rows.length, dir)).toEqual([1, 4, 6, 7]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives the same winners when the keys are spilled to several bucket files, and removes them', () => {
    // Announcing 5 buckets' worth of rows makes it spill even these few keys.
    const many: [string, number][] = Array.from({ length: 20_000 }, (_, i) => [`K${i % 7000}`, (i * 7919) % 1000]);
    const spilled = winnersOf(many, 5 * KEYS_PER_BUCKET, dir);
    const inMemory = winnersOf(many, many.length, dir);
    expect(spilled).toEqual(inMemory);
    expect(spilled).toHaveLength(7000);
    const best = new Map<string, number>();
    many.forEach(([k, o], row) => {
      const cur = best.get(k);
      if (cur === undefined || o >= many[cur]![1]) best.set(k, row);
    });
    expect(spilled).toEqual([...best.values()].sort((a, b) => a - b));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes its spill files when disposed before resolving', () => {
    const latest = new LatestByKey(3 * KEYS_PER_BUCKET, { tmpDir: dir });
    latest.offer(bytes('x'), 0, 1, 1, 0);
    expect(readdirSync(dir)).toHaveLength(1);
    latest.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });
});
