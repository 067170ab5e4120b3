/**
 * Postgres over TLS through the connection string, as the README documents it
 * (`sslmode=require`, `sslmode=verify-full` with the CA in NODE_EXTRA_CA_CERTS). The shared
 * Postgres of the test run has SSL off and turning it on would change it for everyone, so this
 * file starts a Postgres of its own (the machine's binaries, a temporary data folder, a free
 * port) that accepts only TLS connections (`hostssl` in pg_hba.conf), with a server
 * certificate from a test CA, and stops it at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { REPO_ROOT, freePort } from '../../src/dev/temporal-server.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';

let certs: TestCertificates;
let dataDir: string;
let bin: string;
let port: number;

/** As the `postgres` user when this runs as root (initdb and postgres refuse root). */
function asPostgres(command: string, args: string[]): string {
  const [file, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no Postgres server binaries under ${root} (apt-get install -y postgresql)`);
  return path.join(root, newest, 'bin');
}

beforeAll(() => {
  certs = makeCertificates();
  bin = postgresBin();
  const base = mkdtempSync(path.join(os.tmpdir(), 'ledger-pg-tls-'));
  chmodSync(base, 0o755);
  dataDir = path.join(base, 'data');
  const owner =
    process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const group =
    owner === undefined ? undefined : Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  if (owner !== undefined && group !== undefined) chownSync(base, owner, group);
  asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // The server's key must belong to the server's user and be private.
  for (const [from, to] of [
    [certs.serverCert, 'server.crt'],
    [certs.serverKey, 'server.key'],
  ] as const) {
    copyFileSync(from, path.join(dataDir, to));
    if (owner !== undefined && group !== undefined) chownSync(path.join(dataDir, to), owner, group);
    chmodSync(path.join(dataDir, to), 0o600);
  }
  // TLS only: a plain-text connection finds no pg_hba.conf entry.
  writeFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    'hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n',
  );
}, 120_000);

beforeAll(async () => {
  port = await freePort();
  asPostgres(path.join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-w',
    '-t',
    '60',
    '-l',
    path.join(dataDir, 'server.log'),
    'start',
    '-o',
    `-c port=${port} -c listen_addresses=localhost -c unix_socket_directories=${dataDir} -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key -c fsync=off`,
  ]);
}, 120_000);

afterAll(() => {
  if (dataDir && existsSync(path.join(dataDir, 'postmaster.pid'))) {
    spawnSync(
      process.getuid?.() === 0 ? 'runuser' : path.join(bin, 'pg_ctl'),
      process.getuid?.() === 0
        ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop']
        : ['-D', dataDir, '-m', 'immediate', 'stop'],
    );
  }
  if (dataDir) rmSync(path.dirname(dataDir), { recursive: true, force: true });
  certs?.remove();
});

/** `src/main.ts migrate` as its own process (NODE_EXTRA_CA_CERTS is read only at process start). */
function migrate(databaseUrl: string, extraCa?: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'main.ts'), 'migrate'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      ...(extraCa ? { NODE_EXTRA_CA_CERTS: extraCa } : {}),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('Postgres over TLS (sslmode in DATABASE_URL)', () => {
  it('sslmode=require: an encrypted connection (the server certificate is not verified)', async () => {
    const database = await openDatabase({
      url: `postgres://postgres@localhost:${port}/postgres?sslmode=require`,
      poolMax: 1,
    });
    try {
      const rows: unknown = await database.db.execute(
        sql`select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`,
      );
      expect((rows as { ssl: boolean; version: string }[])[0]).toMatchObject({
        ssl: true,
        version: expect.stringMatching(/^TLSv1\.[23]$/) as unknown,
      });
    } finally {
      await database.close();
    }
  });

  it('sslmode=verify-full checks the certificate against the CA in NODE_EXTRA_CA_CERTS and the host name; no TLS is refused', () => {
    const verified = migrate(`postgres://postgres@localhost:${port}/postgres?sslmode=verify-full`, certs.caCert);
    expect(verified.status, verified.output).toBe(0);
    expect(verified.output).not.toMatch(/fatal/);

    const untrusted = migrate(`postgres://postgres@localhost:${port}/postgres?sslmode=verify-full`, certs.otherCaCert);
    expect(untrusted.status).toBe(1);
    expect(untrusted.output).toMatch(
      /caused by: Error: (self[- ]signed certificate|unable to verify the first certificate)/i,
    );

    const plain = migrate(`postgres://postgres@localhost:${port}/postgres`);
    expect(plain.status).toBe(1);
    expect(plain.output).toMatch(/caused by: .*no pg_hba\.conf entry .*no encryption/);
  }, 300_000);
});
