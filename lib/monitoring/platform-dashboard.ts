import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { RedisCache } from '../cache/redis-cache';
import type { ConnectionPool } from '../database/connection-pool';
import type { PostgresDatabase } from '../database/postgres-database';
import type { ReadReplica } from '../database/read-replicas';
import type { PlatformAlarms } from './platform-alarms';
import type { PostgresMetrics } from './postgres-metrics';

/**
 * Properties of PlatformDashboard.
 */
export interface PlatformDashboardProps {
  readonly database: PostgresDatabase;
  /** @default - none */
  readonly replicas?: ReadReplica[];
  /** @default - none */
  readonly pool?: ConnectionPool;
  /** @default - none */
  readonly cache?: RedisCache;
  /** @default - none */
  readonly postgresMetrics?: PostgresMetrics;
  /** The alarms whose states head the dashboard. @default - none */
  readonly alarms?: PlatformAlarms;
  /**
   * The dashboard's name.
   *
   * @default - generated
   */
  readonly dashboardName?: string;
}

/**
 * One CloudWatch dashboard for the on-call engineer: alarm states first, then the database
 * (CPU, connections, memory, storage, latency), the playbook's internals (cache hit ratio,
 * long-running queries, idle transactions, dead tuples), replicas, the proxy and the cache.
 */
export class PlatformDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    const db = props.database;
    const period = Duration.minutes(1);
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(3) });

    if (props.alarms) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
        title: 'Alarms', alarms: Object.values(props.alarms.alarms), width: 24, height: 4,
      }));
    }
    this.dashboard.addWidgets(
      graph('Database CPU %', [db.metricCPUUtilization({ period })]),
      graph('Database connections', [db.metricDatabaseConnections({ period })]),
      graph('Freeable memory', [db.metricFreeableMemory({ period })]),
    );
    this.dashboard.addWidgets(
      graph('Free storage', [db.metricFreeStorageSpace({ period })]),
      graph('Read / write latency p90 (s)', [db.metricReadLatency({ period }), db.metricWriteLatency({ period })]),
      graph('Oldest unfrozen XID / WAL on disk', [db.metricMaximumUsedTransactionIDs({ period }), db.metricTransactionLogsDiskUsage({ period })]),
    );
    const slow = props.alarms?.slowQueryMetric;
    if (props.postgresMetrics || slow) {
      const m = props.postgresMetrics;
      this.dashboard.addWidgets(
        graph('Buffer cache hit ratio % (playbook: > 99)', m ? [m.metric('BufferCacheHitRatio', { statistic: 'Minimum', period })] : []),
        graph('Queries > 5 s / slow statements logged', [
          ...(m ? [m.metric('LongRunningQueries', { statistic: 'Maximum', period })] : []),
          ...(slow ? [slow] : []),
        ]),
        graph('Sessions idle in transaction / dead tuple %', m ? [
          m.metric('IdleInTransactionSessions', { statistic: 'Maximum', period }),
          m.metric('MaxDeadTupleRatio', { statistic: 'Maximum', period }),
        ] : []),
      );
    }
    const replicas = props.replicas ?? [];
    if (replicas.length > 0 || props.pool) {
      this.dashboard.addWidgets(
        graph('Replica lag (s)', replicas.map((r) => r.metricReplicaLag({ period }))),
        ...(props.pool ? [
          graph('Proxy: client / database connections', [props.pool.metricClientConnections({ period }), props.pool.metricDatabaseConnections({ period })]),
          graph('Proxy: borrow latency p90 (µs) / pinned sessions', [props.pool.metricBorrowLatency({ period }), props.pool.metricPinnedSessions({ period })]),
        ] : []),
      );
    }
    if (props.cache) {
      const c = props.cache;
      this.dashboard.addWidgets(
        graph('Cache engine CPU %', [c.metric('EngineCPUUtilization', { period, statistic: 'Maximum' })]),
        graph('Cache memory % / evictions', [c.metric('DatabaseMemoryUsagePercentage', { period, statistic: 'Maximum' }), c.metric('Evictions', { period, statistic: 'Sum' })]),
        graph('Cache connections / hits / misses', [
          c.metric('CurrConnections', { period, statistic: 'Maximum' }), c.metric('CacheHits', { period, statistic: 'Sum' }), c.metric('CacheMisses', { period, statistic: 'Sum' }),
        ]),
      );
    }
  }
}
