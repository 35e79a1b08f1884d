import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random';

/** What the proxy did to one request. */
export type S3Fault = 'InternalError' | 'ServiceUnavailable' | 'SlowDown' | 'DropMidUpload' | 'DropMidDownload';

export interface S3FaultProxyOptions {
  /** The real S3 server, e.g. http://127.0.0.1:5077. */
  readonly target: string;
  /** Share of requests that fail, 0..1. */
  readonly failureRate: number;
  readonly seed: number;
  /**
   * The kinds of fault to inject; default the first four (errors and dropped uploads). A request
   * draws among those that apply to it (DropMidUpload: PUT and POST; DropMidDownload: GET of an
   * object); one to which none applies passes untouched.
   */
  readonly kinds?: readonly S3Fault[];
  /** Called when a GET response was cut, with the object's path; a test may change the object then. */
  readonly onDropMidDownload?: (path: string) => Promise<void> | void;
}

export interface S3FaultProxy {
  /** Endpoint to give the steps (AWS_ENDPOINT_URL_S3). */
  readonly endpoint: string;
  /** Requests seen, and the faults injected by kind. */
  readonly stats: { requests: number; faults: Record<S3Fault, number> };
  close(): Promise<void>;
}

const STATUS: Record<Exclude<S3Fault, 'DropMidUpload' | 'DropMidDownload'>, number> = { InternalError: 500, ServiceUnavailable: 503, SlowDown: 503 };

/**
 * An HTTP proxy of ours in front of the S3 test server that fails a seeded share of requests the
 * ways S3 does: 500 InternalError, 503 ServiceUnavailable, 503 SlowDown (throttling), and, for
 * requests with a body (PutObject, UploadPart), a connection dropped after part of the upload.
 * Failed requests never reach the server, so a retry is the only way to get them done. On request
 * (kinds), a GET of an object is answered by the server, but the connection is dropped after the
 * headers and half of the body: the reader must resume from the bytes it has, or fail.
 */
export async function startS3FaultProxy(opts: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const target = new URL(opts.target);
  const random = seededRandom(opts.seed);
  const enabled: readonly S3Fault[] = opts.kinds ?? ['InternalError', 'ServiceUnavailable', 'SlowDown', 'DropMidUpload'];
  const stats = { requests: 0, faults: Object.fromEntries(enabled.map((k) => [k, 0])) as Record<S3Fault, number> };

  const server = http.createServer((req, res) => {
    stats.requests++;
    const hasBody = req.method === 'PUT' || req.method === 'POST';
    const applies = (k: S3Fault) => (k === 'DropMidUpload' ? hasBody : k === 'DropMidDownload' ? isObjectGet(req) : true);
    const kinds = enabled.filter(applies);
    if (kinds.length > 0 && random() < opts.failureRate) {
      const fault = kinds[Math.floor(random() * kinds.length)]!;
      if (fault === 'DropMidDownload') {
        forward(req, res, (up) => {
          const length = Number(up.headers['content-length']);
          // Only a body of two bytes or more can be cut with some of it delivered.
          if ((up.statusCode !== 200 && up.statusCode !== 206) || !(length >= 2)) return false;
          stats.faults.DropMidDownload++;
          cutAfter(up, res, Math.floor(length / 2), () => opts.onDropMidDownload?.(req.url ?? ''));
          return true;
        });
        return;
      }
      stats.faults[fault]++;
      if (fault === 'DropMidUpload') {
        // Take some of the body, then cut the connection as a broken network would.
        req.once('data', () => req.socket.destroy());
        req.once('end', () => req.socket.destroy());
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(STATUS[fault], { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault}</Code><Message>injected by the fault proxy</Message><RequestId>fault-${stats.requests}</RequestId></Error>`);
      });
      return;
    }
    forward(req, res);
  });

  /** Sends the request to the server; `intercept` may take over the response (returning true). */
  function forward(req: http.IncomingMessage, res: http.ServerResponse, intercept?: (up: http.IncomingMessage) => boolean): void {
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      if (intercept?.(up)) return;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A GET of an object (bucket and key in the path), not a listing or a bucket query. */
function isObjectGet(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET') return false;
  const url = new URL(req.url ?? '/', 'http://proxy');
  return url.pathname.split('/').filter(Boolean).length >= 2 && !url.searchParams.has('list-type') && !url.searchParams.has('uploads');
}

/** Sends the response headers and the first `bytes` of the body, then drops the connection. */
function cutAfter(up: http.IncomingMessage, res: http.ServerResponse, bytes: number, onCut: () => Promise<void> | void): void {
  res.writeHead(up.statusCode ?? 200, up.headers);
  let sent = 0;
  let cut = false;
  up.on('data', (chunk: Buffer) => {
    if (cut) return;
    const part = chunk.subarray(0, bytes - sent);
    sent += part.length;
    if (sent < bytes) {
      res.write(part);
      return;
    }
    cut = true;
    up.destroy();
    // Flushed first, so the reader really holds part of the body when the connection goes.
    res.write(part, () => {
      void Promise.resolve(onCut()).finally(() => res.socket?.destroy());
    });
  });
}
