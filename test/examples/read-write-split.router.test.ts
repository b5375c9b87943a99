/**
 * The read/write split of examples/read-write-split against two real PostgreSQL servers: a
 * "primary" and a "replica" that, like a streaming replica, refuses writes
 * (default_transaction_read_only=on). Both use password (SCRAM) authentication for the `app`
 * role, with different passwords, and the primary also serves TLS with a certificate issued to
 * a name that is not the one the test connects to (as `writer.<zone>` is on no RDS certificate).
 * The function's TLS from its environment (DB_CA_FILE, DB_PRIMARY_TLS_NAME, DB_REPLICA_TLS_NAMES)
 * is tried on two more TLS servers (test/support/tls-postgres.ts), each with its own CA and
 * certificates for RDS-like endpoint names.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { PeerCertificate } from 'tls';
import type { QueryResult } from 'pg';
import { DEFAULT_CA_FILE, secretPassword, tlsSettings } from '../../examples/read-write-split/function/index';
import { connectionConfig, createRouter, Router, RouterOptions } from '../../examples/read-write-split/function/router';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { startTlsPostgres, TlsPostgres } from '../support/tls-postgres';

const ROOT = path.resolve(__dirname, '..', '..');
const PRIMARY_PASSWORD = 'primary-secret';
const REPLICA_PASSWORD = 'replica-secret';
/** The only name on the primary's certificate; the test connects to 127.0.0.1. */
const CERT_NAME = 'db.example.invalid';

let fixtures: string;
let primary: PostgresServer;
let replica: PostgresServer;
const routers: Router[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: fixtures, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A directory the server user can read: pg_hba.conf (trust for the harness's `postgres`
 * superuser, SCRAM for everybody else), a test CA, a certificate for CERT_NAME signed by it, and
 * an unrelated CA.
 */
function makeFixtures(): string {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'rws-router-'));
  fs.writeFileSync(path.join(fixtures, 'pg_hba.conf'), [
    'local all all trust',
    'host all postgres 127.0.0.1/32 trust',
    'host all all 127.0.0.1/32 scram-sha-256',
    '',
  ].join('\n'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=router-test-ca']);
  openssl(['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=router-test-other-ca']);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${CERT_NAME}`]);
  fs.writeFileSync(path.join(fixtures, 'server.ext'), `subjectAltName=DNS:${CERT_NAME}\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  fs.chmodSync(path.join(fixtures, 'server.key'), 0o600);
  // The harness runs the server as the `postgres` OS user when the tests run as root; PostgreSQL
  // wants its key file owned by the user it runs as.
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const name of ['', ...fs.readdirSync(fixtures)]) fs.chownSync(path.join(fixtures, name), uid, gid);
  }
  return fixtures;
}

/** The servers' URL; plain text unless a test asks for TLS (no sslmode is verify-full). */
function url(server: PostgresServer, query = '?sslmode=disable'): string {
  return `postgresql://app@127.0.0.1:${server.port}/postgres${query}`;
}

function router(options: Partial<RouterOptions> = {}): Router {
  const r = createRouter({
    primaryUrl: url(primary),
    replicaUrl: url(replica),
    primaryPassword: async () => PRIMARY_PASSWORD,
    replicaPassword: async () => REPLICA_PASSWORD,
    ...options,
  });
  routers.push(r);
  return r;
}

const WHOAMI = "SELECT name, current_setting('port') AS port FROM whoami";

/** Which server answered `run(WHOAMI)`: each has a one-row `whoami` table (and its own port). */
async function whoami(run: (sql: string) => Promise<QueryResult<{ name: string; port: string }>>): Promise<string> {
  const { name, port } = (await run(WHOAMI)).rows[0];
  expect(Number(port)).toBe(name === 'primary' ? primary.port : replica.port);
  return name;
}

async function seed(server: PostgresServer, name: string, password: string): Promise<void> {
  const client = await server.client();
  try {
    // The replica refuses writes by default, as a hot standby does; its seeding session may write.
    await client.query('SET default_transaction_read_only = off');
    await client.query(`CREATE ROLE app LOGIN PASSWORD '${password}'`);
    await client.query('CREATE TABLE whoami (name text NOT NULL)');
    await client.query('INSERT INTO whoami VALUES ($1)', [name]);
    await client.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
    await client.query('INSERT INTO notes (body) VALUES ($1)', [`seeded on the ${name}`]);
    // The same privileges on both: a write the replica refuses is refused for being read-only.
    await client.query('GRANT SELECT ON whoami TO app');
    await client.query('GRANT SELECT, INSERT ON notes TO app');
    await client.query('GRANT USAGE ON SEQUENCE notes_id_seq TO app');
  } finally {
    await client.end();
  }
}

async function notesOn(server: PostgresServer): Promise<string[]> {
  const client = await server.client();
  try {
    return (await client.query<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  makeFixtures();
  const hba = { hba_file: path.join(fixtures, 'pg_hba.conf') };
  [primary, replica] = await Promise.all([
    startPostgres({
      settings: {
        ...hba,
        ssl: 'on',
        ssl_cert_file: path.join(fixtures, 'server.crt'),
        ssl_key_file: path.join(fixtures, 'server.key'),
      },
    }),
    startPostgres({ settings: { ...hba, default_transaction_read_only: 'on' } }),
  ]);
  await Promise.all([seed(primary, 'primary', PRIMARY_PASSWORD), seed(replica, 'replica', REPLICA_PASSWORD)]);
}, 60_000);

/**
 * Waits until `server` has no `app` backends left: Pool.end() resolves once it has sent its
 * connections' Terminate messages, not when they are closed, and a server stopped before that
 * makes pg report "terminating connection due to administrator command" on the idle clients.
 */
async function appConnectionsClosed(server: PostgresServer): Promise<void> {
  const client = await server.client();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'app'");
      if (rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(routers.map((r) => r.end().catch(() => undefined)));
  await Promise.all([primary, replica].filter(Boolean).map(appConnectionsClosed));
  await Promise.all([primary?.stop(), replica?.stop()]);
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
}, 60_000);

describe('routing', () => {
  test('reads go to the replica: getClient(), getClient(\'read\') and query(\'read\')', async () => {
    const r = router();
    expect(await whoami((sql) => r.getClient().query(sql))).toBe('replica');
    expect(await whoami((sql) => r.getClient('read').query(sql))).toBe('replica');
    expect(await whoami((sql) => r.query('read', sql))).toBe('replica');
    expect((await r.query<{ body: string }>('read', 'SELECT body FROM notes')).rows.map((row) => row.body)).toEqual(['seeded on the replica']);
  });

  test('writes go to the primary: getClient(\'write\') and query(\'write\')', async () => {
    const r = router();
    expect(await whoami((sql) => r.getClient('write').query(sql))).toBe('primary');
    expect(await whoami((sql) => r.query('write', sql))).toBe('primary');

    const body = `written at ${Date.now()}`;
    const inserted = await r.query<{ id: number }>('write', 'INSERT INTO notes (body) VALUES ($1) RETURNING id', [body]);
    expect(inserted.rowCount).toBe(1);
    expect(await notesOn(primary)).toContain(body);
    expect(await notesOn(replica)).not.toContain(body);
  });

  test('a write sent to the replica is refused by PostgreSQL', async () => {
    const r = router();
    await expect(r.query('read', 'INSERT INTO notes (body) VALUES ($1)', ['misrouted'])).rejects.toMatchObject({
      code: '25006',
      message: 'cannot execute INSERT in a read-only transaction',
    });
    await expect(r.getClient().query('INSERT INTO notes (body) VALUES ($1)', ['misrouted'])).rejects.toThrow(
      'cannot execute INSERT in a read-only transaction');
    expect(await notesOn(replica)).not.toContain('misrouted');
    expect(await notesOn(primary)).not.toContain('misrouted');
  });

  test('an unknown query type throws instead of picking a pool', () => {
    const r = router();
    expect(() => r.getClient('admin' as 'read')).toThrow("unknown query type 'admin'");
  });

  test('end() closes both pools and may be called twice', async () => {
    const r = createRouter({ primaryUrl: url(primary), replicaUrl: url(replica) });
    await r.end();
    await r.end();
    expect(r.getClient('write').ended).toBe(true);
    expect(r.getClient('read').ended).toBe(true);
  });
});

describe('passwords and pool size', () => {
  test('each pool calls its own password function once per new connection, never per query', async () => {
    const primaryPassword = jest.fn(async () => PRIMARY_PASSWORD);
    const replicaPassword = jest.fn(async () => REPLICA_PASSWORD);
    const r = router({ primaryPassword, replicaPassword, primaryUrl: url(primary, '?sslmode=disable&application_name=rws-pool-test') });
    expect(r.getClient('write').options.max).toBe(2);
    expect(r.getClient('read').options.max).toBe(2);

    // Five concurrent statements on a pool of two: two connections, so two passwords.
    const pids = await Promise.all(Array.from({ length: 5 }, () =>
      r.query<{ pid: number; app: string }>('write', "SELECT pg_backend_pid() AS pid, current_setting('application_name') AS app, pg_sleep(0.2)")));
    expect(new Set(pids.map((p) => p.rows[0].pid)).size).toBe(2);
    expect(pids[0].rows[0].app).toBe('rws-pool-test');
    expect(primaryPassword).toHaveBeenCalledTimes(2);
    expect(replicaPassword).not.toHaveBeenCalled();

    // More queries reuse the open connections.
    await r.query('write', 'SELECT 1');
    expect(primaryPassword).toHaveBeenCalledTimes(2);

    await r.query('read', 'SELECT 1');
    await r.query('read', 'SELECT 1');
    expect(replicaPassword).toHaveBeenCalledTimes(1);
    expect(primaryPassword).toHaveBeenCalledTimes(2);
  });

  test('the password the function returns is the one the server checks', async () => {
    const r = router({ primaryPassword: async () => 'wrong', replicaPassword: async () => PRIMARY_PASSWORD });
    await expect(r.query('write', 'SELECT 1')).rejects.toMatchObject({ code: '28P01', message: 'password authentication failed for user "app"' });
    await expect(r.query('read', 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  test('a poolSize option sets both pools', async () => {
    const r = router({ poolSize: 1 });
    expect(r.getClient('write').options.max).toBe(1);
    expect(r.getClient('read').options.max).toBe(1);
    const pids = await Promise.all([1, 2, 3].map(() => r.query<{ pid: number }>('read', 'SELECT pg_backend_pid() AS pid')));
    expect(new Set(pids.map((p) => p.rows[0].pid)).size).toBe(1);
  });
});

describe('connectionConfig (sslmode)', () => {
  const base = 'postgresql://app@writer.db.internal:5432/orders';

  test('reads user, host, port and database; no password in the URL means none', () => {
    const c = connectionConfig(`${base}?sslmode=verify-ca`);
    expect(c).toMatchObject({ host: 'writer.db.internal', port: 5432, user: 'app', database: 'orders', sslMode: 'verify-ca' });
    expect(c.password).toBeUndefined();
    expect(connectionConfig('postgres://app%40corp@reader.db.internal/')).toMatchObject({ user: 'app@corp', port: 5432, database: 'app@corp' });
  });

  test('verify-ca: chain verified, any host name accepted', () => {
    const { ssl } = connectionConfig(`${base}?sslmode=verify-ca`);
    expect(ssl).not.toBe(false);
    if (ssl === false) return;
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(typeof ssl.checkServerIdentity).toBe('function');
    expect(ssl.checkServerIdentity!('writer.db.internal', { subject: { CN: 'other.rds.amazonaws.com' } } as PeerCertificate)).toBeUndefined();
  });

  test('verify-full: chain and host name verified (Node\'s own check)', () => {
    const { ssl } = connectionConfig(`${base}?sslmode=verify-full`, { checkServerIdentity: () => undefined });
    expect(ssl).toEqual({ rejectUnauthorized: true });
  });

  test('require: TLS without verification', () => {
    expect(connectionConfig(`${base}?sslmode=require`).ssl).toEqual({ rejectUnauthorized: false });
  });

  test('disable: no TLS, only when the URL says so', () => {
    expect(connectionConfig(`${base}?sslmode=disable`).ssl).toBe(false);
  });

  test('no sslmode is verify-full, never plain text', () => {
    expect(connectionConfig(base).sslMode).toBe('verify-full');
    expect(connectionConfig(base).ssl).toEqual({ rejectUnauthorized: true });
    expect(connectionConfig(`${base}?application_name=x`, { ca: 'PEM' }).ssl).toEqual({ ca: 'PEM', rejectUnauthorized: true });
  });

  test('TLS names replace the host in verify-full\'s name check', () => {
    const { ssl } = connectionConfig(`${base}?sslmode=verify-full`, { ca: 'PEM', checkServerIdentity: () => undefined }, ['proxy.example.invalid']);
    if (ssl === false) throw new Error('no TLS');
    expect(ssl).toMatchObject({ ca: 'PEM', rejectUnauthorized: true });
    const check = ssl.checkServerIdentity!;
    const cert = (altnames: string) => ({ subject: { CN: 'x' }, subjectaltname: altnames }) as PeerCertificate;
    expect(check('writer.db.internal', cert('DNS:proxy.example.invalid'))).toBeUndefined();
    expect(check('writer.db.internal', cert('DNS:*.example.invalid'))).toBeUndefined();
    expect(check('writer.db.internal', cert('DNS:writer.db.internal'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('fails when TLS names are given with an sslmode that would not check them, or are not names', () => {
    for (const mode of ['verify-ca', 'require', 'disable']) {
      expect(() => connectionConfig(`${base}?sslmode=${mode}`, {}, ['proxy.example.invalid']))
        .toThrow(`TLS names (proxy.example.invalid) are checked by sslmode=verify-full only, not sslmode=${mode}`);
    }
    expect(() => connectionConfig(base, {}, [])).toThrow('TLS names must be one or more names');
    expect(() => connectionConfig(base, {}, ['a.example.invalid,b.example.invalid'])).toThrow('without spaces or commas');
    expect(() => createRouter({ primaryUrl: `${base}?sslmode=require`, replicaUrl: base, primaryTlsNames: ['proxy.example.invalid'] }))
      .toThrow('not sslmode=require');
  });

  test('extra TLS options are kept but cannot weaken the sslmode', () => {
    const { ssl } = connectionConfig(`${base}?sslmode=verify-ca`, { ca: 'PEM', rejectUnauthorized: false });
    expect(ssl).toMatchObject({ ca: 'PEM', rejectUnauthorized: true });
    expect(connectionConfig(`${base}?sslmode=disable`, { ca: 'PEM' }).ssl).toBe(false);
  });

  test('sslmodes node-postgres cannot honour, other parameters and bad URLs throw', () => {
    expect(() => connectionConfig(`${base}?sslmode=prefer`)).toThrow('sslmode=prefer is not supported');
    expect(() => connectionConfig(`${base}?sslmode=verify_ca`)).toThrow('sslmode=verify_ca is not supported');
    expect(() => connectionConfig(`${base}?sslmode=verify-ca&sslrootcert=/ca.pem`)).toThrow("unsupported parameter 'sslrootcert'");
    expect(() => connectionConfig('mysql://app@host/db')).toThrow("protocol 'mysql:'");
    expect(() => connectionConfig('postgresql://host/db')).toThrow('no user');
    expect(() => connectionConfig('not a url :pw@')).toThrow(/^invalid PostgreSQL URL$/);
  });
});

describe('TLS against a real server (certificate issued to another name)', () => {
  const ca = () => fs.readFileSync(path.join(fixtures, 'ca.crt'), 'utf8');
  const otherCa = () => fs.readFileSync(path.join(fixtures, 'other-ca.crt'), 'utf8');

  async function tlsInUse(sslmode: string | undefined, tls?: { ca: string }): Promise<boolean> {
    const r = router({ primaryUrl: url(primary, sslmode ? `?sslmode=${sslmode}` : ''), ssl: tls });
    const { rows } = await r.query<{ ssl: boolean }>('write', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0].ssl;
  }

  test('verify-ca connects when the chain is trusted, though the name does not match', async () => {
    expect(await tlsInUse('verify-ca', { ca: ca() })).toBe(true);
  });

  test('verify-ca refuses a certificate from another CA', async () => {
    await expect(tlsInUse('verify-ca', { ca: otherCa() })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await expect(tlsInUse('verify-ca')).rejects.toThrow(/self[- ]signed certificate in certificate chain|unable to (get|verify)/);
  });

  test('verify-full refuses the name mismatch', async () => {
    await expect(tlsInUse('verify-full', { ca: ca() })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('require encrypts without verifying; disable does not encrypt', async () => {
    expect(await tlsInUse('require', { ca: otherCa() })).toBe(true);
    expect(await tlsInUse('disable')).toBe(false);
  });

  test('no sslmode verifies chain and name: the name mismatch is refused, as with verify-full', async () => {
    await expect(tlsInUse(undefined, { ca: ca() })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await expect(tlsInUse(undefined, { ca: otherCa() })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('verify-full with the certificate\'s name among the TLS names connects to a host not on it', async () => {
    const r = router({ primaryUrl: url(primary, '?sslmode=verify-full'), ssl: { ca: ca() }, primaryTlsNames: ['other.example.invalid', CERT_NAME] });
    expect((await r.query<{ ssl: boolean }>('write', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
  });

  test('verify-full refuses a certificate whose name is not among the TLS names, and one from another CA', async () => {
    const wrongName = router({ primaryUrl: url(primary, ''), ssl: { ca: ca() }, primaryTlsNames: ['other.example.invalid'] });
    await expect(wrongName.query('write', 'SELECT 1')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message: `the server's certificate is for none of the TLS names other.example.invalid (its names: DNS:${CERT_NAME})`,
    });
    const otherIssuer = router({ primaryUrl: url(primary, ''), ssl: { ca: otherCa() }, primaryTlsNames: [CERT_NAME] });
    await expect(otherIssuer.query('write', 'SELECT 1')).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

describe('the function\'s TLS from its environment (index.ts tlsSettings) against RDS-like certificates', () => {
  // What connectFunction sets: the proxy's endpoint for the writer, the replicas' for the reader.
  const PROXY_NAME = 'notes-proxy.proxy-c0ffee.us-east-1.rds.amazonaws.com';
  const REPLICA_NAMES = ['notes-replica-1.c0ffee.us-east-1.rds.amazonaws.com', 'notes-replica-2.c0ffee.us-east-1.rds.amazonaws.com'];
  let tlsPrimary: TlsPostgres;
  let tlsReplica: TlsPostgres;
  /** Both servers' CAs in one PEM file, as the RDS bundle holds every region's CAs. */
  let bundle: string;
  const opened: Router[] = [];

  beforeAll(async () => {
    // Each has its own CA; the replica's certificate is the second replica's.
    [tlsPrimary, tlsReplica] = await Promise.all([
      startTlsPostgres({ dnsNames: [PROXY_NAME] }),
      startTlsPostgres({ dnsNames: [REPLICA_NAMES[1]] }),
    ]);
    bundle = path.join(tlsPrimary.dir, 'bundle.pem');
    fs.writeFileSync(bundle, fs.readFileSync(tlsPrimary.caFile, 'utf8') + fs.readFileSync(tlsReplica.caFile, 'utf8'));
    // initdb's trust authentication: any password logs `app` in.
    await Promise.all([tlsPrimary, tlsReplica].map(async (t) => {
      const client = await t.server.client();
      try { await client.query('CREATE ROLE app LOGIN'); } finally { await client.end(); }
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((r) => r.end().catch(() => undefined)));
    await Promise.all([tlsPrimary, tlsReplica].filter(Boolean).map(async (t) => {
      await appConnectionsClosed(t.server);
      await t.stop();
    }));
  }, 60_000);

  /** The URLs connectFunction sets (sslmode=verify-full), to the two servers on 127.0.0.1. */
  const urls = (query = '?sslmode=verify-full') => [tlsPrimary, tlsReplica].map((t) => `postgresql://app@127.0.0.1:${t.server.port}/postgres${query}`);

  function routerFromEnv(env: NodeJS.ProcessEnv, query?: string): Router {
    const [primaryUrl, replicaUrl] = urls(query);
    const r = createRouter({
      primaryUrl, replicaUrl, primaryPassword: async () => 'any', replicaPassword: async () => 'any',
      ...tlsSettings(env, [primaryUrl, replicaUrl]),
    });
    opened.push(r);
    return r;
  }

  /** Whether `type`'s connection uses TLS, and the port of the server that answered. */
  async function tlsOn(r: Router, type: 'read' | 'write'): Promise<{ ssl: boolean; port: number }> {
    const { rows } = await r.query<{ ssl: boolean; port: number }>(type,
      'SELECT ssl, inet_server_port() AS port FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0];
  }

  const rightNames = () => ({ DB_CA_FILE: bundle, DB_PRIMARY_TLS_NAME: PROXY_NAME, DB_REPLICA_TLS_NAMES: REPLICA_NAMES.join(', ') });

  test('the right CA and names pass: the writer\'s certificate is for DB_PRIMARY_TLS_NAME, the reader\'s for one of DB_REPLICA_TLS_NAMES', async () => {
    for (const query of ['?sslmode=verify-full', '']) {
      const r = routerFromEnv(rightNames(), query);
      expect(await tlsOn(r, 'write')).toEqual({ ssl: true, port: tlsPrimary.server.port });
      expect(await tlsOn(r, 'read')).toEqual({ ssl: true, port: tlsReplica.server.port });
    }
  });

  test('a name not in the TLS names is refused, though the certificate is also for the URL\'s host (127.0.0.1)', async () => {
    const r = routerFromEnv({ ...rightNames(), DB_PRIMARY_TLS_NAME: REPLICA_NAMES[1], DB_REPLICA_TLS_NAMES: REPLICA_NAMES[0] });
    await expect(tlsOn(r, 'write')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: expect.stringContaining(`for none of the TLS names ${REPLICA_NAMES[1]}`) });
    await expect(tlsOn(r, 'read')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: expect.stringContaining(`for none of the TLS names ${REPLICA_NAMES[0]}`) });
  });

  test('a certificate from a CA not in DB_CA_FILE is refused', async () => {
    const r = routerFromEnv({ ...rightNames(), DB_CA_FILE: tlsReplica.caFile });
    await expect(tlsOn(r, 'write')).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(await tlsOn(r, 'read')).toMatchObject({ ssl: true });
  });

  test('DB_CA_FILE replaces Node\'s roots: a CA trusted through NODE_EXTRA_CA_CERTS is not accepted', () => {
    // NODE_EXTRA_CA_CERTS is read when Node starts: a child Node with the primary's CA in it.
    const script = `
      const { createRouter } = require(${JSON.stringify(path.join(ROOT, 'examples/read-write-split/function/router.ts'))});
      const { tlsSettings } = require(${JSON.stringify(path.join(ROOT, 'examples/read-write-split/function/index.ts'))});
      const [primaryUrl, replicaUrl] = JSON.parse(process.argv[1]);
      const attempt = async (options) => {
        const r = createRouter({ primaryUrl, replicaUrl, primaryPassword: async () => 'any', ...options });
        try { await r.query('write', 'SELECT 1'); return 'connected'; } catch (e) { return e.code; } finally { await r.end(); }
      };
      (async () => {
        const unpinned = await attempt({});
        const pinned = await attempt(tlsSettings({ DB_CA_FILE: process.env.OTHER_CA, DB_PRIMARY_TLS_NAME: ${JSON.stringify(PROXY_NAME)} }, [primaryUrl]));
        process.stdout.write(JSON.stringify({ unpinned, pinned }));
      })();`;
    const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script, JSON.stringify(urls(''))], {
      encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsPrimary.caFile, OTHER_CA: tlsReplica.caFile },
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    // Without a pinned CA the child trusts the primary's (NODE_EXTRA_CA_CERTS works); pinned, not.
    expect(JSON.parse(run.stdout)).toEqual({ unpinned: 'connected', pinned: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('fails when DB_CA_FILE cannot be read or holds no certificate; reads none when no URL verifies', () => {
    const missing = path.join(tlsPrimary.dir, 'missing.pem');
    expect(() => tlsSettings({ DB_CA_FILE: missing }, urls())).toThrow(`cannot read the CA bundle DB_CA_FILE ${missing}: ENOENT`);
    const empty = path.join(tlsPrimary.dir, 'empty.pem');
    fs.writeFileSync(empty, '');
    expect(() => tlsSettings({ DB_CA_FILE: empty }, urls(''))).toThrow(`the CA bundle DB_CA_FILE ${empty} holds no PEM certificate`);
    expect(DEFAULT_CA_FILE).toBe('/var/runtime/ca-cert.pem');
    expect(tlsSettings({ DB_CA_FILE: missing }, urls('?sslmode=disable'))).toEqual({ primaryTlsNames: undefined, replicaTlsNames: undefined });
    expect(tlsSettings({ DB_PRIMARY_TLS_NAME: ' ', DB_REPLICA_TLS_NAMES: 'a.example.invalid,, b.example.invalid ' }, urls('?sslmode=require')))
      .toEqual({ primaryTlsNames: undefined, replicaTlsNames: ['a.example.invalid', 'b.example.invalid'] });
  });
});

describe('the replica secret (index.ts secretPassword): no secret material in its errors', () => {
  // Characters the messages do not otherwise hold, so any one of them in a message is an echo.
  const SECRET = 'QZ#7!KX%9@W';
  const failure = async (text: string): Promise<string> => {
    const err = await secretPassword(async () => text, 'app').get().then(() => undefined, (e: Error) => e);
    if (!err) throw new Error('secretPassword accepted the secret');
    return err.message;
  };
  const echoed = (message: string) => [...SECRET].filter((c) => message.includes(c));

  test('fails when the secret is not JSON, with none of its characters in the message', async () => {
    const message = await failure(SECRET);
    expect(message).toBe('the database secret is not JSON: expected an object with username and password');
    expect(echoed(message)).toEqual([]);
    // JSON.parse's own message quotes the text's opening, e.g. of a truncated JSON secret.
    expect(await failure(`{"password":"${SECRET}`)).toBe(message);
  });

  test('fails when the secret is JSON but no object, or for another user, without echoing it', async () => {
    for (const text of [JSON.stringify(SECRET), `[${JSON.stringify(SECRET)}]`]) {
      const message = await failure(text);
      expect(message).toBe('the database secret is not a JSON object: expected one with username and password');
      expect(echoed(message)).toEqual([]);
    }
    const message = await failure(JSON.stringify({ username: SECRET, password: SECRET }));
    expect(message).toBe("the database secret is for another user than 'app' of DB_REPLICA_URL");
    expect(echoed(message)).toEqual([]);
  });

  test('reads the password of the URL\'s user', async () => {
    await expect(secretPassword(async () => JSON.stringify({ username: 'app', password: SECRET }), 'app').get()).resolves.toBe(SECRET);
  });
});
