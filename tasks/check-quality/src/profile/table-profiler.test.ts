import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import { HLL_PRECISION, TableProfiler, type DatasetProfile } from './table-profiler';
import { HyperLogLog } from './hyperloglog';
import { profileDriftResult } from './profile-drift';

const SCHEMA: ColumnDef[] = [
  { name: 'id', kind: 'string' },
  { name: 'region', kind: 'string' },
  { name: 'qty', kind: 'int32' },
  { name: 'big', kind: 'int64' },
  { name: 'amount', kind: 'decimal', precision: 12, scale: 2 },
  { name: 'day', kind: 'date' },
  { name: 'at', kind: 'timestamp' },
  { name: 'flag', kind: 'bool' },
];

/** 2,500 rows in batches of 1,000: every 10th region null, every 25th "", qty 1..100. */
function profileOf(rows = 2500, nullEvery = 10): DatasetProfile {
  const p = new TableProfiler('curated/fact_sales', '2026-11-26', SCHEMA);
  let b = new BatchBuilder(SCHEMA);
  for (let i = 0; i < rows; i++) {
    b.appendObject({
      id: `TXN${i}`,
      region: i % nullEvery === 0 ? null : i % 25 === 1 ? '' : ['West', 'East', 'North'][i % 3],
      qty: (i % 100) + 1,
      big: BigInt(i) * 1000n,
      amount: '12.50',
      day: Date.UTC(2026, 10, 1 + (i % 26)),
      at: Date.UTC(2026, 10, 26, 0, 0, i % 3600),
      flag: i % 2 === 0,
    });
    if (b.length === 1000) {
      p.consume(b.finish());
      b = new BatchBuilder(SCHEMA);
    }
  }
  if (b.length) p.consume(b.finish());
  return p.finish();
}

const col = (p: DatasetProfile, name: string) => p.columns.find((c) => c.name === name)!;

describe('TableProfiler', () => {
  it('profiles every column across batches: nulls, empties, distinct, ranges, quantiles, lengths, top values', () => {
    const p = profileOf();
    expect(p.rows).toBe(2500);
    const region = col(p, 'region');
    expect(region).toMatchObject({ kind: 'string', nulls: 250, null_pct: 10, distinct: 4, length: { min: 0, max: 5 } });
    expect(region.empty).toBe([...Array(2500).keys()].filter((i) => i % 10 !== 0 && i % 25 === 1).length);
    expect(region.top_values_exact).toBe(true);
    expect(region.top_values![0]!.count).toBeGreaterThan(region.top_values!.at(-1)!.count);
    const qty = col(p, 'qty');
    expect(qty).toMatchObject({ min: 1, max: 100, mean: 50.5, distinct: 100 });
    expect(qty.quantiles!.p50).toBeGreaterThanOrEqual(49);
    expect(qty.quantiles!.p50).toBeLessThanOrEqual(52);
    expect(qty.quantiles!.p99).toBeGreaterThanOrEqual(98);
    expect(col(p, 'big')).toMatchObject({ min: 0, max: 2_499_000 });
    expect(col(p, 'amount')).toMatchObject({ min: 12.5, max: 12.5, mean: 12.5, distinct: 1 });
    expect(col(p, 'day')).toMatchObject({ min: '2026-11-01', max: '2026-11-26', distinct: 26 });
    expect(col(p, 'at')).toMatchObject({ min: '2026-11-26T00:00:00.000Z', max: '2026-11-26T00:41:39.000Z' });
    expect(col(p, 'flag')).toMatchObject({ distinct: 2, top_values: [{ value: 'false', count: 1250 }, { value: 'true', count: 1250 }] });
    const id = col(p, 'id');
    expect(Math.abs(id.distinct - 2500) / 2500).toBeLessThan(0.03);
    expect(id.top_values).toBeUndefined(); // not low-cardinality
    expect(id.length).toEqual({ min: 4, mean: expect.any(Number), max: 7 });
    // What is stored must survive JSON.
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});

describe('profileDriftResult', () => {
  const limits = { max_null_pct_change: 10, max_distinct_change_pct: 50 };

  it('passes when nothing moved past the limits', () => {
    const r = profileDriftResult(profileOf(2500), profileOf(2000), limits);
    expect(r).toMatchObject({ name: 'fact_sales.profile_drift', severity: 'warn', status: 'passed', failing_rows: 0 });
    expect(r.message).toMatch(/no column drifted since 2026-11-26/);
  });

  it('names the columns whose null % or distinct count moved, as a warn check', () => {
    // Every 2nd region null (50% vs 10%), and 5x the ids.
    const r = profileDriftResult(profileOf(12_500, 2), profileOf(2500), limits);
    expect(r.status).toBe('failed');
    expect(r.severity).toBe('warn');
    expect(r.columns).toEqual(expect.arrayContaining(['region', 'id']));
    expect(r.columns).not.toContain('qty');
    expect(r.sample.find((s) => s.column === 'region')).toMatchObject({ null_pct_before: 10, null_pct: 50 });
    expect(r.message).toMatch(/region \(null % 10 -> 50\)/);
  });

  it('mentions columns that appeared or went away without calling them drift', () => {
    const now = profileOf();
    const before: DatasetProfile = { ...now, ds: '2026-11-25', columns: [...now.columns.filter((c) => c.name !== 'flag'), { ...col(now, 'qty'), name: 'old_col' }] };
    const r = profileDriftResult(now, before, limits);
    expect(r.status).toBe('passed');
    expect(r.message).toMatch(/new columns: flag; columns gone: old_col/);
  });
});

describe('distinct counts past the top-value counters', () => {
  // The sketch skips values while the counters count exactly and is seeded from them when they stop:
  // it must end as a sketch that saw every value, whatever the order and the type.
  const schema: ColumnDef[] = [
    { name: 'n', kind: 'int32' },
    { name: 's', kind: 'string' },
    { name: 'b', kind: 'bool' },
  ];
  it.each([150, 1000, 20_000])('%i distinct values: the estimate of a sketch fed every value', (distinct) => {
    const p = new TableProfiler('curated/t', '2026-11-26', schema);
    const always = { n: new HyperLogLog(HLL_PRECISION), s: new HyperLogLog(HLL_PRECISION) };
    const b = new BatchBuilder(schema);
    for (let i = 0; i < 30_000; i++) {
      // 99 values first and often, never seen again (only the seed can bring them to the sketch), then the rest: the counters are exact for a while, then stop.
      const v = i < 5_000 ? 1_000_000 + (i % 99) : (i * 7919) % distinct;
      b.appendObject({ n: v, s: `K${v}`, b: i % 2 === 0 });
      always.n.add(v);
      always.s.add(`K${v}`);
    }
    p.consume(b.finish());
    const profile = p.finish();
    // Capped at the non-null values, as the profile caps it.
    expect(col(profile, 'n').distinct).toBe(Math.min(always.n.estimate(), 30_000));
    expect(col(profile, 's').distinct).toBe(Math.min(always.s.estimate(), 30_000));
    expect(col(profile, 'n').top_values_exact).toBeUndefined();
    // Two values: the counters stay exact and give the count.
    expect(col(profile, 'b').distinct).toBe(2);
    expect(col(profile, 'b').top_values_exact).toBe(true);
  });
});
