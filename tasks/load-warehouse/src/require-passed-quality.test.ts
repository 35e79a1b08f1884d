import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { sampleCurated, writeCurated } from './curated-fixture.test-util';
import { requirePassedQuality } from './require-passed-quality';

const DS = '2026-11-26';
const TABLES = ['dim_date', 'dim_customer', 'dim_product', 'dim_location', 'fact_sales'];

describe('requirePassedQuality', () => {
  let root: string;
  let lake: Lake;
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'wap-'));
    lake = new Lake(new LocalStorage(root));
    await writeCurated(lake, DS, sampleCurated(DS));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const report = (status: 'passed' | 'failed', at: Date, checks: object[] = []) =>
    lake.writeJson(`quality/dt=${DS}/report.json`, { ds: DS, status, generated_at: at.toISOString(), checks });

  it('lets a checked, passed ds through', async () => {
    await report('passed', new Date(Date.now() + 1000));
    await expect(requirePassedQuality(lake, DS, TABLES)).resolves.toBeUndefined();
  });

  it('refuses a ds without a report (exit 4) and names the step to run', async () => {
    await expect(requirePassedQuality(lake, DS, TABLES)).rejects.toMatchObject({ exitCode: 4, fix: expect.stringContaining('run the check-quality step') });
  });

  it('refuses a failed report with exit 3, naming the failed error checks', async () => {
    await report('failed', new Date(Date.now() + 1000), [
      { name: 'fact_sales.unique(transaction_id)', status: 'failed', severity: 'error' },
      { name: 'fact_sales.not_null(x)', status: 'failed', severity: 'warn' },
    ]);
    await expect(requirePassedQuality(lake, DS, TABLES)).rejects.toMatchObject({ exitCode: 3, failedChecks: ['fact_sales.unique(transaction_id)'] });
  });

  it('refuses a report older than the curated partitions', async () => {
    await report('passed', new Date(Date.now() - 60_000));
    await expect(requirePassedQuality(lake, DS, TABLES)).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('rebuilt after the quality checks ran') });
  });

  it('lets through a fact partition a newer batch rewrote after the checks to move rows out (its build time counts), not one rebuilt', async () => {
    const checked = new Date(Date.now() + 1000);
    await report('passed', checked);
    // A newer ds's build-star-schema rewrites the partition later, keeping built_at.
    const manifest = (await lake.readManifest(datasets.curated('fact_sales'), DS))!;
    const moved = { ...manifest, committed_at: new Date(checked.getTime() + 60_000).toISOString(), meta: { ...manifest.meta, built_at: manifest.committed_at, moved_out: { '2026-11-27': 1 } } };
    await lake.storage.putBytes(`${datasets.curated('fact_sales')}/dt=${DS}/_manifest.json`, JSON.stringify(moved));
    await expect(requirePassedQuality(lake, DS, TABLES)).resolves.toBeUndefined();
    const rebuilt = { ...moved, meta: { ...moved.meta, built_at: moved.committed_at } };
    await lake.storage.putBytes(`${datasets.curated('fact_sales')}/dt=${DS}/_manifest.json`, JSON.stringify(rebuilt));
    await expect(requirePassedQuality(lake, DS, TABLES)).rejects.toMatchObject({ exitCode: 4 });
  });
});
