import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { envWithFiles, readConfig } from '@salesflow/config';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import { runDetokenize, runForget, runMask } from './index';

const DS = '2026-11-26';

/**
 * The demo config with every secret required from the environment (no defaults) and a
 * PostgreSQL warehouse with a password, customers only.
 */
function strictConfig(): string {
  const demo = readFileSync(path.resolve(__dirname, '../../../config/demo_config.yaml'), 'utf8');
  const sqlite = 'warehouse:\n  client: sqlite\n  sqlite:\n    filename: ${WAREHOUSE_SQLITE:-.demo/warehouse.sqlite}\n';
  for (const s of [sqlite, '${MASK_HMAC_KEY:-demo-only-key-not-secret-0123456789}', '${MASK_TOKENIZE_KEY:-demo-only-tokenize-key-not-secret-42}', '${VAULT_KEY:-cd9eb1b644b04dbfa6be54cdfba46b18893942e409d248118e170d255c1856ac}'])
    if (!demo.includes(s)) throw new Error(`config/demo_config.yaml changed shape: ${s}`);
  return demo
    .replace(sqlite, 'warehouse:\n  client: postgres\n  connection: { host: wh.internal, user: etl, password: "${WAREHOUSE_PASSWORD}", database: dw }\n')
    .replace('${MASK_HMAC_KEY:-demo-only-key-not-secret-0123456789}', '${MASK_HMAC_KEY}')
    .replace('${MASK_TOKENIZE_KEY:-demo-only-tokenize-key-not-secret-42}', '${MASK_TOKENIZE_KEY}')
    .replace('${VAULT_KEY:-cd9eb1b644b04dbfa6be54cdfba46b18893942e409d248118e170d255c1856ac}', '${VAULT_KEY}');
}

describe('each step resolves only the secrets its own work needs', () => {
  let root: string;
  let file: string;
  const MASK_ENV = { MASK_HMAC_KEY: 'mask-only-hmac-key-0123456789', MASK_TOKENIZE_KEY: 'mask-only-tokenize-key-0123456789', VAULT_KEY: 'ef7ae64e0830cfd924a79122bcd1ed0b0ec22f813dec3fd2fcc30f1c1331cbbd' };
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'least-privilege-'));
    file = path.join(root, 'config.yaml');
    writeFileSync(file, strictConfig());
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('masks without the warehouse password, detokenizes with the vault key alone, and forgets with no key', async () => {
    const lake = new Lake(new LocalStorage(path.join(root, 'lake')));
    const asked = new Set<string>();
    const lookup = envWithFiles({ LAKE_ROOT: path.join(root, 'lake'), ...MASK_ENV });
    const full = readConfig(file, (n) => (asked.add(n), lookup(n))).config;
    const config = { ...full, standardize: { ...full.standardize, entities: { customers: full.standardize.entities.customers! } }, mask: { ...full.mask, entities: { customers: full.mask.entities.customers! } } };
    const declared: ColumnDef[] = Object.keys(config.standardize.entities.customers!.columns).map((name) => ({ name, kind: 'string' }));
    const b = new BatchBuilder(declared);
    b.appendRow(declared.map((c) => ({ customer_id: 'C1', first_name: 'Ottilie', last_name: 'Brandt', email: 'o.brandt@example.com', phone: '212-555-0199' })[c.name] ?? 'x'));
    const w = lake.openPartition({ dataset: datasets.processed('customers'), ds: DS, step: 'standardize', runId: 'std' });
    await w.write(b.finish());
    await w.commit({});
    await runMask({ step: 'mask', ds: DS, runId: 'm', config, lake, log: createLogger({ write: () => undefined }) });
    expect(asked.has('WAREHOUSE_PASSWORD')).toBe(false);

    const token = batchToObjects((await lake.readPartition(datasets.masked('customers'), DS, 'mask').next()).value!)[0]!.first_name as string;
    const out: string[] = [];
    const logs: string[] = [];
    const log = createLogger({ format: 'json', write: (l) => logs.push(l) });
    // Only the lake and the vault key: no hmac key, no tokenize key, no warehouse password.
    const code = await runDetokenize({ argv: ['--config', file, '--entity', 'customers', '--column', 'first_name', '--token', token], env: { LAKE_ROOT: path.join(root, 'lake'), VAULT_KEY: MASK_ENV.VAULT_KEY }, print: (l) => out.push(l), log });
    expect({ code, logs }).toEqual({ code: 0, logs: expect.any(Array) });
    expect(JSON.parse(out[0]!)).toEqual({ token, value: 'Ottilie' });
    // Without the vault key it says which variable it needs, and nothing else.
    logs.length = 0;
    expect(await runDetokenize({ argv: ['--config', file, '--entity', 'customers', '--column', 'first_name', '--token', token], env: { LAKE_ROOT: path.join(root, 'lake') }, print: () => undefined, log })).toBe(2);
    expect(logs.join('\n')).toMatch(/mask\.vault\.key: environment variable VAULT_KEY is not set, and this step reads it/);
    // Erasure deletes entries and opens none: it needs no key at all.
    expect(await runForget({ argv: ['--config', file, '--entity', 'customers', '--key', 'customer_id=C1', '--operator', 'dpo'], env: { LAKE_ROOT: path.join(root, 'lake') }, print: () => undefined, log })).toBe(0);
  });
});
