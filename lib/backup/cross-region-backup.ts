import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { PostgresDatabase } from '../database/postgres-database';
import { grantCalls } from '../private/grants';
import { acknowledgeInlinePolicy } from '../private/nag';
import { AWS_REGION_PATTERN, PlaybookValidationError, validateIntegerRange } from '../private/validation';
import { Profile } from '../profile';
import { createKey } from '../private/keys';
import { backupServiceCalls } from '../../shared/aws-calls';

/**
 * Options of CrossRegionBackup.
 */
export interface CrossRegionBackupOptions {
  /**
   * How long the automated backups replicated to the DR region are kept (1-35 days): the
   * point-in-time recovery window there.
   *
   * @default Duration.days(7)
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html
   */
  readonly replicatedBackupRetention?: Duration;

  /**
   * How long the daily AWS Backup snapshots, and their DR copies, are kept (7-365 days; at
   * least the DR vault's minimum retention).
   *
   * @default Duration.days(35)
   */
  readonly dailyRetention?: Duration;

  /**
   * How long the monthly AWS Backup snapshots, and their DR copies, are kept (30-3650 days,
   * at least dailyRetention).
   *
   * @default Duration.days(365)
   */
  readonly monthlyRetention?: Duration;

  /**
   * Replicate the automated backups (PITR) to the DR region. Turn off only where the region
   * pair does not support it.
   *
   * @default true
   */
  readonly replicateAutomatedBackups?: boolean;
}

/**
 * Properties of CrossRegionBackup.
 */
export interface CrossRegionBackupProps extends CrossRegionBackupOptions {
  /** The database to protect. */
  readonly database: PostgresDatabase;
  /** The locked vault in the DR region the copies go to. */
  readonly drVault: backup.IBackupVault;
  /** The KMS key in the DR region that encrypts the replicated automated backups. */
  readonly drKey: kms.IKey;
  /** The DR region (not the database's region). */
  readonly drRegion: string;
}

/**
 * The 3-2-1 rule for the database, primary-region side: RDS replicates its automated backups
 * (continuously archived WAL, so point-in-time recovery) to the DR region, and an AWS Backup
 * plan takes daily and monthly snapshots into a primary-region vault and copies each to the
 * locked DR vault.
 *
 * No AWS Backup continuous backup for RDS: it takes over the instance's backup retention and
 * window, and then fights CloudFormation's BackupRetentionPeriod on every deploy.
 */
export class CrossRegionBackup extends Construct {
  /** The primary-region vault. */
  public readonly vault: backup.BackupVault;
  /** The key of the primary-region vault. */
  public readonly vaultKey: kms.IKey;
  /** The AWS Backup plan. */
  public readonly plan: backup.BackupPlan;
  /** The role AWS Backup takes snapshots and copies with. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CrossRegionBackupProps) {
    super(scope, id);
    const database = props.database;
    const production = database.profile === Profile.PRODUCTION;
    const region = Stack.of(this).region;
    const days = (d: Duration) => d.toDays({ integral: false });
    if (!Token.isUnresolved(props.drRegion) && !AWS_REGION_PATTERN.test(props.drRegion)) {
      throw new PlaybookValidationError(this, `drRegion must be an AWS region name such as us-west-2 (got '${props.drRegion}')`);
    }
    if (!Token.isUnresolved(props.drRegion) && !Token.isUnresolved(region) && props.drRegion === region) {
      throw new PlaybookValidationError(this,
        `drRegion must differ from the database's region ${region} (got '${props.drRegion}'): the offsite copy of 3-2-1 needs another region`);
    }
    const replicated = props.replicatedBackupRetention ?? Duration.days(7);
    const daily = props.dailyRetention ?? Duration.days(35);
    const monthly = props.monthlyRetention ?? Duration.days(365);
    validateIntegerRange(this, 'replicatedBackupRetention', replicated.isUnresolved() ? undefined : days(replicated), 1, 35, 'days');
    validateIntegerRange(this, 'dailyRetention', daily.isUnresolved() ? undefined : days(daily), 7, 365, 'days');
    validateIntegerRange(this, 'monthlyRetention', monthly.isUnresolved() ? undefined : days(monthly), 30, 3650, 'days');
    if (!daily.isUnresolved() && !monthly.isUnresolved() && days(monthly) < days(daily)) {
      throw new PlaybookValidationError(this, `monthlyRetention must be at least dailyRetention (got ${days(monthly)} days < ${days(daily)} days)`);
    }

    // PITR in the DR region: RDS streams the automated backups (snapshots + WAL) there.
    if (props.replicateAutomatedBackups ?? true) {
      const cfn = database.instance.node.defaultChild as rds.CfnDBInstance;
      cfn.automaticBackupReplicationRegion = props.drRegion;
      cfn.automaticBackupReplicationKmsKeyId = props.drKey.keyArn;
      cfn.automaticBackupReplicationRetentionPeriod = days(replicated);
    }

    this.vaultKey = createKey(this, 'VaultKey', {
      description: `Encrypts the AWS Backup vault of ${database.node.path}`,
      enableKeyRotation: true,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: this.vaultKey,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup snapshots and cross-region copies of ${database.node.path} only`,
    });
    this.grantBackup(database, props);
    acknowledgeInlinePolicy(this.role, 'AWS Backup role of this one database (snapshots, copies to the DR vault)');

    this.plan = new backup.BackupPlan(this, 'Plan', {
      // Unique in the account and region (the L2's default is the construct id).
      backupPlanName: Names.uniqueResourceName(this, { maxLength: 50, separator: '-' }),
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(6),
          deleteAfter: daily,
          enableContinuousBackup: false,
          copyActions: [{ destinationBackupVault: props.drVault, deleteAfter: daily }],
        }),
        new backup.BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: '3', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(6),
          deleteAfter: monthly,
          enableContinuousBackup: false,
          copyActions: [{ destinationBackupVault: props.drVault, deleteAfter: monthly }],
        }),
      ],
    });
    // The L1 selection: the L2's addSelection attaches AWSBackupServiceRolePolicyForBackup to
    // any role it is given, and this role is meant to hold only what one instance needs.
    new backup.CfnBackupSelection(this.plan, 'Database', {
      backupPlanId: this.plan.backupPlanId,
      backupSelection: {
        selectionName: 'database',
        iamRoleArn: this.role.roleArn,
        resources: [database.instance.instanceArn],
      },
    });
  }

  /**
   * What AWS Backup needs to snapshot this one instance, copy the snapshots to the DR vault and
   * expire them, by its table (shared/aws-calls.ts, after AWS's AWSBackupServiceRolePolicyForBackup):
   * nothing else. AWS Backup names its RDS snapshots `awsbackup:job-<id>` and their DR copies
   * `awsbackup:copyjob-<id>`: the prefix is the narrowest ARN known at synth.
   */
  private grantBackup(database: PostgresDatabase, props: CrossRegionBackupProps): void {
    const stack = Stack.of(this);
    const snapshots = (region: string) => stack.formatArn({
      service: 'rds', resource: 'snapshot', resourceName: 'awsbackup:*', region, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    grantCalls({ grantPrincipal: this.role, role: this.role }, backupServiceCalls(stack.region, props.drRegion), {
      database: database.instance.instanceArn,
      backupSnapshots: snapshots(stack.region),
      drBackupSnapshots: snapshots(props.drRegion),
      vault: this.vault.backupVaultArn,
      drVault: props.drVault.backupVaultArn,
      databaseKey: database.encryptionKey.keyArn,
      vaultKey: this.vaultKey.keyArn,
      drKey: props.drKey.keyArn,
    });
  }
}
