import { createPrng } from './prng';
import type { CustomerRow } from './sample-schema';
import { STREET_NAMES, STREET_TYPES } from './street-names';
import { US_CITIES } from './us-cities';

/** Share of customers who move from time to time (the others keep their address for good). */
export const MOVER_SHARE = 0.1;

/** A mover moves every 14 to 60 days (a period of their own), at a phase of their own. */
export const MOVE_PERIOD_DAYS = Object.freeze({ min: 14, max: 60 });

/** Of moves, this share stays in the same city (a new street); the others go to another city. */
export const SAME_CITY_SHARE = 0.5;

/**
 * Which address a customer has on a day: 0 for the address of generateCustomers (never moved),
 * else the number of the move period the day falls in. A mover's moves fall on days
 * `phase + k * period` (days since 1970-01-01); a move takes effect on its day. Pure.
 */
export function addressVersionOn(seed: number, customer: number, day: number): number {
  const prng = createPrng(seed, `moves/${customer}`);
  if (!prng.chance(MOVER_SHARE)) return 0;
  const period = prng.int(MOVE_PERIOD_DAYS.min, MOVE_PERIOD_DAYS.max);
  const phase = prng.int(0, period - 1);
  return day < phase ? 0 : 1 + Math.floor((day - phase) / period);
}

/**
 * The customer as of a day: after a move, a new address, city, state and zip code (phone, email
 * and name stay). Version 0 is the row unchanged, so non-movers are exactly generateCustomers'.
 */
export function moveCustomer(seed: number, customer: number, row: CustomerRow, version: number): CustomerRow {
  if (version === 0) return row;
  const prng = createPrng(seed, `moves/${customer}/${version}`);
  const sameCity = prng.chance(SAME_CITY_SHARE);
  const place = sameCity ? US_CITIES.find((c) => c.city === row.city && c.state === row.state) ?? prng.pick(US_CITIES) : prng.pick(US_CITIES);
  const houseNumber = prng.int(1, 9899);
  const street = `${prng.pick(STREET_NAMES)} ${prng.pick(STREET_TYPES)}`;
  const unit = prng.chance(0.15) ? `, Apt ${prng.int(1, 40)}` : '';
  return {
    ...row,
    address: `${houseNumber} ${street}${unit}`,
    city: place.city,
    state: place.state,
    zip_code: place.zipPrefix + String(prng.int(1, 99)).padStart(2, '0'),
  };
}
