/**
 * The metrics the platform's alarms watch, read from the alarms themselves at synth (a metric
 * math alarm, as the cache's, contributes each metric of its expression), and the alarms whose
 * metric has data only when an event happens, each with why.
 */
import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { WatchedMetric } from './functions/metric-coverage';

/**
 * Alarms whose metric CloudWatch has only after the event they count: the integration test does
 * not wait for their data. Every other alarm's metric must have data within the wait.
 */
export const EVENT_DRIVEN_ALARMS: Readonly<Record<string, string>> = {
  BackupJobsFailed: 'AWS/Backup publishes NumberOfBackupJobsFailed for a vault when a backup job of it ends (not in the development profile: no backup plan)',
  CopyJobsFailed: 'AWS/Backup publishes NumberOfCopyJobsFailed when a copy job ends (not in the development profile: no DR copies)',
  RestoreValidationFailed: 'the restore validator writes ValidationFailed when it validates a restore test (the integ app asserts it by running one)',
  SlowQueries: 'a metric filter on the exported postgresql log: CloudWatch has its metric only once the log group receives an event',
};

/** Alarms over several nodes' metrics of which only some nodes publish: one must have data. */
export const ANY_NODE_ALARMS: Readonly<Record<string, string>> = {
  CacheReplicationLag: 'ElastiCache publishes ReplicationLag for the replica nodes only, and a failover changes which node that is',
};

function dimensionsOf(stat: cloudwatch.MetricStatConfig): { [name: string]: string } {
  return Object.fromEntries((stat.dimensions ?? []).map((d) => [d.name, String(d.value)]));
}

/** The metrics of one alarm: its metric, or every metric of its math expression. */
export function metricsOfAlarm(alarmId: string, alarm: cloudwatch.Alarm): WatchedMetric[] {
  const metric = (alarm as unknown as { metric: cloudwatch.IMetric }).metric;
  const config = metric.toMetricConfig();
  if (config.metricStat) {
    return [{ alarm: alarmId, namespace: config.metricStat.namespace, metricName: config.metricStat.metricName, dimensions: dimensionsOf(config.metricStat) }];
  }
  if (config.mathExpression) {
    return Object.values(config.mathExpression.usingMetrics).flatMap((m) => {
      const stat = m.toMetricConfig().metricStat;
      return stat ? [{ alarm: alarmId, namespace: stat.namespace, metricName: stat.metricName, dimensions: dimensionsOf(stat) }] : [];
    });
  }
  throw new Error(`alarm ${alarmId}: its metric is neither a metric nor a math expression`);
}

/** What the integration test waits for: each alarm's metrics but the event-driven alarms'. */
export function watchedMetrics(alarms: { [alarmId: string]: cloudwatch.Alarm }): { metrics: WatchedMetric[]; eventDriven: string[] } {
  const ids = Object.keys(alarms).sort();
  return {
    metrics: ids.filter((id) => !(id in EVENT_DRIVEN_ALARMS)).flatMap((id) => metricsOfAlarm(id, alarms[id])
      .map((m) => (id in ANY_NODE_ALARMS ? { ...m, anyOf: true } : m))),
    eventDriven: ids.filter((id) => id in EVENT_DRIVEN_ALARMS),
  };
}

/** The watched metrics as a JSON payload the deploy-time check receives (tokens resolved by CloudFormation). */
export function metricsPayload(scope: Stack, metrics: WatchedMetric[]): string {
  return scope.toJsonString({ metrics });
}
