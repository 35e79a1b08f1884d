import type { FileFormat } from './detect-format';

/**
 * The warning for a landing file that gave no rows. No rows is right for a day without sales, so
 * the run goes on; the usual cause, though, is an export that failed or was cut short, which a
 * person should rule out.
 */
export function noRowsWarning(uri: string, format: FileFormat, bytes: number, columns: number): string {
  const what =
    bytes === 0
      ? 'is empty (0 bytes)'
      : format === 'csv' && columns > 0
        ? 'has a header but no data rows'
        : format === 'json'
          ? 'holds an empty array'
          : format === 'ndjson'
            ? 'holds no JSON lines'
            : 'holds no rows';
  return `${uri} ${what}: 0 rows landed from it. Check that the export that wrote it finished and selected the right day; if the day really had no sales, nothing is wrong`;
}
