import { formatCsvRow } from './format-csv-row';
import { writeLinesAtomically, type WriteLinesOptions } from './write-lines-atomically';

/**
 * Writes a CSV file atomically: a header line, then one line per row, RFC 4180 quoting
 * where needed, LF line endings, UTF-8 without BOM. Returns the number of data rows.
 */
export async function writeCsv(
  path: string,
  header: readonly string[],
  rows: Iterable<readonly string[]>,
  options: WriteLinesOptions = {},
): Promise<number> {
  function* lines(): Generator<string> {
    yield formatCsvRow(header);
    for (const row of rows) yield formatCsvRow(row);
  }
  const onChunk = options.onChunk;
  const written = await writeLinesAtomically(path, lines(), {
    ...options,
    onChunk: onChunk && ((linesSoFar) => onChunk(linesSoFar - 1)),
  });
  return written - 1;
}
