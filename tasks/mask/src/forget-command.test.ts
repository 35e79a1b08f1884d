import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, batchToObjects, type ColumnDef } from '@salesflow/batches';
import { readConfig, type PipelineConfig } from '@salesflow/config';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import { createVaultKeyRing, detokenize, vaultDataset } from '@salesflow/masking';
import { runForget, runMask } from './index';

const DEMO = path.resolve(__dirname, '../../../config/demo_config.yaml');
const DAYS = ['2026-11-25', '2026-11-26'];
const PEOPLE = [
  { customer_id: 'C1', first_name: 'Zebediah', last_name: 'Smith', email: 'zeb.smith@example.com', phone: '212-555-0101', address: '1 Quiet Lane' },
  { customer_id: 'C2', first_name: 'Ann', last_name: 'Smith', email: 'ann.smith@example.com', phone: '212-555-0102', address: '2 Quiet Lane' },
  { customer_id: 'C3', first_name: 'Bob', last_name: 'Jones', email: 'bob.jones@example.com', phone: '212-555-0103', address: '3 Quiet Lane' },
];

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? allFiles(path.join(dir, n)) : [path.join(dir, n)]));
}

describe('forget', () => {
  let root: string;
  let lake: Lake;
  let config: PipelineConfig;
  const env = () => ({ LAKE_ROOT: root });
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'forget-'));
    lake = new Lake(new LocalStorage(root));
    const demo = readConfig(DEMO, (n) => (n === 'LAKE_ROOT' ? root : undefined)).config;
    config = { ...demo, standardize: { ...demo.standardize, entities: { customers: demo.standardize.entities.customers! } }, mask: { ...demo.mask, entities: { customers: demo.mask.entities.customers! } } };
    const declared: ColumnDef[] = Object.keys(config.standardize.entities.customers!.columns).map((name) => ({ name, kind: 'string' }));
    for (const ds of DAYS) {
      const b = new BatchBuilder([...declared, { name: '_row_hash', kind: 'string' }]);
      for (const p of PEOPLE) b.appendRow([...declared.map((c) => (p as Record<string, string>)[c.name] ?? 'x'), `h-${p.customer_id}`]);
      const w = lake.openPartition({ dataset: datasets.processed('customers'), ds, step: 'standardize', runId: 'std' });
      await w.write(b.finish());
      await w.commit({});
      await runMask({ step: 'mask', ds, runId: `mask-${ds}`, config, lake, log: createLogger({ write: () => undefined }) });
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const maskedRow = async (id: string) => {
    for await (const b of lake.readPartition(datasets.masked('customers'), DAYS[1]!, 'mask')) for (const r of batchToObjects(b)) if (r.customer_id === id) return r;
    throw new Error(id);
  };
  const vaultValues = async (column: string) => {
    const tokens: string[] = [];
    for (const ds of await lake.listPartitions(vaultDataset('_vault', 'customers', column)))
      for await (const b of lake.readPartition(vaultDataset('_vault', 'customers', column), ds, 'mask')) tokens.push(...batchToObjects(b).map((r) => r.token as string));
    return [...(await detokenize(lake, { prefix: '_vault', entity: 'customers', column, tokens, keys: createVaultKeyRing(config.mask.vault!) })).values()];
  };

  it("removes one person's exclusive vault entries and standardized rows, keeps shared tokens, and audits who ran it", async () => {
    const before = await maskedRow('C1');
    expect(await vaultValues('first_name')).toContain('Zebediah');
    const out: string[] = [];
    const logs: string[] = [];
    const code = await runForget({ argv: ['--config', DEMO, '--entity', 'customers', '--key', 'customer_id=C1', '--operator', 'dpo@example.com', '--request-id', 'GDPR-17'], env: env(), print: (l) => out.push(l), log: createLogger({ format: 'json', write: (l) => logs.push(l) }) });
    expect(code).toBe(0);
    const result = JSON.parse(out[0]!);
    expect(result).toMatchObject({ entity: 'customers', key_column: 'customer_id', masked_rows: 2, processed_rows_removed: 2, operator: 'dpo@example.com', request_id: 'GDPR-17', vault: { first_name: { removed: 2, shared_kept: 0 }, last_name: { removed: 0, shared_kept: 1 } } });

    // The person's first-name token no longer resolves; the shared last name still does, for Ann too.
    const firstNames = await vaultValues('first_name');
    expect(firstNames).not.toContain('Zebediah');
    expect(firstNames).toEqual(expect.arrayContaining(['Ann', 'Bob']));
    const back = await detokenize(lake, { prefix: '_vault', entity: 'customers', column: 'first_name', tokens: [before.first_name as string], keys: createVaultKeyRing(config.mask.vault!) });
    expect(back.size).toBe(0);
    expect(await vaultValues('last_name')).toContain('Smith');
    // No plaintext of the person is left: the processed rows are gone (decoded, since Parquet pages
    // are compressed), and no manifest, run report or audit record carries a value of theirs.
    for (const ds of DAYS) for await (const b of lake.readPartition(datasets.processed('customers'), ds, 'standardize')) expect(batchToObjects(b).map((r) => r.customer_id)).toEqual(['C2', 'C3']);
    for (const f of allFiles(root).filter((f) => !f.endsWith('.parquet'))) {
      const text = readFileSync(f, 'latin1');
      for (const v of ['Zebediah', 'zeb.smith@example.com', '1 Quiet Lane']) expect({ file: path.relative(root, f), found: text.includes(v) }).toEqual({ file: path.relative(root, f), found: false });
    }
    // The audit line, in the lake and in the log, names who ran it and holds no value of the person.
    const audit = allFiles(path.join(root, '_audit/forget')).map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(audit).toEqual([expect.objectContaining({ operator: 'dpo@example.com', request_id: 'GDPR-17', key_value: 'C1' })]);
    expect(logs.some((l) => /"msg":"forget: dpo@example.com erased customer_id=C1 from customers"/.test(l))).toBe(true);
  });

  it('removes shared tokens only when asked, and refuses a key no row has (exit 4)', async () => {
    const ann = await maskedRow('C2');
    expect(await runForget({ argv: ['--config', DEMO, '--entity', 'customers', '--key', 'customer_id=C1', '--include-shared'], env: env(), print: () => undefined, log: createLogger({ write: () => undefined }) })).toBe(0);
    expect(await vaultValues('last_name')).not.toContain('Smith');
    const back = await detokenize(lake, { prefix: '_vault', entity: 'customers', column: 'last_name', tokens: [ann.last_name as string], keys: createVaultKeyRing(config.mask.vault!) });
    expect(back.size).toBe(0);
    const logs: string[] = [];
    expect(await runForget({ argv: ['--config', DEMO, '--entity', 'customers', '--key', 'customer_id=C9'], env: env(), print: () => undefined, log: createLogger({ format: 'json', write: (l) => logs.push(l) }) })).toBe(4);
    expect(logs.join('\n')).toMatch(/No row of customers has customer_id = the value given.*nothing was erased/);
  });
});
