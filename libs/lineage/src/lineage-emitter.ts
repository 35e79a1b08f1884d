import type { LineageConfig } from '@salesflow/config';
import type { Lake } from '@salesflow/lake';
import { redactDocument, type Logger } from '@salesflow/logging';
import type { RunEvent } from './run-event';

/** Where events go: the lake file when no endpoint is configured, or when the endpoint fails. */
export interface LineageEmitter {
  /** Sends one event. Never throws: lineage must not fail the nightly load; a failure is logged and the event kept in the lake. */
  emit(event: RunEvent): Promise<void>;
  /** Where this run's events are kept, for the run report ("http://..." or the lake file URI). */
  readonly target: string;
}

export interface LineageEmitterOptions {
  readonly config: LineageConfig;
  readonly lake: Lake;
  readonly log: Logger;
  readonly ds: string;
  /** Job name, file-name safe ("ingest.landing"). */
  readonly job: string;
  readonly runId: string;
  /** For tests; default globalThis.fetch. */
  readonly fetch?: typeof fetch;
}

/** The lake key of a run's events: _lineage/dt=<ds>/<job>/<run uuid>.json, a JSON array rewritten at each event. */
export function lineageFileKey(ds: string, job: string, runId: string): string {
  return `_lineage/dt=${ds}/${job}/${runId}.json`;
}

/**
 * The emitter of one step run. With lineage.url it POSTs each event as JSON to url/endpoint
 * (Marquez's /api/v1/lineage; a Bearer token from lineage.api_key), within timeout_ms. Without
 * it, or when a POST fails, the run's events go to a file in the lake, so none is lost.
 */
export function createLineageEmitter(opts: LineageEmitterOptions): LineageEmitter {
  const { config, lake, log } = opts;
  const key = lineageFileKey(opts.ds, opts.job, opts.runId);
  const kept: RunEvent[] = [];
  const doFetch = opts.fetch ?? globalThis.fetch;
  const url = config.url ? new URL(config.endpoint, config.url.endsWith('/') ? config.url : `${config.url}/`).toString() : undefined;

  const keep = async (event: RunEvent) => {
    kept.push(event);
    await lake.writeJson(key, kept);
  };

  const post = async (event: RunEvent) => {
    const res = await doFetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}) },
      body: JSON.stringify(redactDocument(event)),
      signal: AbortSignal.timeout(config.timeout_ms),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
  };

  return {
    target: url ?? lake.storage.uriOf(key),
    async emit(event) {
      if (!config.enabled) return;
      try {
        if (!url) return await keep(event);
        try {
          await post(event);
        } catch (err) {
          log.warn(`lineage: could not send the ${event.eventType} event to ${url} (${(err as Error).message}); keeping it in ${lake.storage.uriOf(key)}`);
          await keep(event);
        }
      } catch (err) {
        log.warn(`lineage: could not keep the ${event.eventType} event (${(err as Error).message})`);
      }
    },
  };
}
