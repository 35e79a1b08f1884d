import type { QualityCheckConfig } from '@salesflow/config';

/**
 * The stable name of a check, derived from its config only, so reports of different days line up:
 * "fact_sales.unique(transaction_id)", "fact_sales.relationships(customer_key->dim_customer.customer_key)",
 * "fact_sales.row_count(min=1)".
 */
export function nameCheck(c: Pick<QualityCheckConfig, 'table' | 'check' | 'columns' | 'references' | 'min' | 'max'>): string {
  switch (c.check) {
    case 'relationships':
      return `${c.table}.relationships(${c.columns.join(',')}->${c.references ? `${c.references.table}.${c.references.column}` : '?'})`;
    case 'row_count': {
      const bounds = [c.min === undefined ? '' : `min=${c.min}`, c.max === undefined ? '' : `max=${c.max}`].filter(Boolean);
      return `${c.table}.row_count(${bounds.join(',')})`;
    }
    default:
      return `${c.table}.${c.check}(${c.columns.join(',')})`;
  }
}
