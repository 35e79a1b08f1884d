import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleData } from './generate-sample-data';
import { parseCsv } from './parse-csv';
import { SAMPLE_FILES } from './sample-schema';

// The end-to-end test relies on these figures for seed 42, ds 2026-11-26, scale 1. If a
// deliberate change to the generator moves them, update them here and tell its owner.
const GOLDEN = Object.freeze({
  sha256: {
    'customers.csv': '9a6f8ab1748461b35372e93b65acb921e45ca59356e68209a2c0d42ed7e9be2c',
    'products.json': '735e5d19624aa78bab990813ecc03f06762e6cd6f3a36218b2e736799e8f18f7',
    'locations.ndjson': '667a9e33dc92d31a8df66c877f9ee8bf10b8057b950587852c0f00145c80120b',
    'sales_transactions.csv': 'a3df1d4cd328e55cc6c2063ab0a69d6fc8ebd3d0e0a0cb897c03a7a5ba389e61',
  } as Record<string, string>,
  cleanUniqueTransactions: 9_998,
  cleanUniqueTotalAmount: '8597799.04',
});

describe('reference output for seed 42, ds 2026-11-26, scale 1', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-data-golden-'));
    await generateSampleData(
      { outDir: dir, ds: '2026-11-26', dsEpochMs: Date.UTC(2026, 10, 26), seed: 42, scale: 1, days: 365, daily: false },
      { log: { info: () => undefined, error: () => undefined } },
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the pinned bytes', async () => {
    for (const file of Object.values(SAMPLE_FILES)) {
      const hash = createHash('sha256').update(await readFile(join(dir, file))).digest('hex');
      expect([file, hash]).toEqual([file, GOLDEN.sha256[file]]);
    }
  });

  it('sums total_amount over clean unique transactions as the end-to-end test expects', async () => {
    // Read as a consumer would: first copy of each id, integer quantity, well-formed timestamp.
    const [header, ...rows] = parseCsv(await readFile(join(dir, SAMPLE_FILES.transactions), 'utf8'));
    const col = (name: string) => (header as string[]).indexOf(name);
    const seen = new Set<string>();
    let count = 0;
    let cents = 0;
    for (const row of rows) {
      const id = row[col('transaction_id')] as string;
      if (seen.has(id)) continue;
      seen.add(id);
      const timestamp = row[col('transaction_timestamp')] as string;
      const wellFormed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(timestamp) && !Number.isNaN(Date.parse(timestamp));
      if (!/^\d+$/.test(row[col('quantity')] as string) || !wellFormed) continue;
      count++;
      cents += Math.round(Number(row[col('total_amount')]) * 100);
    }
    expect(count).toBe(GOLDEN.cleanUniqueTransactions);
    expect((cents / 100).toFixed(2)).toBe(GOLDEN.cleanUniqueTotalAmount);
  });
});
