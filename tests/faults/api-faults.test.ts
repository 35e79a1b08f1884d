/**
 * A misbehaving REST API. Starts two HTTP servers of ours on 127.0.0.1 (port 0): the sample
 * inventory API (tasks/sample-api, bearer token, page-number pagination, fixed stock as of D) and,
 * in front of it, a fault server that passes requests through or answers a planned fault for one
 * page: 429 with Retry-After: 1, a burst of 500s shorter or longer than the retries, an answer
 * slower than timeout_ms, a JSON body cut short, the connection cut mid-body, and page 2 served
 * with page 1's records. The ingest step reads it as a program (tasks/ingest/dist/main.js).
 *
 * Each case checks that the step either completes with the rows of a clean run (no duplicates,
 * rows in = out + rejected + dropped), or fails with exit 1 (retryable) after a bounded number of
 * requests, naming the URL without the token, leaving the partition a reader sees as it was (none
 * from an empty lake, the previous complete one otherwise); a rerun then equals a clean run. The
 * canary token never appears in stdout (XCom), stderr (logs), the run report or any lake object.
 * The long burst is run with the token in the query string, where a careless message would show it.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { datasets, openStorage } from '@salesflow/lake';
import { startSampleApi, type SampleApi } from '../../tasks/sample-api/src';
import { recordFigures } from './kit/fault-summary';
import { compareDigests, digestLake, type PartitionDigest } from './kit/lake-digest';
import { lakeTextObjects } from './kit/lake-strings';
import { baseEnv, DS, ROOT, startStep, summaryOf, type StepRun } from './kit/run-step';

const TOKEN = `canary-api-token-${randomBytes(12).toString('hex')}`;
const RETRIES = 3;
const TIMEOUT_MS = 800;
const PAGE_SIZE = 50;
const work = mkdtempSync(path.join(os.tmpdir(), 'api-faults-'));

type Action = 'throttle' | 'fail' | 'slow' | 'truncate' | 'cut' | 'repeat';
/** A planned fault: the first `times` requests of `entity` (default the full one) for `page` get `action` instead of the API's answer. */
interface Fault {
  readonly entity?: 'full' | 'inc';
  readonly page: number;
  times: number;
  readonly action: Action;
  hits: number;
}

interface Seen {
  readonly page: number;
  readonly at: number;
  /** The query string as the step sent it, token included when it goes there. */
  readonly query: string;
  readonly view: string;
}

let api: SampleApi;
let front: http.Server;
let base = '';
let faults: Fault[] = [];
let seen: Seen[] = [];

/** The sample API's answer to a path, whole, with the auth the fault server was given. */
function upstream(pathAndQuery: string, authorization: string | undefined): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const up = http.get(new URL(pathAndQuery, api.url), { headers: authorization ? { authorization } : {} }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    up.on('error', reject);
  });
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url!, 'http://localhost');
  const query = url.search;
  // The query-string variant of the source sends the token as ?access_token=; the sample API wants a bearer header.
  const queryToken = url.searchParams.get('access_token');
  url.searchParams.delete('access_token');
  const authorization = queryToken ? `Bearer ${queryToken}` : req.headers.authorization;
  const page = Number(url.searchParams.get('page') ?? 1);
  seen.push({ page, at: Date.now(), query, view: url.searchParams.get('view') ?? '' });
  // Each entity sends its name as ?view= (the sample API ignores it), so a fault can aim at one.
  const view = url.searchParams.get('view');
  const fault = faults.find((f) => (f.entity ?? 'full') === view && f.page === page && f.times > 0);
  if (fault) {
    fault.times--;
    fault.hits++;
  }
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  switch (fault?.action) {
    case 'throttle':
      return json(429, { error: 'too_many_requests' }, { 'retry-after': '1' });
    case 'fail':
      return json(500, { error: 'internal' });
    case 'slow': {
      // Answers, but long after the client's timeout.
      await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));
      if (!res.destroyed) json(503, { error: 'late' });
      return;
    }
    case 'truncate': {
      // A whole HTTP message whose JSON stops halfway (a proxy that gave up, a server out of memory).
      const r = await upstream(url.pathname + url.search, authorization);
      const half = r.body.subarray(0, Math.floor(r.body.length / 2));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(half.length) }).end(half);
      return;
    }
    case 'cut': {
      // Content-Length promises the whole body; the connection drops halfway through it.
      const r = await upstream(url.pathname + url.search, authorization);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(r.body.length) });
      res.write(r.body.subarray(0, Math.floor(r.body.length / 2)), () => res.socket?.destroy());
      return;
    }
    case 'repeat': {
      // Page 2 answered with page 1's records (a stale cache, an API ignoring the page parameter for a moment).
      url.searchParams.set('page', String(page - 1));
      const r = await upstream(url.pathname + url.search, authorization);
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
      return;
    }
  }
  const r = await upstream(url.pathname + url.search, authorization);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (r.headers.link) headers.link = String(r.headers.link);
  res.writeHead(r.status, headers).end(r.body);
}

/** The demo config with the API source "inventory" first; the token comes from INVENTORY_API_TOKEN. */
function writeConfig(name: string, auth: Record<string, unknown>): string {
  const demo = readFileSync(path.join(ROOT, 'config/demo_config.yaml'), 'utf8');
  const anchor = 'sources:\n  - name: landing';
  if (!demo.includes(anchor)) throw new Error('config/demo_config.yaml changed shape: update writeConfig()');
  const source = {
    name: 'inventory',
    kind: 'api',
    base_url: '${INVENTORY_API_URL}',
    auth,
    timeout_ms: TIMEOUT_MS,
    retries: RETRIES,
    backoff_ms: 100,
    max_retry_after_s: 5,
    entities: [
      { name: 'product_stock', path: '/v1/stock', params: { view: 'full' }, records_path: 'data.items', pagination: { type: 'page', page_size: PAGE_SIZE }, flatten_depth: 1 },
      {
        name: 'product_stock_inc',
        path: '/v1/stock',
        params: { view: 'inc' },
        records_path: 'data.items',
        pagination: { type: 'page', page_size: PAGE_SIZE },
        flatten_depth: 1,
        incremental: { param: 'updated_since', cursor_field: 'updated_at', primary_key: ['sku', 'warehouse_code'], lookback: 3600 },
      },
    ],
  };
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, demo.replace(anchor, `sources:\n  - ${JSON.stringify(source)}\n  - name: landing`));
  return file;
}

let bearerConfig: string;
let queryConfig: string;
const cleanDir = path.join(work, 'clean');
let clean: PartitionDigest[];
const lakeOf = (dir: string) => path.join(dir, 'lake');
const rowsOf = (d: readonly PartitionDigest[]) => d.reduce((n, x) => n + x.rows, 0);
/** The incremental entity's watermark file of the run's ds. */
const STATE = datasets.stateDayKey('inventory', 'product_stock_inc', DS);
const stateAt = (dir: string) => (existsSync(path.join(lakeOf(dir), STATE)) ? readFileSync(path.join(lakeOf(dir), STATE), 'utf8') : undefined);
const digestAt = async (dir: string) => (existsSync(lakeOf(dir)) ? digestLake(openStorage(lakeOf(dir))) : []);
const ingest = (config: string, dir: string): Promise<StepRun> =>
  startStep('ingest', ['--source', 'inventory'], { config, env: baseEnv({ LAKE_ROOT: lakeOf(dir), INVENTORY_API_URL: base, INVENTORY_API_TOKEN: TOKEN, LOG_LEVEL: 'debug' }) });

/** Where the canary token shows up in a run's outputs: stdout, stderr, and every non-Parquet lake object. */
async function leaksOf(run: StepRun, dir: string): Promise<string[]> {
  const places = [
    { place: 'stdout', text: run.stdout },
    { place: 'stderr', text: run.stderr },
  ];
  if (existsSync(lakeOf(dir))) for await (const o of lakeTextObjects(openStorage(lakeOf(dir)))) places.push({ place: o.key, text: o.text });
  return places.filter((p) => p.text.includes(TOKEN)).map((p) => p.place);
}

const figures = { cases: 0, faults: 0, completed: 0, failedCleanly: 0, partial: 0, rowsLost: 0, leaks: 0, requests: 0 };

beforeAll(async () => {
  api = await startSampleApi({ token: TOKEN, products: 100, asOf: new Date(`${DS}T00:00:00Z`) });
  front = http.createServer((req, res) => {
    answer(req, res).catch((e: Error) => {
      if (!res.headersSent) res.writeHead(502).end(String(e.message));
      else res.destroy();
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  bearerConfig = writeConfig('bearer', { type: 'bearer', token: '${INVENTORY_API_TOKEN}' });
  queryConfig = writeConfig('query', { type: 'api_key', name: 'access_token', in: 'query', value: '${INVENTORY_API_TOKEN}' });
  const r = await ingest(bearerConfig, cleanDir);
  if (r.status !== 0) throw new Error(`clean run exited ${r.status}:\n${r.stderr.slice(-2000)}`);
  expect(await leaksOf(r, cleanDir)).toEqual([]);
  clean = await digestAt(cleanDir);
  // Several pages, so a fault on page 2 or 3 falls in the middle of the read.
  expect(clean.map((d) => [d.dataset, d.rows])).toEqual([
    ['raw/api/inventory/product_stock', expect.any(Number)],
    ['raw/api/inventory/product_stock_inc', expect.any(Number)],
  ]);
  expect(clean[0]!.rows).toBeGreaterThan(3 * PAGE_SIZE);
  expect(clean[1]!.rows).toBe(clean[0]!.rows);
  expect(clean.flatMap((d) => d.problems)).toEqual([]);
  expect(existsSync(path.join(lakeOf(cleanDir), STATE))).toBe(true);
}, 60_000);

afterAll(async () => {
  recordFigures({
    suite: 'api source faults',
    cases: figures.cases,
    faults_injected: figures.faults,
    runs_completed: figures.completed,
    runs_failed_cleanly: figures.failedCleanly,
    partial_partitions_seen: figures.partial,
    rows_lost: figures.rowsLost,
    leaks: figures.leaks,
    detail: { requests: figures.requests, retries: RETRIES, timeout_ms: TIMEOUT_MS },
  });
  await new Promise((r) => front?.close(r));
  await api?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the step with these faults planned; returns the run, the lake it left, and what the server saw. */
async function runWith(name: string, planned: Omit<Fault, 'hits'>[], opts: { config?: string; fromClean?: boolean } = {}) {
  const dir = path.join(work, name.replace(/\W+/g, '-'));
  rmSync(dir, { recursive: true, force: true });
  if (opts.fromClean) cpSync(cleanDir, dir, { recursive: true });
  faults = planned.map((f) => ({ ...f, hits: 0 }));
  seen = [];
  const run = await ingest(opts.config ?? bearerConfig, dir);
  const hits = faults.reduce((n, f) => n + f.hits, 0);
  figures.cases++;
  figures.faults += hits;
  figures.requests += seen.length;
  const leaks = await leaksOf(run, dir);
  figures.leaks += leaks.length;
  expect(leaks).toEqual([]);
  const digest = await digestAt(dir);
  const problems = digest.flatMap((d) => d.problems);
  figures.partial += digest.filter((d) => d.problems.length > 0).length;
  expect(problems).toEqual([]);
  return { dir, run, hits, digest, requests: [...seen] };
}

/** A run that must complete: exit 0, every planned fault hit, the clean run's rows exactly, and the row balance. */
async function expectCompletes(name: string, planned: Omit<Fault, 'hits'>[]) {
  const r = await runWith(name, planned);
  if (r.run.status !== 0) throw new Error(`${name}: exited ${r.run.status}\n${r.run.stderr.slice(-2000)}`);
  figures.completed++;
  expect(r.hits).toBe(planned.reduce((n, f) => n + f.times, 0));
  figures.rowsLost += Math.max(0, rowsOf(clean) - rowsOf(r.digest));
  expect(compareDigests(clean, r.digest)).toEqual([]);
  const s = summaryOf(r.run);
  expect(s.rows_in).toBe(s.rows_out + s.rows_rejected + s.rows_dropped);
  expect(s.rows_out).toBe(rowsOf(clean));
  return r;
}

/** A run that must fail with exit 1 and leave what a reader sees as it was; then a rerun equals a clean run. */
async function expectFailsCleanly(r: Awaited<ReturnType<typeof runWith>>, fromClean: boolean, error: RegExp) {
  const s = summaryOf(r.run);
  expect({ status: r.run.status, summary: s.status, error: s.error }).toEqual({ status: 1, summary: 'failed', error: expect.stringMatching(error) });
  const unexpected = compareDigests(fromClean ? clean : [], r.digest);
  figures.partial += unexpected.length;
  expect(unexpected).toEqual([]);
  figures.failedCleanly++;
  faults = [];
  const rerun = await ingest(bearerConfig, r.dir);
  if (rerun.status !== 0) throw new Error(`rerun exited ${rerun.status}\n${rerun.stderr.slice(-2000)}`);
  figures.completed++;
  const after = await digestAt(r.dir);
  figures.rowsLost += Math.max(0, rowsOf(clean) - rowsOf(after));
  expect(compareDigests(clean, after)).toEqual([]);
}

it('waits what a 429 Retry-After asks, then completes with the clean rows', async () => {
  const r = await expectCompletes('throttled', [{ page: 2, times: 1, action: 'throttle' }]);
  const page2 = r.requests.filter((q) => q.view === 'full' && q.page === 2);
  expect(page2).toHaveLength(2);
  expect(page2[1]!.at - page2[0]!.at).toBeGreaterThanOrEqual(950);
});

it('rides out a burst of 500s shorter than its retries', async () => {
  const r = await expectCompletes('short-burst', [{ page: 2, times: RETRIES - 1, action: 'fail' }]);
  expect(r.requests.filter((q) => q.view === 'full' && q.page === 2)).toHaveLength(RETRIES);
});

it('fails with exit 1 after bounded retries on a burst longer than them, naming the URL without the token', async () => {
  const r = await runWith('long-burst', [{ entity: 'inc', page: 3, times: 1000, action: 'fail' }], { config: queryConfig, fromClean: true });
  // One request and its retries, then the run stops: bounded, and no page after 3 is asked for.
  const inc = r.requests.filter((q) => q.view === 'inc');
  expect(inc.filter((q) => q.page === 3)).toHaveLength(RETRIES + 1);
  expect(Math.max(...inc.map((q) => q.page))).toBe(3);
  expect(r.requests[0]!.query).toContain('access_token=');
  // The incremental entity's watermark is as it was: byte for byte the clean run's file.
  expect(stateAt(r.dir)).toBe(stateAt(cleanDir));
  await expectFailsCleanly(r, true, new RegExp(`^GET ${base.replace(/\./g, '\\.')}/v1/stock\\?view=inc&(updated_since=\\S+&)?page=3&page_size=${PAGE_SIZE} returned 500: .*Fix: the API kept failing after ${RETRIES} retries`));
});

it('retries an answer slower than timeout_ms, then completes with the clean rows', async () => {
  const r = await expectCompletes('slow', [{ page: 2, times: 1, action: 'slow' }]);
  expect(r.requests.filter((q) => q.view === 'full' && q.page === 2)).toHaveLength(2);
});

it('asks again for a JSON body cut short, then completes with the clean rows', async () => {
  const r = await expectCompletes('truncated-json', [{ page: 2, times: 1, action: 'truncate' }]);
  expect(r.requests.filter((q) => q.view === 'full' && q.page === 2)).toHaveLength(2);
});

it('asks again when the connection drops mid-body, then completes with the clean rows', async () => {
  const r = await expectCompletes('cut-mid-body', [{ page: 3, times: 1, action: 'cut' }]);
  expect(r.requests.filter((q) => q.view === 'full' && q.page === 3)).toHaveLength(2);
});

it('fails with exit 1 on a page served twice, landing no duplicate, and a rerun equals a clean run', async () => {
  const r = await runWith('repeated-page', [{ page: 2, times: 1, action: 'repeat' }]);
  expect(r.hits).toBe(1);
  // Stops at the repeat: page 3 is never asked for, and nothing lands from the first pages either.
  expect(Math.max(...r.requests.map((q) => q.page))).toBe(2);
  expect(r.digest).toEqual([]);
  await expectFailsCleanly(r, false, new RegExp(`/v1/stock\\?view=full&page=2&page_size=${PAGE_SIZE}: page 2 returned the same ${PAGE_SIZE} record\\(s\\) as page 1 \\(a pagination loop or a stale page\\).*Fix: nothing of entity product_stock was committed; retry the run`));
});
