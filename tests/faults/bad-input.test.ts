/**
 * The bad-input corpus: small fixtures in tests/fixtures/bad-input/ (files/ holds the landed files,
 * base-config.yaml the config each case edits). Every case runs the real ingest and standardize
 * programs and must end either in a clear failure (the exit code of the contract, a message naming
 * the file, row, column or config key, and a "Fix:"), or in rows kept and rows quarantined with a
 * reason, where rows in = rows out + rejected + dropped duplicates, and raw rows = rows in.
 * The last test compares the table of every case's outcome (exit code and message) with the one in
 * docs/faults.md; FAULTS_TABLE_WRITE=1 rewrites it there.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lake, openStorage } from '@salesflow/lake';
import { recordFigures } from './kit/fault-summary';
import { baseEnv, DS, ROOT, runStep, summaryOf } from './kit/run-step';

const FIXTURES = path.join(ROOT, 'tests/fixtures/bad-input');
const BASE_CONFIG = readFileSync(path.join(FIXTURES, 'base-config.yaml'), 'utf8');
const work = mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A failure the case must end in: which step, which exit code, and what the message says. */
interface Fails {
  readonly fails: 'ingest' | 'standardize';
  readonly exit: 2 | 4;
  readonly message: RegExp;
  /** Rows that went to quarantine before the step gave up (over the reject tolerance). */
  readonly quarantined?: number;
}
/** Rows the case must end with, after ingest and standardize both succeed. */
interface Ends {
  readonly rows: { readonly in: number; readonly out: number; readonly rejected: number; readonly dropped: number };
  /** Each must match the reason of at least one quarantined row. */
  readonly reasons?: readonly RegExp[];
  /** A warning ingest must log and put in its run report (metrics.warnings). */
  readonly warns?: RegExp;
  /** Values changed by control_characters: strip, by column, as standardize's run report counts them. */
  readonly stripped?: Readonly<Record<string, number>>;
}
interface BadInputCase {
  readonly name: string;
  /** Fixture in files/, landed as orders.<its extension>. */
  readonly file?: string;
  /** Input made at run time instead (too big to keep as a fixture), landed as orders.<ext> (csv unless said). */
  readonly make?: (landing: string) => void;
  readonly ext?: string;
  /** Edits of base-config.yaml as [find, replace]; a find that is not there fails the case. */
  readonly edits?: readonly (readonly [string, string])[];
  readonly env?: Readonly<Record<string, string>>;
  readonly ds?: string;
  readonly expect: Fails | Ends;
}

const tolerance = (t: number) => ['reject_tolerance: 0.5', `reject_tolerance: ${t}`] as const;

const CASES: readonly BadInputCase[] = [
  // CSV
  { name: 'csv: unbalanced quote', file: 'unbalanced-quote.csv', expect: { fails: 'ingest', exit: 4, message: /Cannot read CSV \S+orders\.csv at line \d: Quote Not Closed.*Fix: repair that row/ } },
  { name: 'csv: ragged rows', file: 'ragged-rows.csv', expect: { fails: 'ingest', exit: 4, message: /Cannot read CSV \S+orders\.csv at row 2: expected 5 fields, found 3.*Fix: repair that row/ } },
  {
    name: 'csv: wrong delimiter',
    file: 'wrong-delimiter.csv',
    expect: { fails: 'ingest', exit: 4, message: /orders\.csv: the first line does not look like a header: none of its 1 fields names a declared column.*Fix: the header looks delimited by ";": set sources\.0\.entities\[orders\]\.csv\.delimiter/ },
  },
  { name: 'csv: byte order mark', file: 'bom.csv', expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 } } },
  { name: 'csv: CRLF line ends', file: 'crlf.csv', expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 } } },
  { name: 'csv: bytes that are not UTF-8', file: 'latin1-bytes.csv', expect: { rows: { in: 2, out: 1, rejected: 1, dropped: 0 }, reasons: [/^email: holds bytes that are not valid in the source encoding.*csv\.encoding/] } },
  { name: 'csv: empty file', file: 'empty.csv', expect: { rows: { in: 0, out: 0, rejected: 0, dropped: 0 }, warns: /\S+orders\.csv is empty \(0 bytes\): 0 rows landed from it\. Check that the export/ } },
  { name: 'csv: header only', file: 'header-only.csv', expect: { rows: { in: 0, out: 0, rejected: 0, dropped: 0 }, warns: /\S+orders\.csv has a header but no data rows: 0 rows landed from it\. Check that the export/ } },
  {
    name: 'csv: a 2 MB field',
    make: (landing) => writeFileSync(path.join(landing, 'orders.csv'), `order_id,email,amount,qty,order_date\nO1,${'x'.repeat(2_000_000)}@x.com,10.00,1,2026-11-26\nO2,b@x.com,20.50,2,2026-11-26\n`),
    expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 } },
  },
  // JSON, NDJSON, Parquet
  { name: 'json: truncated', file: 'truncated.json', expect: { fails: 'ingest', exit: 4, message: /Cannot read JSON \S+orders\.json: .*Fix: make the file one JSON array of objects/ } },
  { name: 'json: an object, not an array', file: 'object-not-array.json', expect: { fails: 'ingest', exit: 4, message: /Cannot read JSON \S+orders\.json: Top-level object should be an array/ } },
  { name: 'ndjson: an invalid line', file: 'bad-line.ndjson', expect: { fails: 'ingest', exit: 4, message: /Cannot read NDJSON \S+orders\.ndjson: .*Fix: write one JSON object per line/ } },
  { name: 'ndjson: empty file', file: 'empty.ndjson', expect: { rows: { in: 0, out: 0, rejected: 0, dropped: 0 }, warns: /\S+orders\.ndjson is empty \(0 bytes\): 0 rows landed from it\. Check that the export/ } },
  {
    name: 'ndjson: nested objects and arrays as values',
    file: 'nested-values.ndjson',
    edits: [tolerance(1)],
    expect: { rows: { in: 1, out: 0, rejected: 1, dropped: 0 }, reasons: [/^amount: .*is not a number/] },
  },
  {
    name: 'parquet: unexpected types (boolean amount, text quantity)',
    file: 'unexpected-types.parquet',
    expect: { fails: 'standardize', exit: 4, quarantined: 2, message: /Entity orders: 2 of 2 rows rejected \(100\.0%\), above the tolerance of 50\.0%.*Fix: read the reasons in \S+_rejected\/orders/ },
  },
  {
    name: 'parquet: a list column lands (as JSON text); the file lacks email, which star_schema maps',
    file: 'list-column.parquet',
    expect: { fails: 'standardize', exit: 4, message: /Entity orders: the column "email" \(declared as email, which star_schema maps\) is not in the raw data \(columns: order_id, qty, _source_file, _source_row\).*Fix: set standardize\.entities\.orders\.columns\.email\.from/ },
  },
  { name: 'parquet: not a Parquet file', file: 'not-parquet.parquet', expect: { fails: 'ingest', exit: 4, message: /\S+orders\.parquet is not a readable Parquet file.*Fix: the file is truncated or not Parquet/ } },
  { name: 'json: empty file (0 bytes)', file: 'empty.json', expect: { rows: { in: 0, out: 0, rejected: 0, dropped: 0 }, warns: /\S+orders\.json is empty \(0 bytes\): 0 rows landed from it\. Check that the export/ } },
  { name: 'json: an empty array', file: 'empty-array.json', expect: { rows: { in: 0, out: 0, rejected: 0, dropped: 0 }, warns: /\S+orders\.json holds an empty array: 0 rows landed from it\. Check that the export/ } },
  {
    name: 'ndjson: an invalid line after a blank one, named by line and column',
    file: 'bad-line-deep.ndjson',
    expect: { fails: 'ingest', exit: 4, message: /Cannot read NDJSON \S+orders\.ndjson: line 5, column 52 \(character 313 of the file\): Parser cannot parse input: expected ','.*Fix: write one JSON object per line; repair the file at line 5, column 52/ },
  },
  {
    name: 'json: a missing comma in a pretty-printed array, named by line and column',
    file: 'bad-syntax.json',
    expect: { fails: 'ingest', exit: 4, message: /Cannot read JSON \S+orders\.json: line 12, column 5 \(character 179 of the file\): Parser cannot parse input: expected ','.*Fix: make the file one JSON array of objects.*repair the file at line 12, column 5/ },
  },
  // Nested columns land as JSON text (as API records' nested values do); an undeclared one is dropped by standardize.
  { name: 'parquet: a struct column', file: 'struct-column.parquet', expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 } } },
  {
    name: 'csv: a Latin-1 export declared UTF-8, named at ingest and quarantined by row',
    file: 'latin1-export.csv',
    edits: [tolerance(0.9)],
    expect: {
      // O2's bad bytes are in "city", which the config does not keep: that row stays.
      rows: { in: 4, out: 2, rejected: 2, dropped: 0 },
      reasons: [/^email: holds bytes that are not valid in the source encoding.*csv\.encoding/],
      warns: /\S+orders\.csv is not valid UTF-8 as csv\.encoding says: .*first at data row 1 .*column "email"; 3 row\(s\) hold them.*Fix: set sources\.0\.entities\[orders\]\.csv\.encoding .*latin1/,
    },
  },
  // Schema drift
  { name: 'drift: an extra column (dropped by default)', file: 'drift-extra-column.csv', expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 } } },
  {
    name: 'drift: an extra column with unknown_columns: freeze',
    file: 'drift-extra-column.csv',
    edits: [['      key: [order_id]', '      key: [order_id]\n      unknown_columns: freeze']],
    expect: { fails: 'standardize', exit: 4, message: /loyalty_tier/ },
  },
  { name: 'drift: a required column missing', file: 'drift-missing-column.csv', expect: { fails: 'standardize', exit: 4, message: /Entity orders: the required column "amount" is not in the raw data.*Fix: set standardize\.entities\.orders\.columns\.amount\.from/ } },
  // Values
  {
    name: 'values: dates out of range and impossible',
    file: 'dates-out-of-range.csv',
    edits: [tolerance(0.9)],
    expect: {
      // 9999-12-31 is the last date a warehouse stores, so it stays.
      rows: { in: 5, out: 2, rejected: 3, dropped: 0 },
      reasons: [/^order_date: "0000-01-01" is outside the years 1000 to 9999/, /^order_date: "2026-02-30" is not a date/, /^order_date: "yesterday" is not a date/],
    },
  },
  {
    name: 'values: numbers out of range and not numbers',
    file: 'numbers-out-of-range.csv',
    edits: [tolerance(0.9)],
    expect: { rows: { in: 6, out: 1, rejected: 5, dropped: 0 }, reasons: [/^amount: -5 is out of the allowed range 0\.\.100000/, /^amount: "NaN" is not a number/, /^amount: "abc"/, /^qty: 99999999999 is out of range for int/, /^amount: "1e400" is not a number/] },
  },
  { name: 'values: duplicated keys', file: 'duplicate-keys.csv', expect: { rows: { in: 4, out: 2, rejected: 0, dropped: 2 } } },
  { name: 'values: null and blank keys', file: 'null-keys.csv', edits: [tolerance(0.9)], expect: { rows: { in: 3, out: 1, rejected: 2, dropped: 0 }, reasons: [/^order_id: (required value is missing|key column is empty)/] } },
  {
    name: 'values: rejects above the tolerance',
    file: 'too-many-rejects.csv',
    expect: { fails: 'standardize', exit: 4, quarantined: 3, message: /Entity orders: 3 of 4 rows rejected \(75\.0%\), above the tolerance of 50\.0%/ },
  },
  // Configuration
  { name: 'config: an unknown key', file: 'good.csv', edits: [['  root: ${LAKE_ROOT}', '  root: ${LAKE_ROOT}\n  rooot: x']], expect: { fails: 'ingest', exit: 2, message: /lake: Unrecognized key: "rooot".*Fix:/ } },
  { name: 'config: a wrong type', file: 'good.csv', edits: [['  root: ${LAKE_ROOT}', '  root: ${LAKE_ROOT}\n  row_group_size: lots']], expect: { fails: 'ingest', exit: 2, message: /lake\.row_group_size: Invalid input: expected number/ } },
  {
    name: 'config: a missing environment variable',
    file: 'good.csv',
    edits: [['path: ${LANDING_PATH}', 'path: ${ORDERS_LANDING_DIR}']],
    expect: { fails: 'ingest', exit: 2, message: /sources\.0\.path: environment variable ORDERS_LANDING_DIR is not set; set ORDERS_LANDING_DIR \(or ORDERS_LANDING_DIR_FILE/ },
  },
  {
    name: 'config: a secret file that is not there',
    file: 'good.csv',
    env: { MASK_HMAC_KEY_FILE: '/nonexistent/mask-key' },
    // Secrets resolve when a step reads them: ingest reads the masking key only for at_ingest rules.
    edits: [
      ['${MASK_HMAC_KEY:-bad-input-test-key-0123456789abcdef}', '${MASK_HMAC_KEY}'],
      ['email: { method: hmac }', 'email: { method: hmac, at_ingest: true }'],
    ],
    expect: { fails: 'ingest', exit: 2, message: /MASK_HMAC_KEY_FILE names \/nonexistent\/mask-key, which cannot be read.*Fix: mount the secret file there, or set MASK_HMAC_KEY/ },
  },
  { name: 'config: YAML syntax', file: 'good.csv', edits: [['pipeline:\n  name: badinput', 'pipeline:\n  name: [badinput']], expect: { fails: 'ingest', exit: 2, message: /YAML syntax \(line \d+\)/ } },
  { name: 'config: SQL injection in a source name', file: 'good.csv', edits: [['- name: drop', '- name: "users; drop table x"']], expect: { fails: 'ingest', exit: 2, message: /sources\.0\.name: must be a plain identifier/ } },
  {
    name: 'config: SQL injection in an entity name',
    file: 'good.csv',
    edits: [['{ name: orders,', '{ name: "orders; drop table x",']],
    expect: { fails: 'ingest', exit: 2, message: /sources\.0\.entities\.0\.name: must be a plain identifier/ },
  },
  {
    name: 'config: SQL injection in a column name',
    file: 'good.csv',
    edits: [['        qty: { type: int', '        "qty); drop table x; --": { type: int']],
    expect: { fails: 'ingest', exit: 2, message: /standardize\.entities\.orders\.columns\.qty\); drop table x; --: invalid name: must be a plain identifier/ },
  },
  {
    name: 'config: SQL injection in a warehouse table name',
    file: 'good.csv',
    edits: [['table: fact_orders', 'table: "fact_orders; drop table x"']],
    expect: { fails: 'ingest', exit: 2, message: /star_schema\.fact\.table: must be a plain identifier/ },
  },
  {
    name: 'config: path traversal in a file pattern',
    file: 'good.csv',
    edits: [['pattern: "orders*.csv"', 'pattern: "../../../../../../etc/passwd"']],
    expect: { fails: 'ingest', exit: 2, message: /sources\.0\.entities\.0\.pattern: must stay below the source path/ },
  },
  { name: 'config: an absolute path as a file pattern', file: 'good.csv', edits: [['pattern: "orders*.csv"', 'pattern: "/etc/passwd"']], expect: { fails: 'ingest', exit: 2, message: /sources\.0\.entities\.0\.pattern: must stay below the source path/ } },
  { name: 'config: an entity naming an unknown source', file: 'good.csv', edits: [['      source: drop', '      source: dropp']], expect: { fails: 'ingest', exit: 2, message: /standardize\.entities\.orders\.source: no source named "dropp"; known: drop/ } },
  { name: 'config: an impossible decimal', file: 'good.csv', edits: [['decimal(10,2)', 'decimal(2,10)']], expect: { fails: 'ingest', exit: 2, message: /standardize\.entities\.orders\.columns\.amount\.precision: 2 is below the scale 10/ } },
  { name: 'config: an unsupported lake scheme', file: 'good.csv', edits: [['root: ${LAKE_ROOT}', 'root: gs://bucket/lake']], expect: { fails: 'ingest', exit: 2, message: /Lake root "gs:\/\/bucket\/lake" uses the unsupported scheme "gs:\/\/".*Fix: use s3:\/\// } },
  { name: 'arguments: an impossible --ds', file: 'good.csv', ds: '2026-13-45', expect: { fails: 'ingest', exit: 2, message: /2026-13-45/ } },
  // Comment lines, control characters, encodings, depth
  {
    name: 'csv: comment lines with csv.comment "#"',
    file: 'comment-lines.csv',
    edits: [['format: csv }', 'format: csv, csv: { comment: "#" } }']],
    expect: { rows: { in: 2, out: 2, rejected: 0, dropped: 0 }, warns: /\S+orders\.csv: 3 comment line\(s\) \(starting with "#"\) skipped/ },
  },
  {
    name: 'csv: comment lines without csv.comment',
    file: 'comment-lines.csv',
    expect: { fails: 'ingest', exit: 4, message: /orders\.csv: the first line does not look like a header.*Fix: the first line starts with "#" like a comment: set sources\.0\.entities\[orders\]\.csv\.comment to "#"/ },
  },
  {
    name: 'csv: a NUL inside a field (control_characters: reject, the default)',
    file: 'nul-in-field.csv',
    expect: { rows: { in: 3, out: 2, rejected: 1, dropped: 0 }, reasons: [/^email: holds the control character U\+0000 \(NUL\) at character 2; set the entity's control_characters to strip/] },
  },
  {
    name: 'csv: a NUL inside a field with control_characters: strip',
    file: 'nul-in-field.csv',
    edits: [['      key: [order_id]', '      key: [order_id]\n      control_characters: strip']],
    expect: { rows: { in: 3, out: 3, rejected: 0, dropped: 0 }, stripped: { email: 1 } },
  },
  { name: 'csv: a NUL inside a field with control_characters: keep', file: 'nul-in-field.csv', edits: [['      key: [order_id]', '      key: [order_id]\n      control_characters: keep']], expect: { rows: { in: 3, out: 3, rejected: 0, dropped: 0 } } },
  {
    name: 'csv: UTF-16 declared UTF-8',
    make: (landing) => writeFileSync(path.join(landing, 'orders.csv'), Buffer.from(`\ufeff${readFileSync(path.join(FIXTURES, 'files/good.csv'), 'utf8')}`, 'utf16le')),
    expect: { fails: 'ingest', exit: 4, message: /orders\.csv is UTF-16 little-endian, not UTF-8 as its entity declares.*Fix: set sources\.0\.entities\[orders\]\.csv\.encoding to utf16le/ },
  },
  {
    name: 'json: nested 100,000 levels deep',
    ext: 'json',
    make: (landing) => writeFileSync(path.join(landing, 'orders.json'), `[{"order_id":"O1","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`),
    expect: { fails: 'ingest', exit: 4, message: /JSON \S+orders\.json nests objects and arrays deeper than \d+ levels.*Fix: flatten the file's records/ },
  },
  {
    name: 'config: a YAML alias bomb',
    file: 'good.csv',
    edits: [['lineage:\n  enabled: false', `lineage:\n  enabled: false\na: &a ["x","x","x","x","x","x","x","x","x"]\n${'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`).join('\n')}`]],
    expect: { fails: 'ingest', exit: 2, message: /Configuration \S+config\.yaml is invalid:\s+- YAML: .*aliases \*name may be used at most \d+ times/ },
  },
  // Weak keys
  {
    name: 'config: an all-zero vault key',
    file: 'good.csv',
    edits: [['  key_id: test', `  key_id: test\n  vault: { key: "${'0'.repeat(64)}" }`]],
    expect: { fails: 'ingest', exit: 2, message: /mask\.vault\.key: is too weak to be a key: it is one byte repeated; make a random one with openssl rand -hex 32/ },
  },
  {
    name: 'config: a low-entropy hmac key from the environment',
    file: 'good.csv',
    env: { MASK_HMAC_KEY: 'password123password123' },
    // Ingest reads the masking key only for at_ingest rules.
    edits: [
      ['${MASK_HMAC_KEY:-bad-input-test-key-0123456789abcdef}', '${MASK_HMAC_KEY}'],
      ['email: { method: hmac }', 'email: { method: hmac, at_ingest: true }'],
    ],
    expect: { fails: 'ingest', exit: 2, message: /mask\.hmac_key: is too weak to be a key: it repeats a block of 11 bytes; make a random one with openssl rand -hex 32/ },
  },
];

const FORMAT_LINE = '{ name: orders, pattern: "orders*.csv", format: csv }';
const FAULTS_DOC = path.join(ROOT, 'docs/faults.md');
const TABLE_START = '<!-- bad-input table: written by tests/faults/bad-input.test.ts (FAULTS_TABLE_WRITE=1) -->';
const TABLE_END = '<!-- end of the bad-input table -->';
/** What each case that ran ended in, for the table of docs/faults.md. */
const outcomes = new Map<string, { readonly step: string; readonly exit: number; readonly gist: string }>();
const figures = { cases: 0, failed_clearly: 0, quarantined_rows: 0, rows_lost: 0 };
afterAll(() =>
  recordFigures({ suite: 'bad-input corpus', cases: figures.cases, runs_failed_cleanly: figures.failed_clearly, rows_lost: figures.rows_lost, detail: { quarantined_rows: figures.quarantined_rows } }),
);

it('has at least 30 cases, each with a distinct name', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it('ends in a clear error or in quarantine with a reason, with every row accounted for', async () => {
    const dir = path.join(work, c.name.replace(/[^a-z0-9]+/gi, '-'));
    const landing = path.join(dir, 'landing');
    mkdirSync(landing, { recursive: true });
    const ext = c.file ? path.extname(c.file).slice(1) : (c.ext ?? 'csv');
    if (c.file) copyFileSync(path.join(FIXTURES, 'files', c.file), path.join(landing, `orders.${ext}`));
    c.make?.(landing);
    let yaml = BASE_CONFIG.replace(FORMAT_LINE, FORMAT_LINE.replaceAll('csv', ext));
    for (const [find, replace] of c.edits ?? []) {
      if (!yaml.includes(find)) throw new Error(`case "${c.name}": base-config.yaml has no "${find}"`);
      yaml = yaml.replace(find, replace);
    }
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, yaml);
    const env = baseEnv({ LAKE_ROOT: path.join(dir, 'lake'), LANDING_PATH: landing, LOG_LEVEL: 'warn', ...c.env });
    const lake = new Lake(openStorage(path.join(dir, 'lake')));
    figures.cases++;

    const ingest = runStep('ingest', ['--source', 'drop'], { config, env, ds: c.ds ?? DS });
    const standardize = ingest.status === 0 ? runStep('standardize', [], { config, env, ds: c.ds ?? DS }) : undefined;
    const failed = ingest.status !== 0 ? { step: 'ingest', run: ingest } : standardize?.status !== 0 ? { step: 'standardize', run: standardize! } : undefined;

    if ('fails' in c.expect) {
      expect({ step: failed?.step, exit: failed?.run.status }).toEqual({ step: c.expect.fails, exit: c.expect.exit });
      const error = String(summaryOf(failed!.run).error);
      expect(error).toMatch(c.expect.message);
      outcomes.set(c.name, { step: failed!.step, exit: failed!.run.status!, gist: gistOf(error, dir) });
      // The way out is part of the message.
      expect(error).toMatch(/Fix: \S/);
      // A failed step publishes nothing downstream readers would take.
      const published = c.expect.fails === 'ingest' ? 'raw/files/drop/orders' : 'processed/orders';
      expect(await lake.readManifest(published, DS)).toBeUndefined();
      if (c.expect.quarantined !== undefined) {
        const rejected = await lake.requireManifest('processed/_rejected/orders', DS, 'standardize');
        const raw = await lake.requireManifest('raw/files/drop/orders', DS, 'ingest');
        expect(rejected.rows).toBe(c.expect.quarantined);
        expect(rejected.rows).toBeLessThanOrEqual(raw.rows);
        figures.quarantined_rows += rejected.rows;
      }
      figures.failed_clearly++;
      return;
    }
    if (failed) throw new Error(`case "${c.name}": ${failed.step} exited ${failed.run.status}: ${summaryOf(failed.run).error}`);
    const report = await lake.readJson<Record<string, number>>(`_runs/dt=${DS}/standardize.json`);
    const raw = await lake.requireManifest('raw/files/drop/orders', DS, 'ingest');
    const out = await lake.requireManifest('processed/orders', DS, 'standardize');
    const rejected = await lake.requireManifest('processed/_rejected/orders', DS, 'standardize');
    const counts = { in: report!.rows_in, out: report!.rows_out, rejected: report!.rows_rejected, dropped: report!.rows_dropped };
    expect(counts).toEqual(c.expect.rows);
    // The run report, the manifests and the raw partition agree, and no row is lost.
    expect(raw.rows).toBe(counts.in);
    expect(out.rows).toBe(counts.out);
    expect(rejected.rows).toBe(counts.rejected);
    expect(counts.in).toBe(counts.out + counts.rejected + counts.dropped);
    figures.rows_lost += counts.in - (counts.out + counts.rejected + counts.dropped);
    figures.quarantined_rows += rejected.rows;
    const reasons: string[] = [];
    for await (const b of lake.readManifestBatches(rejected, { columns: ['_reject_reason'] })) {
      for (let i = 0; i < b.numRows; i++) reasons.push(String(b.getChildAt(0)!.get(i)));
    }
    for (const r of c.expect.reasons ?? []) expect({ reason: r.source, found: reasons.some((x) => r.test(x)) }).toEqual({ reason: r.source, found: true });
    const entityReport = (report as unknown as { metrics?: { entities?: Record<string, { control_characters_stripped?: Record<string, number> }> } }).metrics?.entities?.orders;
    expect(entityReport?.control_characters_stripped).toEqual(c.expect.stripped);
    const ingestWarnings = (await lake.readJson<{ metrics?: { warnings?: string[] } }>(`_runs/dt=${DS}/ingest-drop.json`))?.metrics?.warnings ?? [];
    outcomes.set(c.name, {
      step: '',
      exit: 0,
      gist: gistOf(
        [
          `${counts.in} in = ${counts.out} out + ${counts.rejected} quarantined + ${counts.dropped} duplicates`,
          ...new Set(reasons.map((x) => (x.length > 90 ? `${x.slice(0, 89)}…` : x))),
          ...ingestWarnings,
          ...(c.expect.stripped ? [`stripped: ${JSON.stringify(c.expect.stripped)}`] : []),
        ].join('; '),
        dir,
      ),
    });
    if (counts.rejected > 0) expect(c.expect.reasons?.length ?? 0).toBeGreaterThan(0);
    if (c.expect.warns) {
      const warns = c.expect.warns;
      const logged = ingest.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level?: string; msg?: string })
        .filter((l) => l.level === 'warn')
        .map((l) => String(l.msg));
      const ingestReport = await lake.readJson<{ metrics?: { warnings?: string[] } }>(`_runs/dt=${DS}/ingest-drop.json`);
      expect({ warns: warns.source, logged: logged.some((m) => warns.test(m)), reported: (ingestReport?.metrics?.warnings ?? []).some((m) => warns.test(m)) }).toEqual({
        warns: warns.source,
        logged: true,
        reported: true,
      });
    }
  });
});

/** A message as the table shows it: paths of the case's folder cut, at most 150 characters of it and 100 of its "Fix:". */
function gistOf(message: string, dir: string): string {
  const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
  const [text, fix] = message
    .split(dir + path.sep)
    .join('')
    .split(dir)
    .join('')
    // Local Parquet files are read from a copy in a temporary folder of a random name.
    .replace(/[^\s(=]*salesflow-open-[A-Za-z0-9]+\//g, '<temporary copy>/')
    .replace(/\s+/g, ' ').replace(/ \([a-z]+=[^)]*\)/g, '').split(' Fix: ');
  return (cut(text!.trim(), 150) + (fix ? ` Fix: ${cut(fix.trim(), 100)}` : '')).replaceAll('|', '\\|');
}

/** The markdown table of the outcomes, in corpus order. */
function outcomeTable(names: readonly string[]): string {
  const rows = names.map((n) => {
    const o = outcomes.get(n)!;
    return `| ${n.replaceAll('|', '\\|')} | ${o.exit === 0 ? 'ends (0)' : `${o.step} exits ${o.exit}`} | ${o.gist} |`;
  });
  return ['| case | outcome | message or result |', '|---|---|---|', ...rows].join('\n');
}

it('docs/faults.md lists every case with the exit code and message it ends in', () => {
  // Only the cases that ran (a -t filter runs fewer) are compared, each against its row.
  const ran = CASES.map((c) => c.name).filter((n) => outcomes.has(n));
  expect(ran.length).toBeGreaterThan(0);
  const doc = readFileSync(FAULTS_DOC, 'utf8');
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  const table = outcomeTable(ran);
  if (process.env.FAULTS_TABLE_WRITE === '1' && ran.length === CASES.length) {
    const body = `${TABLE_START}\n${table}\n${TABLE_END}`;
    writeFileSync(FAULTS_DOC, start >= 0 && end > start ? doc.slice(0, start) + body + doc.slice(end + TABLE_END.length) : `${doc.trimEnd()}\n\n${body}\n`);
    return;
  }
  expect(start).toBeGreaterThanOrEqual(0);
  const documented = new Set(doc.slice(start, end).split('\n'));
  // A row that changed (an exit code, a message) fails here until docs/faults.md is rewritten.
  const stale = table.split('\n').filter((row) => !documented.has(row));
  expect({ stale, fix: 'FAULTS_TABLE_WRITE=1 npx jest tests/faults/bad-input.test.ts' }).toEqual({ stale: [], fix: expect.any(String) });
  if (ran.length === CASES.length) expect(doc.slice(start, end).split('\n').filter((r) => r.startsWith('| ') && !r.startsWith('| case')).length).toBe(CASES.length);
});
