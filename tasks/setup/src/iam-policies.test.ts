import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '@salesflow/config';
import { ExitCode, exitCodeOf } from '@salesflow/errors';
import { allowsListing, buildIamPolicies, roleNameOf } from './iam-policies';

const ROOT = path.resolve(__dirname, '../../..');
const production = (env: Record<string, string>) =>
  readConfig(path.join(ROOT, 'config/pipeline_config.yaml'), (name) =>
    ({ LAKE_BUCKET: 'salesflow-lake', LANDING_URI: 's3://partner-drop/incoming', WAREHOUSE_HOST: 'wh', WAREHOUSE_USER: 'u', ...env })[name],
  ).config;

describe('buildIamPolicies', () => {
  it('gives each ingest its own raw prefix and state, and a files source read access to its landing prefix only', () => {
    const roles = buildIamPolicies(production({}));
    expect(roles.map((r) => r.role)).toContain('salesflow-ingest-sales-db');
    const landing = roles.find((r) => r.role === 'salesflow-ingest-landing')!;
    const sales = roles.find((r) => r.role === 'salesflow-ingest-sales-db')!;
    expect(landing.policy.Statement.find((s) => s.Sid === 'ReadLanding')!.Resource).toBe('arn:aws:s3:::partner-drop/incoming/dt=*');
    expect(sales.policy.Statement.find((s) => s.Sid === 'Write')!.Resource).toEqual([
      'arn:aws:s3:::salesflow-lake/lake/raw/database/sales_db/*',
      'arn:aws:s3:::salesflow-lake/lake/_state/sales_db/*',
      'arn:aws:s3:::salesflow-lake/lake/_runs/*',
      'arn:aws:s3:::salesflow-lake/lake/_lineage/*',
    ]);
    expect(sales.policy.Statement.some((s) => s.Sid === 'ReadLanding')).toBe(false);
  });

  it('keeps the vault to mask, detokenize and forget', () => {
    const roles = buildIamPolicies(production({}));
    const touchVault = roles.filter((r) => r.policy.Statement.some((s) => ([] as string[]).concat(s.Resource as string[]).some((x) => x.includes('/_vault/'))));
    expect(touchVault.map((r) => r.role).sort()).toEqual(['salesflow-detokenize', 'salesflow-forget', 'salesflow-mask']);
  });

  it('evaluates the listing condition as StringLike', () => {
    const mask = buildIamPolicies(production({ LAKE_PREFIX: 'prod' })).find((r) => r.role === 'salesflow-mask')!.policy;
    expect(allowsListing(mask, 'arn:aws:s3:::salesflow-lake', 'prod/processed/customers/dt=2026-11-26/')).toBe(true);
    expect(allowsListing(mask, 'arn:aws:s3:::salesflow-lake', 'prod/curated/')).toBe(false);
    expect(allowsListing(mask, 'arn:aws:s3:::salesflow-lake', 'lake/processed/customers/')).toBe(false);
    expect(allowsListing(mask, 'arn:aws:s3:::other', 'prod/processed/customers/')).toBe(false);
  });

  it('names roles as the DAG names service accounts, and refuses a lake that is not on S3 with exit 2', () => {
    expect(roleNameOf('ingest', 'Shop_DB')).toBe('salesflow-ingest-shop-db');
    expect(roleNameOf('build-star-schema')).toBe('salesflow-build-star-schema');
    const local = readConfig(path.join(ROOT, 'config/demo_config.yaml'), () => undefined).config;
    const err = (() => {
      try {
        buildIamPolicies(local);
      } catch (e) {
        return e;
      }
    })();
    expect(exitCodeOf(err)).toBe(ExitCode.usage);
    expect(String((err as Error).message)).toContain('lake.root');
  });

  it('is what docs/security.md shows for the mask role of the demo config', () => {
    const demo = readConfig(path.join(ROOT, 'config/demo_config.yaml'), (name) => (name === 'LAKE_ROOT' ? 's3://salesflow-lake/lake' : undefined)).config;
    const doc = readFileSync(path.join(ROOT, 'docs/security.md'), 'utf8');
    const block = /<!-- iam-policies:salesflow-mask -->\n```json\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual(JSON.parse(JSON.stringify(buildIamPolicies(demo).find((r) => r.role === 'salesflow-mask')!.policy)));
  });
});
