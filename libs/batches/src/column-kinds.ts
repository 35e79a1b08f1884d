import * as arrow from 'apache-arrow';

/**
 * The Arrow types the lake uses, by a short name. Values in JS: string; int32 and float64 as
 * number; int64 as bigint; bool as boolean; date and timestamp as epoch milliseconds (UTC).
 */
export type ColumnKind = 'string' | 'int32' | 'int64' | 'float64' | 'bool' | 'date' | 'timestamp';

export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Default true. */
  readonly nullable?: boolean;
}

/** The Arrow data type of a kind. */
export function arrowTypeOf(kind: ColumnKind): arrow.DataType {
  switch (kind) {
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
  return undefined;
}

/** An Arrow schema from column definitions. */
export function schemaOf(columns: readonly ColumnDef[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, arrowTypeOf(c.kind), c.nullable ?? true)));
}

/** Column definitions of an Arrow schema; throws naming the column whose type the lake does not use. */
export function columnsOf(schema: arrow.Schema): ColumnDef[] {
  return schema.fields.map((f) => {
    const kind = kindOf(f.type);
    if (!kind) throw new Error(`Column "${f.name}" has Arrow type ${f.type} which the pipeline does not handle`);
    return { name: f.name, kind, nullable: f.nullable };
  });
}
