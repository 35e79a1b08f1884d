import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, recordOfModel, validateConfig, warehouseTablesOf, WAREHOUSE_MODEL_KEY, type PipelineConfig } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { Lake, LocalStorage } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import type { StepContext } from '@salesflow/step';
import { runSetup } from './setup-step';

describe('runSetup checks the star schema against the model of the last load', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'setup-model-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const demo = () => JSON.parse(JSON.stringify(readConfig(path.resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined).config));
  const valid = (raw: unknown): PipelineConfig => {
    const r = validateConfig(raw);
    if (!r.config) throw new Error(r.errors.join('; '));
    return r.config;
  };
  const setup = (lake: Lake, config: PipelineConfig) => runSetup({ step: 'setup', ds: '2026-11-27', runId: 'r', config, lake, log: silentLogger });

  it('passes a config that only adds, and fails with exit 2 naming the key when a decimal changes scale', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    await lake.writeJson(WAREHOUSE_MODEL_KEY, recordOfModel(warehouseTablesOf(valid(demo())), 'sqlite', '2026-11-26', new Date()));
    const grown = demo();
    grown.standardize.entities.sales_transactions.columns.channel = { type: 'string' };
    grown.star_schema.fact.measures.push('channel');
    await expect(setup(lake, valid(grown))).resolves.toMatchObject({ rowsOut: 0 });

    const rescaled = demo();
    rescaled.standardize.entities.sales_transactions.columns.unit_price = { type: 'decimal(12,3)', required: true };
    const err = await setup(lake, valid(rescaled)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toMatch(/fact_sales\.unit_price \(star_schema\.fact\.measures\): the scale changes from 2 to 3/);
  });
});

describe('runSetup on a local lake', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'setup-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the lake and removes partitions past each zone retention, counted from ds', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    const keys = [
      'raw/files/landing/customers/dt=2026-08-01/_manifest.json',
      'raw/files/landing/customers/dt=2026-08-01/part-a-0000.parquet',
      'raw/files/landing/customers/dt=2026-11-25/_manifest.json',
      'processed/customers/dt=2026-08-01/_manifest.json',
      'curated/fact_sales/dt=2025-11-01/_manifest.json',
      'curated/fact_sales/dt=2026-08-01/_manifest.json',
      '_runs/dt=2020-01-01/ingest-landing.json',
    ];
    for (const k of keys) await lake.storage.putBytes(k, '{}');
    const { config } = readConfig(path.resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined);
    const ctx: StepContext = { step: 'setup', ds: '2026-11-26', runId: 'r', config, lake, log: silentLogger };
    const result = await runSetup(ctx);
    const left = (await lake.storage.list('')).map((o) => o.key);
    // raw keeps 90 days, processed 180, curated 365; run reports are not a zone and stay.
    expect(left).toEqual(
      expect.arrayContaining([
        'raw/files/landing/customers/dt=2026-11-25/_manifest.json',
        'processed/customers/dt=2026-08-01/_manifest.json',
        'curated/fact_sales/dt=2026-08-01/_manifest.json',
        '_runs/dt=2020-01-01/ingest-landing.json',
        '_lake.json',
      ]),
    );
    expect(left).not.toContain('raw/files/landing/customers/dt=2026-08-01/_manifest.json');
    expect(left).not.toContain('raw/files/landing/customers/dt=2026-08-01/part-a-0000.parquet');
    expect(left).not.toContain('curated/fact_sales/dt=2025-11-01/_manifest.json');
    expect(result.metrics).toEqual({ expired_files_deleted: 3 });
    expect(existsSync(path.join(root, 'lake', '_lake.json'))).toBe(true);
  });
});
