import { parseManifest, readParquetFile, type Storage } from '@salesflow/lake';

/** Every object of the lake that is not Parquet, as text (run reports, manifests, lineage, quality reports). */
export async function* lakeTextObjects(storage: Storage): AsyncGenerator<{ key: string; text: string }> {
  for (const o of await storage.list('')) {
    if (o.key.endsWith('.parquet')) continue;
    yield { key: o.key, text: Buffer.from((await storage.getBytes(o.key))!).toString('utf8') };
  }
}

/**
 * Every string cell of the committed partitions whose dataset passes `include`, decoded from
 * Parquet (compressed pages would hide plain text from a byte scan).
 */
export async function* lakeStringCells(storage: Storage, include: (dataset: string) => boolean): AsyncGenerator<{ dataset: string; column: string; value: string }> {
  for (const m of (await storage.list('')).filter((o) => o.key.endsWith('/_manifest.json'))) {
    const manifest = parseManifest(Buffer.from((await storage.getBytes(m.key))!).toString('utf8'), m.key);
    if (!include(manifest.dataset)) continue;
    for (const f of manifest.files) {
      const local = await storage.openLocal(f.key);
      try {
        for await (const batch of readParquetFile(local.path)) {
          for (const [i, field] of batch.schema.fields.entries()) {
            const col = batch.getChildAt(i)!;
            for (let r = 0; r < batch.numRows; r++) {
              const v = col.get(r);
              if (typeof v === 'string') yield { dataset: manifest.dataset, column: field.name, value: v };
            }
          }
        }
      } finally {
        await local.release();
      }
    }
  }
}
