/**
 * The PostgresMetrics collector: a scheduled function (EventBridge, every minute) in the
 * database's VPC that publishes what CloudWatch does not measure for RDS: the playbook's buffer
 * cache hit ratio, statements running longer than 5 s, idle-in-transaction sessions,
 * connections by state and as a share of max_connections, the oldest transaction-id age, the
 * dead-tuple ratio of the worst tables, and replication-slot lag. "You cannot fix what you
 * cannot measure."
 *
 * Each invocation connects, runs the shared health queries (shared/pg-health.ts, via
 * metrics.ts) in one READ ONLY transaction, and prints exactly ONE CloudWatch Embedded Metric
 * Format line. The event is not read: every invocation collects.
 *
 * Metrics (namespace METRIC_NAMESPACE, dimension DBInstanceIdentifier = DB_INSTANCE_ID):
 *   CollectorError                 Count    0 when the collection succeeded, 1 when it did not
 *   BufferCacheHitRatio            Percent  the playbook's pg_statio_user_tables ratio × 100;
 *                                           left out while there have been no heap accesses
 *   LongRunningQueries             Count    statements active for more than 5 s
 *   IdleInTransactionSessions      Count
 *   IdleInTransactionMaxSeconds    Seconds  longest idle time of those (0 when none)
 *   ConnectionsActive / ConnectionsIdle / ConnectionsIdleInTransaction / ConnectionsTotal  Count
 *   ConnectionsUsedPercent         Percent  ConnectionsTotal / max_connections × 100
 *   OldestXidAge                   Count    max(age(datfrozenxid)) over pg_database
 *   MaxDeadTupleRatio              Percent  the worst table's dead / (live + dead) × 100
 *   ReplicationSlotMaxLagBytes     Bytes    WAL held back by the most-lagging slot (0: none)
 * Properties name what the numbers point at (the worst tables, the long-running sessions'
 * pids, the slots); never query text.
 *
 * When the database cannot be reached, refuses the login, or a query fails or times out, the
 * line carries CollectorError = 1 and CollectorErrorReason, and the function returns normally:
 * a scheduled invocation that threw would be retried by Lambda, piling retries onto a database
 * that is already in trouble. Only a failure to write the log line itself could throw.
 *
 * Environment:
 *   SECRET_ARN        (required) Secrets Manager secret, JSON `username`, `password`, and
 *                     usually `host`, `port`, `dbname` (as RDS writes them). Read once per
 *                     execution environment; read again when the password is refused (rotation).
 *   DB_HOST, DB_PORT, DB_NAME   override the secret's host, port and dbname. DB_NAME defaults
 *                     to the secret's `dbname`, else 'postgres'; the table figures (cache hit
 *                     ratio, dead tuples) are that database's.
 *   DB_SSL            'verify-full' (default): TLS, the certificate chain verified against
 *                     DB_CA_FILE only (never Node's public roots nor NODE_EXTRA_CA_CERTS) and its
 *                     name against the host; 'disable': no TLS, for tests against a local server only.
 *   DB_CA_FILE        the CA bundle (PEM) verify-full trusts. Default '/var/runtime/ca-cert.pem',
 *                     the Lambda Node.js runtimes' bundle of the RDS certificate authorities. Read
 *                     once per execution environment; unreadable or without a certificate, every
 *                     collection fails naming it (there is no fallback to other roots).
 *   DB_INSTANCE_ID    the DBInstanceIdentifier dimension's value. Unset: no dimension.
 *   METRIC_NAMESPACE  default 'CdkDbPlaybook/PostgreSQL'.
 *   QUERY_TIMEOUT_MS  limit for connecting and for each statement (statement_timeout).
 *                     Default 5000. The whole collection also ends (as an error) a second
 *                     before the invocation would time out.
 *
 * The database role needs to log in and read the statistics views; to see other roles'
 * sessions it needs pg_monitor (RDS's master user has it through rds_superuser).
 *
 * Packaging: bundled by scripts/bundle-handlers.mjs into assets/postgres-metrics/index.js,
 * handler `index.handler`.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientConfig } from 'pg';
import { pgErrorCode, pgErrorReason } from '../../shared/pg-health';
import { Collection, CollectionError, collectSnapshot, DEFAULT_METRIC_NAMESPACE, metricLine } from './metrics';
import { boundedClient, caBundleReader, certificateRefusal, DEFAULT_CA_FILE, verifyFullSsl } from '../../shared/pg-client';
import { DbSecret, parseSecret } from '../../shared/db-secret';

export { DEFAULT_METRIC_NAMESPACE } from './metrics';

export const DEFAULT_TIMEOUT_MS = 5_000;
/** Time kept back from the invocation's remaining time to print the metric line. */
const LOG_MARGIN_MS = 1_000;
const INVALID_PASSWORD = '28P01';
const MAX_REASON_LENGTH = 1000;

// --- configuration ----------------------------------------------------------------------------

/** The collector's settings, read from its environment (but the namespace and dimension). */
export interface CollectorConfig {
  readonly secretArn: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbName?: string;
  readonly ssl: 'verify-full' | 'disable';
  /** The CA bundle verify-full trusts. */
  readonly caFile: string;
  readonly timeoutMs: number;
}

/** Reads the environment (see the file comment); throws a clear Error for a bad value. */
export function readConfig(env: NodeJS.ProcessEnv): CollectorConfig {
  const secretArn = env.SECRET_ARN?.trim();
  if (!secretArn) throw new Error('SECRET_ARN is not set: the collector needs the database credentials secret');
  const ssl = env.DB_SSL?.trim() || 'verify-full';
  if (ssl !== 'verify-full' && ssl !== 'disable') throw new Error(`DB_SSL must be 'verify-full' or 'disable' (got '${ssl}')`);
  let port: number | undefined;
  if (env.DB_PORT?.trim()) {
    port = Number(env.DB_PORT);
    if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new Error(`DB_PORT must be a port number 1-65535 (got '${env.DB_PORT}')`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (env.QUERY_TIMEOUT_MS?.trim()) {
    timeoutMs = Number(env.QUERY_TIMEOUT_MS);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 100) throw new Error(`QUERY_TIMEOUT_MS must be an integer >= 100 (got '${env.QUERY_TIMEOUT_MS}')`);
  }
  return {
    secretArn,
    host: env.DB_HOST?.trim() || undefined,
    port,
    dbName: env.DB_NAME?.trim() || undefined,
    ssl,
    caFile: env.DB_CA_FILE?.trim() || DEFAULT_CA_FILE,
    timeoutMs,
  };
}

// --- the secret -------------------------------------------------------------------------------

/** The database credentials and (usually) endpoint from the secret. */
export type { DbSecret } from '../../shared/db-secret';
export { parseSecret } from '../../shared/db-secret';

// --- the handler ------------------------------------------------------------------------------

/** What the handler uses; every member has a production default. */
export interface HandlerDeps {
  /** Reads the credentials secret. @default GetSecretValue (AWSCURRENT) with a SecretsManagerClient */
  readonly readSecret?: (secretArn: string) => Promise<DbSecret>;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the metric line. @default console.log */
  readonly log?: (line: string) => void;
  /** The clock (the metric line's timestamp), in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis?(): number;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function failure(reason: string): Collection {
  return { ok: false, reason: reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` };
}

/**
 * Connects, collects inside a READ ONLY transaction, disconnects. Never throws: a failure is a
 * Collection with the reason (and the error code, to spot a refused password).
 */
async function connectAndCollect(connection: ClientConfig, timeoutMs: number, caFile: string): Promise<{ collection: Collection; code?: string }> {
  const target = `${connection.host}:${connection.port}/${connection.database}`;
  const client = boundedClient(connection, 'postgres-metrics', timeoutMs);
  try {
    try {
      await client.connect();
    } catch (e) {
      const reason = certificateRefusal(e, String(connection.host), caFile) ?? pgErrorReason(e, timeoutMs);
      return { collection: failure(`cannot connect to ${target}: ${reason}`), code: pgErrorCode(e) };
    }
    await client.query('BEGIN TRANSACTION READ ONLY');
    return { collection: { ok: true, snapshot: await collectSnapshot(client, String(connection.database)) } };
  } catch (e) {
    const [step, error] = e instanceof CollectionError ? [e.step, e.error] : ['BEGIN', e];
    return { collection: failure(`${step} failed on ${target}: ${pgErrorReason(error, timeoutMs)}`), code: pgErrorCode(error) };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** Resolves to `work`'s result, or to a failure once `ms` have passed. */
async function withDeadline(work: Promise<Collection>, ms: number): Promise<Collection> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Collection>((resolve) => {
    timer = setTimeout(() => resolve(failure(`the collection did not finish within ${ms} ms (the invocation's remaining time)`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the handler; `handler` below is the one Lambda runs. */
export function createHandler(deps: HandlerDeps = {}): (event?: unknown, context?: InvocationContext) => Promise<Collection> {
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => console.log(line));
  const now = deps.now ?? Date.now;
  let readSecret = deps.readSecret;
  if (!readSecret) {
    // Created once per execution environment; the region and credentials come from the runtime.
    const secrets = new SecretsManagerClient({});
    readSecret = async (secretArn) => parseSecret((await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString, secretArn);
  }
  const read = readSecret;
  /** The secret, kept between invocations of this execution environment. */
  let cached: { arn: string; secret: DbSecret } | undefined;
  /** DB_CA_FILE's certificates, likewise. */
  const caBundle = caBundleReader();

  async function secretFor(arn: string, fresh: boolean): Promise<DbSecret> {
    if (fresh || cached?.arn !== arn) {
      cached = undefined;
      let secret: DbSecret;
      try {
        secret = await read(arn);
      } catch (e) {
        throw new Error(`cannot read secret ${arn}: ${messageOf(e)}`, { cause: e });
      }
      cached = { arn, secret };
    }
    return cached!.secret;
  }

  async function collect(config: CollectorConfig, timeoutMs: number): Promise<Collection> {
    // Before the secret: without its CAs, verify-full cannot connect anywhere.
    const ca = config.ssl === 'verify-full' ? caBundle(config.caFile) : undefined;
    const attempt = async (fresh: boolean) => {
      const secret = await secretFor(config.secretArn, fresh);
      const host = config.host ?? secret.host;
      if (!host) throw new Error(`no database host: set DB_HOST or put 'host' in secret ${config.secretArn}`);
      return connectAndCollect({
        host,
        port: config.port ?? secret.port ?? 5432,
        database: config.dbName ?? secret.dbname ?? 'postgres',
        user: secret.username,
        password: secret.password,
        ssl: ca === undefined ? false : verifyFullSsl(host, ca),
      }, timeoutMs, config.caFile);
    };
    const wasCached = cached?.arn === config.secretArn;
    const first = await attempt(false);
    // A refused password from a kept secret: it may have been rotated since. Read it again, once.
    if (first.code === INVALID_PASSWORD && wasCached) return (await attempt(true)).collection;
    return first.collection;
  }

  return async function handler(_event?: unknown, context?: InvocationContext): Promise<Collection> {
    // Read on their own, so that even a refused configuration is reported under them.
    const namespace = env.METRIC_NAMESPACE?.trim() || DEFAULT_METRIC_NAMESPACE;
    const instanceId = env.DB_INSTANCE_ID?.trim() || undefined;
    let collection: Collection;
    try {
      const config = readConfig(env);
      const remaining = context?.getRemainingTimeInMillis?.();
      const budget = remaining === undefined ? undefined : Math.max(500, remaining - LOG_MARGIN_MS);
      const timeoutMs = budget === undefined ? config.timeoutMs : Math.min(config.timeoutMs, budget);
      // Never rejects: after the deadline nobody would handle the rejection.
      const work = collect(config, timeoutMs).catch((e: unknown) => failure(messageOf(e)));
      collection = budget === undefined ? await work : await withDeadline(work, budget);
    } catch (e) {
      collection = failure(messageOf(e));
    }
    log(metricLine(namespace, instanceId, collection, now()));
    return collection;
  };
}

/** The Lambda entry point (`index.handler`). */
export const handler = createHandler();
