import * as arrow from 'apache-arrow';

/**
 * The Arrow types the lake uses, by a short name. Values in JS: string; int32 and float64 as
 * number; int64 as bigint; bool as boolean; date and timestamp as epoch milliseconds (UTC);
 * decimal as fixed-scale digit text ("12.50"), stored as a scaled integer (Arrow Decimal128,
 * Parquet DECIMAL(p, s) on INT32, INT64 or FIXED_LEN_BYTE_ARRAY by precision).
 */
export type ColumnKind = 'string' | 'int32' | 'int64' | 'float64' | 'bool' | 'date' | 'timestamp' | 'decimal';

/** Precision of a decimal column whose definition gives none. */
export const DEFAULT_DECIMAL_PRECISION = 18;
/** Scale of a decimal column whose definition gives none. */
export const DEFAULT_DECIMAL_SCALE = 2;

export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Default true. */
  readonly nullable?: boolean;
  /** Kind decimal: total digits, 1..38 (default 18). */
  readonly precision?: number;
  /** Kind decimal: digits after the point (default 2). */
  readonly scale?: number;
}

/** The Arrow data type of a kind (decimal: `def`'s precision and scale, or the defaults). */
export function arrowTypeOf(kind: ColumnKind, def: Pick<ColumnDef, 'precision' | 'scale'> = {}): arrow.DataType {
  switch (kind) {
    case 'decimal':
      return new arrow.Decimal(def.scale ?? DEFAULT_DECIMAL_SCALE, def.precision ?? DEFAULT_DECIMAL_PRECISION, 128);
    case 'string':
      return new arrow.Utf8();
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'float64':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'date':
      return new arrow.DateDay();
    case 'timestamp':
      return new arrow.TimestampMillisecond('UTC');
  }
}

/** The kind of an Arrow type, or undefined for types the lake does not use. */
export function kindOf(type: arrow.DataType): ColumnKind | undefined {
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isDictionary(type)) return 'string';
  if (arrow.DataType.isInt(type)) return type.bitWidth === 64 ? 'int64' : 'int32';
  if (arrow.DataType.isFloat(type)) return 'float64';
  if (arrow.DataType.isBool(type)) return 'bool';
  if (arrow.DataType.isDate(type)) return 'date';
  if (arrow.DataType.isTimestamp(type)) return 'timestamp';
  if (arrow.DataType.isDecimal(type) && type.bitWidth === 128) return 'decimal';
  return undefined;
}

/** An Arrow schema from column definitions. */
export function schemaOf(columns: readonly ColumnDef[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, arrowTypeOf(c.kind, c), c.nullable ?? true)));
}

/** Column definitions of an Arrow schema; throws naming the column whose type the lake does not use. */
export function columnsOf(schema: arrow.Schema): ColumnDef[] {
  return schema.fields.map((f) => {
    const kind = kindOf(f.type);
    if (!kind) throw new Error(`Column "${f.name}" has Arrow type ${f.type} which the pipeline does not handle`);
    if (kind === 'decimal') {
      const t = f.type as arrow.Decimal;
      return { name: f.name, kind, nullable: f.nullable, precision: t.precision, scale: t.scale };
    }
    return { name: f.name, kind, nullable: f.nullable };
  });
}
