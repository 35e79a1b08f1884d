import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, PipelineError } from '@salesflow/errors';
import type { Storage } from '../storage';
import { LocalStorage } from './local-storage';
import { S3Storage } from './s3-storage';

/** S3 settings for openStorage; each one left unset falls back to the environment, then to a default. */
export interface OpenStorageS3Options {
  /** S3-compatible endpoint; default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS itself. */
  readonly endpoint?: string;
  /** Region; default AWS_REGION, then us-east-1. */
  readonly region?: string;
  /** Path-style addressing; default true when an endpoint is set (local servers rarely have per-bucket DNS). */
  readonly forcePathStyle?: boolean;
  /** Server-side encryption requested on every write; 'none' or unset leaves it to the bucket default. */
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | 'none';
  /** KMS key id or ARN when serverSideEncryption is 'aws:kms'. */
  readonly kmsKeyId?: string;
  /** Tries per request before failing; default AWS_MAX_ATTEMPTS, then DEFAULT_S3_MAX_ATTEMPTS. */
  readonly maxAttempts?: number;
}

/** The rules S3 puts on bucket names: 3-63 characters of lower-case letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Opens the lake at `root`: "s3://bucket[/prefix]" gives an S3Storage; a folder path (relative ones
 * resolve against the working directory) or a file:// URI gives a LocalStorage. Throws a usage
 * PipelineError (exit code 2) for a malformed S3 URI or an unknown scheme. `env` is a parameter so
 * tests need not touch process.env.
 */
export function openStorage(root: string, s3: OpenStorageS3Options = {}, env: NodeJS.ProcessEnv = process.env): Storage {
  const value = root.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === 's3') return openS3(value, s3, env);
  if (scheme === 'file') {
    try {
      return new LocalStorage(fileURLToPath(value));
    } catch (err) {
      throw usage(root, `is not a valid file:// URI (${(err as Error).message})`, 'write it as file:///absolute/path or as a plain folder path', err);
    }
  }
  if (scheme !== undefined) {
    // Without this, "gs://x" would quietly become a folder named "gs:" below the working directory.
    throw usage(root, `uses the unsupported scheme "${scheme}://"`, 'use s3://<bucket>[/<prefix>], file:///<path> or a plain folder path');
  }
  if (value === '') throw usage(root, 'is empty', 'set the lake root to s3://<bucket>[/<prefix>] or a folder path');
  return new LocalStorage(path.resolve(process.cwd(), value));
}

function openS3(root: string, s3: OpenStorageS3Options, env: NodeJS.ProcessEnv): S3Storage {
  const rest = root.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  const fix = 'write the lake root as s3://<bucket>[/<prefix>], e.g. s3://salesflow-lake/prod';
  if (bucket === '') throw usage(root, 'names no bucket', fix);
  if (!BUCKET_NAME.test(bucket)) {
    throw usage(root, `has an invalid bucket name "${bucket}" (S3 allows 3-63 lower-case letters, digits, "." and "-")`, fix);
  }
  if (prefix !== '' && prefix.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw usage(root, `has an invalid prefix "${prefix}" (empty, "." or ".." segments)`, fix);
  }
  const endpoint = s3.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  return new S3Storage({
    bucket,
    prefix,
    endpoint,
    region: s3.region || env.AWS_REGION || 'us-east-1',
    forcePathStyle: s3.forcePathStyle ?? endpoint !== undefined,
    serverSideEncryption: s3.serverSideEncryption === 'none' ? undefined : s3.serverSideEncryption,
    kmsKeyId: s3.kmsKeyId,
    maxAttempts: s3.maxAttempts ?? (Number(env.AWS_MAX_ATTEMPTS) || undefined),
  });
}

function usage(root: string, problem: string, fix: string, cause?: unknown): PipelineError {
  return new PipelineError(`Lake root "${root}" ${problem}`, { exitCode: ExitCode.usage, context: { root }, fix, cause });
}
