import type { TransactionRow } from './sample-schema';

/** The fields of a sales_transactions.csv line, in TRANSACTION_COLUMNS order; money and discount with 2 decimals. */
export function transactionToCsvFields(row: TransactionRow): string[] {
  return [
    row.transaction_id,
    row.customer_id,
    row.product_id,
    row.location_id,
    String(row.quantity),
    row.unit_price.toFixed(2),
    row.discount.toFixed(2),
    row.tax_amount.toFixed(2),
    row.total_amount.toFixed(2),
    row.transaction_timestamp,
  ];
}
