import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import type { QualityCheckConfig } from '@salesflow/config';
import type { PiiScanPolicy } from '@salesflow/pii-scan';
import { createCheck, runChecks } from './index';

const cols: ColumnDef[] = [
  { name: 'customer_id', kind: 'string' },
  { name: 'email', kind: 'string' },
  { name: 'notes', kind: 'string' },
  { name: 'segment', kind: 'string' },
  { name: '_row_hash', kind: 'string' },
];

const policy = (over: Partial<PiiScanPolicy> = {}): PiiScanPolicy => ({
  detectors: ['email', 'phone', 'card', 'ssn'],
  sensitiveColumns: ['*email*', 'ssn'],
  safeColumns: [],
  maskedColumns: ['email'],
  sampleRows: 1000,
  ...over,
});
const cfg: QualityCheckConfig = { table: 'dim_customer', check: 'pii_scan', columns: [], severity: 'error' };

async function scan(rows: Record<string, unknown>[], p: PiiScanPolicy) {
  const b = new BatchBuilder(cols);
  rows.forEach((r) => b.appendObject(r));
  const runner = createCheck(cfg, { piiPolicy: p, tableColumns: cols.map((c) => c.name), expectedRows: rows.length });
  const [r] = await runChecks([runner], [b.finish()]);
  return { runner, r: r! };
}

const clean = [
  { customer_id: 'CUST000001', email: '3f9a1c0b2d@example.com', notes: 'prefers web', segment: 'Gold' },
  { customer_id: 'CUST000002', email: '77b0e2aa01@example.org', notes: null, segment: 'Silver' },
];

describe('pii_scan check', () => {
  it('reads every column but lineage ones, and passes a table whose only email-like column is masked', async () => {
    const { runner, r } = await scan(clean, policy());
    expect(runner.columns).toEqual(['customer_id', 'email', 'notes', 'segment']);
    expect(r).toMatchObject({ status: 'passed', failing_rows: 0, rows_checked: 2, sample: [] });
    expect(r.message).toMatch(/no PII found/);
  });

  it('fails on a planted card number and email in an undeclared column, naming the column and never the value', async () => {
    const rows = [...clean, { customer_id: 'CUST000003', notes: 'card 4111 1111 1111 1111, mail jane.doe@corp.com', segment: 'Gold' }];
    const { r } = await scan(rows, policy());
    expect(r.status).toBe('failed');
    expect(r.failing_rows).toBe(2);
    expect(r.message).toMatch(/notes has 1 of 2 sampled values that look like (card|email)/);
    expect(JSON.stringify(r)).not.toContain('4111');
    expect(JSON.stringify(r)).not.toContain('jane.doe');
  });

  it('lets a column declared safe through, and fails a sensitive column no rule masks', async () => {
    const rows = [{ customer_id: 'C1', notes: 'support@corp.com', email: 'ab12cd34ef@y.com' }];
    expect((await scan(rows, policy({ safeColumns: ['notes'] }))).r.status).toBe('passed');
    const { r } = await scan(rows, policy({ safeColumns: ['notes'], maskedColumns: [] }));
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/email is a sensitive column and no mask rule covers it/);
  });
});
