import { readFileSync } from 'node:fs';
import { startSampleApi } from './sample-api-server';

/**
 * `node tasks/sample-api/dist/main.js`: serves the sample inventory API until stopped.
 * PORT (default 8080; 0 picks a free one), HOST (default 127.0.0.1), SAMPLE_API_TOKEN or
 * SAMPLE_API_TOKEN_FILE (required), SAMPLE_API_PRODUCTS (default 200). Prints one JSON line with
 * the URL on stdout once it listens.
 */
async function main(): Promise<number> {
  const token = process.env.SAMPLE_API_TOKEN ?? (process.env.SAMPLE_API_TOKEN_FILE ? readFileSync(process.env.SAMPLE_API_TOKEN_FILE, 'utf8').trim() : undefined);
  if (!token) {
    process.stderr.write('sample-api: set SAMPLE_API_TOKEN (or SAMPLE_API_TOKEN_FILE) to the bearer token clients must send\n');
    return 2;
  }
  const port = Number(process.env.PORT ?? 8080);
  const products = Number(process.env.SAMPLE_API_PRODUCTS ?? 200);
  if (!Number.isInteger(port) || port < 0 || !Number.isInteger(products) || products < 1) {
    process.stderr.write('sample-api: PORT must be a port number and SAMPLE_API_PRODUCTS a positive integer\n');
    return 2;
  }
  const api = await startSampleApi({ token, products }, port, process.env.HOST ?? '127.0.0.1');
  process.stdout.write(JSON.stringify({ service: 'sample-api', url: api.url, products }) + '\n');
  const stop = () => void api.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return 0;
}

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sample-api: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
