import { addressVersionOn, moveCustomer } from './customer-moves';
import { dirtyRowsById, type DirtyRow } from './dirty-rows';
import { formatId } from './format-id';
import { EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES } from './person-names';
import { createPrng } from './prng';
import { SAMPLE_FILES, type CustomerRow } from './sample-schema';
import { STREET_NAMES, STREET_TYPES } from './street-names';
import { COUNTRY, US_CITIES } from './us-cities';

/** What generateCustomers needs. */
export interface GenerateCustomersOptions {
  readonly seed: number;
  readonly count: number;
  /**
   * Days since 1970-01-01 of the daily delivery: customers who moved by then carry their new
   * address (see customer-moves.ts). Absent: everyone at their first address (history delivery).
   */
  readonly asOfDay?: number;
}

/**
 * Yields customers CUST000001 to CUST<count>, including the dirty customers of DIRTY_ROWS.
 * Customer n depends only on the seed, n and asOfDay, so a larger scale keeps the smaller
 * one's customers as a prefix.
 */
export function* generateCustomers(options: GenerateCustomersOptions): Generator<CustomerRow> {
  const prng = createPrng(options.seed, 'customers');
  const dirtyRows = dirtyRowsById(SAMPLE_FILES.customers);

  for (let n = 1; n <= options.count; n++) {
    const id = formatId('CUST', n, 6);
    const firstName = prng.pick(FIRST_NAMES);
    const lastName = prng.pick(LAST_NAMES);
    const place = prng.pick(US_CITIES);
    const domain = prng.pick(EMAIL_DOMAINS);
    const houseNumber = prng.int(1, 9899);
    const street = `${prng.pick(STREET_NAMES)} ${prng.pick(STREET_TYPES)}`;
    // Some addresses carry a unit after a comma, so customers.csv needs real quoting.
    const unit = prng.chance(0.15) ? `, Apt ${prng.int(1, 40)}${prng.pick(['', 'A', 'B', 'C'])}` : '';
    const zipSuffix = prng.int(1, 99);
    const phoneLine = prng.int(0, 9999);

    const row: CustomerRow = {
      customer_id: id,
      first_name: firstName,
      last_name: lastName,
      email: `${toMailbox(firstName)}.${toMailbox(lastName)}${n}@${domain}`,
      phone: `(${place.areaCode}) 555-${String(phoneLine).padStart(4, '0')}`,
      address: `${houseNumber} ${street}${unit}`,
      city: place.city,
      state: place.state,
      zip_code: place.zipPrefix + String(zipSuffix).padStart(2, '0'),
      country: COUNTRY,
    };
    // Moves and dirt are applied after all draws for the row, so they never shift the random stream.
    const current = options.asOfDay === undefined ? row : moveCustomer(options.seed, n, row, addressVersionOn(options.seed, n, options.asOfDay));
    const dirt = dirtyRows.get(id);
    yield dirt === undefined ? current : soil(current, dirt);
  }
}

/** The row with the dirt of its DIRTY_ROWS entry applied. */
function soil(row: CustomerRow, dirt: DirtyRow): CustomerRow {
  switch (dirt.kind) {
    case 'blank_first_name':
      return { ...row, first_name: dirt.value ?? '' };
    case 'untrimmed_mixed_case_email':
      return { ...row, email: `  ${shout(row.email)} ` };
    case 'untrimmed_name':
      return dirt.column === 'last_name' ? { ...row, last_name: ` ${row.last_name}  ` } : { ...row, first_name: `  ${row.first_name} ` };
    default:
      return row;
  }
}

/** A name as a mailbox part: lowercase ASCII letters only ("O'Brien" gives "obrien", "José" gives "jose"). */
function toMailbox(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/** "john.smith42@example.com" as a careless form keeps it: "John.Smith42@Example.COM". */
function shout(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const capitalize = (part: string) => part.charAt(0).toUpperCase() + part.slice(1);
  const labels = domain.split('.');
  const tld = (labels.pop() ?? '').toUpperCase();
  return `${local.split('.').map(capitalize).join('.')}@${[...labels.map(capitalize), tld].join('.')}`;
}
