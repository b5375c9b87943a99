/**
 * The PostgresMetrics collector's measurements and its metric line: the shared health queries
 * (shared/pg-health.ts) run on one connection, and the result (or the reason there is none)
 * shaped into one CloudWatch Embedded Metric Format log line. No AWS and no connection
 * handling here: index.ts connects, this module measures and formats.
 */
import {
  cacheHitRatio,
  CacheHitRatio,
  connectionsByState,
  ConnectionsByState,
  connectionsUsedPercent,
  deadTupleRatios,
  DeadTupleRatio,
  idleInTransaction,
  IdleInTransaction,
  longRunningQueries,
  maxConnections,
  oldestXidAge,
  OldestXidAge,
  PgQueryable,
  replicationSlotLag,
  ReplicationSlotLag,
  SessionInfo,
} from '../../shared/pg-health';

export const DEFAULT_METRIC_NAMESPACE = 'CdkDbPlaybook/PostgreSQL';
/** The metric dimension; its value is the DB instance identifier (env DB_INSTANCE_ID). */
export const DIMENSION = 'DBInstanceIdentifier';
/** How many of the tables with the most dead tuples are named in the metric line. */
export const DEAD_TUPLE_TABLES = 5;

/** Everything one collection measured. */
export interface HealthSnapshot {
  readonly database: string;
  readonly cache: CacheHitRatio;
  /** Statements running longer than 5 s. */
  readonly longRunning: SessionInfo[];
  readonly idleInTransaction: IdleInTransaction;
  readonly connections: ConnectionsByState;
  readonly maxConnections: number;
  readonly oldestXid: OldestXidAge;
  readonly deadTuples: DeadTupleRatio[];
  readonly replicationSlots: ReplicationSlotLag[];
}

/** A failed step of a collection: which query, and the error it raised. */
export class CollectionError extends Error {
  constructor(public readonly step: string, public readonly error: unknown) {
    super(`${step}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new CollectionError(name, e);
  }
}

/**
 * Runs every health query, one after the other, on `db` (the caller's connection, inside its
 * read-only transaction, so that all pg_stat_activity figures come from one snapshot).
 * Throws a CollectionError naming the query that failed.
 */
export async function collectSnapshot(db: PgQueryable, database: string): Promise<HealthSnapshot> {
  return {
    database,
    cache: await step('cache hit ratio', () => cacheHitRatio(db)),
    longRunning: await step('long-running queries', () => longRunningQueries(db)),
    idleInTransaction: await step('idle-in-transaction sessions', () => idleInTransaction(db)),
    connections: await step('connections by state', () => connectionsByState(db)),
    maxConnections: await step('max_connections', () => maxConnections(db)),
    oldestXid: await step('oldest xid age', () => oldestXidAge(db)),
    deadTuples: await step('dead-tuple ratios', () => deadTupleRatios(db, DEAD_TUPLE_TABLES)),
    replicationSlots: await step('replication slot lag', () => replicationSlotLag(db)),
  };
}

// --- the metric line --------------------------------------------------------------------------

/** CloudWatch units of the metrics this collector publishes. */
export type MetricUnit = 'Percent' | 'Count' | 'Seconds' | 'Bytes';

/** Every metric the collector can publish, with its unit. */
export const METRIC_UNITS: Readonly<Record<string, MetricUnit>> = {
  CollectorError: 'Count',
  BufferCacheHitRatio: 'Percent',
  LongRunningQueries: 'Count',
  IdleInTransactionSessions: 'Count',
  IdleInTransactionMaxSeconds: 'Seconds',
  ConnectionsActive: 'Count',
  ConnectionsIdle: 'Count',
  ConnectionsIdleInTransaction: 'Count',
  ConnectionsTotal: 'Count',
  ConnectionsUsedPercent: 'Percent',
  OldestXidAge: 'Count',
  MaxDeadTupleRatio: 'Percent',
  ReplicationSlotMaxLagBytes: 'Bytes',
};

/** The metric values of a successful collection; a metric without a value is left out. */
export function metricValues(s: HealthSnapshot): Record<string, number> {
  const values: Record<string, number | null> = {
    CollectorError: 0,
    // null (no heap block accesses yet): no data point rather than a made-up 0 % or 100 %.
    BufferCacheHitRatio: s.cache.ratio === null ? null : s.cache.ratio * 100,
    LongRunningQueries: s.longRunning.length,
    IdleInTransactionSessions: s.idleInTransaction.count,
    IdleInTransactionMaxSeconds: s.idleInTransaction.maxIdleSeconds ?? 0,
    ConnectionsActive: s.connections.active,
    ConnectionsIdle: s.connections.idle,
    ConnectionsIdleInTransaction: s.connections.idleInTransaction,
    ConnectionsTotal: s.connections.total,
    ConnectionsUsedPercent: connectionsUsedPercent(s.connections, s.maxConnections),
    OldestXidAge: s.oldestXid.age,
    MaxDeadTupleRatio: (s.deadTuples[0]?.ratio ?? 0) * 100,
    ReplicationSlotMaxLagBytes: Math.max(0, ...s.replicationSlots.map((slot) => slot.lagBytes ?? 0)),
  };
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, number] => entry[1] !== null));
}

/** Properties riding along with the metrics (for Logs Insights), never query text. */
function properties(s: HealthSnapshot): Record<string, unknown> {
  const round = (n: number | null, digits = 2) => (n === null ? null : Number(n.toFixed(digits)));
  return {
    DatabaseName: s.database,
    MaxConnections: s.maxConnections,
    ConnectionsByState: s.connections.byState,
    HeapBlocksRead: s.cache.heapRead,
    HeapBlocksHit: s.cache.heapHit,
    ...(s.cache.ratio === null ? { BufferCacheHitRatioNote: 'no heap block accesses in pg_statio_user_tables since the statistics were reset' } : {}),
    LongRunningSessions: s.longRunning.map((q) => ({ pid: q.pid, seconds: round(q.querySeconds), database: q.database, user: q.user, application: q.applicationName, waitEventType: q.waitEventType })),
    IdleInTransactionPids: s.idleInTransaction.sessions.map((q) => q.pid),
    OldestXidDatabase: s.oldestXid.database,
    DeadTupleWorstTable: s.deadTuples[0]?.name ?? null,
    DeadTupleTopTables: s.deadTuples.map((t) => ({
      table: t.name,
      deadTupleRatioPercent: round(t.ratio === null ? null : t.ratio * 100),
      deadTuples: t.deadTuples,
      liveTuples: t.liveTuples,
    })),
    ReplicationSlots: s.replicationSlots.map((slot) => ({ name: slot.name, type: slot.type, active: slot.active, walStatus: slot.walStatus, lagBytes: slot.lagBytes })),
  };
}

/** What one invocation found: a snapshot, or why there is none. */
export type Collection =
  | { readonly ok: true; readonly snapshot: HealthSnapshot }
  | { readonly ok: false; readonly reason: string };

/**
 * The invocation's one EMF line. `instanceId` becomes the DBInstanceIdentifier dimension;
 * without it (not configured) the metrics have no dimension. A failed collection publishes
 * CollectorError = 1 and nothing else, with the reason as a property.
 */
export function metricLine(namespace: string, instanceId: string | undefined, collection: Collection, now: number): string {
  const values: Record<string, number> = collection.ok ? metricValues(collection.snapshot) : { CollectorError: 1 };
  const extra = collection.ok ? properties(collection.snapshot) : { CollectorErrorReason: collection.reason };
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: [instanceId ? [DIMENSION] : []],
        Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: METRIC_UNITS[name] })),
      }],
    },
    ...(instanceId ? { [DIMENSION]: instanceId } : {}),
    ...values,
    ...extra,
  });
}
