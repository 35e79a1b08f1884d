import { BatchBuilder, batchToObjects, murmur3x86_128, writeHashHex, type ColumnDef } from '@salesflow/batches';
import type { StandardizeEntityConfig } from '@salesflow/config';
import { EntityStandardizer, planEntity } from './standardize-batch';

const RAW: ColumnDef[] = ['Transaction ID', 'Quantity', 'Total Amount', 'Transaction Timestamp', 'Extra'].map((name) => ({ name, kind: 'string' as const }));
const RAW_WITH_LINEAGE: ColumnDef[] = [...RAW, { name: '_source_file', kind: 'string' }, { name: '_source_row', kind: 'int32' }];

const CFG: StandardizeEntityConfig = {
  source: 'landing',
  key: ['transaction_id'],
  columns: {
    transaction_id: { type: 'string', required: true, scale: 2 },
    quantity: { type: 'int', required: true, scale: 2 },
    total_amount: { type: 'decimal', required: false, scale: 2 },
    transaction_timestamp: { type: 'timestamp', required: true, scale: 2 },
  },
};

function rawBatch(rows: unknown[][]) {
  const b = new BatchBuilder(RAW_WITH_LINEAGE);
  rows.forEach((r, i) => b.appendRow([...r, 'file:///landing/sales.csv', i + 2]));
  return b.finish();
}

describe('EntityStandardizer', () => {
  const plan = planEntity('sales', CFG, new BatchBuilder(RAW_WITH_LINEAGE).schema);

  it('maps snake_cased raw names to the declared schema and reports undeclared columns', () => {
    expect(plan.columns.map((c) => [c.target, c.raw])).toEqual([
      ['transaction_id', 'Transaction ID'],
      ['quantity', 'Quantity'],
      ['total_amount', 'Total Amount'],
      ['transaction_timestamp', 'Transaction Timestamp'],
    ]);
    expect(plan.undeclared).toEqual(['Extra']);
  });

  it('routes rows to processed, rejected (with reasons) or duplicates, and counts reconcile', () => {
    const std = new EntityStandardizer(plan, { source: 'landing', ingestedAt: 1000, runId: 'r1' });
    std.push(
      rawBatch([
        [' TXN1 ', '2', '$10.50', '2026-11-25T10:00:00Z', 'x'],
        ['TXN2', 'two', '5', '2026-11-25T10:00:00Z', 'x'],
        ['TXN3', '1', '', '2026-13-45 25:61', 'x'],
      ]),
    );
    std.push(rawBatch([['TXN1', '9', '1', '2026-11-25T11:00:00Z', 'x'], ['', '1', '1', '2026-11-25T11:00:00Z', 'x']]));
    expect(std.counts).toEqual({ rowsIn: 5, rowsOut: 1, rejected: 3, duplicates: 1 });
    const [good] = batchToObjects(std.processed.finish());
    expect(good).toMatchObject({ transaction_id: 'TXN1', quantity: 2, total_amount: '10.50', transaction_timestamp: Date.UTC(2026, 10, 25, 10), _source: 'landing', _ingested_at: 1000, _run_id: 'r1' });
    expect(good!._row_hash).toMatch(/^[0-9a-f]{32}$/);
    const rejected = batchToObjects(std.rejected.finish());
    expect(rejected.map((r) => [r['Transaction ID'], r._reject_column, r._source_row])).toEqual([
      ['TXN2', 'quantity', 3],
      ['TXN3', 'transaction_timestamp', 4],
      ['', 'transaction_id', 3],
    ]);
    expect(rejected[0]!._reject_reason).toBe('quantity: "two" is not an integer');
    expect(rejected[0]!.Quantity).toBe('two');
  });

  it('gives the same row hash for the same business values', () => {
    const a = new EntityStandardizer(plan, { source: 's', ingestedAt: 1, runId: 'a' });
    const b = new EntityStandardizer(plan, { source: 's', ingestedAt: 2, runId: 'b' });
    const rows = [['TXN9', '1', '1', '2026-11-25T10:00:00Z', 'x']];
    a.push(rawBatch(rows));
    b.push(rawBatch(rows));
    expect(batchToObjects(a.processed.finish())[0]!._row_hash).toBe(batchToObjects(b.processed.finish())[0]!._row_hash);
  });

  it('hashes the business values as text: String(value), U+0000 for null, each followed by U+001F', () => {
    const std = new EntityStandardizer(plan, { source: 's', ingestedAt: 1, runId: 'a' });
    std.push(rawBatch([
      ['TXN9', '007', '0010.50', '2026-11-25T10:00:00Z', 'x'],
      [' é ', '-0', '', '1969-12-31T23:59:59Z', 'x'],
      ['X', '+3', '0.0000001', '2026-11-25T10:00:00.5Z', 'x'],
      ['Y', '4', '1.005', '2026-11-25 10:00', 'x'],
    ]));
    const rows = batchToObjects(std.processed.finish());
    expect(rows).toHaveLength(4);
    // MurmurHash3 x86_128 of the UTF-8 text (checked against the reference in libs/batches).
    const sha = (text: string) => {
      const out = new Uint8Array(32);
      const bytes = Buffer.from(text, 'utf8');
      writeHashHex(murmur3x86_128(bytes, 0, bytes.length, new Uint32Array(4)), out, 0);
      return Buffer.from(out).toString('latin1');
    };
    const expected = [
      'TXN9\u001f7\u001f10.5\u001f1795600800000\u001f',
      'é\u001f0\u001f\u0000\u001f-1000\u001f',
      'X\u001f3\u001f0\u001f1795600800500\u001f',
      'Y\u001f4\u001f1.01\u001f1795600800000\u001f',
    ].map(sha);
    expect(rows.map((r) => r._row_hash)).toEqual(expected);
    expect(rows.map((r) => sha(['transaction_id', 'quantity', 'total_amount', 'transaction_timestamp'].map((c) => (r[c] === null ? '\u0000' : c === 'total_amount' ? String(Number(r[c])) : String(r[c])) + '\u001f').join('')))).toEqual(expected);
  });

  it.each([
    ['reject', { rowsIn: 4, rowsOut: 2, rejected: 2, duplicates: 0 }, ['T1', 'T4\tok'], {}],
    ['strip', { rowsIn: 4, rowsOut: 4, rejected: 0, duplicates: 0 }, ['T1', 'T2', 'T3', 'T4\tok'], { transaction_id: 2, extra: 1 }],
    ['keep', { rowsIn: 4, rowsOut: 4, rejected: 0, duplicates: 0 }, ['T1', 'T\u00002', 'T3\u0007', 'T4\tok'], {}],
  ] as const)('control_characters: %s, with every row accounted for', (policy, counts, ids, stripped) => {
    const plan = planEntity('sales', { ...CFG, unknown_columns: 'evolve', control_characters: policy }, new BatchBuilder(RAW_WITH_LINEAGE).schema);
    const std = new EntityStandardizer(plan, { source: 's', ingestedAt: 1, runId: 'r' });
    const row = (id: string, extra = 'x') => [id, '1', '2.50', '2026-11-25T10:00:00Z', extra];
    std.push(rawBatch([row('T1'), row('T\u00002'), row('T3\u0007', 'e\u0000'), row('T4\tok')]));
    std.push(rawBatch([]));
    expect(std.counts).toEqual(counts);
    expect(std.counts.rowsIn).toBe(std.counts.rowsOut + std.counts.rejected + std.counts.duplicates);
    expect(batchToObjects(std.processed.finish()).map((r) => r.transaction_id)).toEqual(ids);
    expect(Object.fromEntries(std.stripped)).toEqual(stripped);
    const reasons = batchToObjects(std.rejected.finish()).map((r) => r._reject_reason);
    expect(reasons).toEqual(
      policy === 'reject'
        ? [expect.stringMatching(/^transaction_id: holds the control character U\+0000 \(NUL\) at character 2; /), expect.stringMatching(/^transaction_id: holds the control character U\+0007 \(BEL\) at character 3; .*; extra: holds the control character U\+0000 \(NUL\) at character 2/)]
        : [],
    );
  });

  it('deduplicates on a composite key of text and numbers across batches, by the values\' text', () => {
    // control_characters: keep, so a key holding the separator (U+001F) itself is kept and told apart.
    const composite = planEntity('sales', { ...CFG, key: ['transaction_id', 'quantity', 'total_amount'], control_characters: 'keep' }, new BatchBuilder(RAW_WITH_LINEAGE).schema);
    const std = new EntityStandardizer(composite, { source: 's', ingestedAt: 1, runId: 'r' });
    const row = (id: string, q: string, amount: string) => [id, q, amount, '2026-11-25T10:00:00Z', 'x'];
    std.push(rawBatch([row('A', '1', '2.50'), row('A', '01', '2.5'), row('A', '1', '2.51'), row('A\u001f1', '2', '2.5')]));
    std.push(rawBatch([row('A', '+1', '02.500'), row('A', '1', ''), row('B', '1', '2.5'), row('B', '1.0', '2.5')]));
    expect(std.counts).toEqual({ rowsIn: 8, rowsOut: 4, rejected: 2, duplicates: 2 });
    expect(batchToObjects(std.processed.finish()).map((r) => [r.transaction_id, r.quantity, r.total_amount])).toEqual([
      ['A', 1, '2.50'],
      ['A', 1, '2.51'],
      ['A\u001f1', 2, '2.50'],
      ['B', 1, '2.50'],
    ]);
    expect(batchToObjects(std.rejected.finish()).map((r) => r._reject_reason)).toEqual(['total_amount: key column is empty', 'quantity: "1.0" is not an integer']);
  });

  it('fails naming the entity and column when a required column is missing', () => {
    const schema = new BatchBuilder(RAW_WITH_LINEAGE.filter((c) => c.name !== 'Quantity')).schema;
    expect(() => planEntity('sales', CFG, schema)).toThrow(/Entity sales: the required column "quantity" is not in the raw data/);
  });

  it('fails when a column the star schema maps is missing, and fills an unmapped optional one with nulls', () => {
    const schema = new BatchBuilder(RAW_WITH_LINEAGE.filter((c) => !/total.?amount/i.test(c.name))).schema;
    expect(() => planEntity('sales', { ...CFG, columns: { ...CFG.columns, total_amount: { ...CFG.columns.total_amount!, from: 'amount_total' } } }, schema, { mapped: new Set(['total_amount']) })).toThrow(
      /Entity sales: the column "amount_total" \(declared as total_amount, which star_schema maps\) is not in the raw data/,
    );
    expect(planEntity('sales', CFG, schema, { mapped: new Set(['quantity']) }).missing).toEqual(['total_amount']);
  });

  it('names the delimiter when the whole CSV header landed in one column', () => {
    const schema = new BatchBuilder([{ name: 'transaction_id;quantity;store', kind: 'string' }, ...RAW_WITH_LINEAGE.filter((c) => c.name.startsWith('_'))]).schema;
    try {
      planEntity('sales', CFG, schema);
      throw new Error('planEntity accepted a header without the declared columns');
    } catch (e) {
      expect((e as { fix?: string }).fix).toMatch(/looks delimited by ";": set the entity's csv.delimiter/);
    }
  });
});

describe('keys and column names', () => {
  const plan = planEntity('sales', CFG, new BatchBuilder(RAW_WITH_LINEAGE).schema);

  it('rejects rows whose key is empty instead of dropping them as duplicates', () => {
    const optionalKey = planEntity('sales', { ...CFG, columns: { ...CFG.columns, transaction_id: { type: 'string', required: false, scale: 2 } } }, new BatchBuilder(RAW_WITH_LINEAGE).schema);
    const std = new EntityStandardizer(optionalKey, { source: 's', ingestedAt: 1, runId: 'r' });
    std.push(rawBatch(['', '', 'null', ' ', 'A'].map((id) => [id, '1', '1', '2026-11-25T10:00:00Z', 'x'])));
    expect(std.counts).toEqual({ rowsIn: 5, rowsOut: 2, rejected: 3, duplicates: 0 });
    expect(batchToObjects(std.processed.finish()).map((r) => r.transaction_id)).toEqual(['null', 'A']);
    expect(batchToObjects(std.rejected.finish()).map((r) => r._reject_reason)).toEqual(Array(3).fill('transaction_id: key column is empty'));
    expect(plan.key).toEqual(['transaction_id']);
  });

  it('fails when two raw columns snake_case to the same name', () => {
    const schema = new BatchBuilder([...RAW_WITH_LINEAGE, { name: 'transaction id', kind: 'string' }]).schema;
    expect(() => planEntity('sales', CFG, schema)).toThrow(/"Transaction ID" and "transaction id" both become "transaction_id"/);
  });

  it('plans an empty raw partition without failing on missing columns', () => {
    const schema = new BatchBuilder([{ name: '_source_file', kind: 'string' }, { name: '_source_row', kind: 'int32' }]).schema;
    expect(planEntity('sales', CFG, schema, { empty: true }).missing).toEqual(['transaction_id', 'quantity', 'total_amount', 'transaction_timestamp']);
  });
});
