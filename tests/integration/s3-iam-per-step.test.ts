/**
 * Each step with only its own IAM policy (npm run iam-policies) against an S3 server that
 * enforces IAM: a moto_server of its own (MOTO_SERVER, default .venv/bin/moto_server) on a free
 * port, with one IAM user per step role holding that role's policy. A whole demo day runs step by
 * step, each step with its own access keys, and passes; the same keys are refused outside their
 * zones. moto ignores policy conditions, so the s3:prefix limits on listing are checked here against
 * every ListObjects a step sent (read from moto's request log). docs/security.md lists where moto
 * and AWS differ.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { allowsListing, type IamPolicy } from '../../tasks/setup/src/iam-policies';

const ROOT = path.resolve(__dirname, '../..');
const DS = '2026-11-26';
const BUCKET = 'salesflow-iam';
const MOTO = process.env.MOTO_SERVER ?? path.join(ROOT, '.venv/bin/moto_server');
const work = mkdtempSync(path.join(os.tmpdir(), 's3-iam-'));
const motoLog = path.join(work, 'moto.log');
let moto: ChildProcess | undefined;
let endpoint = '';

interface Role {
  role: string;
  step: string;
  source?: string;
  policy: IamPolicy;
}
interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** An IAM Query API call. Made before enforcement starts, so moto needs no valid signature yet. */
async function iam(params: Record<string, string>): Promise<string> {
  const res = await fetch(endpoint + '/', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=setup/20261207/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=none',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action} failed: ${res.status} ${text}`);
  return text;
}

async function userWithPolicy(name: string, policy: IamPolicy): Promise<Keys> {
  await iam({ Action: 'CreateUser', UserName: name });
  await iam({ Action: 'PutUserPolicy', UserName: name, PolicyName: name, PolicyDocument: JSON.stringify(policy) });
  const xml = await iam({ Action: 'CreateAccessKey', UserName: name });
  return { accessKeyId: /<AccessKeyId>([^<]+)/.exec(xml)![1]!, secretAccessKey: /<SecretAccessKey>([^<]+)/.exec(xml)![1]! };
}

function client(keys: Keys): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: keys, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

/**
 * moto authorizes a few S3 calls under other names or resources than AWS does; these moto-only
 * grants stand in for the AWS ones (docs/security.md lists the differences):
 * - HeadBucket is s3:ListBucket on AWS, s3:HeadBucket in moto (PutBucketEncryption is s3:CreateBucket there);
 * - DeleteObjects is checked per key (s3:DeleteObject on each key) on AWS, but against the bucket
 *   ARN in moto, so a role that deletes in its prefixes needs s3:DeleteObject on the bucket there.
 */
function asMotoNames(policy: IamPolicy): IamPolicy {
  const extra = policy.Statement.filter((s) => s.Sid === 'Write').map((s) => ({
    Sid: 'MotoDeleteObjects',
    Effect: 'Allow' as const,
    Action: 's3:DeleteObject',
    Resource: `arn:aws:s3:::${BUCKET}`,
  }));
  return {
    ...policy,
    Statement: [
      ...policy.Statement.map((s) => {
        const actions = ([] as string[]).concat(s.Action as string | string[]);
        return actions.includes('s3:CreateBucket') ? { ...s, Action: [...actions, 's3:HeadBucket'] } : s;
      }),
      ...extra,
    ],
  };
}

const env = {
  LAKE_ROOT: `s3://${BUCKET}/lake`,
  LANDING_PATH: `s3://${BUCKET}/landing`,
  WAREHOUSE_SQLITE: path.join(work, 'wh.sqlite'),
};

function step(task: string, args: string[], keys: Keys) {
  return runAs([`tasks/${task}/dist/main.js`, '--config', 'config/demo_config.yaml', '--ds', DS, '--run-id', `iam__${DS}`, ...args], keys);
}

function runAs(argv: string[], keys: Keys) {
  const r = spawnSync(process.execPath, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    // Only what the step needs: no other credentials leak in from the test's environment.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...env },
  });
  return { status: r.status, stderr: r.stderr };
}

/** The prefixes of the ListObjects requests in moto's log since byte `from`. */
function listedPrefixes(from: number): string[] {
  const log = readFileSync(motoLog, 'utf8').slice(from);
  return [...log.matchAll(/"GET \/([^/?\s]+)\/?\?([^ ]*list-type=2[^ ]*) HTTP/g)].map((m) => `${m[1]}\t${new URLSearchParams(m[2]).get('prefix') ?? ''}`);
}

let roles: Role[];
const keys = new Map<string, Keys>();
let admin: Keys;

beforeAll(async () => {
  if (!existsSync(MOTO)) throw new Error(`${MOTO} not found: install moto[server] in .venv (see .ci/run) or set MOTO_SERVER to a moto_server binary`);
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  const out = openSync(motoLog, 'a');
  // Unlimited unauthenticated requests while the users are made; reset-auth then enforces IAM.
  moto = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', out, out], env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: 'inf' } });
  for (let i = 0; ; i++) {
    if (await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false)) break;
    if (i > 120 || moto.exitCode !== null) throw new Error(`moto_server did not start on ${endpoint}:\n${readFileSync(motoLog, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const gen = spawnSync(process.execPath, ['tasks/setup/dist/iam-policies-main.js', '--config', 'config/demo_config.yaml'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (gen.status !== 0) throw new Error(`iam-policies failed: ${gen.stderr}`);
  roles = (JSON.parse(gen.stdout) as { roles: Role[] }).roles;
  for (const r of roles) keys.set(r.role, await userWithPolicy(r.role, asMotoNames(r.policy)));
  admin = await userWithPolicy('test-admin', { Version: '2012-10-17', Statement: [{ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }] });
  const reset = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!reset.ok) throw new Error(`moto reset-auth failed: ${reset.status}`);
}, 120_000);

afterAll(() => {
  moto?.kill();
  rmSync(work, { recursive: true, force: true });
});

const accessDenied = (e: unknown) => (e as { name?: string }).name ?? String(e);

it('generates one policy per step role of the config, named like the DAG names service accounts', () => {
  expect(roles.map((r) => r.role)).toEqual([
    'salesflow-setup',
    'salesflow-ingest-landing',
    'salesflow-standardize',
    'salesflow-mask',
    'salesflow-build-star-schema',
    'salesflow-check-quality',
    'salesflow-load-warehouse',
    'salesflow-detokenize',
    'salesflow-forget',
  ]);
  const rbac = readFileSync(path.join(ROOT, 'k8s/rbac.yaml'), 'utf8');
  for (const r of roles.filter((x) => !x.source)) expect(rbac).toContain(`role/${r.role}\n`);
});

it('runs a whole day with each step holding only its own policy, and refuses each outside its zones', async () => {
  // Enforcement is on: unknown keys are refused.
  const anonymous = client({ accessKeyId: 'AKIANOTAUSER00000000', secretAccessKey: 'x' });
  await expect(anonymous.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toThrow();

  const order: Array<[string, string[], string]> = [
    ['setup', [], 'salesflow-setup'],
    ['ingest', ['--source', 'landing'], 'salesflow-ingest-landing'],
    ['standardize', [], 'salesflow-standardize'],
    ['mask', [], 'salesflow-mask'],
    ['build-star-schema', [], 'salesflow-build-star-schema'],
    ['check-quality', [], 'salesflow-check-quality'],
    ['load-warehouse', [], 'salesflow-load-warehouse'],
  ];
  const landing = path.join(work, 'landing');
  const gen = spawnSync(process.execPath, ['tasks/sample-data/dist/main.js', '--out', landing, '--ds', DS, '--seed', '42', '--scale', '0.2'], { cwd: ROOT, encoding: 'utf8' });
  expect(gen.status).toBe(0);
  const adminS3 = client(admin);
  const listings: Record<string, string[]> = {};
  for (const [task, args, role] of order) {
    const from = readFileSync(motoLog).length;
    const r = step(task, args, keys.get(role)!);
    if (r.status !== 0) throw new Error(`${task} with role ${role} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
    listings[role] = listedPrefixes(from);
    if (task === 'setup') {
      // The landing files arrive after setup made the bucket, as a source system delivers them.
      for (const f of readdirSync(landing)) {
        await adminS3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `landing/dt=${DS}/${f}`, Body: readFileSync(path.join(landing, f)) }));
      }
    }
  }
  const report = JSON.parse(await (await adminS3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `lake/quality/dt=${DS}/report.json` }))).Body!.transformToString());
  expect(report.status).toBe('passed');

  // moto does not evaluate conditions: every listing a step made must pass its s3:prefix condition.
  for (const [role, listed] of Object.entries(listings)) {
    const policy = roles.find((r) => r.role === role)!.policy;
    for (const entry of listed) {
      const [bucket, prefix] = entry.split('\t') as [string, string];
      expect([role, bucket, prefix, allowsListing(policy, `arn:aws:s3:::${bucket}`, prefix)]).toEqual([role, bucket, prefix, true]);
    }
  }
  expect(listings['salesflow-standardize']!.length).toBeGreaterThan(0);
  // ...and that check can fail: standardize may not list the curated zone or the landing folder.
  const standardizePolicy = roles.find((r) => r.role === 'salesflow-standardize')!.policy;
  expect(allowsListing(standardizePolicy, `arn:aws:s3:::${BUCKET}`, 'lake/curated/fact_sales/')).toBe(false);
  expect(allowsListing(standardizePolicy, `arn:aws:s3:::${BUCKET}`, 'landing/')).toBe(false);

  // Outside its zones each role is refused by the server.
  const as = (role: string) => client(keys.get(role)!);
  const refused: Array<[string, () => Promise<unknown>]> = [
    ['standardize writes curated', () => as('salesflow-standardize').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lake/curated/fact_sales/dt=2026-11-26/x.parquet', Body: 'x' }))],
    ['standardize writes the masked zone', () => as('salesflow-standardize').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lake/processed/masked/customers/dt=2026-11-26/x.parquet', Body: 'x' }))],
    ['standardize reads the landing files', () => as('salesflow-standardize').send(new GetObjectCommand({ Bucket: BUCKET, Key: `landing/dt=${DS}/customers.csv` }))],
    ['check-quality reads the vault', async () => {
      const vault = await adminS3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/_vault/' }));
      expect(vault.Contents?.length).toBeGreaterThan(0);
      return as('salesflow-check-quality').send(new GetObjectCommand({ Bucket: BUCKET, Key: vault.Contents![0]!.Key! }));
    }],
    // It reads manifests of processed partitions (their counts), never their rows.
    ['check-quality reads unmasked processed rows', () => as('salesflow-check-quality').send(new GetObjectCommand({ Bucket: BUCKET, Key: `lake/processed/customers/dt=${DS}/part-00000.parquet` }))],
    ['build-star-schema reads unmasked processed rows', () => as('salesflow-build-star-schema').send(new GetObjectCommand({ Bucket: BUCKET, Key: `lake/processed/customers/dt=${DS}/_manifest.json` }))],
    ['mask writes curated', () => as('salesflow-mask').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lake/curated/dim_customer/dt=2026-11-26/x.parquet', Body: 'x' }))],
    ['load-warehouse reads the vault', () => as('salesflow-load-warehouse').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'lake/_vault/anything' }))],
    ['ingest writes processed', () => as('salesflow-ingest-landing').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lake/processed/customers/dt=2026-11-26/x.parquet', Body: 'x' }))],
    ['detokenize writes the vault', () => as('salesflow-detokenize').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lake/_vault/x', Body: 'x' }))],
    ['setup reads raw', () => as('salesflow-setup').send(new GetObjectCommand({ Bucket: BUCKET, Key: `lake/raw/files/landing/customers/dt=${DS}/_manifest.json` }))],
  ];
  const outcomes = await Promise.all(refused.map(async ([what, call]) => [what, await call().then(() => 'allowed', accessDenied)]));
  expect(outcomes).toEqual(refused.map(([what]) => [what, 'AccessDenied']));

  // A real step run with another step's role fails on the first object outside that role.
  const wrong = step('build-star-schema', [], keys.get('salesflow-standardize')!);
  expect(wrong.status).not.toBe(0);
  expect(wrong.stderr).toMatch(/AccessDenied|Access Denied/);

  // The commands run by hand for a person's request work with their own roles too.
  const [header, first] = readFileSync(path.join(landing, readdirSync(landing).find((f) => f.startsWith('customers'))!), 'utf8').split('\n');
  const customerId = first!.split(',')[header!.split(',').indexOf('customer_id')]!;
  const forget = runAs(['tasks/mask/dist/forget-main.js', '--config', 'config/demo_config.yaml', '--entity', 'customers', '--key', `customer_id=${customerId}`, '--operator', 'dpo@example.com', '--request-id', 'IAM-1'], keys.get('salesflow-forget')!);
  if (forget.status !== 0) throw new Error(`forget exited ${forget.status}:\n${forget.stderr.slice(-3000)}`);
  // An unknown token: detokenize reads every vault partition of the column and finds nothing, but is not refused.
  const detokenize = runAs(['tasks/mask/dist/detokenize-main.js', '--config', 'config/demo_config.yaml', '--entity', 'customers', '--column', 'first_name', '--token', 'tok_unknown'], keys.get('salesflow-detokenize')!);
  expect(detokenize.stderr).not.toMatch(/AccessDenied|Access Denied/);
  expect([0, 4]).toContain(detokenize.status);
}, 600_000);
