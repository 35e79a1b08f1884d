import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig, type PipelineConfig } from '@salesflow/config';
import { createVaultKeyRing, detokenize } from '@salesflow/masking';
import { datasets } from '@salesflow/lake';
import { configWith, readRaw, stepContext, tempLake } from './ingest-fixture.test-util';
import { runIngest } from './ingest-step';

const DS = '2026-11-20';

/** A files source "crm" landing customers.csv, with mask rules on customers marked at_ingest or not. */
function setup(rules: Record<string, unknown>): { config: PipelineConfig; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mask-at-ingest-'));
  writeFileSync(
    path.join(dir, 'customers.csv'),
    'Customer ID,Email,First Name,Phone\nC1,jane.doe@corp.com,Jane,555-123-4567\nC2,bob@mail.org,Bob,\nC3,,Ann,555-987-6543\n',
  );
  const base = JSON.parse(JSON.stringify(configWith([{ name: 'crm', kind: 'files', path: dir, entities: [{ name: 'customers', pattern: 'customers.csv', format: 'csv', new_files_only: false }] }])));
  base.mask.entities.customers = rules;
  const r = validateConfig(base);
  if (!r.config) throw new Error(r.errors.join('\n'));
  return { config: r.config, dir };
}

describe('masking at ingest', () => {
  it('lands at_ingest columns masked, leaves the others as read, and records the key id in the manifest', async () => {
    const { config } = setup({
      email: { method: 'email', at_ingest: true },
      first_name: { method: 'hmac', at_ingest: true },
      phone: { method: 'pattern', pattern: 'XXX-XXX-####' },
    });
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'crm', DS));
    const { rows, manifest } = await readRaw(lake, datasets.raw('files', 'crm', 'customers'), DS);
    expect(rows.map((r) => r['Customer ID'])).toEqual(['C1', 'C2', 'C3']);
    const text = JSON.stringify(rows);
    for (const clear of ['jane.doe', 'bob@', 'Jane', 'Bob', 'Ann']) expect(text).not.toContain(clear);
    expect(rows[0]!.Email).toMatch(/@corp\.com$/); // email masking keeps the domain
    expect(rows[2]!.Email).toBe(''); // blanks stay blank (raw keeps CSV text as read)
    expect(rows[0]!['First Name']).toEqual(expect.any(String));
    // phone's rule applies in the mask step, not here
    expect(rows[0]!.Phone).toBe('555-123-4567');
    expect(manifest.meta?.masked_at_ingest).toEqual({ columns: { Email: 'email', 'First Name': 'hmac' }, key_id: config.mask.key_id, vault_key_id: null });
  });

  it('seals tokenized originals in the vault before the raw partition, so detokenize gives them back', async () => {
    const { config } = setup({ first_name: { method: 'tokenize', at_ingest: true } });
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'crm', DS));
    const { rows } = await readRaw(lake, datasets.raw('files', 'crm', 'customers'), DS);
    const tokens = rows.map((r) => r['First Name'] as string);
    expect(tokens.every((t) => t.startsWith('tok_'))).toBe(true);
    const back = await detokenize(lake, { prefix: config.mask.vault!.prefix, entity: 'customers', column: 'First Name', tokens, keys: createVaultKeyRing(config.mask.vault!) });
    expect(tokens.map((t) => back.get(t))).toEqual(['Jane', 'Bob', 'Ann']);
  });

  it('lands the source as read when no rule is marked at_ingest', async () => {
    const { config } = setup({ email: { method: 'email' } });
    const lake = tempLake();
    await runIngest(stepContext(config, lake, 'crm', DS));
    const { rows, manifest } = await readRaw(lake, datasets.raw('files', 'crm', 'customers'), DS);
    expect(rows[0]!.Email).toBe('jane.doe@corp.com');
    expect(manifest.meta?.masked_at_ingest).toBeUndefined();
  });
});
