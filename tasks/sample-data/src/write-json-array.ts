import { writeLinesAtomically } from './write-lines-atomically';

/**
 * Writes a JSON array atomically, one compact element per line between "[" and "]",
 * so the file diffs and greps well yet parses with JSON.parse. Returns the number of elements.
 */
export async function writeJsonArray(path: string, rows: Iterable<object>): Promise<number> {
  let count = 0;
  function* lines(): Generator<string> {
    yield '[';
    // Each element is held back one step: only when the next arrives is it known to need a comma.
    let previous: string | undefined;
    for (const row of rows) {
      if (previous !== undefined) yield previous + ',';
      previous = JSON.stringify(row);
      count++;
    }
    if (previous !== undefined) yield previous;
    yield ']';
  }
  await writeLinesAtomically(path, lines());
  return count;
}
