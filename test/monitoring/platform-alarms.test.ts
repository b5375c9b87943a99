import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  CachePurpose, ConnectionPool, DataPlatform, DisasterRecoveryStack, PlatformAlarms, PlatformAlarmsProps, PostgresDatabase, ReadReplicas, RedisCache,
} from '../../lib';
import { proxiedUser } from '../support/app';

function build(props: Partial<PlatformAlarmsProps> | ((stack: Stack) => Partial<PlatformAlarmsProps>) = {}, instanceType = ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)) {
  const stack = new Stack(new App(), 'Alarms');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const database = new PostgresDatabase(stack, 'Db', { vpc, instanceType });
  const replicas = new ReadReplicas(stack, 'Replicas', { source: database, count: 1 }).replicas;
  const pool = new ConnectionPool(stack, 'Pool', { database, users: [proxiedUser(database)] });
  const cache = new RedisCache(stack, 'Cache', { vpc, purpose: CachePurpose.SESSIONS });
  const extra = typeof props === 'function' ? props(stack) : props;
  const alarms = new PlatformAlarms(stack, 'Alarms', { database, replicas, pool, cache, ...extra });
  return { stack, database, cache, alarms, get template() { return Template.fromStack(stack); } };
}

/** The alarm resource of an alarm id. */
function alarmProps(b: ReturnType<typeof build>, alarmId: string) {
  const alarm = b.alarms.alarms[alarmId];
  expect(alarm).toBeDefined();
  return b.template.findResources('AWS::CloudWatch::Alarm')[b.stack.getLogicalId(alarm.node.defaultChild as never)].Properties;
}

describe('PlatformAlarms: database', () => {
  const b = build();
  const topicRef = { Ref: b.stack.getLogicalId(b.alarms.topic.node.defaultChild as never) };

  test.each([
    ['DatabaseCpu', 'CPUUtilization', 'Average', 90, 'GreaterThanThreshold', 5, 60],
    ['DatabaseReadLatency', 'ReadLatency', 'p90', 0.02, 'GreaterThanThreshold', 5, 60],
    ['DatabaseWriteLatency', 'WriteLatency', 'p90', 0.02, 'GreaterThanThreshold', 5, 60],
    ['DatabaseEbsByteBalance', 'EBSByteBalance%', 'Minimum', 10, 'LessThanThreshold', 5, 60],
    ['DatabaseEbsIoBalance', 'EBSIOBalance%', 'Minimum', 10, 'LessThanThreshold', 5, 60],
    ['DatabaseTransactionIdWraparound', 'MaximumUsedTransactionIDs', 'Maximum', 1_000_000_000, 'GreaterThanThreshold', 5, 60],
    ['Replica1Lag', 'ReplicaLag', 'Maximum', 60, 'GreaterThanThreshold', 10, 60],
  ])('%s: %s %s vs %d (%s, %d periods of %d s), ALARM and OK to the topic', (alarmId, metric, stat, threshold, op, periods, period) => {
    const p = alarmProps(b, alarmId);
    expect(p).toMatchObject({
      Namespace: 'AWS/RDS', MetricName: metric, Threshold: threshold, ComparisonOperator: op,
      EvaluationPeriods: periods, DatapointsToAlarm: periods, Period: period, TreatMissingData: 'missing',
      AlarmActions: [topicRef], OKActions: [topicRef],
    });
    expect(p.Statistic ?? p.ExtendedStatistic).toBe(stat);
  });

  test('connections alarm at 90 % of the class default max_connections (db.m7g.large: 8 GiB / 9531392 = 901)', () => {
    expect(b.alarms.maxConnections).toBe(901);
    expect(alarmProps(b, 'DatabaseConnections')).toMatchObject({ MetricName: 'DatabaseConnections', Threshold: 810, ComparisonOperator: 'GreaterThanThreshold' });
  });

  test.each([
    ['db.t4g.micro', 112],
    ['db.r7g.xlarge', 3604],
    ['db.m7g.16xlarge', 5000],
  ])('max_connections for %s is %d', (cls, expected) => {
    const [family, size] = cls.replace('db.', '').split('.');
    const x = build({}, new ec2.InstanceType(`${family}.${size}`));
    expect(x.alarms.maxConnections).toBe(expected);
    expect(alarmProps(x, 'DatabaseConnections').Threshold).toBe(Math.floor(expected * 0.9));
  });

  test('an explicit max_connections wins', () => {
    const x = build({ maxConnections: 200 });
    expect(alarmProps(x, 'DatabaseConnections').Threshold).toBe(180);
  });

  test('freeable memory below 25 % of the instance memory for 15 of 15 minutes', () => {
    expect(alarmProps(b, 'DatabaseFreeableMemory')).toMatchObject({ Threshold: 2 * 1024 ** 3, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 15 });
  });

  test('free storage below 10 % of the allocated storage', () => {
    expect(alarmProps(b, 'DatabaseFreeStorage')).toMatchObject({ Threshold: Math.floor(100 * 0.1 * 1024 ** 3), ComparisonOperator: 'LessThanThreshold' });
  });

  test('slow statements: a metric filter on the exported postgresql log, alarm on any', () => {
    b.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: PlatformAlarms.SLOW_STATEMENT_PATTERN,
      LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', { Ref: b.stack.getLogicalId(b.database.instance.node.defaultChild as never) }, '/postgresql']] },
      // One metric per instance (named by its identifier): two platforms in one account never share it.
      MetricTransformations: [Match.objectLike({ MetricName: { Ref: b.stack.getLogicalId(b.database.instance.node.defaultChild as never) },
        MetricNamespace: 'CdkDbPlaybook/SlowStatements', MetricValue: '1', DefaultValue: 0 })],
    });
    expect(alarmProps(b, 'SlowQueries')).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  test('the topic is KMS-encrypted and CloudWatch may use the key for this account\'s alarms of this region only', () => {
    b.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('TopicKey'), 'Arn'] } });
    const keys = Object.values(b.template.findResources('AWS::KMS::Key'));
    const statements = keys.flatMap((k) => k.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string }; Action: unknown; Condition?: unknown }>)
      .filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(statements).toEqual([expect.objectContaining({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
      },
    })]);
  });
});

describe('PlatformAlarms: proxy and cache', () => {
  const b = build();
  test.each([
    ['ProxyAvailability', 'AvailabilityPercentage', 100, 'LessThanThreshold'],
    ['ProxyBorrowLatency', 'DatabaseConnectionsBorrowLatency', 100_000, 'GreaterThanThreshold'],
    ['ProxyPinnedSessions', 'DatabaseConnectionsCurrentlySessionPinned', 10, 'GreaterThanThreshold'],
    ['ProxyConnectionSetupFailures', 'DatabaseConnectionsSetupFailed', 1, 'GreaterThanOrEqualToThreshold'],
  ])('%s on %s', (alarmId, metric, threshold, op) => {
    expect(alarmProps(b, alarmId)).toMatchObject({ Namespace: 'AWS/RDS', MetricName: metric, Threshold: threshold, ComparisonOperator: op });
  });

  test.each([
    ['CacheEngineCpu', 'EngineCPUUtilization', 90],
    ['CacheCpu', 'CPUUtilization', 90],
    ['CacheMemory', 'DatabaseMemoryUsagePercentage', 80],
    ['CacheEvictions', 'Evictions', 1000],
    ['CacheConnections', 'CurrConnections', 60_000],
    ['CacheReplicationLag', 'ReplicationLag', 30],
    ['CacheSwap', 'SwapUsage', 50 * 1024 ** 2],
  ])('%s on %s above %d, over every node (CacheClusterId: ElastiCache publishes per node)', (alarmId, metric, threshold) => {
    const props = alarmProps(b, alarmId);
    expect(props).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' });
    const stats = (props.Metrics as Array<{ MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } }; Expression?: string }>);
    const nodes = stats.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
    expect(nodes.map((n) => [n.Namespace, n.MetricName, n.Dimensions])).toEqual(
      b.cache.nodeClusterIds.map((id) => ['AWS/ElastiCache', metric, [{ Name: 'CacheClusterId', Value: id }]]));
    expect(b.cache.nodeClusterIds).toHaveLength(2);
    expect(stats.filter((m) => m.Expression)).toHaveLength(1);
  });
});

describe('PlatformAlarms options', () => {
  test('an override changes a threshold, and enabled: false removes an alarm', () => {
    const b = build({ overrides: { DatabaseCpu: { threshold: 75, evaluationPeriods: 10 }, CacheSwap: { enabled: false } } });
    expect(alarmProps(b, 'DatabaseCpu')).toMatchObject({ Threshold: 75, EvaluationPeriods: 10 });
    expect(b.alarms.alarms.CacheSwap).toBeUndefined();
  });

  test('an existing topic and e-mail subscriptions', () => {
    const b = build((stack) => ({ topic: sns.Topic.fromTopicArn(stack, 'Ops', 'arn:aws:sns:us-east-1:111122223333:ops'), emails: ['oncall@example.com'] }));
    expect(alarmProps(b, 'DatabaseCpu').AlarmActions).toEqual(['arn:aws:sns:us-east-1:111122223333:ops']);
    b.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    b.template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  test.each([
    [{ overrides: { DatabaseCpu: { threshold: -1 } } }, /overrides.DatabaseCpu.threshold must not be negative \(got -1\)/],
    [{ overrides: { DatabaseCpu: { threshold: 150 } } }, /overrides.DatabaseCpu.threshold is a percentage: 0-100 \(got 150\)/],
    [{ overrides: { CacheMemory: { threshold: 101 } } }, /overrides.CacheMemory.threshold is a percentage: 0-100 \(got 101\)/],
    [{ overrides: { DatabaseCpu: { evaluationPeriods: 0 } } }, /overrides.DatabaseCpu.evaluationPeriods must be an integer from 1 to 1440 \(got 0\)/],
    [{ overrides: { Cpu: { threshold: 1 } } }, /overrides names 'Cpu', which is not an alarm here/],
    [{ emails: ['oncall'] }, /emails must be e-mail addresses \(got 'oncall'\)/],
    [{ maxConnections: 0 }, /maxConnections must be a positive integer \(got 0\)/],
  ] as Array<[Partial<PlatformAlarmsProps>, RegExp]>)('fails when %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('fails when the instance class is unknown and maxConnections is not given', () => {
    expect(() => build({}, new ec2.InstanceType('z1d.large'))).toThrow(/maxConnections is needed: the memory of instance class 'z1d.large' is not known/);
  });
});

describe('PlatformAlarms: backups, restore tests and the collector', () => {
  const app = new App();
  const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true });
  const stack = new Stack(app, 'Primary', { env: { region: 'us-east-1' }, crossRegionReferences: true });
  const platform = new DataPlatform(stack, 'Data', { disasterRecovery: dr.target });
  const template = Template.fromStack(stack);
  const alarm = (alarmId: string) => template.findResources('AWS::CloudWatch::Alarm')[stack.getLogicalId(platform.alarms!.alarms[alarmId].node.defaultChild as never)].Properties;
  const topic = { Ref: stack.getLogicalId(platform.alarms!.topic.node.defaultChild as never) };

  test.each([
    ['BackupJobsFailed', 'AWS/Backup', 'NumberOfBackupJobsFailed', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
    ['CopyJobsFailed', 'AWS/Backup', 'NumberOfCopyJobsFailed', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
    ['RestoreValidationFailed', 'CdkDbPlaybook/RestoreTesting', 'ValidationFailed', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
    ['BufferCacheHitRatio', 'CdkDbPlaybook/PostgreSQL', 'BufferCacheHitRatio', 99, 'LessThanThreshold', 'notBreaching'],
    ['LongRunningQueries', 'CdkDbPlaybook/PostgreSQL', 'LongRunningQueries', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
    ['CollectorErrors', 'CdkDbPlaybook/PostgreSQL', 'CollectorError', 3, 'GreaterThanOrEqualToThreshold', 'breaching'],
  ])('%s: %s %s vs %d, missing data %s-ish, ALARM and OK to the topic', (alarmId, ns, metric, threshold, op, missing) => {
    expect(alarm(alarmId)).toMatchObject({
      Namespace: ns, MetricName: metric, Threshold: threshold, ComparisonOperator: op, TreatMissingData: missing,
      AlarmActions: [topic], OKActions: [topic],
    });
  });
});
