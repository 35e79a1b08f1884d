import type { QualityCheckConfig } from '@salesflow/config';

/**
 * The stable name of a check, derived from its config only, so reports of different days line up:
 * "fact_sales.unique(transaction_id)", "fact_sales.relationships(customer_key->dim_customer.customer_key)",
 * "fact_sales.row_count(min=1)".
 */
export function nameCheck(c: Pick<QualityCheckConfig, 'table' | 'check' | 'columns' | 'references' | 'min' | 'max' | 'max_drop_pct' | 'max_growth_pct' | 'max_age_hours'>): string {
  const args = (...parts: Array<string | false | undefined>) => parts.filter(Boolean).join(',');
  switch (c.check) {
    case 'relationships':
      return `${c.table}.relationships(${c.columns.join(',')}->${c.references ? `${c.references.table}.${c.references.column}` : '?'})`;
    case 'row_count': {
      const bounds = [c.min === undefined ? '' : `min=${c.min}`, c.max === undefined ? '' : `max=${c.max}`].filter(Boolean);
      return `${c.table}.row_count(${bounds.join(',')})`;
    }
    case 'range':
      return `${c.table}.range(${args(c.columns.join(','), c.min !== undefined && `min=${c.min}`, c.max !== undefined && `max=${c.max}`)})`;
    case 'row_count_change':
      return `${c.table}.row_count_change(${args(c.max_drop_pct !== undefined && `max_drop_pct=${c.max_drop_pct}`, c.max_growth_pct !== undefined && `max_growth_pct=${c.max_growth_pct}`)})`;
    case 'freshness':
      return `${c.table}.freshness(${args(c.columns.join(','), `max_age_hours=${c.max_age_hours}`)})`;
    case 'reconciliation':
      return `${c.table}.reconciliation()`;
    default:
      return `${c.table}.${c.check}(${c.columns.join(',')})`;
  }
}
