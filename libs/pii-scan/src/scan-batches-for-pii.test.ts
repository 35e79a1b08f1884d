import * as arrow from 'apache-arrow';
import { DecimalWriter } from '@salesflow/batches';
import { ExitCode } from '@salesflow/errors';
import { piiPolicyFromConfig, PiiFoundError, PiiScanner, scanBatchesForPii, type PiiScanPolicy } from './index';

function batch(columns: Record<string, (string | null)[]>): arrow.RecordBatch {
  return new arrow.RecordBatch(Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, arrow.vectorFromArray(v, new arrow.Utf8())])));
}

const policy: PiiScanPolicy = {
  detectors: ['email', 'phone', 'card', 'ssn'],
  sensitiveColumns: ['*email*', 'first_name'],
  safeColumns: ['store_phone'],
  maskedColumns: ['email', 'first_name'],
  sampleRows: 1000,
};

describe('scanBatchesForPii', () => {
  it('catches a planted card number and email in an undeclared column, and counts without values', async () => {
    const notes = Array.from({ length: 500 }, (_, i) => (i === 321 ? 'paid with 4111 1111 1111 1111' : i === 99 ? 'mail ann@corp.example' : `note ${i}`));
    const rows = notes.length;
    const part = (from: number, to: number) =>
      batch({
        email: Array.from({ length: to - from }, (_, i) => `${(from + i).toString(16).padStart(10, '0')}@example.com`),
        first_name: Array.from({ length: to - from }, () => 'tok_abcdefghijklmnop'),
        notes: notes.slice(from, to),
        store_phone: Array.from({ length: to - from }, () => '(555) 123-4567'),
        _run_id: Array.from({ length: to - from }, () => 'manual__2026-11-26T02:00:00'),
      });
    const result = await scanBatchesForPii('customers', [part(0, 200), part(200, rows)], policy, { expectedRows: rows });
    expect(result.rowsSampled).toBe(rows);
    expect(result.findings).toEqual([
      { table: 'customers', column: 'notes', reason: 'pattern', kind: 'email', matches: 1, sampled: rows },
      { table: 'customers', column: 'notes', reason: 'pattern', kind: 'card', matches: 1, sampled: rows },
    ]);
    const err = new PiiFoundError(result.findings, { ds: '2026-11-26' });
    expect(err.exitCode).toBe(ExitCode.dataQuality);
    expect(err.message).toMatch(/customers\.notes has 1 of 500 sampled values that look like emails; customers\.notes has 1 of 500 sampled values that look like card numbers/);
    expect(err.message).not.toContain('4111');
  });

  it('reports a sensitive column left unmasked whatever its values', async () => {
    const result = await scanBatchesForPii('customers', [batch({ work_email: ['n/a', null] })], policy);
    expect(result.findings).toEqual([{ table: 'customers', column: 'work_email', reason: 'sensitive_unmasked' }]);
  });

  it('samples evenly across batches when the size is known', () => {
    const s = new PiiScanner('t', { ...policy, sampleRows: 10 }, { expectedRows: 100 });
    const values = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? '123-45-6789' : 'x'));
    for (let i = 0; i < 100; i += 7) s.scan(batch({ c: values.slice(i, i + 7) }));
    const r = s.result();
    expect(r.rowsSampled).toBe(10);
    // rows 0, 10, 20 ... are sampled, and each holds an SSN
    expect(r.columns.c).toEqual({ ssn: 10 });
  });

  it('names the columns it reads, and counts skipped rows as scan() counts them', () => {
    const s = new PiiScanner('t', { ...policy, safeColumns: ['note'] }, {});
    const b = batch({ name: ['a'], note: ['b'], _source: ['c'] });
    expect(s.scannedColumns(b.schema)).toEqual(['name']);

    for (const [rows, sizes] of [
      [100, [7, 93]],
      [35, [1, 1, 33]],
      [9, [9]],
    ] as const) {
      const scanned = new PiiScanner('t', { ...policy, sampleRows: 10 }, { expectedRows: rows });
      const skipped = new PiiScanner('t', { ...policy, sampleRows: 10 }, { expectedRows: rows });
      for (const n of sizes) {
        scanned.scan(batch({ c: Array.from({ length: n }, () => 'x') }));
        skipped.skipRows(n);
      }
      expect([rows, skipped.result().rowsSampled]).toEqual([rows, scanned.result().rowsSampled]);
    }
  });
});

describe('piiPolicyFromConfig', () => {
  it('treats columns with a rule (globs too) as masked and takes the entity\'s safe columns', () => {
    const mask = {
      entities: { customers: { email: { method: 'email' as const, keep: 4, at_ingest: false }, '*name': { method: 'tokenize' as const, keep: 4, at_ingest: false } } },
      pii_scan: { enabled: true, sample_rows: 50, detectors: ['email' as const], countries: ['US' as const], sensitive_columns: ['*email*'], safe_columns: ['customers.notes', 'locations.*'] },
    };
    expect(piiPolicyFromConfig(mask, 'customers', ['email', 'first_name', 'last_name', 'city'])).toEqual({
      detectors: ['email'],
      countries: ['US'],
      maskedMethods: { email: 'email', first_name: 'tokenize', last_name: 'tokenize' },
      sensitiveColumns: ['*email*'],
      safeColumns: ['notes'],
      maskedColumns: ['email', 'first_name', 'last_name'],
      sampleRows: 50,
    });
    expect(piiPolicyFromConfig(mask, 'locations', ['phone']).safeColumns).toEqual(['*']);
  });

  it('scans masked and numeric columns: what a mask lets through, and card numbers held as bigints', async () => {
    const leaky = new arrow.RecordBatch({
      email: arrow.vectorFromArray(['127c14df56@example.com 515-555-6908 ssn 078-05-1120', '0123456789@example.com'], new arrow.Utf8()),
      first_name: arrow.vectorFromArray(['tok_abcdefghijklmnop', 'tok_bbcdefghijklmnop'], new arrow.Utf8()),
      card_no: arrow.vectorFromArray([4111111111111111n, 5555555555554444n], new arrow.Int64()),
      amount: arrow.vectorFromArray([12.5, 99.99], new arrow.Float64()),
    });
    const p: PiiScanPolicy = { ...policy, maskedMethods: { email: 'email', first_name: 'tokenize' } };
    const result = await scanBatchesForPii('customers', [leaky], p);
    expect(result.findings.map((f) => `${f.column}:${f.kind}:${f.matches}`).sort()).toEqual(['card_no:card:2', 'email:phone:1', 'email:ssn:1']);
  });

  it('scans a DECIMAL column as its fixed-scale digits, as readers see it, not as its scaled integer', async () => {
    const decimals = (values: (string | null)[]) => {
      const w = new DecimalWriter(18, 2);
      for (const v of values) w.append(v);
      return arrow.makeVector(w.finish());
    };
    // 51555569.08 is no phone, but its scaled integer 5155556908 would look like one; 4111111111111111.00 is a card number either way.
    const b = new arrow.RecordBatch({ price: decimals(['51555569.08', '0780511.20', null]), card_as_money: decimals(['4111111111111111.00', null, null]) });
    const result = await scanBatchesForPii('sales', [b], { ...policy, countries: ['US'] });
    expect(result.findings.map((f) => `${f.column}:${f.kind}:${f.matches}`)).toEqual(['card_as_money:card:1']);
  });
});
