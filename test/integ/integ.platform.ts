/**
 * Integration test of the development profile on a real account: a DataPlatform (PostgreSQL
 * db.t4g.micro, RDS Proxy, a Redis primary + replica) with a probe function in its VPC, an AWS
 * Backup vault and a restore test of its own, and an IntegTest whose assertions (custom resources
 * in the `DeployAssert` stack, so `cdk deploy` runs them) prove what no test here can:
 *
 * - the probe connects as the application role through the proxy and as the read-only role
 *   through the reader name (verify-full), and the read-only role's INSERT is refused;
 * - the collector publishes BufferCacheHitRatio with the platform's dimension within 10 minutes
 *   (GetMetricData), and every alarm's metric has data but the event-driven ones (alarm-metrics.ts);
 * - the cache alarms' metrics exist per member cluster (CacheClusterId);
 * - a restore (StartRestoreJob, the restore testing plan's metadata) of a backup taken after the
 *   probe wrote its table is validated SUCCESSFUL by the validator; one of a backup taken before
 *   (the table check cannot hold) is FAILED and fires the validation alarm.
 *
 * Run: `npx tsx scripts/integ.ts` (deploy, `db-playbook doctor`, clean-up, destroy). Offline,
 * test/integ/integ.test.ts compares its templates with test/integ/__snapshots__.
 */
import * as path from 'path';
import { App, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { CachePurpose, DataPlatformStack, Profile, RestoreTesting } from '../../lib';
import { metricsPayload, watchedMetrics } from './alarm-metrics';
import { PROBE_TABLE } from './functions/probe';

/** The stack under test. */
export const PLATFORM_STACK = 'PlaybookIntegPlatform';
/** The restored instances the assertions create (outside CloudFormation: scripts/integ.ts deletes them). */
export const RESTORED_INSTANCES = { good: 'playbook-integ-restore-good', stale: 'playbook-integ-restore-stale' } as const;

const FUNCTIONS = path.join(__dirname, 'functions');

/** The stacks and the test, for `cdk deploy` (main below) and the offline tests. */
export interface PlatformInteg {
  readonly stack: DataPlatformStack;
  readonly integ: IntegTest;
  readonly probe: NodejsFunction;
  readonly metricCheck: NodejsFunction;
  readonly restoreTesting: RestoreTesting;
  readonly vault: backup.BackupVault;
}

function testFunction(stack: Stack, id: string, entry: string, props: { vpc?: DataPlatformStack['platform']['vpc']; externalModules: string[]; description: string }): NodejsFunction {
  const platform = (stack as DataPlatformStack).platform;
  const fn = new NodejsFunction(stack, id, {
    entry: path.join(FUNCTIONS, entry),
    description: props.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: Duration.seconds(60),
    memorySize: 256,
    vpc: props.vpc,
    vpcSubnets: props.vpc ? { subnetGroupName: 'Functions' } : undefined,
    logGroup: new logs.LogGroup(stack, `${id}Logs`, {
      // A year, as AWS Control Tower's CT.CLOUDWATCH.PR.2 wants; destroyed with the stack anyway.
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: platform.database.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    bundling: { externalModules: props.externalModules, format: OutputFormat.CJS, minify: true },
  });
  Validations.of(fn.role!).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'Integration-test function: writes its own log group only.',
  });
  if (props.vpc) {
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'Integration-test probe runs in the VPC to reach the proxy: the ENI policy AWS documents.',
    });
  }
  return fn;
}

/** Builds the integration test into `app`. */
export function buildPlatformInteg(app: App): PlatformInteg {
  const stack = new DataPlatformStack(app, PLATFORM_STACK, {
    description: 'cdk-db-playbook integration test (development profile; destroyed after the run)',
    profile: Profile.DEVELOPMENT,
    // The development profile has no proxy by default: the test proves the proxy path.
    enableConnectionPool: true,
    // A replica, so that the cache alarms' member clusters are two and ReplicationLag is published
    // (Multi-AZ: CloudFormation wants automatic failover on a Redis group of two clusters).
    cache: { purpose: CachePurpose.CACHE, replicas: 1, multiAz: true },
    endpoints: { zoneName: 'playbook-integ.db.internal' },
  });
  const platform = stack.platform;
  const database = platform.database;

  const probe = testFunction(stack, 'Probe', 'probe-handler.ts', {
    vpc: platform.vpc,
    // pg, the RDS signer and Secrets Manager go in the bundle.
    externalModules: [],
    description: 'Integration test: SELECT and INSERT as the application and the read-only roles',
  });
  platform.connectFunction(probe);

  const metricCheck = testFunction(stack, 'MetricCheck', 'metric-coverage-handler.ts', {
    // The runtime's AWS SDK.
    externalModules: ['@aws-sdk/*'],
    description: 'Integration test: the alarms\' metrics have data (ListMetrics, GetMetricData)',
  });
  metricCheck.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:ListMetrics', 'cloudwatch:GetMetricData'], resources: ['*'] }));
  Validations.of(metricCheck).acknowledge({
    id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
    reason: 'The metric check calls CloudWatch, whose VPC endpoint here admits only calls on a resource of this account (aws:ResourceAccount); ListMetrics and GetMetricData name none. A test function that reads metrics only.',
  });
  Validations.of(metricCheck.role!).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'cloudwatch:ListMetrics and cloudwatch:GetMetricData support no resource type: "*" is the only resource they accept.',
  });

  // A vault of the test's own (the development profile has no backup plan), destroyed with it:
  // scripts/integ.ts deletes its recovery points first.
  const vault = new backup.BackupVault(stack, 'IntegVault', { encryptionKey: database.encryptionKey, removalPolicy: RemovalPolicy.DESTROY });
  const backupRole = new iam.Role(stack, 'IntegBackupRole', {
    assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup')],
  });
  Validations.of(backupRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    reason: 'The on-demand backups of the integration test: the role AWS documents for AWS Backup.',
  });
  database.encryptionKey.grantEncryptDecrypt(backupRole);
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    Validations.of(backupRole).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: 'grantEncryptDecrypt on the database key only: AWS Backup re-encrypts the snapshot with it.',
    });
  }
  const restoreTesting = new RestoreTesting(stack, 'IntegRestoreTesting', {
    database,
    backupVaults: [vault],
    instanceClass: 'db.t4g.micro',
    tableChecks: [{ table: PROBE_TABLE, minRows: 1 }],
    validationGroups: [platform.readOnlyGroup],
  });
  // The validator's APIs (shared/aws-calls.ts restoreValidatorCalls): DataPlatform adds the
  // interface endpoints of its own restore tests only, so a RestoreTesting beside it brings its own.
  for (const service of ['backup', 'rds']) {
    const endpoint = (platform.vpc as ec2.Vpc).addInterfaceEndpoint(`Integ${service[0].toUpperCase()}${service.slice(1)}Endpoint`, {
      service: new ec2.InterfaceVpcEndpointAwsService(service),
      subnets: { subnetGroupName: 'Functions' },
      privateDnsEnabled: true,
      // HTTPS from the validator only.
      open: false,
    });
    endpoint.connections.allowDefaultPortFrom(restoreTesting.validator, 'Restore validator to the AWS API');
    endpoint.addToPolicy(new iam.PolicyStatement({
      principals: [new iam.StarPrincipal()],
      actions: [`${service}:*`],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': stack.account } },
    }));
  }
  // To the platform's topic, as DataPlatform wires its own restore tests' alarm.
  restoreTesting.alarm.addAlarmAction(new cwActions.SnsAction(platform.alarms!.topic));
  restoreTesting.alarm.addOkAction(new cwActions.SnsAction(platform.alarms!.topic));

  new CfnOutput(stack, 'InstanceIdentifier', { value: database.instance.instanceIdentifier, description: 'The primary (db-playbook doctor --instance)' });
  new CfnOutput(stack, 'IntegVaultName', { value: vault.backupVaultName, description: 'The test vault: its recovery points are deleted before destroy' });

  const integ = new IntegTest(app, 'PlatformInteg', {
    testCases: [stack],
    // Stateful: no update workflow (it would deploy the previous commit first).
    stackUpdateWorkflow: false,
  });
  addAssertions(integ, { stack, probe, metricCheck, restoreTesting, vault, backupRole });
  acknowledgeAssertionStack(Stack.of(integ.node.findChild('DefaultTest').node.findChild('DeployAssert')));
  return { stack, integ, probe, metricCheck, restoreTesting, vault };
}

/**
 * The assertion stack is integ-tests-alpha's: its provider functions and waiter state machines
 * are the library's, with no setting for a VPC, logging or tracing, and live for one test run.
 */
function acknowledgeAssertionStack(assertStack: Stack): void {
  const reasons: Record<string, string> = {
    'cdk-validator-cfnguard::lambda_inside_vpc_check': 'integ-tests-alpha\'s assertion provider functions call AWS APIs from outside the VPC; they exist for one test run.',
    'cdk-validator-cfnguard::step_functions_state_machine_logging_enabled_check': 'integ-tests-alpha\'s waitForAssertions state machines: no logging setting; their results are the custom resources\' answers.',
    'cdk-validator-cfnguard::step_functions_state_machine_tracing_enabled_check': 'integ-tests-alpha\'s waitForAssertions state machines: no tracing setting; they exist for one test run.',
  };
  for (const [id, reason] of Object.entries(reasons)) Validations.of(assertStack).acknowledge({ id, reason });
}

interface Parts {
  stack: DataPlatformStack;
  probe: NodejsFunction;
  metricCheck: NodejsFunction;
  restoreTesting: RestoreTesting;
  vault: backup.BackupVault;
  backupRole: iam.Role;
}

function addAssertions(integ: IntegTest, p: Parts): void {
  const a = integ.assertions;
  const platform = p.stack.platform;
  const assertStack = Stack.of(integ.node.findChild('DefaultTest').node.findChild('DeployAssert'));
  const noneMissing = ExpectedResult.objectLike({ Payload: Match.serializedJson(Match.objectLike({ missing: [] })) });

  // (1) The roles: SELECT and INSERT through the writer and reader names.
  const backupBefore = onDemandBackup(a, p, 'BeforeProbe');
  const probe = a.invokeFunction({ functionName: p.probe.functionName })
    .expect(ExpectedResult.objectLike({ Payload: Match.serializedJson(Match.objectLike({ problems: [] })) }));
  backupBefore.next(probe);
  const backupAfter = onDemandBackup(a, p, 'AfterProbe');
  probe.next(backupAfter.start);

  // (2) BufferCacheHitRatio within 10 minutes; every alarm's metric (but the event-driven) has data.
  const { metrics } = watchedMetrics(platform.alarms!.alarms);
  const bchr = metrics.filter((m) => m.alarm === 'BufferCacheHitRatio');
  a.invokeFunction({ functionName: p.metricCheck.functionName, payload: assertStack.toJsonString({ metrics: bchr, withinMinutes: 10 }) })
    .expect(noneMissing).waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.minutes(1) });
  a.invokeFunction({ functionName: p.metricCheck.functionName, payload: metricsPayload(assertStack, metrics) })
    .expect(noneMissing).waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(2) });
  // (4) The cache alarms' metrics, per member cluster (CacheClusterId).
  a.invokeFunction({ functionName: p.metricCheck.functionName, payload: metricsPayload(assertStack, metrics.filter((m) => m.alarm.startsWith('Cache'))) })
    .expect(noneMissing).waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.minutes(2) });

  // (3) Restores with the restore testing plan's metadata, validated by the validator.
  const good = restoreAndValidate(a, p, assertStack, 'Good', backupAfter.recoveryPointArn, RESTORED_INSTANCES.good, 'SUCCESSFUL');
  backupAfter.done.next(good.start);
  // The same check on a backup taken before the probe wrote its table: it cannot hold. Both
  // restores run at once (separate jobs, separate instances).
  const stale = restoreAndValidate(a, p, assertStack, 'Stale', backupBefore.recoveryPointArn, RESTORED_INSTANCES.stale, 'FAILED');
  backupAfter.done.next(stale.start);
  stale.validated.next(a.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNames: [p.restoreTesting.alarm.alarmName] })
    .assertAtPath('MetricAlarms.0.StateValue', ExpectedResult.stringLikeRegexp('^ALARM$'))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.minutes(1) }));
}

/** StartBackupJob of the primary into the test vault, then wait for it. */
function onDemandBackup(a: IntegTest['assertions'], p: Parts, _label: string) {
  const start = a.awsApiCall('Backup', 'startBackupJob', {
    BackupVaultName: p.vault.backupVaultName,
    ResourceArn: p.stack.platform.database.instance.instanceArn,
    IamRoleArn: p.backupRole.roleArn,
    Lifecycle: { DeleteAfterDays: 1 },
  });
  const done = a.awsApiCall('Backup', 'describeBackupJob', { BackupJobId: start.getAttString('BackupJobId') })
    .expect(ExpectedResult.objectLike({ State: 'COMPLETED' }))
    .waitForAssertions({ totalTimeout: Duration.minutes(40), interval: Duration.minutes(1) });
  // AWS Backup takes the role from the caller: the assertion provider must be allowed to pass it.
  start.provider.addToRolePolicy({ Effect: 'Allow', Action: ['iam:PassRole'], Resource: [p.backupRole.roleArn] });
  start.next(done);
  return { start, done, recoveryPointArn: start.getAttString('RecoveryPointArn'), next: (n: ReturnType<typeof a.awsApiCall>) => done.next(n) };
}

/**
 * StartRestoreJob with the metadata the restore testing selection gives AWS Backup (its
 * overrides, and the instance name), wait for it, invoke the validator with the event
 * EventBridge sends for a restore test, and expect `expected` as the job's validation status.
 */
function restoreAndValidate(a: IntegTest['assertions'], p: Parts, assertStack: Stack, _label: string, recoveryPointArn: string, instanceId: string, expected: 'SUCCESSFUL' | 'FAILED') {
  const selection = p.restoreTesting.node.findChild('Selection') as backup.CfnRestoreTestingSelection;
  const restoreRole = p.restoreTesting.node.findChild('RestoreRole') as iam.Role;
  const start = a.awsApiCall('Backup', 'startRestoreJob', {
    RecoveryPointArn: recoveryPointArn,
    IamRoleArn: restoreRole.roleArn,
    ResourceType: 'RDS',
    Metadata: {
      ...(selection.restoreMetadataOverrides as Record<string, string>),
      // The same list as the selection's, but built from literal text: the selection's value is an
      // Fn::Join whose quotes the assertion's JSON encoding would not escape.
      vpcSecurityGroupIds: `["${p.restoreTesting.restoredSecurityGroup.securityGroupId}"]`,
      dbInstanceIdentifier: instanceId,
    },
  });
  const restored = a.awsApiCall('Backup', 'describeRestoreJob', { RestoreJobId: start.getAttString('RestoreJobId') })
    .expect(ExpectedResult.objectLike({ Status: 'COMPLETED' }))
    .waitForAssertions({ totalTimeout: Duration.minutes(50), interval: Duration.minutes(2) });
  start.provider.addToRolePolicy({ Effect: 'Allow', Action: ['iam:PassRole'], Resource: [restoreRole.roleArn] });
  start.next(restored);
  const event = {
    'version': '0',
    'id': `playbook-integ-${instanceId}`,
    'detail-type': 'Restore Job State Change',
    'source': 'aws.backup',
    'detail': {
      restoreJobId: start.getAttString('RestoreJobId'),
      restoreTestingPlanArn: p.restoreTesting.plan.attrRestoreTestingPlanArn,
      status: 'COMPLETED',
      resourceType: 'RDS',
      createdResourceArn: restored.getAttString('CreatedResourceArn'),
    },
  };
  const validate = a.invokeFunction({ functionName: p.restoreTesting.validator.functionName, payload: assertStack.toJsonString(event) });
  restored.next(validate);
  const validated = a.awsApiCall('Backup', 'describeRestoreJob', { RestoreJobId: start.getAttString('RestoreJobId') })
    .expect(ExpectedResult.objectLike({ ValidationStatus: expected }))
    .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
  validate.next(validated);
  return { start, validated };
}

if (require.main === module) {
  const app = new App();
  buildPlatformInteg(app);
  app.synth();
}
