import type { Logger } from './logger';

/** Counts rows in a long loop and logs rows and rows/s at a steady interval, not on every batch. */
export interface Progress {
  /** Adds rows just processed; logs when the interval has passed. */
  add(rows: number): void;
  /** Logs the final count and rate; returns the total. */
  done(): number;
  readonly rows: number;
}

/** Starts a progress reporter; `intervalMs` defaults to 10 s (env PROGRESS_INTERVAL_MS overrides). */
export function startProgress(log: Logger, what: string, opts: { intervalMs?: number; clock?: () => number } = {}): Progress {
  const clock = opts.clock ?? (() => Date.now());
  const interval = opts.intervalMs ?? Number(process.env.PROGRESS_INTERVAL_MS ?? 10_000);
  const started = clock();
  let last = started;
  let rows = 0;
  const rate = (t: number) => Math.round(rows / Math.max((t - started) / 1000, 0.001));
  return {
    add(n: number) {
      rows += n;
      const t = clock();
      if (t - last >= interval) {
        last = t;
        log.info(`${what}: ${rows} rows`, { rows, rowsPerSecond: rate(t) });
      }
    },
    done() {
      const t = clock();
      log.info(`${what}: done, ${rows} rows`, { rows, rowsPerSecond: rate(t), seconds: (t - started) / 1000 });
      return rows;
    },
    get rows() {
      return rows;
    },
  };
}
