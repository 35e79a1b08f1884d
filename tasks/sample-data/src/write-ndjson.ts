import { writeLinesAtomically, type WriteLinesOptions } from './write-lines-atomically';

/** Writes one JSON object per line, atomically. Returns the number of lines. */
export async function writeNdjson(path: string, rows: Iterable<object>, options: WriteLinesOptions = {}): Promise<number> {
  function* lines(): Generator<string> {
    for (const row of rows) yield JSON.stringify(row);
  }
  return writeLinesAtomically(path, lines(), options);
}
