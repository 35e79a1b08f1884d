import { compareWarehouseModels, warehouseTablesOf, WAREHOUSE_MODEL_KEY, type PipelineConfig, type RecordedWarehouseModel } from '@salesflow/config';
import { ExitCode, PipelineError } from '@salesflow/errors';
import { S3Storage, type Lake } from '@salesflow/lake';
import type { StepContext, StepDefinition, StepResult } from '@salesflow/step';
import { RETENTION_ZONES, expiredKeys } from './expired-partitions';

/** Marker describing the lake layout, written at the root so a person browsing the bucket knows what it is. */
const LAYOUT_KEY = '_lake.json';

/**
 * Creates the lake root (bucket or folder) and its zones. On S3 it sets lifecycle rules from
 * lake.retention_days and default encryption; on a local lake it deletes expired partitions itself.
 */
export async function runSetup(ctx: StepContext): Promise<StepResult> {
  const { lake, config, ds, log } = ctx;
  const storage = lake.storage;
  await storage.ensureRoot();
  await checkWarehouseModel(lake, config);
  const retention = config.lake.retention_days;
  await lake.writeJson(LAYOUT_KEY, {
    layout: 'salesflow/1',
    zones: { raw: 'raw/<kind>/<source>/<entity>/dt=<ds>/', processed: 'processed/<entity>/dt=<ds>/', curated: 'curated/<table>/dt=<ds>/' },
    retention_days: retention,
  });
  let deleted = 0;
  if (storage instanceof S3Storage) {
    await storage.applyLifecycle(Object.entries(RETENTION_ZONES).map(([zone, prefix]) => ({ prefix, days: retention[zone as keyof typeof RETENTION_ZONES] })));
    if (config.lake.s3.server_side_encryption !== 'none') await storage.applyDefaultEncryption();
    log.info('bucket lifecycle rules and default encryption applied', { retention });
  } else {
    for (const [zone, prefix] of Object.entries(RETENTION_ZONES)) {
      const keys = (await storage.list(prefix)).map((o) => o.key);
      // Manifests go first so a partition disappears as a whole before its files do.
      const expired = expiredKeys(keys, ds, retention[zone as keyof typeof RETENTION_ZONES]);
      if (expired.length) {
        await storage.deleteMany(expired.filter((k) => k.endsWith('_manifest.json')));
        await storage.deleteMany(expired.filter((k) => !k.endsWith('_manifest.json')));
        log.info(`retention: removed ${expired.length} files older than ${retention[zone as keyof typeof RETENTION_ZONES]} days from ${zone}`);
        deleted += expired.length;
      }
    }
  }
  return { rowsIn: 0, rowsOut: 0, inputs: [], outputs: [{ uri: storage.rootUri, rows: 0 }], metrics: { expired_files_deleted: deleted } };
}

/**
 * Fails with exit 2, before any step of the run moves data, when the config's star schema changes
 * the warehouse in a way load-warehouse cannot make safely (a type's kind or a decimal's scale, a
 * required column on loaded tables), comparing it with the model the last load recorded in the
 * lake. No warehouse connection is needed here; load-warehouse checks the warehouse itself again.
 */
async function checkWarehouseModel(lake: Lake, config: PipelineConfig): Promise<void> {
  const recorded = await lake.readJson<RecordedWarehouseModel>(WAREHOUSE_MODEL_KEY);
  if (!recorded || recorded.client !== config.warehouse.client) return;
  const { problems } = compareWarehouseModels(recorded.tables, warehouseTablesOf(config));
  if (!problems.length) return;
  throw new PipelineError(`The star_schema of the config changes the ${recorded.client} warehouse loaded for ${recorded.ds} in ways that cannot be made safely: ${problems.join('; ')}`, {
    exitCode: ExitCode.usage,
    context: { warehouse: recorded.client, last_load: recorded.ds },
    fix: 'see each problem above; `npm run warehouse:ddl -- --config <file>` prints the DDL the config gives',
  });
}

export const setupStep: StepDefinition = {
  name: 'setup',
  description: 'Creates the lake (bucket or folder), its zones, retention (S3 lifecycle rules or local clean-up) and default encryption.',
  run: runSetup,
};
