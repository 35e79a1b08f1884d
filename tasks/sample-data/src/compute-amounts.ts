/** Sales tax rate applied to every transaction, in whole percent. */
export const TAX_PERCENT = 8;

/** Sales tax rate applied to every transaction, as a fraction (0.08). */
export const TAX_RATE = TAX_PERCENT / 100;

/** Discounts a transaction can carry, in whole percent; kept as integers so that no float math touches money. */
export const DISCOUNT_PERCENTS: readonly number[] = Object.freeze([0, 5, 10, 15, 20]);

/** Discounts a transaction can carry, as the fractions written to the file (0, 0.05, ... 0.2). */
export const DISCOUNTS: readonly number[] = Object.freeze(DISCOUNT_PERCENTS.map((percent) => percent / 100));

/** Amounts of one transaction line, in integer cents. */
export interface TransactionAmounts {
  readonly taxCents: number;
  readonly totalCents: number;
}

/**
 * Computes tax_amount and total_amount of a transaction. The star schema's derived
 * measure must use the same formula, in this order:
 *
 * ```
 * gross        = quantity * unit_price * (1 - discount)      -- not rounded
 * tax_amount   = round2(gross * 0.08)
 * total_amount = round2(gross + tax_amount)
 * ```
 *
 * round2 rounds to cents, half away from zero, in exact decimal arithmetic, which is what
 * SQL `ROUND(x, 2)` does on NUMERIC/DECIMAL. Doing it in binary floating point
 * (`Math.round(x * 100) / 100`) can be one cent off when a value lands on half a cent, and
 * `round2(gross * 1.08)` can be one cent off too, since tax is rounded on its own first.
 * Here it is exact because everything is an integer: gross in hundredths of a cent.
 *
 * @param quantity units sold, 1 to 10
 * @param unitPriceCents the product's unit_price in cents
 * @param discountPercent the discount in whole percent (0, 5, 10, 15 or 20)
 */
export function computeTransactionAmounts(quantity: number, unitPriceCents: number, discountPercent: number): TransactionAmounts {
  const grossHundredthsOfCent = quantity * unitPriceCents * (100 - discountPercent);
  // gross * 8% in cents is gross(1/100 cent) * 8 / 10,000; adding half the divisor before flooring rounds half up.
  const taxCents = Math.floor((grossHundredthsOfCent * TAX_PERCENT + 5_000) / 10_000);
  const totalCents = Math.floor((grossHundredthsOfCent + 50) / 100) + taxCents;
  return { taxCents, totalCents };
}
