/**
 * Our PII detectors (libs/pii-scan detectPii) beside Microsoft Presidio's pattern recognizers on
 * one generated, labelled corpus (generate-pii-corpus.ts). Presidio runs in the Python venv
 * named by PRESIDIO_PYTHON (default .venv-presidio/bin/python, built from
 * tests/pii-corpus/requirements.txt) through presidio_detect.py, with no language model.
 * Our recall must be at least Presidio's for emails, phones, cards, SSNs and IBANs; both
 * precisions and the forms each side misses are printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { detectPii, PII_KINDS, type PiiKind } from '@salesflow/pii-scan';
import { generatePiiCorpus } from './generate-pii-corpus';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = process.env.PRESIDIO_PYTHON || path.join(ROOT, '.venv-presidio/bin/python');

interface Score {
  tp: number;
  fn: number;
  fp: number;
}
const rate = (n: number, d: number) => (d ? n / d : 1);

function score(labels: readonly (readonly PiiKind[])[], found: readonly (readonly string[])[]): Record<PiiKind, Score> {
  const out = Object.fromEntries(PII_KINDS.map((k) => [k, { tp: 0, fn: 0, fp: 0 }])) as Record<PiiKind, Score>;
  labels.forEach((truth, i) => {
    for (const k of PII_KINDS) {
      const hit = found[i]!.includes(k);
      if (truth.includes(k)) hit ? out[k].tp++ : out[k].fn++;
      else if (hit) out[k].fp++;
    }
  });
  return out;
}

it('finds at least what Presidio finds on emails, phones, cards, SSNs and IBANs', () => {
  if (!existsSync(PYTHON)) {
    throw new Error(`No Python with presidio-analyzer at ${PYTHON}: python3 -m venv .venv-presidio && .venv-presidio/bin/pip install -r tests/pii-corpus/requirements.txt (or set PRESIDIO_PYTHON). This test never skips.`);
  }
  const corpus = generatePiiCorpus();
  expect(corpus.length).toBeGreaterThan(1500);
  const r = spawnSync(PYTHON, [path.join(__dirname, 'presidio_detect.py')], {
    input: corpus.map((s) => JSON.stringify({ text: s.text })).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`presidio_detect.py failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const presidio = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string[]);
  expect(presidio).toHaveLength(corpus.length);
  const t0 = process.hrtime.bigint();
  const ours = corpus.map((s) => detectPii(s.text));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;

  const labels = corpus.map((s) => s.kinds);
  const a = score(labels, ours);
  const b = score(labels, presidio);
  const rows = PII_KINDS.map((k) => ({
    kind: k,
    positives: a[k].tp + a[k].fn,
    ours_recall: +rate(a[k].tp, a[k].tp + a[k].fn).toFixed(3),
    presidio_recall: +rate(b[k].tp, b[k].tp + b[k].fn).toFixed(3),
    ours_precision: +rate(a[k].tp, a[k].tp + a[k].fp).toFixed(3),
    presidio_precision: +rate(b[k].tp, b[k].tp + b[k].fp).toFixed(3),
  }));
  // Which forms each side misses, to read next to the table.
  const misses = (found: readonly (readonly string[])[]) => {
    const m: Record<string, number> = {};
    corpus.forEach((s, i) => {
      for (const k of s.kinds) if (!found[i]!.includes(k)) m[s.form] = (m[s.form] ?? 0) + 1;
      for (const k of found[i]!) if (!s.kinds.includes(k as PiiKind)) m[`${s.form} (false ${k})`] = (m[`${s.form} (false ${k})`] ?? 0) + 1;
    });
    return m;
  };
  const report = { samples: corpus.length, ours_ms: Math.round(ms), rows, ours_misses: misses(ours), presidio_misses: misses(presidio) };
  console.log(JSON.stringify(report, null, 2));

  for (const row of rows) expect({ kind: row.kind, atLeastPresidio: row.ours_recall >= row.presidio_recall }).toEqual({ kind: row.kind, atLeastPresidio: true });
  // Control: the comparison can fail, since Presidio does find most of each kind.
  for (const row of rows) expect(row.presidio_recall).toBeGreaterThan(0.3);
});
