/**
 * `db-playbook inspect`: the playbook's query-health section as a command. Asks PostgreSQL's
 * own statistics (pg_stat_user_tables / _indexes, pg_stat_statements, pg_stat_activity) which
 * tables lack an index, which indexes are unused or redundant, which statements cost the most,
 * which look like N+1 queries, and how the cache, vacuum and sessions are doing; prints each
 * finding with its rule id and the fix (cli/query-health.ts judges, shared/pg-health.ts holds the
 * SQL the PostgresMetrics collector shares).
 *
 * Connection (never written to the output with its password):
 * - `--url postgresql://user:password@host:port/dbname?sslmode=...`, or
 * - `--secret-arn`: the Secrets Manager secret's JSON `username`, `password`, `host`, `port`,
 *   `dbname` (as RDS writes it), or
 * - the standard variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE,
 *   PGSSLROOTCERT, which also fill in what the URL leaves out;
 * `--host`, `--port` and `--dbname` override any of them (a tunnel to a secret's instance).
 * TLS as libpq's sslmode, verify-full by default for every host, localhost included (whoever
 * answers on a local port gets the password otherwise): `verify-full` checks the certificate
 * against the CAs of cli/tls.ts (--ca-file, the URL's sslrootcert or PGSSLROOTCERT; without one,
 * the RDS CAs built into db-playbook, never Node's public ones) and that it is for the server
 * name: `--tls-server-name`, else, when a loopback `--host` replaces the host a secret or URL
 * names (a tunnel), that host, else the host. `verify-ca` checks the chain only; `require`
 * encrypts without checking; `disable`, `allow` and `prefer` may send the password in clear and
 * are used only when asked for. No TLS over a Unix socket, as libpq.
 *
 * Read-only: one session, application_name `db-playbook inspect`, every statement inside
 * `BEGIN TRANSACTION READ ONLY` (rolled back), with statement_timeout (`--statement-timeout`).
 * The role needs pg_monitor (RDS's master user has it) to see other roles' sessions and statements.
 *
 * What the database says is text from its users (a session's application_name, a statement, a
 * table's name): the text report shows statements with their literals replaced by `$n`
 * (pg_stat_activity keeps them, and pg_stat_statements keeps those of utility statements:
 * personal data, an `ALTER ROLE … PASSWORD '…'`) and every control character as an escape;
 * `--json` holds no statement text unless `--include-query-text`.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Command, InvalidArgumentError } from 'commander';
import { Client, ClientConfig } from 'pg';
import {
  cacheHitRatio,
  CacheHitRatio,
  deadTupleRatios,
  DeadTupleRatio,
  idleInTransaction,
  indexUsage,
  IndexUsage,
  LONG_RUNNING_SECONDS,
  longRunningQueries,
  pgErrorCode,
  pgErrorReason,
  pgStatStatementsStatus,
  PgStatStatementsStatus,
  QueryFunction,
  SessionInfo,
  statementStats,
  StatementStats,
  tableActivity,
  TableActivity,
} from '../../shared/pg-health';
import { DbSecret, parseSecret as parseDbSecret } from '../../shared/db-secret';
import { clientConfig } from '../context';
import { EXIT, UsageError } from '../errors';
import { JsonFinding, JsonSummary, printJson, summarizeFindings } from '../json-output';
import type { CommandContext } from '../program';
import { printable } from '../terminal';
import {
  allowsPlaintext,
  BUILT_IN_CAS,
  certificateHint,
  checksCertificate,
  isCertificateError,
  RDS_CA_BUNDLE_URL,
  RootCertSource,
  SSL_MODES,
  SslMode,
  trustAnchors,
  TrustAnchors,
  verifiedTlsOptions,
} from '../tls';
import {
  AutovacuumAdvice,
  AutovacuumSettings,
  BloatEstimate,
  analyze,
  DEFAULT_THRESHOLDS,
  failedRules,
  Finding,
  fold,
  foldedLine,
  formatMs,
  HealthAnalysis,
  HYPOPG_ADVICE,
  loadParser,
  MissingIndex,
  missingIndexes,
  NPlusOneSuspect,
  parseFailOn,
  parserUnavailable,
  readableStatement,
  RULE_IDS,
  RuleId,
  RelationSpace,
  RULES,
  SuggestionCheck,
  TableStatement,
  TableVacuumStats,
  Thresholds,
  topStatements,
  UnparsableStatements,
} from '../query-health';
import { checkSuggestion } from '../query-health/hypopg';
import { autovacuumSettings, hypopgSchema, indexScans, relationSpace, tableVacuumStats } from '../query-health/queries';

/** Options of `db-playbook inspect`. */
export interface InspectOptions {
  readonly url?: string;
  readonly secretArn?: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
  readonly sslmode?: string;
  readonly caFile?: string;
  readonly tlsServerName?: string;
  readonly minRows: number;
  readonly n1MinCalls: number;
  readonly n1MaxMeanMs: number;
  readonly top: number;
  readonly statementTimeout: number;
  readonly failOn?: string;
  readonly json?: boolean;
  readonly includeQueryText?: boolean;
  /** List every finding in the text report (it lists --top per section and folds the rest). */
  readonly all?: boolean;
  /** Read replicas (a postgresql:// URL, or a Secrets Manager secret's ARN or name) whose index scans count too. */
  readonly replica?: string[];
}

export { SSL_MODES, SslMode };

/** How many pg_stat_statements rows (most total time first) inspect reads. */
const STATEMENT_LIMIT = 5000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
const DEFAULT_TOP = 10;

const HELP_AFTER = `
Connection: --url, or --secret-arn (JSON username/password/host/port/dbname), or PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE; --host/--port/--dbname override them.
TLS: --sslmode (or the URL's sslmode, or PGSSLMODE), default verify-full, for localhost too.
verify-ca and verify-full check the server's certificate against --ca-file, the URL's
sslrootcert or PGSSLROOTCERT (as libpq); without one, against ${BUILT_IN_CAS}
(current bundle: ${RDS_CA_BUNDLE_URL}), never against Node's public CAs or NODE_EXTRA_CA_CERTS.
verify-full also checks the certificate is for the host; through a tunnel (--host localhost)
for the host the secret or --url names, or --tls-server-name. require encrypts without
checking; disable, allow and prefer may send the password in clear: only for a server you run.
Everything runs in one READ ONLY transaction: inspect never changes the database.
Output: the text report shows statements with literals replaced by $n and control characters
escaped; --json leaves statement text out (query: null) unless --include-query-text.

Rules (--fail-on takes their ids, comma-separated, or all):
${RULE_IDS.map((id) => `  ${id.padEnd(28)}${RULES[id]}`).join('\n')}

The text report lists the --top findings of each section with the most impact (size, rows read,
calls) and folds the rest into one line with their count and total size; --all lists them all.
Statements are read with PostgreSQL's own parser (libpg-query); one it cannot read is counted.

Statement-level rules need pg_stat_statements (preloaded by the library's TunedParameterGroup;
then CREATE EXTENSION pg_stat_statements; in the database). Scan counters are since the
statistics were reset, and per instance: a read replica counts its own.

Exit codes: 0 done (findings allowed), 3 a --fail-on rule has a finding, 2 bad input,
1 the connection or a query failed.

Examples:
  db-playbook inspect --url postgresql://app@db.example.internal/shop
  db-playbook inspect --secret-arn arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-db --json
  db-playbook inspect --fail-on missing-index,n-plus-one     # in CI, against a staging database
`;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''} (got '${value}')`);
    }
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0 (got '${value}')`);
  return n;
}

/** Registers `db-playbook inspect`. */
export function registerInspect(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description("Query health from PostgreSQL's own statistics: missing, unused and duplicate indexes, top and N+1 statements, cache hit ratio, dead tuples, long-running and idle-in-transaction sessions.")
    .option('--url <postgres-url>', 'postgresql://user:password@host:port/dbname[?sslmode=...] (default: the PG* variables)')
    .option('--secret-arn <arn>', 'read username, password, host, port and dbname from this Secrets Manager secret')
    .option('--host <host>', 'connect to this host (or Unix socket directory) instead')
    .option('--port <port>', 'connect to this port instead', integer(1, 65535))
    .option('--dbname <name>', 'inspect this database instead')
    .option('--sslmode <mode>', `TLS: ${SSL_MODES.join(', ')} (default: verify-full)`)
    .option('--ca-file <path>', 'the CA bundle verify-ca / verify-full check against (default: sslrootcert, PGSSLROOTCERT, else the built-in RDS CAs)')
    .option('--tls-server-name <name>', 'the name verify-full checks the certificate for (default: the host; through a tunnel, the host the secret or --url names)')
    .option('--min-rows <n>', 'missing-index: live rows that make a table large', integer(0), DEFAULT_THRESHOLDS.minRows)
    .option('--n1-min-calls <n>', 'n-plus-one: calls that make a statement suspect', integer(1), DEFAULT_THRESHOLDS.n1MinCalls)
    .option('--n1-max-mean-ms <ms>', 'n-plus-one: mean execution time below which it is suspect', positiveNumber, DEFAULT_THRESHOLDS.n1MaxMeanMs)
    .option('--top <n>', 'findings, statements and tables listed per section (the rest folded into one line)', integer(1, 1000), DEFAULT_TOP)
    .option('--all', 'list every finding in the text report (--json always holds every one)')
    .option('--replica <url-or-secret>', 'a read replica whose index scans count too: a postgresql:// URL or a Secrets Manager secret (repeatable); an index is unused only if no instance scanned it',
      (value: string, previous: string[] = []) => [...previous, value])
    .option('--statement-timeout <ms>', 'limit for connecting and for each statement', integer(100), DEFAULT_STATEMENT_TIMEOUT_MS)
    .option('--fail-on <rules>', 'exit 3 when any of these rules (comma-separated ids, or all) has a finding')
    .option('--json', 'print the report as JSON (without statement text)')
    .option('--include-query-text', 'put the statements\' text in --json as the server holds it, literals included (personal data; the password of an ALTER ROLE)')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: InspectOptions) => {
      const report = await runInspect(opts, ctx);
      if (report.failed.length > 0) ctx.setCode(EXIT.CHECK_FAILED);
    });
}

// --- where to connect -------------------------------------------------------------------------

/** Where and how inspect connects. */
export interface ConnectionTarget {
  /** A host name, an IP address, or a Unix socket directory (starts with `/`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  readonly sslmode: SslMode;
  /** A CA bundle file for verify-ca / verify-full. */
  readonly sslRootCert?: string;
  /** Where sslRootCert was named: `--ca-file`, `sslrootcert in --url`, `PGSSLROOTCERT`. */
  readonly sslRootCertFrom?: string;
  /** The name verify-full checks the server's certificate for. */
  readonly tlsServerName: string;
}

/** Whether a host is the loopback interface: localhost, 127.x.x.x or ::1. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

/** What a host is: a loopback address, localhost or a Unix socket directory. */
export function isLocalHost(host: string): boolean {
  return host.startsWith('/') || isLoopback(host);
}

const URL_PARAMETERS = new Set(['sslmode', 'sslrootcert', 'host', 'port', 'user', 'password', 'dbname', 'application_name', 'connect_timeout']);

function sslModeOf(value: string, from: string): SslMode {
  if (!(SSL_MODES as readonly string[]).includes(value)) throw new UsageError(`${from}: sslmode '${value}' is not one of ${SSL_MODES.join(', ')}`);
  return value as SslMode;
}

function portOf(value: string, from: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`${from}: port must be 1-65535 (got '${value}')`);
  return port;
}

/**
 * Where to connect: the PG* variables, under the secret (when read), under the URL, under
 * --host / --port / --dbname / --sslmode. Throws a UsageError for an unusable URL or value.
 */
export function connectionTarget(
  opts: Pick<InspectOptions, 'url' | 'host' | 'port' | 'dbname' | 'sslmode' | 'caFile' | 'tlsServerName'>,
  env: NodeJS.ProcessEnv,
  secret?: DbSecret,
): ConnectionTarget {
  let host = env.PGHOST || undefined;
  let port = env.PGPORT ? portOf(env.PGPORT, 'PGPORT') : undefined;
  let user = env.PGUSER || undefined;
  let password = env.PGPASSWORD || undefined;
  let database = env.PGDATABASE || undefined;
  let sslmode = env.PGSSLMODE ? sslModeOf(env.PGSSLMODE, 'PGSSLMODE') : undefined;
  let sslRootCert = env.PGSSLROOTCERT || undefined;
  let sslRootCertFrom = sslRootCert ? 'PGSSLROOTCERT' : undefined;
  /** The host a secret or the URL names: the instance a tunnel on a loopback --host leads to. */
  let named: string | undefined;
  if (secret) {
    user = secret.username;
    password = secret.password;
    named = secret.host ?? named;
    host = secret.host ?? host;
    port = secret.port ?? port;
    database = secret.dbname ?? 'postgres';
  }
  if (opts.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new UsageError('--url is not a URL: expected postgresql://user:password@host:port/dbname[?sslmode=verify-full]');
    }
    if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
      throw new UsageError(`--url must start with postgresql:// (got ${parsed.protocol}//)`);
    }
    if (parsed.hostname.includes(',')) throw new UsageError('--url: several hosts are not supported; name one');
    if (parsed.hostname) host = named = decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '');
    if (parsed.port) port = portOf(parsed.port, '--url');
    if (parsed.username) user = decodeURIComponent(parsed.username);
    if (parsed.password) password = decodeURIComponent(parsed.password);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (db) database = db;
    for (const [name, value] of parsed.searchParams) {
      if (!URL_PARAMETERS.has(name)) throw new UsageError(`--url: parameter '${name}' is not supported (use ${[...URL_PARAMETERS].join(', ')})`);
      if (name === 'sslmode') sslmode = sslModeOf(value, '--url');
      if (name === 'sslrootcert') [sslRootCert, sslRootCertFrom] = [value, 'sslrootcert in --url'];
      if (name === 'host') host = named = value;
      if (name === 'port') port = portOf(value, '--url');
      if (name === 'user') user = value;
      if (name === 'password') password = value;
      if (name === 'dbname') database = value;
    }
  }
  if (opts.host !== undefined) host = opts.host;
  if (opts.port !== undefined) port = opts.port;
  if (opts.dbname !== undefined) database = opts.dbname;
  if (opts.sslmode !== undefined) sslmode = sslModeOf(opts.sslmode, '--sslmode');
  if (opts.caFile !== undefined) [sslRootCert, sslRootCertFrom] = [opts.caFile, '--ca-file'];
  host ??= 'localhost';
  user ??= env.USER;
  if (!user) throw new UsageError('no database user: give --url postgresql://user@host/dbname, --secret-arn, or set PGUSER');
  sslmode ??= 'verify-full';
  if (opts.tlsServerName !== undefined) {
    if (!/^[^\s/]+$/.test(opts.tlsServerName)) throw new UsageError(`--tls-server-name must be a host name or IP address (got '${opts.tlsServerName}')`);
    if (sslmode !== 'verify-full') throw new UsageError(`--tls-server-name is the name verify-full checks the certificate for, and sslmode is ${sslmode}: use --sslmode verify-full`);
  }
  // A tunnel: a loopback --host in place of the instance the secret or URL names still verifies that instance's name.
  const tunnelled = opts.host !== undefined && isLoopback(opts.host) && named !== undefined && !isLocalHost(named) ? named : undefined;
  return {
    host,
    port: port ?? 5432,
    user,
    password,
    database: database ?? user,
    sslmode,
    sslRootCert,
    sslRootCertFrom: sslRootCert === undefined ? undefined : sslRootCertFrom,
    tlsServerName: opts.tlsServerName ?? tunnelled ?? host,
  };
}

/** `user@host:port/database`, never the password. */
export function describeTarget(t: ConnectionTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${t.port}/${t.database}`;
}

/** Reads a secret's JSON; a malformed secret is bad input (exit 2). */
export function parseSecret(secretString: string | undefined, secretArn: string): DbSecret {
  try {
    return parseDbSecret(secretString, secretArn);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function readSecret(arn: string, ctx: CommandContext): Promise<DbSecret> {
  const parts = arn.split(':');
  const region = parts.length > 4 && parts[0] === 'arn' && parts[3] ? parts[3] : undefined;
  const sm = new SecretsManagerClient(clientConfig(ctx.globals(), ctx.io, region));
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return parseSecret(out.SecretString, arn);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') throw new UsageError(`secret ${arn} not found (${(e as Error).message})`);
    throw e;
  } finally {
    sm.destroy();
  }
}

// --- connecting -------------------------------------------------------------------------------

/** The CAs verify-ca / verify-full check against (cli/tls.ts); undefined for the other modes. Throws a UsageError for an unusable bundle. */
export function targetTrust(t: ConnectionTarget): TrustAnchors | undefined {
  if (!checksCertificate(t.sslmode) || t.host.startsWith('/')) return undefined;
  const root: RootCertSource | undefined = t.sslRootCert === undefined ? undefined : { path: t.sslRootCert, from: t.sslRootCertFrom ?? 'PGSSLROOTCERT' };
  return trustAnchors(t.sslmode, root, t.tlsServerName);
}

/** pg's `ssl` for a mode (with TLS tried: allow / prefer fall back to none when the server has no TLS). */
function sslConfig(t: ConnectionTarget, trust: TrustAnchors | undefined): ClientConfig['ssl'] {
  if (t.sslmode === 'disable' || t.host.startsWith('/')) return false; // libpq: no TLS over Unix sockets
  if (trust && (t.sslmode === 'verify-ca' || t.sslmode === 'verify-full')) return verifiedTlsOptions(t.sslmode, trust, t.tlsServerName);
  return { rejectUnauthorized: false };
}

async function tryConnect(t: ConnectionTarget, ssl: ClientConfig['ssl'], timeoutMs: number): Promise<Client> {
  const client = new Client({
    host: t.host, port: t.port, user: t.user, password: t.password, database: t.database, ssl,
    application_name: 'db-playbook inspect',
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    // The client-side limit catches a server that stops answering (no statement_timeout then).
    query_timeout: timeoutMs + 1000,
  });
  // An idle client whose server goes away emits 'error'; unhandled, that would crash the CLI.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

/** Connects as sslmode says; throws an Error naming the target and the reason. */
export async function connect(t: ConnectionTarget, timeoutMs: number): Promise<Client> {
  const trust = targetTrust(t);
  const ssl = sslConfig(t, trust);
  try {
    try {
      return await tryConnect(t, ssl, timeoutMs);
    } catch (e) {
      const noTls = /does not support SSL/i.test((e as Error).message);
      // Plaintext only when the operator asked for a mode that allows it.
      if (noTls && allowsPlaintext(t.sslmode)) return await tryConnect(t, false, timeoutMs);
      throw e;
    }
  } catch (e) {
    // Not pgErrorReason's certificate hint: that one is the Lambda functions' (NODE_EXTRA_CA_CERTS).
    let reason = isCertificateError(e) && trust
      ? `TLS certificate not accepted for ${t.tlsServerName}: ${(e as Error).message}${pgErrorCode(e) ? ` (${pgErrorCode(e)})` : ''}; `
        + certificateHint(e, trust, t.tlsServerName, { rootCertOptions: '--ca-file (or PGSSLROOTCERT, or sslrootcert in --url)', serverNameOption: '--tls-server-name' })
      : pgErrorReason(e, timeoutMs);
    if (/does not support SSL/i.test(reason)) {
      reason += ` (sslmode ${t.sslmode}; the password was not sent: --sslmode disable sends it in clear, only for a server you run yourself)`;
    }
    // The reason can quote the server: shown as text.
    throw new Error(`cannot connect to ${printable(describeTarget(t))}: ${printable(reason)}`, { cause: e });
  }
}

// --- gathering --------------------------------------------------------------------------------

/** Which database and server answered (inspect-only). */
const SERVER_SQL = `SELECT current_database() AS database, current_user AS user_name,
  current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery, now() AS now,
  (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS stats_reset`;

/** The columns of the given tables, to tell which of a statement's unqualified columns are theirs (inspect-only). */
const TABLE_COLUMNS_SQL = `SELECT n.nspname, c.relname, array_agg(a.attname::text ORDER BY a.attnum) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
GROUP BY n.nspname, c.relname`;

/**
 * Prefixed to every statement inspect runs, so that pg_stat_statements keeps its text with it
 * (a leading comment is part of the text, not of the queryid) and inspect leaves itself out.
 */
const INSPECT_TAG = '/* db-playbook inspect */ ';

/** Runs statements on `client` with INSPECT_TAG in front. */
function tagged(client: Client): QueryFunction {
  return (sql, values) => client.query(`${INSPECT_TAG}${sql}`, values);
}

/** What inspect read from the database. */
export interface Gathered {
  readonly database: string;
  readonly user: string;
  readonly serverVersion: string;
  readonly inRecovery: boolean;
  readonly now: Date;
  readonly statsReset: Date | null;
  readonly tables: TableActivity[];
  readonly indexes: IndexUsage[];
  readonly columns: Record<string, string[]>;
  readonly pgStatStatements: PgStatStatementsStatus;
  readonly statements: StatementStats[] | null;
  readonly statementsError?: string;
  readonly cacheHit: CacheHitRatio;
  readonly deadTuples: DeadTupleRatio[];
  readonly longRunning: SessionInfo[];
  readonly idleInTransaction: SessionInfo[];
  readonly vacuumStats: TableVacuumStats[];
  readonly autovacuum: AutovacuumSettings;
  readonly secondsSinceReset: number | null;
  readonly space: RelationSpace[];
  /** hypopg's schema; null when it is not installed. */
  readonly hypopg: string | null;
  /** hypopg's verdicts on the missing-index suggestions, by CREATE INDEX statement (filled in after gathering). */
  suggestionChecks?: Record<string, SuggestionCheck>;
}

async function step<T>(label: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${label} failed: ${printable(pgErrorReason(e, timeoutMs))}`, { cause: e });
  }
}

/** Reads everything, inside the caller's READ ONLY transaction. */
async function gather(client: Client, opts: InspectOptions): Promise<Gathered> {
  const t = opts.statementTimeout;
  const db = tagged(client);
  const server = (await step('reading the server', t, () => db(SERVER_SQL))).rows[0];
  // Sessions first: they are about now (pg_stat_activity is read once per transaction, at its first use).
  const longRunning = await step('long-running sessions', t, () => longRunningQueries(db, LONG_RUNNING_SECONDS));
  const idle = (await step('idle-in-transaction sessions', t, () => idleInTransaction(db))).sessions;
  const tables = await step('pg_stat_user_tables', t, () => tableActivity(db));
  const indexes = await step('pg_stat_user_indexes', t, () => indexUsage(db));
  const pgStatStatements = await step('pg_extension', t, () => pgStatStatementsStatus(db));
  let statements: StatementStats[] | null = null;
  let statementsError: string | undefined;
  if (pgStatStatements.schema !== null && pgStatStatements.preloaded !== false) {
    // A failure here (not preloaded, no privilege) must not end the transaction: the rest still gets reported.
    await db('SAVEPOINT statements');
    try {
      statements = (await statementStats(db, pgStatStatements.schema, STATEMENT_LIMIT)).filter((s) => !s.query.startsWith(INSPECT_TAG));
      await db('RELEASE SAVEPOINT statements');
    } catch (e) {
      statementsError = pgErrorReason(e, t);
      await step('ROLLBACK TO SAVEPOINT', t, () => db('ROLLBACK TO SAVEPOINT statements'));
    }
  }
  const large = tables.filter((tb) => tb.liveTuples >= opts.minRows);
  const columns: Record<string, string[]> = {};
  if (large.length > 0) {
    const rows = (await step('pg_attribute', t, () => db(TABLE_COLUMNS_SQL, [large.map((tb) => tb.schema), large.map((tb) => tb.table)]))).rows;
    for (const row of rows) columns[`${row.nspname}.${row.relname}`] = (row.columns as unknown[]).map(String);
  }
  return {
    database: String(server.database),
    user: String(server.user_name),
    serverVersion: String(server.version),
    inRecovery: server.in_recovery === true,
    now: new Date(server.now as Date),
    statsReset: server.stats_reset ? new Date(server.stats_reset as Date) : null,
    tables,
    indexes,
    columns,
    pgStatStatements,
    statements,
    statementsError,
    cacheHit: await step('pg_statio_user_tables', t, () => cacheHitRatio(db)),
    deadTuples: await step('dead tuples', t, () => deadTupleRatios(db, opts.top)),
    longRunning,
    idleInTransaction: idle,
    vacuumStats: await step('pg_stat_user_tables (writes)', t, () => tableVacuumStats(db, opts.minRows)),
    autovacuum: await step('autovacuum settings', t, () => autovacuumSettings(db)),
    secondsSinceReset: server.stats_reset ? (new Date(server.now as Date).getTime() - new Date(server.stats_reset as Date).getTime()) / 1000 : null,
    space: await step('pg_class and pg_stats (bloat estimates)', t, () => relationSpace(db)),
    hypopg: await step('pg_extension (hypopg)', t, () => hypopgSchema(db)),
  };
}

// --- the report -------------------------------------------------------------------------------

/** An instance inspect read index scans from. */
export interface InstanceRead {
  /** `user@host:port/database` */
  readonly target: string;
  /** A standby (pg_is_in_recovery()). */
  readonly inRecovery: boolean;
  /** When its database's statistics were last reset (pg_stat_database.stats_reset); null if never. */
  readonly statsReset: string | null;
}

/** What inspect found; `inspect --json` prints it after the envelope, findings in the shared shape (inspectJson). */
export interface InspectReport {
  /** `user@host:port/database` */
  readonly target: string;
  readonly database: string;
  readonly user: string;
  readonly serverVersion: string;
  /** Connected to a standby (a read replica): its statistics are its own. */
  readonly inRecovery: boolean;
  /** The server's clock when the statistics were read. */
  readonly readAt: string;
  /** When the database's statistics were last reset; null if never. */
  readonly statisticsSince: string | null;
  /** The instances whose index scans were added up: the one connected to first, then each --replica. */
  readonly instances: InstanceRead[];
  readonly thresholds: Thresholds;
  readonly findings: Finding[];
  /** The --fail-on rules. */
  readonly failOn: RuleId[];
  /** The --fail-on rules that have findings (exit 3 when not empty). */
  readonly failed: RuleId[];
  /** Whether --json holds the statements' text (--include-query-text); without it every `query` is null. */
  readonly queryText: boolean;
  readonly missingIndexes: MissingIndex[];
  readonly unusedIndexes: IndexUsage[];
  readonly duplicateIndexes: { index: string; table: string; keyColumns: string[]; bytes: number | null; scans: number; kind: string; coveredBy: string; coveredByColumns: string[] }[];
  readonly nPlusOne: NPlusOneSuspect[];
  /** Indexes left INVALID (invalid-index). */
  readonly invalidIndexes: IndexUsage[];
  /** Per-table autovacuum settings to give (autovacuum-settings). */
  readonly autovacuumAdvice: AutovacuumAdvice[];
  /** Tables and btree indexes estimated at least twice the size their rows need (table-bloat, index-bloat). */
  readonly bloat: BloatEstimate[];
  /** Whether missing-index suggestions were checked with hypopg; when not, how to enable it. */
  readonly suggestions: { readonly verified: boolean; readonly advice: string | null };
  /** Statements the SQL parser could not read (left out of the statement rules); `parser` says why none could be read when it did not load. */
  readonly unparsableStatements: UnparsableStatements & { readonly parser: string | null };
  readonly pgStatStatements: PgStatStatementsStatus & { readonly available: boolean; readonly advice: string | null };
  /** null without pg_stat_statements. */
  readonly topStatements: { readonly byTotalTime: StatementStats[]; readonly byMeanTime: StatementStats[] } | null;
  /** Tables of at least minRows live rows, as the missing-index rule saw them. */
  readonly largeTables: TableActivity[];
  readonly health: {
    readonly cacheHitRatio: CacheHitRatio;
    readonly deadTuples: DeadTupleRatio[];
    readonly longRunning: SessionInfo[];
    readonly idleInTransaction: SessionInfo[];
  };
}

function buildReport(target: ConnectionTarget, g: Gathered, replicas: ReplicaRead[], a: HealthAnalysis, thresholds: Thresholds, failOn: RuleId[], top: number, queryText: boolean): InspectReport {
  return {
    target: describeTarget({ ...target, user: g.user, database: g.database }),
    database: g.database,
    user: g.user,
    serverVersion: g.serverVersion,
    inRecovery: g.inRecovery,
    readAt: g.now.toISOString(),
    statisticsSince: g.statsReset ? g.statsReset.toISOString() : null,
    instances: [
      { target: describeTarget({ ...target, user: g.user, database: g.database }), inRecovery: g.inRecovery, statsReset: g.statsReset ? g.statsReset.toISOString() : null },
      ...replicas.map((x) => x.instance),
    ],
    thresholds,
    findings: a.findings,
    failOn,
    failed: failedRules(a.findings, failOn),
    queryText,
    missingIndexes: a.missingIndexes,
    unusedIndexes: a.unusedIndexes,
    duplicateIndexes: a.redundantIndexes.map((r) => ({
      index: `${r.index.schema}.${r.index.index}`,
      table: `${r.index.schema}.${r.index.table}`,
      keyColumns: r.index.keyColumns,
      bytes: r.index.bytes,
      scans: r.index.scans,
      kind: r.kind,
      coveredBy: `${r.coveredBy.schema}.${r.coveredBy.index}`,
      coveredByColumns: r.coveredBy.keyColumns,
    })),
    nPlusOne: a.nPlusOne,
    invalidIndexes: a.invalidIndexes,
    autovacuumAdvice: a.autovacuumAdvice,
    bloat: a.bloat,
    suggestions: { verified: g.hypopg !== null, advice: g.hypopg !== null ? null : HYPOPG_ADVICE },
    unparsableStatements: { ...a.unparsable, parser: parserUnavailable() ?? null },
    pgStatStatements: { ...g.pgStatStatements, available: g.statements !== null, advice: a.pgStatStatementsAdvice },
    topStatements: g.statements === null ? null : {
      byTotalTime: topStatements(g.statements, 'total', top),
      byMeanTime: topStatements(g.statements, 'mean', top),
    },
    largeTables: g.tables.filter((t) => t.liveTuples >= thresholds.minRows),
    health: { cacheHitRatio: g.cacheHit, deadTuples: g.deadTuples, longRunning: g.longRunning, idleInTransaction: g.idleInTransaction },
  };
}

/** Connects, gathers in a READ ONLY transaction, analyzes, prints; resolves to the report. */
export async function runInspect(opts: InspectOptions, ctx: CommandContext): Promise<InspectReport> {
  const { io } = ctx;
  // Everything the operator typed is checked before anything is read.
  const failOn = parseFailOn(opts.failOn);
  if (opts.url !== undefined && opts.secretArn !== undefined) throw new UsageError('give --url or --secret-arn, not both');
  if (opts.secretArn !== undefined && opts.secretArn.trim() === '') throw new UsageError("--secret-arn '' names no secret: give the secret's ARN or name (the MonitoringSecretArn output)");
  if (opts.sslmode !== undefined) sslModeOf(opts.sslmode, '--sslmode');
  if (opts.includeQueryText && !opts.json) throw new UsageError('--include-query-text is for --json (the text report always shows statements, their literals replaced by $n)');
  for (const r of opts.replica ?? []) {
    if (r.trim() === '') throw new UsageError("--replica '' names no instance: give a postgresql:// URL or a Secrets Manager secret's ARN or name");
  }
  const secret = opts.secretArn ? await readSecret(opts.secretArn, ctx) : undefined;
  const target = connectionTarget(opts, io.env, secret);
  // A CA bundle that cannot be used is bad input (exit 2), found before connecting.
  targetTrust(target);
  const replicaTargets: ConnectionTarget[] = [];
  for (const r of opts.replica ?? []) {
    const isUrl = /^postgres(ql)?:\/\//.test(r);
    // --host/--port/--dbname are the first instance's (a tunnel to it); a replica's URL or secret says where it is.
    const t = connectionTarget({ url: isUrl ? r : undefined, sslmode: opts.sslmode, caFile: opts.caFile, dbname: isUrl ? undefined : target.database }, io.env, isUrl ? undefined : await readSecret(r, ctx));
    targetTrust(t);
    replicaTargets.push(t);
  }
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, minRows: opts.minRows, n1MinCalls: opts.n1MinCalls, n1MaxMeanMs: opts.n1MaxMeanMs };

  const client = await connect(target, opts.statementTimeout);
  // The parser's WASM compiles while inspect reads the statistics; it never rejects (a parser that did not load makes every statement unparsable, counted).
  const parserLoaded = loadParser();
  let gathered: Gathered;
  try {
    await step('BEGIN TRANSACTION READ ONLY', opts.statementTimeout, () => tagged(client)('BEGIN TRANSACTION READ ONLY'));
    gathered = await gather(client, opts);
    if (gathered.hypopg !== null) {
      await parserLoaded;
      gathered.suggestionChecks = await checkSuggestions(tagged(client), gathered, thresholds);
    }
  } finally {
    await tagged(client)('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  const replicas: ReplicaRead[] = [];
  for (const t of replicaTargets) replicas.push(await readReplica(t, opts.statementTimeout));
  await parserLoaded;
  const indexes = replicas.length === 0 ? gathered.indexes : gathered.indexes.map((ix) => ({
    ...ix, scans: ix.scans + replicas.reduce((sum, x) => sum + (x.scans.get(`${ix.schema}.${ix.index}`) ?? 0), 0),
  }));
  const analysis = analyze({ ...gathered, hypopg: gathered.hypopg !== null, indexes, instances: 1 + replicas.length }, thresholds);
  const report = buildReport(target, gathered, replicas, analysis, thresholds, failOn, opts.top, opts.includeQueryText === true);
  if (opts.json) printJson(io, 'inspect', inspectJson(report));
  else io.stdout(renderText(report, { top: opts.top, all: opts.all === true }));
  return report;
}

/** How many missing-index suggestions inspect checks with hypopg (the tables with most rows read sequentially first). */
const HYPOPG_CHECKS = 20;

/** hypopg's verdict on each missing-index suggestion (cli/query-health/hypopg.ts), in the caller's READ ONLY transaction. */
async function checkSuggestions(db: QueryFunction, g: Gathered, thresholds: Thresholds): Promise<Record<string, SuggestionCheck>> {
  const checks: Record<string, SuggestionCheck> = {};
  const statements = new Map((g.statements ?? []).map((s) => [s.queryId, s.query]));
  const missing = missingIndexes(g.tables, g.statements ?? [], { minRows: thresholds.minRows, indexes: g.indexes, columns: g.columns });
  for (const m of missing.slice(0, HYPOPG_CHECKS)) {
    const sug = m.suggestion;
    const statement = sug ? statements.get(sug.queryId) : undefined;
    if (!sug || sug.coveredBy || !statement || checks[sug.sql]) continue;
    const check = await checkSuggestion(db, g.hypopg!, statement, sug.sql);
    if (check) checks[sug.sql] = check;
  }
  return checks;
}

/** What inspect read from a --replica. */
interface ReplicaRead {
  readonly instance: InstanceRead;
  /** Index scans by `schema.index`. */
  readonly scans: Map<string, number>;
}

/** Reads a replica's index scans and statistics reset time, in a READ ONLY transaction as the first instance. */
async function readReplica(t: ConnectionTarget, timeoutMs: number): Promise<ReplicaRead> {
  const client = await connect(t, timeoutMs);
  try {
    const db = tagged(client);
    await step(`BEGIN TRANSACTION READ ONLY on ${printable(describeTarget(t))}`, timeoutMs, () => db('BEGIN TRANSACTION READ ONLY'));
    const server = (await step(`reading ${printable(describeTarget(t))}`, timeoutMs, () => db(SERVER_SQL))).rows[0];
    const scans = await step(`pg_stat_user_indexes on ${printable(describeTarget(t))}`, timeoutMs, () => indexScans(db));
    return {
      instance: {
        target: describeTarget({ ...t, user: String(server.user_name), database: String(server.database) }),
        inRecovery: server.in_recovery === true,
        statsReset: server.stats_reset ? new Date(server.stats_reset as Date).toISOString() : null,
      },
      scans,
    };
  } finally {
    await tagged(client)('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * An inspect finding in the shape every --json finding has (cli/json-output.ts): FAIL when its
 * rule is in --fail-on (it makes inspect exit 3), INFO for pg-stat-statements-missing (advice,
 * not a problem of the data), WARN otherwise.
 */
export function jsonFinding(f: Finding, failOn: readonly RuleId[], queryText = false): JsonFinding {
  const severity = failOn.includes(f.rule) ? 'FAIL' : f.rule === 'pg-stat-statements-missing' ? 'INFO' : 'WARN';
  const message = queryText && f.statement !== undefined ? `${f.message}: ${f.statement}` : f.message;
  return { rule: f.rule, severity, resource: f.target, title: RULES[f.rule], message, fix: f.fix };
}

/** A row whose statement text --json prints only with --include-query-text. */
type WithQueryText<T extends { readonly query: string | null }> = Omit<T, 'query'> & { readonly query: string | null };

/** What `inspect --json` prints after the envelope, but summary and findings. */
export interface InspectJsonBody extends Omit<InspectReport, 'findings' | 'missingIndexes' | 'nPlusOne' | 'topStatements' | 'health'> {
  readonly missingIndexes: (Omit<MissingIndex, 'statements'> & { readonly statements: WithQueryText<TableStatement>[] })[];
  readonly nPlusOne: WithQueryText<NPlusOneSuspect>[];
  readonly topStatements: { readonly byTotalTime: WithQueryText<StatementStats>[]; readonly byMeanTime: WithQueryText<StatementStats>[] } | null;
  readonly health: Omit<InspectReport['health'], 'longRunning' | 'idleInTransaction'> & {
    readonly longRunning: WithQueryText<SessionInfo>[];
    readonly idleInTransaction: WithQueryText<SessionInfo>[];
  };
}

/**
 * What `inspect --json` prints after the envelope: the report, its summary and findings last.
 * Without --include-query-text (`r.queryText` false) no statement text: every `query` is null
 * (the key stays, as --json's keys always do) and findings' messages leave the statement out.
 */
export function inspectJson(r: InspectReport): InspectJsonBody & { readonly summary: JsonSummary; readonly findings: JsonFinding[] } {
  const { findings, ...rest } = r;
  const text = <T extends { readonly query: string | null }>(row: T): WithQueryText<T> => (r.queryText ? row : { ...row, query: null });
  const body: InspectJsonBody = {
    ...rest,
    missingIndexes: r.missingIndexes.map((m) => ({ ...m, statements: m.statements.map(text) })),
    nPlusOne: r.nPlusOne.map(text),
    topStatements: r.topStatements === null ? null : { byTotalTime: r.topStatements.byTotalTime.map(text), byMeanTime: r.topStatements.byMeanTime.map(text) },
    health: { ...r.health, longRunning: r.health.longRunning.map(text), idleInTransaction: r.health.idleInTransaction.map(text) },
  };
  const json = findings.map((f) => jsonFinding(f, r.failOn, r.queryText));
  return { ...body, summary: summarizeFindings(json), findings: json };
}

// --- text -------------------------------------------------------------------------------------

function table(header: string[], rows: string[][], rightAligned: number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function when(d: Date | null | string): string {
  if (d === null) return 'never';
  return (typeof d === 'string' ? d : d.toISOString()).replace(/\.\d+Z$/, 'Z');
}

function findingLines(f: Finding, indent = '  '): string[] {
  return [`${indent}[${f.rule}] ${f.target}: ${f.message}${f.statement !== undefined ? `: ${f.statement}` : ''}`, `${indent}  fix: ${f.fix}`];
}

/** What the text report lists. */
export interface TextOptions {
  /** Findings listed per section before the rest is folded into one line. */
  readonly top: number;
  /** List everything. */
  readonly all: boolean;
}

/**
 * The report as readable text, bounded: each section lists its `top` findings with the most
 * impact and folds the rest into one line with their count and total size (cli/query-health/rank.ts),
 * unless `all`. Statements with their literals replaced by `$n`, and every line printable
 * (cli/terminal.ts): what the database holds (names, application_name, statements) was written
 * by its users.
 */
export function renderText(r: InspectReport, opts: TextOptions = { top: DEFAULT_TOP, all: false }): string {
  const out: string[] = [];
  const of = (rule: RuleId) => r.findings.filter((f) => f.rule === rule);
  const none = (what = 'none') => out.push(`  ${what}`);
  /** Lists a rule's findings, most impact first, the rest folded. */
  const section = (rule: RuleId, what: string, lines: (f: Finding) => string[] = (f) => findingLines(f), indent = '  ') => {
    const folded = fold(of(rule), opts.top, opts.all);
    if (folded.shown.length === 0) out.push(`${indent}none`);
    for (const f of folded.shown) out.push(...lines(f));
    const more = foldedLine(folded, what);
    if (more) out.push(`${indent}${more}`);
  };
  out.push(`db-playbook inspect: ${r.target} (PostgreSQL ${r.serverVersion}${r.inRecovery ? ', a standby: its own statistics' : ''})`);
  out.push(`statistics since ${r.statisticsSince ? when(r.statisticsSince) : 'never reset'}, read at ${when(r.readAt)}`);

  const advice = of('pg-stat-statements-missing');
  if (advice.length > 0) {
    out.push('', 'pg_stat_statements');
    for (const f of advice) out.push(...findingLines(f));
  }
  const u = r.unparsableStatements;
  if (u.parser !== null && r.topStatements !== null) out.push('', `SQL parser: ${u.parser}; the statement rules read no statement (${n(u.count)} left out)`);
  else if (u.count > 0) {
    out.push('', `SQL parser: ${n(u.count)} statement${u.count === 1 ? '' : 's'} PostgreSQL's grammar could not read, left out of the statement rules: `
      + `${u.examples.map((e) => `queryid ${e.queryId} (${e.error})`).join(', ')}${u.count > u.examples.length ? ', …' : ''}`);
  }

  out.push('', `Missing indexes: tables of >= ${n(r.thresholds.minRows)} rows whose indexes serve under 95 % of their scans, most rows read sequentially first`);
  if (r.missingIndexes.length > 0 && !r.suggestions.verified && r.suggestions.advice) out.push(`  suggestions unverified (heuristics from each statement's WHERE): ${r.suggestions.advice}`);
  const byTable = new Map(r.missingIndexes.map((m) => [m.table, m]));
  section('missing-index', 'tables read sequentially', (f) => {
    const m = byTable.get(f.target);
    const lines = findingLines(f).slice(0, 1);
    for (const s of (m?.statements ?? []).slice(0, 3)) {
      lines.push(`      ${n(s.calls)} calls, mean ${formatMs(s.meanMs)} ms${s.whereColumns.length > 0 ? `, WHERE ${s.whereColumns.join(', ')}` : ''}${s.unindexed ? ' (no index serves it)' : ''}: ${readableStatement(s.query, 110)}`);
    }
    lines.push(`    fix: ${f.fix}`);
    return lines;
  });

  out.push('', 'Unused indexes: never scanned, enforcing nothing, largest first');
  if (r.instances.length > 1) out.push(`  scans added up over ${r.instances.length} instances: ${r.instances.map((i) => `${i.target} (statistics since ${i.statsReset ? when(i.statsReset) : 'never reset'})`).join(', ')}`);
  section('unused-index', 'unused indexes');
  out.push('', 'Invalid indexes: left INVALID by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY');
  section('invalid-index', 'invalid indexes');
  out.push('', 'Duplicate and prefix-redundant indexes');
  section('duplicate-index', 'duplicate indexes');
  out.push('', 'Bloat: tables and btree indexes an estimated 2x or more the size their rows need, most to gain first');
  section('table-bloat', 'bloated tables');
  section('index-bloat', 'bloated indexes');

  out.push('', `N+1 suspects: >= ${n(r.thresholds.n1MinCalls)} calls, mean < ${r.thresholds.n1MaxMeanMs} ms, one row per call by a single key`);
  if (r.topStatements === null) none('(needs pg_stat_statements)');
  else section('n-plus-one', 'N+1 suspects');

  const statementRows = (list: StatementStats[]) => list.map((s) => [n(s.calls), formatMs(s.totalMs), formatMs(s.meanMs), n(s.rows), readableStatement(s.query, 100)]);
  for (const [title, list] of [['Top statements by total time', r.topStatements?.byTotalTime], ['Top statements by mean time', r.topStatements?.byMeanTime]] as const) {
    out.push('', title);
    if (!list) none('(needs pg_stat_statements)');
    else if (list.length === 0) none('no statements recorded yet');
    else out.push(...table(['calls', 'total ms', 'mean ms', 'rows', 'statement'], statementRows(list), [0, 1, 2, 3]).map((l) => `  ${l}`));
  }

  out.push('', 'Health');
  const c = r.health.cacheHitRatio;
  out.push(`  buffer cache hit ratio: ${c.ratio === null ? 'no heap accesses yet' : `${(c.ratio * 100).toFixed(2)} %`} (${n(c.heapHit)} hits, ${n(c.heapRead)} reads; the playbook: > 99 %)`);
  for (const f of of('low-cache-hit')) out.push(...findingLines(f));
  out.push('  dead tuples and vacuum, worst tables first:');
  if (r.health.deadTuples.length === 0) none('  no user tables');
  else {
    out.push(...table(['table', 'live', 'dead', 'dead %', 'last vacuum', 'last autovacuum'], r.health.deadTuples.map((t) => [
      printable(t.name), n(t.liveTuples), n(t.deadTuples), t.ratio === null ? '-' : (t.ratio * 100).toFixed(1), when(t.lastVacuum), when(t.lastAutovacuum),
    ]), [1, 2, 3]).map((l) => `    ${l}`));
  }
  for (const f of of('dead-tuples')) out.push(...findingLines(f));
  out.push('  autovacuum settings per table: tables the global thresholds do not fit, most dead tuples per second first');
  section('autovacuum-settings', 'tables to give their own autovacuum settings', (f) => findingLines(f, '    '), '    ');
  out.push(`  sessions running longer than ${LONG_RUNNING_SECONDS} s: ${r.health.longRunning.length}`);
  for (const f of of('long-running').slice(0, opts.all ? undefined : opts.top)) out.push(...findingLines(f, '    '));
  out.push(`  sessions idle in transaction: ${r.health.idleInTransaction.length}`);
  for (const f of of('idle-in-transaction').slice(0, opts.all ? undefined : opts.top)) out.push(...findingLines(f, '    '));

  const counts = RULE_IDS.map((rule) => [rule, of(rule).length] as const).filter(([, k]) => k > 0);
  out.push('', `${n(r.findings.length)} finding${r.findings.length === 1 ? '' : 's'}${counts.length > 0 ? `: ${counts.map(([rule, k]) => `${rule} ${n(k)}`).join(', ')}` : ''}`);
  if (r.failOn.length > 0) {
    out.push(r.failed.length > 0 ? `--fail-on: ${r.failed.join(', ')} found: exit ${EXIT.CHECK_FAILED}` : `--fail-on ${r.failOn.join(',')}: none found`);
  }
  return `${out.map(printable).join('\n')}\n`;
}
