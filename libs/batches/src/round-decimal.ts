/**
 * Rounds half away from zero on the number's shortest decimal form (1.005 -> 1.01, -0.125 ->
 * -0.13, 19.989999999 -> 19.99), as PostgreSQL and MySQL do when they store into DECIMAL(p, s).
 * Standardize and the warehouse load both use it, so the lake and every warehouse agree to the cent.
 */
export function roundDecimal(value: number, scale: number): number {
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number`);
  const abs = String(Math.abs(value));
  if (/e/i.test(abs)) return Number(value.toFixed(scale)); // below 1e-6 or above 1e21: no decimal digits to round by text
  const [whole, frac = ''] = abs.split('.') as [string, string?];
  if (frac.length <= scale) return value;
  let digits = BigInt(whole + frac.slice(0, scale));
  if (frac.charCodeAt(scale) >= 53 /* '5' */) digits += 1n;
  const s = digits.toString().padStart(scale + 1, '0');
  const rounded = Number(scale > 0 ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s);
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}
