import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchBuilder, batchToObjects, type ColumnDef, type ColumnKind } from '@salesflow/batches';
import { readConfig, type ColumnType, type PipelineConfig } from '@salesflow/config';
import { exitCodeOf, ExitCode } from '@salesflow/errors';
import { datasets, Lake, LocalStorage } from '@salesflow/lake';
import { createLogger } from '@salesflow/logging';
import type { StepContext } from '@salesflow/step';
import { writeFileSync } from 'node:fs';
import { PiiFoundError } from '@salesflow/pii-scan';
import { createMaskKey, tokenizeValue } from '@salesflow/masking';
import { MaskRuleInvalidError, runDetokenize, runMask } from './index';

const DS = '2026-11-26';
const KIND: Record<ColumnType, ColumnKind> = {
  string: 'string', int: 'int32', bigint: 'int64', float: 'float64', decimal: 'float64', bool: 'bool', date: 'date', timestamp: 'timestamp',
};
const LINEAGE: ColumnDef[] = [
  { name: '_source', kind: 'string', nullable: false },
  { name: '_ingested_at', kind: 'timestamp', nullable: false },
  { name: '_run_id', kind: 'string', nullable: false },
  { name: '_row_hash', kind: 'string', nullable: false },
];

// The demo config with every ${VAR:-default} at its default: the rules the demo really runs.
const config: PipelineConfig = readConfig(resolve(__dirname, '../../../config/demo_config.yaml'), () => undefined).config;
const FIRST = ['Olivia', 'Liam', 'Emma', 'Noah', 'Amelia', 'Oliver', 'Sophia', 'Elijah'];
const LAST = ['Johnson', 'Williams', 'Garcia', 'Martinez', 'Robinson'];
const PHONE_FORMATS = [(a: string, b: string, c: string) => `${a}-${b}-${c}`, (a: string, b: string, c: string) => `(${a}) ${b} ${c}`, (a: string, b: string, c: string) => `+1 ${a} ${b} ${c}`];
const CUSTOMERS = 250;

/** The PII values written to processed/customers, to look for in the masked zone afterwards. */
interface Pii {
  names: Set<string>;
  emails: Set<string>;
  phones: Set<string>;
  addresses: Set<string>;
}

function customerValue(col: string, i: number): unknown {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[i % LAST.length]!;
  switch (col) {
    case 'customer_id': return `CUST-${String(i).padStart(5, '0')}`;
    case 'first_name': return i % 50 === 7 ? null : first;
    case 'last_name': return last;
    case 'email': return i % 40 === 3 ? null : i % 60 === 5 ? `${first}${last}NoAt${i}` : `${first}.${last}${i}@Example${i % 3}.COM`;
    case 'phone': return i % 45 === 9 ? `${i % 10}99` : PHONE_FORMATS[i % 3]!(String(200 + (i % 700)), String(300 + i).padStart(3, '0'), String(1000 + i * 7).slice(-4));
    case 'address': return `${100 + i} Quincy Boulevard Apt ${i}`;
    case 'city': return 'Springfield';
    case 'state': return 'IL';
    case 'zip_code': return '62701';
    case 'country': return 'US';
    default: return null;
  }
}

function genericValue(kind: ColumnKind, col: string, i: number): unknown {
  switch (kind) {
    case 'string': return `${col}-${i}`;
    case 'int32': return i + 1;
    case 'int64': return BigInt(i);
    case 'float64': return Math.round(i * 137) / 100;
    case 'bool': return i % 2 === 0;
    case 'date': return Date.UTC(2026, 10, 26);
    case 'timestamp': return Date.UTC(2026, 10, 26, 1, 2, 3) + i;
  }
}

/** Writes processed/<entity>/dt=DS for every standardized entity, as the standardize step would. */
async function writeProcessed(lake: Lake, opts: { dropCustomerColumn?: string; notes?: (i: number) => string | null } = {}): Promise<Pii> {
  const pii: Pii = { names: new Set(), emails: new Set(), phones: new Set(), addresses: new Set() };
  for (const [entity, cfg] of Object.entries(config.standardize.entities)) {
    const declared: ColumnDef[] = Object.entries(cfg.columns)
      .filter(([name]) => !(entity === 'customers' && name === opts.dropCustomerColumn))
      .map(([name, spec]) => ({ name, kind: KIND[spec.type], nullable: !spec.required }));
    if (entity === 'customers' && opts.notes) declared.push({ name: 'notes', kind: 'string' });
    const columns = [...declared, ...LINEAGE];
    const rows = entity === 'customers' ? CUSTOMERS : 40;
    const writer = lake.openPartition({ dataset: datasets.processed(entity), ds: DS, step: 'standardize', runId: 'std-run' });
    const b = new BatchBuilder(columns);
    for (let i = 0; i < rows; i++) {
      const values = declared.map((c) => (entity === 'customers' ? (c.name === 'notes' ? opts.notes!(i) : customerValue(c.name, i)) : genericValue(c.kind, c.name, i)));
      if (entity === 'customers') {
        const v = Object.fromEntries(declared.map((c, k) => [c.name, values[k]]));
        for (const n of [v.first_name, v.last_name]) if (typeof n === 'string') pii.names.add(n);
        if (typeof v.email === 'string') pii.emails.add(v.email);
        if (typeof v.phone === 'string') pii.phones.add(v.phone);
        if (typeof v.address === 'string') pii.addresses.add(v.address);
      }
      b.appendRow([...values, 'landing', Date.UTC(2026, 10, 26, 2), 'std-run', `hash-${i}`]);
      if (b.length === 100) await writer.write(b.finish()); // several batches, as a real partition has
    }
    if (b.length) await writer.write(b.finish());
    await writer.commit({});
  }
  return pii;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

describe('runMask', () => {
  let root: string;
  let lake: Lake;
  let logLines: string[];
  const ctx = (over: Partial<StepContext> = {}): StepContext => ({
    step: 'mask',
    ds: DS,
    runId: 'mask-run',
    config,
    lake,
    log: createLogger({ format: 'json', level: 'debug', write: (l) => logLines.push(l) }),
    ...over,
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mask-step-'));
    lake = new Lake(new LocalStorage(root));
    logLines = [];
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes every entity to the masked zone with the same rows, and no PII survives', async () => {
    const pii = await writeProcessed(lake);
    const result = await runMask(ctx());

    const entities = Object.keys(config.standardize.entities);
    const expectedRows = entities.reduce((n, e) => n + (e === 'customers' ? CUSTOMERS : 40), 0);
    expect(result.rowsIn).toBe(expectedRows);
    expect(result.rowsOut).toBe(expectedRows);
    expect(result.outputs.map((o) => o.uri)).toEqual(entities.map((e) => lake.partitionUri(datasets.masked(e), DS)));
    expect(result.inputs.map((o) => o.uri)).toEqual(entities.map((e) => lake.partitionUri(datasets.processed(e), DS)));

    for (const entity of entities) {
      const input = await lake.requireManifest(datasets.processed(entity), DS, 'standardize');
      const output = await lake.requireManifest(datasets.masked(entity), DS, 'mask');
      expect(output.rows).toBe(input.rows);
      expect(output.producer).toEqual({ step: 'mask', run_id: 'mask-run' });
      const before: Record<string, unknown>[] = [];
      for await (const b of lake.readPartition(datasets.processed(entity), DS, 'standardize')) before.push(...batchToObjects(b));
      const after: Record<string, unknown>[] = [];
      for await (const b of lake.readPartition(datasets.masked(entity), DS, 'mask')) after.push(...batchToObjects(b));
      expect(after).toHaveLength(before.length);
      const rules = config.mask.entities[entity] ?? {};
      if (Object.keys(rules).length === 0) {
        // passed through unchanged: same columns, same values, no key id
        expect(output.schema).toEqual(input.schema);
        expect(after).toEqual(before);
        expect(output.meta).toMatchObject({ rules: {}, key_id: null });
        continue;
      }
      expect(output.schema.map((c) => c.name)).toEqual([...input.schema.map((c) => c.name), '_mask_key_id']);
      expect(output.meta).toMatchObject({ rules: { first_name: 'tokenize', last_name: 'tokenize', email: 'email', phone: 'pattern', address: 'hmac' }, key_id: 'demo' });
      after.forEach((row, i) => {
        expect(row._mask_key_id).toBe('demo');
        for (const col of input.schema.map((c) => c.name)) {
          if (col === '_row_hash') {
            // re-keyed with the masking key: still one hash per row, no longer the unkeyed one
            expect(row[col]).toMatch(/^[0-9a-f]{64}$/);
            expect(row[col]).not.toBe(before[i]![col]);
          } else if (col in rules) {
            if (before[i]![col] === null) expect(row[col]).toBeNull();
            else expect(row[col]).not.toBe(before[i]![col]);
          } else expect(row[col]).toEqual(before[i]![col]);
        }
        if (row.phone !== null) expect(row.phone).toMatch(/^XXX-XXX-[0-9X]{4}$/);
        if (typeof row.email === 'string' && row.email.includes('@')) expect(row.email).toMatch(/^[0-9a-f]{10}@example[0-2]\.com$/);
      });
    }

    // Scan everything the step left in the masked zone (decoded values, manifests, file bytes) and its logs.
    const decoded: string[] = [];
    for (const entity of entities) for await (const b of lake.readPartition(datasets.masked(entity), DS, 'mask')) decoded.push(JSON.stringify(batchToObjects(b), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const maskedFiles = allFiles(join(root, 'processed', 'masked'));
    expect(maskedFiles.some((f) => f.endsWith('.parquet'))).toBe(true);
    const haystacks = [...decoded, ...maskedFiles.map((f) => readFileSync(f, 'latin1')), ...logLines];
    const needles = [...pii.names, ...pii.emails, ...pii.phones, ...pii.addresses, ...[...pii.emails].map((e) => e.split('@')[0]!), config.mask.hmac_key];
    expect(needles.length).toBeGreaterThan(500);
    // Substrings for values long enough not to occur by chance in hex and tokens; whole-cell equality for all.
    const leaks = needles.filter((n) => n.length >= 6 && haystacks.some((h) => h.includes(n)));
    expect(leaks).toEqual([]);
    const cells = new Set<unknown>();
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) batchToObjects(b).forEach((r) => Object.values(r).forEach((v) => cells.add(v)));
    expect(needles.filter((n) => cells.has(n))).toEqual([]);

    const metrics = result.metrics as { entities: Record<string, { counts: Record<string, { notEmail: number; tooFewDigits: number }> }> };
    expect(metrics.entities.customers!.counts.email!.notEmail).toBeGreaterThan(0);
    expect(metrics.entities.customers!.counts.phone!.tooFewDigits).toBeGreaterThan(0);
  });

  it('resists the name-reversal attack: the hmac key and every true name reverse no token; the tokenize key reverses them all', async () => {
    const pii = await writeProcessed(lake);
    await runMask(ctx());
    const masked: Record<string, unknown>[] = [];
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) masked.push(...batchToObjects(b));
    const tokens = masked.flatMap((r) => [r.first_name, r.last_name]).filter((t): t is string => typeof t === 'string');
    expect(tokens.length).toBeGreaterThan(400);
    // The attacker holds what every other step holds (the hmac key), and guesses with the real
    // names themselves, in every domain a token could have been made in.
    const domains = [undefined, 'customers.first_name', 'customers.last_name', 'first_name', 'last_name'];
    const reverse = (key: ReturnType<typeof createMaskKey>) => {
      const guesses = new Map<string, string>();
      for (const name of pii.names) for (const d of domains) guesses.set(tokenizeValue(name, key, d)!, name);
      return tokens.filter((t) => guesses.has(t)).length;
    };
    expect(reverse(createMaskKey(config.mask.hmac_key, 'stolen'))).toBe(0);
    // The same attack with the tokenize key does work, so the check above could fail.
    expect(reverse(createMaskKey(config.mask.tokenize_key!, 'stolen'))).toBe(tokens.length);
    // A first name's token never equals the same text's last-name token.
    expect(tokenizeValue('Morgan', createMaskKey(config.mask.tokenize_key!, 't'), 'customers.first_name')).not.toBe(
      tokenizeValue('Morgan', createMaskKey(config.mask.tokenize_key!, 't'), 'customers.last_name'),
    );
  });

  it('gives the same masked rows when re-run, replacing the partition', async () => {
    await writeProcessed(lake);
    await runMask(ctx());
    const first: unknown[] = [];
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) first.push(...batchToObjects(b));
    await runMask(ctx({ runId: 'mask-run-2' }));
    const second: unknown[] = [];
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) second.push(...batchToObjects(b));
    expect(second).toEqual(first);
    expect(allFiles(join(root, 'processed', 'masked', 'customers')).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
  });

  it('fails with exit 2 naming mask.entities.<entity>.<column> when a rule column is not in the data, writing nothing', async () => {
    await writeProcessed(lake, { dropCustomerColumn: 'address' });
    const err = await runMask(ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaskRuleInvalidError);
    expect(exitCodeOf(err)).toBe(ExitCode.usage);
    const e = err as MaskRuleInvalidError;
    expect(e.configPath).toBe('mask.entities.customers.address');
    expect(e.message).toContain('mask.entities.customers.address');
    expect(e.fix).toMatch(/re-run standardize|remove the rule/);
    expect(await lake.listPartitions(datasets.masked('products'))).toEqual([]);
    expect(await lake.listPartitions(datasets.masked('customers'))).toEqual([]);
  });

  it('fails with exit 2 when rules name an entity that is not standardized', async () => {
    await writeProcessed(lake);
    const typo = { ...config, mask: { ...config.mask, entities: { custmers: { email: { method: 'email' as const } } } } };
    const err = await runMask(ctx({ config: typo })).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(ExitCode.usage);
    expect((err as MaskRuleInvalidError).configPath).toBe('mask.entities.custmers');
  });

  it('keeps the tokenized originals in the vault, encrypted, and detokenize gives them back only with the key', async () => {
    const pii = await writeProcessed(lake);
    const result = await runMask(ctx());
    expect(result.metrics).toMatchObject({ vault_key_id: 'demo', entities: { customers: { vault_tokens: { first_name: 8, last_name: 5 } } } });
    const masked: Record<string, unknown>[] = [];
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) masked.push(...batchToObjects(b));
    const vaultFiles = allFiles(join(root, '_vault'));
    expect(vaultFiles.some((f) => f.includes(join('_vault', 'customers', 'first_name', `dt=${DS}`)))).toBe(true);
    for (const f of vaultFiles) for (const n of pii.names) expect(readFileSync(f, 'latin1')).not.toContain(n);

    const cfgFile = join(root, 'demo.yaml');
    writeFileSync(cfgFile, readFileSync(resolve(__dirname, '../../../config/demo_config.yaml'), 'utf8').replace(/\$\{VAULT_KEY:-[0-9a-f]+\}/, '${VAULT_KEY}'));
    const demoKey = /VAULT_KEY:-([0-9a-f]+)/.exec(readFileSync(resolve(__dirname, '../../../config/demo_config.yaml'), 'utf8'))![1]!;
    const tokens = [masked[0]!.first_name as string, masked[1]!.last_name as string];
    const run = async (env: NodeJS.ProcessEnv, extra: string[] = []) => {
      const printed: string[] = [];
      const lines: string[] = [];
      const code = await runDetokenize({
        argv: ['--config', cfgFile, '--entity', 'customers', '--column', extra[0] ?? 'first_name', ...tokens.slice(0, 1).flatMap((t) => ['--token', t]), ...extra.slice(1)],
        env: { LAKE_ROOT: root, ...env },
        print: (l) => printed.push(l),
        log: createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }),
      });
      return { code, printed: printed.map((l) => JSON.parse(l) as { token: string; value: string | null }), lines };
    };
    const keyFile = join(root, 'vault.key');
    writeFileSync(keyFile, demoKey + '\n');
    const ok = await run({ VAULT_KEY_FILE: keyFile }); // a mounted secret file
    expect(ok.code).toBe(0);
    expect(ok.printed).toEqual([{ token: tokens[0], value: customerValue('first_name', 0) }]);
    expect(ok.lines.join('\n')).not.toContain(String(customerValue('first_name', 0)));
    // From a file of tokens, for another column; an unknown token is reported and exits 4.
    const tokenFile = join(root, 'tokens.txt');
    writeFileSync(tokenFile, `${tokens[1]}\ntok_notavaulttoken00\n`);
    const fromFile = await run({ VAULT_KEY: demoKey }, ['last_name', '--tokens-file', tokenFile]);
    expect(fromFile.printed).toContainEqual({ token: tokens[1], value: customerValue('last_name', 1) });
    expect(fromFile.printed).toContainEqual({ token: 'tok_notavaulttoken00', value: null });
    expect(fromFile.code).toBe(ExitCode.badInput);
    // No key: a config error naming the variable. A wrong key: nothing opens.
    const noKey = await run({});
    expect(noKey.code).toBe(ExitCode.usage);
    expect(noKey.lines.join('\n')).toMatch(/mask\.vault\.key: environment variable VAULT_KEY is not set/);
    const wrongKey = await run({ VAULT_KEY: 'f632c0f2de18ae0eb70beb4be875ebc10a1252740ef16d849321addb6d1c1b10' });
    expect(wrongKey.code).toBe(ExitCode.usage);
    expect(wrongKey.printed).toEqual([]);
    expect(wrongKey.lines.join('\n')).toMatch(/does not open with vault key demo/);
  });

  it('fails with exit 3 and publishes nothing for the entity when the PII scan finds a card number or email in an undeclared column', async () => {
    await writeProcessed(lake, { notes: (i) => (i === 123 ? 'card 4111 1111 1111 1111' : i === 200 ? 'write to ann.lee@corp.example' : `note ${i}`) });
    const err = await runMask(ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PiiFoundError);
    expect(exitCodeOf(err)).toBe(ExitCode.dataQuality);
    expect((err as PiiFoundError).findings.map((f) => [f.column, f.kind])).toEqual([['notes', 'card'], ['notes', 'email']]);
    expect((err as Error).message).not.toContain('4111');
    expect(await lake.listPartitions(datasets.masked('customers'))).toEqual([]);
    expect(await lake.listPartitions('_vault/customers/first_name')).toEqual([]);
  });

  it('passes when the column holding such values is declared safe, and fails when a sensitive column has no rule', async () => {
    await writeProcessed(lake, { notes: (i) => (i === 123 ? 'call (555) 123-4567' : null) });
    const safe = { ...config, mask: { ...config.mask, pii_scan: { ...config.mask.pii_scan, safe_columns: ['customers.notes'] } } };
    await expect(runMask(ctx({ config: safe }))).resolves.toMatchObject({ rowsOut: expect.any(Number) });
    const { email: _email, ...rest } = config.mask.entities.customers!;
    const noEmailRule = { ...safe, mask: { ...safe.mask, entities: { customers: rest } } };
    const err = await runMask(ctx({ config: noEmailRule })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PiiFoundError);
    expect((err as PiiFoundError).findings).toContainEqual({ table: 'customers', column: 'email', reason: 'sensitive_unmasked' });
  });

  it('masks columns matched by a glob', async () => {
    await writeProcessed(lake);
    const globbed = { ...config, mask: { ...config.mask, entities: { customers: { '*_name': { method: 'hmac' as const, keep: 4, at_ingest: false }, email: config.mask.entities.customers!.email!, phone: config.mask.entities.customers!.phone!, address: config.mask.entities.customers!.address! } } } };
    const result = await runMask(ctx({ config: globbed }));
    expect((result.metrics as any).entities.customers.rules).toMatchObject({ first_name: 'hmac', last_name: 'hmac', email: 'email' });
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) for (const r of batchToObjects(b)) if (r.last_name !== null) expect(r.last_name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('passes columns masked at ingest through unchanged and records them', async () => {
    await writeProcessed(lake);
    const rules = { ...config.mask.entities.customers!, email: { ...config.mask.entities.customers!.email!, at_ingest: true } };
    // The fixture's emails are in the clear although they claim to be masked at ingest: the scan reads masked columns too, and says so.
    const claimed = { ...config, mask: { ...config.mask, entities: { customers: rules } } };
    await expect(runMask(ctx({ config: claimed }))).rejects.toThrow(/customers\.email has \d+ of \d+ sampled values that look like emails/);
    const atIngest = { ...claimed, mask: { ...claimed.mask, pii_scan: { ...claimed.mask.pii_scan, enabled: false } } };
    const result = await runMask(ctx({ config: atIngest }));
    expect((result.metrics as any).entities.customers.rules).not.toHaveProperty('email');
    const m = await lake.requireManifest(datasets.masked('customers'), DS, 'mask');
    expect(m.meta).toMatchObject({ masked_at_ingest: ['email'] });
    const before: unknown[] = [];
    for await (const b of lake.readPartition(datasets.processed('customers'), DS, 'standardize')) before.push(...batchToObjects(b).map((r) => r.email));
    const after: unknown[] = [];
    for await (const b of lake.readPartition(datasets.masked('customers'), DS, 'mask')) after.push(...batchToObjects(b).map((r) => r.email));
    expect(after).toEqual(before);
  });
});
