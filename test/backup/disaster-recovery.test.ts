import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import {
  CrossRegionBackup, CrossRegionBackupOptions, DisasterRecoveryStack, DisasterRecoveryVault, DisasterRecoveryVaultProps, PostgresDatabase,
} from '../../lib';
import { stackWithVpc } from '../support/app';

describe('DisasterRecoveryVault', () => {
  function vault(props: DisasterRecoveryVaultProps = {}) {
    const stack = new Stack(new App(), 'Dr', { env: { region: 'us-west-2' } });
    new DisasterRecoveryVault(stack, 'Recovery', props);
    return Template.fromStack(stack);
  }

  test('a rotating key, retained, that encrypts the vault', () => {
    const template = vault();
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  test('Vault Lock: changeable for 3 days, minimum retention 7 days, vault retained', () => {
    const template = vault();
    template.hasResource('AWS::Backup::BackupVault', {
      Properties: { LockConfiguration: { ChangeableForDays: 3, MinRetentionDays: 7, MaxRetentionDays: Match.absent() } },
      DeletionPolicy: 'Retain',
    });
  });

  test('lock settings are props', () => {
    vault({ minRetention: Duration.days(30), changeableFor: Duration.days(10), maxRetention: Duration.days(400) })
      .hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { ChangeableForDays: 10, MinRetentionDays: 30, MaxRetentionDays: 400 } });
  });

  test('fails when changeableFor is under 3 days', () => {
    expect(() => vault({ changeableFor: Duration.days(2) })).toThrow(/changeableFor must be 3 to 36500 days.*\(got 2 days\)/);
  });

  test('fails when minRetention is under 7 days', () => {
    expect(() => vault({ minRetention: Duration.days(1) })).toThrow(/minRetention must be at least 7 days \(got 1 days\)/);
  });

  test('fails when maxRetention is below minRetention', () => {
    expect(() => vault({ minRetention: Duration.days(30), maxRetention: Duration.days(10) }))
      .toThrow(/maxRetention must be at least minRetention \(got maxRetention 10 days < minRetention 30 days\)/);
  });

  test('DisasterRecoveryStack exposes its vault, key and region as the target', () => {
    const stack = new DisasterRecoveryStack(new App(), 'Dr', { env: { region: 'eu-central-1' } });
    expect(stack.target.region).toBe('eu-central-1');
    expect(stack.target.vault).toBe(stack.drVault.vault);
    expect(stack.target.encryptionKey).toBe(stack.drVault.encryptionKey);
  });
});

describe('CrossRegionBackup', () => {
  function build(options: CrossRegionBackupOptions & { drRegion?: string } = {}) {
    const app = new App();
    const { drRegion = 'us-west-2', ...rest } = options;
    const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true });
    const stack = new Stack(app, 'Primary', { env: { region: 'us-east-1' }, crossRegionReferences: true });
    const { vpc } = (() => { const v = stackWithVpcIn(stack); return { vpc: v }; })();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    const backupConstruct = new CrossRegionBackup(stack, 'Backup', {
      database: db, drVault: dr.target.vault, drKey: dr.target.encryptionKey, drRegion, ...rest,
    });
    return { stack, db, dr, backup: backupConstruct, get template() { return Template.fromStack(stack); } };
  }

  test('replicates the automated backups (PITR) to the DR region with the DR key for 7 days', () => {
    const { template } = build();
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(instance.Properties.AutomaticBackupReplicationRegion).toBe('us-west-2');
    expect(instance.Properties.AutomaticBackupReplicationRetentionPeriod).toBe(7);
    // The DR key's ARN, read across regions.
    expect(JSON.stringify(instance.Properties.AutomaticBackupReplicationKmsKeyId)).toMatch(/ExportsReader.*RecoveryKey.*Arn/);
  });

  test('daily snapshots kept 35 days and monthly kept a year, each copied to the DR vault, no continuous backup', () => {
    const { template } = build();
    const plan = Object.values(template.findResources('AWS::Backup::BackupPlan'))[0].Properties.BackupPlan;
    const rules = Object.fromEntries(plan.BackupPlanRule.map((r: { RuleName: string }) => [r.RuleName, r]));
    expect(Object.keys(rules).sort()).toEqual(['Daily', 'Monthly']);
    expect(rules.Daily).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } });
    expect(rules.Monthly).toMatchObject({ ScheduleExpression: 'cron(0 3 1 * ? *)', Lifecycle: { DeleteAfterDays: 365 } });
    for (const rule of [rules.Daily, rules.Monthly]) {
      expect(rule.EnableContinuousBackup ?? false).toBe(false);
      expect(rule.CopyActions).toHaveLength(1);
      expect(JSON.stringify(rule.CopyActions[0].DestinationBackupVaultArn)).toMatch(/ExportsReader.*RecoveryVault.*BackupVaultArn/);
      expect(rule.CopyActions[0].Lifecycle.DeleteAfterDays).toBe(rule.Lifecycle.DeleteAfterDays);
    }
    expect(plan.BackupPlanName).not.toBe('Plan');
  });

  test('stores the snapshots in a primary-region vault under its own rotating key', () => {
    const { template, stack, backup: b } = build();
    template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(b.vaultKey.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: Match.arrayWith([Match.objectLike({ TargetBackupVault: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupVault'), 'BackupVaultName'] } })]) },
    });
  });

  test('selects the database by ARN with a role that has no managed policy', () => {
    const { template, stack, db, backup: b } = build();
    const selection = Object.values(template.findResources('AWS::Backup::BackupSelection'))[0].Properties.BackupSelection;
    expect(selection.IamRoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(b.role.node.defaultChild as never), 'Arn'] });
    expect(JSON.stringify(selection.Resources)).toContain(JSON.stringify({ Ref: stack.getLogicalId(db.instance.node.defaultChild as rds.CfnDBInstance) }));
    expect(selection.ListOfTags).toBeUndefined();
    const role = template.findResources('AWS::IAM::Role')[stack.getLogicalId(b.role.node.defaultChild as never)];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'backup.amazonaws.com' });
  });

  test('the backup role may snapshot this instance, manage awsbackup snapshots, copy into the DR vault, and nothing else', () => {
    const { template, stack, db, backup: b } = build();
    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(b.role.node.defaultChild as never) }] } }))[0];
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const all = JSON.stringify(statements);
    expect(all).not.toMatch(/"Resource":"\*"/);
    expect(all).not.toMatch(/"rds:\*"|"backup:\*"|"kms:\*"/);
    const on = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).map((s) => JSON.stringify(stack.resolve(s.Resource)));
    // What AWS's AWSBackupServiceRolePolicyForBackup grants for copies (test/fidelity/iam-simulation.ts simulates all of it).
    expect(on('backup:CopyFromBackupVault').join()).toMatch(/:rds:us-east-1:.*:snapshot:awsbackup:\*/);
    expect(on('backup:DescribeBackupVault')).toHaveLength(2);
    expect(on('rds:DescribeDBSnapshots')).toContain(JSON.stringify(stack.resolve(db.instance.instanceArn)));
    const snapshots = on('rds:DeleteDBSnapshot').join();
    expect(snapshots).toContain(':rds:us-east-1:');
    expect(snapshots).toContain(':rds:us-west-2:');
    expect(snapshots).toContain(':snapshot:awsbackup:*');
  });

  test('the backup role may not share a snapshot with another account (rds:ModifyDBSnapshotAttribute: cross-account copies only, none here)', () => {
    const { template, stack, backup: b } = build();
    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(b.role.node.defaultChild as never) }] } }))[0];
    const actions = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat());
    expect(actions).toContain('rds:CopyDBSnapshot');
    expect(actions).not.toContain('rds:ModifyDBSnapshotAttribute');
    expect(actions.filter((a) => a.startsWith('rds:Modify'))).toEqual([]);
  });

  test('options change the retentions', () => {
    const { template } = build({ replicatedBackupRetention: Duration.days(14), dailyRetention: Duration.days(14), monthlyRetention: Duration.days(730) });
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(instance.Properties.AutomaticBackupReplicationRetentionPeriod).toBe(14);
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: Match.arrayWith([Match.objectLike({ RuleName: 'Monthly', Lifecycle: { DeleteAfterDays: 730 } })]) },
    });
  });

  test.each([
    [{ drRegion: 'us-east-1' }, /drRegion must differ from the database's region us-east-1 \(got 'us-east-1'\)/],
    [{ drRegion: 'uswest2' }, /drRegion must be an AWS region name such as us-west-2 \(got 'uswest2'\)/],
    [{ replicatedBackupRetention: Duration.days(36) }, /replicatedBackupRetention must be an integer from 1 to 35 days \(got 36 days\)/],
    [{ dailyRetention: Duration.days(3) }, /dailyRetention must be an integer from 7 to 365 days \(got 3 days\)/],
    [{ monthlyRetention: Duration.days(5000) }, /monthlyRetention must be an integer from 30 to 3650 days \(got 5000 days\)/],
    [{ dailyRetention: Duration.days(90), monthlyRetention: Duration.days(60) }, /monthlyRetention must be at least dailyRetention \(got 60 days < 90 days\)/],
  ] as Array<[CrossRegionBackupOptions & { drRegion?: string }, RegExp]>)('fails when %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  test('accepts an imported DR vault and key', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    const drVault = backup.BackupVault.fromBackupVaultArn(stack, 'DrVault', 'arn:aws:backup:us-west-2:111122223333:backup-vault:dr');
    const drKey = kms.Key.fromKeyArn(stack, 'DrKey', 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new CrossRegionBackup(stack, 'Backup', { database: db, drVault, drKey, drRegion: 'us-west-2' });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', {
      AutomaticBackupReplicationKmsKeyId: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });
});

function stackWithVpcIn(stack: Stack) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ec2 = require('aws-cdk-lib/aws-ec2') as typeof import('aws-cdk-lib/aws-ec2');
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
}
