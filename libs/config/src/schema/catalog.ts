import { z } from 'zod';
import { bool, num } from './primitives';

export const catalogDatasetSchema = z.strictObject({
  description: z.string().optional().describe('What the dataset holds, in a sentence or two'),
  owner: z.string().optional().describe('Who answers for it (a team or a person); default catalog.owner'),
  columns: z.record(z.string(), z.string()).default({}).describe('Column name -> what the column means'),
});

export const catalogSchema = z.strictObject({
  enabled: bool().default(false).describe('Run the catalog step after load_warehouse in the DAG, writing _catalog/index.html to the lake'),
  owner: z.string().default('data team').describe('Owner shown for every dataset that names none'),
  history_days: num().int().min(1).max(366).default(30).describe('Days of row counts, freshness and quality shown per dataset'),
  datasets: z
    .record(z.string(), catalogDatasetSchema)
    .default({})
    .describe('Descriptions by entity or table name (customers, fact_sales: every zone of it) or by dataset path (processed/masked/customers: that one)'),
});
