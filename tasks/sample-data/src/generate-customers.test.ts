import { DIRTY_ROWS } from './dirty-rows';
import { generateCustomers } from './generate-customers';
import { CUSTOMER_COLUMNS } from './sample-schema';

const customers = [...generateCustomers({ seed: 42, count: 1_000 })];
const byId = new Map(customers.map((row) => [row.customer_id, row]));
const dirtyIds = new Set(DIRTY_ROWS.filter((row) => row.file === 'customers.csv').map((row) => row.id));

describe('generateCustomers', () => {
  it('yields count customers with sequential ids and every column', () => {
    expect(customers).toHaveLength(1_000);
    expect(customers[0]?.customer_id).toBe('CUST000001');
    expect(customers[999]?.customer_id).toBe('CUST001000');
    for (const row of customers) expect(Object.keys(row)).toEqual([...CUSTOMER_COLUMNS]);
  });

  it('is deterministic, and a larger count keeps the smaller one as a prefix', () => {
    expect([...generateCustomers({ seed: 42, count: 1_000 })]).toEqual(customers);
    expect([...generateCustomers({ seed: 42, count: 1_500 })].slice(0, 1_000)).toEqual(customers);
    expect([...generateCustomers({ seed: 43, count: 1_000 })]).not.toEqual(customers);
  });

  it('writes the blank first names exactly as documented', () => {
    expect(byId.get('CUST000007')?.first_name).toBe('');
    expect(byId.get('CUST000123')?.first_name).toBe('   ');
  });

  it('writes mixed-case emails with 2 leading and 1 trailing space', () => {
    for (const id of ['CUST000042', 'CUST000100', 'CUST000250']) {
      const email = byId.get(id)?.email ?? '';
      expect(email).toMatch(/^ {2}[A-Z][a-z]*\.[A-Z][a-z]*\d+@Example\.(COM|NET|ORG) $/);
      // Trim and lowercase restore a clean address that still carries the customer number.
      expect(email.trim().toLowerCase()).toMatch(new RegExp(`^[a-z]+\\.[a-z]+${Number(id.slice(4))}@example\\.(com|net|org)$`));
    }
  });

  it('pads the untrimmed names as documented', () => {
    expect(byId.get('CUST000055')?.first_name).toMatch(/^ {2}\S+ $/);
    expect(byId.get('CUST000200')?.last_name).toMatch(/^ \S.*\S {2}$/);
  });

  it('keeps every other row clean: trimmed names, lowercase unique emails, 5-digit zips', () => {
    const clean = customers.filter((row) => !dirtyIds.has(row.customer_id));
    expect(clean).toHaveLength(993);
    for (const row of clean) {
      expect(row.first_name).toMatch(/^\S(.*\S)?$/);
      expect(row.last_name).toMatch(/^\S(.*\S)?$/);
      expect(row.email).toMatch(/^[a-z]+\.[a-z]+\d+@example\.(com|net|org)$/);
      expect(row.zip_code).toMatch(/^\d{5}$/);
      expect(row.phone).toMatch(/^\(\d{3}\) 555-\d{4}$/);
      expect(row.country).toBe('USA');
    }
    expect(new Set(customers.map((row) => row.email.trim().toLowerCase())).size).toBe(1_000);
  });

  it('puts a comma in some addresses, so the CSV needs quoting', () => {
    expect(customers.some((row) => row.address.includes(', Apt '))).toBe(true);
  });
});
