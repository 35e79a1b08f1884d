import { z } from 'zod';
import { bool, identifier, num } from './primitives';

/** Column types a declared schema can cast to. */
export const COLUMN_TYPES = ['string', 'int', 'bigint', 'float', 'decimal', 'bool', 'date', 'timestamp'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

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
