import { z } from 'zod';
import { bool, num } from './primitives';

export const lineageSchema = z.strictObject({
  enabled: bool().default(true).describe('Emit OpenLineage START/COMPLETE/FAIL events from every step'),
  url: z
    .string()
    .url()
    .optional()
    .describe('OpenLineage HTTP endpoint base (Marquez: http://marquez:5000); empty: events are written to _lineage/ in the lake'),
  endpoint: z.string().default('api/v1/lineage').describe('Path below url the events are POSTed to (Marquez: api/v1/lineage)'),
  api_key: z.string().optional().describe('Bearer token for the endpoint, as ${NAME} (never in YAML)'),
  timeout_ms: num().int().positive().default(5000).describe('How long one POST may take; on failure the event goes to the lake file instead'),
});
