import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PostgresDatabase, RestoreTesting, RestoreTestingOptions } from '../../lib';

function build(options: RestoreTestingOptions = {}) {
  const stack = new Stack(new App(), 'Primary', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = new PostgresDatabase(stack, 'Db', { vpc });
  const vault = new backup.BackupVault(stack, 'Vault');
  const testing = new RestoreTesting(stack, 'RestoreTesting', { database: db, backupVaults: [vault], ...options });
  return { stack, db, vault, testing, get template() { return Template.fromStack(stack); } };
}

const id = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('RestoreTesting', () => {
  const { template, stack, db, vault, testing } = build();

  test('restores monthly from a random recovery point within 30 days of the vault', () => {
    template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      ScheduleExpression: 'cron(0 5 ? * 2#1 *)',
      RecoveryPointSelection: {
        Algorithm: 'RANDOM_WITHIN_WINDOW',
        SelectionWindowDays: 30,
        RecoveryPointTypes: ['SNAPSHOT'],
        IncludeVaults: [{ 'Fn::GetAtt': [id(stack, vault), 'BackupVaultArn'] }],
      },
      RestoreTestingPlanName: Match.stringLikeRegexp('^[A-Za-z0-9_]{1,50}$'),
    });
  });

  test('selects the database and restores it small, single-AZ, private, in the database subnets, behind its own group', () => {
    const selection = Object.values(template.findResources('AWS::Backup::RestoreTestingSelection'))[0].Properties;
    expect(selection.ProtectedResourceType).toBe('RDS');
    expect(JSON.stringify(selection.ProtectedResourceArns)).toContain(JSON.stringify({ Ref: id(stack, db.instance) }));
    expect(selection.ValidationWindowHours).toBe(4);
    expect(selection.RestoreMetadataOverrides).toMatchObject({
      dbInstanceClass: 'db.t4g.medium',
      multiAZ: 'false',
      publiclyAccessible: 'false',
      deletionProtection: 'false',
      dbSubnetGroupName: { Ref: id(stack, db.subnetGroup as rds.SubnetGroup) },
    });
    expect(JSON.stringify(selection.RestoreMetadataOverrides.vpcSecurityGroupIds)).toContain(id(stack, testing.restoredSecurityGroup));
  });

  test('the restored instance is reachable from the validator only', () => {
    const ingress = testing.restoredSecurityGroup;
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [id(stack, ingress), 'GroupId'] } },
    })).map((r) => r.Properties);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ FromPort: 5433, ToPort: 5433, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/ValidatorSecurityGroup/), 'GroupId'] } });
  });

  test('runs the prebundled validator on Node.js in the VPC with the checks and the secret', () => {
    const fn = template.findResources('AWS::Lambda::Function')[id(stack, testing.validator)];
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 120 });
    expect(fn.Properties.VpcConfig).toBeDefined();
    const env = fn.Properties.Environment.Variables;
    expect(JSON.parse(env.CHECKS)).toEqual({ tables: [] });
    // The validation user's secret, not the master's.
    expect(env.SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^RestoreTestingValidationUserSecretAttachment/) });
    expect(env.METRIC_NAMESPACE).toBe('CdkDbPlaybook/RestoreTesting');
  });

  test('is triggered when a restore test of this plan completes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], restoreTestingPlanArn: [{ 'Fn::GetAtt': [stack.getLogicalId(testing.plan), 'RestoreTestingPlanArn'] }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id(stack, testing.validator), 'Arn'] } })],
    });
  });

  test('may report results and read the secret, nothing broader', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: id(stack, testing.validator.role!) }] },
    })).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat()).sort();
    expect(actions).toEqual(expect.arrayContaining(['backup:PutRestoreValidationResult', 'backup:DescribeRestoreJob', 'rds:DescribeDBInstances', 'secretsmanager:GetSecretValue']));
    expect(actions.filter((a: string) => a.endsWith(':*'))).toEqual([]);
  });

  test('the restore role may use the database key through RDS, and create grants on it only for AWS resources', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(stack.node.findChild('RestoreTesting').node.findChild('RestoreRole').node.defaultChild as never) }] },
    })).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>);
    const key = { 'Fn::GetAtt': [id(stack, db.encryptionKey as never), 'Arn'] };
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'kms:CreateGrant', Resource: key, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    const unconditional = statements.filter((s) => !s.Condition).flatMap((s) => [s.Action].flat());
    expect(unconditional).not.toContain('kms:CreateGrant');
    expect(unconditional.filter((a) => a.startsWith('kms:')).sort()).toEqual([
      'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
    ]);
  });

  test('raises an alarm when a validation fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkDbPlaybook/RestoreTesting', MetricName: 'ValidationFailed', Statistic: 'Sum',
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching',
    });
  });

  test('table checks reach the validator', () => {
    const t = build({ tableChecks: [{ table: 'public.orders', minRows: 100 }, { table: 'users' }] });
    const fn = t.template.findResources('AWS::Lambda::Function')[id(t.stack, t.testing.validator)];
    expect(JSON.parse(fn.Properties.Environment.Variables.CHECKS)).toEqual({
      tables: [{ name: 'public.orders', minRows: 100 }, { name: 'users', minRows: 1 }],
    });
  });

  test.each([
    [{ selectionWindowDays: 0 }, /selectionWindowDays must be an integer from 1 to 365 days \(got 0 days\)/],
    [{ validationWindowHours: 200 }, /validationWindowHours must be an integer from 1 to 168 hours \(got 200 hours\)/],
    [{ instanceClass: 't4g.micro' }, /instanceClass must be an RDS class such as 'db.t4g.medium' \(got 't4g.micro'\)/],
    [{ tableChecks: [{ table: 'orders; drop table x' }] }, /tableChecks table must be 'schema.table' or 'table' \(got 'orders; drop table x'\)/],
    [{ tableChecks: [{ table: 'orders', minRows: -1 }] }, /tableChecks minRows of orders must be an integer/],
  ] as Array<[RestoreTestingOptions, RegExp]>)('fails when %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });
});
