#!/usr/bin/env node
/**
 * `npm run faults`: the fault suite with its long trials (FAULTS_TRIALS_PER_STEP, default 20 kill -9
 * trials per step and 20 overlapping runs per step), then one summary of figures: trials, faults
 * injected, runs completed, runs that failed cleanly, partial partitions seen, rows lost, leaks.
 * `npm test` runs the same files with one trial per step. FAULTS_SEED replays a run; extra
 * arguments go to jest (e.g. `npm run faults -- tests/faults/crash-trials.test.ts`).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, existsSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'faults-summary-'));
const summaryFile = path.join(dir, 'figures.jsonl');
const env = {
  ...process.env,
  FAULTS_SUMMARY_FILE: summaryFile,
  FAULTS_TRIALS_PER_STEP: process.env.FAULTS_TRIALS_PER_STEP || '20',
};
const args = process.argv.slice(2);
const t0 = Date.now();
// One worker: the trials time kills against each step's clean duration, which a second worker would skew.
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', ...(args.length ? args : ['tests/faults'])], { cwd: root, env, stdio: 'inherit' });

const lines = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(dir, { recursive: true, force: true });
const sum = (k) => lines.reduce((n, l) => n + (l[k] ?? 0), 0);
const rows = lines.map((l) => ({
  suite: l.suite,
  trials: l.trials ?? l.cases ?? '',
  faults: l.faults_injected ?? '',
  completed: l.runs_completed ?? '',
  'failed cleanly': l.runs_failed_cleanly ?? '',
  'partial seen': l.partial_partitions_seen ?? '',
  'rows lost': l.rows_lost ?? '',
  leaks: l.leaks ?? '',
}));
process.stdout.write(`\nFault suite summary (seed ${process.env.FAULTS_SEED || 20261126}, ${env.FAULTS_TRIALS_PER_STEP} trials per step, ${((Date.now() - t0) / 60000).toFixed(1)} min)\n`);
if (rows.length) console.table(rows);
for (const l of lines) if (l.detail) process.stdout.write(`  ${l.suite}: ${JSON.stringify(l.detail)}\n`);
const total = {
  trials: sum('trials') + sum('cases'),
  faults_injected: sum('faults_injected'),
  runs_completed: sum('runs_completed'),
  runs_failed_cleanly: sum('runs_failed_cleanly'),
  partial_partitions_seen: sum('partial_partitions_seen'),
  rows_lost: sum('rows_lost'),
  leaks: sum('leaks'),
  jest_exit: jest.status,
};
process.stdout.write(`TOTAL ${JSON.stringify(total)}\n`);
process.exitCode = jest.status === 0 && total.rows_lost === 0 && total.leaks === 0 && total.partial_partitions_seen === 0 ? 0 : 1;
