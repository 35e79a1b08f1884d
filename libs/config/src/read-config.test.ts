import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigInvalidError } from '@salesflow/errors';
import { envWithFiles, interpolateEnv, readConfig, validateConfig } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const PROD = path.resolve(__dirname, '../../../config/pipeline_config.yaml');

function tempYaml(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const file = path.join(dir, 'c.yaml');
  writeFileSync(file, text);
  return file;
}

// Random keys: the config refuses weak ones (one repeated character, a repeated block, low entropy).
const HMAC_KEY = '3b54c251f9ba39932cb9c2274ac50030579858075a21a01c';
const TOKENIZE_KEY = '47b0e874d03d6cd1f971474916136a64eb2b6268caa3ada3';
const VAULT_KEY = 'ef7ae64e0830cfd924a79122bcd1ed0b0ec22f813dec3fd2fcc30f1c1331cbbd';
const env = (vars: Record<string, string>) => (name: string) => vars[name];

describe('interpolateEnv', () => {
  it('fills whole values, parts of strings and defaults', () => {
    const r = interpolateEnv({ a: '${A}', b: 'pre-${A}-${B:-dflt}', c: ['${C:-}'], d: 3 }, env({ A: 'x' }));
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({ a: 'x', b: 'pre-x-dflt', c: [undefined], d: 3 });
  });

  it('names the key that needs a missing variable', () => {
    const r = interpolateEnv({ warehouse: { connection: { password: '${WH_PASSWORD}' } } }, env({}));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^warehouse\.connection\.password: environment variable WH_PASSWORD is not set/);
  });
});

describe('readConfig', () => {
  it('accepts the demo config and gives typed, defaulted values', () => {
    const { config } = readConfig(DEMO, env({}));
    expect(config.lake.root).toBe('.demo/lake');
    expect(config.lake.retention_days).toEqual({ raw: 90, processed: 180, curated: 365, vault: 365 });
    expect(config.sources[0]!.entities.map((e) => e.name)).toEqual(['customers', 'products', 'locations', 'sales_transactions']);
    expect(config.sources[0]!.entities[0]!.csv.delimiter).toBe(',');
    expect(Object.isFrozen(config.lake)).toBe(true);
  });

  it('accepts the production config when its variables are set, and reports them as secrets', () => {
    const vars = { LAKE_BUCKET: 'my-lake', MASK_HMAC_KEY: HMAC_KEY, MASK_TOKENIZE_KEY: TOKENIZE_KEY, VAULT_KEY, WAREHOUSE_HOST: 'db', WAREHOUSE_USER: 'etl', WAREHOUSE_PASSWORD: 'pw-very-secret', LANDING_URI: 's3://landing/sales', INVENTORY_API_TOKEN: 'api-token-secret' };
    const seen: string[] = [];
    const { config } = readConfig(PROD, env(vars), { onSecret: (s) => seen.push(s) });
    expect(config.lake.root.startsWith('s3://')).toBe(true);
    expect(seen).toEqual([]); // nothing read yet
    expect([config.warehouse.connection!.password, config.mask.hmac_key, config.mask.tokenize_key, config.mask.vault!.key]).toEqual(['pw-very-secret', HMAC_KEY, TOKENIZE_KEY, VAULT_KEY]);
    const api = config.sources.find((s) => s.kind === 'api')!;
    expect(JSON.stringify(api)).toContain('api-token-secret');
    expect(seen).toEqual(expect.arrayContaining(['pw-very-secret', HMAC_KEY, TOKENIZE_KEY, VAULT_KEY, 'api-token-secret']));
    expect(readConfig(PROD, env(vars), { eagerSecrets: true }).secrets).toEqual(expect.arrayContaining(['pw-very-secret', HMAC_KEY, 'api-token-secret']));
  });

  it('refuses a YAML alias bomb with exit 2 naming the file', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');
    const file = tempYaml(bomb + '\n');
    const err = (() => {
      try {
        readConfig(file, () => undefined);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as ConfigInvalidError).exitCode).toBe(2);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/alias/i);
  });

  it('reports every problem at once with its dotted path', () => {
    const file = tempYaml(`
lake: { root: "", row_group_size: 10 }
sources:
  - { name: landing, kind: files, path: ./x, entities: [{ name: customers, pattern: "*.csv", format: xls }] }
  - { name: "bad name", kind: ftp }
standardize: { entities: {} }
mask: { hmac_key: short, entities: {} }
star_schema: { dimensions: {}, fact: { source: sales, grain: [id], date_column: ts, measures: [x], lookups: [] } }
quality: { checks: [] }
warehouse: { client: oracle }
unexpected: 1
`);
    try {
      readConfig(file, env({}));
      throw new Error('expected ConfigInvalidError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigInvalidError);
      const problems = (e as ConfigInvalidError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^lake\.root: /),
          expect.stringMatching(/^lake\.row_group_size: /),
          expect.stringMatching(/^sources\.0\.entities\.0\.format: /),
          expect.stringMatching(/^sources\.1\.kind: /),
          expect.stringMatching(/^mask\.hmac_key: must be at least 16 characters/),
          expect.stringMatching(/^warehouse\.client: /),
          expect.stringMatching(/^\(root\): Unrecognized key: "unexpected"/),
        ]),
      );
      expect((e as ConfigInvalidError).exitCode).toBe(2);
    }
  });

  it('checks references between sections', () => {
    const { config } = readConfig(DEMO, env({}));
    const broken = JSON.parse(JSON.stringify(config));
    broken.standardize.entities.customers.source = 'nowhere';
    broken.star_schema.fact.lookups.push({ column: 'customer_id', dimension: 'dim_missing' });
    broken.quality.checks.push({ table: 'fact_x', check: 'unique', columns: ['a'] });
    const r = validateConfig(broken);
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^standardize\.entities\.customers\.source: no source named "nowhere"/),
        expect.stringMatching(/^star_schema\.fact\.lookups\.3\.dimension: no dimension "dim_missing"/),
        expect.stringMatching(/^quality\.checks\.\d+\.table: no curated table "fact_x"/),
      ]),
    );
  });

  it('names the config key of a missing environment variable, when a step reads it', () => {
    const file = tempYaml(require('node:fs').readFileSync(DEMO, 'utf8').replace('${MASK_HMAC_KEY:-demo-only-key-not-secret-0123456789}', '${MASK_HMAC_KEY}'));
    const { config } = readConfig(file, env({}));
    expect(config.lake.root).toBe('.demo/lake'); // every other step runs without it
    expect(() => config.mask.hmac_key).toThrow(/mask\.hmac_key: environment variable MASK_HMAC_KEY is not set, and this step reads it/);
    expect(() => readConfig(file, env({}), { eagerSecrets: true })).toThrow(/mask\.hmac_key: environment variable MASK_HMAC_KEY is not set/);
  });

  it.each([
    ['an all-zero vault key', 'VAULT_KEY', '0'.repeat(64), /mask\.vault\.key: is too weak to be a key: it is one byte repeated; make a random one with openssl rand -hex 32/],
    ['a vault key of ASCII text', 'VAULT_KEY', Buffer.from('demo-only-vault-key-not-secret!!').toString('hex'), /mask\.vault\.key: is too weak to be a key: its estimated entropy is 122 bits/],
    ['a low-entropy hmac key', 'MASK_HMAC_KEY', 'password123password123', /mask\.hmac_key: is too weak to be a key: it repeats a block of 11 bytes/],
    ['the example file\'s tokenize key', 'MASK_TOKENIZE_KEY', 'change-me-tokenize-key-at-least-32-characters', /mask\.tokenize_key: is too weak to be a key: it is the placeholder/],
  ])('refuses %s when the step reads it (exit 2), without printing it', (_, name, value, message) => {
    const vars: Record<string, string> = { LAKE_BUCKET: 'b', LANDING_URI: 's3://l/x', WAREHOUSE_HOST: 'h', WAREHOUSE_USER: 'u', MASK_HMAC_KEY: HMAC_KEY, MASK_TOKENIZE_KEY: TOKENIZE_KEY, VAULT_KEY, [name]: value };
    const { config } = readConfig(PROD, (n) => vars[n]);
    const read = { VAULT_KEY: () => config.mask.vault!.key, MASK_HMAC_KEY: () => config.mask.hmac_key, MASK_TOKENIZE_KEY: () => config.mask.tokenize_key }[name]!;
    const error = catchOf(read) as ConfigInvalidError;
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(value);
  });

  it('resolves each secret only when read, checks it then, and never asks for the others', () => {
    const asked: string[] = [];
    const vars: Record<string, string> = { LAKE_BUCKET: 'b', VAULT_KEY, LANDING_URI: 's3://l/x', WAREHOUSE_HOST: 'h', WAREHOUSE_USER: 'u', MASK_HMAC_KEY: 'short' };
    const { config } = readConfig(PROD, (n) => (asked.push(n), vars[n]));
    for (const n of ['MASK_HMAC_KEY', 'MASK_TOKENIZE_KEY', 'VAULT_KEY', 'WAREHOUSE_PASSWORD', 'SALES_DB_PASSWORD', 'INVENTORY_API_TOKEN']) expect(asked).not.toContain(n);
    // The detokenize command reads the vault key alone.
    expect(config.mask.vault!.key).toBe(VAULT_KEY);
    expect(asked.filter((n) => n === 'VAULT_KEY')).toHaveLength(1);
    expect(config.mask.vault!.key).toBe(VAULT_KEY); // kept, not asked again
    expect(asked.filter((n) => n === 'VAULT_KEY')).toHaveLength(1);
    expect(() => config.mask.hmac_key).toThrow(/mask\.hmac_key: must be at least 16 characters/);
    expect(() => config.warehouse.connection!.password).toThrow(/WAREHOUSE_PASSWORD is not set/);
    expect(config.sources.find((s) => s.name === 'sales_db')!.kind === 'database' && (config.sources.find((s) => s.name === 'sales_db') as { connection: { password?: string } }).connection.password).toBeUndefined(); // ${SALES_DB_PASSWORD:-}
    expect(Object.isFrozen(config.mask)).toBe(true);
  });

  it('reads a mounted secret from NAME_FILE', () => {
    const secretFile = tempYaml('from-a-mounted-file-123456\n');
    const file = tempYaml(require('node:fs').readFileSync(DEMO, 'utf8').replace('${MASK_HMAC_KEY:-demo-only-key-not-secret-0123456789}', '${MASK_HMAC_KEY}'));
    const { config } = readConfig(file, envWithFiles({ MASK_HMAC_KEY_FILE: secretFile }));
    expect(config.mask.hmac_key).toBe('from-a-mounted-file-123456');
  });
});

describe('envWithFiles', () => {
  it('names the variable when its mounted file is missing', () => {
    const lookup = envWithFiles({ WH_PASSWORD_FILE: '/nonexistent/secret' });
    expect(() => lookup('WH_PASSWORD')).toThrow(/WH_PASSWORD_FILE names \/nonexistent\/secret, which cannot be read: ENOENT/);
  });
});

function catchOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return 'no error';
}
