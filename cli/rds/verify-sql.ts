/**
 * `--verify-sql`: runs the operator's SQL on the restored instance, read-only, over TLS.
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
import { Client, ClientConfig } from 'pg';
import { UsageError } from '../errors';
import { CERTIFICATE_HINT, checksCertificate, isCertificateError, RDS_CA_BUNDLE_URL, readCaBundle, SYSTEM_CAS } from '../tls';

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

/**
 * Reads --verify-url and PG* variables, and the CA bundle when the sslmode checks certificates;
 * throws UsageError (before anything is created) when unusable.
 */
export function verifyTarget(url: string | undefined, env: NodeJS.ProcessEnv): VerifyTarget {
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
      throw new UsageError(`--verify-url is not a URL: expected postgresql://user:password@RESTORED/dbname (the password may also come from PGPASSWORD)`);
    }
    if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
      throw new UsageError(`--verify-url must start with postgresql:// (got ${parsed.protocol}//)`);
    }
    if (parsed.hostname && parsed.hostname.toUpperCase() !== 'RESTORED') {
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
      rootCertFrom = 'sslrootcert in --verify-url';
    }
  }
  if (!user) throw new UsageError('--verify-sql needs a database user: give --verify-url postgresql://user:password@RESTORED/dbname or set PGUSER (and PGPASSWORD)');
  sslmode = sslmode ?? 'verify-full';
  if (!SSL_MODES.includes(sslmode)) throw new UsageError(`sslmode '${sslmode}' is not one of ${SSL_MODES.join(', ')}`);
  let ca: string | undefined;
  if (checksCertificate(sslmode)) {
    if (!sslRootCert) {
      throw new UsageError(`--verify-sql: sslmode ${sslmode} checks the restored instance's certificate, and no CA bundle is given: `
        + `set PGSSLROOTCERT (or sslrootcert= in --verify-url) to the RDS CA bundle, ${RDS_CA_BUNDLE_URL} `
        + `(sslrootcert=${SYSTEM_CAS} for Node's built-in CAs), or use sslmode=require to encrypt without checking`);
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

function sslConfig(t: VerifyTarget): ClientConfig['ssl'] {
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
 * Runs `sql` inside a READ ONLY transaction (rolled back) on `endpoint` (or the target's own
 * host). Never throws: a failure is a result with the reason.
 */
export async function runVerifySql(sql: string, t: VerifyTarget, endpoint: { address: string; port: number }, timeoutMs = 60_000): Promise<VerifyResult> {
  const host = t.host ?? endpoint.address;
  const port = t.port ?? endpoint.port;
  const target = `${host}:${port}/${t.database}`;
  let client: Client | undefined;
  try {
    client = new Client({
      host, port, user: t.user, password: t.password, database: t.database,
      ssl: sslConfig(t),
      application_name: 'db-playbook restore --verify-sql',
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
    });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('BEGIN TRANSACTION READ ONLY');
    const result = await client.query(sql);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { ok: true, target, rowCount: last.rowCount ?? last.rows.length, firstRow: last.rows[0] };
  } catch (e) {
    const err = e as Error & { code?: string };
    let error = `${err.code ? `${err.code}: ` : ''}${err.message}`;
    if (isCertificateError(e)) error += ` (${CERTIFICATE_HINT})`;
    return { ok: false, target, error };
  } finally {
    if (client) {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
