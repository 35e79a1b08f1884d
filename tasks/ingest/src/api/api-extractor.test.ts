/**
 * The API extractor against local HTTP servers of ours (port 0), one per test, standing in for
 * third-party APIs: every auth and pagination style, throttling, failures and timeouts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchToObjects } from '@salesflow/batches';
import { apiSourceSchema, type ApiSourceConfig } from '@salesflow/config';
import { ExitCode } from '@salesflow/errors';
import { datasets } from '@salesflow/lake';
import { configWith, readRaw, stepContext, tempLake } from '../ingest-fixture.test-util';
import { runIngest } from '../ingest-step';
import { ApiExtractor } from './api-extractor';
import { backoffDelay, RateLimiter } from './api-client';

type Handler = (req: http.IncomingMessage, url: URL, res: http.ServerResponse, body: string) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Starts a server on port 0; returns its base URL and the requests it saw. */
async function serve(handler: Handler): Promise<{ base: string; requests: URL[]; authHeaders: (string | undefined)[] }> {
  const requests: URL[] = [];
  const authHeaders: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://localhost');
      requests.push(url);
      authHeaders.push(req.headers.authorization ?? (req.headers['x-api-key'] as string | undefined));
      handler(req, url, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, authHeaders };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `P${i + 1}`, qty: i, warehouse: { id: 7, geo: { lat: 1.5 } }, tags: ['a', i] }));

function source(base: string, extra: Record<string, unknown>, entity: Record<string, unknown>): ApiSourceConfig {
  return apiSourceSchema.parse({ name: 'inv', kind: 'api', base_url: base, backoff_ms: 10, entities: [{ name: 'stock', path: '/v1/stock', ...entity }], ...extra });
}

async function extractAll(src: ApiSourceConfig) {
  const x = await new ApiExtractor(src, 'sources.1').extract(src.entities[0]!, { batchSize: 64 });
  const rows: Record<string, unknown>[] = [];
  for await (const b of x.batches) rows.push(...batchToObjects(b));
  return { rows, columns: x.schema.fields.map((f) => f.name), inputs: x.inputs };
}

describe('ApiExtractor pagination and auth', () => {
  it('bearer token, page numbers, a records path, nested objects flattened to the configured depth', async () => {
    const all = items(250);
    const api = await serve((req, url, res) => {
      if (req.headers.authorization !== 'Bearer s3cret') return json(res, 401, { error: 'no' });
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('page_size'));
      json(res, 200, { data: { items: all.slice((page - 1) * size, page * size) } });
    });
    const { rows, columns } = await extractAll(source(api.base, { auth: { type: 'bearer', token: 's3cret' } }, { records_path: 'data.items', pagination: { type: 'page', page_size: 100 } }));
    expect(api.requests.map((u) => u.searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(rows).toHaveLength(250);
    expect(columns).toEqual(['sku', 'qty', 'warehouse_id', 'warehouse_geo', 'tags']);
    expect(rows[249]).toEqual({ sku: 'P250', qty: '249', warehouse_id: '7', warehouse_geo: '{"lat":1.5}', tags: '["a",249]' });
  });

  it('API key in a header, offset and limit', async () => {
    const all = items(5);
    const api = await serve((req, url, res) => {
      if (req.headers['x-api-key'] !== 'k1') return json(res, 403, {});
      const offset = Number(url.searchParams.get('offset'));
      json(res, 200, all.slice(offset, offset + Number(url.searchParams.get('limit'))));
    });
    const { rows } = await extractAll(source(api.base, { auth: { type: 'api_key', name: 'X-API-Key', value: 'k1' } }, { pagination: { type: 'offset', limit: 2 }, flatten_depth: 0 }));
    expect(api.requests.map((u) => u.searchParams.get('offset'))).toEqual(['0', '2', '4']);
    expect(rows.map((r) => r.sku)).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    expect(rows[0]!.warehouse).toBe('{"id":7,"geo":{"lat":1.5}}');
  });

  it('API key in the query, a cursor from the body', async () => {
    const all = items(5);
    const api = await serve((_req, url, res) => {
      if (url.searchParams.get('api_key') !== 'qk') return json(res, 401, {});
      const at = Number(url.searchParams.get('cursor') ?? 0);
      json(res, 200, { results: all.slice(at, at + 2), meta: { next: at + 2 < all.length ? String(at + 2) : null } });
    });
    const { rows } = await extractAll(source(api.base, { auth: { type: 'api_key', name: 'api_key', in: 'query', value: 'qk' } }, { records_path: 'results', pagination: { type: 'cursor', cursor_path: 'meta.next' } }));
    expect(rows.map((r) => r.sku)).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    expect(api.requests.map((u) => u.searchParams.get('cursor'))).toEqual([null, '2', '4']);
  });

  it('basic auth, next link in the body', async () => {
    const api = await serve((req, url, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('ann:pw').toString('base64')}`) return json(res, 401, {});
      const p = Number(url.searchParams.get('p') ?? 1);
      json(res, 200, { items: items(6).slice((p - 1) * 3, p * 3), links: { next: p < 2 ? `/v1/stock?p=${p + 1}` : null } });
    });
    const { rows } = await extractAll(source(api.base, { auth: { type: 'basic', username: 'ann', password: 'pw' } }, { records_path: 'items', pagination: { type: 'next_link', next_path: 'links.next' } }));
    expect(rows.map((r) => r.sku)).toEqual(['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
  });

  it('OAuth2 client credentials with a Link header; a revoked token is fetched again', async () => {
    let issued = 0;
    const api = await serve((req, url, res, body) => {
      if (url.pathname === '/token') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_secret') !== 'cs') return json(res, 401, {});
        issued++;
        return json(res, 200, { access_token: `tok${issued}`, expires_in: 3600, token_type: 'Bearer' });
      }
      const p = Number(url.searchParams.get('p') ?? 1);
      // The first token is revoked after the first page.
      const valid = p === 1 ? req.headers.authorization?.startsWith('Bearer tok') : req.headers.authorization === 'Bearer tok2';
      if (!valid) return json(res, 401, {});
      const next = p < 3 ? { link: `<${'/v1/stock?p=' + (p + 1)}>; rel="next", </v1/stock?p=1>; rel="first"` } : {};
      json(res, 200, [{ sku: `P${p}` }], next);
    });
    const { rows } = await extractAll(
      source(api.base, { auth: { type: 'oauth2_client_credentials', token_url: `${api.base}/token`, client_id: 'ci', client_secret: 'cs' } }, { pagination: { type: 'next_link' } }),
    );
    expect(rows.map((r) => r.sku)).toEqual(['P1', 'P2', 'P3']);
    expect(issued).toBe(2);
  });
});

describe('ApiExtractor failures', () => {
  it('waits what Retry-After asks on a 429, then succeeds', async () => {
    let calls = 0;
    const api = await serve((_req, _url, res) => (++calls === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, [{ sku: 'A' }])));
    const started = Date.now();
    const { rows } = await extractAll(source(api.base, {}, {}));
    expect(rows).toEqual([{ sku: 'A' }]);
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    let calls = 0;
    const api = await serve((_req, _url, res) => (++calls <= 2 ? json(res, 500, {}) : json(res, 200, [{ sku: 'A' }])));
    const { rows } = await extractAll(source(api.base, { retries: 3 }, {}));
    expect(rows).toEqual([{ sku: 'A' }]);
    expect(calls).toBe(3);
  });

  it('gives up on a 503 after the configured retries with exit 1 (transient)', async () => {
    let calls = 0;
    const api = await serve((_req, _url, res) => {
      calls++;
      json(res, 503, {});
    });
    await expect(extractAll(source(api.base, { retries: 2 }, {}))).rejects.toMatchObject({ exitCode: ExitCode.failed, status: 503 });
    expect(calls).toBe(3);
  });

  it('times out a request that never answers, retries it, then fails naming the URL', async () => {
    let calls = 0;
    const api = await serve(() => {
      calls++; // never answers
    });
    const err = await extractAll(source(api.base, { timeout_ms: 150, retries: 1 }, {})).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: ExitCode.failed, message: expect.stringMatching(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/stock failed: ETIMEDOUT/) });
    expect(calls).toBe(2);
  });

  it('fails a 401 at once with exit 2, the URL without the API key, and what to fix', async () => {
    let calls = 0;
    const api = await serve((_req, _url, res) => {
      calls++;
      json(res, 401, {});
    });
    const err = (await extractAll(source(api.base, { auth: { type: 'api_key', name: 'key', in: 'query', value: 'TOPSECRET' } }, { params: { region: 'eu' } })).catch((e: unknown) => e)) as Error & { exitCode: number; fix: string };
    expect(calls).toBe(1);
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/stock\?region=eu returned 401/);
    expect(err.message + err.fix).not.toContain('TOPSECRET');
    expect(err.fix).toMatch(/credentials/);
  });

  it('keeps every digit of numbers, nested ones too', async () => {
    const api = await serve((_req, _url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"id": 12345678901234567891, "price": 1.50, "o": {"n": 9007199254740993, "deep": {"x": 0.10}}, "list": [1.0, 2]}]');
    });
    const { rows } = await extractAll(source(api.base, {}, {}));
    expect(rows).toEqual([{ id: '12345678901234567891', price: '1.50', o_n: '9007199254740993', o_deep: '{"x":0.10}', list: '[1.0,2]' }]);
  });

  it('fails on a body that is not JSON with exit 2, naming the URL', async () => {
    const api = await serve((_req, _url, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await expect(extractAll(source(api.base, {}, {}))).rejects.toMatchObject({ exitCode: ExitCode.usage, message: expect.stringMatching(/\/v1\/stock returned 200: the body is not JSON/) });
  });

  it('fails when the records path is not an array, naming it', async () => {
    const api = await serve((_req, _url, res) => json(res, 200, { data: { items: { sku: 1 } } }));
    await expect(extractAll(source(api.base, {}, { records_path: 'data.items' }))).rejects.toMatchObject({ exitCode: ExitCode.badInput, message: expect.stringContaining('"data.items" is not an array') });
  });
});

describe('API incremental loading through the ingest step', () => {
  it('sends the watermark minus lookback as updated_since and lands each change once', async () => {
    const records = [
      { sku: 'A', qty: 1, updated_at: '2026-11-24T10:00:00Z' },
      { sku: 'B', qty: 2, updated_at: '2026-11-24T11:00:00Z' },
    ];
    const api = await serve((_req, url, res) => {
      const since = url.searchParams.get('updated_since');
      json(res, 200, { items: records.filter((r) => !since || Date.parse(r.updated_at) >= Date.parse(since)) });
    });
    const src = { name: 'inv', kind: 'api', base_url: api.base, entities: [{ name: 'stock', path: '/v1/stock', records_path: 'items', incremental: { param: 'updated_since', cursor_field: 'updated_at', primary_key: ['sku'], lookback: 7200 } }] };
    const config = configWith([src]);
    const lake = tempLake();
    const first = await runIngest(stepContext(config, lake, 'inv', '2026-11-24'));
    expect(first.rowsOut).toBe(2);
    records.push({ sku: 'C', qty: 3, updated_at: '2026-11-24T10:30:00Z' }); // late, inside the lookback
    records[0] = { sku: 'A', qty: 9, updated_at: '2026-11-25T08:00:00Z' }; // changed
    const second = await runIngest(stepContext(config, lake, 'inv', '2026-11-25'));
    expect(api.requests[1]!.searchParams.get('updated_since')).toBe('2026-11-24T09:00:00.000Z');
    const { rows } = await readRaw(lake, datasets.raw('api', 'inv', 'stock'), '2026-11-25');
    expect(rows.map((r) => [r.sku, r.qty]).sort()).toEqual([
      ['A', '9'],
      ['C', '3'],
    ]);
    expect(second).toMatchObject({ rowsOut: 2, rowsDropped: 1, metrics: expect.objectContaining({ watermarks: { stock: { before: '2026-11-24T11:00:00.000Z', after: '2026-11-25T08:00:00.000Z' } } }) });
  });
});

describe('request pacing', () => {
  it('spaces requests to the rate limit', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(4, () => now);
    const realSetTimeout = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      waits.push(ms);
      now += ms;
      return realSetTimeout(fn, 0);
    }) as never);
    for (let i = 0; i < 4; i++) await limiter.wait();
    jest.restoreAllMocks();
    expect(waits).toEqual([250, 250, 250]);
  });

  it('backs off exponentially with jitter', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, 100, () => 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 100, () => 1))).toEqual([100, 200, 400]);
  });
});
