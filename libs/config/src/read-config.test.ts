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
    expect(config.lake.retention_days).toEqual({ raw: 90, processed: 180, curated: 365 });
    expect(config.sources[0]!.entities.map((e) => e.name)).toEqual(['customers', 'products', 'locations', 'sales_transactions']);
    expect(config.sources[0]!.entities[0]!.csv.delimiter).toBe(',');
    expect(Object.isFrozen(config.lake)).toBe(true);
  });

  it('accepts the production config when its variables are set, and reports them as secrets', () => {
    const vars = { LAKE_BUCKET: 'my-lake', MASK_HMAC_KEY: 'k'.repeat(32), VAULT_KEY: 'ab'.repeat(32), WAREHOUSE_HOST: 'db', WAREHOUSE_USER: 'etl', WAREHOUSE_PASSWORD: 'pw-very-secret', LANDING_URI: 's3://landing/sales', INVENTORY_API_TOKEN: 'api-token-secret' };
    const { config, secrets } = readConfig(PROD, env(vars));
    expect(config.lake.root.startsWith('s3://')).toBe(true);
    expect(secrets).toEqual(expect.arrayContaining(['pw-very-secret', 'k'.repeat(32), 'ab'.repeat(32), 'api-token-secret']));
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

  it('names the config key of a missing environment variable', () => {
    const file = tempYaml(require('node:fs').readFileSync(DEMO, 'utf8').replace('${MASK_HMAC_KEY:-demo-only-key-not-secret-0123456789}', '${MASK_HMAC_KEY}'));
    expect(() => readConfig(file, env({}))).toThrow(/mask\.hmac_key: environment variable MASK_HMAC_KEY is not set/);
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
