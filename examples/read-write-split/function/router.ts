/**
 * Read/write split for PostgreSQL: writes (INSERT, UPDATE, DELETE, DDL) go to the primary,
 * reads (SELECT) to the replicas.
 *
 *   const router = createRouter({ primaryUrl, replicaUrl, primaryPassword, replicaPassword, ssl: { ca } });
 *   await router.query('write', 'INSERT INTO notes (body) VALUES ($1)', ['hello']);
 *   const { rows } = await router.query('read', 'SELECT body FROM notes');
 *
 * Pure: no AWS SDK and no environment variables here (index.ts wires those in), so it can be
 * tested against any two PostgreSQL servers.
 */
import { checkServerIdentity, ConnectionOptions, PeerCertificate } from 'tls';
import { Pool, QueryResult, QueryResultRow } from 'pg';

/** Which server a statement is for. */
export type QueryType = 'read' | 'write';

/** The libpq `sslmode` values this module understands. */
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** Returns the password for a new connection (called once per connection, not per query). */
export type PasswordProvider = () => Promise<string>;

/** What connectionConfig() reads from a `postgresql://user@host:port/db?sslmode=...` URL. */
export interface ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The URL's password, if it has one (the playbook's URLs never do). */
  readonly password?: string;
  readonly sslMode: SslMode;
  /** `false` (no TLS) or the options node-postgres hands to `tls.connect`. */
  readonly ssl: false | ConnectionOptions;
  readonly applicationName?: string;
}

/** Options of createRouter. */
export interface RouterOptions {
  /** Where writes go, e.g. `postgresql://app@writer.db.internal:5432/app?sslmode=verify-full`. */
  readonly primaryUrl: string;
  /** Where reads go, e.g. `postgresql://app@reader.db.internal:5432/app?sslmode=verify-full`. */
  readonly replicaUrl: string;
  /** Password for each new primary connection (e.g. an IAM auth token). @default the URL's password, else none */
  readonly primaryPassword?: PasswordProvider;
  /** Password for each new replica connection (e.g. from Secrets Manager). @default the URL's password, else none */
  readonly replicaPassword?: PasswordProvider;
  /**
   * Extra TLS options (e.g. `ca`) for the connections whose sslmode turns TLS on. They cannot
   * weaken the sslmode: `rejectUnauthorized` / `checkServerIdentity` always follow the URL and
   * the TLS names.
   *
   * Pass the RDS CAs as `ca`: given `ca`, Node trusts those certificates only (neither its public
   * roots nor NODE_EXTRA_CA_CERTS), so no certificate from any other CA is accepted.
   * @default Node's CA store (its public roots, plus NODE_EXTRA_CA_CERTS)
   */
  readonly ssl?: ConnectionOptions;
  /**
   * The names the primary's certificate must be valid for (one of them), checked instead of the
   * URL's host by sslmode=verify-full: `writer.<zone>` is a CNAME on no RDS certificate, the
   * proxy's (or the instance's) endpoint behind it is. Any other sslmode with names throws.
   * @default - verify-full checks the URL's host
   */
  readonly primaryTlsNames?: readonly string[];
  /** The names a replica's certificate may be valid for (any one), as primaryTlsNames. @default - the URL's host */
  readonly replicaTlsNames?: readonly string[];
  /**
   * Connections per pool (one pool for the primary, one for the replicas). @default 2
   *
   * Small on purpose: a Lambda container handles one invocation at a time, and every
   * container holds its own pools, so `max` is multiplied by the number of concurrent
   * containers against the server's max_connections (RDS Proxy absorbs that on the writer,
   * the replicas take it directly).
   */
  readonly poolSize?: number;
  /** How long to wait for a new connection before failing. @default 5000 ms */
  readonly connectionTimeoutMillis?: number;
  /** How long a connection may idle in the pool before it is closed. @default 30000 ms */
  readonly idleTimeoutMillis?: number;
  /** Called when an idle pooled connection fails. @default logs with console.error */
  readonly onIdleError?: (err: Error, type: QueryType) => void;
}

/** The two pools behind one interface. */
export interface Router {
  /** The pool for `type` ('read' by default): use `.query()`, or `.connect()` for a transaction. */
  getClient(type?: QueryType): Pool;
  /** Runs one statement on the pool for `type`. */
  query<R extends QueryResultRow = QueryResultRow>(type: QueryType, sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Closes both pools. */
  end(): Promise<void>;
}

const DEFAULT_POOL_SIZE = 2;
const DEFAULT_PORT = 5432;
const SSL_MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/**
 * A `checkServerIdentity` that accepts a certificate valid for at least one of `names` (Node's
 * own check, wildcards and IP subjectAltNames included), whatever host the connection was opened
 * to. The error has Node's code for a name mismatch, ERR_TLS_CERT_ALTNAME_INVALID.
 */
export function certificateNameCheck(names: readonly string[]): (host: string, cert: PeerCertificate) => Error | undefined {
  const expected = [...names];
  return (_host, cert) => {
    if (expected.some((name) => checkServerIdentity(name, cert) === undefined)) return undefined;
    const err = new Error(`the server's certificate is for none of the TLS names ${expected.join(', ')} (its names: ${cert.subjectaltname || `CN=${cert.subject?.CN ?? '?'}`})`);
    return Object.assign(err, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  };
}

/**
 * The TLS options for an sslmode, with libpq's meanings:
 * - `disable`: no TLS;
 * - `require`: TLS, nothing verified (encryption only);
 * - `verify-ca`: the certificate must chain to a trusted CA, but its names are not checked;
 * - `verify-full` (the default): chain and name verified: the name against `tlsNames` when
 *   given (the endpoints behind a CNAME), else against the host.
 * `extra` (e.g. `{ ca }`) is merged under the mode's settings, which always win. `tlsNames` with
 * any mode but verify-full throws: no other mode would check them.
 */
export function sslOptions(mode: SslMode, extra: ConnectionOptions = {}, tlsNames?: readonly string[]): false | ConnectionOptions {
  if (tlsNames !== undefined) {
    if (tlsNames.length === 0 || tlsNames.some((n) => typeof n !== 'string' || !/^[^\s,]+$/.test(n))) {
      throw new Error(`TLS names must be one or more names without spaces or commas (got ${JSON.stringify(tlsNames)})`);
    }
    if (mode !== 'verify-full') {
      throw new Error(`TLS names (${tlsNames.join(', ')}) are checked by sslmode=verify-full only, not sslmode=${mode}`);
    }
    return { ...extra, rejectUnauthorized: true, checkServerIdentity: certificateNameCheck(tlsNames) };
  }
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { ...extra, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...extra, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full': {
      // Node's default checkServerIdentity does the host name check: drop any override.
      const options: ConnectionOptions = { ...extra, rejectUnauthorized: true };
      delete options.checkServerIdentity;
      return options;
    }
  }
}

/**
 * Reads a `postgres://` / `postgresql://` URL. Only `sslmode` and `application_name` are accepted
 * as parameters: an ignored `sslrootcert` or `sslmode=prefer` would silently change what gets
 * verified, so anything else throws. No sslmode is `verify-full`: a URL that forgot it gets the
 * strictest check, never plain text (libpq's default, `prefer`, would fall back to it); plain text or
 * unverified TLS is only what a URL asks for (`sslmode=disable`, `sslmode=require`).
 */
export function connectionConfig(url: string, tls?: ConnectionOptions, tlsNames?: readonly string[]): ConnectionConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Do not echo the URL: it could hold a password.
    throw new Error('invalid PostgreSQL URL');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new Error(`invalid PostgreSQL URL: protocol '${parsed.protocol}' (expected postgresql:)`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error('invalid PostgreSQL URL: no host');
  const user = decodeURIComponent(parsed.username);
  if (!user) throw new Error(`invalid PostgreSQL URL for ${host}: no user`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user;

  let sslMode: SslMode = 'verify-full';
  let applicationName: string | undefined;
  for (const [name, value] of parsed.searchParams) {
    if (name === 'sslmode') {
      if (!SSL_MODES.includes(value)) {
        throw new Error(`sslmode=${value} is not supported (use one of ${SSL_MODES.join(', ')}; node-postgres cannot fall back from TLS to plain text)`);
      }
      sslMode = value as SslMode;
    } else if (name === 'application_name') {
      applicationName = value;
    } else {
      throw new Error(`unsupported parameter '${name}' in the PostgreSQL URL for ${host} (TLS options go in RouterOptions.ssl)`);
    }
  }

  return {
    host,
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
    user,
    database,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    sslMode,
    ssl: sslOptions(sslMode, tls, tlsNames),
    applicationName,
  };
}

function createPool(type: QueryType, url: string, password: PasswordProvider | undefined, options: RouterOptions): Pool {
  const c = connectionConfig(url, options.ssl, type === 'write' ? options.primaryTlsNames : options.replicaTlsNames);
  // pg gets discrete fields, not `connectionString`: pg merges the parsed connection string
  // over the other options, and pg-connection-string returns `password: ''` for a URL without
  // one, which would replace the password function (and its sslmode handling differs by version).
  const pool = new Pool({
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    // A function is called by pg for each new connection, so an IAM token (valid 15 min) or a
    // rotated secret is fresh whenever a connection is opened; queries on open ones do not call it.
    password: password ?? c.password,
    // Always explicit: left undefined, pg would fall back to the PGSSLMODE environment variable.
    ssl: c.ssl,
    application_name: c.applicationName,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    // Fail fast instead of using up the Lambda timeout when the server cannot be reached.
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
  });
  // An idle connection can be closed by the server (RDS Proxy closes idle client connections, a
  // replica restarts, a frozen Lambda container thaws): pg then emits 'error' on the pool, and an
  // unhandled 'error' event would crash the process. The pool drops that client by itself.
  const onIdleError = options.onIdleError ?? ((err: Error, t: QueryType) => console.error(`idle ${t} connection failed: ${err.message}`));
  pool.on('error', (err) => onIdleError(err, type));
  return pool;
}

/** Two small pools: writes to `primaryUrl`, reads to `replicaUrl`. */
export function createRouter(options: RouterOptions): Router {
  const primary = createPool('write', options.primaryUrl, options.primaryPassword, options);
  const replica = createPool('read', options.replicaUrl, options.replicaPassword, options);

  const getClient = (type: QueryType = 'read'): Pool => {
    if (type === 'write') return primary;
    if (type === 'read') return replica;
    throw new Error(`unknown query type '${String(type)}' (expected 'read' or 'write')`);
  };

  let ended: Promise<void> | undefined;
  return {
    getClient,
    query: <R extends QueryResultRow = QueryResultRow>(type: QueryType, sql: string, params?: unknown[]) =>
      getClient(type).query<R>(sql, params),
    // Idempotent: pg's Pool.end() throws when called twice.
    end: () => (ended ??= Promise.all([primary.end(), replica.end()]).then(() => undefined)),
  };
}
