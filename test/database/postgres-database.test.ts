import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PostgresDatabase, PostgresDatabaseProps, Profile, TunedParameterGroup } from '../../lib';
import { stackWithVpc } from '../support/app';

function synth(props: Partial<PostgresDatabaseProps> = {}) {
  const { stack, vpc } = stackWithVpc();
  const db = new PostgresDatabase(stack, 'Db', { vpc, ...props });
  // Synthesized on first use, so a test can still add to the stack before reading it.
  return { stack, vpc, db, get template() { return Template.fromStack(stack); } };
}

function instanceOf(template: Template): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  const instances = template.findResources('AWS::RDS::DBInstance');
  expect(Object.keys(instances)).toHaveLength(1);
  return Object.values(instances)[0] as never;
}

describe('PostgresDatabase production defaults', () => {
  const { template, stack } = synth();
  const instance = instanceOf(template);

  test('runs PostgreSQL 17 on a Graviton class with automatic minor upgrades', () => {
    expect(instance.Properties).toMatchObject({
      Engine: 'postgres',
      EngineVersion: expect.stringMatching(/^17\.\d+$/),
      DBInstanceClass: 'db.m7g.large',
      AutoMinorVersionUpgrade: true,
      AllowMajorVersionUpgrade: false,
    });
  });

  test('uses 100 GiB of gp3 with storage autoscaling to 1 TiB', () => {
    expect(instance.Properties).toMatchObject({ StorageType: 'gp3', AllocatedStorage: '100', MaxAllocatedStorage: 1024 });
  });

  test('is Multi-AZ', () => {
    expect(instance.Properties.MultiAZ).toBe(true);
  });

  test('encrypts storage with a customer managed key that rotates and is retained', () => {
    expect(instance.Properties.StorageEncrypted).toBe(true);
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(keys);
    expect(Object.keys(keys)).toHaveLength(1);
    expect(instance.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(keys[keyId].Properties.EnableKeyRotation).toBe(true);
    expect(keys[keyId].DeletionPolicy).toBe('Retain');
  });

  test('keeps 14 days of automated backups (point-in-time recovery) and keeps them after deletion', () => {
    expect(instance.Properties.BackupRetentionPeriod).toBe(14);
    expect(instance.Properties.DeleteAutomatedBackups).toBe(false);
  });

  test('is deletion-protected and snapshotted when removed or replaced', () => {
    expect(instance.Properties.DeletionProtection).toBe(true);
    expect(instance.DeletionPolicy).toBe('Snapshot');
    expect(instance.UpdateReplacePolicy).toBe('Snapshot');
  });

  test('takes its credentials from a stack-created secret, encrypted with the key, rotated every 30 days', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const [secretId] = Object.keys(secrets);
    expect(Object.keys(secrets)).toHaveLength(1);
    expect(secrets[secretId].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [Object.keys(template.findResources('AWS::KMS::Key'))[0], 'Arn'] });
    expect(secrets[secretId].DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(instance.Properties.MasterUserPassword)).toContain(secretId);
    expect(instance.Properties.ManageMasterUserPassword).toBeUndefined();
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('turns on IAM database authentication', () => {
    expect(instance.Properties.EnableIAMDatabaseAuthentication).toBe(true);
  });

  test('turns on Database Insights in Standard mode, its Performance Insights data encrypted with the key for 7 days (free)', () => {
    expect(instance.Properties.EnablePerformanceInsights).toBe(true);
    expect(instance.Properties.DatabaseInsightsMode).toBe('standard');
    expect(instance.Properties.PerformanceInsightsKMSKeyId).toEqual(instance.Properties.KmsKeyId);
    expect(instance.Properties.PerformanceInsightsRetentionPeriod).toBe(7);
  });

  test('states its engine lifecycle: RDS Extended Support past the end of standard support, not a major upgrade on RDS\'s date', () => {
    expect(instance.Properties.EngineLifecycleSupport).toBe('open-source-rds-extended-support');
  });

  test('turns on enhanced monitoring every 60 s', () => {
    expect(instance.Properties.MonitoringInterval).toBe(60);
    expect(instance.Properties.MonitoringRoleArn).toBeDefined();
  });

  test('exports the postgresql and upgrade logs with a set retention', () => {
    expect(instance.Properties.EnableCloudwatchLogsExports).toEqual(['postgresql', 'upgrade']);
    for (const log of ['postgresql', 'upgrade']) {
      template.hasResourceProperties('Custom::LogRetention', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', Match.anyValue(), `/${log}`]] },
        RetentionInDays: 90,
      });
    }
  });

  test('copies tags to snapshots', () => {
    expect(instance.Properties.CopyTagsToSnapshot).toBe(true);
  });

  test('sits in the isolated subnets, is not public and listens on 5433', () => {
    expect(instance.Properties.PubliclyAccessible).toBe(false);
    expect(instance.Properties.Port).toBe('5433');
    const isolated = stack.node.findAll()
      .filter((c): c is ec2.Subnet => c instanceof ec2.Subnet)
      .map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));
    expect(isolated.length).toBeGreaterThanOrEqual(2);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: isolated });
  });

  test('attaches the tuned parameter group with TLS forced', () => {
    const groups = template.findResources('AWS::RDS::DBParameterGroup');
    const [groupId] = Object.keys(groups);
    expect(instance.Properties.DBParameterGroupName).toEqual({ Ref: groupId });
    expect(groups[groupId].Properties.Family).toBe('postgres17');
    expect(groups[groupId].Properties.Parameters).toMatchObject({ 'rds.force_ssl': '1' });
  });

  test('creates a security group with no inbound rule and no outbound rule', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('^PostgreSQL') },
    });
    const group = Object.values(groups)[0] as { Properties: Record<string, unknown> };
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    // aws-cdk-lib renders "no outbound" as a rule to 255.255.255.255/32 on a disallowed port.
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });
});

describe('PostgresDatabase development profile', () => {
  const { template } = synth({ profile: Profile.DEVELOPMENT });
  const instance = instanceOf(template);

  test('is a cheap single-AZ burstable instance that the stack can destroy', () => {
    expect(instance.Properties).toMatchObject({
      DBInstanceClass: 'db.t4g.micro',
      MultiAZ: false,
      DeletionProtection: false,
      AllocatedStorage: '20',
      BackupRetentionPeriod: 1,
    });
    expect(instance.DeletionPolicy).toBe('Delete');
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('keeps encryption, IAM auth and TLS', () => {
    expect(instance.Properties).toMatchObject({ StorageEncrypted: true, EnableIAMDatabaseAuthentication: true });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
  });

  test('allows backups to be turned off', () => {
    const t = synth({ profile: Profile.DEVELOPMENT, backupRetention: Duration.days(0) }).template;
    expect(instanceOf(t).Properties.BackupRetentionPeriod).toBe(0);
  });
});

describe('PostgresDatabase Database Insights and engine lifecycle', () => {
  test('development lets RDS upgrade the major version at the end of standard support (no Extended Support charge)', () => {
    const instance = instanceOf(synth({ profile: Profile.DEVELOPMENT }).template);
    expect(instance.Properties).toMatchObject({ EngineLifecycleSupport: 'open-source-rds-extended-support-disabled', DatabaseInsightsMode: 'standard' });
  });

  test('engineLifecycleSupport is a prop, in either profile', () => {
    const { template, db } = synth({ engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED });
    expect(instanceOf(template).Properties.EngineLifecycleSupport).toBe('open-source-rds-extended-support-disabled');
    expect(db.engineLifecycleSupport).toBe(rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED);
    const dev = synth({ profile: Profile.DEVELOPMENT, engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT });
    expect(instanceOf(dev.template).Properties.EngineLifecycleSupport).toBe('open-source-rds-extended-support');
  });

  test('ADVANCED mode keeps 15 months (465 days) without being told', () => {
    const { template, db } = synth({ databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED });
    expect(instanceOf(template).Properties).toMatchObject({ DatabaseInsightsMode: 'advanced', EnablePerformanceInsights: true, PerformanceInsightsRetentionPeriod: 465 });
    expect(db.performanceInsightRetention).toBe(465);
  });

  test('ADVANCED mode takes MONTHS_15 when it is given', () => {
    const instance = instanceOf(synth({ databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED, performanceInsightRetention: rds.PerformanceInsightRetention.MONTHS_15 }).template);
    expect(instance.Properties.PerformanceInsightsRetentionPeriod).toBe(465);
  });

  test('STANDARD mode keeps a longer retention when asked', () => {
    const instance = instanceOf(synth({ performanceInsightRetention: rds.PerformanceInsightRetention.MONTHS_3 }).template);
    expect(instance.Properties).toMatchObject({ DatabaseInsightsMode: 'standard', PerformanceInsightsRetentionPeriod: 93 });
  });

  test('fails when ADVANCED mode is given a retention other than 15 months, naming both props, the value and what is allowed', () => {
    for (const retention of [rds.PerformanceInsightRetention.DEFAULT, rds.PerformanceInsightRetention.MONTHS_12, rds.PerformanceInsightRetention.LONG_TERM]) {
      expect(() => synth({ databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED, performanceInsightRetention: retention }))
        .toThrow(new RegExp(`Db: performanceInsightRetention must be 465 days \\(rds.PerformanceInsightRetention.MONTHS_15\\) with databaseInsightsMode ADVANCED.*\\(got ${retention} days\\)`));
    }
  });
});

describe('PostgresDatabase with existing resources', () => {
  test('uses an existing KMS key instead of creating one', () => {
    const { stack, vpc } = stackWithVpc();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    new PostgresDatabase(stack, 'Db', { vpc, encryptionKey: key });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([stack.getLogicalId(key.node.defaultChild as kms.CfnKey)]);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
  });

  test('uses existing security groups', () => {
    const { stack, vpc } = stackWithVpc();
    const sg = new ec2.SecurityGroup(stack, 'AppDbSg', { vpc });
    new PostgresDatabase(stack, 'Db', { vpc, securityGroups: [sg] });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', {
      VPCSecurityGroups: [{ 'Fn::GetAtt': [stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] }],
    });
  });

  test('uses an existing parameter group as it is', () => {
    const { stack, vpc } = stackWithVpc();
    const group = new TunedParameterGroup(stack, 'Shared', { parameters: { work_mem: '65536' } });
    new PostgresDatabase(stack, 'Db', { vpc, parameterGroup: group });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::RDS::DBParameterGroup'))).toHaveLength(1);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ work_mem: '65536' }) });
  });

  test('lets props override profile defaults', () => {
    const { template } = synth({
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R7G, ec2.InstanceSize.XLARGE),
      allocatedStorage: 200,
      maxAllocatedStorage: 2000,
      backupRetention: Duration.days(35),
      port: 6543,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const instance = instanceOf(template);
    expect(instance.Properties).toMatchObject({
      DBInstanceClass: 'db.r7g.xlarge', AllocatedStorage: '200', MaxAllocatedStorage: 2000, BackupRetentionPeriod: 35, Port: '6543',
    });
    expect(instance.DeletionPolicy).toBe('Retain');
  });
});

describe('PostgresDatabase exposes', () => {
  test('connections on the database port', () => {
    const { stack, vpc, db } = synth();
    const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
    db.connections.allowDefaultPortFrom(client);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5433, ToPort: 5433, IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(client.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] },
    });
  });

  test('grantConnect as rds-db:connect on the instance resource id', () => {
    const { stack, db } = synth();
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    db.grantConnect(role, 'app_user');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({
          Action: 'rds-db:connect',
          Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':dbuser:'), { 'Fn::GetAtt': [Match.anyValue(), 'DbiResourceId'] }, '/app_user'])] },
        })],
      },
    });
  });

  test('grantSecretRead on the secret', () => {
    const { stack, db } = synth();
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    db.grantSecretRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })]) },
    });
  });

  test('metric helpers in AWS/RDS for this instance', () => {
    const { stack, db } = synth();
    const dimension = { DBInstanceIdentifier: stack.resolve(db.instance.instanceIdentifier) };
    const cases: Array<[ReturnType<PostgresDatabase['metric']>, string, string]> = [
      [db.metricCPUUtilization(), 'CPUUtilization', 'Average'],
      [db.metricDatabaseConnections(), 'DatabaseConnections', 'Average'],
      [db.metricFreeStorageSpace(), 'FreeStorageSpace', 'Average'],
      [db.metricFreeableMemory(), 'FreeableMemory', 'Average'],
      [db.metricReadLatency(), 'ReadLatency', 'p90'],
      [db.metricWriteLatency(), 'WriteLatency', 'p90'],
      [db.metricMaximumUsedTransactionIDs(), 'MaximumUsedTransactionIDs', 'Maximum'],
      [db.metricReplicationSlotDiskUsage(), 'ReplicationSlotDiskUsage', 'Maximum'],
      [db.metricOldestReplicationSlotLag(), 'OldestReplicationSlotLag', 'Maximum'],
      [db.metricTransactionLogsDiskUsage(), 'TransactionLogsDiskUsage', 'Maximum'],
    ];
    for (const [metric, name, statistic] of cases) {
      expect({ namespace: metric.namespace, name: metric.metricName, statistic: metric.statistic, dims: stack.resolve(metric.dimensions) })
        .toEqual({ namespace: 'AWS/RDS', name, statistic, dims: dimension });
    }
  });

  test('the instance, secret, key and parameter group', () => {
    const { db } = synth();
    expect(db.instance).toBeInstanceOf(rds.DatabaseInstance);
    expect(db.secret.secretArn).toBeDefined();
    expect(db.encryptionKey.keyArn).toBeDefined();
    expect(db.parameterGroup).toBeInstanceOf(TunedParameterGroup);
    expect(db.port).toBe(5433);
  });
});

describe('PostgresDatabase bad input', () => {
  test('fails when backupRetention is 0 in production', () => {
    expect(() => synth({ backupRetention: Duration.days(0) }))
      .toThrow(/backupRetention must be 1-35 days in production .*\(got 0 days\)/);
  });

  test('fails when backupRetention is above 35 days in any profile', () => {
    expect(() => synth({ backupRetention: Duration.days(36) })).toThrow(/backupRetention must be 1-35 days.*\(got 36 days\)/);
    expect(() => synth({ profile: Profile.DEVELOPMENT, backupRetention: Duration.days(40) }))
      .toThrow(/backupRetention must be 0-35 days \(got 40 days\)/);
  });

  test('fails when port is outside 1150-65535', () => {
    expect(() => synth({ port: 1149 })).toThrow(/port must be an integer from 1150 to 65535 \(got 1149\)/);
    expect(() => synth({ port: 65536 })).toThrow(/port must be an integer from 1150 to 65535 \(got 65536\)/);
  });

  test('fails when allocatedStorage is above maxAllocatedStorage', () => {
    expect(() => synth({ allocatedStorage: 500, maxAllocatedStorage: 200 }))
      .toThrow(/allocatedStorage must not exceed maxAllocatedStorage \(got allocatedStorage 500 GiB > maxAllocatedStorage 200 GiB\)/);
  });

  test('fails when allocatedStorage is below the gp3 minimum', () => {
    expect(() => synth({ allocatedStorage: 10 })).toThrow(/allocatedStorage must be an integer from 20 to 65536 GiB \(got 10 GiB\)/);
  });

  test('fails when monitoringInterval is not an RDS interval', () => {
    expect(() => synth({ monitoringInterval: Duration.seconds(20) })).toThrow(/monitoringInterval must be one of 0, 1, 5, 10, 15, 30, 60 seconds \(got 20 seconds\)/);
  });

  test('fails when secretRotation is out of range', () => {
    expect(() => synth({ secretRotation: Duration.days(400) })).toThrow(/secretRotation must be an integer from 1 to 365 days \(got 400 days\)/);
  });

  test('fails when parameterGroup is combined with parameters', () => {
    const { stack, vpc } = stackWithVpc();
    const group = new TunedParameterGroup(stack, 'Shared');
    expect(() => new PostgresDatabase(stack, 'Db', { vpc, parameterGroup: group, parameters: { work_mem: '1' } }))
      .toThrow(/parameterGroup cannot be combined with parameters/);
  });

  test('fails when securityGroups is an empty list', () => {
    expect(() => synth({ securityGroups: [] })).toThrow(/securityGroups must hold at least one/);
  });
});
