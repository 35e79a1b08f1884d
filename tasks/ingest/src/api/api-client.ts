import got, { HTTPError, RequestError, type Got, type Response } from 'got';
import type { ApiSourceConfig } from '@salesflow/config';
import { registerSecret } from '@salesflow/logging';
import { parseExactJson } from '../files/exact-json';
import { ApiRequestFailedError } from './api-request-error';

/** Statuses worth retrying: throttling and server-side failures. */
const RETRY_STATUS = [408, 429, 500, 502, 503, 504, 520, 521, 522, 524];
const RETRY_ERRORS = ['ETIMEDOUT', 'ECONNRESET', 'EADDRINUSE', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN'];

/** One page as the API returned it. */
export interface ApiResponse {
  readonly url: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Whether a body that failed to parse was meant to be JSON: a JSON content type, or text opening like JSON. */
function looksLikeJson(body: string, contentType: string | undefined): boolean {
  return /\bjson\b/i.test(contentType ?? '') || /^\s*[[{]/.test(body);
}

/** Spaces requests at most `perSecond` a second (0: no limit), retries included. */
export class RateLimiter {
  private next = 0;
  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async wait(): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = this.clock();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

/** Exponential backoff with jitter: a delay between half and all of base * 2^(attempt-1). */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const cap = baseMs * 2 ** (attempt - 1);
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * GETs JSON from one API source: authentication (bearer, API key in a header or the query, basic,
 * OAuth2 client credentials fetched once and again on expiry or a 401), a request rate limit,
 * a timeout per request, and retries of 429, 5xx, timeouts and network errors with exponential
 * backoff and jitter, waiting what Retry-After asks when the server says. Secrets never appear in
 * errors: URLs are reported without the API-key parameter, and every secret is registered for
 * log redaction.
 */
export class ApiClient {
  private readonly http: Got;
  private readonly limiter: RateLimiter;
  private token?: { value: string; expiresAt: number };

  constructor(
    private readonly source: ApiSourceConfig,
    private readonly entity: string,
  ) {
    const a = source.auth;
    if (a.type === 'bearer') registerSecret(a.token);
    if (a.type === 'api_key') registerSecret(a.value);
    if (a.type === 'basic') registerSecret(a.password);
    if (a.type === 'oauth2_client_credentials') registerSecret(a.client_secret);
    this.limiter = new RateLimiter(source.requests_per_second);
    const limiter = this.limiter;
    this.http = got.extend({
      timeout: { request: source.timeout_ms },
      retry: {
        limit: source.retries,
        methods: ['GET', 'POST'],
        statusCodes: RETRY_STATUS,
        errorCodes: RETRY_ERRORS,
        maxRetryAfter: source.max_retry_after_s * 1000,
        // got computes 0 (no retry) or the Retry-After wait; otherwise our backoff replaces its fixed 1 s base.
        calculateDelay: ({ attemptCount, error, computedValue }) => {
          if (computedValue === 0) return 0;
          if (error.response?.headers['retry-after'] !== undefined) return computedValue;
          return backoffDelay(attemptCount, source.backoff_ms);
        },
      },
      hooks: { beforeRequest: [async () => limiter.wait()] },
      headers: { 'user-agent': 'salesflow-ingest', accept: 'application/json', ...source.headers },
    });
  }

  /** GETs a URL (absolute, or a path below base_url) with query parameters, as parsed JSON. */
  async get(pathOrUrl: string, params: Readonly<Record<string, string | number | boolean>>): Promise<ApiResponse> {
    const url = new URL(pathOrUrl, this.source.base_url.endsWith('/') ? this.source.base_url : this.source.base_url + '/');
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    const a = this.source.auth;
    if (a.type === 'api_key' && a.in === 'query') url.searchParams.set(a.name, a.value);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response<string>;
      try {
        res = await this.http.get(url, { headers: await this.authHeaders(), responseType: 'text', ...(a.type === 'basic' ? { username: a.username, password: a.password } : {}) });
      } catch (e) {
        // An OAuth2 token can be revoked or expire early: fetch a new one once before giving up.
        if (a.type === 'oauth2_client_credentials' && !refreshed && e instanceof HTTPError && e.response.statusCode === 401) {
          refreshed = true;
          this.token = undefined;
          continue;
        }
        throw this.failure(e, url);
      }
      const safe = this.safeUrl(res.url);
      try {
        // Parsed keeping every number's digits: JSON.parse would turn 12345678901234567891 into 12345678901234567000.
        return { url: safe, body: await parseExactJson(res.body, `the response of ${safe}`), headers: res.headers };
      } catch (e) {
        // A JSON body that does not parse was most likely cut short (a proxy or the server gave up
        // mid-body): asked again like a 5xx. A body that is not JSON at all is the wrong endpoint.
        const cutShort = looksLikeJson(res.body, res.headers['content-type']);
        if (cutShort && attempt <= this.source.retries) {
          await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.source.backoff_ms)));
          continue;
        }
        const ids = { source: this.source.name, entity: this.entity };
        if (cutShort) {
          throw new ApiRequestFailedError(safe, res.statusCode, `the JSON body does not parse (${(e as Error).message}, ${res.body.length} characters) after ${attempt} tries`, {
            retryable: true,
            fix: 'the API kept sending incomplete JSON; retry the run later, or raise retries',
            ...ids,
          });
        }
        throw new ApiRequestFailedError(safe, res.statusCode, `the body is not JSON: ${(e as Error).message}`, { retryable: false, fix: 'check the entity path: it must return JSON', ...ids });
      }
    }
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const a = this.source.auth;
    if (a.type === 'bearer') return { authorization: `Bearer ${a.token}` };
    if (a.type === 'api_key' && a.in === 'header') return { [a.name.toLowerCase()]: a.value };
    if (a.type === 'oauth2_client_credentials') return { authorization: `Bearer ${await this.accessToken()}` };
    return {};
  }

  /** The cached OAuth2 access token, fetched again 30 s before it expires. */
  private async accessToken(): Promise<string> {
    const a = this.source.auth;
    if (a.type !== 'oauth2_client_credentials') throw new Error('not an OAuth2 source');
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    const form: Record<string, string> = { grant_type: 'client_credentials', client_id: a.client_id, client_secret: a.client_secret };
    if (a.scope) form.scope = a.scope;
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = await this.http.post(a.token_url, { form, responseType: 'json', resolveBodyOnly: true }) as typeof body;
    } catch (e) {
      throw this.failure(e, new URL(a.token_url), 'the OAuth2 token request');
    }
    if (typeof body.access_token !== 'string') {
      throw new ApiRequestFailedError(this.safeUrl(a.token_url), 200, 'the token response has no access_token', { retryable: false, fix: 'check auth.token_url', source: this.source.name, entity: this.entity });
    }
    registerSecret(body.access_token);
    const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(0, ttl - 30) * 1000 };
    return this.token.value;
  }

  /** A URL for messages: the API-key query parameter and any user info removed. */
  private safeUrl(u: string | URL): string {
    const url = new URL(String(u));
    const a = this.source.auth;
    if (a.type === 'api_key' && a.in === 'query') url.searchParams.delete(a.name);
    url.username = '';
    url.password = '';
    return url.toString();
  }

  private failure(e: unknown, url: URL, what = 'the request'): ApiRequestFailedError {
    const safe = this.safeUrl(url);
    const ids = { source: this.source.name, entity: this.entity, cause: e };
    if (e instanceof HTTPError) {
      const status = e.response.statusCode;
      const retryable = status === 429 || status >= 500 || status === 408;
      const fix =
        status === 401 || status === 403
          ? 'check the credentials of this source (auth section; the secret comes from the environment variable it names)'
          : retryable
            ? `the API kept failing after ${this.source.retries} retries; retry the run later, or raise retries / max_retry_after_s`
            : 'check base_url, the entity path and params';
      return new ApiRequestFailedError(safe, status, `${e.response.statusMessage ?? 'error'} (${what})`, { retryable, fix, ...ids });
    }
    if (e instanceof RequestError) {
      // got's parse errors quote the full URL, API key included.
      const message = e.message.split(url.toString()).join(safe);
      if (e.name === 'ParseError') {
        return new ApiRequestFailedError(safe, e.response?.statusCode, `the body is not JSON: ${message}`, { retryable: false, fix: 'check the entity path: it must return JSON', ...ids });
      }
      return new ApiRequestFailedError(safe, undefined, `${e.code ?? e.name}: ${message} (${what}, after ${this.source.retries} retries)`, {
        retryable: true,
        fix: e.code === 'ETIMEDOUT' ? 'the API is slow: raise timeout_ms, or retry later' : 'check that the API is reachable from here, then retry',
        ...ids,
      });
    }
    return new ApiRequestFailedError(safe, undefined, (e as Error).message, { retryable: true, fix: 'retry the run', ...ids });
  }
}
