import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIRTY_ROWS } from './dirty-rows';
import { generateSampleData, type SampleDataResult } from './generate-sample-data';
import { parseCsv } from './parse-csv';
import type { SampleDataConfig } from './sample-data-config';
import type { SampleDataLogger } from './sample-data-logger';
import { CUSTOMER_COLUMNS, SAMPLE_FILES, TRANSACTION_COLUMNS, type LocationRow, type ProductRow } from './sample-schema';

const silent: SampleDataLogger = { info: () => undefined, error: () => undefined };
const FILES = Object.values(SAMPLE_FILES);
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sample-data-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (outDir: string, overrides: Partial<SampleDataConfig> = {}): SampleDataConfig => ({
  outDir,
  ds: '2026-11-26',
  dsEpochMs: Date.UTC(2026, 10, 26),
  seed: 42,
  scale: 0.1,
  days: 365,
  daily: false,
  ...overrides,
});

const readAll = async (dir: string): Promise<string[]> => Promise.all(FILES.map((file) => readFile(join(dir, file), 'utf8')));

interface Landing {
  readonly customers: string[][];
  readonly products: ProductRow[];
  readonly locations: LocationRow[];
  readonly transactions: string[][];
}

async function readLanding(dir: string): Promise<Landing> {
  const [customers, products, locations, transactions] = await readAll(dir);
  return {
    customers: parseCsv(customers as string),
    products: JSON.parse(products as string) as ProductRow[],
    locations: (locations as string).trimEnd().split('\n').map((line) => JSON.parse(line) as LocationRow),
    transactions: parseCsv(transactions as string),
  };
}

describe('generateSampleData', () => {
  let result: SampleDataResult;
  let landing: Landing;
  const first = () => join(root, 'first');

  beforeAll(async () => {
    result = await generateSampleData(config(join(root, 'first')), { log: silent });
    landing = await readLanding(first());
  });

  it('writes the four files with the counts it reports, and no temp files', async () => {
    expect(await readdir(first())).toEqual([...FILES].sort());
    expect(result.counts).toEqual({ customers: 316, products: 200, locations: 50, transactions: 1_000 });
    expect(result.files.map((f) => [f.file, f.rows])).toEqual([
      ['customers.csv', 316],
      ['products.json', 200],
      ['locations.ndjson', 50],
      ['sales_transactions.csv', 1_001],
    ]);
    expect(landing.customers).toHaveLength(317);
    expect(landing.customers[0]).toEqual([...CUSTOMER_COLUMNS]);
    expect(landing.products).toHaveLength(200);
    expect(landing.locations).toHaveLength(50);
    expect(landing.transactions).toHaveLength(1_002);
    expect(landing.transactions[0]).toEqual([...TRANSACTION_COLUMNS]);
    // Quoted commas in addresses must not split a field.
    expect(landing.customers.every((row) => row.length === CUSTOMER_COLUMNS.length)).toBe(true);
    expect(landing.transactions.every((row) => row.length === TRANSACTION_COLUMNS.length)).toBe(true);
    expect(result.dirtyRows).toBe(DIRTY_ROWS.length);
  });

  it('writes byte-identical files for the same seed, ds and scale', async () => {
    await generateSampleData(config(join(root, 'second')), { log: silent });
    expect(await readAll(join(root, 'second'))).toEqual(await readAll(first()));
  });

  it('changes the data with the seed, and only the transactions with ds', async () => {
    await generateSampleData(config(join(root, 'seed7'), { seed: 7 }), { log: silent });
    const [a, b] = [await readAll(first()), await readAll(join(root, 'seed7'))];
    FILES.forEach((_, i) => expect(b[i]).not.toEqual(a[i]));
    await generateSampleData(config(join(root, 'ds'), { ds: '2026-06-01', dsEpochMs: Date.UTC(2026, 5, 1) }), { log: silent });
    const c = await readAll(join(root, 'ds'));
    expect(c.slice(0, 3)).toEqual(a.slice(0, 3));
    expect(c[3]).not.toEqual(a[3]);
  });

  it('overwrites files of the same name in an existing folder', async () => {
    const dir = join(root, 'existing');
    await generateSampleData(config(dir, { seed: 7 }), { log: silent });
    await writeFile(join(dir, 'unrelated.txt'), 'keep me');
    await generateSampleData(config(dir), { log: silent });
    expect(await readAll(dir)).toEqual(await readAll(first()));
    expect(await readFile(join(dir, 'unrelated.txt'), 'utf8')).toBe('keep me');
  });

  it('keeps referential integrity across the files', () => {
    const customerIds = new Set(landing.customers.slice(1).map((row) => row[0]));
    const priceOf = new Map(landing.products.map((p) => [p.product_id, p.unit_price]));
    const locationIds = new Set(landing.locations.map((l) => l.location_id));
    for (const [, customer, product, location, , unitPrice] of landing.transactions.slice(1)) {
      expect(customerIds.has(customer)).toBe(true);
      expect(locationIds.has(location as string)).toBe(true);
      expect(Number(unitPrice)).toBe(priceOf.get(product as string));
    }
  });

  it('writes the dirty customer rows so that a CSV reader sees them exactly', () => {
    const byId = new Map(landing.customers.slice(1).map((row) => [row[0], row]));
    expect(byId.get('CUST000007')?.[1]).toBe('');
    expect(byId.get('CUST000123')?.[1]).toBe('   ');
    expect(byId.get('CUST000042')?.[3]).toMatch(/^ {2}\S+@Example\.[A-Z]+ $/);
    expect(byId.get('CUST000055')?.[1]).toMatch(/^ {2}\S+ $/);
    expect(byId.get('CUST000200')?.[2]).toMatch(/^ \S.*\S {2}$/);
  });

  it('repeats the duplicate as an identical line right after TXN00001000', async () => {
    const lines = (await readFile(join(first(), SAMPLE_FILES.transactions), 'utf8')).split('\n');
    const original = lines.find((line) => line.startsWith('TXN00000750,'));
    const after = lines.findIndex((line) => line.startsWith('TXN00001000,'));
    expect(lines[after + 1]).toBe(original);
    expect(lines.filter((line) => line === original)).toHaveLength(2);
  });

  it('formats money with 2 decimals and timestamps as YYYY-MM-DDTHH:MM:SSZ', () => {
    for (const row of landing.transactions.slice(1)) {
      for (const money of [row[5], row[6], row[7], row[8]]) expect(money).toMatch(/^\d+\.\d{2}$/);
      if (row[0] !== 'TXN00000500') expect(row[9]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
  });
});

describe('generateSampleData --daily', () => {
  const daily = (ds: string) => config(join(root, `daily-${ds}`), { ds, dsEpochMs: Date.parse(`${ds}T00:00:00Z`), daily: true, days: 1 });

  it('writes the nightly delivery it reports: regular, duplicate, late and corrected lines', async () => {
    const result = await generateSampleData(daily('2026-11-28'), { log: silent });
    expect(result.daily).toBe(true);
    expect(result.delivery).toEqual({ day: Date.UTC(2026, 10, 28) / 86_400_000, regular: 1_250, late: 5, corrections: 10 });
    const landing = await readLanding(join(root, 'daily-2026-11-28'));
    expect(landing.transactions).toHaveLength(1 + 1_250 + 1 + 5 + 10);
    expect(result.files.find((f) => f.file === SAMPLE_FILES.transactions)?.rows).toBe(1_266);
    expect(landing.transactions.slice(1).every((row) => /^TXN\d{8}-\d{8}$/.test(row[0] as string))).toBe(true);
  });

  it('delivers customers as of ds: some have moved between two days, products and locations stay', async () => {
    await generateSampleData(daily('2026-11-01'), { log: silent });
    await generateSampleData(daily('2026-11-28'), { log: silent });
    const [a, b] = [await readLanding(join(root, 'daily-2026-11-01')), await readLanding(join(root, 'daily-2026-11-28'))];
    const moved = b.customers.map((row, i) => [a.customers[i]!, row]).filter(([before, after]) => after![5] !== before![5]);
    expect(moved.length).toBeGreaterThan(3);
    // A move changes where a customer lives, not who they are: id, names, email and phone stay.
    for (const [before, after] of moved) expect(after!.slice(0, 5)).toEqual(before!.slice(0, 5));
    expect(b.products).toEqual(a.products);
    expect(b.locations).toEqual(a.locations);
  });
});
