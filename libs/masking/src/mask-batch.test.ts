import * as arrow from 'apache-arrow';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import {
  createMaskCounts,
  createMaskKey,
  maskBatchColumns,
  maskedSchemaOf,
  maskEmail,
  maskHmac,
  maskPattern,
  parseVaultKey,
  tokenizeValue,
  TokenVaultCollector,
  type MaskCounts,
  type MaskKey,
  type MaskRules,
} from './index';

const key = createMaskKey('test-key-0123456789abcdef', 'v7');
const tokenizeKey = createMaskKey('tokenize-key-0123456789abcdef', 't1');
const vaultKey = parseVaultKey('11'.repeat(32), 'vk1');

/** maskBatchColumns with a fresh vault collector, as the mask step calls it. */
function maskBatch(batch: arrow.RecordBatch, rules: MaskRules, k: MaskKey, counts?: MaskCounts) {
  return maskBatchColumns(batch, rules, { hmac: k, tokenize: tokenizeKey }, { counts, tokens: new TokenVaultCollector('customers', vaultKey), entity: 'customers' });
}

const columns: ColumnDef[] = [
  { name: 'customer_id', kind: 'string', nullable: false },
  { name: 'first_name', kind: 'string' },
  { name: 'email', kind: 'string' },
  { name: 'phone', kind: 'string' },
  { name: 'loyalty_points', kind: 'int32' },
  { name: 'birth_date', kind: 'date' },
  { name: 'member_no', kind: 'int64' },
  { name: '_ingested_at', kind: 'timestamp', nullable: false },
];

const rules: MaskRules = {
  first_name: { method: 'tokenize' },
  email: { method: 'email' },
  phone: { method: 'pattern', pattern: 'XXX-XXX-####' },
  birth_date: { method: 'redact' },
  member_no: { method: 'hmac' },
};

function sampleBatch(): arrow.RecordBatch {
  const b = new BatchBuilder(columns);
  const t = Date.UTC(2026, 10, 26, 2, 0, 0);
  b.appendRow(['C1', 'John', 'John.Smith@Example.com', '(555) 123 4567', 10, Date.UTC(1980, 0, 2), 1001n, t]);
  b.appendRow(['C2', 'Ann', 'no-email-here', '4567', null, Date.UTC(1990, 5, 6), 1002n, t]);
  b.appendRow(['C3', null, null, null, 7, null, null, t]);
  b.appendRow(['C4', 'John', 'jOhn.smith@example.COM', '+1 555 123 4567', 3, Date.UTC(2000, 1, 29), 1001n, t]);
  return b.finish();
}

describe('maskBatch', () => {
  it('masks the columns with rules and leaves the others untouched (same Arrow data)', () => {
    const input = sampleBatch();
    const out = maskBatch(input, rules, key);
    expect(out.numRows).toBe(4);
    expect(out.schema.fields.map((f) => f.name)).toEqual([...columns.map((c) => c.name), '_mask_key_id']);
    for (const name of ['customer_id', 'loyalty_points', '_ingested_at']) {
      expect(out.getChild(name)!.data[0]).toBe(input.getChild(name)!.data[0]);
      expect(out.schema.fields.find((f) => f.name === name)).toStrictEqual(input.schema.fields.find((f) => f.name === name));
    }
    const rows = batchToObjects(out);
    const orig = batchToObjects(input);
    expect(rows.map((r) => r.customer_id)).toEqual(orig.map((r) => r.customer_id));
    expect(rows.map((r) => r._ingested_at)).toEqual(orig.map((r) => r._ingested_at));
    expect(rows[0]).toMatchObject({
      first_name: tokenizeValue('John', tokenizeKey, 'customers.first_name'),
      email: maskEmail('John.Smith@Example.com', key, 'customers.email'),
      phone: 'XXX-XXX-4567',
      birth_date: null,
      member_no: maskHmac('1001', key, 'customers.member_no'),
      _mask_key_id: 'v7',
    });
    expect(rows[1]).toMatchObject({ email: maskHmac('no-email-here', key, 'customers.email'), phone: maskPattern('4567', 'XXX-XXX-####'), loyalty_points: null });
    expect(rows[2]).toMatchObject({ first_name: null, email: null, phone: null, birth_date: null, member_no: null, _mask_key_id: 'v7' });
    // deterministic: same value, same output, so joins and distinct counts survive
    expect(rows[3]!.first_name).toBe(rows[0]!.first_name);
    expect(rows[3]!.email).toBe(rows[0]!.email);
    expect(rows[3]!.member_no).toBe(rows[0]!.member_no);
    expect(rows.every((r) => r._mask_key_id === 'v7')).toBe(true);
  });

  it('types masked columns as strings, keeps a redacted column type, and adds a non-null _mask_key_id', () => {
    const schema = maskedSchemaOf(sampleBatch().schema, rules);
    const type = (n: string) => schema.fields.find((f) => f.name === n)!;
    expect(String(type('member_no').type)).toBe('Utf8');
    expect(arrow.DataType.isDate(type('birth_date').type)).toBe(true);
    expect(type('birth_date').nullable).toBe(true);
    expect(type('_mask_key_id').nullable).toBe(false);
    expect(maskBatch(sampleBatch(), rules, key).schema.fields.map(String)).toEqual(schema.fields.map(String));
  });

  it('counts nulls, odd emails and short phone numbers, never values', () => {
    const counts = createMaskCounts();
    maskBatch(sampleBatch(), rules, key, counts);
    maskBatch(sampleBatch(), rules, key, counts);
    expect(counts.email).toEqual({ masked: 6, nulls: 2, notEmail: 2, tooFewDigits: 0 });
    expect(counts.phone).toEqual({ masked: 6, nulls: 2, notEmail: 0, tooFewDigits: 2 });
    expect(counts.birth_date).toEqual({ masked: 6, nulls: 2, notEmail: 0, tooFewDigits: 0 });
    expect(counts.customer_id).toBeUndefined();
  });

  it('gives other outputs under another key, and records that key id', () => {
    const a = batchToObjects(maskBatch(sampleBatch(), rules, key));
    const b = batchToObjects(maskBatch(sampleBatch(), rules, createMaskKey('rotated-key-0123456789abcdef', 'v8')));
    expect(b[0]!.first_name).toBe(a[0]!.first_name); // tokens come from the tokenize key alone
    expect(b[0]!.email).not.toBe(a[0]!.email);
    expect(b[0]!.phone).toBe(a[0]!.phone);
    expect(b[0]!._mask_key_id).toBe('v8');
  });

  it('handles non-ASCII text and an empty batch', () => {
    const b = new BatchBuilder([{ name: 'name', kind: 'string' }]);
    b.appendRow(['Zoë Ñúñez 東京']);
    b.appendRow(['']);
    const out = batchToObjects(maskBatch(b.finish(), { name: { method: 'hmac' } }, key));
    expect(out[0]!.name).toBe(maskHmac('Zoë Ñúñez 東京', key, 'customers.name'));
    expect(out[1]!.name).toBe(''); // a blank stays blank: it holds nothing to hide
    const empty = maskBatch(new BatchBuilder(columns).finish(), rules, key);
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.at(-1)!.name).toBe('_mask_key_id');
  });

  it('throws when a rule names a column the batch lacks, or tokenizes without a vault', () => {
    expect(() => maskBatch(sampleBatch(), { address: { method: 'hmac' } }, key)).toThrow(/address/);
    expect(() => maskBatchColumns(sampleBatch(), { first_name: { method: 'tokenize' } }, { hmac: key, tokenize: tokenizeKey })).toThrow(/token sink/);
    expect(() => maskBatchColumns(sampleBatch(), { first_name: { method: 'tokenize' } }, { hmac: key }, { tokens: new TokenVaultCollector('customers', vaultKey) })).toThrow(/tokenize key/);
  });

  it('hands each distinct token and its original to the vault, sealed', () => {
    const vault = new TokenVaultCollector('customers', vaultKey);
    const out = batchToObjects(maskBatchColumns(sampleBatch(), { first_name: { method: 'tokenize' } }, { hmac: key, tokenize: tokenizeKey }, { tokens: vault }));
    expect(vault.distinct('first_name')).toBe(2); // John twice, Ann, null
    const entries = batchToObjects(vault.take('first_name')!);
    expect(entries.map((e) => e.token).sort()).toEqual([out[0]!.first_name, out[1]!.first_name].sort());
    expect(entries.every((e) => e.key_id === 'vk1' && typeof e.sealed === 'string' && !String(e.sealed).includes('John'))).toBe(true);
    expect(vault.take('first_name')).toBeUndefined();
  });

  it('applies the other methods: digests, keep_last, generalize, and can leave out _mask_key_id (ingest)', () => {
    const b = new BatchBuilder([
      { name: 'ssn', kind: 'string' },
      { name: 'card', kind: 'string' },
      { name: 'birth_date', kind: 'date' },
      { name: 'zip', kind: 'string' },
      { name: 'age', kind: 'int32' },
      { name: 'legacy', kind: 'string' },
    ]);
    b.appendRow(['123-45-6789', '4111 1111 1111 1234', Date.UTC(1980, 4, 17), '62701-1234', 37, 'x']);
    b.appendRow([null, '12', null, '123', null, null]);
    const rules: MaskRules = {
      ssn: { method: 'pattern', pattern: 'XXX-XX-####' },
      card: { method: 'keep_last', keep: 4 },
      birth_date: { method: 'generalize', to: 'month' },
      zip: { method: 'generalize', to: 'zip3' },
      age: { method: 'generalize', to: 'bucket', bucket_size: 10 },
      legacy: { method: 'sha256' },
    };
    const counts = createMaskCounts();
    const batch = maskBatchColumns(b.finish(), rules, { hmac: key }, { counts, keyIdColumn: false });
    expect(batch.schema.fields.map((f) => f.name)).not.toContain('_mask_key_id');
    const [r0, r1] = batchToObjects(batch);
    expect(r0).toEqual({ ssn: 'XXX-XX-6789', card: '**** **** **** 1234', birth_date: '1980-05', zip: '627', age: '30-40', legacy: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' });
    expect(r1).toEqual({ ssn: null, card: '**', birth_date: null, zip: null, age: null, legacy: null });
    expect(counts.zip).toMatchObject({ masked: 2, unreadable: 1 });
  });
});

describe('domain separation', () => {
  const people = new BatchBuilder([
    { name: 'first_name', kind: 'string' },
    { name: 'last_name', kind: 'string' },
    { name: 'email', kind: 'string' },
    { name: 'alt_email', kind: 'string' },
  ]);
  people.appendRow(['Morgan', 'Morgan', 'Ann@Example.com', 'ann@example.com']);
  const batch = people.finish();
  const mask = (rules: MaskRules, entity = 'customers') =>
    batchToObjects(maskBatchColumns(batch, rules, { hmac: key, tokenize: tokenizeKey }, { tokens: new TokenVaultCollector(entity, vaultKey), entity }))[0]!;

  it('gives equal values in different columns or entities unrelated outputs by default', () => {
    const r = mask({ first_name: { method: 'tokenize' }, last_name: { method: 'tokenize' }, email: { method: 'email' }, alt_email: { method: 'email' } });
    expect(r.first_name).not.toBe(r.last_name);
    expect(r.email).not.toBe(r.alt_email);
    const other = mask({ first_name: { method: 'tokenize' } }, 'employees');
    expect(other.first_name).not.toBe(r.first_name);
  });

  it('links columns only where link_as names the same domain', () => {
    const r = mask({ first_name: { method: 'tokenize', link_as: 'person_name' }, last_name: { method: 'tokenize', link_as: 'person_name' }, email: { method: 'hmac', link_as: 'mail' }, alt_email: { method: 'hmac', link_as: 'mail' } });
    expect(r.first_name).toBe(r.last_name);
    expect(r.first_name).toBe(tokenizeValue('Morgan', tokenizeKey, 'person_name'));
    expect(r.email).not.toBe(r.alt_email); // hmac is of the exact text: case differs
    expect(mask({ first_name: { method: 'hmac', link_as: 'x' } }, 'employees').first_name).toBe(mask({ first_name: { method: 'hmac', link_as: 'x' } }).first_name);
  });
});

