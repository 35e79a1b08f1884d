import path from 'node:path';
import { readConfig, validateConfig } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const demo = () => JSON.parse(JSON.stringify(readConfig(DEMO, () => undefined).config));

describe('standardize and mask sections', () => {
  it('reads decimal(p,s) as decimal with precision and scale, and fills the column defaults', () => {
    const c = readConfig(DEMO, () => undefined).config;
    expect(c.standardize.entities.sales_transactions!.columns.unit_price).toMatchObject({ type: 'decimal', precision: 12, scale: 2, normalize: [] });
    expect(c.standardize.entities.customers!.unknown_columns).toBe('drop');
    expect(c.mask.vault).toMatchObject({ key_id: 'demo', prefix: '_vault', previous_keys: {} });
    expect(c.mask.pii_scan.detectors).toEqual(['email', 'phone', 'card', 'ssn', 'iban']);
  });

  it('reports bad types, zones and formats with their paths', () => {
    const raw = demo();
    raw.standardize.entities.sales_transactions.columns.quantity.type = 'decimal(x)';
    raw.standardize.entities.sales_transactions.columns.transaction_timestamp.timezone = 'Mars/Olympus';
    raw.standardize.entities.sales_transactions.columns.quantity.format = 'MM/DD/YYYY';
    const r = validateConfig(raw);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^standardize\.entities\.sales_transactions\.columns\.quantity\.type: must be one of .*decimal\(p,s\)/),
        expect.stringMatching(/^standardize\.entities\.sales_transactions\.columns\.transaction_timestamp\.timezone: must be an IANA time zone/),
      ]),
    );
  });

  it('checks cross-field rules of columns and entities', () => {
    const raw = demo();
    const tx = raw.standardize.entities.sales_transactions;
    tx.order_by = 'customer_id';
    tx.columns.quantity.format = 'MM/DD/YYYY';
    tx.columns.quantity.normalize = ['e164'];
    tx.columns.discount.min = 2;
    const r = validateConfig(raw);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        'standardize.entities.sales_transactions.order_by: "customer_id" is string; declare a numeric, date or timestamp column to order duplicates by',
        'standardize.entities.sales_transactions.columns.quantity.format: only for date and timestamp columns (this one is int)',
        'standardize.entities.sales_transactions.columns.quantity.normalize.0: e164 is only for string columns (this one is int)',
        'standardize.entities.sales_transactions.columns.discount.min: 2 is above max 1',
      ]),
    );
  });

  it('checks mask rules: method options, globs, vault for tokenize, and warns about unkeyed digests', () => {
    const raw = demo();
    const rules = raw.mask.entities.customers;
    rules['*zip*'] = { method: 'generalize' };
    rules['*nothing*'] = { method: 'hmac' };
    rules.country = { method: 'sha256' };
    raw.mask.entities.sales_transactions = { quantity: { method: 'hmac', at_ingest: true } };
    delete raw.mask.vault;
    const r = validateConfig(raw);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        'mask.entities.customers.*zip*.to: required for method generalize (year, month, zip3 or bucket)',
        expect.stringMatching(/^mask\.entities\.customers\.first_name: method tokenize needs mask\.vault/),
        expect.stringMatching(/^mask\.entities\.sales_transactions\.quantity\.at_ingest: a column masked at ingest holds masked text/),
      ]),
    );
    const ok = demo();
    ok.mask.entities.customers['*nothing*'] = { method: 'hmac' };
    ok.mask.entities.customers.country = { method: 'md5' };
    const w = validateConfig(ok);
    expect(w.errors).toEqual([]);
    expect(w.warnings).toEqual(
      expect.arrayContaining([
        'mask.entities.customers.*nothing*: the pattern matches no declared column of customers',
        expect.stringMatching(/^mask\.entities\.customers\.country: method md5 is an unkeyed digest/),
      ]),
    );
  });

  it('requires a tokenize key apart from the hmac key when a rule tokenizes, and link_as only on keyed methods', () => {
    const raw = demo();
    delete raw.mask.tokenize_key;
    raw.mask.entities.customers.phone = { method: 'pattern', pattern: 'XXX-XXX-####', link_as: 'p' };
    expect(validateConfig(raw).errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mask\.entities\.customers\.first_name: method tokenize needs mask\.tokenize_key/),
        'mask.entities.customers.phone.link_as: only for methods hmac, email and tokenize',
      ]),
    );
    const same = demo();
    same.mask.tokenize_key = same.mask.hmac_key;
    expect(validateConfig(same).errors).toEqual([expect.stringMatching(/^mask\.tokenize_key: must differ from mask\.hmac_key/)]);
  });

  it('refuses a vault key that is not 32 bytes and a key id used twice', () => {
    const raw = demo();
    raw.mask.vault.key = 'short';
    raw.mask.previous_keys = { demo: 'x'.repeat(20) };
    const r = validateConfig(raw);
    expect(r.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^mask\.vault\.key: must be 32 bytes/)]));
    const raw2 = demo();
    raw2.mask.previous_keys = { demo: 'x'.repeat(20) };
    expect(validateConfig(raw2).errors).toEqual(['mask.previous_keys.demo: the current key_id cannot also be a previous key']);
  });
});

describe('hostile names and paths', () => {
  it('refuses file patterns that climb out of the source path', () => {
    for (const pattern of ['../../etc/passwd', '/etc/passwd', 'in/../../x.csv', 'C:\\Windows\\x.csv']) {
      const raw = demo();
      raw.sources[0].entities[0].pattern = pattern;
      expect(validateConfig(raw).errors).toEqual([expect.stringMatching(/^sources\.0\.entities\.0\.pattern: must stay below the source path/)]);
    }
    const raw = demo();
    raw.sources[0].entities[0].pattern = 'sub/dir/*.csv';
    expect(validateConfig(raw).errors).toEqual([]);
  });

  it('says why a map key is refused, not only that it is', () => {
    const raw = demo();
    raw.standardize.entities.customers.columns['x); drop table users; --'] = { type: 'string' };
    expect(validateConfig(raw).errors).toEqual([
      'standardize.entities.customers.columns.x); drop table users; --: invalid name: must be a plain identifier (letters, digits, underscore; not starting with a digit)',
    ]);
  });
});
