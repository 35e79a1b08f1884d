import * as arrow from 'apache-arrow';
import { BatchBuilder } from './batch-builder';
import { columnsOf, schemaOf } from './column-kinds';
import { decimalUnitsOf, formatDecimalUnits, parseDecimalUnits, rescaleUnits, shortestDecimalText } from './decimal-units';
import { batchToObjects, decimalUnitsReader } from './read-columns';

describe('decimal units', () => {
  it.each([
    ['12.34', 2, 1234n],
    ['12.345', 2, 1235n],
    ['-12.345', 2, -1235n],
    ['1.005', 2, 101n],
    ['-0.125', 2, -13n],
    ['0.004', 2, 0n],
    ['7', 2, 700n],
    ['.5', 2, 50n],
    ['5.', 0, 5n],
    ['1e3', 2, 100000n],
    ['1.5e-2', 2, 2n],
    ['+0001.10', 2, 110n],
    ['12345678901234567.89', 2, 1234567890123456789n],
  ])('%p at scale %p is %p units', (text, scale, units) => {
    expect(parseDecimalUnits(text, scale)).toBe(units);
  });

  it('refuses text that is not a plain number', () => {
    for (const t of ['', '.', 'abc', '1,5', '1.2.3', '--1', '1e', '1e400', '1e-999999999']) expect(parseDecimalUnits(t, 2)).toBeUndefined();
    expect(parseDecimalUnits('1e-300', 2)).toBe(0n);
  });

  it('takes numbers by their shortest decimal form and bigints as whole numbers', () => {
    expect(decimalUnitsOf(0.1 + 0.2, 2)).toBe(30n);
    expect(decimalUnitsOf(2.675, 2)).toBe(268n); // 2.675 is 2.67499999... in binary; its shortest form rounds up
    expect(decimalUnitsOf(5n, 2)).toBe(500n);
    expect(decimalUnitsOf(NaN, 2)).toBeUndefined();
  });

  it('formats fixed-scale and shortest text', () => {
    expect(formatDecimalUnits(1234, 2)).toBe('12.34');
    expect(formatDecimalUnits(-5, 2)).toBe('-0.05');
    expect(formatDecimalUnits(7n, 0)).toBe('7');
    expect(formatDecimalUnits(-1234567890123456789012n, 4)).toBe('-123456789012345678.9012');
    expect(shortestDecimalText(1250n, 2)).toBe('12.5');
    expect(shortestDecimalText(1000n, 2)).toBe('10');
    expect(shortestDecimalText(0n, 2)).toBe('0');
    expect(rescaleUnits(12345n, 4, 2)).toBe(123n);
    expect(rescaleUnits(-12350n, 4, 2)).toBe(-124n);
    expect(rescaleUnits(12n, 2, 4)).toBe(1200n);
  });
});

describe('decimal columns', () => {
  const columns = [
    { name: 'price', kind: 'decimal' as const, precision: 16, scale: 2 },
    { name: 'big', kind: 'decimal' as const, precision: 38, scale: 4 },
  ];

  it('are Arrow Decimal128 with the declared precision and scale, both ways', () => {
    const schema = schemaOf(columns);
    const t = schema.fields[0]!.type as arrow.Decimal;
    expect([t.precision, t.scale, t.bitWidth]).toEqual([16, 2, 128]);
    expect(columnsOf(schema)).toEqual(columns.map((c) => ({ ...c, nullable: true })));
  });

  it('store exact scaled integers and read back as fixed-scale text and units', () => {
    const b = new BatchBuilder(columns);
    const rows: unknown[][] = [
      ['12.34', '123456789012345678901234.5678'],
      ['-0.05', '-123456789012345678901234.5678'],
      [null, null],
      [19.99, 5n],
      ['9007199254740.99', '-0.00005'],
      ['-9007199254740.99', '0'],
    ];
    for (const r of rows) b.appendRow(r);
    const batch = b.finish();
    expect(batchToObjects(batch)).toEqual([
      { price: '12.34', big: '123456789012345678901234.5678' },
      { price: '-0.05', big: '-123456789012345678901234.5678' },
      { price: null, big: null },
      { price: '19.99', big: '5.0000' },
      { price: '9007199254740.99', big: '-0.0001' },
      { price: '-9007199254740.99', big: '0.0000' },
    ]);
    const units = decimalUnitsReader(batch, 'price');
    expect([0, 1, 2, 3, 4, 5].map(units)).toEqual([1234, -5, null, 1999, 900719925474099, -900719925474099]);
    // Arrow's own reader agrees on the stored words.
    expect(String(batch.getChild('price')!.get(1))).toBe(String(-5n));
  });

  it('refuse a value with more digits than the precision, naming it', () => {
    const b = new BatchBuilder([{ name: 'p', kind: 'decimal', precision: 5, scale: 2 }]);
    expect(() => b.appendRow(['1000.00'])).toThrow(/1000\.00 has more digits than decimal\(5,2\)/);
    b.appendRow(['999.99']);
    expect(batchToObjects(b.finish())).toEqual([{ p: '999.99' }]);
  });
});
