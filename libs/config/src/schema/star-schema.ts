import { z } from 'zod';
import { identifier, num } from './primitives';

/** The history_start of a type 2 dimension that does not set one. */
export const DEFAULT_HISTORY_START = '1900-01-01';

function isCalendarDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const ms = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === iso && iso >= '1000-01-01' && iso < '9999-12-31';
}

export const dimensionSchema = z.strictObject({
  source: identifier().describe('Masked entity the dimension is built from'),
  natural_key: identifier().describe('Column identifying a member'),
  surrogate_key: identifier().optional().describe('Surrogate key column; default <name without dim_>_key, e.g. customer_key'),
  attributes: z.array(identifier()).min(1).describe('Columns copied into the dimension'),
  history: z
    .enum(['type1', 'type2'])
    .default('type1')
    .describe('type1: attributes overwritten, one row per member; type2: a change of a tracked attribute opens a new version (valid_from, valid_to, is_current)'),
  tracked: z
    .array(identifier())
    .optional()
    .describe('For type2: attributes whose change opens a new version (default: all); the others are overwritten on the version valid at ds'),
  indexes: z
    .array(z.array(identifier()).min(1))
    .optional()
    .describe('Extra warehouse indexes on the dimension, each a list of columns, e.g. [[category, subcategory]] for BI filters'),
  valid_from_column: identifier()
    .optional()
    .describe(
      "For type2: a date or timestamp column of the source (e.g. updated_at) giving the day each version starts; default the run's ds. Versions are ordered by it, so a backfill or a late row slots into its place",
    ),
  history_start: z
    .string()
    .refine(isCalendarDate, 'must be a date YYYY-MM-DD between 1000-01-01 and 9999-12-30')
    .nullable()
    .optional()
    .describe(
      `For type2: valid_from written on the first version of every member, so facts dated before it was first loaded join to it (default ${DEFAULT_HISTORY_START}); null writes each first version from the day it was first seen`,
    ),
  late_arriving: z
    .enum(['unknown', 'inferred'])
    .default('unknown')
    .describe('A fact whose member is not known yet: unknown points it at the unknown member -1; inferred adds the member (natural key only, is_inferred) and fills it in when it arrives'),
});

export const factLookupSchema = z.strictObject({
  column: identifier().describe('Fact source column holding the natural key'),
  dimension: identifier().describe("Dimension to look the key up in; the fact gets that dimension's surrogate key column (type2: the version valid at the fact's date)"),
});

export const derivedMeasureSchema = z.strictObject({
  name: identifier().describe('Fact column receiving the value; when the source has a column of that name, rows that disagree are counted (derived_mismatches)'),
  expression: z
    .string()
    .min(1)
    .describe('Arithmetic over fact source columns: + - * / ( ), numbers, round(x, digits), coalesce(a, b, ...); + - * and round are exact decimal (as SQL DECIMAL), / keeps 12 more places; a null operand, or a division by zero, gives null'),
  scale: num().int().min(0).max(9).default(2).describe('Digits after the point of the result (rounded half away from zero)'),
  precision: num().int().min(1).max(38).optional().describe('Total digits of the warehouse column (DECIMAL(precision, scale)); default 18'),
});

/** A day of the year every year ("12-25") or one date ("2026-11-26"). */
const holidaySchema = z.string().regex(/^(\d{4}-)?\d{2}-\d{2}$/, 'must be MM-DD (every year) or YYYY-MM-DD');

export const dimDateSchema = z.strictObject({
  holidays: z.array(holidaySchema).default([]).describe('Dates flagged is_holiday: MM-DD for every year, YYYY-MM-DD for one date'),
  fiscal_year_start_month: num()
    .int()
    .min(1)
    .max(12)
    .default(1)
    .describe('Month the fiscal year starts in; the fiscal year is named after the calendar year it ends in (start 7: July 2026 is FY2027 Q1)'),
});

export const starSchemaSchema = z.strictObject({
  dimensions: z.record(identifier(), dimensionSchema).describe('Dimensions by table name (dim_date is generated)'),
  dim_date: dimDateSchema.default({ holidays: [], fiscal_year_start_month: 1 }).describe('The generated date dimension'),
  fact: z
    .strictObject({
      table: identifier().default('fact_sales').describe('Fact table name'),
      source: identifier().describe('Masked entity the fact is built from'),
      grain: z.array(identifier()).min(1).describe('Columns that identify one fact row'),
      date_column: identifier().describe('Timestamp column giving date_key (YYYYMMDD)'),
      measures: z.array(identifier()).min(1).describe('Numeric columns copied into the fact'),
      derived_measures: z.array(derivedMeasureSchema).default([]).describe('Measures computed from the source columns'),
      lookups: z.array(factLookupSchema).describe('Fact column to dimension natural key'),
    })
    .describe('The fact table'),
});
