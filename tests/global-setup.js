/**
 * Jest globalSetup: makes sure an S3-compatible server is there for the lake tests.
 *
 * - LAKE_TEST_S3_ENDPOINT already set (CI: .ci/run starts moto_server): nothing to do.
 * - Otherwise, when a Docker engine answers: starts MinIO through @testcontainers/minio and
 *   exports its endpoint and credentials; workers start after this and inherit process.env.
 *   tests/global-teardown.js stops it (testcontainers' reaper also removes it if jest dies).
 * - Otherwise: fails the run. S3 tests must never be skipped silently.
 */
'use strict';

/** Pinned so a MinIO release cannot change test behaviour under us; LAKE_TEST_MINIO_IMAGE overrides it. */
const MINIO_IMAGE = process.env.LAKE_TEST_MINIO_IMAGE || 'minio/minio:RELEASE.2025-04-22T22-12-26Z';

module.exports = async function globalSetup() {
  if (process.env.LAKE_TEST_S3_ENDPOINT) return;

  const { getContainerRuntimeClient } = require('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      'No S3 server for the tests: set LAKE_TEST_S3_ENDPOINT to an S3-compatible server ' +
        '(e.g. `moto_server -H 127.0.0.1 -p 5000`, then LAKE_TEST_S3_ENDPOINT=http://127.0.0.1:5000 ' +
        'AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test) or start Docker. ' +
        `Docker was not reachable: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  const { MinioContainer } = require('@testcontainers/minio');
  const { randomBytes } = require('node:crypto');
  const minio = await new MinioContainer(MINIO_IMAGE)
    // MinIO refuses server-side encryption (which the lake tests request) unless a KMS key is set.
    .withEnvironment({ MINIO_KMS_SECRET_KEY: `lake-test-key:${randomBytes(32).toString('base64')}` })
    .start();
  // Kept on globalThis because globalTeardown runs in this same process and can read it there.
  globalThis.__LAKE_TEST_MINIO__ = minio;
  process.env.LAKE_TEST_S3_ENDPOINT = minio.getConnectionUrl();
  process.env.AWS_ACCESS_KEY_ID = minio.getUsername();
  process.env.AWS_SECRET_ACCESS_KEY = minio.getPassword();
  process.env.AWS_REGION = 'us-east-1';
};
