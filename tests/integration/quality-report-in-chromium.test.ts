/**
 * report.html opened in a real headless Chromium (Debian's chromium package, driven by
 * playwright-core; CHROMIUM_PATH points elsewhere). Starts the browser, no server.
 *
 * The check-quality step runs on a temp local lake that holds 29 earlier days of run reports and
 * the curated partitions of ds; the page it writes is loaded from the lake with file://, and the
 * test asserts what a reader sees: the charts' bars and lines (elements and pixels in screenshots),
 * the failing sample, and that the page asked for nothing over the network.
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
import { REJECT_COLOUR, SERIES_COLOURS, checkQualityStep, qualityHtmlKey } from '../../tasks/check-quality/src';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DS = '2026-11-30';
const DAYS = 30;

const dsMinus = (n: number) => new Date(Date.parse(`${DS}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
/** Rejected rows of day i (0 = oldest): none for the first 20 days, then growing; ds itself 90. */
const rejectsOf = (i: number) => (i < 20 ? 0 : (i - 19) * 10);
const factRowsOf = (i: number) => 1000 + i * 20;

async function writeLake(lake: Lake): Promise<void> {
  for (let i = 0; i < DAYS; i++) {
    const ds = dsMinus(DAYS - 1 - i);
    const fact = factRowsOf(i);
    const rejected = rejectsOf(i);
    const ok = { status: 'success', ds, duration_s: 1.5, peak_rss_mb: 150 };
    // Dimension rows make each step's line sit apart: ingest lands 3 entities, mask passes 2 on, the star schema keeps the fact.
    await lake.writeJson(datasets.runReportKey(ds, 'ingest', 'landing'), { ...ok, step: 'ingest', rows_in: fact + rejected + 600, rows_out: fact + rejected + 600 });
    await lake.writeJson(datasets.runReportKey(ds, 'standardize'), { ...ok, step: 'standardize', rows_in: fact + rejected + 600, rows_out: fact + 600, rows_rejected: rejected });
    await lake.writeJson(datasets.runReportKey(ds, 'mask'), { ...ok, step: 'mask', rows_in: fact + 300, rows_out: fact + 300 });
    await lake.writeJson(datasets.runReportKey(ds, 'build-star-schema'), { ...ok, step: 'build-star-schema', rows_in: fact, rows_out: fact });
    if (i === 25) await lake.writeJson(datasets.qualityPrefix(ds) + 'report.json', { status: 'failed', summary: { passed: 1, failed: 1, warned: 0 } });
  }
  const cols: ColumnDef[] = [
    { name: 'transaction_id', kind: 'string' },
    { name: 'quantity', kind: 'int32' },
  ];
  const b = new BatchBuilder(cols);
  for (let r = 0; r < 40; r++) b.appendObject({ transaction_id: r === 7 ? null : `TXN<${r}>`, quantity: r });
  const w = lake.openPartition({ dataset: datasets.curated('fact_sales'), ds: DS, step: 'build-star-schema', runId: 't', schema: b.schema });
  await w.write(b.finish());
  await w.commit();
}

describe('report.html in headless Chromium', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quality-html-'));
  const lake = new Lake(new LocalStorage(path.join(dir, 'lake')));
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (bash .ci/run does), or set CHROMIUM_PATH`);
    await writeLake(lake);
    const config = path.join(dir, 'config.yaml');
    const checks = [
      '    - { table: fact_sales, check: not_null, columns: [transaction_id] }',
      '    - { table: fact_sales, check: row_count, min: 1 }',
      '    - { table: fact_sales, check: range, columns: [quantity], max: 35, severity: warn }',
    ].join('\n');
    const text = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8')
      .replace('${LAKE_ROOT:-.demo/lake}', path.join(dir, 'lake'))
      .replace(/\nquality:\n(?: {2}#.*\n)* {2}checks:\n(?: {4}(?:- |#).*\n)+/, `\nquality:\n  checks:\n${checks}\n`);
    writeFileSync(config, text);
    const code = await executeStep(checkQualityStep, { argv: ['--config', config, '--ds', DS, '--run-id', 'html-1'], print: () => undefined, log: silentLogger, xcomDir: dir });
    expect(code).toBe(ExitCode.dataQuality); // the null transaction_id

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${path.join(dir, 'lake', qualityHtmlKey(DS))}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads nothing but itself', () => {
    expect(requests).toEqual([`file://${path.join(dir, 'lake', qualityHtmlKey(DS))}`]);
  });

  it('shows the verdict, every check and the failing sample', async () => {
    expect(await page.locator('#status').textContent()).toBe('failed');
    expect(await page.locator('#checks tr.check').count()).toBe(3);
    expect(await page.locator('#checks tr.check.failed code').textContent()).toBe('fact_sales.not_null(transaction_id)');
    await page.locator('#checks tr.check.warned details summary').click();
    // Values are escaped, not markup: "TXN<36>" shows as text.
    expect(await page.locator('#checks tr.check.warned table.sample').innerText()).toContain('TXN<36>');
    expect(await page.locator('#steps tr.step td:first-child').allTextContents()).toEqual(['ingest-landing', 'standardize', 'mask', 'build-star-schema']);
  });

  it('draws one bar of rejects per run, as tall as its count, in a screenshot', async () => {
    const bars = page.locator('#rejects-chart rect.bar');
    expect(await bars.count()).toBe(DAYS);
    const rejected = (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rejected')))));
    expect(rejected).toEqual(Array.from({ length: DAYS }, (_, i) => rejectsOf(i)));
    const heights = await bars.evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().height));
    expect(heights.slice(0, 20).every((h) => h === 0)).toBe(true);
    expect(heights[29]! / heights[20]!).toBeCloseTo(10, 1); // 100 vs 10 rejected rows
    expect(await page.locator('#rejects-chart .failed-mark').count()).toBe(2); // day 25 and ds itself

    const shot = await page.locator('#rejects-chart svg').screenshot({ path: path.join(dir, 'rejects-chart.png') });
    const red = await countPixels(page, shot, REJECT_COLOUR);
    expect(red.matching).toBeGreaterThan(2000);
    // No rejects in the first 20 days: the left half of the plot has no red bar.
    expect(red.byColumnTenth.slice(0, 6).reduce((a, b) => a + b, 0)).toBeLessThan(red.byColumnTenth.slice(7).reduce((a, b) => a + b, 0) / 20);
  });

  it('draws one line per data step over the runs, in a screenshot', async () => {
    const series = page.locator('#rows-chart g.series');
    expect(await series.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(['ingest-landing', 'standardize', 'mask', 'build-star-schema']);
    expect(await page.locator('#rows-chart g.series[data-step="build-star-schema"] circle').count()).toBe(DAYS);
    const shot = await page.locator('#rows-chart svg').screenshot({ path: path.join(process.env.REPORT_SCREENSHOTS_DIR ?? dir, 'rows-chart.png') });
    for (const colour of SERIES_COLOURS.slice(0, 4)) expect((await countPixels(page, shot, colour, 30)).matching).toBeGreaterThan(200);
    // A full-page screenshot for people to look at, kept when REPORT_SCREENSHOTS_DIR is set.
    const full = await page.screenshot({ fullPage: true });
    if (process.env.REPORT_SCREENSHOTS_DIR) writeFileSync(path.join(process.env.REPORT_SCREENSHOTS_DIR, 'quality-report.png'), full);
    expect(full.length).toBeGreaterThan(10_000);
  });
});
