import { Utf8Checker } from './utf8-checker';

/** Checks `bytes` cut into chunks at every given offset. */
function checkCut(bytes: Buffer, cuts: readonly number[]): boolean {
  const c = new Utf8Checker();
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    c.check(bytes.subarray(from, at));
    from = at;
  }
  return c.end();
}

describe('Utf8Checker', () => {
  const text = Buffer.from('id,name\n1,Zoë\n2,Łódź 🎉\n3,東京\n');

  it('accepts valid UTF-8 however it is cut into chunks, characters split included', () => {
    for (let a = 1; a < text.length - 1; a++) {
      expect({ a, invalid: checkCut(text, [a]) }).toEqual({ a, invalid: false });
      expect({ a, invalid: checkCut(text, [a, a + 1]) }).toEqual({ a, invalid: false });
    }
    expect(checkCut(text, Array.from({ length: text.length - 1 }, (_, i) => i + 1))).toBe(false);
  });

  it('finds a Latin-1 byte, wherever the chunks are cut', () => {
    const latin1 = Buffer.from('id,name\n1,Jos\xe9\n', 'latin1');
    for (let a = 1; a < latin1.length; a++) expect({ a, invalid: checkCut(latin1, [a]) }).toEqual({ a, invalid: true });
  });

  it('finds a character cut off at the end of the stream', () => {
    expect(checkCut(Buffer.concat([Buffer.from('ok,'), Buffer.from('🎉').subarray(0, 2)]), [])).toBe(true);
  });

  it('accepts a real U+FFFD, which is valid UTF-8', () => {
    expect(checkCut(Buffer.from('a,\uFFFD\n'), [3])).toBe(false);
  });
});
