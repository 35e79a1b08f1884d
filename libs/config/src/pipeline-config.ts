import { z } from 'zod';

// Every field carries a one-line description: it is the reference documentation of the YAML.
const num = () => z.coerce.number();
const bool = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const identifier = () =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, underscore; not starting with a digit)');

/** Column types a declared schema can cast to. */
export const COLUMN_TYPES = ['string', 'int', 'bigint', 'float', 'decimal', 'bool', 'date', 'timestamp'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const lakeSchema = z.strictObject({
  root: z.string().min(1).describe('Lake root: s3://bucket[/prefix], or a local folder for the embedded default'),
  s3: z
    .strictObject({
      endpoint: z.string().optional().describe('S3-compatible endpoint URL (MinIO, moto); empty for AWS S3'),
      region: z.string().default('us-east-1').describe('Bucket region'),
      force_path_style: bool().optional().describe('Path-style addressing; defaults to true when an endpoint is set'),
      server_side_encryption: z.enum(['AES256', 'aws:kms', 'none']).default('AES256').describe('Encryption asked for on every write'),
      kms_key_id: z.string().optional().describe('KMS key id when server_side_encryption is aws:kms'),
    })
    .default({ region: 'us-east-1', server_side_encryption: 'AES256' })
    .describe('S3 settings; credentials come from the standard AWS environment variables or an instance role'),
  retention_days: z
    .strictObject({
      raw: num().int().positive().default(90).describe('Days raw partitions are kept'),
      processed: num().int().positive().default(180).describe('Days processed partitions are kept'),
      curated: num().int().positive().default(365).describe('Days curated partitions are kept'),
    })
    .default({ raw: 90, processed: 180, curated: 365 })
    .describe('Retention per zone: S3 lifecycle rules, enforced by setup on a local lake'),
  row_group_size: num().int().min(1024).default(131072).describe('Rows per Parquet row group (bounds memory per batch)'),
});

const csvOptionsSchema = z.strictObject({
  delimiter: z.string().min(1).default(',').describe('Field delimiter'),
  quote: z.string().length(1).default('"').describe('Quote character'),
  header: bool().default(true).describe('First line holds the column names'),
  encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8').describe('Text encoding of the file'),
});

export const fileEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/files/<source>/<entity>/dt=<ds>/'),
  pattern: z.string().min(1).describe('Glob of the files below the source path, e.g. "sales_*.csv" or "sales_{ds_nodash}*.csv"'),
  format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional().describe('File format; guessed from the extension when absent'),
  csv: csvOptionsSchema.default({ delimiter: ',', quote: '"', header: true, encoding: 'utf8' }).describe('CSV parsing options'),
  required: bool().default(true).describe('Fail (exit 4) when no file matches; otherwise the entity is skipped'),
});

export const filesSourceSchema = z.strictObject({
  name: identifier().describe('Source name, used in lake paths and as --source'),
  kind: z.literal('files').describe('Source kind'),
  path: z.string().min(1).describe('Landing folder or s3://bucket/prefix the patterns are matched under; {ds}, {ds_nodash}, {yyyy}, {mm}, {dd} are filled with the run\'s date'),
  entities: z.array(fileEntitySchema).min(1).describe('What to ingest from this source'),
});

export const sourceSchema = z.discriminatedUnion('kind', [filesSourceSchema]);

export const columnSpecSchema = z.strictObject({
  type: z.enum(COLUMN_TYPES).describe(`Target type: ${COLUMN_TYPES.join(', ')}`),
  from: z.string().optional().describe('Source column name when it differs (matched after snake_casing)'),
  required: bool().default(false).describe('A null or empty value rejects the row'),
  scale: num().int().min(0).max(9).default(2).describe('Digits after the point for decimal'),
});

export const standardizeEntitySchema = z.strictObject({
  source: identifier().describe('Name of the source that lands this entity in raw'),
  key: z.array(identifier()).min(1).describe('Business key; duplicates on it are dropped (first occurrence kept)'),
  columns: z.record(identifier(), columnSpecSchema).describe('Declared schema: target column name to type; other columns are dropped'),
});

export const standardizeSchema = z.strictObject({
  reject_tolerance: num().min(0).max(1).default(0.05).describe('Fraction of rejected rows above which the step fails with exit 4'),
  entities: z.record(identifier(), standardizeEntitySchema).describe('Entities to standardize, by entity name'),
});

export const maskRuleSchema = z.strictObject({
  method: z.enum(['hmac', 'pattern', 'email', 'tokenize', 'redact']).describe('hmac: keyed HMAC-SHA256; pattern: keep last digits; email: keep the domain; tokenize: deterministic token; redact: null'),
  pattern: z.string().optional().describe('For method pattern: X marks a hidden digit, # a kept one, e.g. XXX-XXX-####'),
});

export const maskSchema = z.strictObject({
  hmac_key: z.string().min(16, 'must be at least 16 characters').describe('Secret key for HMAC and tokens; give it as ${MASK_HMAC_KEY}'),
  key_id: z.string().default('v1').describe('Version of hmac_key, recorded in the output so keys can rotate'),
  entities: z.record(identifier(), z.record(identifier(), maskRuleSchema)).describe('Per entity, per column: the masking rule'),
});

export const dimensionSchema = z.strictObject({
  source: identifier().describe('Masked entity the dimension is built from'),
  natural_key: identifier().describe('Column identifying a member'),
  surrogate_key: identifier().optional().describe('Surrogate key column; default <name without dim_>_key, e.g. customer_key'),
  attributes: z.array(identifier()).min(1).describe('Columns copied into the dimension'),
});

export const factLookupSchema = z.strictObject({
  column: identifier().describe('Fact source column holding the natural key'),
  dimension: identifier().describe("Dimension to look the key up in; the fact gets that dimension's surrogate key column"),
});

export const starSchemaSchema = z.strictObject({
  dimensions: z.record(identifier(), dimensionSchema).describe('Dimensions by table name (dim_date is generated)'),
  fact: z
    .strictObject({
      table: identifier().default('fact_sales').describe('Fact table name'),
      source: identifier().describe('Masked entity the fact is built from'),
      grain: z.array(identifier()).min(1).describe('Columns that identify one fact row'),
      date_column: identifier().describe('Timestamp column giving date_key (YYYYMMDD)'),
      measures: z.array(identifier()).min(1).describe('Numeric columns copied into the fact'),
      lookups: z.array(factLookupSchema).describe('Fact column to dimension natural key'),
    })
    .describe('The fact table'),
});

export const qualityCheckSchema = z.strictObject({
  table: identifier().describe('Curated table the check reads'),
  check: z.enum(['not_null', 'unique', 'relationships', 'row_count']).describe('Kind of check'),
  columns: z.array(identifier()).default([]).describe('Columns checked (unique: together)'),
  references: z
    .strictObject({ table: identifier(), column: identifier() })
    .optional()
    .describe('For relationships: the dimension table and key every value must exist in'),
  min: num().int().min(0).optional().describe('For row_count: fewest rows allowed'),
  max: num().int().min(0).optional().describe('For row_count: most rows allowed'),
  severity: z.enum(['error', 'warn']).default('error').describe('error stops the load (exit 3); warn only reports'),
});

export const warehouseSchema = z.strictObject({
  client: z.enum(['sqlite', 'postgres', 'mysql']).describe('Warehouse engine'),
  sqlite: z.strictObject({ filename: z.string().min(1).describe('SQLite database file') }).optional().describe('For client sqlite'),
  connection: z
    .strictObject({
      host: z.string().describe('Server host'),
      port: num().int().optional().describe('Server port'),
      user: z.string().describe('User name'),
      password: z.string().optional().describe('Password; give it as ${NAME}'),
      database: z.string().describe('Database name'),
    })
    .optional()
    .describe('For client postgres or mysql'),
  batch_size: num().int().min(1).default(500).describe('Rows per INSERT statement'),
});

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
  quality: z.strictObject({ checks: z.array(qualityCheckSchema).default([]).describe('Checks on curated tables') }).describe('Data quality'),
  warehouse: warehouseSchema.describe('The warehouse the curated zone is loaded into'),
});

/** The validated configuration every step receives (frozen). */
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
export type LakeConfig = PipelineConfig['lake'];
export type SourceConfig = PipelineConfig['sources'][number];
export type FilesSourceConfig = z.infer<typeof filesSourceSchema>;
export type FileEntityConfig = z.infer<typeof fileEntitySchema>;
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
