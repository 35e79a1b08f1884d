import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchBuilder, schemaOf } from '@salesflow/batches';
import { Lake, LocalStorage } from '@salesflow/lake';
import {
  createMaskKey,
  createVaultKeyRing,
  detokenize,
  maskBatchColumns,
  openSealedValue,
  parseVaultKey,
  sealValue,
  TokenVaultCollector,
  VAULT_COLUMNS,
  VaultDecryptError,
  vaultDataset,
  type VaultKeyRing,
} from './index';

const K1 = 'a1'.repeat(32);
const K2 = Buffer.alloc(32, 7).toString('base64');

describe('sealValue / openSealedValue', () => {
  const key = parseVaultKey(K1, 'v1');
  it('round-trips, uses a fresh IV each time, and binds the token', () => {
    const a = sealValue('Zoë Smith', key, 'customers\u0000first_name\u0000tok_a');
    const b = sealValue('Zoë Smith', key, 'customers\u0000first_name\u0000tok_a');
    expect(a).not.toBe(b);
    expect(openSealedValue(a, key, 'customers\u0000first_name\u0000tok_a')).toBe('Zoë Smith');
    expect(() => openSealedValue(a, key, 'customers\u0000first_name\u0000tok_b')).toThrow(VaultDecryptError);
  });
  it('reveals nothing without the right key', () => {
    const sealed = sealValue('Zoë Smith', key, 'x');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('Smith');
    expect(() => openSealedValue(sealed, parseVaultKey(K2, 'v1'), 'x')).toThrow(/does not open with vault key v1/);
  });
  it('refuses an entry whose GCM tag is cut short', () => {
    const sealed = Buffer.from(sealValue('Zoë Smith', key, 'x'), 'base64');
    // iv | 4 of the 16 tag bytes | ciphertext: GCM would accept the short tag unless its length is fixed
    const short = Buffer.concat([sealed.subarray(0, 16), sealed.subarray(28)]).toString('base64');
    expect(() => openSealedValue(short, key, 'x')).toThrow(VaultDecryptError);
    expect(() => openSealedValue(sealed.subarray(0, 20).toString('base64'), key, 'x')).toThrow(VaultDecryptError);
  });
  it('refuses keys that are not 32 bytes', () => {
    expect(() => parseVaultKey('abcd', 'v1')).toThrow(/not 32 bytes/);
  });
});

describe('the vault in the lake', () => {
  let root: string;
  let lake: Lake;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vault-'));
    lake = new Lake(new LocalStorage(root));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Tokenizes names as the mask step does and commits the vault partition of ds; returns name -> token. */
  async function tokenizeDay(ds: string, names: string[], ring: VaultKeyRing, hmacKey = 'hmac-key-0123456789abcdef'): Promise<Map<string, string>> {
    const b = new BatchBuilder([{ name: 'first_name', kind: 'string' }]);
    names.forEach((n) => b.appendRow([n]));
    const vault = new TokenVaultCollector('customers', ring.current);
    const out = maskBatchColumns(b.finish(), { first_name: { method: 'tokenize' } }, { hmac: createMaskKey(hmacKey, 'h1'), tokenize: createMaskKey(`tok-${hmacKey}`, 't1') }, { tokens: vault, entity: 'customers' });
    const w = lake.openPartition({ dataset: vaultDataset('_vault', 'customers', 'first_name'), ds, step: 'mask', runId: 'r', schema: schemaOf(VAULT_COLUMNS) });
    await w.write(vault.take('first_name')!);
    await w.commit({});
    const tokens = out.getChild('first_name')!;
    return new Map(names.map((n, i) => [n, tokens.get(i) as string]));
  }

  it('gives the originals back with the key, and keeps old tokens readable after a key rotation', async () => {
    const v1 = createVaultKeyRing({ key: K1, key_id: 'v1', previous_keys: {} });
    const day1 = await tokenizeDay('2026-11-25', ['Ada', 'Grace', 'Ada'], v1);
    const v2 = createVaultKeyRing({ key: K2, key_id: 'v2', previous_keys: { v1: K1 } });
    const day2 = await tokenizeDay('2026-11-26', ['Linus'], v2, 'rotated-hmac-key-0123456789');
    const req = { prefix: '_vault', entity: 'customers', column: 'first_name', keys: v2 };
    const got = await detokenize(lake, { ...req, tokens: [day1.get('Ada')!, day1.get('Grace')!, day2.get('Linus')!, 'tok_unknown'] });
    expect(Object.fromEntries(got)).toEqual({ [day1.get('Ada')!]: 'Ada', [day1.get('Grace')!]: 'Grace', [day2.get('Linus')!]: 'Linus' });
    // Without the old key, the old entries name the key they need.
    const onlyV2 = createVaultKeyRing({ key: K2, key_id: 'v2', previous_keys: {} });
    await expect(detokenize(lake, { ...req, keys: onlyV2, tokens: [day1.get('Ada')!] })).rejects.toMatchObject({
      message: expect.stringMatching(/sealed with vault key v1, which is not configured/),
      fix: expect.stringContaining('mask.vault.previous_keys.v1'),
    });
    // A wrong key under the right id opens nothing.
    const wrong = createVaultKeyRing({ key: 'b2'.repeat(32), key_id: 'v1', previous_keys: {} });
    await expect(detokenize(lake, { ...req, keys: wrong, tokens: [day1.get('Ada')!] })).rejects.toThrow(VaultDecryptError);
  });

  it('stores no original in the clear', async () => {
    const ring = createVaultKeyRing({ key: K1, key_id: 'v1', previous_keys: {} });
    await tokenizeDay('2026-11-26', ['Hildegard Quist', 'Bartholomew Zane'], ring);
    const files = (function walk(d: string): string[] {
      return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    })(root);
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readFileSync(f, 'latin1')).not.toMatch(/Hildegard|Bartholomew/);
  });

  it('names the column when it has no vault', async () => {
    const ring = createVaultKeyRing({ key: K1, key_id: 'v1', previous_keys: {} });
    await expect(detokenize(lake, { prefix: '_vault', entity: 'customers', column: 'email', keys: ring, tokens: ['tok_x'] })).rejects.toThrow(/No vault for customers\.email/);
  });
});
