/** Jest globalTeardown: stops the MinIO container that tests/global-setup.js started, if it started one. */
'use strict';

module.exports = async function globalTeardown() {
  const minio = globalThis.__LAKE_TEST_MINIO__;
  if (minio) {
    delete globalThis.__LAKE_TEST_MINIO__;
    await minio.stop();
  }
};
