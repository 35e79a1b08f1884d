/**
 * The data catalog opened in a real headless Chromium (Debian's chromium package, driven by
 * playwright-core; CHROMIUM_PATH points elsewhere). Starts the browser, no server.
 *
 * A temp local lake gets three days of partitions in every zone for customers and sales, an ingest
 * lineage event, a load-warehouse run report, and two real check-quality runs (checks, profiles,
 * drift). The catalog step then builds _catalog/index.html, which is loaded with file:// and used
 * as a reader would: the overview, search, navigation by the sidebar and by the lineage graph,
 * the schema with PII and descriptions, row-count bars, checks and the profile. Screenshots are
 * checked for the graph's colours and kept in CATALOG_SCREENSHOTS_DIR when it is set.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { countPixels } from './count-pixels';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { ExitCode } from '@salesflow/errors';
import { Lake, LocalStorage, datasets } from '@salesflow/lake';
import { silentLogger } from '@salesflow/logging';
import { executeStep } from '@salesflow/step';
import { checkQualityStep } from '../../tasks/check-quality/src';
import { CATALOG_KEY, catalogStep, runCatalogCommand } from '../../tasks/catalog/src';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DAYS = ['2026-12-01', '2026-12-02', '2026-12-03'];
const FACT_ROWS = [100, 120, 150];
const SHOTS = process.env.CATALOG_SCREENSHOTS_DIR;

const s = (name: string): ColumnDef => ({ name, kind: 'string' });
const CUSTOMER: ColumnDef[] = [s('customer_id'), s('email'), s('first_name'), s('city')];
const DIM_CUSTOMER: ColumnDef[] = [{ name: 'customer_key', kind: 'int32' }, ...CUSTOMER];
const FACT: ColumnDef[] = [s('transaction_id'), { name: 'customer_key', kind: 'int32' }, { name: 'quantity', kind: 'int32' }, { name: 'total_amount', kind: 'decimal', precision: 14, scale: 2 }];

async function writePartition(lake: Lake, dataset: string, ds: string, cols: ColumnDef[], rows: Record<string, unknown>[], step: string): Promise<void> {
  const b = new BatchBuilder(cols);
  rows.forEach((r) => b.appendObject(r));
  const w = lake.openPartition({ dataset, ds, step, runId: `run-${ds}`, schema: b.schema });
  await w.write(b.finish());
  await w.commit();
}

async function writeLake(lake: Lake, root: string): Promise<void> {
  for (const [d, ds] of DAYS.entries()) {
    // On the last day half the customers have no city: the profile drifts.
    const customers = Array.from({ length: 20 + d }, (_, i) => ({ customer_id: `C${i}`, email: `c${i}@example.com`, first_name: `Name${i}`, city: d === 2 && i % 2 ? null : `City${i % 4}` }));
    await writePartition(lake, datasets.raw('files', 'landing', 'customers'), ds, CUSTOMER, customers, 'ingest');
    await writePartition(lake, datasets.processed('customers'), ds, CUSTOMER, customers, 'standardize');
    const masked = customers.map((c) => ({ ...c, email: `h${c.customer_id}@example.com`, first_name: `tok_${c.customer_id}` }));
    await writePartition(lake, datasets.masked('customers'), ds, CUSTOMER, masked, 'mask');
    await writePartition(lake, datasets.curated('dim_customer'), ds, DIM_CUSTOMER, masked.map((c, i) => ({ customer_key: i + 1, ...c })), 'build-star-schema');
    const facts = Array.from({ length: FACT_ROWS[d]! }, (_, i) => ({ transaction_id: `TXN${ds}-${i}`, customer_key: (i % 20) + 1, quantity: (i % 5) + 1, total_amount: `${10 + (i % 7)}.50` }));
    await writePartition(lake, datasets.curated('fact_sales'), ds, FACT, facts, 'build-star-schema');
    await lake.writeJson(datasets.runReportKey(ds, 'load-warehouse'), { step: 'load-warehouse', ds, status: 'success', finished_at: `${ds}T03:00:00.000Z`, outputs: [{ uri: 'sqlite://wh.sqlite/fact_sales', rows: FACT_ROWS[d] }, { uri: 'sqlite://wh.sqlite/dim_customer', rows: 20 + d }] });
  }
  // What ingest's lineage says for the last day: the landing file each raw dataset came from.
  const last = DAYS.at(-1)!;
  await lake.writeJson(`_lineage/dt=${last}/ingest.landing/0000.json`, [
    { eventType: 'START', inputs: [], outputs: [] },
    {
      eventType: 'COMPLETE',
      inputs: [{ namespace: 'file', name: `/landing/dt=${last}/customers.csv` }],
      outputs: [{ namespace: 'file', name: path.join(root, 'raw/files/landing/customers', `dt=${last}`) }],
    },
  ]);
}

describe('the data catalog in headless Chromium', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-html-'));
  const root = path.join(dir, 'lake');
  const lake = new Lake(new LocalStorage(root));
  const page_url = `file://${path.join(root, CATALOG_KEY)}`;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (bash .ci/run does), or set CHROMIUM_PATH`);
    await writeLake(lake, root);
    const checks = [
      '    - { table: fact_sales, check: not_null, columns: [transaction_id] }',
      '    - { table: fact_sales, check: row_count, min: 1 }',
      '    - { table: fact_sales, check: range, columns: [quantity], max: 4, severity: warn }',
      '    - { table: dim_customer, check: unique, columns: [customer_id] }',
    ].join('\n');
    const catalog = [
      'catalog:',
      '  owner: data platform',
      '  datasets:',
      '    customers: { description: "People who bought something, one row per customer.", columns: { email: "Where receipts go" } }',
    '    dim_customer: { description: "Customers with their address history (SCD type 2)." }',
      '    fact_sales: { description: "One row per sales transaction line.", owner: sales analytics, columns: { total_amount: "Paid, tax included" } }',
    ].join('\n');
    const config = path.join(dir, 'config.yaml');
    const text = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8')
      .replace('${LAKE_ROOT:-.demo/lake}', root)
      .replace(/\nquality:\n(?: {2}#.*\n)* {2}checks:\n(?: {4}(?:- |#).*\n)+/, `\nquality:\n  checks:\n${checks}\n`)
      // The test's own catalog section instead of the demo's.
      .replace(/\n(?:#.*\n)*catalog:\n(?: .*\n)*/, '\n');
    writeFileSync(config, `${text}\n${catalog}\n`);
    for (const ds of DAYS.slice(1)) {
      const code = await executeStep(checkQualityStep, { argv: ['--config', config, '--ds', ds, '--run-id', `q-${ds}`], print: () => undefined, log: silentLogger, xcomDir: dir });
      expect(code).toBe(ExitCode.ok);
    }
    const printed: string[] = [];
    expect(await executeStep(catalogStep, { argv: ['--config', config, '--ds', DAYS.at(-1)!, '--run-id', 'cat-1'], print: (l) => printed.push(l), log: silentLogger, xcomDir: dir })).toBe(ExitCode.ok);
    expect(JSON.parse(printed.at(-1)!)).toMatchObject({ status: 'success', outputs: [path.join(root, CATALOG_KEY)] });
    // The command writes the same page to a folder.
    const out: string[] = [];
    expect(await runCatalogCommand(['--config', config, '--out', path.join(dir, 'site')], (t) => out.push(t), silentLogger)).toBe(ExitCode.ok);
    expect(readFileSync(path.join(dir, 'site', 'index.html'), 'utf8').length).toBeGreaterThan(10_000);
    expect(await runCatalogCommand(['--out', 'x'], () => undefined, silentLogger)).toBe(ExitCode.usage);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(page_url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shot = async (name: string) => {
    const png = await page.screenshot({ fullPage: true });
    if (SHOTS) writeFileSync(path.join(SHOTS, name), png);
    return png;
  };

  it('lists every dataset of every zone and the warehouse, and loads nothing but itself', async () => {
    const zones = await page.locator('#dataset-list li.zone-head').allTextContents();
    expect(zones).toEqual(['source', 'raw', 'processed', 'rejected', 'masked', 'curated', 'warehouse']);
    const ids = await page.locator('#dataset-list li.item').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    // The demo config's 4 entities in 4 lake zones, 5 curated tables and their warehouse tables, and the landing file.
    expect(ids).toHaveLength(1 + 4 * 4 + 5 + 5);
    expect(ids).toEqual(expect.arrayContaining(['raw/files/landing/customers', 'processed/_rejected/customers', 'processed/masked/customers', 'curated/fact_sales', 'warehouse/fact_sales', 'source/file/landing/customers.csv']));
    const fact = page.locator('#overview tr[data-id="curated/fact_sales"] td');
    expect(await fact.allInnerTexts()).toEqual(['curated', 'curated/fact_sales', '150', expect.stringMatching(/ago$/), 'warned', 'sales analytics']);
    await shot('catalog-overview.png');
    expect(errors).toEqual([]);
    expect(requests).toEqual([page_url]);
  });

  it('searches names, columns and descriptions, and Enter opens the first match', async () => {
    await page.fill('#search', 'receipts');
    const shown = () => page.locator('#dataset-list li.item:not([hidden])').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    // "Where receipts go" describes the email column of customers, and of dim_customer built from it
    // (the rejected rows of customers have no partition, so no known columns).
    expect(await shown()).toEqual(['raw/files/landing/customers', 'processed/customers', 'processed/masked/customers', 'curated/dim_customer', 'warehouse/dim_customer']);
    expect(await page.locator('#search-count').textContent()).toBe('5 matches');
    await page.fill('#search', 'fact sales');
    expect(await shown()).toEqual(['curated/fact_sales', 'warehouse/fact_sales']);
    await page.press('#search', 'Enter');
    await page.waitForSelector('#dataset[data-id="curated/fact_sales"]');
    expect(page.url()).toBe(`${page_url}#/d/curated%2Ffact_sales`);
    await page.fill('#search', '');
    expect((await shown()).length).toBe(27);
  });

  it('shows a dataset: description, owner, schema with PII masks, row counts, checks and profile', async () => {
    await page.goto(`${page_url}#/d/curated%2Fdim_customer`);
    await page.waitForSelector('#dataset[data-id="curated/dim_customer"]');
    const text = await page.locator('#dataset').innerText();
    expect(text).toContain('Customers with their address history (SCD type 2).');
    expect(text).toContain('data platform');
    // dim_customer is built from customers: its mask rules name the PII columns.
    const pii = await page.locator('#schema tr[data-column] td:nth-child(4)').allInnerTexts();
    const cols = await page.locator('#schema tr[data-column]').evaluateAll((els) => els.map((e) => e.getAttribute('data-column')));
    expect(Object.fromEntries(cols.map((c, i) => [c, pii[i]]))).toEqual({ customer_key: '', customer_id: '', email: 'email', first_name: 'tokenize', city: '' });
    expect(await page.locator('#schema tr[data-column="email"] td:nth-child(5)').innerText()).toBe('Where receipts go');
    // Profile: half the cities null on the last day, flagged as drift (warn).
    expect(await page.locator('#schema tr[data-column="city"] td:nth-child(6)').innerText()).toBe(String(Math.round((11 / 22) * 1e6) / 1e4));
    expect(await page.locator('#checks tr.check.warned code').allInnerTexts()).toEqual(['dim_customer.profile_drift']);
    expect(await page.locator('#profile tr').count()).toBe(1 + 5);
    // Bars: one per day, as tall as its rows.
    const bars = await page.locator('#rows-chart rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rows'))));
    expect(bars).toEqual([20, 21, 22]);
    await shot('catalog-dim-customer.png');
  });

  it('draws the lineage graph and navigates along it', async () => {
    await page.click('#dataset-list li.item[data-id="curated/fact_sales"] a');
    await page.waitForSelector('#dataset[data-id="curated/fact_sales"]');
    const nodes = await page.locator('#lineage g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    // Upstream: masked entities, processed, raw, the landing file; downstream: the warehouse table.
    expect(nodes).toEqual(expect.arrayContaining(['curated/fact_sales', 'processed/masked/sales_transactions', 'processed/customers', 'raw/files/landing/customers', 'source/file/landing/customers.csv', 'warehouse/fact_sales']));
    expect(nodes).toContain('curated/dim_customer'); // its keys are looked up there
    expect(nodes).not.toContain('warehouse/dim_customer'); // a sibling's output, neither up- nor downstream
    expect(await page.locator('#lineage g.node.current').getAttribute('data-id')).toBe('curated/fact_sales');
    expect(await page.locator('#lineage path.edge.on[data-to="warehouse/fact_sales"]').count()).toBe(1);
    // Columns left to right by zone.
    const x = async (id: string) => (await page.locator(`#lineage g.node[data-id="${id}"]`).boundingBox())!.x;
    expect(await x('source/file/landing/customers.csv')).toBeLessThan(await x('raw/files/landing/customers'));
    expect(await x('processed/masked/customers')).toBeLessThan(await x('curated/fact_sales'));
    expect(await x('curated/dim_customer')).toBeLessThan(await x('curated/fact_sales')); // the fact reads the dimensions
    expect(await x('curated/fact_sales')).toBeLessThan(await x('warehouse/fact_sales'));

    // The current node is filled with the curated zone's green, the others are outlined.
    const graph = await page.locator('#lineage').screenshot();
    if (SHOTS) writeFileSync(path.join(SHOTS, 'catalog-lineage.png'), graph);
    expect((await countPixels(page, graph, '#2e7d32', 30)).matching).toBeGreaterThan(1500);
    expect((await countPixels(page, graph, '#ef6c00', 30)).matching).toBeGreaterThan(50); // the warehouse node's outline
    await shot('catalog-fact-sales.png');

    await page.click('#lineage g.node[data-id="warehouse/fact_sales"]');
    await page.waitForSelector('#dataset[data-id="warehouse/fact_sales"]');
    const bars = await page.locator('#rows-chart rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rows'))));
    expect(bars).toEqual(FACT_ROWS);
    await page.click('#lineage g.node[data-id="source/file/landing/customers.csv"]');
    await page.waitForSelector('#dataset[data-id="source/file/landing/customers.csv"]');
    expect(await page.locator('#neighbours').innerText()).toBe('Upstream: none · Downstream: raw/files/landing/customers');
    await page.goBack();
    await page.waitForSelector('#dataset[data-id="warehouse/fact_sales"]');
    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith(page_url))).toBe(true);
  });
});
