/**
 * PostgreSQL health queries: the SQL behind the PostgresMetrics collector
 * (lambda/postgres-metrics) and `db-playbook inspect`, kept in one place so that the two
 * always measure the same thing the same way. No AWS here, and no connection handling: each
 * function takes something that runs a query (a `pg` Client, PoolClient or Pool, or a plain
 * function) and returns typed, shaped results.
 *
 * Every statement is a read-only SELECT / SHOW on PostgreSQL's statistics views and catalogs:
 * safe inside a READ ONLY transaction, which is how both callers run them. Time limits
 * (statement_timeout) are the caller's to set on the connection.
 *
 * Session-level figures (pg_stat_activity, pg_replication_slots, pg_database) are cluster-wide;
 * table-level figures (pg_statio_user_tables, pg_stat_user_tables) are those of the database
 * connected to. pg_stat_activity shows the state of other roles' sessions only to superusers
 * and members of pg_read_all_stats (pg_monitor; RDS's rds_superuser has it): for a role without
 * it, other roles' sessions have no state and count as `other`.
 *
 * Written for PostgreSQL 13 or later (pg_replication_slots.wal_status).
 */
import type { ClientBase } from 'pg';

// --- running queries --------------------------------------------------------------------------

/** A plain function that runs one parameterized statement. */
export type QueryFunction = (sql: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** What the health functions run their SQL on: a `pg` Client / PoolClient / Pool, or a function. */
export type PgQueryable = Pick<ClientBase, 'query'> | QueryFunction;

async function rowsOf(db: PgQueryable, sql: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
  const result = typeof db === 'function' ? await db(sql, values) : await db.query(sql, values);
  return result.rows;
}

/** int8 and numeric arrive from `pg` as strings; float8 and int4 as numbers. */
function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

function toText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

// --- buffer cache hit ratio -------------------------------------------------------------------

/**
 * The playbook's cache hit ratio query ("ideally > 99 %"), verbatim but for one guard: the
 * divisor is wrapped in NULLIF(…, 0). Without it, a database whose user tables have had no
 * heap block access since the statistics were reset fails with `division by zero` (22012)
 * instead of answering; with it, the ratio is NULL there, as it is when there are no user
 * tables at all (the sums are NULL then).
 */
export const CACHE_HIT_RATIO_SQL = `SELECT
  sum(heap_blks_read) as heap_read,
  sum(heap_blks_hit) as heap_hit,
  sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) as ratio
FROM pg_statio_user_tables`;

/** Heap block accesses of the connected database's user tables since the statistics were reset. */
export interface CacheHitRatio {
  /** Blocks read from outside shared buffers (the OS cache or disk). 0 when there are no user tables. */
  readonly heapRead: number;
  /** Blocks found in shared buffers. 0 when there are no user tables. */
  readonly heapHit: number;
  /** heapHit / (heapHit + heapRead), 0 to 1; null when there were no accesses (or no user tables). */
  readonly ratio: number | null;
}

/** The playbook's buffer cache hit ratio (see CACHE_HIT_RATIO_SQL). */
export async function cacheHitRatio(db: PgQueryable): Promise<CacheHitRatio> {
  const [row] = await rowsOf(db, CACHE_HIT_RATIO_SQL);
  return {
    heapRead: toNumber(row?.heap_read) ?? 0,
    heapHit: toNumber(row?.heap_hit) ?? 0,
    ratio: toNumber(row?.ratio),
  };
}

// --- sessions ---------------------------------------------------------------------------------

/** The playbook's limit: "any query running longer than 5 seconds should trigger an alert". */
export const LONG_RUNNING_SECONDS = 5;

/** A client session (pg_stat_activity) a health check points at. */
export interface SessionInfo {
  readonly pid: number;
  readonly database: string | null;
  readonly user: string | null;
  readonly applicationName: string | null;
  readonly clientAddress: string | null;
  /** pg_stat_activity.state, e.g. `active` or `idle in transaction`. */
  readonly state: string | null;
  /** What the session waits on now (e.g. `Lock`, `Timeout`), if anything. */
  readonly waitEventType: string | null;
  readonly waitEvent: string | null;
  /** Seconds since the current query started (the last one, for an idle session). */
  readonly querySeconds: number | null;
  /** Seconds since the session's transaction started; null outside a transaction. */
  readonly transactionSeconds: number | null;
  /** Seconds since the session entered its current state. */
  readonly stateSeconds: number | null;
  /** The first 1000 characters of the current (or last) statement. */
  readonly query: string | null;
}

// Durations are measured from now() (the start of the caller's transaction): a session that
// changed state after that has a negative difference, shown as 0. Only client backends are
// looked at: a walsender is `active` for as long as it streams, and a parallel worker
// repeats its leader's query.
const SESSION_COLUMNS = `pid, datname, usename, application_name, client_addr::text AS client_addr, state,
  wait_event_type, wait_event,
  greatest(extract(epoch FROM now() - query_start), 0)::float8 AS query_seconds,
  greatest(extract(epoch FROM now() - xact_start), 0)::float8 AS transaction_seconds,
  greatest(extract(epoch FROM now() - state_change), 0)::float8 AS state_seconds,
  left(query, 1000) AS query`;

/** Statements running longer than $1 seconds, longest first, not counting the session asking. */
export const LONG_RUNNING_QUERIES_SQL = `SELECT ${SESSION_COLUMNS}
FROM pg_stat_activity
WHERE backend_type = 'client backend'
  AND state = 'active'
  AND pid <> pg_backend_pid()
  AND now() - query_start > make_interval(secs => $1)
ORDER BY query_start, pid`;

/** Sessions idle inside an open transaction (holding locks and snapshots), idle the longest first. */
export const IDLE_IN_TRANSACTION_SQL = `SELECT ${SESSION_COLUMNS}
FROM pg_stat_activity
WHERE backend_type = 'client backend'
  AND state IN ('idle in transaction', 'idle in transaction (aborted)')
ORDER BY state_change, pid`;

function toSession(row: Record<string, unknown>): SessionInfo {
  return {
    pid: toNumber(row.pid) ?? 0,
    database: toText(row.datname),
    user: toText(row.usename),
    applicationName: toText(row.application_name),
    clientAddress: toText(row.client_addr),
    state: toText(row.state),
    waitEventType: toText(row.wait_event_type),
    waitEvent: toText(row.wait_event),
    querySeconds: toNumber(row.query_seconds),
    transactionSeconds: toNumber(row.transaction_seconds),
    stateSeconds: toNumber(row.state_seconds),
    query: toText(row.query),
  };
}

/**
 * The statements that have been running for more than `thresholdSeconds` (state `active`,
 * now() − query_start above the threshold), in every database, longest first; the session
 * asking is not one of them.
 */
export async function longRunningQueries(db: PgQueryable, thresholdSeconds = LONG_RUNNING_SECONDS): Promise<SessionInfo[]> {
  if (!Number.isFinite(thresholdSeconds) || thresholdSeconds < 0) {
    throw new Error(`thresholdSeconds must be a number >= 0 (got ${thresholdSeconds})`);
  }
  return (await rowsOf(db, LONG_RUNNING_QUERIES_SQL, [thresholdSeconds])).map(toSession);
}

/** Sessions idle in a transaction (including aborted ones). */
export interface IdleInTransaction {
  readonly count: number;
  /** The longest time one of them has been idle, in seconds; null when there are none. */
  readonly maxIdleSeconds: number | null;
  /** The age of the oldest of their transactions, in seconds; null when there are none. */
  readonly maxTransactionSeconds: number | null;
  /** The sessions, idle the longest first. */
  readonly sessions: SessionInfo[];
}

/** Sessions in state `idle in transaction` or `idle in transaction (aborted)`, in every database. */
export async function idleInTransaction(db: PgQueryable): Promise<IdleInTransaction> {
  const sessions = (await rowsOf(db, IDLE_IN_TRANSACTION_SQL)).map(toSession);
  const max = (values: (number | null)[]): number | null => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : Math.max(...known);
  };
  return {
    count: sessions.length,
    maxIdleSeconds: max(sessions.map((s) => s.stateSeconds)),
    maxTransactionSeconds: max(sessions.map((s) => s.transactionSeconds)),
    sessions,
  };
}

// --- connections ------------------------------------------------------------------------------

/** Client connections by pg_stat_activity.state, with NULL counted as '' (no state visible). */
export const CONNECTIONS_BY_STATE_SQL = `SELECT coalesce(state, '') AS state, count(*)::int AS connections
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY 1
ORDER BY 1`;

/** Client connections (backend_type `client backend`, every database, the asking one included). */
export interface ConnectionsByState {
  readonly active: number;
  readonly idle: number;
  /** `idle in transaction` and `idle in transaction (aborted)`. */
  readonly idleInTransaction: number;
  /** Any other state: `fastpath function call`, `disabled`, or not visible to the asking role. */
  readonly other: number;
  readonly total: number;
  /** Every state seen, as pg_stat_activity names it ('' for no visible state). */
  readonly byState: Record<string, number>;
}

/** Counts client connections by state. */
export async function connectionsByState(db: PgQueryable): Promise<ConnectionsByState> {
  const byState: Record<string, number> = {};
  for (const row of await rowsOf(db, CONNECTIONS_BY_STATE_SQL)) byState[String(row.state)] = toNumber(row.connections) ?? 0;
  const count = (...states: string[]) => states.reduce((sum, s) => sum + (byState[s] ?? 0), 0);
  const total = Object.values(byState).reduce((sum, n) => sum + n, 0);
  const active = count('active');
  const idle = count('idle');
  const idleInTransaction = count('idle in transaction', 'idle in transaction (aborted)');
  return { active, idle, idleInTransaction, other: total - active - idle - idleInTransaction, total, byState };
}

/** The server's max_connections (`SHOW max_connections`). */
export async function maxConnections(db: PgQueryable): Promise<number> {
  const [row] = await rowsOf(db, 'SHOW max_connections');
  const value = toNumber(row?.max_connections);
  if (value === null || value <= 0) throw new Error(`SHOW max_connections answered ${JSON.stringify(row?.max_connections)}`);
  return value;
}

/** Connections in use as a percentage (0-100, more if over) of max_connections. */
export function connectionsUsedPercent(connections: Pick<ConnectionsByState, 'total'>, max: number): number {
  if (!(max > 0)) throw new Error(`max_connections must be > 0 (got ${max})`);
  return (connections.total / max) * 100;
}

// --- transaction id wraparound ----------------------------------------------------------------

/** The database closest to transaction-id wraparound: max(age(datfrozenxid)) over pg_database. */
export const OLDEST_XID_AGE_SQL = `SELECT datname, age(datfrozenxid)::int8 AS xid_age
FROM pg_database
ORDER BY age(datfrozenxid) DESC, datname
LIMIT 1`;

/** How many transactions ago the oldest unfrozen transaction id of any database is. */
export interface OldestXidAge {
  /** max(age(datfrozenxid)); wraparound protection stops writes near 2^31 (about 2.1e9). */
  readonly age: number;
  /** The database it belongs to. */
  readonly database: string;
}

/** max(age(datfrozenxid)) over pg_database, and which database has it. */
export async function oldestXidAge(db: PgQueryable): Promise<OldestXidAge> {
  const [row] = await rowsOf(db, OLDEST_XID_AGE_SQL);
  if (!row) throw new Error('pg_database has no rows');
  return { age: toNumber(row.xid_age) ?? 0, database: String(row.datname) };
}

// --- dead tuples ------------------------------------------------------------------------------

/** User tables of the connected database by dead-tuple ratio, worst first, at most $1. */
export const DEAD_TUPLE_RATIOS_SQL = `SELECT schemaname, relname, n_live_tup, n_dead_tup,
  n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0) AS dead_ratio,
  last_vacuum, last_autovacuum
FROM pg_stat_user_tables
ORDER BY dead_ratio DESC NULLS LAST, n_dead_tup DESC, schemaname, relname
LIMIT $1`;

/** One table's dead tuples (pg_stat_user_tables estimates). */
export interface DeadTupleRatio {
  readonly schema: string;
  readonly table: string;
  /** `schema.table` */
  readonly name: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  /** deadTuples / (liveTuples + deadTuples), 0 to 1; null for a table with neither. */
  readonly ratio: number | null;
  readonly lastVacuum: Date | null;
  readonly lastAutovacuum: Date | null;
}

/** The `limit` user tables of the connected database with the highest dead-tuple ratio, worst first. */
export async function deadTupleRatios(db: PgQueryable, limit = 5): Promise<DeadTupleRatio[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be an integer >= 1 (got ${limit})`);
  return (await rowsOf(db, DEAD_TUPLE_RATIOS_SQL, [limit])).map((row) => ({
    schema: String(row.schemaname),
    table: String(row.relname),
    name: `${row.schemaname}.${row.relname}`,
    liveTuples: toNumber(row.n_live_tup) ?? 0,
    deadTuples: toNumber(row.n_dead_tup) ?? 0,
    ratio: toNumber(row.dead_ratio),
    lastVacuum: toDate(row.last_vacuum),
    lastAutovacuum: toDate(row.last_autovacuum),
  }));
}

// --- replication slots ------------------------------------------------------------------------

/**
 * Replication slots and the WAL each holds back: bytes from its restart_lsn to the current WAL
 * position (pg_current_wal_lsn() on a primary; the last replayed position on a standby, where
 * pg_current_wal_lsn() is not available). Most behind first.
 */
export const REPLICATION_SLOT_LAG_SQL = `SELECT slot_name, slot_type, database, active, wal_status,
  pg_wal_lsn_diff(
    CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
    restart_lsn) AS lag_bytes
FROM pg_replication_slots
ORDER BY lag_bytes DESC NULLS LAST, slot_name`;

/** One replication slot. */
export interface ReplicationSlotLag {
  readonly name: string;
  /** `physical` or `logical`. */
  readonly type: string;
  /** The database of a logical slot; null for a physical one. */
  readonly database: string | null;
  /** Whether a consumer is connected. */
  readonly active: boolean;
  /** `reserved`, `extended`, `unreserved` or `lost`; null when the slot holds no WAL. */
  readonly walStatus: string | null;
  /** WAL bytes the slot retains; null when it has no restart_lsn (never reserved WAL). */
  readonly lagBytes: number | null;
}

/** Every replication slot with the WAL it holds back, most first; empty when there are none. */
export async function replicationSlotLag(db: PgQueryable): Promise<ReplicationSlotLag[]> {
  return (await rowsOf(db, REPLICATION_SLOT_LAG_SQL)).map((row) => ({
    name: String(row.slot_name),
    type: String(row.slot_type),
    database: toText(row.database),
    active: row.active === true,
    walStatus: toText(row.wal_status),
    lagBytes: toNumber(row.lag_bytes),
  }));
}

// --- errors -----------------------------------------------------------------------------------

/** The SQLSTATE or Node.js error code of an error (the first one of an AggregateError). */
export function pgErrorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] } | null | undefined;
  if (typeof err?.code === 'string') return err.code;
  if (Array.isArray(err?.errors) && err.errors.length > 0) return pgErrorCode(err.errors[0]);
  return undefined;
}

/**
 * Why a connection or a statement failed, in words an operator can act on: a network error
 * code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT ...), a time limit (`timeoutMs`, the caller's),
 * a refused certificate, or PostgreSQL's message with its SQLSTATE.
 */
export function pgErrorReason(e: unknown, timeoutMs?: number): string {
  const code = pgErrorCode(e);
  const message = e instanceof Error ? e.message : String(e);
  const limit = timeoutMs === undefined ? '' : ` within ${timeoutMs} ms`;
  if (code === '57014') return `statement timed out${limit} (statement_timeout, 57014)`;
  if (/query read timeout/i.test(message)) return `no answer${limit} (query_timeout)`;
  // pg's messages for connectionTimeoutMillis: 'timeout expired' (8.x), 'Connection terminated due to connection timeout' (older).
  if (/timeout expired|connection timeout/i.test(message)) return `no connection${limit}`;
  if (code && /^E[A-Z]+$/.test(code)) return message && !message.includes(code) ? `${code}: ${message}` : (message || code);
  if (code && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO/.test(code)) {
    return `TLS certificate not accepted: ${message} (${code}; is the RDS CA bundle in NODE_EXTRA_CA_CERTS?)`;
  }
  return code ? `${message} (${code})` : message;
}
