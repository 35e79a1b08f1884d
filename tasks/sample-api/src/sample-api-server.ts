import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateStock, sortStock, type StockRecord } from './stock-records';

export interface SampleApiOptions {
  /** The bearer token every /v1 request must carry. */
  readonly token: string;
  /** Number of products (the generator's default catalogue has 200). */
  readonly products?: number;
  /** The time the stock is as of; default now. */
  readonly asOf?: Date;
  /** Largest page_size a client may ask for. */
  readonly maxPageSize?: number;
}

export interface SampleApi {
  readonly url: string;
  readonly server: http.Server;
  /** Changes the stock of `count` records now (updated_at = at), as a day of sales and deliveries would. */
  touch(count: number, at?: Date): void;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The sample inventory REST API: product stock per warehouse behind bearer auth.
 *
 *   GET /health                                  no auth: {"status":"ok"}
 *   GET /v1/stock?page=1&page_size=100&updated_since=ISO
 *       {"data":{"items":[...]},"meta":{"page","page_size","total","total_pages"}} plus a
 *       Link header (rel="next") while there are more pages; records ordered by updated_at.
 *   POST /v1/stock/_touch?count=N                changes N records now (for incremental demos)
 *
 * A wrong or missing token gets 401, a bad parameter 400.
 */
export async function startSampleApi(opts: SampleApiOptions, port = 0, host = '127.0.0.1'): Promise<SampleApi> {
  let stock = generateStock(opts.products ?? 200, opts.asOf ?? new Date());
  const maxPageSize = opts.maxPageSize ?? 1000;
  let touches = 0;
  const touch = (count: number, at = new Date()) => {
    const changed = new Set<number>();
    for (let i = 0; i < count && changed.size < stock.length; i++) changed.add((touches * 7919 + i * 104_729) % stock.length);
    touches++;
    stock = sortStock(
      stock.map((r, i): StockRecord => (changed.has(i) ? { ...r, quantity: { ...r.quantity, on_hand: Math.max(0, r.quantity.on_hand - 1 - (i % 5)) }, updated_at: at.toISOString() } : r)),
    );
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice(7), opts.token)) {
      return send(res, 401, { error: 'unauthorized', message: 'send Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer realm="inventory"' });
    }
    if (url.pathname === '/v1/stock/_touch' && req.method === 'POST') {
      const count = Number(url.searchParams.get('count') ?? 10);
      touch(Number.isInteger(count) && count > 0 ? count : 10);
      return send(res, 200, { touched: count });
    }
    if (url.pathname !== '/v1/stock' || req.method !== 'GET') return send(res, 404, { error: 'not_found' });
    const page = Number(url.searchParams.get('page') ?? 1);
    const size = Number(url.searchParams.get('page_size') ?? 100);
    const since = url.searchParams.get('updated_since');
    const sinceMs = since ? Date.parse(since) : undefined;
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > maxPageSize || Number.isNaN(sinceMs)) {
      return send(res, 400, { error: 'bad_request', message: `page >= 1, 1 <= page_size <= ${maxPageSize}, updated_since ISO-8601` });
    }
    const matching = sinceMs === undefined ? stock : stock.filter((r) => Date.parse(r.updated_at) >= sinceMs);
    const items = matching.slice((page - 1) * size, page * size);
    const totalPages = Math.ceil(matching.length / size);
    const headers: Record<string, string> = {};
    if (page < totalPages) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    send(res, 200, { data: { items }, meta: { page, page_size: size, total: matching.length, total_pages: totalPages } }, headers);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    touch,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
