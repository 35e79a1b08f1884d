import { batchToObjects } from '@salesflow/batches';
import { seededRandom } from '../../../tests/faults/kit/seeded-random';
import { END_OF_TIME, addInferredMembers, dimensionBatches, emptyDimension, keyLookup, loadSnapshotBatch, mergeObservations, type Dimension, type DimensionSpec, type Observation } from './build-dimension';

const DAY_MS = 86_400_000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const ms = (isoTime: string) => Date.parse(isoTime.length === 10 ? `${isoTime}T00:00:00Z` : isoTime);
const iso = (epochDay: number) => new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
const START = day('1900-01-01');

/** dim_customer tracking city; name is overwritten in place. */
const spec: DimensionSpec = { keyColumn: 'customer_key', naturalKey: 'customer_id', attributes: ['city', 'name'], history: 'type2', tracked: ['city'], historyStart: START };
const seen = (naturalKey: string, city: string, at: string, name = 'Ann'): Observation => ({ naturalKey, attrs: [city, name], at: ms(at) });

/** Written as a snapshot and read back, as the next run sees it. */
function roundTrip(dim: Dimension): Dimension {
  const reloaded = emptyDimension({ ...spec, historyStart: dim.historyStart });
  for (const b of dimensionBatches(dim, 1000)) loadSnapshotBatch(reloaded, b);
  return reloaded;
}

/** The snapshot rows of a member as [key, valid_from, valid_to, city, name, is_current], by valid_from. */
function rowsOf(dim: Dimension) {
  const rows = [...dimensionBatches(dim, 1000)].flatMap(batchToObjects);
  const out: Record<string, unknown[][]> = {};
  for (const r of rows.sort((a, b) => (a.valid_from as number) - (b.valid_from as number)))
    (out[r.customer_id as string] ??= []).push([r.customer_key, iso((r.valid_from as number) / DAY_MS), iso((r.valid_to as number) / DAY_MS), r.city, r.name, r.is_current]);
  return out;
}

/**
 * What must hold of any snapshot: per member, ranges start at historyStart, follow each other
 * without gap or overlap, end at END_OF_TIME, and exactly the last is current; keys are unique.
 * Returns the problems found.
 */
function historyProblems(dim: Dimension): string[] {
  const problems: string[] = [];
  const rows = [...dimensionBatches(dim, 1000)].flatMap(batchToObjects);
  const keys = new Set<unknown>();
  const byMember = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    if (keys.has(r.customer_key)) problems.push(`key ${r.customer_key} twice`);
    keys.add(r.customer_key);
    const list = byMember.get(r.customer_id as string) ?? [];
    list.push(r);
    byMember.set(r.customer_id as string, list);
  }
  for (const [nk, list] of byMember) {
    list.sort((a, b) => (a.valid_from as number) - (b.valid_from as number));
    const from = list.map((r) => (r.valid_from as number) / DAY_MS);
    const to = list.map((r) => (r.valid_to as number) / DAY_MS);
    if (dim.historyStart !== undefined && from[0] !== dim.historyStart) problems.push(`${nk}: starts ${iso(from[0]!)}`);
    if (to[to.length - 1] !== END_OF_TIME) problems.push(`${nk}: last version ends ${iso(to[to.length - 1]!)}`);
    for (let i = 0; i < list.length; i++) {
      if (to[i]! < from[i]!) problems.push(`${nk}: version ${list[i]!.customer_key} ends before it starts`);
      if (i > 0 && from[i] !== to[i - 1]! + 1) problems.push(`${nk}: ${iso(to[i - 1]!)} then ${iso(from[i]!)}`);
    }
    const current = list.filter((r) => r.is_current).length;
    if (current !== 1) problems.push(`${nk}: ${current} current versions`);
  }
  return problems;
}

describe('type 2 versions dated by the source', () => {
  it("starts each version on the day of the source's time, not the run's", () => {
    const dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-15T09:30:00Z'), seen('C2', 'Boston', '2026-11-20T23:59:00Z')]);
    mergeObservations(roundTrip(dim), []);
    const next = roundTrip(dim);
    expect(mergeObservations(next, [seen('C1', 'Dallas', '2026-11-03T10:00:00Z'), seen('C2', 'Boston', '2026-11-20T23:59:00Z')])).toMatchObject({ versioned: 1, unchanged: 1 });
    expect(rowsOf(roundTrip(next))).toEqual({
      UNKNOWN: [[-1, '1900-01-01', '9999-12-31', 'Unknown', 'Unknown', true]],
      C1: [
        [1, '1900-01-01', '2026-11-02', 'Austin', 'Ann', false],
        [3, '2026-11-03', '9999-12-31', 'Dallas', 'Ann', true],
      ],
      C2: [[2, '1900-01-01', '9999-12-31', 'Boston', 'Ann', true]],
    });
  });

  it('slots a change older than the current version in before it, without overlap, whatever order the rows come in', () => {
    const inOrder = emptyDimension(spec);
    const rows = [seen('C1', 'Austin', '2026-10-01'), seen('C1', 'Boston', '2026-11-03T10:00:00Z'), seen('C1', 'Chicago', '2026-11-20T08:00:00Z')];
    for (const r of rows) mergeObservations(inOrder, [r]);
    let late = emptyDimension(spec);
    for (const r of [rows[2]!, rows[0]!, rows[1]!]) {
      mergeObservations(late, [r]);
      late = roundTrip(late);
    }
    const cities = (d: Dimension) => rowsOf(d).C1!.map(([, from, to, city, , current]) => [from, to, city, current]);
    expect(cities(late)).toEqual([
      ['1900-01-01', '2026-11-02', 'Austin', false],
      ['2026-11-03', '2026-11-19', 'Boston', false],
      ['2026-11-20', '9999-12-31', 'Chicago', true],
    ]);
    expect(cities(late)).toEqual(cities(inOrder));
    expect(historyProblems(late)).toEqual([]);
    // Chicago was loaded first: it kept key 1 while two older versions went in front.
    expect(rowsOf(late).C1!.map((r) => r[0])).toEqual([2, 3, 1]);
  });

  it('several rows of a member in one batch are applied oldest first', () => {
    const dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Chicago', '2026-11-20'), seen('C1', 'Austin', '2026-10-01'), seen('C1', 'Boston', '2026-11-03')]);
    expect(rowsOf(dim).C1!.map((r) => [r[0], r[1], r[3]])).toEqual([
      [1, '1900-01-01', 'Austin'],
      [2, '2026-11-03', 'Boston'],
      [3, '2026-11-20', 'Chicago'],
    ]);
  });

  it('keeps the real start of a first version written from history_start, so an older row goes in front of it', () => {
    // The initial load ran on 11-05 and saw the customer in Boston since 11-03; a backfill of 11-01 then saw Austin.
    let dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Boston', '2026-11-03T10:00:00Z')]);
    const stored = [...dimensionBatches(dim, 1000)].flatMap(batchToObjects).find((r) => r.customer_id === 'C1')!;
    expect([stored.valid_from, stored.observed_from, stored.observed_at].map((v) => new Date(v as number).toISOString())).toEqual([
      '1900-01-01T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      '2026-11-03T10:00:00.000Z',
    ]);
    dim = roundTrip(dim);
    expect(mergeObservations(dim, [seen('C1', 'Austin', '2026-10-15')])).toMatchObject({ versioned: 1 });
    expect(rowsOf(dim).C1!.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      [2, '1900-01-01', '2026-11-02', 'Austin'],
      [1, '2026-11-03', '9999-12-31', 'Boston'],
    ]);
    const keys = keyLookup(dim);
    expect([keys.keyAt('C1', day('1999-01-01')), keys.keyAt('C1', day('2026-11-02')), keys.keyAt('C1', day('2026-11-03'))]).toEqual([2, 2, 1]);
  });

  it('writes first versions from their own start when history_start is null (historyStart undefined)', () => {
    const dim = emptyDimension({ ...spec, historyStart: undefined });
    mergeObservations(dim, [seen('C1', 'Boston', '2026-11-03T10:00:00Z')]);
    expect(rowsOf(dim).C1).toEqual([[1, '2026-11-03', '9999-12-31', 'Boston', 'Ann', true]]);
    expect(rowsOf(dim).UNKNOWN![0]![1]).toBe('1900-01-01');
  });

  it('dates a row older than history_start on history_start: the newest such row wins that day', () => {
    const dim = emptyDimension({ ...spec, historyStart: day('2020-01-01') });
    mergeObservations(dim, [seen('C1', 'Austin', '2015-06-01'), seen('C1', 'Boston', '2018-06-01'), seen('C1', 'Chicago', '2021-06-01')]);
    expect(rowsOf(dim).C1!.map((r) => [r[1], r[2], r[3]])).toEqual([
      ['2020-01-01', '2021-05-31', 'Boston'],
      ['2021-06-01', '9999-12-31', 'Chicago'],
    ]);
    expect(historyProblems(dim)).toEqual([]);
  });

  it('never overwrites with an older row: a backfill after a later day is stale', () => {
    const dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-01'), seen('C1', 'Austin', '2026-11-10', 'Annie')]);
    expect(mergeObservations(dim, [seen('C1', 'Austin', '2026-11-02', 'Ann')])).toMatchObject({ stale: 1, updated: 0 });
    expect(rowsOf(dim).C1!.map((r) => r[4])).toEqual(['Annie']);
    // The same day's row, corrected on a re-run, still wins.
    expect(mergeObservations(dim, [seen('C1', 'Austin', '2026-11-10', 'Anne')])).toMatchObject({ updated: 1 });
    expect(rowsOf(dim).C1!.map((r) => r[4])).toEqual(['Anne']);
  });

  it('a move seen after its way back (A, then A again later, then X in between) splits into A, X, A', () => {
    let dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-01'), seen('C1', 'Austin', '2026-11-10T12:00:00Z', 'Annie')]);
    dim = roundTrip(dim);
    expect(mergeObservations(dim, [seen('C1', 'Boston', '2026-11-03')])).toMatchObject({ versioned: 2 });
    expect(rowsOf(dim).C1!.map((r) => [r[0], r[1], r[2], r[3], r[5]])).toEqual([
      [1, '1900-01-01', '2026-11-02', 'Austin', false],
      [2, '2026-11-03', '2026-11-09', 'Boston', false],
      [3, '2026-11-10', '9999-12-31', 'Austin', true],
    ]);
    expect(rowsOf(dim).C1![2]![4]).toBe('Annie');
    // Earlier on the day A was seen again, the later row wins the day.
    expect(mergeObservations(dim, [seen('C1', 'Denver', '2026-11-10T08:00:00Z')])).toMatchObject({ stale: 1, versioned: 0 });
    expect(historyProblems(dim)).toEqual([]);
  });

  it('also when A was seen again unchanged: A, X, A', () => {
    const dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-01')]);
    expect(mergeObservations(dim, [seen('C1', 'Austin', '2026-11-10')])).toMatchObject({ unchanged: 1 });
    mergeObservations(dim, [seen('C1', 'Boston', '2026-11-03')]);
    expect(rowsOf(dim).C1!.map((r) => [r[1], r[3]])).toEqual([
      ['1900-01-01', 'Austin'],
      ['2026-11-03', 'Boston'],
      ['2026-11-10', 'Austin'],
    ]);
  });

  it('a row earlier on the day its version was seen again is stale, not an empty version', () => {
    const dim = emptyDimension(spec);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-01'), seen('C1', 'Austin', '2026-11-10T12:00:00Z', 'Annie')]);
    expect(mergeObservations(dim, [seen('C1', 'Boston', '2026-11-10T08:00:00Z')])).toMatchObject({ stale: 1, versioned: 0 });
    expect(rowsOf(dim).C1!.map((r) => [r[1], r[3], r[4]])).toEqual([['1900-01-01', 'Austin', 'Annie']]);
    expect(historyProblems(dim)).toEqual([]);
  });

  it('an inferred member filled by its row starts on that row\'s day, so an older row still goes in front', () => {
    let dim = emptyDimension(spec);
    expect(addInferredMembers(dim, ['C1'])).toBe(1);
    expect(rowsOf(dim).C1).toEqual([[1, '1900-01-01', '9999-12-31', null, null, true]]);
    dim = roundTrip(dim);
    expect(mergeObservations(dim, [seen('C1', 'Boston', '2026-11-03')])).toMatchObject({ inferred_filled: 1 });
    dim = roundTrip(dim);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-15')]);
    expect(rowsOf(dim).C1!.map((r) => [r[0], r[1], r[3]])).toEqual([
      [2, '1900-01-01', 'Austin'],
      [1, '2026-11-03', 'Boston'],
    ]);
  });

  it('reads a snapshot written before observed_from existed: valid_from is the real start', () => {
    const old = emptyDimension({ ...spec, historyStart: undefined });
    mergeObservations(old, [seen('C1', 'Boston', '2026-11-03')]);
    const batches = [...dimensionBatches(old, 1000)].map((b) => b.select(['customer_key', 'customer_id', 'city', 'name', 'valid_from', 'valid_to', 'is_current', 'is_inferred']));
    const dim = emptyDimension(spec);
    for (const b of batches) loadSnapshotBatch(dim, b);
    mergeObservations(dim, [seen('C1', 'Austin', '2026-10-15')]);
    expect(rowsOf(dim).C1!.map((r) => [r[1], r[3]])).toEqual([
      ['1900-01-01', 'Austin'],
      ['2026-11-03', 'Boston'],
    ]);
  });
});

describe('type 2 history built in any order', () => {
  /** A member's true states over time: [epoch ms of the change, city, name], oldest first. */
  type Truth = [number, string, string][];
  const DAYS = 24;
  const D0 = day('2026-11-01');

  function randomTruth(rand: () => number, members: number): Map<string, Truth> {
    const out = new Map<string, Truth>();
    for (let m = 0; m < members; m++) {
      const changes: Truth = [];
      let t = (D0 - 30 + Math.floor(rand() * 40)) * DAY_MS + Math.floor(rand() * DAY_MS);
      let city = 'Austin';
      let name = 'Ann';
      for (let c = 0; c < 1 + Math.floor(rand() * 6); c++) {
        if (c > 0) {
          t += Math.floor(rand() * 4 * DAY_MS) + 1;
          // A move (sometimes back), a name change, or both.
          const kind = rand();
          if (kind < 0.6) city = city === 'Austin' ? 'Boston' : rand() < 0.7 ? 'Austin' : 'Chicago';
          if (kind > 0.4) name = `Ann${c}`;
        }
        changes.push([t, city, name]);
      }
      out.set(`C${m}`, changes);
    }
    return out;
  }

  /** The rows a run of ds delivers: full, every member's state at the end of ds; cursor, those that changed on ds. */
  function delivery(truth: Map<string, Truth>, ds: number, full: boolean): Observation[] {
    const end = (ds + 1) * DAY_MS;
    const out: Observation[] = [];
    for (const [naturalKey, changes] of truth) {
      const known = changes.filter(([t]) => t < end);
      const state = known[known.length - 1];
      if (!state) continue;
      if (full || state[0] >= ds * DAY_MS) out.push({ naturalKey, attrs: [state[1], state[2]], at: state[0] });
    }
    return out;
  }

  /** The history the delivered rows imply, recomputed on its own: [from, to, city] per member, and the current name. */
  function expectedHistory(deliveries: Observation[][]): Record<string, { ranges: unknown[][]; name: unknown }> {
    const byMember = new Map<string, Map<number, Observation>>();
    for (const o of deliveries.flat()) (byMember.get(o.naturalKey) ?? byMember.set(o.naturalKey, new Map()).get(o.naturalKey)!).set(o.at, o);
    const out: Record<string, { ranges: unknown[][]; name: unknown }> = {};
    for (const [nk, seenAt] of byMember) {
      const ordered = [...seenAt.values()].sort((a, b) => a.at - b.at);
      const runs: { from: number; city: unknown }[] = [];
      for (const o of ordered) if (runs[runs.length - 1]?.city !== o.attrs[0]) runs.push({ from: Math.floor(o.at / DAY_MS), city: o.attrs[0] });
      out[nk] = {
        ranges: runs.map((r, i) => [i === 0 ? '1900-01-01' : iso(r.from), i + 1 < runs.length ? iso(runs[i + 1]!.from - 1) : '9999-12-31', r.city]),
        name: ordered[ordered.length - 1]!.attrs[1],
      };
    }
    return out;
  }

  function actualHistory(dim: Dimension): Record<string, { ranges: unknown[][]; name: unknown }> {
    const out: Record<string, { ranges: unknown[][]; name: unknown }> = {};
    for (const [nk, rows] of Object.entries(rowsOf(dim))) {
      if (nk === 'UNKNOWN') continue;
      out[nk] = { ranges: rows.map((r) => [r[1], r[2], r[3]]), name: rows.find((r) => r[5])![4] };
    }
    return out;
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: in order, shuffled, and with re-runs, the history is the one the rows imply; keys never move', (seed) => {
    const rand = seededRandom(seed);
    const truth = randomTruth(rand, 20);
    const full = seed % 2 === 0;
    const deliveries = Array.from({ length: DAYS }, (_, i) => delivery(truth, D0 + i, full));
    const expected = expectedHistory(deliveries);
    const order = Array.from({ length: DAYS }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // Then re-runs of a few days, as a backfill or an Airflow clear would.
    const reruns = [order[3]!, order[0]!, order[DAYS - 1]!];
    for (const runOrder of [order.map((_, i) => i), [...order, ...reruns]]) {
      let dim = emptyDimension(spec);
      const owner = new Map<number, string>();
      for (const ds of runOrder) {
        mergeObservations(dim, deliveries[ds]!);
        dim = roundTrip(dim);
        expect(historyProblems(dim)).toEqual([]);
        // A key, once given, stays in the dimension and belongs to the same member.
        const now = new Map<number, string>();
        for (const [nk, versions] of dim.members) for (const v of versions) now.set(v.key, nk);
        for (const [key, nk] of owner) expect([key, now.get(key)]).toEqual([key, nk]);
        for (const [key, nk] of now) owner.set(key, nk);
      }
      expect(actualHistory(dim)).toEqual(expected);
    }
  });
});
