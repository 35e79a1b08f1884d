/**
 * A customers CSV landed without its header line. Its first data row (a customer's id, name,
 * email and phone) must not become column names: ingest refuses the file with exit 4, and none
 * of that row's values reaches a log line, the step summary, a manifest, a run report (_runs/)
 * or a lineage document (_lineage/). A file whose header reads like a real header but names no
 * declared column is refused the same way. Runs the real setup and ingest programs on a local lake.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseEnv, generateLanding, ROOT, runStep, DS } from './kit/run-step';

const work = mkdtempSync(path.join(os.tmpdir(), 'headerless-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const config = path.join(ROOT, 'config/demo_config.yaml');

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? allFiles(path.join(dir, n)) : [path.join(dir, n)]));
}

/** Lands the demo files, rewrites customers.csv with `edit`, runs setup and ingest; returns what the run left behind as text. */
function runWith(name: string, edit: (lines: string[]) => string[]): { status: number | null; stderr: string; stdout: string; lake: string; firstRow: string[] } {
  const landing = path.join(work, name, 'landing');
  const lake = path.join(work, name, 'lake');
  generateLanding(landing);
  const file = path.join(landing, `dt=${DS}`, 'customers.csv');
  const lines = readFileSync(file, 'utf8').split('\n');
  const firstRow = lines[1]!.split(',');
  writeFileSync(file, edit(lines).join('\n'));
  const env = baseEnv({ LAKE_ROOT: lake, LANDING_PATH: landing, LOG_LEVEL: 'debug' });
  expect(runStep('setup', [], { config, env }).status).toBe(0);
  const r = runStep('ingest', ['--source', 'landing'], { config, env });
  const texts = allFiles(lake).filter((f) => !f.endsWith('.parquet')).map((f) => `${path.relative(lake, f)}\n${readFileSync(f, 'utf8')}`);
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, lake: texts.join('\n'), firstRow };
}

it('refuses a CSV without its header with exit 4, and leaks none of its first row anywhere', () => {
  const r = runWith('no-header', (lines) => lines.slice(1));
  expect(r.status).toBe(4);
  expect(r.stderr).toMatch(/customers\.csv: the first line does not look like a header: field \d+ looks like .*Fix: land the file with its header line/);
  // The first row holds an id, names, an email, a phone: each at least 4 characters is looked for.
  const needles = r.firstRow.map((v) => v.replace(/^"|"$/g, '')).filter((v) => v.length >= 4);
  expect(needles.some((v) => v.includes('@'))).toBe(true);
  expect(r.lake).toMatch(/_runs\/dt=/); // the failed run was reported
  for (const v of needles) {
    expect({ value: v, found: r.stderr.includes(v) }).toEqual({ value: v, found: false });
    expect({ value: v, found: r.stdout.includes(v) }).toEqual({ value: v, found: false });
    expect({ value: v, found: r.lake.includes(v) }).toEqual({ value: v, found: false });
  }
});

it('refuses a header that names none of the declared columns', () => {
  const r = runWith('wrong-header', (lines) => [lines[0]!.split(',').map((_, i) => `field_${i}`).join(','), ...lines.slice(1)]);
  expect(r.status).toBe(4);
  expect(r.stderr).toMatch(/none of its \d+ fields names a declared column \(customer_id, first_name/);
});

it('still ingests the same file with its header', () => {
  expect(runWith('with-header', (lines) => lines).status).toBe(0);
});
