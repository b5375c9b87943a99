/**
 * A real PostgreSQL 17.9 (the harness's, see postgres-server.ts) set up to look like an RDS for
 * PostgreSQL instance to the code that manages roles: a master user that is NOT a superuser.
 *
 *   const rds = await startRdsLikePostgres({ masterPassword: 'Secret-1' });
 *   const client = await rds.connect('app');          // as the master user, with its password
 *   const other = await rds.connect('app', 'app_reader', 'its-password');
 *   ...
 *   await client.end(); await other.end();
 *   await rds.stop();
 *
 * What it emulates, and what it assumes where RDS does not publish the exact catalog state:
 * - RDS's own NOLOGIN roles `rds_superuser`, `rds_iam`, `rds_replication`, `rds_password`. On RDS
 *   they carry RDS-specific powers implemented in RDS's engine; here they are plain roles (being
 *   in rds_iam does nothing but show in pg_auth_members).
 * - The master user (`dbadmin` by default): LOGIN CREATEROLE CREATEDB, a member of rds_superuser,
 *   not a superuser, logging in with a SCRAM password. It holds the predefined roles RDS documents
 *   for rds_superuser (pg_monitor, pg_read_all_stats, pg_read_all_data, pg_write_all_data,
 *   pg_signal_backend, pg_maintain, ...) and rds_iam, rds_replication, rds_password WITH ADMIN
 *   OPTION, so it can grant them on. Assumption: RDS grants these through rds_superuser and does
 *   not publish its pg_auth_members rows; granting them to the master directly gives the master
 *   the same abilities (the master's CREATEROLE-era rules of PostgreSQL 16+ are the real engine's).
 * - A database `app` owned by the master (RDS's DBName).
 * - `pg_stat_statements` in shared_preload_libraries (RDS's default parameter group preloads it)
 *   and the extension created in `app` and `postgres`. Assumption: on RDS the master may CREATE
 *   EXTENSION pg_stat_statements itself (RDS lets rds_superuser create its supported extensions);
 *   vanilla PostgreSQL lets only a superuser create an untrusted extension, so the harness creates
 *   it. Trusted extensions (pgcrypto, citext, hstore, ...) the master creates as on RDS.
 * - Password authentication: TCP connections of every user but the harness's superuser `postgres`
 *   use scram-sha-256 (RDS's default password_encryption in 17). With `tls`, the server has a
 *   certificate from a CA made here and refuses non-TLS logins of those users, as RDS for
 *   PostgreSQL 15+ does with its default rds.force_ssl=1.
 * The superuser stays reachable (`server.client(db)`, trust) for test setup and inspection.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { runningAsRoot, serverUserIds } from './postgres-binaries';
import { PostgresServer, startPostgres } from './postgres-server';

/** Options of startRdsLikePostgres. */
export interface StartRdsLikePostgresOptions {
  /** TLS on, and required for password logins (RDS's rds.force_ssl=1). @default false */
  readonly tls?: boolean;
  /** The master user's name. @default 'dbadmin' */
  readonly masterUser?: string;
  /** The master user's password. @default a fixed test password */
  readonly masterPassword?: string;
  /** More server settings (`-c name=value`), over the ones set here. @default none */
  readonly settings?: Record<string, string>;
}

/** A running RDS-like server. */
export interface RdsLikePostgres {
  /** The underlying server: `server.client(db)` connects as the superuser `postgres` (trust). */
  readonly server: PostgresServer;
  readonly host: string;
  readonly port: number;
  /** The master user (not a superuser). */
  readonly masterUser: string;
  readonly masterPassword: string;
  /** The database RDS creates for DBName, owned by the master. */
  readonly database: string;
  /** With `tls`: the CA certificate (PEM) that signed the server's. */
  readonly caFile?: string;
  /**
   * A new, connected client (the caller ends it) to `db` as `user` with `password` over TCP
   * (TLS, verifying the certificate, when the server has it). Defaults: the master and its password.
   */
  connect(db: string, user?: string, password?: string): Promise<Client>;
  /** Stops the server and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/** The roles RDS creates in every instance (NOLOGIN). */
export const RDS_ROLES = ['rds_superuser', 'rds_iam', 'rds_replication', 'rds_password'];

/**
 * The roles the master holds WITH ADMIN OPTION: the predefined roles RDS documents for
 * rds_superuser, and RDS's own roles the master hands out (rds_iam for IAM authentication).
 */
export const MASTER_ADMIN_ROLES = ['pg_monitor', 'pg_read_all_stats', 'pg_read_all_settings', 'pg_stat_scan_tables',
  'pg_read_all_data', 'pg_write_all_data', 'pg_signal_backend', 'pg_maintain', 'pg_checkpoint',
  'pg_use_reserved_connections', 'pg_create_subscription', 'rds_iam', 'rds_replication', 'rds_password'];

const DEFAULT_MASTER_PASSWORD = 'Master-Passw0rd!';

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A CA and a server certificate for 127.0.0.1/localhost in `dir`, the key readable by the server
 * user only (as tls-postgres.ts makes them; startTlsPostgres takes no other settings, and this
 * server needs shared_preload_libraries and pg_hba lines too).
 */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=db-playbook RDS-like test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'san.ext', '-out', 'server.pem'], dir);
  const key = path.join(dir, 'server.key');
  fs.chmodSync(key, 0o600);
  if (runningAsRoot()) {
    const { uid, gid } = serverUserIds();
    fs.chownSync(key, uid, gid);
    fs.chownSync(path.join(dir, 'server.pem'), uid, gid);
  }
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key };
}

/** Starts an RDS-like PostgreSQL 17.9 (see the file's comment for what it emulates). */
export async function startRdsLikePostgres(opts: StartRdsLikePostgresOptions = {}): Promise<RdsLikePostgres> {
  const masterUser = opts.masterUser ?? 'dbadmin';
  const masterPassword = opts.masterPassword ?? DEFAULT_MASTER_PASSWORD;
  const database = 'app';
  const tls = opts.tls ?? false;

  let certDir: string | undefined;
  let certs: { ca: string; cert: string; key: string } | undefined;
  if (tls) {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-rds-tls-'));
    fs.chmodSync(certDir, 0o755);
  }
  const removeCerts = () => { if (certDir) fs.rmSync(certDir, { recursive: true, force: true }); };

  let server: PostgresServer | undefined;
  try {
    if (certDir) certs = makeCertificates(certDir);
    server = await startPostgres({
      settings: {
        shared_preload_libraries: 'pg_stat_statements',
        password_encryption: 'scram-sha-256',
        ...(certs ? { ssl: 'on', ssl_cert_file: certs.cert, ssl_key_file: certs.key } : {}),
        ...(opts.settings ?? {}),
      },
      hba: [
        // The harness (and the tests' setup) connect as the superuser without a password.
        'host all postgres 127.0.0.1/32 trust',
        ...(certs
          ? ['hostssl all all 127.0.0.1/32 scram-sha-256', 'hostnossl all all 127.0.0.1/32 reject']
          : ['host all all 127.0.0.1/32 scram-sha-256']),
      ],
    });

    const su = await server.client();
    try {
      for (const role of RDS_ROLES) await su.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
      await su.query(`CREATE ROLE ${ident(masterUser)} LOGIN CREATEROLE CREATEDB PASSWORD ${literal(masterPassword)}`);
      await su.query(`GRANT rds_superuser TO ${ident(masterUser)}`);
      await su.query(`GRANT ${MASTER_ADMIN_ROLES.map(ident).join(', ')} TO ${ident(masterUser)} WITH ADMIN OPTION`);
      await su.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(masterUser)}`);
      await su.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    } finally {
      await su.end();
    }
    const suApp = await server.client(database);
    try {
      await suApp.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    } finally {
      await suApp.end();
    }
  } catch (e) {
    await server?.stop();
    removeCerts();
    throw e;
  }

  const started = server;
  const ca = certs ? fs.readFileSync(certs.ca, 'utf8') : undefined;
  let stopped = false;
  return {
    server: started,
    host: started.host,
    port: started.port,
    masterUser,
    masterPassword,
    database,
    caFile: certs?.ca,
    connect: async (db, user = masterUser, password = masterPassword) => {
      const client = new Client({
        host: started.host,
        port: started.port,
        database: db,
        user,
        password,
        connectionTimeoutMillis: 10_000,
        ...(ca ? { ssl: { ca } } : {}),
      });
      try {
        await client.connect();
      } catch (e) {
        await client.end().catch(() => undefined);
        throw e;
      }
      return client;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await started.stop();
      } finally {
        removeCerts();
      }
    },
  };
}
