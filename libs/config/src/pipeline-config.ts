import { z } from 'zod';
import { identifier } from './schema/primitives';
import { lakeSchema } from './schema/lake';
import { sourceSchema, filesSourceSchema, fileEntitySchema, databaseSourceSchema, databaseEntitySchema, apiSourceSchema, apiEntitySchema, kafkaSourceSchema, kafkaEntitySchema } from './schema/sources';
import { standardizeSchema, standardizeEntitySchema, columnSpecSchema } from './schema/standardize';
import { maskSchema, maskRuleSchema } from './schema/mask';
import { starSchemaSchema, dimensionSchema } from './schema/star-schema';
import { qualityCheckSchema, qualitySchema } from './schema/quality';
import { lineageSchema } from './schema/lineage';
import { warehouseSchema } from './schema/warehouse';
import { catalogSchema } from './schema/catalog';

// One file per section under schema/, so each part of the pipeline owns its own configuration.
export * from './schema/lake';
export * from './schema/sources';
export * from './schema/standardize';
export * from './schema/mask';
export * from './schema/star-schema';
export * from './schema/quality';
export * from './schema/warehouse';
export * from './schema/lineage';
export * from './schema/tls';
export * from './schema/catalog';

export const pipelineConfigSchema = z.strictObject({
  pipeline: z
    .strictObject({ name: identifier().default('salesflow').describe('Pipeline name, used as the lineage namespace') })
    .default({ name: 'salesflow' })
    .describe('Pipeline identity'),
  lake: lakeSchema.describe('Where the lake lives'),
  sources: z.array(sourceSchema).min(1).describe('Where data comes from'),
  standardize: standardizeSchema.describe('The processed zone'),
  mask: maskSchema.describe('Masking of personal data'),
  star_schema: starSchemaSchema.describe('The curated zone'),
  quality: qualitySchema.describe('Data quality'),
  warehouse: warehouseSchema.describe('The warehouse the curated zone is loaded into'),
  lineage: lineageSchema.default({ enabled: true, endpoint: 'api/v1/lineage', timeout_ms: 5000 }).describe('OpenLineage events of every step run'),
  catalog: catalogSchema.default({ enabled: false, owner: 'data team', history_days: 30, datasets: {} }).describe('The static data catalog (npm run catalog, and the catalog step)'),
});

/** The validated configuration every step receives (frozen). */
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
export type LakeConfig = PipelineConfig['lake'];
export type SourceConfig = PipelineConfig['sources'][number];
export type FilesSourceConfig = z.infer<typeof filesSourceSchema>;
export type FileEntityConfig = z.infer<typeof fileEntitySchema>;
export type DatabaseSourceConfig = z.infer<typeof databaseSourceSchema>;
export type DatabaseEntityConfig = z.infer<typeof databaseEntitySchema>;
export type ApiSourceConfig = z.infer<typeof apiSourceSchema>;
export type ApiEntityConfig = z.infer<typeof apiEntitySchema>;
export type KafkaSourceConfig = z.infer<typeof kafkaSourceSchema>;
export type KafkaEntityConfig = z.infer<typeof kafkaEntitySchema>;
export type StandardizeConfig = PipelineConfig['standardize'];
export type StandardizeEntityConfig = z.infer<typeof standardizeEntitySchema>;
export type ColumnSpecConfig = z.infer<typeof columnSpecSchema>;
export type MaskConfig = PipelineConfig['mask'];
export type MaskRuleConfig = z.infer<typeof maskRuleSchema>;
export type StarSchemaConfig = PipelineConfig['star_schema'];
export type DimensionConfig = z.infer<typeof dimensionSchema>;
/** The surrogate key column of a dimension: configured, or dim_customer -> customer_key. */
export function surrogateKeyOf(table: string, dim?: Pick<DimensionConfig, 'surrogate_key'>): string {
  return dim?.surrogate_key ?? `${table.replace(/^dim_/, '')}_key`;
}
export type QualityCheckConfig = z.infer<typeof qualityCheckSchema>;
export type WarehouseConfig = PipelineConfig['warehouse'];
export type QualityConfig = PipelineConfig['quality'];
export type LineageConfig = PipelineConfig['lineage'];
export type CatalogConfig = PipelineConfig['catalog'];
