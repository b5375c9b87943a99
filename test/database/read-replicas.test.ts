import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PostgresDatabase, PostgresDatabaseProps, Profile, ReadReplica, ReadReplicas, ReadReplicasOptions } from '../../lib';
import { stackWithVpc } from '../support/app';

function build(options: ReadReplicasOptions = {}, dbProps: Partial<PostgresDatabaseProps> = {}) {
  const { stack, vpc } = stackWithVpc();
  const db = new PostgresDatabase(stack, 'Db', { vpc, ...dbProps });
  const replicas = new ReadReplicas(stack, 'Replicas', { source: db, ...options });
  return { stack, db, replicas, get template() { return Template.fromStack(stack); } };
}

/** The DBInstance resources that replicate from another instance. */
function replicaResources(template: Template): Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string }> {
  return template.findResources('AWS::RDS::DBInstance', { Properties: { SourceDBInstanceIdentifier: Match.anyValue() } }) as never;
}

test('replicas follow the primary\'s Database Insights mode (ADVANCED: 15 months) and engine lifecycle', () => {
  const { template } = build({ count: 2 }, {
    databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED,
    engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED,
  });
  const replicas = Object.values(replicaResources(template));
  expect(replicas).toHaveLength(2);
  for (const r of replicas) {
    expect(r.Properties).toMatchObject({
      DatabaseInsightsMode: 'advanced', PerformanceInsightsRetentionPeriod: 465, EngineLifecycleSupport: 'open-source-rds-extended-support-disabled',
    });
  }
});

describe('ReadReplicas defaults', () => {
  const { template, db, stack, replicas: group } = build();
  const replicas = Object.values(replicaResources(template));
  const replica = replicas[0];
  const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(db.encryptionKey.node.defaultChild as kms.CfnKey), 'Arn'] };

  test('one replica in production, streaming from the primary', () => {
    expect(replicas).toHaveLength(1);
    // The source's ARN, built from the primary's Ref.
    const source = JSON.stringify(replica.Properties.SourceDBInstanceIdentifier);
    expect(source).toContain(':db:');
    expect(source).toContain(JSON.stringify({ Ref: stack.getLogicalId(db.instance.node.defaultChild as ec2.CfnInstance) }));
  });

  test('takes the primary\'s instance class, port and key', () => {
    expect(replica.Properties).toMatchObject({ DBInstanceClass: 'db.m7g.large', Port: '5433', KmsKeyId: keyArn });
    // CloudFormation forbids StorageEncrypted next to SourceDBInstanceIdentifier; the key makes it encrypted.
    expect(replica.Properties.StorageEncrypted).toBeUndefined();
  });

  test('is monitored like the primary', () => {
    expect(replica.Properties).toMatchObject({
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: keyArn,
      MonitoringInterval: 60,
      EnableCloudwatchLogsExports: ['postgresql'],
      EnableIAMDatabaseAuthentication: true,
      PubliclyAccessible: false,
    });
  });

  test('runs Database Insights in the primary\'s mode and retention, and states the primary\'s engine lifecycle', () => {
    expect(replica.Properties).toMatchObject({
      DatabaseInsightsMode: 'standard',
      PerformanceInsightsRetentionPeriod: 7,
      EngineLifecycleSupport: 'open-source-rds-extended-support',
    });
  });

  test('is deletion-protected in production', () => {
    expect(replica.Properties.DeletionProtection).toBe(true);
  });

  test('has its own parameter group: the playbook values plus replica settings', () => {
    const groups = template.findResources('AWS::RDS::DBParameterGroup', {
      Properties: { Description: Match.stringLikeRegexp('read replica') },
    });
    const [groupId] = Object.keys(groups);
    expect(replica.Properties.DBParameterGroupName).toEqual({ Ref: groupId });
    expect(groups[groupId].Properties.Parameters).toMatchObject({
      hot_standby_feedback: '0',
      max_standby_streaming_delay: '30000',
      max_standby_archive_delay: '30000',
      autovacuum_vacuum_scale_factor: '0.05',
      'rds.force_ssl': '1',
    });
  });

  test('has its own security group, not the primary\'s: a reader let in to the replicas is not let in to the primary', () => {
    expect(replica.Properties.VPCSecurityGroups).toEqual([
      { 'Fn::GetAtt': [stack.getLogicalId(group.replicas[0].securityGroup.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] },
    ]);
    expect(JSON.stringify(replica.Properties.VPCSecurityGroups)).not.toContain(stack.getLogicalId(db.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup));
  });
});

describe('ReadReplicas options', () => {
  test('count creates Replica1..N', () => {
    const { replicas, template } = build({ count: 3 });
    expect(replicas.replicas.map((r) => r.node.id)).toEqual(['Replica1', 'Replica2', 'Replica3']);
    expect(Object.keys(replicaResources(template))).toHaveLength(3);
    template.resourceCountIs('AWS::RDS::DBParameterGroup', 2);
  });

  test('none in development by default, and no deletion protection when added', () => {
    const dev = build({}, { profile: Profile.DEVELOPMENT });
    expect(dev.replicas.replicas).toHaveLength(0);
    expect(dev.replicas.parameterGroup).toBeUndefined();
    const devWithOne = build({ count: 1 }, { profile: Profile.DEVELOPMENT });
    expect(Object.values(replicaResources(devWithOne.template))[0].Properties.DeletionProtection).toBe(false);
  });

  test('instanceType and parameter overrides', () => {
    const { template } = build({
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R7G, ec2.InstanceSize.XLARGE),
      parameters: { max_standby_streaming_delay: '60000' },
    });
    expect(Object.values(replicaResources(template))[0].Properties.DBInstanceClass).toBe('db.r7g.xlarge');
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ max_standby_streaming_delay: '60000' }) });
  });

  test('database.addReadReplica adds one replica', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    const replica = db.addReadReplica('Reporting', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.XLARGE) });
    expect(replica).toBeInstanceOf(ReadReplica);
    expect(Object.values(replicaResources(Template.fromStack(stack)))[0].Properties.DBInstanceClass).toBe('db.m7g.xlarge');
  });

  test('database.addReadReplicas adds a group', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    expect(db.addReadReplicas('Readers', { count: 2 }).replicas).toHaveLength(2);
  });

  test('metricReplicaLag is the replica\'s ReplicaLag in seconds, maximum per minute', () => {
    const { replicas, stack } = build();
    const metric = replicas.replicas[0].metricReplicaLag();
    expect({ ns: metric.namespace, name: metric.metricName, stat: metric.statistic, period: metric.period.toSeconds() })
      .toEqual({ ns: 'AWS/RDS', name: 'ReplicaLag', stat: 'Maximum', period: 60 });
    expect(stack.resolve(metric.dimensions)).toEqual({ DBInstanceIdentifier: { Ref: stack.getLogicalId(replicas.replicas[0].instance.node.defaultChild as ec2.CfnInstance) } });
  });
});

describe('ReadReplicas bad input', () => {
  test('fails when count is above 15', () => {
    expect(() => build({ count: 16 })).toThrow(/count must be an integer from 0 to 15 \(got 16\)/);
  });

  test('fails when count is negative or fractional', () => {
    expect(() => build({ count: -1 })).toThrow(/count must be an integer from 0 to 15 \(got -1\)/);
    expect(() => build({ count: 1.5 })).toThrow(/count must be an integer from 0 to 15 \(got 1.5\)/);
  });

  test('fails when the primary keeps no backups', () => {
    expect(() => build({ count: 1 }, { profile: Profile.DEVELOPMENT, backupRetention: Duration.days(0) }))
      .toThrow(/count is 1 but the primary has backupRetention 0 days/);
  });

  test('fails when parameterGroup is combined with parameters', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    expect(() => new ReadReplicas(stack, 'R', { source: db, parameterGroup: db.parameterGroup, parameters: { a: '1' } }))
      .toThrow(/parameterGroup cannot be combined with parameters/);
  });
});
