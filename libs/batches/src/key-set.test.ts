import { KeySet } from './key-set';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('KeySet', () => {
  it('tells new keys from keys already added', () => {
    const set = new KeySet(4);
    const k = bytes('xxTXN1yy');
    expect(set.add(k, 2, 6)).toBe(true);
    expect(set.add(bytes('TXN1'), 0, 4)).toBe(false);
    expect(set.has(bytes('TXN1'), 0, 4)).toBe(true);
    expect(set.has(bytes('TXN'), 0, 3)).toBe(false);
    expect(set.add(bytes(''), 0, 0)).toBe(true);
    expect(set.add(bytes(''), 0, 0)).toBe(false);
    expect(set.size).toBe(2);
    expect(set.keyNumberOf(bytes('TXN1'), 0, 4)).toBe(0);
    expect(set.keyNumberOf(bytes(''), 0, 0)).toBe(1);
    expect(set.keyNumberOf(bytes('nope'), 0, 4)).toBe(-1);
  });

  it('agrees with a Set of strings while growing past its first capacity', () => {
    const set = new KeySet(16);
    const oracle = new Set<string>();
    let seed = 42;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 50_000);
    for (let i = 0; i < 100_000; i++) {
      // Mix short keys with some longer than 32 bytes (the other copy path).
      const key = i % 10 === 0 ? `long-key-${'x'.repeat(40)}-${rand()}` : `k${rand()}`;
      const b = bytes(key);
      expect(set.add(b, 0, b.length)).toBe(!oracle.has(key));
      oracle.add(key);
    }
    expect(set.size).toBe(oracle.size);
    for (const key of [...oracle].slice(0, 1000)) expect(set.has(bytes(key), 0, Buffer.byteLength(key))).toBe(true);
  });

  it('never grows when sized for its keys and their bytes', () => {
    const set = new KeySet(5000, 5000 * 11);
    const before = set.byteLength;
    for (let i = 0; i < 5000; i++) {
      const b = bytes(`TXN${String(i).padStart(8, '0')}`);
      expect(set.add(b, 0, b.length)).toBe(true);
    }
    expect(set.size).toBe(5000);
    expect(set.byteLength).toBe(before);
  });
});
