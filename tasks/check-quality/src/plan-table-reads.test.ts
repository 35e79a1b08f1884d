import type { QualityCheckConfig } from '@salesflow/config';
import { planTableReads } from './plan-table-reads';

const check = (table: string, c: Partial<QualityCheckConfig> = {}): QualityCheckConfig => ({ table, check: 'unique', columns: ['k'], severity: 'error', ...c });
const rel = (table: string, refTable: string, column: string): QualityCheckConfig =>
  check(table, { check: 'relationships', columns: [column], references: { table: refTable, column } });

describe('planTableReads', () => {
  it('reads each table once, referenced tables first, collecting the keys others need', () => {
    const plan = planTableReads([
      check('fact_sales'),
      rel('fact_sales', 'dim_customer', 'customer_key'),
      rel('fact_sales', 'dim_date', 'date_key'),
      check('dim_customer'),
      rel('fact_sales', 'dim_product', 'product_key'), // dim_product has no checks: read on its own
      check('dim_date'),
    ]);
    expect(plan).toEqual([
      { table: 'dim_customer', checks: [3], referencedColumns: ['customer_key'] },
      { table: 'dim_date', checks: [5], referencedColumns: ['date_key'] },
      { table: 'fact_sales', checks: [0, 1, 2, 4], referencedColumns: [] },
    ]);
  });

  it('survives a reference cycle', () => {
    const plan = planTableReads([rel('a', 'b', 'x'), rel('b', 'a', 'y')]);
    expect(plan.map((p) => p.table)).toEqual(['a', 'b']);
  });
});
