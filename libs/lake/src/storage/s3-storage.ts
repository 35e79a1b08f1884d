import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
  type S3ClientConfig,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ExitCode, LakeObjectNotFoundError, PipelineError } from '@salesflow/errors';
import type { ObjectInfo, Storage, VersionedObject } from '../storage';
import { resumeObjectBody } from './resume-object-body';

/** Multipart part size: 8 MiB parts keep memory at queueSize × 8 MiB while allowing objects up to 80 GB (10,000 parts). */
const PART_SIZE = 8 * 1024 * 1024;
/** Parts uploaded at once; 2 keeps a step's memory flat on the 2-core machines we run on. */
const QUEUE_SIZE = 2;
/** The largest object one CopyObject copies; beyond it, copy() streams the object through. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
/**
 * Tries per request when the caller sets none. With 10% of requests failing, the SDK's default of 3
 * loses one request in a thousand for good (a step makes hundreds); 6 loses one in a million. The
 * SDK's retry quota still stops a storm of retries against a server that is down.
 */
export const DEFAULT_S3_MAX_ATTEMPTS = 6;
/** DeleteObjects accepts at most 1000 keys per request. */
const DELETE_BATCH = 1000;

/** How to reach one bucket (and prefix) that holds the lake. */
export interface S3StorageOptions {
  /** Bucket name, e.g. "salesflow-lake". */
  readonly bucket: string;
  /** Key prefix inside the bucket without leading or trailing "/", e.g. "prod"; "" for the whole bucket. */
  readonly prefix: string;
  /** S3-compatible endpoint such as "http://127.0.0.1:5000"; unset for AWS. */
  readonly endpoint?: string;
  /** AWS region; defaults to us-east-1. */
  readonly region?: string;
  /** Address buckets as endpoint/bucket rather than bucket.endpoint; needed by most local servers. */
  readonly forcePathStyle?: boolean;
  /** Server-side encryption to request on every write; unset leaves it to the bucket default. */
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | undefined;
  /** KMS key id or ARN for serverSideEncryption 'aws:kms'; unset uses the account's aws/s3 key. */
  readonly kmsKeyId?: string;
  /** Explicit credentials; unset uses the SDK's default chain (env, profile, role). */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Tries per request (first try plus retries with backoff) on 5xx, throttling and network errors; default DEFAULT_S3_MAX_ATTEMPTS. */
  readonly maxAttempts?: number;
}

/** One lifecycle rule: objects under `prefix` (relative to the lake root) expire after `days`. */
export interface LakeLifecycleRule {
  readonly prefix: string;
  readonly days: number;
}

/**
 * The lake in an S3 bucket, below an optional prefix. Single PUTs are atomic in S3 and multipart
 * uploads only become visible on completion, which gives the Storage atomicity promise for free.
 */
export class S3Storage implements Storage {
  readonly rootUri: string;
  /** The bucket holding the lake. */
  readonly bucket: string;
  /** The key prefix of the lake root inside the bucket, "" for the bucket root. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly region: string;
  private readonly maxAttempts: number;
  private readonly encryption: { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string };

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.rootUri = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.region = options.region ?? 'us-east-1';
    this.maxAttempts = options.maxAttempts ?? DEFAULT_S3_MAX_ATTEMPTS;
    this.client = new S3Client({
      region: this.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: this.maxAttempts,
      // The SDK's default aws-chunked checksum framing was stored verbatim inside objects by an
      // S3-compatible server, silently corrupting them (FINDINGS.md); AWS itself needs no change.
      ...(options.endpoint
        ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
        : {}),
    });
    if (options.endpoint) useContentMd5(this.client);
    this.encryption = options.serverSideEncryption
      ? {
          ServerSideEncryption: options.serverSideEncryption,
          ...(options.serverSideEncryption === 'aws:kms' && options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
        }
      : {};
  }

  uriOf(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async putBytes(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    await this.call('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body, ContentType: contentType, ...this.encryption }),
      ),
    );
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array> | Readable, contentType?: string): Promise<number> {
    let written = 0;
    let sourceFailed: { error: unknown } | undefined;
    async function* count(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          written += bytes.byteLength;
          yield bytes;
        }
      } catch (error) {
        sourceFailed = { error };
        throw error;
      }
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: Readable.from(count(body)), ContentType: contentType, ...this.encryption },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // On failure Upload aborts the multipart upload, so no invisible parts keep costing storage.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // A failing source is the caller's error, not an S3 one; report it unchanged.
      if (sourceFailed) throw sourceFailed.error;
      throw this.wrap('Upload', key, err);
    }
    return written;
  }

  async copy(fromKey: string, toKey: string): Promise<number> {
    const source = await this.stat(fromKey);
    if (!source) throw new LakeObjectNotFoundError(this.uriOf(fromKey));
    if (source.size > MAX_COPY_BYTES) return this.putStream(toKey, await this.getStream(fromKey));
    const copySource = `${this.bucket}/${this.objectKey(fromKey).split('/').map(encodeURIComponent).join('/')}`;
    await this.call(
      'CopyObject',
      fromKey,
      () => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.objectKey(toKey), CopySource: copySource, ...this.encryption })),
      true,
    );
    return source.size;
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    try {
      const out = await this.call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })), true);
      const bytes = await out.Body!.transformToByteArray();
      if (!out.ETag) throw new PipelineError(`S3 answered no ETag for ${this.uriOf(key)}`, { fix: 'use an S3 server that returns ETags; conditional writes need them' });
      return { bytes, version: out.ETag };
    } catch (err) {
      if (err instanceof LakeObjectNotFoundError) return undefined;
      throw err;
    }
  }

  async putBytesIf(key: string, body: Uint8Array | string, version: string | undefined, contentType?: string): Promise<boolean> {
    const condition = version === undefined ? { IfNoneMatch: '*' } : { IfMatch: version };
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body, ContentType: contentType, ...this.encryption, ...condition }));
      return true;
    } catch (err) {
      // 412: the object changed (or exists); 409: a concurrent conditional write won the race; 404: If-Match on an object deleted since.
      const status = httpStatus(err);
      if (status === 412 || status === 409 || (status === 404 && version !== undefined) || errorName(err) === 'PreconditionFailed' || errorName(err) === 'ConditionalRequestConflict') return false;
      throw this.wrap('PutObject', key, err);
    }
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const body = await this.getStream(key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof LakeObjectNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * The object's bytes. The SDK retries a GET only until its headers arrive; a connection dropped
   * mid-body is resumed here with a ranged GET from the bytes already received, pinned to the
   * first answer's ETag (If-Match) so a replaced object fails instead of mixing two versions.
   * Resumes share the lake.s3.max_attempts budget with the first GET.
   */
  async getStream(key: string): Promise<Readable> {
    const out = await this.call(
      'GetObject',
      key,
      () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
      true,
    );
    const body = this.readableBody(key, out.Body);
    const etag = out.ETag;
    const uri = this.uriOf(key);
    const fetchFrom = async (offset: number): Promise<Readable> => {
      const range = await this.call(
        'GetObject',
        key,
        () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: `bytes=${offset}-`, IfMatch: etag })),
        true,
      ).catch((err: unknown) => {
        if (err instanceof LakeObjectNotFoundError || /PreconditionFailed|HTTP 412/.test((err as Error).message)) throw this.changedWhileRead(uri, etag, offset);
        throw err;
      });
      const rangeBody = this.readableBody(key, range.Body);
      // A server that ignores Range sends the whole object again; appending it would corrupt the file.
      if (!range.ContentRange?.startsWith(`bytes ${offset}-`)) {
        rangeBody.destroy();
        throw new PipelineError(`S3 GetObject for ${uri} from byte ${offset} answered "${range.ContentRange ?? 'no Content-Range'}" instead of that range`, {
          context: { uri, op: 'GetObject' },
          fix: 'the S3 endpoint does not honour Range requests; use one that does (AWS, MinIO, moto) or retry the step',
        });
      }
      return rangeBody;
    };
    return Readable.from(resumeObjectBody({ uri, body, size: out.ContentLength, maxAttempts: this.maxAttempts, fetchFrom }), { objectMode: false });
  }

  private readableBody(key: string, body: unknown): Readable {
    if (!(body instanceof Readable)) {
      throw new PipelineError(`GetObject returned no readable body for ${this.uriOf(key)}`, { context: { uri: this.uriOf(key) } });
    }
    return body;
  }

  private changedWhileRead(uri: string, etag: string | undefined, offset: number): PipelineError {
    return new PipelineError(`S3 object ${uri} changed while it was being read: after ${offset} bytes of version ${etag ?? '(no ETag)'}, S3 no longer has that version`, {
      // A writer replaced it (a re-run of the same ds, most likely); reading again reads the new one whole.
      exitCode: ExitCode.failed,
      context: { uri, op: 'GetObject' },
      fix: 'retry the step; if it keeps happening, make sure no other run writes the same partition at the same time',
    });
  }

  async openLocal(key: string): Promise<{ readonly path: string; release(): Promise<void> }> {
    const body = await this.getStream(key);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'salesflow-lake-'));
    // Keep the base name so readers that sniff the extension (".parquet") still work.
    const file = path.join(dir, path.posix.basename(key));
    const release = () => rm(dir, { recursive: true, force: true });
    try {
      await pipeline(body, createWriteStream(file));
    } catch (err) {
      await release();
      throw this.wrap('GetObject', key, err);
    }
    return Object.freeze({ path: file, release });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.call(
        'HeadObject',
        key,
        () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
        true,
      );
      return Object.freeze({ key, size: out.ContentLength ?? 0, modified: out.LastModified ?? new Date(0) });
    } catch (err) {
      if (err instanceof LakeObjectNotFoundError) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const root = this.prefix ? `${this.prefix}/` : '';
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) {
        // Keys ending in "/" are folder markers made by consoles, not lake objects.
        if (!o.Key || o.Key.endsWith('/')) continue;
        found.push(Object.freeze({ key: o.Key.slice(root.length), size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) }));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 already returns UTF-8 binary order; sorting again guards against servers that do not.
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const out = await this.call('DeleteObjects', batch[0], () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
          }),
        ),
      );
      // DeleteObjects answers 200 even when single keys fail; missing keys are not failures in S3.
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new PipelineError(
          `DeleteObjects failed for ${failed.length} of ${batch.length} keys in s3://${this.bucket}, first s3://${this.bucket}/${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
          { context: { uri: `s3://${this.bucket}/${first.Key}`, op: 'DeleteObjects' } },
        );
      }
    }
  }

  async ensureRoot(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (httpStatus(err) !== 404 && errorName(err) !== 'NotFound' && errorName(err) !== 'NoSuchBucket') {
        throw this.wrap('HeadBucket', undefined, err);
      }
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the one region that rejects an explicit location constraint.
          ...(this.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      // Another step of the same run may have created it between our HEAD and CREATE.
      if (errorName(err) !== 'BucketAlreadyOwnedByYou') throw this.wrap('CreateBucket', undefined, err);
    }
  }

  /**
   * Replaces the bucket's lifecycle configuration with one expiration rule per zone prefix
   * (prefixes are relative to the lake root). An empty list removes the configuration, because
   * S3 rejects a configuration without rules. Other lifecycle rules on the bucket are replaced too.
   */
  async applyLifecycle(rules: readonly LakeLifecycleRule[]): Promise<void> {
    for (const r of rules) {
      if (!Number.isInteger(r.days) || r.days < 1) {
        throw new PipelineError(`Lifecycle rule for "${r.prefix}" has days=${r.days}; S3 needs a whole number of days >= 1`, {
          exitCode: ExitCode.usage,
          context: { prefix: r.prefix },
          fix: 'set the retention days of that zone to a positive integer',
        });
      }
    }
    if (rules.length === 0) {
      await this.call('DeleteBucketLifecycle', undefined, () => this.client.send(new DeleteBucketLifecycleCommand({ Bucket: this.bucket })));
      return;
    }
    const root = this.prefix ? `${this.prefix}/` : '';
    await this.call('PutBucketLifecycleConfiguration', undefined, () =>
      this.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.bucket,
          LifecycleConfiguration: {
            Rules: rules.map((r) => ({
              // IDs must be unique and at most 255 characters.
              ID: `salesflow-expire-${root}${r.prefix}`.slice(0, 255),
              Status: 'Enabled',
              Filter: { Prefix: root + r.prefix },
              Expiration: { Days: r.days },
              // Parts of uploads that a killed step never finished would otherwise be billed forever.
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            })),
          },
        }),
      ),
    );
  }

  /**
   * Sets the bucket's default encryption so objects written by anything else are encrypted too:
   * SSE-S3 (AES256), or SSE-KMS with the configured key when this storage writes with 'aws:kms'.
   */
  async applyDefaultEncryption(): Promise<void> {
    const kms = this.encryption.ServerSideEncryption === 'aws:kms';
    await this.call('PutBucketEncryption', undefined, () =>
      this.client.send(
        new PutBucketEncryptionCommand({
          Bucket: this.bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: kms
                  ? { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: this.encryption.SSEKMSKeyId }
                  : { SSEAlgorithm: 'AES256' },
              },
            ],
          },
        }),
      ),
    );
  }

  private objectKey(key: string): string {
    if (key === '' || key.startsWith('/')) {
      throw new PipelineError(`Invalid lake key "${key}": keys are relative paths like "raw/x/part-0.parquet"`, { context: { key } });
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Runs one SDK call and turns its failure into a PipelineError; `notFound` maps a 404 to LakeObjectNotFoundError. */
  private async call<T>(op: string, key: string | undefined, run: () => Promise<T>, notFound = false): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (notFound && key !== undefined && (errorName(err) === 'NoSuchKey' || errorName(err) === 'NotFound' || httpStatus(err) === 404)) {
        // A missing bucket is a setup problem, not a missing object.
        if (errorName(err) !== 'NoSuchBucket') throw new LakeObjectNotFoundError(this.uriOf(key));
      }
      throw this.wrap(op, key, err);
    }
  }

  /**
   * Describes an SDK failure by operation, URI, error code and HTTP status only. The SDK's own error
   * object can carry request details (signatures, access key ids), so it is not kept as the cause.
   */
  private wrap(op: string, key: string | undefined, err: unknown): PipelineError {
    if (err instanceof PipelineError) return err;
    // Not uriOf(): the key may be a list prefix such as "", which uriOf rightly rejects.
    const uri = key === undefined ? `s3://${this.bucket}` : `s3://${this.bucket}/${this.prefix ? `${this.prefix}/` : ''}${key}`;
    const name = errorName(err) ?? 'Error';
    const status = httpStatus(err);
    const message = err instanceof Error ? err.message : String(err);
    const auth = ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError', 'ExpiredToken', 'InvalidToken'];
    const config = auth.includes(name) || name === 'NoSuchBucket' || status === 403;
    const cause = new Error(message);
    cause.name = name;
    const attempts = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
    const tries = attempts && attempts > 1 ? ` after ${attempts} tries` : '';
    return new PipelineError(`S3 ${op} failed for ${uri}${tries}: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`, {
      // Access and missing-bucket problems need a person; anything else may be transient.
      exitCode: config ? ExitCode.usage : ExitCode.failed,
      context: { uri, op },
      fix:
        name === 'NoSuchBucket'
          ? `create the bucket ${this.bucket} (the setup step does) or correct the lake root`
          : config
            ? 'check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile or role), the region and the bucket policy; without s3:ListBucket, S3 answers 403 for missing objects too'
            : 'S3 or the network kept failing through the retries (lake.s3.max_attempts); nothing partial was committed, so retry the step once the endpoint answers',
      cause,
    });
  }
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * For the operations that must carry a checksum (DeleteObjects, PutBucketLifecycleConfiguration,
 * PutBucketEncryption) the SDK now sends CRC32 instead of Content-MD5, which many S3-compatible
 * servers (MinIO before 2025, Ceph, Oracle) reject with MissingContentMD5. AWS accepts either, so on
 * custom endpoints we swap it back, as the SDK's own MD5_FALLBACK note suggests.
 */
function useContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
      const headers = request?.headers;
      const body = request?.body;
      const names = headers ? Object.keys(headers).filter((h) => /^x-amz-(sdk-)?checksum-/i.test(h)) : [];
      if (headers && names.length > 0 && (typeof body === 'string' || body instanceof Uint8Array)) {
        for (const name of names) delete headers[name];
        headers['content-md5'] = createHash('md5').update(body).digest('base64');
      }
      return next(args);
    },
    // Low priority in the build step runs after the SDK's checksum middleware has added its headers, and before signing.
    { step: 'build', priority: 'low', name: 'salesflowContentMd5' },
  );
}
