import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpillBuckets, spillChunkBytes } from './spill-buckets';

it('gives each bucket a smaller chunk as buckets multiply, so all chunks together stay within 16 MiB (down to 64 KiB each)', () => {
  expect(spillChunkBytes(10)).toBe(1 << 20);
  expect(spillChunkBytes(16)).toBe(1 << 20);
  expect(spillChunkBytes(50)).toBe(Math.floor((16 << 20) / 50));
  expect(spillChunkBytes(50) * 50).toBeLessThanOrEqual(16 << 20);
  expect(spillChunkBytes(10_000)).toBe(64 << 10);
});

it('returns every record of a bucket in the order written, across chunk flushes and records larger than a chunk', () => {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'spill-test-'));
  const buckets = new SpillBuckets(300 * 1000, 1000, { tmpDir, name: 't' });
  expect(buckets.count).toBe(300);
  expect(buckets.chunkBytes).toBe(64 << 10);
  const written: string[][] = Array.from({ length: buckets.count }, () => []);
  for (let i = 0; i < 20_000; i++) {
    const b = i % 7;
    // Mostly small records, every 5,000th one bigger than a chunk.
    const text = i % 5_000 === 4_999 ? `big-${i}-${'x'.repeat(100_000)}` : `r${i}-${'y'.repeat(i % 300)}`;
    const bytes = Buffer.from(text);
    const { chunk, at } = buckets.reserve(b, 4 + bytes.length);
    chunk.writeUInt32LE(bytes.length, at);
    bytes.copy(chunk, at + 4);
    buckets.written(b, 4 + bytes.length);
    written[b]!.push(text);
  }
  for (let b = 0; b < 7; b++) {
    const read: string[] = [];
    for (const part of buckets.take(b)) {
      for (let at = 0; at < part.length; ) {
        const n = part.readUInt32LE(at);
        read.push(part.toString('utf8', at + 4, at + 4 + n));
        at += 4 + n;
      }
    }
    expect(read).toEqual(written[b]);
    expect(buckets.records[b]).toBe(written[b]!.length);
  }
  buckets.dispose();
  expect(readdirSync(tmpDir)).toEqual([]);
});
