import { formatCsvField, formatCsvRow } from './format-csv-row';
import { parseCsv } from './parse-csv';

describe('formatCsvRow', () => {
  it('leaves plain values unquoted', () => {
    expect(formatCsvRow(['CUST000001', 'Mary', "O'Brien", '02134', ''])).toBe("CUST000001,Mary,O'Brien,02134,");
  });

  it('quotes a value holding a comma and a quote, doubling the quote', () => {
    expect(formatCsvField('12 Main St, Apt "B"')).toBe('"12 Main St, Apt ""B"""');
  });

  it('quotes values with surrounding whitespace so readers do not trim them', () => {
    expect(formatCsvField('  John.Smith@Example.COM ')).toBe('"  John.Smith@Example.COM "');
    expect(formatCsvField('   ')).toBe('"   "');
  });

  it('round trips through parseCsv: comma, quote, line breaks, whitespace and UTF-8', () => {
    const rows = [
      ['id', 'value'],
      ['1', 'He said "hi", then left'],
      ['2', 'line one\nline two\r\nline three'],
      ['3', '  padded '],
      ['4', ''],
      ['5', 'José, "Pepe" García'],
    ];
    const text = rows.map(formatCsvRow).join('\n') + '\n';
    expect(parseCsv(text)).toEqual(rows);
  });
});

describe('parseCsv', () => {
  it('reads CRLF line endings and a missing final line ending', () => {
    expect(parseCsv('a,b\r\n"x,1",2')).toEqual([
      ['a', 'b'],
      ['x,1', '2'],
    ]);
  });
});
