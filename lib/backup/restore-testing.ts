import { ArnFormat, Duration, Fn, Names, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PostgresDatabase } from '../database/postgres-database';
import { DatabaseGroupRole, DatabaseUser } from '../database/roles/database-user';
import { SchemaGrant, SchemaPrivilege } from '../database/roles/schema-grant';
import { identifierProblem } from '../../shared/roles-spec';
import { handlerAssetDir } from '../private/assets';
import { platformLogGroup } from '../private/logs';
import { Profile } from '../profile';
import { acknowledgeCompliance, acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeVpcFunctionRole } from '../private/nag';
import { grantCalls } from '../private/grants';
import { restoreTestingServiceCalls, restoreValidatorCalls } from '../../shared/aws-calls';
import { PlaybookValidationError, validateIntegerRange } from '../private/validation';

/**
 * A table the restore validation counts: the restore fails unless it has at least `minRows`.
 */
export interface RestoreTableCheck {
  /** The table, `schema.table` or `table` (schema public). */
  readonly table: string;
  /**
   * The fewest rows a good restore has.
   *
   * @default 1
   */
  readonly minRows?: number;
}

/**
 * Options of RestoreTesting.
 */
export interface RestoreTestingOptions {
  /**
   * When restore tests start, as an AWS Backup cron expression (UTC).
   *
   * @default 'cron(0 5 ? * 2#1 *)' - the first Monday of every month, 05:00 UTC
   */
  readonly scheduleExpression?: string;

  /**
   * How far back the recovery point is picked, at random (1-365 days).
   *
   * @default 30
   */
  readonly selectionWindowDays?: number;

  /**
   * How long the restored instance is kept for validation before AWS Backup deletes it (1-168 h).
   *
   * @default 4
   */
  readonly validationWindowHours?: number;

  /**
   * The instance class of the test restore (cheap: it only has to answer the checks).
   *
   * @default 'db.t4g.medium'
   */
  readonly instanceClass?: string;

  /**
   * Tables the validation counts, besides `SELECT 1`.
   *
   * @default - only `SELECT 1`
   */
  readonly tableChecks?: RestoreTableCheck[];

  /**
   * Subnets of the validation function (they need a path to the Secrets Manager, RDS,
   * AWS Backup and CloudWatch Logs APIs).
   *
   * @default - the database's subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * Properties of RestoreTesting.
 */
export interface RestoreTestingProps extends RestoreTestingOptions {
  /** The database whose backups are restored. */
  readonly database: PostgresDatabase;
  /** The vaults whose recovery points may be picked. */
  readonly backupVaults: backup.IBackupVault[];

  /**
   * Group roles the validation user is a member of (a read-only group, so it can read the checked
   * tables, those created later included).
   *
   * @default - none; the user gets READ_ONLY on the schemas of `tableChecks` (tables created later by the master user covered)
   */
  readonly validationGroups?: DatabaseGroupRole[];
}

// PostgreSQL identifiers: at most 63 bytes each (NAMEDATALEN - 1), as the validator checks.
const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * "If you do not have a tested restore process, you do not have backups": an AWS Backup
 * restore testing plan restores the database every month from a recovery point picked at
 * random within 30 days, into a small single-AZ private instance, and a validation function
 * connects to it, runs the checks and reports the result to AWS Backup. AWS Backup deletes
 * the restored instance after the validation window. A failed validation raises `alarm`.
 */
export class RestoreTesting extends Construct {
  /** The restore testing plan. */
  public readonly plan: backup.CfnRestoreTestingPlan;
  /** The validation function. */
  public readonly validator: lambda.Function;
  /** In ALARM when a restore test fails validation. */
  public readonly alarm: cloudwatch.Alarm;
  /** The security group of the restored test instances. */
  public readonly restoredSecurityGroup: ec2.SecurityGroup;
  /**
   * The user the validator logs in to restored instances as: `playbook_restore_check`, with a
   * password secret rotated by alternating users; the validator finds the secret version of the
   * snapshot's time, however many rotations ago.
   */
  public readonly validationUser: DatabaseUser;

  constructor(scope: Construct, id: string, props: RestoreTestingProps) {
    super(scope, id);
    const database = props.database;
    const windowDays = props.selectionWindowDays ?? 30;
    const validationHours = props.validationWindowHours ?? 4;
    validateIntegerRange(this, 'selectionWindowDays', windowDays, 1, 365, 'days');
    validateIntegerRange(this, 'validationWindowHours', validationHours, 1, 168, 'hours');
    const instanceClass = props.instanceClass ?? 'db.t4g.medium';
    if (!Token.isUnresolved(instanceClass) && !/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceClass)) {
      throw new PlaybookValidationError(this, `instanceClass must be an RDS class such as 'db.t4g.medium' (got '${instanceClass}')`);
    }
    if (props.backupVaults.length === 0) {
      throw new PlaybookValidationError(this, 'backupVaults must hold at least one vault (got none)');
    }
    const checks = (props.tableChecks ?? []).map((c) => {
      if (!TABLE_NAME.test(c.table)) {
        throw new PlaybookValidationError(this, `tableChecks table must be 'schema.table' or 'table' (got '${c.table}')`);
      }
      validateIntegerRange(this, `tableChecks minRows of ${c.table}`, c.minRows ?? 1, 0, Number.MAX_SAFE_INTEGER);
      return { name: c.table, minRows: c.minRows ?? 1 };
    });

    this.validationUser = new DatabaseUser(this, 'ValidationUser', {
      database,
      roleName: 'playbook_restore_check',
      groups: props.validationGroups,
    });
    const checkedSchemas = [...new Set(checks.map((c) => (c.name.includes('.') ? c.name.split('.')[0] : 'public')))];
    for (const schemaName of checkedSchemas) {
      if (identifierProblem(schemaName)) {
        throw new PlaybookValidationError(this, `tableChecks schema '${schemaName}' is not allowed for the validation user's grant: ${identifierProblem(schemaName)}`);
      }
      new SchemaGrant(this, `ValidationGrant-${schemaName}`, {
        database, schemaName, role: this.validationUser, privilege: SchemaPrivilege.READ_ONLY,
      });
    }

    // The restored instance: reachable from the validator only.
    const validatorSecurityGroup = new ec2.SecurityGroup(this, 'ValidatorSecurityGroup', {
      vpc: database.vpc,
      description: `Restore validation of ${database.node.path}: out to restored test instances and HTTPS`,
      allowAllOutbound: false,
    });
    validatorSecurityGroup.addEgressRule(ec2.Peer.ipv4(database.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'AWS APIs through the VPC endpoints');
    this.restoredSecurityGroup = new ec2.SecurityGroup(this, 'RestoredSecurityGroup', {
      vpc: database.vpc,
      description: `Restored test copies of ${database.node.path}: the validator only`,
      allowAllOutbound: false,
    });
    this.restoredSecurityGroup.addIngressRule(validatorSecurityGroup, ec2.Port.tcp(database.port), 'Restore validation');
    validatorSecurityGroup.addEgressRule(this.restoredSecurityGroup, ec2.Port.tcp(database.port), 'To the restored instance');

    const planName = Names.uniqueResourceName(this, { maxLength: 50, separator: '_' }).replace(/[^A-Za-z0-9_]/g, '_');
    this.plan = new backup.CfnRestoreTestingPlan(this, 'Plan', {
      restoreTestingPlanName: planName,
      scheduleExpression: props.scheduleExpression ?? 'cron(0 5 ? * 2#1 *)',
      startWindowHours: 24,
      recoveryPointSelection: {
        algorithm: 'RANDOM_WITHIN_WINDOW',
        includeVaults: props.backupVaults.map((v) => v.backupVaultArn),
        recoveryPointTypes: ['SNAPSHOT'],
        selectionWindowDays: windowDays,
      },
    });

    const restoreRole = new iam.Role(this, 'RestoreRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup restore tests of ${database.node.path}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores')],
    });
    acknowledgeManagedPolicy(restoreRole, 'service-role/AWSBackupServiceRolePolicyForRestores', 'Restore tests create and delete instances whose identifiers AWS Backup picks at run time; AWS documents this managed policy for restores.');
    // The restore decrypts the snapshot with the database key and re-encrypts the new instance
    // with it, by its table (shared/aws-calls.ts): kms:CreateGrant only for the AWS resource RDS
    // restores (kms:GrantIsForAWSResource), whether or not the key's policy refuses other grants
    // (a key of the app's own, passed to PostgresDatabase, may not).
    grantCalls({ grantPrincipal: restoreRole, role: restoreRole }, restoreTestingServiceCalls(Stack.of(this).region), {
      databaseKey: database.encryptionKey.keyArn,
    });

    const selection = new backup.CfnRestoreTestingSelection(this, 'Selection', {
      restoreTestingPlanName: this.plan.restoreTestingPlanName,
      restoreTestingSelectionName: 'database',
      protectedResourceType: 'RDS',
      protectedResourceArns: [database.instance.instanceArn],
      iamRoleArn: restoreRole.roleArn,
      validationWindowHours: validationHours,
      restoreMetadataOverrides: {
        dbInstanceClass: instanceClass,
        dbSubnetGroupName: database.subnetGroup.subnetGroupName,
        vpcSecurityGroupIds: Fn.join('', ['["', this.restoredSecurityGroup.securityGroupId, '"]']),
        multiAZ: 'false',
        publiclyAccessible: 'false',
        deletionProtection: 'false',
      },
    });
    selection.addResourceDependency(this.plan);

    const logGroup = platformLogGroup(this, 'ValidatorLogs', { production: database.profile === Profile.PRODUCTION, encryptionKey: database.encryptionKey });
    const metricNamespace = 'CdkDbPlaybook/RestoreTesting';
    this.validator = new lambda.Function(this, 'Validator', {
      description: `Validates restore tests of ${database.node.path} and reports to AWS Backup`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAssetDir('restore-validator')),
      timeout: Duration.minutes(2),
      memorySize: 256,
      // One restore test a month: two at once is already more than ever needed.
      reservedConcurrentExecutions: 2,
      vpc: database.vpc,
      vpcSubnets: props.vpcSubnets ?? database.vpcSubnets,
      securityGroups: [validatorSecurityGroup],
      logGroup,
      environment: {
        SECRET_ARN: this.validationUser.secret!.secretArn,
        DB_NAME: database.databaseName,
        CHECKS: JSON.stringify({ tables: checks }),
        METRIC_NAMESPACE: metricNamespace,
        // The metrics' dimension: this platform's alarm counts this platform's restore tests.
        DB_INSTANCE_ID: database.instance.instanceIdentifier,
        // The Lambda runtime's RDS CA bundle, pinned as the only roots (not NODE_EXTRA_CA_CERTS, which adds to Node's).
        DB_CA_FILE: '/var/runtime/ca-cert.pem',
      },
    });
    // What the function calls, by shared/aws-calls.ts: Backup's two actions are wildcard-only
    // (the Service Authorization Reference lists no resource type for them), DescribeDBInstances
    // of a restored instance whose identifier AWS Backup picks at run time.
    this.validationUser.secret!.grantRead(this.validator);
    grantCalls(this.validator, restoreValidatorCalls(Stack.of(this).region), {
      restoredInstance: Stack.of(this).formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      // grantRead gives GetSecretValue and the key; the table adds ListSecretVersionIds (the
      // secret version of the snapshot's time), so the secret is bound to its ARN.
      databaseSecret: this.validationUser.secret!.secretArn,
      databaseKey: 'grant',
    });
    this.acknowledgeValidatorFindings();

    new events.Rule(this, 'ValidationRule', {
      description: 'A restore test of the database completed: validate it',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], restoreTestingPlanArn: [this.plan.attrRestoreTestingPlanArn] },
      },
      targets: [new targets.LambdaFunction(this.validator, { retryAttempts: 2 })],
    });

    this.alarm = new cloudwatch.Alarm(this, 'ValidationFailedAlarm', {
      alarmDescription: `A restore test of ${database.node.path} failed validation: the backups may not restore`,
      metric: new cloudwatch.Metric({
        namespace: metricNamespace,
        metricName: 'ValidationFailed',
        dimensionsMap: { DBInstanceIdentifier: database.instance.instanceIdentifier },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private acknowledgeValidatorFindings(): void {
    const role = this.validator.role!;
    acknowledgeInlinePolicy(role, 'Restore validator (the validation user\'s secret, its restore job, DescribeDBInstances)');
    acknowledgeInlinePolicy(this.node.findChild('RestoreRole'), 'AWS Backup restore-test role (the database key)');
    acknowledgeCompliance(this.validator, 'LambdaDLQ',
      'Invoked by EventBridge with 2 retries; a validation that cannot run is reported FAILED to AWS Backup and raises the ValidationFailed alarm: nothing to replay.');
    acknowledgeVpcFunctionRole(role, 'Restore validator');
  }
}
