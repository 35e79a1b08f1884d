import { formatId } from './format-id';
import { createPrng } from './prng';
import type { LocationRow } from './sample-schema';
import { STREET_NAMES, STREET_TYPES } from './street-names';
import { COUNTRY, US_CITIES, type UsCity } from './us-cities';

/** What generateLocations needs. */
export interface GenerateLocationsOptions {
  readonly seed: number;
  readonly count: number;
}

const STORE_KINDS: readonly string[] = Object.freeze(['Downtown', 'Mall', 'Plaza', 'Center', 'Outlet', 'Crossing']);

/** Yields stores LOC0001 to LOC<count>, each in a different city while cities last, with unique names. */
export function* generateLocations(options: GenerateLocationsOptions): Generator<LocationRow> {
  const prng = createPrng(options.seed, 'locations');
  const cities = shuffle(US_CITIES, prng.next);
  const usedNames = new Set<string>();
  for (let n = 1; n <= options.count; n++) {
    const place = cities[(n - 1) % cities.length] as UsCity;
    const kind = prng.pick(STORE_KINDS);
    const houseNumber = prng.int(1, 2999);
    const street = `${prng.pick(STREET_NAMES)} ${prng.pick(STREET_TYPES)}`;
    const zipSuffix = prng.int(1, 99);
    // Two cities share a name (Portland, ME and OR), so the state goes into the name only on a clash.
    let storeName = `${place.city} ${kind}`;
    if (usedNames.has(storeName)) storeName = `${place.city} ${place.state} ${kind}`;
    for (let k = 2; usedNames.has(storeName); k++) storeName = `${place.city} ${kind} ${k}`;
    usedNames.add(storeName);
    yield {
      location_id: formatId('LOC', n, 4),
      store_name: storeName,
      address: `${houseNumber} ${street}`,
      city: place.city,
      state: place.state,
      zip_code: place.zipPrefix + String(zipSuffix).padStart(2, '0'),
      country: COUNTRY,
      region: place.region,
    };
  }
}

/** A Fisher-Yates shuffled copy. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
