import { z } from 'zod';
import { identifier } from './primitives';

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
