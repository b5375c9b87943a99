/**
 * Every metric an alarm or a dashboard widget of the shipped app and the examples watches is one
 * AWS publishes: its dimension set is one AWS's specs list for it (aws-cdk-lib's canned-metric
 * specs for AWS/RDS and AWS/ElastiCache, the RDS Proxy and AWS Backup documentation for theirs;
 * test/support/metric-specs.ts), its statistic fits how AWS publishes it, and each dimension names
 * a resource of the stack (a cache node of the replication group, the stack's own instance,
 * proxy or vault). An alarm on a dimension AWS never publishes stays INSUFFICIENT_DATA forever
 * and passes every template test; here it fails.
 */
import { metricSpec, statisticFits } from '../support/metric-specs';
import { WatchedMetric, watched } from '../support/watched-metrics';
import { SynthesizedApp, synthesizedApps } from '../support/synthesized-apps';
import type { StackTemplate } from '../support/template-resolver';

/** The resources of a stack that a metric's dimensions can name. */
function ownResources(app: SynthesizedApp, stack: StackTemplate) {
  const of = (type: string) => Object.entries(stack.template.Resources).filter(([, r]) => r.Type === type);
  const ref = (id: string) => String(app.resolver.resolve(stack, { Ref: id }));
  const cacheNodes = of('AWS::ElastiCache::ReplicationGroup').flatMap(([, r]) => {
    const p = r.Properties as { ReplicationGroupId: string; NumCacheClusters?: number };
    return Array.from({ length: p.NumCacheClusters ?? 1 }, (_, i) => `${p.ReplicationGroupId}-${String(i + 1).padStart(3, '0')}`);
  });
  return {
    DBInstanceIdentifier: of('AWS::RDS::DBInstance').map(([id]) => ref(id)),
    ProxyName: of('AWS::RDS::DBProxy').map(([id]) => ref(id)),
    CacheClusterId: cacheNodes,
    BackupVaultName: of('AWS::Backup::BackupVault').map(([id]) => ref(id)),
    TargetGroup: ['default'],
    TargetRole: ['READ_WRITE', 'READ_ONLY'],
  } as Record<string, string[]>;
}

/** What is wrong with one watched metric, by AWS's specs and the stack's resources. */
export function problems(metric: WatchedMetric, own: Record<string, string[]>): string[] {
  const names = Object.keys(metric.dimensions).sort();
  const spec = metricSpec(metric.namespace, metric.metricName, names);
  const what = `${metric.namespace} ${metric.metricName} {${names.join(', ')}} ${metric.statistic}`;
  if (!spec) return [`${what}: not a metric AWS's specs (or this library) publish`];
  const out: string[] = [];
  if (!spec.dimensionSets.some((set) => set.join() === names.join())) {
    out.push(`${what}: ${metric.namespace} publishes ${metric.metricName} only under ${spec.dimensionSets.map((s) => `{${s.join(', ')}}`).join(' ')} (${spec.source})`);
  }
  if (!statisticFits(metric.statistic, spec.aggregation)) out.push(`${what}: ${metric.statistic} does not fit a ${spec.aggregation} metric`);
  for (const [name, value] of Object.entries(metric.dimensions)) {
    const candidates = own[name];
    if (candidates && !candidates.includes(value)) out.push(`${what}: ${name}=${value} is not one of the stack's (${candidates.join(', ') || 'none'})`);
  }
  // The slow-statement metric is named by the instance whose statements it counts.
  if (metric.namespace === 'CdkDbPlaybook/SlowStatements' && !own.DBInstanceIdentifier.includes(metric.metricName)) {
    out.push(`${what}: names no DB instance of the stack`);
  }
  return out;
}

const APPS = synthesizedApps();

test.each(APPS.map((a) => [a.name, a] as const))('%s: every alarm and dashboard metric is one AWS publishes, with a fitting statistic, on the stack\'s own resources', (_name, app) => {
  const found: string[] = [];
  let count = 0;
  for (const stack of app.templates) {
    const own = ownResources(app, stack);
    for (const metric of watched(app, stack)) {
      count++;
      for (const p of problems(metric, own)) found.push(`${metric.where}: ${p}`);
    }
  }
  expect(found).toEqual([]);
  if (app.name.startsWith('shipped app, production')) expect(count).toBeGreaterThan(60);
});

test('the check catches what it is for: the replication-group dimension, one proxy node\'s view, a node that does not exist', () => {
  const own = { CacheClusterId: ['platform-cache-001', 'platform-cache-002'], ProxyName: ['proxy'], DBInstanceIdentifier: ['db'] };
  const m = (namespace: string, metricName: string, dimensions: Record<string, string>, statistic: string) => ({ where: 'test', logicalId: 'Test', namespace, metricName, dimensions, statistic });
  expect(problems(m('AWS/ElastiCache', 'EngineCPUUtilization', { ReplicationGroupId: 'platform-cache' }, 'Average'), own))
    .toEqual([expect.stringMatching(/AWS\/ElastiCache publishes EngineCPUUtilization only under \{CacheClusterId\} \{CacheClusterId, CacheNodeId\}/)]);
  expect(problems(m('AWS/RDS', 'DatabaseConnectionsCurrentlySessionPinned', { ProxyName: 'proxy' }, 'Maximum'), own))
    .toEqual([expect.stringMatching(/Maximum does not fit a per proxy node, total metric/)]);
  expect(problems(m('AWS/RDS', 'AvailabilityPercentage', { ProxyName: 'proxy', TargetGroup: 'default', TargetRole: 'READ_WRITE' }, 'Minimum'), own))
    .toEqual([expect.stringMatching(/Minimum does not fit a per proxy node, average metric/)]);
  expect(problems(m('AWS/ElastiCache', 'CPUUtilization', { CacheClusterId: 'platform-cache-003' }, 'Maximum'), own))
    .toEqual([expect.stringMatching(/CacheClusterId=platform-cache-003 is not one of the stack's/)]);
  expect(problems(m('CdkDbPlaybook/RestoreTesting', 'ValidationFailed', {}, 'Sum'), own))
    .toEqual([expect.stringMatching(/only under \{DBInstanceIdentifier\}/)]);
  expect(problems(m('AWS/RDS', 'CPUUtilization', { DBInstanceIdentifier: 'db' }, 'Sum'), own)).toEqual([expect.stringMatching(/Sum does not fit a gauge metric/)]);
  expect(problems(m('AWS/RDS', 'ReplicaLag', { DBInstanceIdentifier: 'db' }, 'Maximum'), own)).toEqual([]);
});
