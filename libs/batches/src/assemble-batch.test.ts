import * as arrow from 'apache-arrow';
import { constantUtf8Data } from './assemble-batch';

describe('constantUtf8Data', () => {
  it.each([
    ['abc', 0],
    ['abc', 1],
    ['abc', 5],
    ['', 4],
    ['é€', 7],
    ['file:///landing/dt=2026-11-26/sales.csv', 100_003],
  ])('%j repeated %i times: every row holds the value', (value, rows) => {
    const data = constantUtf8Data(value, rows);
    const vector = arrow.makeVector(data);
    expect(vector.length).toBe(rows);
    expect(data.nullCount).toBe(0);
    const width = Buffer.byteLength(value);
    expect(data.values.length).toBe(width * rows);
    expect(data.valueOffsets[rows]).toBe(width * rows);
    const wrong = [...vector].findIndex((v) => v !== value);
    expect(wrong).toBe(-1);
  });
});
