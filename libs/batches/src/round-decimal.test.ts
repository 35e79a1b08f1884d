import { roundDecimal } from './round-decimal';

describe('roundDecimal', () => {
  it.each([
    [19.989999999, 2, 19.99],
    [1.005, 2, 1.01],
    [-1.005, 2, -1.01],
    [2.675, 2, 2.68],
    [0.12345, 4, 0.1235],
    [10, 2, 10],
    [0.0000001, 2, 0],
    [-0.001, 2, 0],
    [-0.125, 2, -0.13],
    [0.125, 2, 0.13],
    [123456789.995, 2, 123456790],
  ])('%p at scale %p is %p', (v, scale, expected) => {
    expect(roundDecimal(v, scale)).toBe(expected);
  });

  it('refuses NaN and infinities', () => {
    expect(() => roundDecimal(NaN, 2)).toThrow(/not a finite number/);
    expect(() => roundDecimal(Infinity, 2)).toThrow(/not a finite number/);
  });
});
