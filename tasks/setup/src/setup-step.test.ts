import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '@salesflow/config';
import { Lake, LocalStorage } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import type { StepContext } from '@salesflow/step';
import { runSetup } from './setup-step';

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
      '_vault/customers/first_name/dt=2025-11-01/_manifest.json',
      '_vault/customers/first_name/dt=2026-01-01/_manifest.json',
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
        '_vault/customers/first_name/dt=2026-01-01/_manifest.json',
        '_lake.json',
      ]),
    );
    expect(left).not.toContain('raw/files/landing/customers/dt=2026-08-01/_manifest.json');
    expect(left).not.toContain('raw/files/landing/customers/dt=2026-08-01/part-a-0000.parquet');
    expect(left).not.toContain('curated/fact_sales/dt=2025-11-01/_manifest.json');
    expect(left).not.toContain('_vault/customers/first_name/dt=2025-11-01/_manifest.json'); // the vault keeps 365 days
    expect(result.metrics).toEqual({ expired_files_deleted: 4 });
    expect(existsSync(path.join(root, 'lake', '_lake.json'))).toBe(true);
  });
});
