import { createHash } from 'node:crypto';
import { countParquetRows, parseManifest, readParquetFile, type Storage } from '@salesflow/lake';

/** Columns that differ between two correct runs of the same ds (run ids, load times, random nonces). */
const VOLATILE = new Set(['_run_id', '_ingested_at', 'loaded_at', '_loaded_at', 'sealed', 'ciphertext', 'iv', 'nonce']);

/** One committed partition as a reader sees it. */
export interface PartitionDigest {
  readonly dataset: string;
  readonly ds: string;
  readonly rows: number;
  /** Problems a reader would hit: listed files missing, or a file whose rows differ from the manifest. */
  readonly problems: readonly string[];
  /** Order-independent hash of the rows without volatile columns. */
  readonly content: string;
}

/**
 * Reads every committed partition of a lake the way a reader does (manifest first, then exactly
 * the files it lists) and returns, per partition, its row count, what is broken, and a content hash
 * that two runs of the same input must share.
 */
export async function digestLake(storage: Storage): Promise<PartitionDigest[]> {
  const manifests = (await storage.list('')).filter((o) => o.key.endsWith('/_manifest.json'));
  const out: PartitionDigest[] = [];
  for (const m of manifests) {
    const manifest = parseManifest(Buffer.from((await storage.getBytes(m.key))!).toString('utf8'), m.key);
    const problems: string[] = [];
    const rowHashes: string[] = [];
    let rows = 0;
    for (const f of manifest.files) {
      let local: { path: string; release(): Promise<void> };
      try {
        local = await storage.openLocal(f.key);
      } catch (e) {
        problems.push(`${f.key} is listed but missing (${(e as Error).message})`);
        continue;
      }
      try {
        const n = await countParquetRows(local.path);
        if (n !== f.rows) problems.push(`${f.key} has ${n} rows, the manifest says ${f.rows}`);
        rows += n;
        for await (const batch of readParquetFile(local.path)) {
          const names = batch.schema.fields.map((x) => x.name).filter((x) => !VOLATILE.has(x));
          for (const row of batch) {
            const r = row as unknown as Record<string, unknown>;
            rowHashes.push(createHash('sha1').update(JSON.stringify(names.map((k) => r[k]), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex'));
          }
        }
      } catch (e) {
        problems.push(`${f.key} cannot be read: ${(e as Error).message}`);
      } finally {
        await local.release();
      }
    }
    if (rows !== manifest.rows) problems.push(`${manifest.dataset} dt=${manifest.ds}: files hold ${rows} rows, the manifest says ${manifest.rows}`);
    const content = createHash('sha256').update(rowHashes.sort().join('\n')).digest('hex').slice(0, 16);
    out.push({ dataset: manifest.dataset, ds: manifest.ds, rows, problems, content });
  }
  return out.sort((a, b) => (a.dataset + a.ds < b.dataset + b.ds ? -1 : 1));
}

/** Differences between two digests of the same lake content, as readable lines (empty when equal). */
export function compareDigests(expected: readonly PartitionDigest[], actual: readonly PartitionDigest[], ignore: (dataset: string) => boolean = () => false): string[] {
  const key = (d: PartitionDigest) => `${d.dataset} dt=${d.ds}`;
  const a = new Map(actual.filter((d) => !ignore(d.dataset)).map((d) => [key(d), d]));
  const diffs: string[] = [];
  for (const e of expected.filter((d) => !ignore(d.dataset))) {
    const got = a.get(key(e));
    a.delete(key(e));
    if (!got) diffs.push(`${key(e)} is missing`);
    else if (got.rows !== e.rows) diffs.push(`${key(e)}: ${got.rows} rows, expected ${e.rows}`);
    else if (got.content !== e.content) diffs.push(`${key(e)}: same row count, different content`);
  }
  for (const k of a.keys()) diffs.push(`${k} is unexpected`);
  return diffs;
}
