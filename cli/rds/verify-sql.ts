/**
 * `--verify-sql`: runs the operator's SQL on the restored instance, read-only, over TLS.
 *
 * Read-only, three ways over, since the instance may become production a moment later: one
 * statement only (counted before anything is restored, cli/rds/sql-statements.ts, and sent with
 * the extended protocol, whose Parse PostgreSQL refuses for more than one: a `COMMIT;` or
 * `SET TRANSACTION READ WRITE;` before a write cannot lift what follows out of the read-only
 * transaction), a session whose default_transaction_read_only is on (the startup packet's
 * options), and a READ ONLY transaction, rolled back. What a read-only transaction does not
 * stop (a superuser's functions that act outside it: pg_terminate_backend, COPY ... TO PROGRAM,
 * dblink) is why the verifying user should be one that can only read.
 *
 * Credentials (db-playbook never reads the database secret):
 * - `--verify-url postgresql://user:password@RESTORED/dbname?sslmode=...`: the host `RESTORED`
 *   (or no host: `postgresql:///dbname`) means the restored instance's endpoint and port; any
 *   other host is used as given (an SSH tunnel, e.g. `127.0.0.1:15432`);
 * - otherwise, and for what the URL leaves out: PGUSER, PGPASSWORD, PGDATABASE (default: the user).
 *   PGHOST and PGPORT are ignored: verifying some other database would prove nothing.
 * TLS: sslmode from the URL or PGSSLMODE. Default `verify-full`: the certificate is checked
 * against the CA bundle in the URL's `sslrootcert` or PGSSLROOTCERT (cli/tls.ts), e.g. the RDS
 * global bundle; the bundle must be given and readable before the restore starts, since finding
 * out after an hour-long restore helps no one (`sslrootcert=system`: Node's built-in CAs).
 * `require` encrypts without checking the certificate; `disable` only for a tunnel or a local
 * test server (rds.force_ssl=1 refuses it on RDS).
 */
import { Client, ClientConfig, QueryConfig } from 'pg';
import { UsageError } from '../errors';
import { CERTIFICATE_HINT, checksCertificate, isCertificateError, RDS_CA_BUNDLE_URL, readCaBundle, SYSTEM_CAS } from '../tls';
import { sqlStatements } from './sql-statements';

/** The session settings of the verification connection (libpq's `options`). */
export const VERIFY_SESSION_OPTIONS = '-c default_transaction_read_only=on';

/**
 * What is wrong with `sql` as --verify-sql (undefined: nothing): it must be exactly one
 * statement. The message follows `--verify-sql`.
 */
export function verifySqlProblem(sql: string): string | undefined {
  const statements = sqlStatements(sql);
  if (statements.length === 0) return 'is empty: give the one query to run on the restored instance, e.g. --verify-sql "SELECT count(*) FROM orders"';
  if (statements.length === 1) return undefined;
  const shown = statements.map((s) => {
    const text = sql.slice(s.start, s.end).replace(/\s+/g, ' ');
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text);
  });
  return `must be one SQL statement, and it holds ${statements.length}: ${shown.join(', ')}. `
    + 'Each would run, and a COMMIT or SET TRANSACTION READ WRITE among them would let the next write to the instance that may become production: give one query';
}

/** Where and how to connect, before the restored endpoint is known. */
export interface VerifyTarget {
  /** Explicit host (a tunnel), or undefined for the restored endpoint. */
  readonly host?: string;
  readonly port?: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  readonly sslmode: string;
  /** The CA bundle's path (or `system`), for verify-ca / verify-full. */
  readonly sslRootCert?: string;
  /** The bundle's PEM text, read when the target was checked (undefined: Node's CAs). */
  readonly ca?: string;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** How a command names its connection flag (restore: --verify-url with the host RESTORED). */
export interface TargetNaming {
  /** The URL's flag. @default '--verify-url' */
  readonly urlFlag: string;
  /** The host that stands for the instance the command makes or checks. @default 'RESTORED' */
  readonly placeholder: string;
  /** What needs the user, starting the message. @default '--verify-sql' */
  readonly purpose: string;
}

const RESTORE_NAMING: TargetNaming = { urlFlag: '--verify-url', placeholder: 'RESTORED', purpose: '--verify-sql' };

/**
 * Reads --verify-url and PG* variables, and the CA bundle when the sslmode checks certificates;
 * throws UsageError (before anything is created) when unusable. `naming` is the command's flag
 * and placeholder host (upgrade: --db-url and INSTANCE).
 */
export function verifyTarget(url: string | undefined, env: NodeJS.ProcessEnv, naming: TargetNaming = RESTORE_NAMING): VerifyTarget {
  const { urlFlag, placeholder, purpose } = naming;
  let host: string | undefined;
  let sslRootCert = env.PGSSLROOTCERT || undefined;
  let rootCertFrom = 'PGSSLROOTCERT';
  let port: number | undefined;
  let user = env.PGUSER;
  let password = env.PGPASSWORD;
  let database = env.PGDATABASE;
  let sslmode = env.PGSSLMODE;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`${urlFlag} is not a URL: expected postgresql://user:password@${placeholder}/dbname (the password may also come from PGPASSWORD)`);
    }
    if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
      throw new UsageError(`${urlFlag} must start with postgresql:// (got ${parsed.protocol}//)`);
    }
    if (parsed.hostname && parsed.hostname.toUpperCase() !== placeholder) {
      host = parsed.hostname.replace(/^\[|\]$/g, '');
      port = parsed.port ? Number(parsed.port) : 5432;
    }
    if (parsed.username) user = decodeURIComponent(parsed.username);
    if (parsed.password) password = decodeURIComponent(parsed.password);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (db) database = db;
    sslmode = parsed.searchParams.get('sslmode') ?? sslmode;
    const rootCert = parsed.searchParams.get('sslrootcert');
    if (rootCert) {
      sslRootCert = rootCert;
      rootCertFrom = `sslrootcert in ${urlFlag}`;
    }
  }
  if (!user) throw new UsageError(`${purpose} needs a database user: give ${urlFlag} postgresql://user:password@${placeholder}/dbname or set PGUSER (and PGPASSWORD)`);
  sslmode = sslmode ?? 'verify-full';
  if (!SSL_MODES.includes(sslmode)) throw new UsageError(`sslmode '${sslmode}' is not one of ${SSL_MODES.join(', ')}`);
  let ca: string | undefined;
  if (checksCertificate(sslmode)) {
    if (!sslRootCert) {
      throw new UsageError(`${purpose}: sslmode ${sslmode} checks the ${placeholder === 'RESTORED' ? 'restored instance' : 'database'}'s certificate, and no CA bundle is given: `
        + `set PGSSLROOTCERT (or sslrootcert= in ${urlFlag}) to the RDS CA bundle, ${RDS_CA_BUNDLE_URL} `
        + `(sslrootcert=${SYSTEM_CAS} for Node's built-in CAs), or use sslmode=require to encrypt without checking`);
    }
    // As libpq: Node's public CAs check a name or nothing; with verify-ca any publicly trusted
    // certificate would pass for the restored instance.
    if (sslRootCert === SYSTEM_CAS && sslmode !== 'verify-full') {
      throw new UsageError(`${purpose}: sslrootcert=${SYSTEM_CAS} (Node's public CAs) is only allowed with sslmode=verify-full, as in libpq (got sslmode ${sslmode})`);
    }
    ca = readCaBundle(sslRootCert, rootCertFrom);
  }
  return { host, port, user, password, database: database ?? user, sslmode, sslRootCert, ca };
}

/** The outcome of the verification query. */
export interface VerifyResult {
  readonly ok: boolean;
  /** host:port/database it ran on. */
  readonly target: string;
  readonly rowCount?: number;
  readonly firstRow?: Record<string, unknown>;
  readonly error?: string;
}

/** node-postgres's `ssl` for the target's sslmode and CA bundle. */
export function sslConfig(t: VerifyTarget): ClientConfig['ssl'] {
  switch (t.sslmode) {
    case 'disable': return false;
    case 'allow': case 'prefer': case 'require': return { rejectUnauthorized: false };
    default: {
      const ca = t.ca;
      // verify-ca checks the chain only; verify-full the host name too.
      return t.sslmode === 'verify-ca' ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { ca, rejectUnauthorized: true };
    }
  }
}

/**
 * A connected client for `t` on host:port/database: TLS as sslConfig says, every transaction read-only
 * (default_transaction_read_only=on), statements and the connection bounded by `timeoutMs`.
 */
export async function connectReadOnly(
  t: VerifyTarget, host: string, port: number, database: string, applicationName: string, timeoutMs: number,
): Promise<Client> {
  const client = new Client({
    host, port, user: t.user, password: t.password, database,
    ssl: sslConfig(t),
    application_name: applicationName,
    options: VERIFY_SESSION_OPTIONS,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Runs `sql`, one statement (refused otherwise, before connecting), with the extended protocol
 * in a session with default_transaction_read_only=on, inside a READ ONLY transaction that is
 * rolled back, on `endpoint` (or the target's own host). Never throws: a failure is a result
 * with the reason.
 */
export async function runVerifySql(
  sql: string, t: VerifyTarget, endpoint: { address: string; port: number }, timeoutMs = 60_000, applicationName = 'db-playbook restore --verify-sql',
): Promise<VerifyResult> {
  const host = t.host ?? endpoint.address;
  const port = t.port ?? endpoint.port;
  const target = `${host}:${port}/${t.database}`;
  const problem = verifySqlProblem(sql);
  if (problem) return { ok: false, target, error: `--verify-sql ${problem}` };
  let client: Client | undefined;
  try {
    client = await connectReadOnly(t, host, port, t.database, applicationName, timeoutMs);
    await client.query('BEGIN TRANSACTION READ ONLY');
    // The extended protocol (Parse, Bind, Execute): PostgreSQL parses exactly one statement.
    // pg takes queryMode (8.11+), which its type definitions do not list yet.
    const query: QueryConfig<unknown[]> & { readonly queryMode: 'extended' } = { text: sql, values: [], queryMode: 'extended' };
    const result = await client.query<Record<string, unknown>>(query);
    return { ok: true, target, rowCount: result.rowCount ?? result.rows.length, firstRow: result.rows[0] };
  } catch (e) {
    const err = e as Error & { code?: string };
    let error = `${err.code ? `${err.code}: ` : ''}${err.message}`;
    if (isCertificateError(e)) error += ` (${CERTIFICATE_HINT})`;
    // 42601 from Parse: the server counted more than one statement where sql-statements.ts counted one.
    if (err.code === '42601' && /multiple commands/.test(err.message)) error += ' (--verify-sql runs one statement)';
    return { ok: false, target, error };
  } finally {
    if (client) {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
