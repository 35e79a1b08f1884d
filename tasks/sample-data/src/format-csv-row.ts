// Quote when RFC 4180 requires it (comma, quote, line break) and also around leading or
// trailing whitespace, which many readers would otherwise trim and so hide the dirty rows.
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV field, quoted and with inner quotes doubled only when needed (RFC 4180). */
export function formatCsvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line, without the line ending. */
export function formatCsvRow(values: readonly string[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + formatCsvField(values[i] as string);
  return line;
}
