import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { CrossRegionBackup } from '../backup/cross-region-backup';
import type { RestoreTesting } from '../backup/restore-testing';
import type { RedisCache } from '../cache/redis-cache';
import type { ConnectionPool } from '../database/connection-pool';
import type { PostgresDatabase } from '../database/postgres-database';
import type { ReadReplica } from '../database/read-replicas';
import { defaultMaxConnections, instanceMemoryBytes } from '../private/instance-classes';
import { PlaybookValidationError } from '../private/validation';
import type { PostgresMetrics } from './postgres-metrics';
import { createEncryptedTopic } from './alarm-topic';
import { Profile } from '../profile';

/**
 * A change to one alarm's defaults, or turning it off.
 */
export interface AlarmOverride {
  /**
   * The threshold, in the alarm's unit (see README "Alarms").
   *
   * @default - the playbook's threshold
   */
  readonly threshold?: number;

  /**
   * How many periods are evaluated.
   *
   * @default - the alarm's default
   */
  readonly evaluationPeriods?: number;

  /**
   * Set false to create no such alarm.
   *
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * Properties of PlatformAlarms.
 */
export interface PlatformAlarmsProps {
  /** The database whose alarms these are. */
  readonly database: PostgresDatabase;
  /** Read replicas to watch. @default - none */
  readonly replicas?: ReadReplica[];
  /** The RDS Proxy to watch. @default - none */
  readonly pool?: ConnectionPool;
  /** The cache to watch. @default - none */
  readonly cache?: RedisCache;
  /** The AWS Backup side to watch (failed backup and copy jobs). @default - none */
  readonly backup?: CrossRegionBackup;
  /** The restore tests to watch. @default - none */
  readonly restoreTesting?: RestoreTesting;
  /** The in-database metrics collector to watch. @default - none */
  readonly postgresMetrics?: PostgresMetrics;

  /**
   * An existing SNS topic for every alarm and OK action (and, in a DataPlatform, the RDS event
   * notifications: its policy and its key's must let CloudWatch and `events.rds.amazonaws.com` publish).
   *
   * @default - a new topic encrypted with a new KMS key, which CloudWatch and RDS events may use
   */
  readonly topic?: sns.ITopic;

  /**
   * E-mail addresses subscribed to the topic (each must confirm).
   *
   * @default - none
   */
  readonly emails?: string[];

  /**
   * max_connections of the database, when the parameter group sets it.
   *
   * @default - RDS's default for the instance class: LEAST(memory / 9531392, 5000)
   */
  readonly maxConnections?: number;

  /**
   * Per-alarm changes, by alarm id (`DatabaseCpu`, `DatabaseConnections`, ... see `alarms`).
   *
   * @default - none
   */
  readonly overrides?: { [alarmId: string]: AlarmOverride };
}

interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly description: string;
  /** For validation: the threshold is a percentage (0-100). */
  readonly percent?: boolean;
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

const GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
const MINUTE = Duration.minutes(1);

/**
 * "You cannot fix what you cannot measure": the alarms AWS recommends for RDS, RDS Proxy,
 * ElastiCache and AWS Backup, plus the playbook's own (slow statements, buffer cache hit ratio,
 * queries over 5 s), all sending ALARM and OK to one KMS-encrypted SNS topic.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
 */
export class PlatformAlarms extends Construct {
  /**
   * CloudWatch Logs filter pattern for a statement logged by log_min_duration_statement:
   * `LOG:  duration: 6004.512 ms  statement: ...` (or `execute <name>: ...` for the extended
   * protocol), but not auto_explain's `duration: ... plan:` line for the same statement.
   */
  public static readonly SLOW_STATEMENT_PATTERN = '"duration:" "ms" -"plan:"';

  /** The namespace of the slow-statement counts: one metric per DB instance, named by its identifier. */
  public static readonly SLOW_STATEMENT_NAMESPACE = 'CdkDbPlaybook/SlowStatements';

  /** The topic every alarm notifies. */
  public readonly topic: sns.ITopic;
  /** The alarms, by id. */
  public readonly alarms: { [alarmId: string]: cloudwatch.Alarm };
  /** max_connections the connection alarm is computed from. */
  public readonly maxConnections: number;
  /** The metric of statements slower than log_min_duration_statement (from the exported log). */
  public readonly slowQueryMetric: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const db = props.database;
    const overrides = props.overrides ?? {};
    for (const email of props.emails ?? []) {
      if (!Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        throw new PlaybookValidationError(this, `emails must be e-mail addresses (got '${email}')`);
      }
    }
    const instanceClass = db.instanceType.toString();
    const maxConnections = props.maxConnections ?? defaultMaxConnections(instanceClass);
    if (maxConnections === undefined) {
      throw new PlaybookValidationError(this,
        `maxConnections is needed: the memory of instance class '${instanceClass}' is not known (set maxConnections to the database's max_connections)`);
    }
    if (!Number.isInteger(maxConnections) || maxConnections < 1) {
      throw new PlaybookValidationError(this, `maxConnections must be a positive integer (got ${maxConnections})`);
    }
    this.maxConnections = maxConnections;
    const memory = instanceMemoryBytes(instanceClass);

    if (props.topic) {
      this.topic = props.topic;
    } else {
      this.topic = createEncryptedTopic(this, {
        keyDescription: `Encrypts the alarm topic of ${db.node.path}`,
        displayName: `Alarms of ${db.node.path}`,
        // Alarm messages are transient: in development nothing needs the key after the stack.
        keyRemovalPolicy: db.profile === Profile.PRODUCTION ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        cloudWatchAlarms: true,
      }).topic;
    }
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    const specs: Record<string, AlarmSpec> = {
      DatabaseCpu: { metric: db.metricCPUUtilization({ period: MINUTE }), threshold: 90, comparison: GT, evaluationPeriods: 5, percent: true,
        description: 'CPU above 90 % for 5 minutes' },
      DatabaseConnections: {
        metric: db.metricDatabaseConnections({ period: MINUTE, statistic: 'Maximum' }), threshold: Math.floor(maxConnections * 0.9), comparison: GT,
        evaluationPeriods: 5, description: `Connections above 90 % of max_connections (${maxConnections}) for 5 minutes` },
      DatabaseFreeStorage: {
        metric: db.metricFreeStorageSpace({ period: MINUTE, statistic: 'Minimum' }), threshold: Math.floor(db.allocatedStorage * 0.1 * 1024 ** 3),
        comparison: LT, evaluationPeriods: 5, description: 'Free storage below 10 % of the allocated storage' },
      DatabaseReadLatency: { metric: db.metricReadLatency({ period: MINUTE }), threshold: 0.02, comparison: GT, evaluationPeriods: 5,
        description: 'p90 read latency above 20 ms for 5 minutes' },
      DatabaseWriteLatency: { metric: db.metricWriteLatency({ period: MINUTE }), threshold: 0.02, comparison: GT, evaluationPeriods: 5,
        description: 'p90 write latency above 20 ms for 5 minutes' },
      DatabaseEbsByteBalance: { metric: db.metric('EBSByteBalance%', { period: MINUTE, statistic: 'Minimum' }), threshold: 10, comparison: LT,
        evaluationPeriods: 5, percent: true, description: 'EBS byte balance below 10 %: storage throughput is about to be throttled' },
      DatabaseEbsIoBalance: { metric: db.metric('EBSIOBalance%', { period: MINUTE, statistic: 'Minimum' }), threshold: 10, comparison: LT,
        evaluationPeriods: 5, percent: true, description: 'EBS I/O balance below 10 %: IOPS are about to be throttled' },
      DatabaseTransactionIdWraparound: { metric: db.metricMaximumUsedTransactionIDs({ period: MINUTE }), threshold: 1_000_000_000, comparison: GT,
        evaluationPeriods: 5, description: 'Oldest unfrozen transaction ID above 1 billion: vacuum is not keeping up (wraparound at 2 billion)' },
      DatabaseTransactionLogsDiskUsage: { metric: db.metricTransactionLogsDiskUsage({ period: MINUTE }),
        threshold: Math.floor(db.allocatedStorage * 0.1 * 1024 ** 3), comparison: GT, evaluationPeriods: 5,
        description: 'WAL on disk above 10 % of the allocated storage (a stuck slot or archiving)' },
      DatabaseReplicationSlotLag: { metric: db.metricOldestReplicationSlotLag({ period: MINUTE }), threshold: 5 * 1024 ** 3, comparison: GT,
        evaluationPeriods: 5, description: 'A replication slot is more than 5 GiB behind' },
    };
    if (memory !== undefined) {
      specs.DatabaseFreeableMemory = { metric: db.metricFreeableMemory({ period: MINUTE, statistic: 'Minimum' }), threshold: Math.floor(memory * 0.25),
        comparison: LT, evaluationPeriods: 15, description: 'Freeable memory below 25 % of the instance memory for 15 minutes' };
    }

    // "Any query running longer than 5 seconds should trigger an alert": the statements
    // log_min_duration_statement writes to the exported postgresql log.
    const logGroupName = `/aws/rds/instance/${db.instance.instanceIdentifier}/postgresql`;
    // A metric filter cannot give its metric a fixed dimension (dimension values come from fields
    // of the log events, and RDS's lines do not name the instance): the metric is named after the
    // instance instead, so that each platform's alarm counts its own database's statements.
    const filter = new logs.MetricFilter(this, 'SlowQueryFilter', {
      logGroup: logs.LogGroup.fromLogGroupName(this, 'PostgresqlLog', logGroupName),
      filterPattern: logs.FilterPattern.literal(PlatformAlarms.SLOW_STATEMENT_PATTERN),
      metricNamespace: PlatformAlarms.SLOW_STATEMENT_NAMESPACE,
      metricName: db.instance.instanceIdentifier,
      metricValue: '1',
      defaultValue: 0,
    });
    // The log group exists once the LogRetention custom resource has run.
    const retention = db.instance.node.tryFindChild('LogRetentionpostgresql');
    if (retention) filter.node.addDependency(retention);
    this.slowQueryMetric = filter.metric({ statistic: 'Sum', period: Duration.minutes(5) });
    specs.SlowQueries = { metric: this.slowQueryMetric, threshold: 1, comparison: GTE, evaluationPeriods: 1,
      description: 'A statement ran longer than log_min_duration_statement (5 s)', treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };

    (props.replicas ?? []).forEach((replica, i) => {
      specs[`Replica${i + 1}Lag`] = { metric: replica.metricReplicaLag({ period: MINUTE }), threshold: 60, comparison: GT, evaluationPeriods: 10,
        description: `Read replica ${i + 1} more than 60 s behind for 10 minutes` };
    });

    if (props.pool) {
      const pool = props.pool;
      specs.ProxyAvailability = { metric: pool.metricAvailabilityPercentage({ period: MINUTE }), threshold: 100, comparison: LT, evaluationPeriods: 5,
        percent: true, description: 'RDS Proxy could not reach the writer for 5 minutes' };
      specs.ProxyBorrowLatency = { metric: pool.metricBorrowLatency({ period: MINUTE }), threshold: 100_000, comparison: GT, evaluationPeriods: 5,
        description: 'Clients waited more than 100 ms (p90) for a pooled connection for 5 minutes' };
      specs.ProxyPinnedSessions = { metric: pool.metricPinnedSessions({ period: MINUTE }), threshold: 10, comparison: GT,
        evaluationPeriods: 15, description: 'More than 10 sessions pinned to a database connection for 15 minutes: pooling is lost (SET, temp tables, advisory locks)' };
      specs.ProxyConnectionSetupFailures = { metric: pool.metricDatabaseConnectionsSetupFailed({ period: Duration.minutes(5) }), threshold: 1,
        comparison: GTE, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'RDS Proxy failed to open database connections' };
    }

    if (props.cache) {
      const cache = props.cache;
      specs.CacheEngineCpu = { metric: cache.metric('EngineCPUUtilization', { period: MINUTE, statistic: 'Maximum' }), threshold: 90, comparison: GT,
        evaluationPeriods: 5, percent: true, description: 'Redis engine thread above 90 % CPU for 5 minutes' };
      specs.CacheCpu = { metric: cache.metric('CPUUtilization', { period: MINUTE, statistic: 'Maximum' }), threshold: 90, comparison: GT,
        evaluationPeriods: 5, percent: true, description: 'Cache host CPU above 90 % for 5 minutes' };
      specs.CacheMemory = { metric: cache.metric('DatabaseMemoryUsagePercentage', { period: MINUTE, statistic: 'Maximum' }), threshold: 80,
        comparison: GT, evaluationPeriods: 5, percent: true, description: 'Cache memory above 80 %' };
      specs.CacheEvictions = { metric: cache.metric('Evictions', { period: Duration.minutes(5), statistic: 'Sum' }), threshold: 1000, comparison: GT,
        evaluationPeriods: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, description: 'Keys evicted for memory: the cache is too small' };
      specs.CacheConnections = { metric: cache.metric('CurrConnections', { period: MINUTE, statistic: 'Maximum' }), threshold: 60_000, comparison: GT,
        evaluationPeriods: 5, description: 'Cache connections near the 65,000 limit' };
      specs.CacheReplicationLag = { metric: cache.metric('ReplicationLag', { period: MINUTE, statistic: 'Maximum' }), threshold: 30, comparison: GT,
        evaluationPeriods: 5, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, description: 'Cache replica more than 30 s behind' };
      specs.CacheSwap = { metric: cache.metric('SwapUsage', { period: MINUTE, statistic: 'Maximum' }), threshold: 50 * 1024 ** 2, comparison: GT,
        evaluationPeriods: 5, description: 'Cache swapping more than 50 MiB' };
    }

    if (props.backup) {
      const region = Stack.of(this).region;
      const backupMetric = (name: string) => new cloudwatch.Metric({
        namespace: 'AWS/Backup', metricName: name, statistic: 'Sum', period: Duration.hours(1), region: Token.isUnresolved(region) ? undefined : region,
        dimensionsMap: { BackupVaultName: props.backup!.vault.backupVaultName },
      });
      specs.BackupJobsFailed = { metric: backupMetric('NumberOfBackupJobsFailed'), threshold: 1, comparison: GTE, evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, description: 'An AWS Backup job of the database failed' };
      specs.CopyJobsFailed = { metric: backupMetric('NumberOfCopyJobsFailed'), threshold: 1, comparison: GTE, evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, description: 'A cross-region copy to the DR vault failed' };
    }

    if (props.postgresMetrics) {
      const m = props.postgresMetrics;
      specs.BufferCacheHitRatio = { metric: m.metric('BufferCacheHitRatio', { statistic: 'Minimum', period: Duration.minutes(5) }), threshold: 99,
        comparison: LT, evaluationPeriods: 3, percent: true, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'Buffer cache hit ratio below 99 %: the database reads from disk too often (the playbook)' };
      specs.LongRunningQueries = { metric: m.metric('LongRunningQueries', { statistic: 'Maximum', period: MINUTE }), threshold: 1, comparison: GTE,
        evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, description: 'A query has run longer than 5 seconds (the playbook)' };
      specs.CollectorErrors = { metric: m.metric('CollectorError', { statistic: 'Sum', period: Duration.minutes(5) }), threshold: 3, comparison: GTE,
        evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.BREACHING, description: 'The metrics collector cannot reach the database (or stopped running)' };
    }

    for (const key of Object.keys(overrides)) {
      if (!(key in specs) && !(key === 'RestoreValidationFailed' && props.restoreTesting)) {
        throw new PlaybookValidationError(this, `overrides names '${key}', which is not an alarm here; alarms: ${Object.keys(specs).join(', ')}`);
      }
    }

    const action = new cwActions.SnsAction(this.topic);
    this.alarms = {};
    for (const [alarmId, spec] of Object.entries(specs)) {
      const o = overrides[alarmId] ?? {};
      if (o.enabled === false) continue;
      const threshold = o.threshold ?? spec.threshold;
      const periods = o.evaluationPeriods ?? spec.evaluationPeriods;
      if (!Token.isUnresolved(threshold)) {
        if (threshold < 0) throw new PlaybookValidationError(this, `overrides.${alarmId}.threshold must not be negative (got ${threshold})`);
        if (spec.percent && threshold > 100) throw new PlaybookValidationError(this, `overrides.${alarmId}.threshold is a percentage: 0-100 (got ${threshold})`);
      }
      if (!Number.isInteger(periods) || periods < 1 || periods > 1440) {
        throw new PlaybookValidationError(this, `overrides.${alarmId}.evaluationPeriods must be an integer from 1 to 1440 (got ${periods})`);
      }
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `${spec.description} (${db.node.path})`,
        metric: spec.metric,
        threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.MISSING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms[alarmId] = alarm;
    }
    if (props.restoreTesting && overrides.RestoreValidationFailed?.enabled !== false) {
      props.restoreTesting.alarm.addAlarmAction(action);
      props.restoreTesting.alarm.addOkAction(action);
      this.alarms.RestoreValidationFailed = props.restoreTesting.alarm;
    }
  }
}

