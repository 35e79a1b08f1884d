import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '@salesflow/config';
import { Lake, LocalStorage } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import { runStatus } from '../status-main';
import { lakeDatasetsOf } from './lake-datasets';
import { formatLakeStatus, readLakeStatus } from './lake-status';

const DEMO = path.resolve(__dirname, '../../../../config/demo_config.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lake status', () => {
  let dir: string;
  let lake: Lake;
  let configFile: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lake-status-'));
    lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
    configFile = path.join(dir, 'c.yaml');
    writeFileSync(configFile, readFileSync(DEMO, 'utf8').replace('${LAKE_ROOT:-.demo/lake}', path.join(dir, 'lake')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const plan = () => lakeDatasetsOf(readConfig(configFile, () => undefined).config);
  /** Commits a partition the way readers see it: its manifest (status reads nothing else). */
  const commit = (dataset: string, ds: string) =>
    dataset === 'quality' ? lake.writeJson(`quality/dt=${ds}/report.json`, { status: 'passed' }) : lake.writeJson(`${dataset}/dt=${ds}/_manifest.json`, { ds });

  /** Runs the pipeline's zones in order for ds, skipping `skip`; a pause between zones keeps commit times apart. */
  async function fill(ds: string, skip: (dataset: string) => boolean = () => false) {
    for (const zone of ['raw', 'processed', 'masked', 'curated', 'quality']) {
      for (const d of plan().filter((p) => p.zone === zone && !skip(p.dataset))) await commit(d.dataset, ds);
      await sleep(15);
    }
  }

  it('knows every dataset of the config and its inputs', () => {
    const p = plan();
    expect(p.filter((d) => d.zone === 'raw').map((d) => d.dataset)).toEqual(['customers', 'products', 'locations', 'sales_transactions'].map((e) => `raw/files/landing/${e}`));
    expect(p.find((d) => d.dataset === 'processed/masked/customers')).toEqual({ zone: 'masked', dataset: 'processed/masked/customers', step: 'mask', inputs: ['processed/customers'] });
    expect(p.find((d) => d.dataset === 'curated/dim_date')!.inputs).toContain('processed/masked/sales_transactions');
    expect(p.at(-1)).toMatchObject({ zone: 'quality', step: 'check-quality' });
    expect(p).toHaveLength(4 + 4 + 4 + 5 + 1);
  });

  it('tells ok, missing and stale partitions apart, and where a backfill starts', async () => {
    await fill('2026-11-24');
    await fill('2026-11-25');
    await fill('2026-11-26', (d) => d === 'raw/files/landing/products' || d.startsWith('curated/') || d === 'quality');
    await sleep(15);
    await commit('processed/customers', '2026-11-25'); // standardize rerun after mask: masked is now stale

    const days = await readLakeStatus(lake, plan(), '2026-11-24', '2026-11-27');
    expect(days.map((d) => d.rerunFrom)).toEqual([undefined, 'mask', 'ingest --source landing', 'ingest --source landing']);
    const day25 = days[1]!.datasets.filter((d) => d.state !== 'ok');
    expect(day25).toEqual([expect.objectContaining({ dataset: 'processed/masked/customers', state: 'stale', newerInputs: ['processed/customers'] })]);
    const day26 = days[2]!.datasets.filter((d) => d.state !== 'ok').map((d) => `${d.dataset} ${d.state}`);
    expect(day26).toEqual(['raw/files/landing/products missing', ...['dim_customer', 'dim_product', 'dim_location', 'dim_date', 'fact_sales'].map((t) => `curated/${t} missing`), 'quality missing']);
    expect(days[3]!.datasets.every((d) => d.state === 'missing')).toBe(true);

    const text = formatLakeStatus(days);
    expect(text).toContain('2026-11-25: rerun from mask (processed/masked/customers stale)');
    expect(text).toMatch(/processed\/masked\/customers\s+✓\s+!\s+✓\s+·/);
  });

  it('lists the days whose events landed late in a later Kafka raw partition as needing re-processing', async () => {
    const kafka = { zone: 'raw' as const, dataset: 'raw/kafka/orders/order_events', step: 'ingest --source orders', inputs: [] };
    const land = async (ds: string, late: Record<string, number>) => {
      const w = lake.openPartition({ dataset: kafka.dataset, ds, step: 'ingest', runId: 'r' });
      await w.commit({ kafka: { ranges: [], read: 0, landed: 0, quarantined: 0, late } });
    };
    await land('2026-11-24', {});
    await land('2026-11-25', { '2026-11-24': 2 });
    await land('2026-11-26', { '2026-11-24': 1, '2026-11-25': 7, '2026-11-01': 4 });
    const days = await readLakeStatus(lake, [kafka], '2026-11-24', '2026-11-26');
    expect(days.map((d) => d.late)).toEqual([
      [
        { dataset: kafka.dataset, landedIn: '2026-11-25', events: 2 },
        { dataset: kafka.dataset, landedIn: '2026-11-26', events: 1 },
      ],
      [{ dataset: kafka.dataset, landedIn: '2026-11-26', events: 7 }],
      undefined,
    ]);
    const text = formatLakeStatus(days);
    expect(text).toContain('2026-11-24: needs re-processing: 3 of its events landed late (2 in raw/kafka/orders/order_events dt=2026-11-25, 1 in raw/kafka/orders/order_events dt=2026-11-26)');
    expect(text).not.toContain('is there and up to date');
  });

  it('runs as a command: text or JSON, exit 2 on a bad range', async () => {
    await fill('2026-11-26');
    let out = '';
    expect(await runStatus(['--config', configFile, '--from', '2026-11-26', '--json'], (t) => (out += t), silentLogger)).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ from: '2026-11-26', to: '2026-11-26', days: [{ ds: '2026-11-26' }] });
    expect(json.days[0].rerunFrom).toBeUndefined();
    out = '';
    expect(await runStatus(['--config', configFile, '--from', '2026-11-26'], (t) => (out += t), silentLogger)).toBe(0);
    expect(out).toContain('every partition from 2026-11-26 to 2026-11-26 is there and up to date');
    expect(await runStatus(['--config', configFile, '--from', '2026-11-27', '--to', '2026-11-01'], () => undefined, silentLogger)).toBe(2);
    expect(await runStatus(['--config', configFile, '--from', '2026-13-01'], () => undefined, silentLogger)).toBe(2);
  });
});
