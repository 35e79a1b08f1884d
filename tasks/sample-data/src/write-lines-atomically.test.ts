import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampleFileWriteError } from './sample-file-write-error';
import { writeLinesAtomically } from './write-lines-atomically';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sample-data-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function* numbered(n: number): Generator<string> {
  for (let i = 1; i <= n; i++) yield `line ${i}`;
}

describe('writeLinesAtomically', () => {
  it('writes every line in small chunks, waiting for drain, and reports progress', async () => {
    const path = join(dir, 'out.txt');
    const progress: number[] = [];
    const written = await writeLinesAtomically(path, numbered(10_000), { chunkChars: 64, onChunk: (n) => progress.push(n) });
    expect(written).toBe(10_000);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toEqual([...numbered(10_000), '']);
    expect(progress.length).toBeGreaterThan(1_000);
    expect(progress.at(-1)).toBe(10_000);
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'out.txt');
    await writeFile(path, 'old content that is longer than the new one\n');
    await writeLinesAtomically(path, ['new']);
    expect(await readFile(path, 'utf8')).toBe('new\n');
  });

  it('leaves the old file and no temp file when the rows fail midway', async () => {
    const path = join(dir, 'out.txt');
    await writeFile(path, 'old\n');
    function* failing(): Generator<string> {
      yield* numbered(5_000);
      throw new Error('generator broke');
    }
    const attempt = writeLinesAtomically(path, failing(), { chunkChars: 1_000 });
    await expect(attempt).rejects.toBeInstanceOf(SampleFileWriteError);
    await expect(attempt).rejects.toThrow(`Could not write ${path}: generator broke`);
    expect(await readFile(path, 'utf8')).toBe('old\n');
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('fails with the file named when the folder does not exist', async () => {
    const path = join(dir, 'missing', 'out.txt');
    await expect(writeLinesAtomically(path, ['x'])).rejects.toThrow(`Could not write ${path}: ENOENT`);
  });
});
