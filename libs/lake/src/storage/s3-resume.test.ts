/**
 * Reads that lose their connection mid-body: S3Storage against the S3 test server
 * (LAKE_TEST_S3_ENDPOINT) behind the fault proxy of tests/faults/kit, which lets GETs of objects
 * through but drops the connection after half of the body.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '@salesflow/errors';
import { startS3FaultProxy, type S3FaultProxy, type S3FaultProxyOptions } from '../../../../tests/faults/kit/s3-fault-proxy';
import { S3Storage } from './s3-storage';

const endpoint = process.env.LAKE_TEST_S3_ENDPOINT;
if (!endpoint) throw new Error('LAKE_TEST_S3_ENDPOINT is not set: start an S3-compatible server (e.g. `moto_server -H 127.0.0.1 -p 5000`)');
const bucket = `lake-resume-${randomBytes(4).toString('hex')}`;
const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const object = randomBytes(3 * 1024 * 1024 + 17);

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/big.bin', Body: object }));
});
afterAll(() => client.destroy());

async function behindProxy<T>(opts: Omit<S3FaultProxyOptions, 'target' | 'kinds'>, run: (s: S3Storage, proxy: S3FaultProxy) => Promise<T>, maxAttempts = 6): Promise<T> {
  const proxy = await startS3FaultProxy({ target: endpoint!, kinds: ['DropMidDownload'], ...opts });
  try {
    return await run(new S3Storage({ bucket, prefix: 'p', endpoint: proxy.endpoint, forcePathStyle: true, maxAttempts }), proxy);
  } finally {
    await proxy.close();
  }
}

it('resumes a download cut mid-body from the byte it reached, getting the exact bytes (getBytes and openLocal)', async () => {
  await behindProxy({ failureRate: 0.3, seed: 1 }, async (s3, proxy) => {
    for (let i = 0; i < 6; i++) {
      expect(Buffer.compare(Buffer.from((await s3.getBytes('big.bin'))!), object)).toBe(0);
      const local = await s3.openLocal('big.bin');
      try {
        expect(Buffer.compare(await readFile(local.path), object)).toBe(0);
      } finally {
        await local.release();
      }
    }
    expect(proxy.stats.faults.DropMidDownload).toBeGreaterThan(3);
    // One ranged GET per cut, not a download started over.
    expect(proxy.stats.requests).toBe(12 + proxy.stats.faults.DropMidDownload);
  });
});

it('fails with a retryable error naming the object, the tries and the bytes reached when every try is cut', async () => {
  const t0 = Date.now();
  await behindProxy({ failureRate: 1, seed: 1 }, async (s3, proxy) => {
    const err = (await s3.getBytes('big.bin').catch((e: unknown) => e)) as PipelineError;
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.retryable).toBe(true);
    expect(err.describe()).toMatch(
      new RegExp(`^S3 GetObject failed for s3://${bucket}/p/big\\.bin after 6 tries: the connection dropped mid-body, last after \\d+ of ${object.length} bytes .*Fix: .*retry the step`),
    );
    expect(proxy.stats.requests).toBe(6);
    expect(proxy.stats.faults.DropMidDownload).toBe(6);
  });
  expect(Date.now() - t0).toBeLessThan(20_000);
});

it('fails instead of mixing versions when the object is replaced between the cut and the resume', async () => {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/changing.bin', Body: object }));
  const replace = async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/changing.bin', Body: randomBytes(object.length) }));
  };
  await behindProxy({ failureRate: 1, seed: 1, onDropMidDownload: replace }, async (s3, proxy) => {
    const err = (await s3.getBytes('changing.bin').catch((e: unknown) => e)) as PipelineError;
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.retryable).toBe(true);
    expect(err.describe()).toMatch(new RegExp(`S3 object s3://${bucket}/p/changing\\.bin changed while it was being read: after \\d+ bytes of version "\\w+".*Fix: retry the step`));
    // The first GET and one ranged GET that S3 refused (If-Match): no bytes of the new version were read.
    expect(proxy.stats.requests).toBe(2);
  });
});
