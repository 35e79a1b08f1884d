import type * as arrow from 'apache-arrow';
import { binaryDecodingOf, PgBinaryDecoder, PgCopyFormatError, PgValueNotStorableError, type PgCopyColumn } from './pg-binary-decoder';

/** Binary COPY bytes written by hand, field by field, as PostgreSQL's *send functions write them. */
const i16 = (v: number) => Buffer.from([(v >> 8) & 255, v & 255]);
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
const f64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
};
const text = (s: string) => Buffer.from(s, 'utf8');
/** numeric_send: base-10000 digits, weight of the first, sign, display scale. */
const numeric = (digits: number[], weight: number, sign: number, dscale: number) => Buffer.concat([i16(digits.length), i16(weight), i16(sign), i16(dscale), ...digits.map(i16)]);
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
/** 0001-01-01 (Date.UTC reads year 1 as 1901). */
const YEAR_1 = -62_135_596_800_000;
const micros = (ms: number, extra = 0) => i64(BigInt(ms - PG_EPOCH_MS) * 1000n + BigInt(extra));
const days = (ms: number) => i32((ms - PG_EPOCH_MS) / 86_400_000);
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), i32(0), i32(0)]);
const TRAILER = i16(-1);
const row = (fields: (Buffer | null)[]) => Buffer.concat([i16(fields.length), ...fields.map((f) => (f === null ? i32(-1) : Buffer.concat([i32(f.length), f])))]);
const stream = (rows: (Buffer | null)[][]) => Buffer.concat([HEADER, ...rows.map(row), TRAILER]);

/** Every decoding, by the type OID it is chosen for, with the lake kind pg-types gives that type. */
const COLUMNS: readonly (PgCopyColumn & { oid: number })[] = [
  { name: 'c_bool', oid: 16, kind: 'bool', decoding: 'bool' },
  { name: 'c_int2', oid: 21, kind: 'int32', decoding: 'int2' },
  { name: 'c_int4', oid: 23, kind: 'int32', decoding: 'int4' },
  { name: 'c_int8', oid: 20, kind: 'int64', decoding: 'int8' },
  { name: 'c_oid', oid: 26, kind: 'int64', decoding: 'oid' },
  { name: 'c_float8', oid: 701, kind: 'float64', decoding: 'float8' },
  { name: 'c_float4', oid: 700, kind: 'float64', decoding: 'float-text' },
  { name: 'c_date', oid: 1082, kind: 'date', decoding: 'date' },
  { name: 'c_ts', oid: 1114, kind: 'timestamp', decoding: 'timestamp' },
  { name: 'c_tstz', oid: 1184, kind: 'timestamp', decoding: 'timestamp' },
  { name: 'c_numeric', oid: 1700, kind: 'string', decoding: 'numeric' },
  { name: 'c_uuid', oid: 2950, kind: 'string', decoding: 'uuid' },
  { name: 'c_text', oid: 25, kind: 'string', decoding: 'text' },
  { name: 'c_varchar', oid: 1043, kind: 'string', decoding: 'text' },
  { name: 'c_bpchar', oid: 1042, kind: 'string', decoding: 'text' },
  { name: 'c_json', oid: 114, kind: 'string', decoding: 'text' },
  { name: 'c_jsonb', oid: 3802, kind: 'string', decoding: 'jsonb' },
  { name: 'c_interval', oid: 1186, kind: 'string', decoding: 'text' },
];

/** [fields as sent, values as the lake holds them] per row. */
const ROWS: [(Buffer | null)[], unknown[]][] = [
  [
    [Buffer.from([1]), i16(-32768), i32(2147483647), i64(9223372036854775807n), i32(-1), f64(3.141592653589793), text('1.1'), days(Date.UTC(2026, 1, 28)), micros(Date.UTC(2026, 10, 26, 23, 59, 58, 123), 456), micros(Date.UTC(2026, 10, 26, 2, 30, 0, 500)), numeric([1234, 5678, 9012, 3456, 7890, 123, 4567, 8900], 4, 0, 10), Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'), text('héllo, "wörld" 🙂'), text('abc'), text('ab  '), text('{"b": 1}'), Buffer.concat([Buffer.from([1]), text('{"a": 12345678901234567890}')]), text('1 day 02:00:00')],
    [true, -32768, 2147483647, 9223372036854775807n, 4294967295n, 3.141592653589793, 1.1, Date.UTC(2026, 1, 28), Date.UTC(2026, 10, 26, 23, 59, 58, 123), Date.UTC(2026, 10, 26, 2, 30, 0, 500), '12345678901234567890.0123456789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'héllo, "wörld" 🙂', 'abc', 'ab  ', '{"b": 1}', '{"a": 12345678901234567890}', '1 day 02:00:00'],
  ],
  [COLUMNS.map(() => null), COLUMNS.map(() => null)],
  [
    // Before 1970 and before 2000 (negative microseconds: milliseconds round down, as the text path cuts the fraction), negative numerics, NaN.
    [Buffer.from([0]), i16(0), i32(-2147483648), i64(-9223372036854775808n), i32(0), f64(-0.5), text('NaN'), days(YEAR_1), micros(Date.UTC(1969, 11, 31, 23, 59, 59, 999), 500), micros(YEAR_1), numeric([12], -1, 0x4000, 4), Buffer.alloc(16), text(''), text(''), text(' '), text('[]'), Buffer.from([1, 0x6e, 0x75, 0x6c, 0x6c]), text('-00:00:01')],
    [false, 0, -2147483648, -9223372036854775808n, 0n, -0.5, NaN, YEAR_1, Date.UTC(1969, 11, 31, 23, 59, 59, 999), YEAR_1, '-0.0012', '00000000-0000-0000-0000-000000000000', '', '', ' ', '[]', 'null', '-00:00:01'],
  ],
  [
    [null, null, null, null, null, f64(Infinity), text('-Infinity'), days(Date.UTC(275760, 8, 12)), micros(Date.UTC(9999, 11, 31, 23, 59, 59, 999), 999), null, numeric([], 0, 0xc000, 0), null, text('x'.repeat(70_000)), null, null, null, null, null],
    [null, null, null, null, null, Infinity, -Infinity, Date.UTC(275760, 8, 12), Date.UTC(9999, 11, 31, 23, 59, 59, 999), null, 'NaN', null, 'x'.repeat(70_000), null, null, null, null, null],
  ],
];

/** More numerics: [digits, weight, sign, dscale, numeric_out text]. */
const NUMERICS: [number[], number, number, number, string][] = [
  [[], 0, 0, 0, '0'],
  [[], 0, 0, 2, '0.00'],
  [[1], 2, 0, 0, '100000000'],
  [[5, 5000], 0, 0x4000, 1, '-5.5'],
  [[1000], -1, 0, 4, '0.1000'],
  [[1, 2], 0, 0, 6, '1.000200'],
  [[9999, 9999], 1, 0, 0, '99999999'],
  [[7], -2, 0x4000, 8, '-0.00000007'],
  [[12, 3400], 0, 0, 2, '12.34'],
  [[], 0, 0xd000, 0, 'Infinity'],
  [[], 0, 0xf000, 0, '-Infinity'],
];

function decodeAll(columns: readonly PgCopyColumn[], bytes: Buffer, batchSize: number, chunkSizes?: () => number): arrow.RecordBatch[] {
  const d = new PgBinaryDecoder(columns, batchSize);
  const out: arrow.RecordBatch[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = chunkSizes ? chunkSizes() : bytes.length;
    out.push(...d.push(bytes.subarray(at, at + n)));
    at += n;
  }
  out.push(...d.end());
  return out;
}

/** Values of all batches, row by row, as the lake holds them (timestamps and dates as ms, int64 as bigint). */
function valuesOf(batches: readonly arrow.RecordBatch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    for (let r = 0; r < b.numRows; r++) {
      rows.push(
        b.schema.fields.map((f, i) => {
          const v = b.getChildAt(i)!.get(r) as unknown;
          if (v === null) return null;
          if (f.type.typeId === 8 /* date */) return (v as Date | number) instanceof Date ? (v as Date).getTime() : v;
          if (f.type.typeId === 10 /* timestamp */) return Number(v);
          return v;
        }),
      );
    }
  }
  return rows;
}

describe('PgBinaryDecoder', () => {
  it('chooses a binary decoding for the types read natively and text for the rest', () => {
    for (const c of COLUMNS.filter((c) => c.decoding !== 'float-text' && c.oid !== 1186)) expect([c.name, binaryDecodingOf(c.oid)]).toEqual([c.name, c.decoding]);
    // float4, interval, bytea, arrays, time: converted to text on the server.
    for (const oid of [700, 1186, 17, 1007, 1083, 142]) expect(binaryDecodingOf(oid)).toBeUndefined();
  });

  it('decodes every type, nulls included, into the lake values the text path gives', () => {
    const batches = decodeAll(COLUMNS, stream(ROWS.map((r) => r[0])), 1000);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.schema.fields.map((f) => String(f.type))).toEqual(['Bool', 'Int32', 'Int32', 'Int64', 'Int64', 'Float64', 'Float64', 'Date32<DAY>', 'Timestamp<MILLISECOND, UTC>', 'Timestamp<MILLISECOND, UTC>', ...Array(8).fill('Utf8')]);
    expect(valuesOf(batches)).toEqual(ROWS.map((r) => r[1]));
    expect(batches[0]!.getChildAt(0)!.nullCount).toBe(2);
  });

  it('writes numerics as numeric_out does', () => {
    const cols: PgCopyColumn[] = [{ name: 'n', kind: 'string', decoding: 'numeric' }];
    const batches = decodeAll(cols, stream(NUMERICS.map(([d, w, s, sc]) => [numeric(d, w, s, sc)])), 100);
    expect(valuesOf(batches).map((r) => r[0])).toEqual(NUMERICS.map((n) => n[4]));
  });

  it('gives the same batches whatever the chunks the stream arrives in, batchSize rows each', () => {
    const bytes = stream([...ROWS, ...ROWS, ...ROWS].map((r) => r[0]));
    const want = valuesOf(decodeAll(COLUMNS, bytes, 1000));
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const batches = decodeAll(COLUMNS, bytes, 5, () => size);
      expect(batches.map((b) => b.numRows)).toEqual([5, 5, 2]);
      expect(valuesOf(batches)).toEqual(want);
    }
    let seed = 7;
    const random = () => 1 + ((seed = (seed * 16807) % 2147483647) % 5000);
    expect(valuesOf(decodeAll(COLUMNS, bytes, 3, random))).toEqual(want);
  });

  it('rejects infinity and BC dates and timestamps, naming column and row', () => {
    const cols: PgCopyColumn[] = [
      { name: 'd', kind: 'date', decoding: 'date' },
      { name: 't', kind: 'timestamp', decoding: 'timestamp' },
    ];
    const fails = (fields: Buffer[]) => {
      try {
        decodeAll(cols, stream([[days(Date.UTC(2026, 0, 1)), micros(0)], fields]), 10);
      } catch (e) {
        return e as PgValueNotStorableError;
      }
      throw new Error('no error');
    };
    const cases: [Buffer[], string, string][] = [
      [[i32(0x7fffffff), micros(0)], 'd', 'date "infinity"'],
      [[i32(-0x80000000), micros(0)], 'd', 'date "-infinity"'],
      [[days(YEAR_1 - 86_400_000), micros(0)], 'd', 'date "0001-12-31 BC"'],
      [[days(0), i64(9223372036854775807n)], 't', 'timestamp "infinity"'],
      [[days(0), i64(-9223372036854775808n)], 't', 'timestamp "-infinity"'],
      [[days(0), micros(Date.UTC(-43, 2, 15, 12))], 't', 'timestamp "0044-03-15 12:00:00 BC"'],
    ];
    for (const [fields, column, text] of cases) {
      const e = fails(fields);
      expect(e).toBeInstanceOf(PgValueNotStorableError);
      expect([e.column, e.row, e.message]).toEqual([column, 2, `${text} cannot be stored in the lake (infinity and BC dates are not supported)`]);
    }
  });

  it('drops the rows the filter refuses, given their cursor and key values', () => {
    const cols: PgCopyColumn[] = [
      { name: 'id', kind: 'int64', decoding: 'int8' },
      { name: 'code', kind: 'string', decoding: 'text' },
      { name: 'at', kind: 'timestamp', decoding: 'timestamp' },
    ];
    const seen: unknown[] = [];
    const d = new PgBinaryDecoder(cols, 10, {
      cursorAt: 2,
      keyAt: [0, 1],
      accept: (cursor, key) => {
        seen.push([cursor, key()]);
        return key()[0] !== 2n;
      },
    });
    const at = Date.UTC(2026, 10, 26);
    const rows = [1n, 2n, 3n].map((id) => [i64(id), text(`c${id}`), micros(at)]);
    const batches = [...d.push(stream([...rows, [i64(4n), null, null]])), ...d.end()];
    expect(valuesOf(batches)).toEqual([
      [1n, 'c1', at],
      [3n, 'c3', at],
      [4n, null, null],
    ]);
    expect(seen).toEqual([
      [at, [1n, 'c1']],
      [at, [2n, 'c2']],
      [at, [3n, 'c3']],
      [null, [4n, null]],
    ]);
    expect(d.rowsRead).toBe(4);
  });

  it('fails on a stream that is not binary COPY of the described columns, or that stops early', () => {
    const cols: PgCopyColumn[] = [{ name: 'a', kind: 'int32', decoding: 'int4' }];
    expect(() => decodeAll(cols, Buffer.from('1\t2\n'.repeat(10)), 10)).toThrow(PgCopyFormatError);
    expect(() => decodeAll(cols, stream([[i32(1), i32(2)]]), 10)).toThrow('a row has 2 fields where 1 columns were described');
    const cut = stream([[i32(1)], [i32(2)]]);
    expect(() => decodeAll(cols, cut.subarray(0, cut.length - 2), 10)).toThrow('the COPY stream ended before its end marker');
    expect(() => decodeAll(cols, cut.subarray(0, cut.length - 3), 10)).toThrow('the COPY stream ended before its end marker');
  });
});
