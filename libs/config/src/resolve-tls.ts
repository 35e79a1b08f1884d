import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { UsageError } from '@salesflow/errors';
import type { TlsConfig, TlsMode } from './schema/tls';

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost|localhost\.localdomain)$/i;

/**
 * The TLS mode a connection uses: its tls.mode; else the deprecated `ssl` flag; else
 * verify-full, except for a loopback host, whose traffic never leaves the machine. Pure.
 */
export function tlsModeOf(host: string, tls: TlsConfig | undefined, legacySsl?: boolean): TlsMode {
  if (tls?.mode) return tls.mode;
  if (legacySsl !== undefined) return legacySsl ? 'verify-full' : 'disable';
  return LOOPBACK.test(host) ? 'disable' : 'verify-full';
}

/**
 * The `ssl` option of pg and mysql2 for a connection: false without TLS, else Node TLS options
 * that verify the server's chain (and its name for verify-full) against tls.ca_file or the
 * system CAs. Reads ca_file; `configPath` names the connection in errors ("warehouse.connection").
 */
export function driverTlsOptions(host: string, tls: TlsConfig | undefined, configPath: string, legacySsl?: boolean): false | ConnectionOptions {
  const mode = tlsModeOf(host, tls, legacySsl);
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  let ca: string | undefined;
  if (tls?.ca_file) {
    try {
      ca = readFileSync(tls.ca_file, 'utf8');
    } catch (e) {
      throw new UsageError(`${configPath}.tls.ca_file: cannot read ${tls.ca_file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
        fix: `mount the CA bundle there, or remove ${configPath}.tls.ca_file to trust the system CAs`,
      });
    }
  }
  // The name is checked here rather than left to the driver: pg sends no server name for an IP
  // host and overrides ours, so its check would differ from mysql2's.
  const name = tls?.server_name ?? host.replace(/^\[|\]$/g, '');
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    ...(/^[\d.]+$|:/.test(name) ? {} : { servername: name }),
    checkServerIdentity: mode === 'verify-ca' ? () => undefined : (_host, cert) => checkServerIdentity(name, cert),
  };
}
