import { copyTextRow } from './copy-text';

describe('COPY text rows', () => {
  it('escapes the bytes the format gives a meaning to and writes nulls and booleans its way', () => {
    expect(copyTextRow(['a\tb', 'line\nnext\r', 'back\\slash', null, true, false, 12.5, ''])).toBe('a\\tb\tline\\nnext\\r\tback\\\\slash\t\\N\tt\tf\t12.5\t\n');
    expect(copyTextRow(['\\N'])).toBe('\\\\N\n');
  });
});
