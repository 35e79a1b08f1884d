import { z } from 'zod';
import { bool, identifier } from './primitives';

const csvOptionsSchema = z.strictObject({
  delimiter: z.string().min(1).default(',').describe('Field delimiter'),
  quote: z.string().length(1).default('"').describe('Quote character'),
  header: bool().default(true).describe('First line holds the column names'),
  encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8').describe('Text encoding of the file'),
});

export const fileEntitySchema = z.strictObject({
  name: identifier().describe('Entity name; the raw partition is raw/files/<source>/<entity>/dt=<ds>/'),
  pattern: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p) && !p.split(/[\\/]/).includes('..'), {
      // A pattern that climbs out of the source path could read any file the step can (../../etc/passwd).
      message: 'must stay below the source path: no absolute path and no ".." segment; point the source path at the folder instead',
    })
    .describe('Glob of the files below the source path, e.g. "sales_*.csv" or "sales_{ds_nodash}*.csv"'),
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
