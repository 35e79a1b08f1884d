import { computeTransactionAmounts, DISCOUNT_PERCENTS } from './compute-amounts';
import type { DirtyRow } from './dirty-rows';
import { formatId } from './format-id';
import type { Prng } from './prng';
import type { ProductRow, TransactionRow } from './sample-schema';

/** What a sale is made of, before its id and time: indexes into the generated entities. */
export interface SaleDraw {
  /** 1-based customer number (CUST000001 is 1). */
  readonly customer: number;
  /** 0-based index into the products. */
  readonly productIndex: number;
  /** 1-based location number. */
  readonly location: number;
  /** Units, 1 to 10. */
  readonly quantity: number;
  /** Whole percent, one of DISCOUNT_PERCENTS. */
  readonly discountPercent: number;
}

/** The entities a sale refers to. */
export interface SaleUniverse {
  readonly customerCount: number;
  readonly products: readonly ProductRow[];
  readonly locationCount: number;
}

const NON_ZERO_DISCOUNTS = DISCOUNT_PERCENTS.filter((percent) => percent > 0);

/**
 * Draws one sale from the stream, always in the same order (customer, product, location,
 * quantity, discount), so every generator that replays a stream gets the same sales.
 */
export function drawSale(prng: Prng, universe: SaleUniverse): SaleDraw {
  const customer = prng.int(1, universe.customerCount);
  // Squaring the draw skews sales towards the first products: a few best sellers, a long tail.
  const productIndex = Math.floor(prng.next() ** 2 * universe.products.length);
  const location = prng.int(1, universe.locationCount);
  // Cubing skews quantity towards 1 to 3 items while still reaching 10.
  const quantity = 1 + Math.floor(prng.next() ** 3 * 10);
  const discountPercent = prng.chance(0.75) ? 0 : prng.pick(NON_ZERO_DISCOUNTS);
  return { customer, productIndex, location, quantity, discountPercent };
}

/**
 * The transaction line of a sale: its product's unit_price and amounts from
 * computeTransactionAmounts, with the dirt of a DIRTY_ROWS entry applied when given.
 */
export function saleToTransaction(id: string, sale: SaleDraw, universe: SaleUniverse, timestampMs: number, dirt?: DirtyRow): TransactionRow {
  const product = universe.products[sale.productIndex] as ProductRow;
  // The word stands for 2, so the amounts are those of 2 items and only the quantity column is bad.
  const billedQuantity = dirt?.kind === 'non_numeric_quantity' ? 2 : sale.quantity;
  const unitPriceCents = Math.round(product.unit_price * 100);
  const amounts = computeTransactionAmounts(billedQuantity, unitPriceCents, sale.discountPercent);
  return {
    transaction_id: id,
    customer_id: formatId('CUST', sale.customer, 6),
    product_id: product.product_id,
    location_id: formatId('LOC', sale.location, 4),
    quantity: dirt?.kind === 'non_numeric_quantity' ? (dirt.value ?? 'two') : billedQuantity,
    unit_price: unitPriceCents / 100,
    discount: sale.discountPercent / 100,
    tax_amount: amounts.taxCents / 100,
    total_amount: amounts.totalCents / 100,
    transaction_timestamp: dirt?.kind === 'unparseable_timestamp' ? (dirt.value ?? '') : formatTimestamp(timestampMs),
  };
}

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC: ISO 8601 without milliseconds. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19) + 'Z';
}
