import type { ParquetThreadMode } from './encode-parquet';

/**
 * Declares a suite once per place Parquet can be encoded and decoded (the worker thread, the
 * calling thread), with LAKE_PARQUET_THREAD set for its tests and restored after: both must behave
 * the same.
 */
export function describeOnEachThread(body: (mode: ParquetThreadMode) => void): void {
  describe.each(['worker', 'inline'] as const)('on the %s thread', (mode) => {
    const before = process.env.LAKE_PARQUET_THREAD;
    beforeAll(() => (process.env.LAKE_PARQUET_THREAD = mode));
    afterAll(() => (before === undefined ? delete process.env.LAKE_PARQUET_THREAD : (process.env.LAKE_PARQUET_THREAD = before)));
    body(mode);
  });
}
