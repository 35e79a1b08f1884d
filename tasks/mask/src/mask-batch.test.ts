import * as arrow from 'apache-arrow';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { createMaskCounts, createMaskKey, maskBatch, maskedSchemaOf, maskEmail, maskHmac, maskPattern, tokenizeValue, type MaskRules } from './index';

const key = createMaskKey('test-key-0123456789abcdef', 'v7');

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
      first_name: tokenizeValue('John', key),
      email: maskEmail('John.Smith@Example.com', key),
      phone: 'XXX-XXX-4567',
      birth_date: null,
      member_no: maskHmac('1001', key),
      _mask_key_id: 'v7',
    });
    expect(rows[1]).toMatchObject({ email: maskHmac('no-email-here', key), phone: maskPattern('4567', 'XXX-XXX-####'), loyalty_points: null });
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
    expect(b[0]!.first_name).not.toBe(a[0]!.first_name);
    expect(b[0]!.email).not.toBe(a[0]!.email);
    expect(b[0]!.phone).toBe(a[0]!.phone);
    expect(b[0]!._mask_key_id).toBe('v8');
  });

  it('handles non-ASCII text and an empty batch', () => {
    const b = new BatchBuilder([{ name: 'name', kind: 'string' }]);
    b.appendRow(['Zoë Ñúñez 東京']);
    b.appendRow(['']);
    const out = batchToObjects(maskBatch(b.finish(), { name: { method: 'hmac' } }, key));
    expect(out[0]!.name).toBe(maskHmac('Zoë Ñúñez 東京', key));
    expect(out[1]!.name).toBe(maskHmac('', key));
    const empty = maskBatch(new BatchBuilder(columns).finish(), rules, key);
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.at(-1)!.name).toBe('_mask_key_id');
  });

  it('throws when a rule names a column the batch lacks', () => {
    expect(() => maskBatch(sampleBatch(), { address: { method: 'hmac' } }, key)).toThrow(/address/);
  });
});
