import { z } from 'zod';
import { identifier, num } from './primitives';

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
