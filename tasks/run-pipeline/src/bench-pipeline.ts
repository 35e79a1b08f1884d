import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './run-steps';

/**
 * `npm run bench:pipeline`: generates the sample data at a scale (BENCH_SCALE, default 100 =
 * 1 M transactions; 1000 = 10 M), runs every step on a temp local lake and SQLite warehouse,
 * and prints each step's rows/s and peak RSS from its run report. Set BENCH_DIR for a roomier
 * disk (10 M rows need about 3 GB); the folder is removed afterwards unless BENCH_KEEP=1.
 */
function main(): number {
  const scale = process.env.BENCH_SCALE ?? '100';
  const ds = '2026-11-26';
  const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'bench-pipeline-'));
  const env = { ...process.env, LAKE_ROOT: path.join(work, 'lake'), LANDING_PATH: path.join(work, 'landing'), WAREHOUSE_SQLITE: path.join(work, 'wh.sqlite'), LOG_LEVEL: 'warn' };
  try {
    const gen = spawnSync(process.execPath, ['tasks/sample-data/dist/main.js', '--out', path.join(env.LANDING_PATH, `dt=${ds}`), '--ds', ds, '--scale', scale], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (gen.status !== 0) return gen.status ?? 1;
    const run = spawnSync(process.execPath, ['tasks/run-pipeline/dist/main.js', '--config', 'config/demo_config.yaml', '--ds', ds], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) return run.status ?? 1;
    const reports = path.join(env.LAKE_ROOT, '_runs', `dt=${ds}`);
    process.stdout.write(`pipeline bench: sample data at scale ${scale}, local lake, SQLite warehouse, ${os.cpus().length} cores\n`);
    process.stdout.write(`${'step'.padEnd(20)}${'rows in'.padStart(12)}${'seconds'.padStart(10)}${'rows/s'.padStart(12)}${'peak RSS MB'.padStart(13)}\n`);
    const order = ['setup', 'ingest-landing', 'standardize', 'mask', 'build-star-schema', 'check-quality', 'load-warehouse'];
    for (const file of readdirSync(reports).sort((a, b) => order.indexOf(a.replace('.json', '')) - order.indexOf(b.replace('.json', '')))) {
      const r = JSON.parse(readFileSync(path.join(reports, file), 'utf8')) as { step: string; rows_in: number; duration_s: number; peak_rss_mb: number };
      const rate = r.duration_s > 0 ? Math.round(r.rows_in / r.duration_s) : 0;
      process.stdout.write(`${file.replace('.json', '').padEnd(20)}${String(r.rows_in).padStart(12)}${r.duration_s.toFixed(1).padStart(10)}${String(rate).padStart(12)}${String(r.peak_rss_mb).padStart(13)}\n`);
    }
    return 0;
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
