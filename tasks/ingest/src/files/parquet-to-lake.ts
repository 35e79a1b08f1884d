import * as arrow from 'apache-arrow';
import { arrowTypeOf, columnWriterOf, type ColumnKind } from '@salesflow/batches';
import { RawNumber, stringifyExact } from './exact-json';

/**
 * Parquet files written by other engines (Spark, DuckDB, pyarrow, warehouse exports) carry types
 * the lake does not use: DECIMAL(p,s) of 32/64/128 bits, nested lists, structs and maps, INT96 and
 * every timestamp unit and time zone, dictionaries, large strings, binaries, small ints and
 * floats, times. Each column is landed in the raw zone as the nearest lake kind, losing nothing
 * the pipeline reads:
 * - DECIMAL: its exact digits as text ("1234.50", scale kept), as a CSV would land it;
 * - list, struct, map: JSON text, as API records' nested values land (decimals and int64 inside as exact numbers);
 * - timestamps of any unit or zone: the instant, in UTC milliseconds (sub-millisecond digits are dropped);
 * - dates in milliseconds: days; Int8/16, UInt8/16: int32; UInt32, UInt64: int64 (beyond 2^63-1: text);
 * - Float16/32: float64; large strings and dictionaries of strings: strings; binary: base64 text; times: HH:MM:SS.fff text.
 * Types the lake already uses pass through untouched.
 */

/** How one Parquet column lands: the kind it becomes, and a converter of one value (undefined: passed through as is). */
export interface LandedColumn {
  readonly kind: ColumnKind;
  readonly convert?: (value: unknown, type: arrow.DataType) => unknown;
}

/** The lake's own Arrow type of each kind, by its text, to tell what passes through untouched. */
const LAKE_TYPES = new Set((['string', 'int32', 'int64', 'float64', 'bool', 'date', 'timestamp'] as const).map((k) => String(arrowTypeOf(k))));

/** How a column of this type lands, or undefined when no lake kind can hold it (unions, intervals). */
export function landingOf(type: arrow.DataType): LandedColumn | undefined {
  if (LAKE_TYPES.has(String(type))) return { kind: kindOfLakeType(type) };
  const T = arrow.DataType;
  if (T.isDecimal(type)) return { kind: 'string', convert: (v) => decimalText(v, type.scale, type.bitWidth) };
  if (T.isTimestamp(type)) return { kind: 'timestamp', convert: (v) => (typeof v === 'bigint' ? Number(v) : v) };
  if (T.isDate(type)) return { kind: 'date' };
  if (T.isInt(type)) {
    if (type.bitWidth <= 16 || (type.bitWidth === 32 && type.isSigned)) return { kind: 'int32', convert: (v) => Number(v) };
    if (type.isSigned || type.bitWidth === 32) return { kind: 'int64', convert: (v) => BigInt(v as number | bigint) };
    return { kind: 'string', convert: (v) => String(v) };
  }
  if (T.isFloat(type)) return { kind: 'float64', convert: (v) => Number(v) };
  if (T.isUtf8(type) || T.isLargeUtf8(type)) return { kind: 'string', convert: (v) => String(v) };
  if (T.isDictionary(type)) {
    const inner = landingOf(type.dictionary);
    return inner && { kind: inner.kind, convert: inner.convert ? (v) => inner.convert!(v, type.dictionary) : undefined };
  }
  if (T.isBinary(type) || T.isLargeBinary(type) || T.isFixedSizeBinary(type)) return { kind: 'string', convert: (v) => Buffer.from(v as Uint8Array).toString('base64') };
  if (T.isBool(type)) return { kind: 'bool' };
  if (T.isTime(type)) return { kind: 'string', convert: (v) => timeText(v, type.unit) };
  if (T.isList(type) || T.isStruct(type) || T.isMap(type) || T.isFixedSizeList(type) || type.typeId === arrow.Type.LargeList) {
    return { kind: 'string', convert: (v) => stringifyExact(plain(v, type)) };
  }
  if (T.isNull(type)) return { kind: 'string', convert: () => null };
  return undefined;
}

function kindOfLakeType(type: arrow.DataType): ColumnKind {
  for (const k of ['string', 'int32', 'int64', 'float64', 'bool', 'date', 'timestamp'] as const) if (String(arrowTypeOf(k)) === String(type)) return k;
  throw new Error(`not a lake type: ${String(type)}`);
}

/**
 * The lake batch of a Parquet batch: columns of the lake's types as they are, the others
 * converted value by value (see landingOf). Only converted columns cost a pass.
 */
export function landParquetBatch(batch: arrow.RecordBatch, landings: readonly LandedColumn[]): { fields: arrow.Field[]; children: arrow.Data[] } {
  const fields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  batch.schema.fields.forEach((field, i) => {
    const landed = landings[i]!;
    const vector = batch.getChildAt(i)!;
    fields.push(new arrow.Field(field.name, arrowTypeOf(landed.kind), true));
    if (LAKE_TYPES.has(String(field.type))) {
      children.push(vector.data[0]!);
      return;
    }
    const writer = columnWriterOf(landed.kind);
    for (let r = 0; r < batch.numRows; r++) {
      const v = vector.get(r);
      writer.append(v === null || v === undefined ? null : landed.convert ? landed.convert(v, field.type) : v);
    }
    children.push(writer.finish());
  });
  return { fields, children };
}

/** A decimal's exact digits: apache-arrow gives its two's-complement little-endian 32-bit words. */
export function decimalText(value: unknown, scale: number, bitWidth = 128): string | null {
  if (value === null || value === undefined) return null;
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') n = BigInt(value);
  else {
    const words = value as Uint32Array;
    n = 0n;
    for (let i = words.length - 1; i >= 0; i--) n = (n << 32n) | BigInt(words[i]!);
    n = BigInt.asIntN(Math.max(bitWidth, words.length * 32), n);
  }
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) digits += '0'.repeat(-scale);
  return negative ? `-${digits}` : digits;
}

/** A time of day as HH:MM:SS.fff (UTC clock), from Arrow's value in the type's unit. */
function timeText(value: unknown, unit: arrow.TimeUnit): string {
  const perMs = unit === arrow.TimeUnit.SECOND ? 1e-3 : unit === arrow.TimeUnit.MILLISECOND ? 1 : unit === arrow.TimeUnit.MICROSECOND ? 1e3 : 1e6;
  const ms = Number(value) / perMs;
  return new Date(Math.round(ms)).toISOString().slice(11, 23);
}

/** A nested Arrow value as plain JSON-able data: int64 and decimals as exact numbers (their digits), dates and timestamps as ISO text. */
function plain(value: unknown, type: arrow.DataType): unknown {
  if (value === null || value === undefined) return null;
  const T = arrow.DataType;
  if (T.isDecimal(type)) return new RawNumber(decimalText(value, type.scale, type.bitWidth)!);
  if (T.isInt(type) && typeof value === 'bigint') return new RawNumber(value.toString());
  if (T.isTimestamp(type) || T.isDate(type)) return new Date(Number(value)).toISOString();
  if (T.isBinary(type) || T.isLargeBinary(type) || T.isFixedSizeBinary(type)) return Buffer.from(value as Uint8Array).toString('base64');
  if (T.isStruct(type)) {
    const row = value as Record<string, unknown>;
    return Object.fromEntries(type.children.map((f) => [f.name, plain(row[f.name], f.type)]));
  }
  if (T.isMap(type)) {
    const entries = value as { toJSON(): Record<string, unknown> };
    const valueType = (type.children[0]!.type as arrow.Struct).children[1]!.type;
    return Object.fromEntries(Object.entries(entries.toJSON()).map(([k, v]) => [k, plain(v, valueType)]));
  }
  if (T.isList(type) || T.isFixedSizeList(type) || type.typeId === arrow.Type.LargeList) {
    const child = (type as arrow.List).children[0]!.type;
    return [...(value as Iterable<unknown>)].map((v) => plain(v, child));
  }
  return value;
}
