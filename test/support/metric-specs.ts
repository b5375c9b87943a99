/**
 * How AWS publishes the CloudWatch metrics the alarms and the dashboard use: the dimension sets
 * of each metric and how its datapoints aggregate. Where aws-cdk-lib ships AWS's metric specs
 * (the canned-metric classes generated from them, `aws-rds` and `aws-elasticache`), the
 * dimension sets are read from there; the rest come from AWS's documentation, named per entry,
 * and README's "Verified against" lists them as such.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How a metric's datapoints aggregate, and so which statistics mean what they say. */
export enum Aggregation {
  /** One value per publisher and minute (an instance, a node): Average, Minimum, Maximum, percentiles. */
  GAUGE = 'gauge',
  /** Events counted per period: Sum (a Maximum would be the largest one-minute count, not the number). */
  COUNT = 'count',
  /**
   * RDS Proxy publishes per proxy node (several EC2 instances serve one proxy): Sum gives the
   * proxy's total; a Maximum or Minimum is one node's view.
   */
  PER_PROXY_NODE_TOTAL = 'per proxy node, total',
  /** AvailabilityPercentage: per proxy node, AWS aggregates it with Average. */
  PER_PROXY_NODE_AVERAGE = 'per proxy node, average',
  /** A latency per proxy node: Average or a percentile over the nodes' datapoints. */
  PER_PROXY_NODE_LATENCY = 'per proxy node, latency',
}

/** The statistics that fit each aggregation (`pNN` for any percentile). */
export const FITTING_STATISTICS: Record<Aggregation, string[]> = {
  [Aggregation.GAUGE]: ['Average', 'Minimum', 'Maximum', 'pNN'],
  [Aggregation.COUNT]: ['Sum'],
  [Aggregation.PER_PROXY_NODE_TOTAL]: ['Sum'],
  [Aggregation.PER_PROXY_NODE_AVERAGE]: ['Average'],
  [Aggregation.PER_PROXY_NODE_LATENCY]: ['Average', 'pNN'],
};

export interface MetricSpec {
  /** The dimension sets AWS publishes the metric under, each as its sorted dimension names. */
  readonly dimensionSets: string[][];
  readonly aggregation: Aggregation;
  /** Where the dimension sets come from. */
  readonly source: string;
}

const CDK = path.dirname(require.resolve('aws-cdk-lib/package.json'));

/**
 * The dimension sets per metric of one canned-metric class: its `.d.ts` declares one overload per
 * dimension set; calling the method gives the metric's name.
 */
function canned(module: string, file: string, className: string): Map<string, string[][]> {
  const declarations = fs.readFileSync(path.join(CDK, module, 'lib', `${file}.d.ts`), 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cls = require(path.join(CDK, module, 'lib', `${file}.js`))[className] as Record<string, (d: object) => { metricName: string }>;
  const out = new Map<string, string[][]>();
  for (const m of declarations.matchAll(/static (\w+)\(this: void, dimensions: \{([^}]*)\}\)/g)) {
    const metricName = cls[m[1]]({}).metricName;
    const names = [...m[2].matchAll(/(\w+): string;/g)].map((d) => d[1]).sort();
    out.set(metricName, [...(out.get(metricName) ?? []), names]);
  }
  return out;
}

const RDS_CANNED = canned('aws-rds', 'rds-canned-metrics.generated', 'RDSMetrics');
const ELASTICACHE_CANNED = canned('aws-elasticache', 'elasticache-canned-metrics.generated', 'ElastiCacheMetrics');

const fromCanned = (specs: Map<string, string[][]>, name: string, aggregation: Aggregation, source: string): MetricSpec | undefined => {
  const sets = specs.get(name);
  return sets ? { dimensionSets: sets, aggregation, source } : undefined;
};

/** RDS's instance dimensions. @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/dimensions.html */
const RDS_INSTANCE_SETS = [['DBInstanceIdentifier'], ['DatabaseClass'], ['EngineName'], ['SourceRegion']];
/** Instance metrics the canned spec lacks, all one value per instance and minute. @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html */
const RDS_INSTANCE_METRICS = new Set([
  'EBSByteBalance%', 'EBSIOBalance%', 'MaximumUsedTransactionIDs', 'TransactionLogsDiskUsage', 'TransactionLogsGeneration',
  'OldestReplicationSlotLag', 'ReplicationSlotDiskUsage', 'ReplicaLag', 'DiskQueueDepth', 'BurstBalance', 'CPUCreditBalance',
]);

/**
 * RDS Proxy: dimension set 1 {ProxyName}, 2 {ProxyName, EndpointName}, 3 {ProxyName, TargetGroup,
 * Target}, 4 {ProxyName, TargetGroup, TargetRole}; published per proxy node.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html
 */
const PROXY_SET = {
  1: ['ProxyName'], 2: ['EndpointName', 'ProxyName'], 3: ['ProxyName', 'Target', 'TargetGroup'], 4: ['ProxyName', 'TargetGroup', 'TargetRole'],
};
const PROXY_METRICS: Record<string, { sets: Array<keyof typeof PROXY_SET>; aggregation: Aggregation }> = {
  AvailabilityPercentage: { sets: [4], aggregation: Aggregation.PER_PROXY_NODE_AVERAGE },
  ClientConnections: { sets: [1, 2], aggregation: Aggregation.PER_PROXY_NODE_TOTAL },
  ClientConnectionsSetupFailedAuth: { sets: [1, 2], aggregation: Aggregation.PER_PROXY_NODE_TOTAL },
  DatabaseConnections: { sets: [1, 3, 4], aggregation: Aggregation.PER_PROXY_NODE_TOTAL },
  DatabaseConnectionsBorrowLatency: { sets: [1, 2], aggregation: Aggregation.PER_PROXY_NODE_LATENCY },
  DatabaseConnectionsCurrentlySessionPinned: { sets: [1, 3, 4], aggregation: Aggregation.PER_PROXY_NODE_TOTAL },
  DatabaseConnectionsSetupFailed: { sets: [1, 3, 4], aggregation: Aggregation.PER_PROXY_NODE_TOTAL },
};

/** ElastiCache metrics counted per period (the rest are one value per node and minute). @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html */
const ELASTICACHE_COUNTS = new Set(['Evictions', 'CacheHits', 'CacheMisses', 'Reclaimed', 'NewConnections']);

/**
 * AWS Backup's job metrics: counts per period, by vault or resource type. An assumption from AWS's
 * documentation (no published spec): the alarms use {BackupVaultName}.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
 */
const BACKUP_SETS = [[], ['BackupVaultName'], ['ResourceType'], ['BackupVaultName', 'ResourceType']];

/**
 * This library's own namespaces: each metric carries the DB instance it is about, so two
 * platforms in one account never share one. The slow-statement counts are the exception a metric
 * filter forces (no fixed dimension): one metric per instance, named by its identifier.
 */
const CUSTOM: Record<string, { metrics?: string[]; sets: string[][]; counts: string[] }> = {
  'CdkDbPlaybook/PostgreSQL': { sets: [['DBInstanceIdentifier']], counts: ['CollectorError'] },
  'CdkDbPlaybook/RestoreTesting': { metrics: ['ValidationFailed'], sets: [['DBInstanceIdentifier']], counts: ['ValidationFailed'] },
  'CdkDbPlaybook/SlowStatements': { sets: [[]], counts: ['*'] },
};

/**
 * What AWS (or this library) publishes under `namespace`/`metricName` in the family of
 * `dimensions` (RDS publishes DatabaseConnections per instance and, differently, per proxy), or
 * undefined when nothing is known.
 */
export function metricSpec(namespace: string, metricName: string, dimensions: string[]): MetricSpec | undefined {
  switch (namespace) {
    case 'AWS/RDS': {
      const proxy = PROXY_METRICS[metricName];
      if (proxy && dimensions.includes('ProxyName')) {
        return { dimensionSets: proxy.sets.map((s) => PROXY_SET[s]), aggregation: proxy.aggregation, source: 'RDS Proxy documentation' };
      }
      return fromCanned(RDS_CANNED, metricName, Aggregation.GAUGE, 'aws-cdk-lib RDSMetrics (AWS\'s metric specs)')
        ?? (RDS_INSTANCE_METRICS.has(metricName) ? { dimensionSets: RDS_INSTANCE_SETS, aggregation: Aggregation.GAUGE, source: 'RDS documentation' } : undefined);
    }
    case 'AWS/ElastiCache':
      return fromCanned(ELASTICACHE_CANNED, metricName, ELASTICACHE_COUNTS.has(metricName) ? Aggregation.COUNT : Aggregation.GAUGE,
        'aws-cdk-lib ElastiCacheMetrics (AWS\'s metric specs)');
    case 'AWS/Backup':
      return /^NumberOf\w+Jobs\w+$/.test(metricName) ? { dimensionSets: BACKUP_SETS, aggregation: Aggregation.COUNT, source: 'AWS Backup documentation (assumption)' } : undefined;
    default: {
      const custom = CUSTOM[namespace];
      if (!custom || (custom.metrics && !custom.metrics.includes(metricName))) return undefined;
      const count = custom.counts.includes('*') || custom.counts.includes(metricName);
      return { dimensionSets: custom.sets, aggregation: count ? Aggregation.COUNT : Aggregation.GAUGE, source: 'this library' };
    }
  }
}

/** Whether `statistic` fits `aggregation`. */
export function statisticFits(statistic: string, aggregation: Aggregation): boolean {
  const fitting = FITTING_STATISTICS[aggregation];
  return fitting.includes(statistic) || (fitting.includes('pNN') && /^p\d+(\.\d+)?$/.test(statistic));
}
