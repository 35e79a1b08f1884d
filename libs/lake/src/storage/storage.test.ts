/**
 * One contract suite for every Storage: a temp folder, and a fresh bucket on the S3 test server
 * named by LAKE_TEST_S3_ENDPOINT (moto_server in CI, MinIO via tests/global-setup.js where Docker
 * runs). S3 is never skipped: without an endpoint the suite fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { LakeObjectNotFoundError, PipelineError } from '@salesflow/errors';
import type { Storage } from '../storage';
import { LocalStorage } from './local-storage';
import { openStorage } from './open-storage';
import { S3Storage } from './s3-storage';

const MiB = 1024 * 1024;
const REGION = 'us-east-1';

function s3Endpoint(): string {
  const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'LAKE_TEST_S3_ENDPOINT is not set: set it to an S3-compatible server (e.g. `moto_server -H 127.0.0.1 -p 5000`) or start Docker',
    );
  }
  return endpoint;
}

/** A client of our own, to check what S3Storage did from the outside. */
function rawClient(): S3Client {
  return new S3Client({
    region: REGION,
    endpoint: s3Endpoint(),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function s3Storage(bucket: string, extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}): S3Storage {
  return new S3Storage({ bucket, prefix: 'lake/root', endpoint: s3Endpoint(), region: REGION, forcePathStyle: true, ...extra });
}

function freshBucketName(): string {
  return `lake-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Deterministic, non-repeating bytes in uneven chunk sizes, hashed on the way out. */
function generated(total: number, seed: string): { chunks: AsyncIterable<Uint8Array>; sha256: () => string } {
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    let counter = 0;
    while (sent < total) {
      // Uneven sizes so part boundaries never line up with chunk boundaries.
      const size = Math.min(total - sent, 700_001 + (counter % 5) * 131_071);
      const block = Buffer.alloc(size);
      for (let off = 0; off < size; off += 32) {
        createHash('sha256').update(`${seed}:${counter}:${off}`).digest().copy(block, off, 0, Math.min(32, size - off));
      }
      hash.update(block);
      sent += size;
      counter += 1;
      yield block;
    }
  }
  return { chunks: chunks(), sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

async function inParallel<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

interface Backend {
  readonly kind: 'local' | 's3';
  readonly storage: Storage;
  cleanup(): Promise<void>;
}

const backends: ReadonlyArray<{ kind: Backend['kind']; open: () => Promise<Backend> }> = [
  {
    kind: 'local',
    open: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'lake-storage-test-'));
      const storage = new LocalStorage(path.join(dir, 'lake'));
      return { kind: 'local', storage, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    kind: 's3',
    open: async () => {
      const bucket = freshBucketName();
      const storage = s3Storage(bucket);
      return {
        kind: 's3',
        storage,
        cleanup: async () => {
          const client = rawClient();
          const all = await s3Storage(bucket, { prefix: '' }).list('');
          await s3Storage(bucket, { prefix: '' }).deleteMany(all.map((o) => o.key));
          await client.send(new DeleteBucketCommand({ Bucket: bucket }));
          client.destroy();
        },
      };
    },
  },
];

describe.each(backends)('$kind storage', ({ kind, open }) => {
  let backend: Backend;
  let lake: Storage;

  beforeAll(async () => {
    backend = await open();
    lake = backend.storage;
    // The root does not exist yet: this creates the folder or the bucket, and must be repeatable.
    await lake.ensureRoot();
    await lake.ensureRoot();
  });

  afterAll(async () => {
    await backend?.cleanup();
  });

  test('rootUri and uriOf name the root and keys', () => {
    if (kind === 's3') {
      expect(lake.rootUri).toMatch(/^s3:\/\/lake-test-[a-z0-9-]+\/lake\/root$/);
      expect(lake.uriOf('raw/x.parquet')).toBe(`${lake.rootUri}/raw/x.parquet`);
    } else {
      expect(path.isAbsolute(lake.rootUri)).toBe(true);
      expect(lake.uriOf('raw/x.parquet')).toBe(path.join(lake.rootUri, 'raw', 'x.parquet'));
    }
  });

  test('putBytes then getBytes returns the same bytes, and a second put replaces them', async () => {
    const binary = new Uint8Array(randomBytes(70_000));
    await lake.putBytes('bytes/one.bin', binary, 'application/octet-stream');
    expect(Buffer.from((await lake.getBytes('bytes/one.bin'))!)).toEqual(Buffer.from(binary));

    await lake.putBytes('bytes/text.json', '{"ümlaut":"€"}', 'application/json');
    expect(Buffer.from((await lake.getBytes('bytes/text.json'))!).toString('utf8')).toBe('{"ümlaut":"€"}');

    await lake.putBytes('bytes/one.bin', 'shorter');
    expect(Buffer.from((await lake.getBytes('bytes/one.bin'))!).toString()).toBe('shorter');
  });

  test('a missing key: getBytes and stat give undefined, getStream and openLocal throw LakeObjectNotFoundError', async () => {
    expect(await lake.getBytes('missing/nothing.bin')).toBeUndefined();
    expect(await lake.stat('missing/nothing.bin')).toBeUndefined();

    const err = await lake.getStream('missing/nothing.bin').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeObjectNotFoundError);
    expect((err as LakeObjectNotFoundError).message).toContain(lake.uriOf('missing/nothing.bin'));
    expect((err as LakeObjectNotFoundError).exitCode).toBe(4);

    await expect(lake.openLocal('missing/nothing.bin')).rejects.toBeInstanceOf(LakeObjectNotFoundError);
  });

  test('copy makes an equal object under another key (on S3 without downloading it), and a missing source throws', async () => {
    const binary = new Uint8Array(randomBytes(300_000));
    await lake.putBytes('copy/from/a part.bin', binary);
    expect(await lake.copy('copy/from/a part.bin', 'copy/to/b.bin')).toBe(binary.length);
    expect(Buffer.from((await lake.getBytes('copy/to/b.bin'))!)).toEqual(Buffer.from(binary));
    // A copy replaces what the target held, and leaves the source alone.
    await lake.putBytes('copy/to/c.bin', 'old');
    await lake.copy('copy/from/a part.bin', 'copy/to/c.bin');
    expect((await lake.stat('copy/to/c.bin'))?.size).toBe(binary.length);
    expect((await lake.list('copy/')).map((o) => o.key)).toEqual(['copy/from/a part.bin', 'copy/to/b.bin', 'copy/to/c.bin']);

    await expect(lake.copy('copy/missing.bin', 'copy/to/d.bin')).rejects.toBeInstanceOf(LakeObjectNotFoundError);
    expect(await lake.stat('copy/to/d.bin')).toBeUndefined();
  });

  test('putStream of 20 MB (multipart on S3) reads back with the same sha256', async () => {
    const total = 20 * MiB + 12_345;
    const source = generated(total, kind);
    const written = await lake.putStream('big/twenty.bin', source.chunks, 'application/octet-stream');
    const expected = source.sha256();
    expect(written).toBe(total);

    const back = await sha256Of(await lake.getStream('big/twenty.bin'));
    expect(back.size).toBe(total);
    expect(back.sha256).toBe(expected);
    expect((await lake.stat('big/twenty.bin'))?.size).toBe(total);

    if (kind === 's3') {
      // A multipart ETag ends in "-<parts>": 8 MiB parts make 3 of them, so the Upload really went multipart.
      const s3 = lake as S3Storage;
      const client = rawClient();
      const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${s3.prefix}/big/twenty.bin` }));
      client.destroy();
      expect(head.ETag).toMatch(/-3"?$/);
    }
  });

  test('putStream takes a Readable, a small iterable and an empty one', async () => {
    const small = generated(300_000, 'small');
    expect(await lake.putStream('stream/readable.bin', Readable.from(small.chunks))).toBe(300_000);
    expect((await sha256Of(await lake.getStream('stream/readable.bin'))).sha256).toBe(small.sha256());

    expect(await lake.putStream('stream/strings.txt', Readable.from(['a', 'bc', 'déf']))).toBe(7);
    expect(Buffer.from((await lake.getBytes('stream/strings.txt'))!).toString()).toBe('abcdéf');

    expect(await lake.putStream('stream/empty.bin', (async function* () {})())).toBe(0);
    expect((await lake.getBytes('stream/empty.bin'))?.byteLength).toBe(0);
  });

  test('a putStream whose source fails leaves the old object untouched and nothing half-written', async () => {
    await lake.putBytes('atomic/object.bin', 'old');
    async function* failing(): AsyncGenerator<Uint8Array> {
      // More than one part, so S3 has a multipart upload in flight when the source fails.
      yield Buffer.alloc(9 * MiB, 1);
      yield Buffer.alloc(MiB, 2);
      throw new Error('source broke');
    }
    const err = await lake.putStream('atomic/object.bin', failing()).catch((e: unknown) => e);
    // The source's own error comes back, not one dressed up as a storage failure.
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('source broke');
    expect(Buffer.from((await lake.getBytes('atomic/object.bin'))!).toString()).toBe('old');
    expect((await lake.list('atomic/')).map((o) => o.key)).toEqual(['atomic/object.bin']);

    if (kind === 'local') {
      expect(await readdir(path.join(lake.rootUri, 'atomic'))).toEqual(['object.bin']);
    } else {
      const s3 = lake as S3Storage;
      const client = rawClient();
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${s3.prefix}/atomic/` }));
      client.destroy();
      expect(uploads.Uploads ?? []).toEqual([]);
    }
  });

  test('list is recursive, sorted by key, prefix-scoped and carries size and time', async () => {
    const before = Date.now();
    const keys = ['ls/b/2.txt', 'ls/b/10.txt', 'ls/a.txt', 'ls/b/1.txt', 'ls/c/d/e/deep.txt', 'lsx/other.txt', 'ls-sibling.txt'];
    for (const key of keys) await lake.putBytes(key, key);

    const all = await lake.list('ls/');
    expect(all.map((o) => o.key)).toEqual(['ls/a.txt', 'ls/b/1.txt', 'ls/b/10.txt', 'ls/b/2.txt', 'ls/c/d/e/deep.txt']);
    for (const o of all) {
      expect(o.size).toBe(Buffer.byteLength(o.key));
      expect(o.modified).toBeInstanceOf(Date);
      // Whole seconds on S3, so allow for truncation.
      expect(o.modified.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(o.modified.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
    }
    // A prefix is a string prefix, not a folder: "ls" also matches "ls-sibling.txt" and "lsx/".
    expect((await lake.list('ls')).map((o) => o.key)).toEqual([...all.map((o) => o.key), 'ls-sibling.txt', 'lsx/other.txt'].sort());
    expect((await lake.list('ls/b/1')).map((o) => o.key)).toEqual(['ls/b/1.txt', 'ls/b/10.txt']);
    expect(await lake.list('nothing-here/')).toEqual([]);
    // The root's own prefix (or folder) must not leak out of the keys.
    expect((await lake.list('')).map((o) => o.key)).toEqual(expect.arrayContaining(['ls/a.txt', 'lsx/other.txt']));
  });

  test('stat gives size and modification time of one object', async () => {
    await lake.putBytes('stat/x.bin', new Uint8Array(1234));
    const info = await lake.stat('stat/x.bin');
    expect(info).toMatchObject({ key: 'stat/x.bin', size: 1234 });
    expect(Math.abs(info!.modified.getTime() - Date.now())).toBeLessThan(60_000);
    // A "folder" is not an object.
    expect(await lake.stat('stat')).toBeUndefined();
  });

  test('deleteMany removes the named objects, ignores missing ones and keeps the rest', async () => {
    for (const key of ['del/a', 'del/b', 'del/c', 'del/sub/d']) await lake.putBytes(key, key);
    await lake.deleteMany(['del/a', 'del/sub/d', 'del/never-existed']);
    expect((await lake.list('del/')).map((o) => o.key)).toEqual(['del/b', 'del/c']);
    await lake.deleteMany([]);
    expect(await lake.getBytes('del/a')).toBeUndefined();
  });

  test('openLocal gives a file with the same bytes; release removes a downloaded copy or the link to the opened file only', async () => {
    const source = generated(3 * MiB + 7, 'open');
    await lake.putStream('open/data.parquet', source.chunks);
    const local = await lake.openLocal('open/data.parquet');
    const bytes = await readFile(local.path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(source.sha256());
    expect(path.basename(local.path)).toBe('data.parquet');
    await local.release();
    if (kind === 's3') {
      expect(local.path.startsWith(os.tmpdir())).toBe(true);
      expect(existsSync(local.path)).toBe(false);
      expect(existsSync(path.dirname(local.path))).toBe(false);
    } else {
      // A link to the opened, checked descriptor (see LocalStorage.openLocal); the object stays.
      expect(local.path).not.toBe(lake.uriOf('open/data.parquet'));
      expect(existsSync(local.path)).toBe(false);
      expect(existsSync(lake.uriOf('open/data.parquet'))).toBe(true);
    }
  });

  test('keys that could escape the root are refused', async () => {
    await expect(lake.putBytes('/abs.txt', 'x')).rejects.toBeInstanceOf(PipelineError);
    if (kind === 'local') {
      await expect(lake.putBytes('../escape.txt', 'x')).rejects.toBeInstanceOf(PipelineError);
      await expect(lake.list('../')).rejects.toBeInstanceOf(PipelineError);
    }
  });

  if (kind === 'local') {
    test('list ignores temp files, including ones a crash left behind', async () => {
      await lake.putBytes('tmp/real.txt', 'real');
      await writeFile(path.join(lake.rootUri, 'tmp', '.real.txt.0123456789ab.tmp'), 'half');
      expect((await lake.list('tmp/')).map((o) => o.key)).toEqual(['tmp/real.txt']);
    });
  }

  if (kind === 's3') {
    test('list pages past 1000 objects and deleteMany deletes past 1000 keys', async () => {
      const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(5, '0')}.txt`);
      await inParallel(keys, 32, (key) => lake.putBytes(key, 'x'));
      const listed = await lake.list('many/');
      expect(listed).toHaveLength(1100);
      expect(listed.map((o) => o.key)).toEqual(keys);

      // moto accepts more than 1000 keys per DeleteObjects where AWS refuses, so count the batches ourselves.
      const send = jest.spyOn(S3Client.prototype, 'send');
      try {
        await lake.deleteMany(keys);
        const batches = send.mock.calls
          .map(([command]) => command as unknown)
          .filter((command) => command instanceof DeleteObjectsCommand)
          .map((command) => command.input.Delete?.Objects?.length);
        expect(batches).toEqual([1000, 100]);
      } finally {
        send.mockRestore();
      }
      expect(await lake.list('many/')).toEqual([]);
    });

    test('server-side encryption is requested on single puts and multipart uploads', async () => {
      const s3 = lake as S3Storage;
      const encrypted = s3Storage(s3.bucket, { prefix: 'sse', serverSideEncryption: 'AES256' });
      await encrypted.putBytes('small.txt', 'secret');
      await encrypted.putStream('big.bin', generated(9 * MiB, 'sse').chunks);
      const client = rawClient();
      for (const key of ['sse/small.txt', 'sse/big.bin']) {
        const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
        expect({ key, sse: head.ServerSideEncryption }).toEqual({ key, sse: 'AES256' });
      }
      client.destroy();
    });

    test('applyLifecycle and applyDefaultEncryption configure the bucket', async () => {
      const s3 = lake as S3Storage;
      const client = rawClient();
      await s3.applyLifecycle([
        { prefix: 'raw/', days: 30 },
        { prefix: 'quality/', days: 90 },
      ]);
      const lifecycle = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: s3.bucket }));
      const rules = (lifecycle.Rules ?? []).map((r) => ({ prefix: r.Filter?.Prefix ?? r.Prefix, days: r.Expiration?.Days, status: r.Status, abortParts: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation }));
      expect(rules).toEqual(
        expect.arrayContaining([
          { prefix: 'lake/root/raw/', days: 30, status: 'Enabled', abortParts: 7 },
          { prefix: 'lake/root/quality/', days: 90, status: 'Enabled', abortParts: 7 },
        ]),
      );
      expect(rules).toHaveLength(2);
      await expect(s3.applyLifecycle([{ prefix: 'raw/', days: 0 }])).rejects.toMatchObject({ exitCode: 2 });

      await s3.applyDefaultEncryption();
      const encryption = await client.send(new GetBucketEncryptionCommand({ Bucket: s3.bucket }));
      expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
      client.destroy();
    });

    test('objects outside the prefix are invisible to the lake', async () => {
      const s3 = lake as S3Storage;
      const client = rawClient();
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'outside/ls/a.txt', Body: 'x' }));
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'lake/rootx/ls/a.txt', Body: 'x' }));
      client.destroy();
      expect((await lake.list('')).every((o) => !o.key.startsWith('outside/') && !o.key.startsWith('x/'))).toBe(true);
      expect(await lake.getBytes('outside/ls/a.txt')).toBeUndefined();
    });

    test('a missing bucket is a setup error naming the bucket, not a missing object', async () => {
      const gone = s3Storage(freshBucketName());
      const err = await gone.putBytes('x.txt', 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineError);
      expect(err).not.toBeInstanceOf(LakeObjectNotFoundError);
      expect((err as PipelineError).exitCode).toBe(2);
      expect((err as PipelineError).describe()).toContain('NoSuchBucket');
    });

    test('a failing call names the operation and URI but never the credentials', async () => {
      const secret = 'SECRET-that-must-not-leak-0123456789';
      // Port 1 refuses connections, so the call fails after the SDK's retries without any server.
      const unreachable = new S3Storage({
        bucket: 'some-bucket',
        prefix: 'p',
        endpoint: 'http://127.0.0.1:1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDLEAKCHECK', secretAccessKey: secret },
      });
      const err = (await unreachable.putBytes('k.txt', 'x').catch((e: unknown) => e)) as PipelineError;
      expect(err).toBeInstanceOf(PipelineError);
      expect(err.retryable).toBe(true);
      expect(err.describe()).toContain('PutObject');
      expect(err.describe()).toContain('s3://some-bucket/p/k.txt');
      const everything = JSON.stringify({ d: err.describe(), s: err.stack, c: String(err.cause), cs: (err.cause as Error).stack, ctx: err.context });
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain('AKIDLEAKCHECK');
    });
  }
});

describe('S3Storage against a custom endpoint', () => {
  test('sends no flexible checksums and asks for none, the framing that silently corrupted objects (FINDINGS.md)', async () => {
    // moto decodes aws-chunked correctly, so the byte comparison above cannot catch a regression
    // here; a recording server checks the wire itself.
    const seen: { method?: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-length': '5', etag: '"e"' }).end('hello');
        } else if (req.method === 'POST') {
          res.writeHead(200, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
        } else {
          res.writeHead(200, { etag: '"e"' }).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const lake = new S3Storage({
        bucket: 'b',
        prefix: '',
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        credentials: { accessKeyId: 'a', secretAccessKey: 's' },
      });
      await lake.putBytes('bytes.txt', 'hello');
      await lake.putStream('stream.txt', Readable.from([Buffer.from('hel'), Buffer.from('lo')]));
      expect(Buffer.from((await lake.getBytes('x.txt'))!).toString()).toBe('hello');
      await lake.deleteMany(['x.txt']);

      expect(seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'GET', 'POST']);
      // DeleteObjects must carry a checksum; many S3-compatible servers accept only Content-MD5 there.
      const del = seen[3];
      expect(del.headers['content-md5']).toBe(createHash('md5').update(del.body).digest('base64'));
      for (const r of seen) {
        const checksumHeaders = Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum') || h.startsWith('x-amz-sdk-checksum') || h === 'x-amz-trailer');
        expect({ method: r.method, checksumHeaders, encoding: r.headers['content-encoding'] }).toEqual({ method: r.method, checksumHeaders: [], encoding: undefined });
      }
      for (const r of seen.filter((x) => x.method === 'PUT')) expect(r.body.toString()).toBe('hello');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('openStorage', () => {
  const env = {} as NodeJS.ProcessEnv;

  test('s3://bucket/prefix gives an S3Storage with that bucket and prefix', () => {
    const lake = openStorage('s3://my-lake/prod/sales/', {}, env);
    expect(lake).toBeInstanceOf(S3Storage);
    expect(lake.rootUri).toBe('s3://my-lake/prod/sales');
    expect(lake.uriOf('raw/a.parquet')).toBe('s3://my-lake/prod/sales/raw/a.parquet');
    expect(openStorage('s3://my-lake', {}, env).rootUri).toBe('s3://my-lake');
  });

  test('the endpoint comes from the argument, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, and talks to it', async () => {
    const bucket = freshBucketName();
    // The only way to see which endpoint was used is to use it: the bucket must appear on the test server.
    const viaEnv = openStorage(`s3://${bucket}`, {}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_S3: s3Endpoint() });
    await viaEnv.ensureRoot();
    await viaEnv.putBytes('k.txt', 'v');
    const viaArg = openStorage(`s3://${bucket}`, { endpoint: s3Endpoint() }, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' });
    expect(Buffer.from((await viaArg.getBytes('k.txt'))!).toString()).toBe('v');
    const viaGeneric = openStorage(`s3://${bucket}`, {}, { AWS_ENDPOINT_URL: s3Endpoint() });
    expect((await viaGeneric.list('')).map((o) => o.key)).toEqual(['k.txt']);
    await viaGeneric.deleteMany(['k.txt']);
    const client = rawClient();
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  test.each(['s3://', 's3:///prefix', 's3://Bad_Bucket/x', 's3://ok-bucket/a//b', 'gs://bucket/x', ' '])('%j is a usage error naming the value and the fix', (root) => {
    let err: unknown;
    try {
      openStorage(root, {}, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).exitCode).toBe(2);
    expect((err as PipelineError).message).toContain(`"${root}"`);
    expect((err as PipelineError).fix).toMatch(/s3:\/\/<bucket>/);
  });

  test('a relative path resolves against the working directory; absolute paths and file:// URIs are kept', async () => {
    expect(openStorage('data/lake', {}, env)).toBeInstanceOf(LocalStorage);
    expect(openStorage('data/lake', {}, env).rootUri).toBe(path.resolve(process.cwd(), 'data/lake'));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lake-open-test-'));
    try {
      expect(openStorage(dir, {}, env).rootUri).toBe(dir);
      const viaUri = openStorage(pathToFileURL(path.join(dir, 'with space')).href, {}, env);
      expect(viaUri.rootUri).toBe(path.join(dir, 'with space'));
      await viaUri.ensureRoot();
      await viaUri.putBytes('a/b.txt', 'hi');
      expect(await readFile(path.join(dir, 'with space', 'a', 'b.txt'), 'utf8')).toBe('hi');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
