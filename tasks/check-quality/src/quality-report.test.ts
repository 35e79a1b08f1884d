import type { QualityCheckResult } from './checks';
import { blockingFailures, buildQualityReport } from './quality-report';

const result = (name: string, status: 'passed' | 'failed', severity: 'error' | 'warn'): QualityCheckResult => ({
  name,
  table: 't',
  check: 'unique',
  columns: ['k'],
  severity,
  status,
  failing_rows: status === 'failed' ? 1 : 0,
  rows_checked: 1,
  sample: [],
  message: '',
});

describe('buildQualityReport', () => {
  const at = new Date(Date.UTC(2026, 10, 27, 2, 0, 0));

  it('fails only on error-severity failures; warn failures are counted as warned', () => {
    const warned = buildQualityReport({ ds: '2026-11-26', runId: 'r1', generatedAt: at, checks: [result('a', 'passed', 'error'), result('b', 'failed', 'warn')] });
    expect(warned).toMatchObject({ ds: '2026-11-26', run_id: 'r1', generated_at: '2026-11-27T02:00:00.000Z', status: 'passed', summary: { passed: 1, failed: 0, warned: 1 } });
    expect(blockingFailures(warned)).toEqual([]);
    const failed = buildQualityReport({ ds: '2026-11-26', runId: 'r1', generatedAt: at, checks: [result('a', 'failed', 'error'), result('b', 'failed', 'warn')] });
    expect(failed).toMatchObject({ status: 'failed', summary: { passed: 0, failed: 1, warned: 1 } });
    expect(blockingFailures(failed)).toEqual(['a']);
  });
});
