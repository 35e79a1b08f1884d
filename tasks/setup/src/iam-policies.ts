import type { PipelineConfig } from '@salesflow/config';
import { UsageError } from '@salesflow/errors';

/** One statement of an IAM identity policy. */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** An IAM identity policy document. */
export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

/** What one step role may touch, as key prefixes (or whole keys) relative to the lake root. */
export interface StepAccess {
  /** Read only (GetObject, listing). */
  readonly reads: readonly string[];
  /** Written and re-read (PutObject, DeleteObject, GetObject, listing): a step commits by reading its own manifests. */
  readonly writes: readonly string[];
}

/** One step role: its name (also its Kubernetes service account, k8s/rbac.yaml), what it touches, and its policy. */
export interface StepRole {
  /** salesflow-<step>, or salesflow-ingest-<source> (lowercase, "_" as "-"). */
  readonly role: string;
  readonly step: string;
  readonly source?: string;
  readonly access: StepAccess;
  /** Objects read outside the lake (a files source's landing prefix), as s3://bucket/prefix. */
  readonly landing?: string;
  readonly policy: IamPolicy;
}

/** The run reports and lineage files every step writes (lineage only without lineage.url, harmless with it). */
const EVERY_STEP_WRITES = ['_runs/', '_lineage/'];
const RAW_KIND: Readonly<Record<string, string>> = { database: 'database', api: 'api', files: 'files' };

/**
 * The role name of one step run, the same rule as the DAG's service_account_for
 * (airflow/dags/salesflow_steps.py): mask -> salesflow-mask, ingest of sales_db -> salesflow-ingest-sales-db.
 */
export function roleNameOf(step: string, source?: string, prefix = 'salesflow'): string {
  const role = step === 'ingest' && source ? `ingest-${source}` : step;
  return `${prefix}-${role}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
}

/** s3://bucket/a/b -> { bucket, prefix: "a/b" } (prefix without leading or trailing "/"). */
function parseS3(uri: string, where: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) {
    throw new UsageError(`${where}: "${uri}" is not an s3:// URI, so no IAM policy applies to it`, {
      context: { key: where },
      fix: 'give the config of the S3 lake (lake.root: s3://<bucket>[/<prefix>]) with its variables set',
    });
  }
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

/** The fixed part of a landing path before its first placeholder: s3://b/landing/dt={ds} -> s3://b/landing/dt= */
function landingPrefixOf(path: string): string {
  const cut = path.search(/[{*?[]/);
  return cut < 0 ? `${path.replace(/\/+$/, '')}/` : path.slice(0, cut);
}

/** What each step role reads and writes in the lake, from the config (docs/security.md). */
export function stepAccessOf(config: PipelineConfig): ReadonlyArray<{ step: string; source?: string; landing?: string; access: StepAccess }> {
  const entities = Object.keys(config.standardize.entities);
  const processed = entities.map((e) => `processed/${e}/`);
  const maskEntities = (config.mask.entities ?? {}) as Record<string, Record<string, { method: string; at_ingest?: boolean }>>;
  const tokenizesAtIngest = (entity: string) => Object.values(maskEntities[entity] ?? {}).some((r) => r.at_ingest && r.method === 'tokenize');
  const roles: Array<{ step: string; source?: string; landing?: string; access: StepAccess }> = [];
  const add = (step: string, reads: string[], writes: string[], extra: { source?: string; landing?: string } = {}) =>
    roles.push({ step, ...extra, access: Object.freeze({ reads: Object.freeze(reads), writes: Object.freeze([...writes, ...EVERY_STEP_WRITES]) }) });

  add('setup', ['_state/_warehouse_model.json'], ['_lake.json']);
  for (const source of config.sources) {
    const landing = source.kind === 'files' && source.path.startsWith('s3://') ? landingPrefixOf(source.path) : undefined;
    const vault = source.entities.some((e) => tokenizesAtIngest(e.name)) ? ['_vault/'] : [];
    add('ingest', [], [`raw/${RAW_KIND[source.kind]}/${source.name}/`, `_state/${source.name}/`, ...vault], { source: source.name, landing });
  }
  add('standardize', ['raw/'], [...processed, 'processed/_rejected/']);
  add('mask', processed, ['processed/masked/', '_vault/']);
  add('build-star-schema', ['processed/masked/'], ['curated/']);
  add('check-quality', ['curated/', 'processed/masked/', 'raw/*/_manifest.json', 'processed/*/_manifest.json', '_runs/'], ['quality/']);
  add('load-warehouse', ['curated/', 'quality/'], ['_state/_warehouse_model.json']);
  add('detokenize', ['_vault/'], []);
  add('forget', ['processed/masked/'], [...processed, '_vault/', '_audit/forget/']);
  return roles;
}

/** A key pattern as an IAM resource or s3:prefix pattern: a folder prefix gets "*", a whole key stays. */
function patternOf(root: string, rel: string): string {
  const key = `${root}${rel}`;
  return key.endsWith('/') ? `${key}*` : key;
}

/**
 * One IAM identity policy per step role, for the lake of `config` (lake.root must be s3://):
 * GetObject on what the step reads and writes, PutObject, DeleteObject and AbortMultipartUpload
 * on what it writes, ListBucket limited by s3:prefix to the same prefixes, and for setup the
 * bucket settings it applies. `partition` is "aws" unless the lake is in China or GovCloud.
 */
export function buildIamPolicies(config: PipelineConfig, opts: { rolePrefix?: string; partition?: string } = {}): StepRole[] {
  const lake = parseS3(config.lake.root, 'lake.root');
  const partition = opts.partition ?? 'aws';
  const bucketArn = (bucket: string) => `arn:${partition}:s3:::${bucket}`;
  const root = lake.prefix ? `${lake.prefix}/` : '';
  return stepAccessOf(config).map(({ step, source, landing, access }) => {
    const all = [...access.reads, ...access.writes];
    const statements: IamStatement[] = [
      { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: all.map((p) => `${bucketArn(lake.bucket)}/${patternOf(root, p)}`) },
      {
        Sid: 'Write',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: access.writes.map((p) => `${bucketArn(lake.bucket)}/${patternOf(root, p)}`),
      },
      {
        Sid: 'List',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn(lake.bucket),
        Condition: { StringLike: { 's3:prefix': all.map((p) => patternOf(root, p)) } },
      },
    ];
    if (step === 'setup') {
      // HeadBucket is authorized as ListBucket; the lifecycle rules and default encryption are the bucket's.
      statements.push({
        Sid: 'BucketSettings',
        Effect: 'Allow',
        Action: ['s3:CreateBucket', 's3:ListBucket', 's3:PutLifecycleConfiguration', 's3:PutEncryptionConfiguration'],
        Resource: bucketArn(lake.bucket),
      });
    }
    if (landing) {
      const l = parseS3(landing, `sources.${source}.path`);
      statements.push(
        { Sid: 'ReadLanding', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn(l.bucket)}/${l.prefix}*` },
        { Sid: 'ListLanding', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn(l.bucket), Condition: { StringLike: { 's3:prefix': [`${l.prefix}*`] } } },
      );
    }
    return Object.freeze({
      role: roleNameOf(step, source, opts.rolePrefix),
      step,
      ...(source ? { source } : {}),
      access,
      ...(landing ? { landing } : {}),
      policy: Object.freeze({ Version: '2012-10-17' as const, Statement: Object.freeze(statements.filter((s) => s.Resource.length > 0)) }),
    });
  });
}

/** IAM's StringLike: "*" any run of characters, "?" one character; everything else literal. */
function stringLike(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(value);
}

/**
 * Whether `policy` lets a ListObjects of `bucket` with `prefix` through, evaluating the s3:prefix
 * condition as AWS does (moto ignores conditions, so the S3 tests check listings with this).
 */
export function allowsListing(policy: IamPolicy, bucketArn: string, prefix: string): boolean {
  return policy.Statement.some((s) => {
    const actions = ([] as string[]).concat(s.Action as string | string[]);
    const resources = ([] as string[]).concat(s.Resource as string | string[]);
    if (s.Effect !== 'Allow' || !actions.includes('s3:ListBucket') || !resources.includes(bucketArn)) return false;
    const like = s.Condition?.StringLike?.['s3:prefix'];
    return !like || like.some((p) => stringLike(p, prefix));
  });
}
