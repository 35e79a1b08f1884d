import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

  it('never reads the outside file while another process keeps swapping the link (check and read are one descriptor)', async () => {
    const dir = path.join(base, 'landing/dt=2026-11-26');
    const inside = path.join(dir, 'customers.csv');
    const outside = path.join(base, 'secrets/vault.key');
    const link = path.join(dir, 'orders.csv');
    symlinkSync(inside, link);
    // The swapper replaces the link atomically (rename over it), alternating its target, until killed.
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const [link, a, b] = process.argv.slice(1);
      for (let i = 0; ; i++) {
        const tmp = link + '.swap';
        try { fs.unlinkSync(tmp); } catch {}
        fs.symlinkSync(i % 2 ? b : a, tmp);
        fs.renameSync(tmp, link);
      }`, link, inside, outside], { stdio: 'ignore' });
    const secret = readFileSync(outside, 'utf8');
    const seen = { inside: 0, refused: 0, leaked: 0 };
    try {
      const until = Date.now() + 3000;
      while (Date.now() < until || seen.inside === 0 || seen.refused === 0) {
        for (const read of [
          async () => Buffer.from((await storage.getBytes('dt=2026-11-26/orders.csv')) ?? '').toString(),
          async () => {
            const chunks: Buffer[] = [];
            for await (const c of await storage.getStream('dt=2026-11-26/orders.csv')) chunks.push(c as Buffer);
            return Buffer.concat(chunks).toString();
          },
          async () => {
            const local = await storage.openLocal('dt=2026-11-26/orders.csv');
            try {
              return readFileSync(local.path, 'utf8');
            } finally {
              await local.release();
            }
          },
        ]) {
          const text = await read().catch((e: unknown) => {
            if (e instanceof SymlinkOutsideRootError || (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw e;
          });
          if (text === undefined) seen.refused += 1;
          else if (text === secret) seen.leaked += 1;
          else if (text === 'customer_id\nC1\n') seen.inside += 1;
          else throw new Error(`read something else: ${text.slice(0, 40)}`);
        }
      }
    } finally {
      swapper.kill();
    }
    expect(seen.leaked).toBe(0);
    // Both targets were really met, so the race was on.
    expect(seen.inside).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 20_000);
});
