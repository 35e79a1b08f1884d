import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { parseMeasureExpression } from '@salesflow/config';
import type { Manifest } from '@salesflow/lake';
import {
  BEGINNING_OF_TIME,
  END_OF_TIME,
  addInferredMembers,
  dimensionBatches,
  emptyDimension,
  hashAttributes,
  keyLookup,
  loadSnapshotBatch,
  mergeSourceRows,
  type Dimension,
  type DimensionSpec,
} from './build-dimension';
import { buildFactBatch, type FactBatchStats } from './build-fact-batch';
import { highestMaxKey, mostRecentlyCommitted } from './choose-snapshot';
import { compileMeasure } from './derive-measure';

const type1: DimensionSpec = { keyColumn: 'customer_key', naturalKey: 'customer_id', attributes: ['city', 'score'], history: 'type1' };
const type2: DimensionSpec = { ...type1, attributes: ['city', 'name'], history: 'type2', tracked: ['city'] };
const kinds = (c: string) => (c === 'score' ? 'float64' : 'string') as 'float64' | 'string';
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const D1 = day('2026-11-24');
const D2 = day('2026-11-25');
const D3 = day('2026-11-26');

/** The dimension written as a snapshot and read back, as the next run sees it. */
function roundTrip(dim: Dimension, spec: DimensionSpec): Dimension {
  const reloaded = emptyDimension(spec, kinds);
  for (const b of dimensionBatches(dim, 1000)) loadSnapshotBatch(reloaded, b);
  return reloaded;
}

function snapshot(rows: unknown[][], spec = type1) {
  const dim = emptyDimension(spec, kinds);
  mergeSourceRows(dim, rows, D1);
  const stored = [...dimensionBatches(dim, 1000)];
  return { dim, stored, reloaded: roundTrip(dim, spec) };
}

/** customer_id -> [[key, valid_from, valid_to, city, is_current]] of a type 2 dimension. */
function history(dim: Dimension) {
  const rows = [...dimensionBatches(dim, 1000)].flatMap(batchToObjects).filter((r) => r.customer_key !== -1);
  const out: Record<string, unknown[][]> = {};
  const iso = (ms: unknown) => (ms === undefined || ms === null ? null : new Date(ms as number).toISOString().slice(0, 10));
  for (const r of rows.sort((a, b) => (a.valid_from as number) - (b.valid_from as number)))
    (out[r.customer_id as string] ??= []).push([r.customer_key, iso(r.valid_from), iso(r.valid_to), r.city, r.is_current]);
  return out;
}

describe('type 1 dimensions', () => {
  it('gives new members keys in natural-key order after the highest key, and writes the unknown member first', () => {
    const { stored } = snapshot([
      ['C3', 'Boston', 1],
      ['C1', 'Austin', null],
      ['C2', 'Denver', 2],
    ]);
    const rows = stored.flatMap(batchToObjects);
    expect(rows.map((r) => [r.customer_key, r.customer_id, r.city, r.score, r.is_inferred])).toEqual([
      [-1, 'UNKNOWN', 'Unknown', null, false],
      [1, 'C1', 'Austin', null, false],
      [2, 'C2', 'Denver', 2, false],
      [3, 'C3', 'Boston', 1, false],
    ]);
  });

  it('keeps keys stable across runs, overwrites changed attributes, appends new members', () => {
    const { reloaded } = snapshot([
      ['C1', 'Austin', 1],
      ['C2', 'Denver', 2],
    ]);
    const changes = mergeSourceRows(reloaded, [['C2', 'Dallas', 2], ['C0', 'Albany', 3], ['C1', 'Austin', 1]], D2);
    expect(changes).toMatchObject({ added: 1, updated: 1, unchanged: 1, versioned: 0 });
    const keys = keyLookup(reloaded);
    expect(['C1', 'C2', 'C0'].map((c) => keys.keyAt(c, D2))).toEqual([1, 2, 3]);
    expect(reloaded.members.get('C2')![0]!.attrs).toEqual(['Dallas', 2]);
  });

  it('the same input twice yields the same keys', () => {
    const a = snapshot([['B'], ['A']].map((r) => [...r, 'x', 1])).dim;
    const b = snapshot([['A'], ['B']].map((r) => [...r, 'x', 1])).dim;
    expect(history(a)).toEqual(history(b));
  });

  it('gives new members keys above keysGivenUpTo when other snapshots handed out higher keys', () => {
    const { reloaded } = snapshot([['C1', 'Austin', 1]]);
    mergeSourceRows(reloaded, [['C9', 'Boston', 2], ['C1', 'Austin', 1]], D2, 7);
    expect(keyLookup(reloaded).keyAt('C9', D2)).toBe(8);
  });

  it('merges new members into a dimension of 200k members', () => {
    // Math.max(...keys) over this many members threw RangeError (maximum call stack size exceeded).
    const n = 200_000;
    const rows: unknown[][] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = [`C${String(i).padStart(6, '0')}`, 'x', i];
    const dim = emptyDimension(type1, kinds);
    mergeSourceRows(dim, rows, D1);
    expect(mergeSourceRows(dim, [['NEW', 'y', 1]], D2)).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    expect(dim.members.get('NEW')![0]!.key).toBe(n + 1);
  });
});

describe('type 2 dimensions', () => {
  it('opens a new version on a tracked change, overwrites untracked ones in place, and a re-run changes nothing', () => {
    let dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann'], ['C2', 'Boston', 'Bob']], D1);
    dim = roundTrip(dim, type2);
    expect(mergeSourceRows(dim, [['C1', 'Dallas', 'Ann'], ['C2', 'Boston', 'Robert']], D2)).toMatchObject({ versioned: 1, updated: 1 });
    dim = roundTrip(dim, type2);
    const before = history(dim);
    expect(before).toEqual({
      C1: [
        [1, '2026-11-24', '2026-11-24', 'Austin', false],
        [3, '2026-11-25', '9999-12-31', 'Dallas', true],
      ],
      C2: [[2, '2026-11-24', '9999-12-31', 'Boston', true]],
    });
    expect(dim.members.get('C2')![0]!.attrs).toEqual(['Boston', 'Robert']);
    expect(mergeSourceRows(dim, [['C1', 'Dallas', 'Ann'], ['C2', 'Boston', 'Robert']], D2)).toMatchObject({ versioned: 0, updated: 0, unchanged: 2 });
    expect(history(dim)).toEqual(before);
    const keys = keyLookup(dim);
    expect([keys.keyAt('C1', D1), keys.keyAt('C1', D2), keys.keyAt('C1', D3), keys.keyAt('C1', D1 - 30)]).toEqual([1, 3, 3, 1]);
  });

  it('built out of order (day 3, then day 2) splits the right version and keeps every existing key', () => {
    let dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann']], D1);
    dim = roundTrip(dim, type2);
    mergeSourceRows(dim, [['C1', 'Chicago', 'Ann']], D3);
    dim = roundTrip(dim, type2);
    mergeSourceRows(dim, [['C1', 'Boston', 'Ann'], ['C2', 'Denver', 'Dee']], D2);
    dim = roundTrip(dim, type2);
    expect(history(dim)).toEqual({
      C1: [
        [1, '2026-11-24', '2026-11-24', 'Austin', false],
        [3, '2026-11-25', '2026-11-25', 'Boston', false],
        [2, '2026-11-26', '9999-12-31', 'Chicago', true],
      ],
      C2: [[4, '2026-11-25', '9999-12-31', 'Denver', true]],
    });
    // A backfill before the first version: the same attributes move valid_from back, others go in front.
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann'], ['C2', 'Elgin', 'Dee']], D1 - 1);
    expect(history(dim).C1![0]).toEqual([1, '2026-11-23', '2026-11-24', 'Austin', false]);
    expect(history(dim).C2).toEqual([
      [5, '2026-11-23', '2026-11-24', 'Elgin', false],
      [4, '2026-11-25', '9999-12-31', 'Denver', true],
    ]);
  });

  it('a backfill of the day a change happened moves the later version back instead of opening another', () => {
    let dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann']], D1);
    mergeSourceRows(dim, [['C1', 'Boston', 'Ann']], D3);
    dim = roundTrip(dim, type2);
    expect(mergeSourceRows(dim, [['C1', 'Boston', 'Ann']], D2)).toMatchObject({ versioned: 0, updated: 1 });
    expect(history(dim).C1).toEqual([
      [1, '2026-11-24', '2026-11-24', 'Austin', false],
      [2, '2026-11-25', '9999-12-31', 'Boston', true],
    ]);
  });

  it('compares attributes null-safely: null, "" and "null" are three values', () => {
    expect(new Set([hashAttributes([null]), hashAttributes(['']), hashAttributes(['null']), hashAttributes([undefined])]).size).toBe(3);
    const dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', null, 'Ann']], D1);
    expect(mergeSourceRows(dim, [['C1', '', 'Ann']], D2)).toMatchObject({ versioned: 1 });
    expect(mergeSourceRows(dim, [['C1', '', 'Ann']], D3)).toMatchObject({ unchanged: 1 });
  });

  it('adds inferred members for facts that come first and fills them in place when the member arrives', () => {
    let dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann']], D1);
    expect(addInferredMembers(dim, ['C9', 'C1', 'C5'], 0)).toBe(2);
    dim = roundTrip(dim, type2);
    const rows = [...dimensionBatches(dim, 10)].flatMap(batchToObjects);
    expect(rows.filter((r) => r.is_inferred).map((r) => [r.customer_key, r.customer_id, r.city, r.valid_from, r.valid_to, r.is_current])).toEqual([
      [2, 'C5', null, BEGINNING_OF_TIME * 86_400_000, END_OF_TIME * 86_400_000, true],
      [3, 'C9', null, BEGINNING_OF_TIME * 86_400_000, END_OF_TIME * 86_400_000, true],
    ]);
    expect(mergeSourceRows(dim, [['C9', 'Boston', 'Ivy']], D2)).toMatchObject({ inferred_filled: 1, added: 0, versioned: 0 });
    expect(dim.members.get('C9')).toEqual([{ key: 3, validFrom: BEGINNING_OF_TIME, validTo: END_OF_TIME, attrs: ['Boston', 'Ivy'], inferred: false, seenAt: D2 * 86_400_000 }]);
  });
});

describe('derived measures', () => {
  const TOTAL = 'round(quantity * unit_price * (1 - coalesce(discount, 0)) + coalesce(tax_amount, 0), 2)';
  const scales: Record<string, number> = { quantity: 0, unit_price: 2, discount: 4, tax_amount: 2 };
  const units = (expr: string, row: Record<string, unknown>, scale = 2) =>
    compileMeasure(parseMeasureExpression(expr), scale, (c) => () => row[c], (c) => scales[c])(0);
  /** The result's value, for readable expectations (units / 10^scale). */
  const evaluate = (expr: string, row: Record<string, unknown>, scale = 2) => {
    const u = units(expr, row, scale);
    return u === null ? null : Number(u) / 10 ** scale;
  };

  it('gives the scaled integer of the result, reading decimal columns from their digits', () => {
    expect(units('round(quantity * unit_price, 2)', { quantity: 3, unit_price: '1.15' })).toBe(345);
    expect(units(TOTAL, { quantity: 2, unit_price: '19.99', discount: '0.1500', tax_amount: '2.72' })).toBe(3670);
  });

  it('computes in exact decimal, half away from zero, as SQL DECIMAL does', () => {
    // In binary floating point 1.15 * 3 = 3.4499999999999997, which rounds to 3.44.
    expect(evaluate('round(quantity * unit_price, 2)', { quantity: 3, unit_price: 1.15 })).toBe(3.45);
    expect(evaluate('round(quantity * unit_price, 1)', { quantity: -1, unit_price: 0.25 })).toBe(-0.3);
    expect(evaluate(TOTAL, { quantity: 2, unit_price: 19.99, discount: 0.15, tax_amount: 2.72 })).toBe(36.7);
    expect(evaluate(TOTAL, { quantity: 1, unit_price: 10, discount: null, tax_amount: null })).toBe(10);
    expect(evaluate('quantity * unit_price', { quantity: null, unit_price: 2 })).toBeNull();
    expect(evaluate('unit_price / quantity', { quantity: 3, unit_price: 1 }, 4)).toBe(0.3333);
    expect(evaluate('unit_price / quantity', { quantity: 0, unit_price: 1 })).toBeNull();
  });

  it('agrees with the sample generator on every quantity, discount and many prices', () => {
    // Imported by path: tasks never import each other's packages; this test only checks the formula.
    const { computeTransactionAmounts } = require('../../sample-data/src/compute-amounts') as typeof import('../../sample-data/src/compute-amounts');
    let checked = 0;
    for (let cents = 1; cents < 20_000; cents += 7)
      for (const q of [1, 3, 7, 10])
        for (const pct of [0, 5, 10, 15, 20]) {
          const { taxCents, totalCents } = computeTransactionAmounts(q, cents, pct);
          const got = evaluate(TOTAL, { quantity: q, unit_price: cents / 100, discount: pct / 100, tax_amount: taxCents / 100 });
          if (got !== totalCents / 100) throw new Error(`q=${q} price=${cents / 100} discount=${pct}%: derived ${got}, sample ${totalCents / 100}`);
          checked++;
        }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('keeps every digit past 2^53 (bigint), in the inputs, the operations and the result', () => {
    // 2^53 + 1 is the first integer a double cannot hold; 9007199254740993 * 1.00 must stay it.
    expect(units('quantity * unit_price', { quantity: 9007199254740993n, unit_price: '1.00' })).toBe(900719925474099300n);
    expect(units('unit_price * 1000000', { unit_price: '123456789012345.67' })).toBe(12345678901234567000000n);
    expect(units('unit_price + tax_amount', { unit_price: '99999999999999999.99', tax_amount: '0.01' })).toBe(10000000000000000000n);
    expect(units('-(unit_price - tax_amount)', { unit_price: '0.01', tax_amount: '99999999999999999.99' })).toBe(9999999999999999998n);
    // Results that fit come back as numbers, even when an intermediate did not.
    expect(units('(unit_price * 1000000000) / 1000000000', { unit_price: '12345678.91' })).toBe(1234567891);
    // Scaled integers read from a Decimal128 column as bigints.
    const readUnits = (c: string) => (c === 'unit_price' ? { read: () => 123456789012345678901n, scale: 2 } : undefined);
    expect(compileMeasure(parseMeasureExpression('round(unit_price * 3, 2)'), 2, () => () => null, (c) => scales[c], readUnits)(0)).toBe(370370367037037036703n);
  });

  it('divides exactly, rounding half away from zero at 12 more places, and in bigint when the digits need it', () => {
    expect(units('unit_price / quantity', { unit_price: '10.00', quantity: 3 })).toBe(333);
    expect(units('unit_price / quantity', { unit_price: '2.00', quantity: 3 })).toBe(67);
    expect(units('unit_price / quantity', { unit_price: '-2.00', quantity: 3 })).toBe(-67);
    expect(units('unit_price / quantity', { unit_price: '0.05', quantity: 2 })).toBe(3); // 0.025 -> 0.03
    expect(units('unit_price / quantity', { unit_price: '-0.05', quantity: -2 })).toBe(3);
    expect(units('unit_price / quantity', { unit_price: '98765432109876543.21', quantity: 7 })).toBe(1410934744426807760n); // 14109347444268077.601...
    expect(units('unit_price / quantity', { unit_price: '90071992547409930.00', quantity: 9007199254740993n })).toBe(1000);
    expect(units('unit_price / quantity', { unit_price: '1.00', quantity: 9007199254740993n }, 18)).toBe(0); // below 10^-14: the documented limit
  });

  it('agrees with exact rational arithmetic on random sums and products of money', () => {
    // The oracle: values as fractions n/d of bigints, rounded half away from zero only at the end.
    type Q = [bigint, bigint];
    const q = (text: string): Q => {
      const [w, f = ''] = text.replace('-', '').split('.');
      const v = BigInt(w! + f) * (text.startsWith('-') ? -1n : 1n);
      return [v, 10n ** BigInt(f.length)];
    };
    const roundQ = ([n, d]: Q, k: number): bigint => {
      const num = n * 10n ** BigInt(k);
      const neg = num < 0n;
      const a = neg ? -num : num;
      let r = a / d;
      if ((a % d) * 2n >= d) r++;
      return neg ? -r : r;
    };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const money = () => {
      const digits = 1 + Math.floor(rand() * 19); // up to 10^19: past 2^53 about a third of the time
      let t = String(1 + Math.floor(rand() * 9));
      for (let i = 1; i < digits; i++) t += String(Math.floor(rand() * 10));
      return `${rand() < 0.3 ? '-' : ''}${t}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`;
    };
    for (let i = 0; i < 3000; i++) {
      const [a, b, c] = [money(), money(), money()];
      const qa = q(a), qb = q(b), qc = q(c);
      // a * b * (1 - c) + b, with c at scale 4 as a discount would be
      const qd = q(c.replace(/(\.\d\d)$/, '$1' + '15'));
      const oneMinus: Q = [qd[1] - qd[0], qd[1]];
      const product: Q = [qa[0] * qb[0] * oneMinus[0], qa[1] * qb[1] * oneMinus[1]];
      const expected = roundQ([product[0] * qb[1] + qb[0] * product[1], product[1] * qb[1]], 2);
      const got = compileMeasure(parseMeasureExpression('quantity * unit_price * (1 - discount) + unit_price'), 2, (col) => () => ({ quantity: a, unit_price: b, discount: c.replace(/(\.\d\d)$/, '$1' + '15') })[col], () => undefined)(0);
      if (BigInt(got as number | bigint) !== expected) throw new Error(`${a} * ${b} * (1 - ${c}15) + ${b}: got ${got}, exact ${expected}`);
      expect(typeof got === 'bigint').toBe(expected > BigInt(Number.MAX_SAFE_INTEGER) || expected < -BigInt(Number.MAX_SAFE_INTEGER));
      void qc;
    }
  });

  it('rejects bad expressions with the place of the problem', () => {
    expect(() => parseMeasureExpression('quantity * ')).toThrow('the expression ends too early');
    expect(() => parseMeasureExpression('quantity ^ 2')).toThrow('unexpected "^" at character 10');
    expect(() => parseMeasureExpression('sqrt(quantity)')).toThrow('unknown function sqrt');
    expect(() => parseMeasureExpression('round(quantity)')).toThrow('round takes (expression, digits 0-9)');
  });
});

describe('choosing the previous snapshot', () => {
  const manifest = (ds: string, committed_at: string, meta: Record<string, unknown> = {}) => ({ ds, committed_at, meta }) as unknown as Manifest;

  it('builds on the snapshot committed most recently, not the one with the largest ds; ties go to the larger ds', () => {
    const after26 = manifest('2026-11-01', '2026-11-27T02:10:00.000Z');
    expect(mostRecentlyCommitted([manifest('2026-11-26', '2026-11-27T02:00:00.000Z'), after26])).toBe(after26);
    // Compared as dates, not strings: an offset timestamp written elsewhere still orders right.
    const utc = manifest('2026-11-27', '2026-11-27T02:30:00.000Z');
    expect(mostRecentlyCommitted([manifest('2026-11-28', '2026-11-27T03:00:00.000+02:00'), utc])).toBe(utc);
    const tie = manifest('2026-11-27', '2026-11-27T02:00:00.000Z');
    expect(mostRecentlyCommitted([tie, manifest('2026-11-01', '2026-11-27T02:00:00.000Z')])).toBe(tie);
    expect(mostRecentlyCommitted([])).toBeUndefined();
  });

  it('takes the highest max_key of all snapshots, skipping manifests written before max_key existed', () => {
    expect(highestMaxKey([manifest('2026-11-26', 'x', { max_key: 2 }), manifest('2026-11-01', 'x', { max_key: 9 }), manifest('2026-10-01', 'x')])).toBe(9);
    expect(highestMaxKey([manifest('2026-10-01', 'x')])).toBe(0);
  });
});

describe('buildFactBatch', () => {
  const src: ColumnDef[] = [
    { name: 'transaction_id', kind: 'string' },
    { name: 'customer_id', kind: 'string' },
    { name: 'quantity', kind: 'int32' },
    { name: 'total_amount', kind: 'float64' },
    { name: 'transaction_timestamp', kind: 'timestamp' },
  ];

  it('looks up surrogate keys, counts misses as -1, derives date_key, keeps measures', () => {
    const b = new BatchBuilder(src);
    b.appendRow(['T1', 'C1', 2, 10.5, Date.UTC(2026, 10, 25, 23, 59)]);
    b.appendRow(['T2', 'NOPE', 1, 3, Date.UTC(2025, 0, 1)]);
    b.appendRow(['T3', null, 1, 3, null]);
    const stats: FactBatchStats = { unknown: {} };
    const out = buildFactBatch(b.finish(), {
      grain: ['transaction_id'],
      dateColumn: 'transaction_timestamp',
      measures: ['quantity', 'total_amount'],
      lookups: [{ column: 'customer_id', keyColumn: 'customer_key', keys: { keyAt: (nk: string) => (nk === 'C1' ? 7 : undefined) } }],
      batchDs: '2026-11-26',
    }, stats);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['transaction_id', 'date_key', 'customer_key', 'quantity', 'total_amount', 'transaction_timestamp', 'batch_ds']);
    expect(batchToObjects(out).map((r) => [r.transaction_id, r.date_key, r.customer_key, r.quantity, r.total_amount, r.batch_ds])).toEqual([
      ['T1', 20261125, 7, 2, 10.5, Date.UTC(2026, 10, 26)],
      ['T2', 20250101, -1, 1, 3, Date.UTC(2026, 10, 26)],
      ['T3', -1, -1, 1, 3, Date.UTC(2026, 10, 26)],
    ]);
    expect(stats.unknown).toEqual({ customer_key: 2 });
    expect([stats.minDay, stats.maxDay]).toEqual([Date.UTC(2025, 0, 1) / 86_400_000, Date.UTC(2026, 10, 25) / 86_400_000]);
  });

  it('gives each fact the version valid at its date, across batches, as keyAt does row by row', () => {
    const dim = emptyDimension(type2, kinds);
    mergeSourceRows(dim, [['C1', 'Austin', 'Ann'], ['C2', 'Boston', 'Bob']], D1);
    mergeSourceRows(dim, [['C1', 'Dallas', 'Ann'], ['C2', 'Boston', 'Bob']], D2);
    const keys = keyLookup(dim);
    const plan = {
      grain: ['transaction_id'],
      dateColumn: 'transaction_timestamp',
      measures: [],
      lookups: [{ column: 'customer_id', keyColumn: 'customer_key', keys }],
      batchDs: '2026-11-26',
    };
    const stats: FactBatchStats = { unknown: {} };
    const facts: [string, string | null, number][] = [
      ['T1', 'C1', D1],
      ['T2', 'C1', D2],
      ['T3', 'C2', D1],
      ['T4', 'C9', D2],
      ['T5', 'C1', D1 - 30],
      ['T6', 'C2', D3],
      ['T7', 'C1', D3],
      ['T8', null, D3],
    ];
    const got: unknown[] = [];
    for (const part of [facts.slice(0, 3), facts.slice(3)]) {
      const b = new BatchBuilder(src);
      for (const [t, c, day] of part) b.appendRow([t, c, 1, 1, day * 86_400_000]);
      got.push(...batchToObjects(buildFactBatch(b.finish(), plan, stats)).map((r) => r.customer_key));
    }
    expect(got).toEqual(facts.map(([, c, day]) => (c === null ? -1 : keys.keyAt(c, day) ?? -1)));
    expect(got).toEqual([1, 3, 2, -1, 1, 2, 3, -1]);
    expect(stats.unknown).toEqual({ customer_key: 2 });
  });
});

describe('a snapshot written before decimals were exact', () => {
  it('promotes its double attributes to the declared decimal, so unchanged members stay unchanged', () => {
    const spec: DimensionSpec = { keyColumn: 'product_key', naturalKey: 'product_id', attributes: ['unit_price'], history: 'type2' };
    // The old lake: unit_price stored as double.
    const old = emptyDimension(spec, () => 'float64');
    mergeSourceRows(old, [['P1', 19.99], ['P2', 2.5], ['P3', 0.1 + 0.2]], D1);
    const stored = [...dimensionBatches(old, 1000)];
    expect(stored[0]!.schema.fields.find((f) => f.name === 'unit_price')!.type.toString()).toBe('Float64');
    // This run: unit_price declared decimal(12,2); the source reads as fixed-scale digits.
    const dim = emptyDimension(spec, () => ({ kind: 'decimal', precision: 12, scale: 2 }));
    for (const b of stored) loadSnapshotBatch(dim, b);
    expect(dim.members.get('P2')![0]!.attrs).toEqual(['2.50']);
    expect(dim.members.get('P3')![0]!.attrs).toEqual(['0.30']); // 0.30000000000000004 rounded half away from zero
    expect(mergeSourceRows(dim, [['P1', '19.99'], ['P2', '2.50'], ['P3', '0.31']], D2)).toMatchObject({ added: 0, unchanged: 2, versioned: 1 });
    const written = [...dimensionBatches(dim, 1000)];
    const t = written[0]!.schema.fields.find((f) => f.name === 'unit_price')!.type as unknown as { precision: number; scale: number };
    expect([t.precision, t.scale]).toEqual([12, 2]);
  });
});
