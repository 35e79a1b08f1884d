import { BatchBuilder, shortestDecimalText, type ColumnDef } from '@salesflow/batches';
import { CAST_FAILED, CAST_NULL, CAST_OK, ColumnCaster, type CastColumn } from './cast-column';
import { KIND_OF_TYPE, makeCaster, type CastSpec } from './cast-value';

/** What a CastColumn says about row r, in makeCaster's terms plus the text the row hash reads. */
function outcomeAt(c: CastColumn, spec: CastSpec, r: number) {
  const s = c.status[r];
  if (s === CAST_FAILED) return { ok: false, reason: c.reasons.get(r) };
  if (s === CAST_NULL) return { ok: true, value: null };
  if (s !== CAST_OK) return { status: s };
  const kind = KIND_OF_TYPE[spec.type];
  const text = Buffer.from(c.text.buffer, c.text.byteOffset, c.text.byteLength).toString('utf8', c.start[r], c.end[r]);
  // Decimals: the scaled integer, shown as makeCaster's digit text.
  const units = () => (Number.isNaN(c.num[r]) ? (c.values[r] as bigint) : BigInt(c.num[r]!));
  const value = kind === 'string' ? text : kind === 'int64' || kind === 'bool' ? c.values[r] : kind === 'decimal' ? shortestDecimalText(units(), spec.scale ?? 2) : c.num[r];
  return { ok: true, value, text };
}

/** makeCaster's outcome of each value, with String(value) as the text. */
function expected(spec: CastSpec, raw: unknown) {
  const res = makeCaster(spec)(raw);
  if (!res.ok || res.value === null) return res;
  return { ok: true, value: res.value, text: String(res.value) };
}

/** Casts the values as one raw text column (null stays null) and as one of another type. */
function castAll(spec: CastSpec, values: readonly (string | null)[], kind: ColumnDef['kind'] = 'string') {
  const b = new BatchBuilder([{ name: 'v', kind }]);
  for (const v of values) b.appendRow([v]);
  return new ColumnCaster(spec, KIND_OF_TYPE[spec.type]).cast(b.finish(), 'v');
}

const NUMBERS = [
  '0', '-0', '+0', '007', '42', '-42', '+42', '2147483647', '2147483648', '-2147483648', '-2147483649', '123456789012345', '1234567890123456',
  '12345678901234567890', '32.99', '32.90', '71.260', '0.05', '-0.00', '0.0', '5.', '.5', '-.5', '+.5', '-', '+', '.', '1e3', '1E-2', '1.2.3',
  '1,234.50', '$5.00', '(12.00)', '-$5', ' 5 ', '5 ', ' 5', '\t7\n', '0.000001', '0.0000001', '0.00000012', '-0.000001', '1.005', '19.989999999',
  '99999999999.99', '999999999999.99', '0.1234', '0.12345', '1.10000', '100', '100.00', '9007199254740993', '1e400', 'NaN', 'Infinity', '-Infinity',
  '0x10', '١٢', '５', '', '   ', null, 'abc', '12a', 'a12', '0.1', '0.3', '1234567.891', '-1.5', '1.5', '0.9999', '1.0001', '1', '-1',
];

const TEXTS = [
  'TXN00000001', ' TXN1 ', 'TXN1 ', ' TXN1', '\tx', 'x\n', 'x\r', '\rx', '\u000bx', 'a b', '', '   ', null, 'é', 'naïve', 'Jos\uFFFD', '😀', 'x\u00a0', '\u00a0x', '\ufeffx',
  'x\u2028', '\u0000', 'a\u0000b', '\u001fa\u001f', 'a\u001c', '\u000bq\u000c', 'ok', '0', 'null', 'Ω', '  é  ', 'ab\u00a0', 'long '.repeat(20).trim(),
];

const TIMESTAMPS = [
  '2026-11-26T13:45:00Z', '2026-11-26t13:45:00z', '2026-11-26 13:45:00Z', '2026-11-26T13:45:00', '2026-11-26T13:45:00+02:00', '2026-11-26T13:45:00.123Z',
  '2026-11-26', '2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-13-45 25:61', '2026-11-31T00:00:00Z',
  '2026-11-26T24:00:00Z', '2026-11-26T23:60:00Z', '2026-11-26T23:59:60Z', '0999-12-31T23:00:00Z', '1000-01-01T00:00:00Z', '9999-12-31T23:59:59Z',
  '1969-12-31T23:59:59Z', '1970-01-01T00:00:00Z', ' 2026-11-26T13:45:00Z', '2026-11-26T13:45:00Z ', '2026-1-26T13:45:00Z', 'x026-11-26T13:45:00Z',
  '2026-11-26T13:45:0aZ', '2026-11-26X13:45:00Z', '', null, 'now',
];

describe('ColumnCaster', () => {
  const specs: [string, CastSpec, readonly (string | null)[]][] = [
    ['string', { type: 'string', required: false, scale: 2 }, TEXTS],
    ['required string', { type: 'string', required: true, scale: 2 }, TEXTS],
    ['string, control characters stripped', { type: 'string', required: false, scale: 2, control_characters: 'strip' }, TEXTS],
    ['string, control characters kept', { type: 'string', required: true, scale: 2, control_characters: 'keep' }, TEXTS],
    ['string with a normalizer', { type: 'string', required: false, scale: 2, normalize: ['collapse_spaces'] }, TEXTS],
    ['string with allowed values', { type: 'string', required: false, scale: 2, allowed: ['ok', 'x'] }, TEXTS],
    ['int', { type: 'int', required: false, scale: 2 }, NUMBERS],
    ['required int with bounds', { type: 'int', required: true, scale: 2, min: 0, max: 100 }, NUMBERS],
    ['bigint', { type: 'bigint', required: false, scale: 2 }, NUMBERS],
    ['float', { type: 'float', required: false, scale: 2 }, NUMBERS],
    ['decimal', { type: 'decimal', required: false, scale: 2 }, NUMBERS],
    ['decimal(12,2) min 0', { type: 'decimal', required: true, scale: 2, precision: 12, min: 0 }, NUMBERS],
    ['decimal(5,4) 0..1', { type: 'decimal', required: false, scale: 4, precision: 5, min: 0, max: 1 }, NUMBERS],
    ['decimal scale 0', { type: 'decimal', required: false, scale: 0 }, NUMBERS],
    ['decimal with a decimal comma', { type: 'decimal', required: false, scale: 2, decimal_comma: true }, NUMBERS],
    ['bool', { type: 'bool', required: false, scale: 2 }, ['true', 'F', 'yes', '0', 'maybe', '', null]],
    ['date', { type: 'date', required: false, scale: 2 }, TIMESTAMPS],
    ['timestamp', { type: 'timestamp', required: false, scale: 2 }, TIMESTAMPS],
    ['required timestamp with bounds', { type: 'timestamp', required: true, scale: 2, min: Date.UTC(2000, 0, 1), max: Date.UTC(2026, 10, 26, 13, 45) }, TIMESTAMPS],
    ['timestamp in a zone', { type: 'timestamp', required: false, scale: 2, timezone: 'Europe/Paris' }, TIMESTAMPS],
    ['timestamp with a format', { type: 'timestamp', required: false, scale: 2, format: 'YYYY-MM-DD HH:mm' }, TIMESTAMPS],
  ];

  it.each(specs)('gives makeCaster\'s outcome for every value: %s', (_name, spec, values) => {
    const c = castAll(spec, values);
    expect(c.rows).toBe(values.length);
    values.forEach((v, r) => expect([v, outcomeAt(c, spec, r)]).toEqual([v, expected(spec, v)]));
    expect(c.failures).toBe(values.filter((v) => !makeCaster(spec)(v).ok).length);
  });

  it('keeps the outcome exact on many generated numbers and timestamps', () => {
    const numbers: string[] = [];
    const stamps: string[] = [];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 20_000; i++) {
      const digits = String(rnd(10 ** (1 + rnd(9)))).padStart(1 + rnd(4), '0');
      const frac = rnd(3) === 0 ? '' : '.' + String(rnd(10 ** (1 + rnd(6)))).padStart(rnd(7), '0');
      numbers.push((rnd(5) === 0 ? '-' : '') + digits + frac);
      const p = (n: number, w: number) => String(n).padStart(w, '0');
      stamps.push(`${p(900 + rnd(9200), 4)}-${p(rnd(14), 2)}-${p(rnd(33), 2)}T${p(rnd(25), 2)}:${p(rnd(61), 2)}:${p(rnd(61), 2)}Z`);
    }
    for (const spec of [
      { type: 'float', required: false, scale: 2 },
      { type: 'decimal', required: false, scale: 4, precision: 9, min: -5000 },
      { type: 'int', required: false, scale: 2 },
    ] satisfies CastSpec[]) {
      const c = castAll(spec, numbers);
      expect(numbers.map((v, r) => [v, outcomeAt(c, spec, r)])).toEqual(numbers.map((v) => [v, expected(spec, v)]));
    }
    const spec: CastSpec = { type: 'timestamp', required: false, scale: 2 };
    const c = castAll(spec, stamps);
    expect(stamps.map((v, r) => [v, outcomeAt(c, spec, r)])).toEqual(stamps.map((v) => [v, expected(spec, v)]));
  });

  it('gives the same values without text when told the caller reads none', () => {
    for (const [spec, values] of [
      [{ type: 'timestamp', required: true, scale: 2 }, TIMESTAMPS],
      [{ type: 'decimal', required: false, scale: 2, min: 0 }, NUMBERS],
    ] as const) {
      const withText = castAll(spec, values);
      const copy = { status: [...withText.status], num: [...withText.num], reasons: new Map(withText.reasons) };
      const b = new BatchBuilder([{ name: 'v', kind: 'string' }]);
      values.forEach((v) => b.appendRow([v]));
      const bare = new ColumnCaster(spec, KIND_OF_TYPE[spec.type]).cast(b.finish(), 'v', { text: false });
      expect({ status: [...bare.status], num: [...bare.num], reasons: new Map(bare.reasons) }).toEqual(copy);
    }
  });

  it('casts typed raw columns (Parquet sources) and a missing column through makeCaster', () => {
    const b = new BatchBuilder([{ name: 'n', kind: 'float64' }]);
    [1.5, null, 3].forEach((v) => b.appendRow([v]));
    const batch = b.finish();
    const spec: CastSpec = { type: 'decimal', required: true, scale: 2 };
    const c = new ColumnCaster(spec, KIND_OF_TYPE[spec.type]).cast(batch, 'n');
    expect([0, 1, 2].map((r) => outcomeAt(c, spec, r))).toEqual([1.5, null, 3].map((v) => expected(spec, v)));
    const missing = new ColumnCaster({ type: 'string', required: false, scale: 2 }, 'string').cast(batch, undefined);
    expect([...missing.status]).toEqual([CAST_NULL, CAST_NULL, CAST_NULL]);
  });

  it('reuses its arrays from batch to batch, growing them when a batch is larger', () => {
    const spec: CastSpec = { type: 'int', required: false, scale: 2 };
    const caster = new ColumnCaster(spec, 'int32');
    const batchOf = (values: string[]) => {
      const b = new BatchBuilder([{ name: 'v', kind: 'string' }]);
      values.forEach((v) => b.appendRow([v]));
      return b.finish();
    };
    expect(caster.cast(batchOf(['1', 'x']), 'v').failures).toBe(1);
    const big = Array.from({ length: 5000 }, (_, i) => String(i - 2500));
    const c = caster.cast(batchOf(big), 'v');
    expect(c.failures).toBe(0);
    expect(c.reasons.size).toBe(0);
    big.forEach((v, r) => expect(outcomeAt(c, spec, r)).toEqual(expected(spec, v)));
  });
});
