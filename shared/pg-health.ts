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

// --- table and index activity -----------------------------------------------------------------

/**
 * User tables of the connected database: how they are read (sequential against index scans,
 * since the statistics were reset), their size, dead tuples and (auto)vacuum / analyze times.
 * pg_relation_size is the main fork (the heap) only; pg_indexes_size all the table's indexes.
 */
export const TABLE_ACTIVITY_SQL = `SELECT schemaname, relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch,
  n_live_tup, n_dead_tup, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze,
  pg_relation_size(relid) AS table_bytes, pg_indexes_size(relid) AS index_bytes
FROM pg_stat_user_tables
ORDER BY schemaname, relname`;

/** How one user table is read (pg_stat_user_tables counters and estimates). */
export interface TableActivity {
  readonly schema: string;
  readonly table: string;
  /** `schema.table` */
  readonly name: string;
  /** Sequential scans started on the table. */
  readonly seqScans: number;
  /** Rows those sequential scans returned. */
  readonly seqTuplesRead: number;
  /** Index scans on any of its indexes; null when the table has no index. */
  readonly indexScans: number | null;
  readonly indexTuplesFetched: number | null;
  readonly liveTuples: number;
  readonly deadTuples: number;
  /** The heap's size; null when the table went away while being read. */
  readonly tableBytes: number | null;
  /** All its indexes together. */
  readonly indexBytes: number | null;
  readonly lastVacuum: Date | null;
  readonly lastAutovacuum: Date | null;
  readonly lastAnalyze: Date | null;
  readonly lastAutoanalyze: Date | null;
}

/** Every user table of the connected database with its scan counters, sizes and vacuum times. */
export async function tableActivity(db: PgQueryable): Promise<TableActivity[]> {
  return (await rowsOf(db, TABLE_ACTIVITY_SQL)).map((row) => ({
    schema: String(row.schemaname),
    table: String(row.relname),
    name: `${row.schemaname}.${row.relname}`,
    seqScans: toNumber(row.seq_scan) ?? 0,
    seqTuplesRead: toNumber(row.seq_tup_read) ?? 0,
    indexScans: toNumber(row.idx_scan),
    indexTuplesFetched: toNumber(row.idx_tup_fetch),
    liveTuples: toNumber(row.n_live_tup) ?? 0,
    deadTuples: toNumber(row.n_dead_tup) ?? 0,
    tableBytes: toNumber(row.table_bytes),
    indexBytes: toNumber(row.index_bytes),
    lastVacuum: toDate(row.last_vacuum),
    lastAutovacuum: toDate(row.last_autovacuum),
    lastAnalyze: toDate(row.last_analyze),
    lastAutoanalyze: toDate(row.last_autoanalyze),
  }));
}

/**
 * Every index on a user table of the connected database: how often it was scanned, its size,
 * what it enforces (a primary key, unique or exclusion constraint; a unique index) and its
 * shape (access method, key columns or expressions as pg_get_indexdef prints them, INCLUDE
 * columns, operator classes, collations, per-column options, the predicate of a partial index).
 */
export const INDEX_USAGE_SQL = `SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan,
  pg_relation_size(s.indexrelid) AS index_bytes,
  am.amname, i.indisunique, i.indisprimary, i.indisvalid, i.indisreplident,
  c.contype, c.conname,
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts::int) k ORDER BY k) AS key_columns,
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts::int + 1, i.indnatts::int) k ORDER BY k) AS include_columns,
  i.indclass::text AS opclasses, i.indcollation::text AS collations, i.indoption::text AS options,
  pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
  pg_get_indexdef(i.indexrelid) AS definition
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
JOIN pg_class ic ON ic.oid = s.indexrelid
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint c ON c.conindid = s.indexrelid AND c.contype IN ('p', 'u', 'x')
ORDER BY s.schemaname, s.relname, s.indexrelname`;

/** One index of a user table (pg_stat_user_indexes, pg_index, pg_constraint). */
export interface IndexUsage {
  readonly schema: string;
  readonly table: string;
  /** The index's name (unqualified: it lives in the table's schema). */
  readonly index: string;
  /** Index scans since the statistics were reset (on this instance only: replicas count their own). */
  readonly scans: number;
  readonly bytes: number | null;
  /** The access method: btree, hash, gin, gist, brin ... */
  readonly method: string;
  readonly unique: boolean;
  readonly primary: boolean;
  /** False for an index whose CREATE INDEX CONCURRENTLY failed: maintained on writes, never used. */
  readonly valid: boolean;
  /** The table's REPLICA IDENTITY index (logical replication needs it). */
  readonly replicaIdentity: boolean;
  /** The constraint it backs: `p` primary key, `u` unique, `x` exclusion; null for none. */
  readonly constraintType: string | null;
  readonly constraintName: string | null;
  /** Key columns (names, or expressions such as `lower(email)`), in order. */
  readonly keyColumns: string[];
  /** INCLUDE columns. */
  readonly includeColumns: string[];
  /** Operator class OIDs, one per key column (space-separated, as pg_index.indclass prints). */
  readonly opclasses: string;
  readonly collations: string;
  /** Per-column flags (DESC, NULLS FIRST), as pg_index.indoption prints. */
  readonly options: string;
  /** The WHERE of a partial index; null for a full one. */
  readonly predicate: string | null;
  /** The CREATE INDEX statement that would recreate it. */
  readonly definition: string;
}

function toTextArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Every index on the connected database's user tables, with its use, size and shape. */
export async function indexUsage(db: PgQueryable): Promise<IndexUsage[]> {
  return (await rowsOf(db, INDEX_USAGE_SQL)).map((row) => ({
    schema: String(row.schemaname),
    table: String(row.relname),
    index: String(row.indexrelname),
    scans: toNumber(row.idx_scan) ?? 0,
    bytes: toNumber(row.index_bytes),
    method: String(row.amname),
    unique: row.indisunique === true,
    primary: row.indisprimary === true,
    valid: row.indisvalid === true,
    replicaIdentity: row.indisreplident === true,
    constraintType: toText(row.contype),
    constraintName: toText(row.conname),
    keyColumns: toTextArray(row.key_columns),
    includeColumns: toTextArray(row.include_columns),
    opclasses: String(row.opclasses ?? ''),
    collations: String(row.collations ?? ''),
    options: String(row.options ?? ''),
    predicate: toText(row.predicate),
    definition: String(row.definition),
  }));
}

// --- pg_stat_statements -----------------------------------------------------------------------

/**
 * Whether pg_stat_statements can answer here: the library preloaded (shared_preload_libraries,
 * readable by superusers and pg_read_all_settings / pg_monitor; pg_stat_statements.track exists
 * in pg_settings only when the library is loaded at server start), and the extension created in
 * the connected database (in which schema).
 */
export const PG_STAT_STATEMENTS_STATUS_SQL = `SELECT
  (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') AS preload_libraries,
  (SELECT setting FROM pg_settings WHERE name = 'pg_stat_statements.track') AS track,
  (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements') AS extension_schema,
  (SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements') AS extension_version`;

/** pg_stat_statements' state in the connected database. */
export interface PgStatStatementsStatus {
  /** Loaded at server start; null when the role may not read shared_preload_libraries and the library is not loaded. */
  readonly preloaded: boolean | null;
  /** pg_stat_statements.track (`top`, `all` or `none`); null when the library is not loaded. */
  readonly track: string | null;
  /** The schema of the extension in this database; null when `CREATE EXTENSION pg_stat_statements` was not run here. */
  readonly schema: string | null;
  readonly version: string | null;
}

/** Whether pg_stat_statements is preloaded and created in the connected database. */
export async function pgStatStatementsStatus(db: PgQueryable): Promise<PgStatStatementsStatus> {
  const [row] = await rowsOf(db, PG_STAT_STATEMENTS_STATUS_SQL);
  const track = toText(row?.track);
  const libraries = toText(row?.preload_libraries);
  const listed = libraries === null ? null
    : libraries.split(',').map((l) => l.trim().replace(/^"|"$/g, '')).includes('pg_stat_statements');
  return {
    preloaded: track !== null || listed === true ? true : listed,
    track,
    schema: toText(row?.extension_schema),
    version: toText(row?.extension_version),
  };
}

/** An identifier as SQL text, double-quoted (quotes doubled). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The statements of the connected database recorded by pg_stat_statements (the view in
 * `schema`), summed over roles and nesting levels per queryid, most total execution time
 * first, at most $1. Times in milliseconds; query text normalized (constants as $n) and cut at
 * 4000 characters. A role without pg_read_all_stats sees other roles' text as
 * `<insufficient privilege>`.
 */
export function statementStatsSql(schema: string): string {
  return `SELECT s.queryid::text AS queryid, min(s.query) AS query,
  sum(s.calls)::int8 AS calls, sum(s.total_exec_time)::float8 AS total_ms,
  (sum(s.total_exec_time) / nullif(sum(s.calls), 0))::float8 AS mean_ms, sum(s.rows)::int8 AS rows,
  sum(s.shared_blks_hit)::int8 AS shared_blks_hit, sum(s.shared_blks_read)::int8 AS shared_blks_read
FROM ${quoteIdentifier(schema)}.pg_stat_statements s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.queryid IS NOT NULL
GROUP BY s.queryid
ORDER BY total_ms DESC, s.queryid
LIMIT $1`;
}

/** One normalized statement's execution statistics (pg_stat_statements). */
export interface StatementStats {
  /** pg_stat_statements' queryid, as text (a 64-bit integer). */
  readonly queryId: string;
  /** The normalized text (constants as $1, $2 ...), at most 4000 characters. */
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  /** Rows returned or affected, over all calls. */
  readonly rows: number;
  readonly sharedBlocksHit: number;
  readonly sharedBlocksRead: number;
}

/**
 * The `limit` statements of the connected database with the most total execution time (see
 * statementStatsSql). Fails (55000) when the extension exists but the library is not preloaded.
 */
export async function statementStats(db: PgQueryable, schema = 'public', limit = 1000): Promise<StatementStats[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be an integer >= 1 (got ${limit})`);
  return (await rowsOf(db, statementStatsSql(schema), [limit])).map((row) => ({
    queryId: String(row.queryid),
    query: String(row.query ?? ''),
    calls: toNumber(row.calls) ?? 0,
    totalMs: toNumber(row.total_ms) ?? 0,
    meanMs: toNumber(row.mean_ms) ?? 0,
    rows: toNumber(row.rows) ?? 0,
    sharedBlocksHit: toNumber(row.shared_blks_hit) ?? 0,
    sharedBlocksRead: toNumber(row.shared_blks_read) ?? 0,
  }));
}
