import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { readConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { Lake, LocalStorage } from '@salesflow/lake';
import { columnsToUpgrade, declaredTypesOf, upgradeLake } from './upgrade-lake';

const config = readConfig(path.resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined).config;

describe('declaredTypesOf and columnsToUpgrade', () => {
  it('finds the declared decimals and days of the processed, masked and curated datasets', () => {
    const types = declaredTypesOf(config);
    expect(types.get('processed/sales_transactions')?.get('unit_price')).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
    expect(types.get('processed/masked/sales_transactions')?.get('unit_price')).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
    expect(types.get('curated/fact_sales')?.get('batch_ds')).toEqual({ kind: 'date' });
    expect(types.get('curated/fact_sales')?.get('total_amount')).toMatchObject({ kind: 'decimal', scale: 2 });
  });

  it('picks double where a decimal is declared and text where a date is, nothing else', () => {
    const declared = declaredTypesOf(config).get('curated/fact_sales')!;
    const schema = [
      { name: 'unit_price', kind: 'float64' as const },
      { name: 'total_amount', kind: 'decimal' as const, precision: 14, scale: 2 },
      { name: 'batch_ds', kind: 'string' as const },
      { name: 'quantity', kind: 'int32' as const },
    ];
    expect(columnsToUpgrade(schema, declared)).toEqual(['unit_price', 'batch_ds']);
  });
});

describe('upgradeLake', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'lake-upgrade-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const oldPartition = async (lake: Lake, prices: (number | null)[], days: (string | null)[]) => {
    const w = lake.openPartition({ dataset: 'curated/fact_sales', ds: '2026-11-01', step: 'build-star-schema', runId: 'old-run' });
    await w.write(
      new arrow.RecordBatch({
        transaction_id: arrow.vectorFromArray(prices.map((_, i) => `T${i}`), new arrow.Utf8()).data[0]!,
        unit_price: arrow.vectorFromArray(prices, new arrow.Float64()).data[0]!,
        batch_ds: arrow.vectorFromArray(days, new arrow.Utf8()).data[0]!,
      }),
    );
    return w.commit({ superseded: 0 });
  };

  it('rewrites doubles as DECIMAL by their shortest form and days as DATE, keeping the commit time, producer and meta', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    const before = await oldPartition(lake, [19.99, 0.1 + 0.2, null, 1.005], ['2026-11-01', '2026-11-01', null, '2026-11-01']);
    const summary = await upgradeLake(lake, config, { runId: 'up', now: () => new Date('2026-12-07T00:00:00Z') });
    expect(summary).toMatchObject({ partitions_upgraded: ['curated/fact_sales dt=2026-11-01'], rows: 4, dry_run: false });
    const after = (await lake.readManifest('curated/fact_sales', '2026-11-01'))!;
    expect(after).toMatchObject({ committed_at: before.committed_at, producer: before.producer, rows: 4 });
    expect(after.meta).toMatchObject({ superseded: 0, upgraded: { run_id: 'up', columns: ['unit_price', 'batch_ds'], from_schema_hash: before.schema_hash } });
    expect(after.schema.find((c) => c.name === 'unit_price')).toMatchObject({ kind: 'decimal', precision: 12, scale: 2 });
    const rows: unknown[] = [];
    for await (const b of lake.readManifestBatches(after)) {
      expect(String(b.schema.fields.find((f) => f.name === 'batch_ds')!.type)).toBe('Date32<DAY>');
      for (let r = 0; r < b.numRows; r++) rows.push([b.getChild('unit_price')!.get(r) === null ? null : String(b.getChild('unit_price')!.get(r)), b.getChild('batch_ds')!.get(r)]);
    }
    const day = Date.UTC(2026, 10, 1);
    // Decimal128 values read back as their scaled integers: 19.99 -> 1999, 0.30000000000000004 -> 30, 1.005 -> 101 (half away from zero).
    expect(rows).toEqual([['1999', day], ['30', day], [null, null], ['101', day]]);
    expect((await upgradeLake(lake, config, { runId: 'again' })).partitions_upgraded).toEqual([]);
  });

  it('fails with exit 4 naming the partition, column and row of a value with no decimal form, and leaves the partition as it was', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    const before = await oldPartition(lake, [1.5, Number.NaN], ['2026-11-01', '2026-11-01']);
    const err = await upgradeLake(lake, config, { runId: 'up' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).exitCode).toBe(ExitCode.badInput);
    expect((err as Error).message).toBe('curated/fact_sales dt=2026-11-01: column unit_price, row 2: NaN is not a finite number, so it has no DECIMAL(12,2) form');
    expect(await lake.readManifest('curated/fact_sales', '2026-11-01')).toEqual(before);
  });

  it('lists without writing in a dry run', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    const before = await oldPartition(lake, [1.5], ['2026-11-01']);
    expect(await upgradeLake(lake, config, { runId: 'dry', dryRun: true })).toMatchObject({ partitions_upgraded: ['curated/fact_sales dt=2026-11-01'], dry_run: true });
    expect(await lake.readManifest('curated/fact_sales', '2026-11-01')).toEqual(before);
  });
});
