/**
 * The sample inventory API as its one command starts it (`node tasks/sample-api/dist/main.js`,
 * PORT=0 so it picks a free port; needs `npm run build` first), ingested by the ingest step:
 * bearer auth, page-number pagination, nested records flattened, then only the changed records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ExitCode } from '@salesflow/errors';
import { datasets } from '@salesflow/lake';
import { runIngest } from '../../tasks/ingest/src';
import { configWith, readRaw, stepContext, tempLake } from '../../tasks/ingest/src/ingest-fixture.test-util';

const ROOT = path.resolve(__dirname, '../..');
let api: ChildProcess;
let url: string;

beforeAll(async () => {
  api = spawn(process.execPath, [path.join(ROOT, 'tasks/sample-api/dist/main.js')], { env: { ...process.env, PORT: '0', SAMPLE_API_TOKEN: 'tok-123', SAMPLE_API_PRODUCTS: '50' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: api.stdout! }).once('line', resolve);
    api.once('exit', (code) => reject(new Error(`sample-api exited with ${code}`)));
  });
  url = (JSON.parse(first) as { url: string }).url;
});
afterAll(() => {
  api.kill('SIGTERM');
});

const source = (token: string) => ({
  name: 'inventory',
  kind: 'api',
  base_url: url,
  auth: { type: 'bearer', token },
  entities: [
    {
      name: 'product_stock',
      path: '/v1/stock',
      records_path: 'data.items',
      pagination: { type: 'page', page_size: 40 },
      incremental: { param: 'updated_since', cursor_field: 'updated_at', primary_key: ['sku', 'warehouse_code'], lookback: 60 },
    },
  ],
});

it('lands every stock record, flattened, then only the records changed since', async () => {
  const config = configWith([source('tok-123')]);
  const lake = tempLake();
  const dataset = datasets.raw('api', 'inventory', 'product_stock');
  const first = await runIngest(stepContext(config, lake, 'inventory', '2026-11-25'));
  expect(first.rowsOut).toBe(150);
  const { rows, manifest } = await readRaw(lake, dataset, '2026-11-25');
  expect(manifest.schema.map((c) => c.name)).toEqual(['sku', 'warehouse_code', 'warehouse_region', 'quantity_on_hand', 'quantity_reserved', 'reorder_point', 'tags', 'updated_at']);
  expect(new Set(rows.map((r) => `${r.sku}/${r.warehouse_code}`)).size).toBe(150);

  const touched = await fetch(`${url}/v1/stock/_touch?count=4`, { method: 'POST', headers: { authorization: 'Bearer tok-123' } });
  expect(touched.status).toBe(200);
  const second = await runIngest(stepContext(config, lake, 'inventory', '2026-11-26'));
  expect(second.rowsOut).toBe(4);
  expect((second.metrics?.watermarks as Record<string, { after: string }>).product_stock.after > (first.metrics?.watermarks as Record<string, { after: string }>).product_stock.after).toBe(true);
});

it('refuses a wrong token with exit 2 and the URL', async () => {
  const config = configWith([source('wrong')]);
  await expect(runIngest(stepContext(config, tempLake(), 'inventory', '2026-11-25'))).rejects.toMatchObject({
    exitCode: ExitCode.usage,
    message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/stock\?page=1&page_size=40 returned 401/),
  });
});
