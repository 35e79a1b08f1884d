import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random';

/** What the proxy did to one request. */
export type S3Fault = 'InternalError' | 'ServiceUnavailable' | 'SlowDown' | 'DropMidUpload';

export interface S3FaultProxyOptions {
  /** The real S3 server, e.g. http://127.0.0.1:5077. */
  readonly target: string;
  /** Share of requests that fail, 0..1. */
  readonly failureRate: number;
  readonly seed: number;
}

export interface S3FaultProxy {
  /** Endpoint to give the steps (AWS_ENDPOINT_URL_S3). */
  readonly endpoint: string;
  /** Requests seen, and the faults injected by kind. */
  readonly stats: { requests: number; faults: Record<S3Fault, number> };
  close(): Promise<void>;
}

const STATUS: Record<Exclude<S3Fault, 'DropMidUpload'>, number> = { InternalError: 500, ServiceUnavailable: 503, SlowDown: 503 };

/**
 * An HTTP proxy of ours in front of the S3 test server that fails a seeded share of requests the
 * ways S3 does: 500 InternalError, 503 ServiceUnavailable, 503 SlowDown (throttling), and, for
 * requests with a body (PutObject, UploadPart), a connection dropped after part of the upload.
 * Failed requests never reach the server, so a retry is the only way to get them done.
 */
export async function startS3FaultProxy(opts: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const target = new URL(opts.target);
  const random = seededRandom(opts.seed);
  const stats = { requests: 0, faults: { InternalError: 0, ServiceUnavailable: 0, SlowDown: 0, DropMidUpload: 0 } as Record<S3Fault, number> };

  const server = http.createServer((req, res) => {
    stats.requests++;
    const hasBody = req.method === 'PUT' || req.method === 'POST';
    if (random() < opts.failureRate) {
      const kinds: S3Fault[] = hasBody ? ['InternalError', 'ServiceUnavailable', 'SlowDown', 'DropMidUpload'] : ['InternalError', 'ServiceUnavailable', 'SlowDown'];
      const fault = kinds[Math.floor(random() * kinds.length)]!;
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
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
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
