import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type * as arrow from 'apache-arrow';
import { BatchBuilder, type ColumnDef } from '@salesflow/batches';
import type { ApiEntityConfig, ApiSourceConfig } from '@salesflow/config';
import { BadInputError } from '@salesflow/errors';
import type { Extraction, ExtractedInput, ExtractOptions, Extractor } from '../extractor';
import { RawNumber } from '../files/exact-json';
import { toRawText } from '../files/raw-value';
import { BoundaryFilter, formatCursor, keyOf, lowerBound, parseCursor } from '../incremental/boundary-filter';
import { ApiClient, type ApiResponse } from './api-client';
import { ApiPaginationLoopError } from './api-pagination-loop-error';
import { flattenRecord, nextLinkOf, valueAt } from './flatten-record';

/** The records of one page and the response they came from. */
interface Page {
  readonly response: ApiResponse;
  readonly records: readonly Record<string, unknown>[];
}

/**
 * Reads REST endpoints page by page (page number, offset/limit, body cursor, next link in the body
 * or the Link header), flattening each JSON record. Records are spooled to a temporary NDJSON
 * file while the union of their columns is learnt, then read back into batches: memory holds one
 * page and one batch, whatever the endpoint's size. Values land as text, like JSON files, and
 * standardize casts them.
 */
export class ApiExtractor implements Extractor<ApiEntityConfig> {
  readonly kind = 'api' as const;

  constructor(
    private readonly source: ApiSourceConfig,
    private readonly configPath: string,
  ) {}

  async extract(entity: ApiEntityConfig, opts: ExtractOptions): Promise<Extraction> {
    const client = new ApiClient(this.source, entity.name);
    const inc = entity.incremental;
    const prev = inc && opts.start?.watermark?.cursor === inc.cursor_field ? opts.start.watermark : undefined;
    const filter = inc ? new BoundaryFilter('timestamp', inc.lookback, prev) : undefined;
    const params: Record<string, string | number | boolean> = { ...entity.params };
    if (inc && prev) params[inc.param] = formatCursor('timestamp', lowerBound('timestamp', parseCursor('timestamp', prev.watermark), inc.lookback));

    const dir = await mkdtemp(path.join(os.tmpdir(), 'salesflow-api-'));
    const spool = path.join(dir, `${entity.name}.ndjson`);
    const names: string[] = [];
    const known = new Set<string>();
    let rows = 0;
    let pages = 0;
    /** Digest of each page's records -> its page number, to catch a page served twice. */
    const pageDigests = new Map<string, number>();
    const key = `${this.configPath}.entities.${this.source.entities.indexOf(entity)}`;
    try {
      const out = createWriteStream(spool);
      try {
        for await (const page of this.pages(client, entity, params, key)) {
          pages++;
          if (page.records.length > 0) {
            // A page with the records of an earlier one means the paging is not consistent: its
            // records would land twice, and the page that should have come is never read.
            const digest = createHash('sha256').update(JSON.stringify(page.records)).digest('base64');
            const first = pageDigests.get(digest);
            if (first !== undefined) {
              throw new ApiPaginationLoopError(page.response.url, `page ${pages} returned the same ${page.records.length} record(s) as page ${first} (a pagination loop or a stale page)`, {
                source: this.source.name,
                entity: entity.name,
                configKey: key,
              });
            }
            pageDigests.set(digest, pages);
          }
          for (const record of page.records) {
            const flat = flattenRecord(record, entity.flatten_depth);
            if (inc && filter) {
              const cursorText = flat[inc.cursor_field];
              const ms = typeof cursorText === 'string' ? Date.parse(cursorText) : NaN;
              if (cursorText !== undefined && cursorText !== null && Number.isNaN(ms)) {
                throw new BadInputError(`${page.response.url}: record field ${inc.cursor_field} is "${String(cursorText)}", not an ISO-8601 time`, {
                  context: { source: this.source.name, entity: entity.name },
                  fix: `point ${key}.incremental.cursor_field at the record's change time`,
                });
              }
              if (!filter.accept(Number.isNaN(ms) ? null : ms, () => keyOf(inc.primary_key.map((k) => flat[k] ?? null)))) continue;
            }
            for (const k of Object.keys(flat)) {
              if (!known.has(k)) {
                known.add(k);
                names.push(k);
              }
            }
            if (!out.write(JSON.stringify(flat) + '\n')) await once(out, 'drain');
            rows++;
          }
        }
      } finally {
        out.end();
        await once(out, 'close');
      }
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const columns: ColumnDef[] = names.map((name) => ({ name, kind: 'string' }));
    const builder = new BatchBuilder(columns);
    const inputs: ExtractedInput[] = [];
    const uri = new URL(entity.path, this.source.base_url).toString();
    const batchSize = opts.batchSize;
    async function* batches(): AsyncGenerator<arrow.RecordBatch> {
      try {
        const lines = createInterface({ input: createReadStream(spool), crlfDelay: Infinity });
        const row = new Array<unknown>(names.length);
        for await (const line of lines) {
          const rec = JSON.parse(line) as Record<string, unknown>;
          for (let i = 0; i < names.length; i++) row[i] = toRawText(rec[names[i]!]);
          builder.appendRow(row);
          if (builder.length >= batchSize) yield builder.finish();
        }
        if (builder.length > 0) yield builder.finish();
        inputs.push({ uri, rows });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return {
      schema: builder.schema,
      batches: batches(),
      planned: 1,
      inputs,
      outcome: inc && filter ? () => ({ position: { watermark: filter.next(inc.cursor_field) ?? prev }, dropped: filter.dropped }) : undefined,
    };
  }

  /** Every page of an endpoint, following its pagination style. */
  private async *pages(client: ApiClient, entity: ApiEntityConfig, params: Record<string, string | number | boolean>, key: string): AsyncGenerator<Page> {
    const p = entity.pagination;
    const recordsOf = (response: ApiResponse): Record<string, unknown>[] => {
      const records = valueAt(response.body, entity.records_path);
      if (!Array.isArray(records)) {
        throw new BadInputError(`${response.url}: ${entity.records_path ? `"${entity.records_path}"` : 'the body'} is not an array of records`, {
          context: { source: this.source.name, entity: entity.name },
          fix: `set ${key}.records_path to the dotted path of the records array`,
        });
      }
      return records.map((r, i) => {
        if (!r || typeof r !== 'object' || Array.isArray(r) || r instanceof RawNumber) {
          throw new BadInputError(`${response.url}: record ${i + 1} is not an object`, { context: { source: this.source.name, entity: entity.name }, fix: 'check records_path' });
        }
        return r as Record<string, unknown>;
      });
    };
    switch (p.type) {
      case 'none': {
        const response = await client.get(entity.path, params);
        yield { response, records: recordsOf(response) };
        return;
      }
      case 'page':
        for (let n = p.first_page; ; n++) {
          const response = await client.get(entity.path, { ...params, [p.param]: n, [p.size_param]: p.page_size });
          const records = recordsOf(response);
          yield { response, records };
          if (records.length < p.page_size) return;
        }
      case 'offset':
        for (let offset = 0; ; ) {
          const response = await client.get(entity.path, { ...params, [p.offset_param]: offset, [p.limit_param]: p.limit });
          const records = recordsOf(response);
          yield { response, records };
          if (records.length < p.limit) return;
          offset += records.length;
        }
      case 'cursor': {
        const seen = new Set<string>();
        let cursor: string | undefined;
        for (;;) {
          const response = await client.get(entity.path, cursor === undefined ? params : { ...params, [p.param]: cursor });
          yield { response, records: recordsOf(response) };
          const next = valueAt(response.body, p.cursor_path);
          if (next === undefined || next === null || next === '' || next === false) return;
          cursor = String(next);
          if (seen.has(cursor)) throw this.loop(response.url, key, entity.name, `the next cursor "${cursor}" was already followed`);
          seen.add(cursor);
        }
      }
      case 'next_link': {
        const seen = new Set<string>();
        let response = await client.get(entity.path, params);
        for (;;) {
          yield { response, records: recordsOf(response) };
          const next = p.next_path ? valueAt(response.body, p.next_path) : nextLinkOf(response.headers.link);
          if (typeof next !== 'string' || next === '') return;
          const url = new URL(next, response.url).toString();
          if (seen.has(url)) throw this.loop(response.url, key, entity.name, `the next link ${url} was already followed`);
          seen.add(url);
          response = await client.get(url, {});
        }
      }
    }
  }

  private loop(url: string, key: string, entity: string, what: string): ApiPaginationLoopError {
    return new ApiPaginationLoopError(url, `${what} (a pagination loop)`, { source: this.source.name, entity, configKey: key });
  }
}
