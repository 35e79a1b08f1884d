/**
 * TLS to PostgreSQL, verified. The test starts a PostgreSQL server of its own (initdb and
 * postgres from /usr/lib/postgresql/<version>/bin, or PG_BIN; run as the postgres user when the
 * test runs as root) on a free port of 127.0.0.1 with ssl=on, a server certificate signed by a CA
 * of ours (openssl), and a pg_hba.conf that accepts TLS connections only. It leaves the shared
 * server alone. The warehouse (load-warehouse's openWarehouse) and a database source (ingest's
 * openSourceDatabase) must connect over TLS with the CA given, and refuse the server when its
 * certificate does not chain to the CA they trust or does not carry the name they asked for.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TlsConfig, WarehouseConfig, DatabaseSourceConfig } from '@salesflow/config';
import { openWarehouse } from '../../tasks/load-warehouse/src';
import { openSourceDatabase } from '../../tasks/ingest/src/database/open-source-database';

const PG_BIN = process.env.PG_BIN || (() => {
  const base = '/usr/lib/postgresql';
  const v = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  return v ? path.join(base, v, 'bin') : '';
})();
const asRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-pg-'));
let port = 0;

function run(cmd: string, args: string[], opts: { asPostgres?: boolean } = {}): string {
  const [bin, argv] = opts.asPostgres && asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(bin, argv as string[], { encoding: 'utf8', cwd: dir });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A CA (key + self-signed certificate) and, with `sign`, a server certificate for localhost and 127.0.0.1 signed by it. */
function makeCa(name: string): void {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  if (!PG_BIN || !existsSync(path.join(PG_BIN, 'postgres'))) throw new Error(`No PostgreSQL binaries (set PG_BIN to the folder holding initdb and postgres). This test never skips.`);
  makeCa('ca');
  makeCa('rogue');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr']);
  run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt']);
  const data = path.join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (asRoot) {
    // The server refuses to run as root: its files belong to the postgres user.
    chmodSync(dir, 0o755);
    const [uid, gid] = [Number(run('id', ['-u', 'postgres']).trim()), Number(run('id', ['-g', 'postgres']).trim())];
    for (const f of ['server.key', 'server.crt', 'data']) chownSync(path.join(dir, f), uid, gid);
  }
  chmodSync(path.join(dir, 'server.key'), 0o600);
  run(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { asPostgres: true });
  port = await freePort();
  appendFileSync(
    path.join(data, 'postgresql.conf'),
    `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${data}'\nssl = on\nssl_cert_file = '${dir}/server.crt'\nssl_key_file = '${dir}/server.key'\nfsync = off\n`,
  );
  // TLS or nothing: a connection without it finds no pg_hba entry.
  writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n');
  run(path.join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', path.join(data, 'server.log'), '-w', '-t', '30', 'start'], { asPostgres: true });
}, 120_000);

afterAll(() => {
  try {
    run(path.join(PG_BIN, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], { asPostgres: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const warehouse = (tls: TlsConfig | undefined, host = '127.0.0.1'): WarehouseConfig => ({
  client: 'postgres',
  connection: { host, port, user: 'postgres', database: 'postgres', tls },
  batch_size: 500,
  mysql_bulk: 'load_data',
});

/** Whether the session runs over TLS, as the server sees it. */
async function sslInUse(tls: TlsConfig | undefined, host?: string): Promise<boolean> {
  const db = openWarehouse(warehouse(tls, host));
  try {
    const r = await db.raw('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return (r.rows as { ssl: boolean }[])[0]!.ssl;
  } finally {
    await db.destroy();
  }
}

it('connects the warehouse over TLS, verifying the certificate against our CA and its name', async () => {
  expect(await sslInUse({ mode: 'verify-full', ca_file: path.join(dir, 'ca.crt') })).toBe(true);
  expect(await sslInUse({ mode: 'verify-full', ca_file: path.join(dir, 'ca.crt') }, 'localhost')).toBe(true);
  expect(await sslInUse({ mode: 'verify-ca', ca_file: path.join(dir, 'ca.crt'), server_name: 'db.example.com' })).toBe(true);
});

it('refuses a server whose certificate it cannot verify', async () => {
  // System CAs only: ours is not among them.
  await expect(sslInUse({ mode: 'verify-full' })).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  await expect(sslInUse({ mode: 'verify-full', ca_file: path.join(dir, 'rogue.crt') })).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  await expect(sslInUse({ mode: 'verify-full', ca_file: path.join(dir, 'ca.crt'), server_name: 'db.example.com' })).rejects.toThrow(/db\.example\.com|altnames|Hostname/i);
});

it('reaches a TLS-only server only with TLS; require encrypts without verifying', async () => {
  await expect(sslInUse({ mode: 'disable' })).rejects.toThrow(/no encryption|pg_hba/);
  expect(await sslInUse({ mode: 'require' })).toBe(true);
  await expect(sslInUse({ mode: 'verify-full', ca_file: path.join(dir, 'missing.crt') })).rejects.toThrow(/warehouse\.connection\.tls\.ca_file: cannot read/);
});

it('connects a database source over verified TLS too', async () => {
  const source: DatabaseSourceConfig = {
    name: 'sales_db',
    kind: 'database',
    client: 'postgres',
    connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', tls: { mode: 'verify-full', ca_file: path.join(dir, 'ca.crt') } },
    fetch_size: 1000,
    entities: [{ name: 'x', table: 'x' } as DatabaseSourceConfig['entities'][number]],
  };
  const db = openSourceDatabase(source);
  try {
    expect(((await db.raw('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows as { ssl: boolean }[])[0]!.ssl).toBe(true);
  } finally {
    await db.destroy();
  }
  const rogue = openSourceDatabase({ ...source, connection: { ...source.connection, tls: { mode: 'verify-full', ca_file: path.join(dir, 'rogue.crt') } } });
  try {
    await expect(rogue.raw('SELECT 1')).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  } finally {
    await rogue.destroy();
  }
});
