import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, exitCodeOf } from '@salesflow/errors';
import { LocalStorage, SymlinkOutsideRootError } from './index';

describe('LocalStorage and symbolic links', () => {
  let base: string;
  let storage: LocalStorage;
  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'symlinks-'));
    mkdirSync(path.join(base, 'landing/dt=2026-11-26'), { recursive: true });
    mkdirSync(path.join(base, 'secrets'));
    writeFileSync(path.join(base, 'secrets/vault.key'), 'ab'.repeat(32));
    writeFileSync(path.join(base, 'landing/dt=2026-11-26/customers.csv'), 'customer_id\nC1\n');
    storage = new LocalStorage(path.join(base, 'landing'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('refuses a link to a file outside the root, in every read and in a listing, with exit 4', async () => {
    symlinkSync(path.join(base, 'secrets/vault.key'), path.join(base, 'landing/dt=2026-11-26/orders.csv'));
    const key = 'dt=2026-11-26/orders.csv';
    for (const read of [() => storage.getBytes(key), () => storage.getStream(key), () => storage.stat(key), () => storage.openLocal(key), () => storage.copy(key, 'copy.csv'), () => storage.list('')]) {
      const err = await read().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SymlinkOutsideRootError);
      expect(exitCodeOf(err)).toBe(ExitCode.badInput);
      expect(String((err as Error).message)).not.toContain('abab');
    }
  });

  it('refuses a linked folder that leads outside, also for writes', async () => {
    symlinkSync(path.join(base, 'secrets'), path.join(base, 'landing/linked'));
    await expect(storage.getBytes('linked/vault.key')).rejects.toBeInstanceOf(SymlinkOutsideRootError);
    await expect(storage.putBytes('linked/new.txt', 'x')).rejects.toBeInstanceOf(SymlinkOutsideRootError);
  });

  it('follows links that stay inside the root', async () => {
    symlinkSync(path.join(base, 'landing/dt=2026-11-26/customers.csv'), path.join(base, 'landing/dt=2026-11-26/customers-latest.csv'));
    expect(Buffer.from((await storage.getBytes('dt=2026-11-26/customers-latest.csv'))!).toString()).toBe('customer_id\nC1\n');
    expect((await storage.list('')).map((o) => o.key)).toEqual(['dt=2026-11-26/customers-latest.csv', 'dt=2026-11-26/customers.csv']);
  });
});
