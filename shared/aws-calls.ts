/**
 * The AWS calls each part of cdk-db-playbook makes, one table per caller: the project's Lambda
 * handlers, the AWS-provided secret-rotation function it deploys, and each `db-playbook` command.
 * The IAM grants of the constructs, the VPC endpoints of the VPC that DataPlatform creates, the
 * CLI's permission list in README and the tests that check all of them against AWS's Service
 * Authorization Reference derive from these tables: a call added here is granted, routed,
 * documented and simulated, and a call made but missing here fails a test.
 */

/** One AWS API call: what IAM must allow, on what, and which API endpoint it reaches. */
export interface AwsCall {
  /** The IAM action, `service:Action` as the Service Authorization Reference names it. */
  readonly action: string;
  /**
   * What the call acts on: `*` for actions the Service Authorization Reference lists with no
   * resource type (wildcard-only), else the name of a resource of the deployment (e.g.
   * `databaseSecret`, `restoredInstance`), which the constructs and the tests bind to its ARN.
   */
  readonly resource: string;
  /**
   * The service endpoint the caller sends the request to (`secretsmanager`, `rds`, `backup`, ...),
   * for which a function in a VPC needs a route; absent when another service makes the call on
   * the caller's behalf (kms:Decrypt while Secrets Manager reads an encrypted secret).
   */
  readonly endpoint?: string;
  /** Request context that holds for the call (e.g. `kms:ViaService` for a call made through a service). */
  readonly context?: { readonly [key: string]: string };
  /**
   * The IAM condition the grant carries, as a policy's `Condition` element (e.g. kms:CreateGrant
   * only for AWS resources); the call's `context` satisfies it.
   */
  readonly condition?: { readonly [operator: string]: { readonly [key: string]: string } };
  /** Why the caller makes it. */
  readonly why: string;
}

/** `kms:Decrypt` of the secret's key, which Secrets Manager makes when the caller reads the secret. */
function decryptThroughSecretsManager(key: string, region: string): AwsCall {
  return {
    action: 'kms:Decrypt',
    resource: key,
    context: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
    why: 'Secrets Manager decrypts the secret with its customer managed key on the caller\'s behalf',
  };
}

/**
 * The restore validator (lambda/restore-validator): reads the restore job and reports its
 * validation to AWS Backup, looks up the restored instance, reads the database secret (and
 * lists its versions when AWSCURRENT's password is refused).
 * `region` is the function's (for kms:ViaService).
 */
export function restoreValidatorCalls(region: string): AwsCall[] {
  return [
    { action: 'backup:DescribeRestoreJob', resource: '*', endpoint: 'backup', why: 'fills in the restored resource\'s ARN and type when the event lacks them' },
    { action: 'backup:PutRestoreValidationResult', resource: '*', endpoint: 'backup', why: 'reports SUCCESSFUL or FAILED to the restore job' },
    { action: 'rds:DescribeDBInstances', resource: 'restoredInstance', endpoint: 'rds', why: 'the restored instance\'s endpoint, to connect to it' },
    { action: 'secretsmanager:GetSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the credentials to connect with (AWSCURRENT, then the version of the snapshot\'s time)' },
    {
      action: 'secretsmanager:ListSecretVersionIds',
      resource: 'databaseSecret',
      endpoint: 'secretsmanager',
      why: 'when AWSCURRENT\'s password is refused, the secret\'s versions (deprecated ones included) to find the password of the snapshot\'s time',
    },
    decryptThroughSecretsManager('databaseKey', region),
  ];
}

/** The PostgreSQL metrics collector (lambda/postgres-metrics): reads the database secret; publishes by EMF, no API call. */
export function postgresMetricsCalls(region: string): AwsCall[] {
  return [
    { action: 'secretsmanager:GetSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the credentials to connect with' },
    decryptThroughSecretsManager('databaseKey', region),
  ];
}

/**
 * AWS's single-user rotation function for RDS for PostgreSQL (the Serverless Application
 * Repository app aws-cdk-lib deploys for `addRotationSingleUser`), as its template grants and
 * its code calls: the four rotation steps on the secret, a new password, and the secret's key.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html
 */
export function secretRotationCalls(region: string): AwsCall[] {
  return [
    { action: 'secretsmanager:DescribeSecret', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the rotation\'s version stages' },
    { action: 'secretsmanager:GetSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the current and pending passwords' },
    { action: 'secretsmanager:PutSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'stores the new password as AWSPENDING' },
    { action: 'secretsmanager:UpdateSecretVersionStage', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'promotes AWSPENDING to AWSCURRENT' },
    { action: 'secretsmanager:GetRandomPassword', resource: '*', endpoint: 'secretsmanager', why: 'generates the new password' },
    decryptThroughSecretsManager('databaseKey', region),
    {
      action: 'kms:GenerateDataKey',
      resource: 'databaseKey',
      context: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      why: 'Secrets Manager encrypts the new version with the secret\'s key',
    },
  ];
}

/**
 * The role AWS Backup takes the database's snapshots with and copies them to the DR vault
 * (lib/backup/cross-region-backup.ts): what AWS's own AWSBackupServiceRolePolicyForBackup grants
 * for RDS instance snapshots, cross-region copies and their keys, narrowed to this one instance,
 * the snapshots AWS Backup names `awsbackup:*`, the two vaults and the three keys. Not
 * `rds:ModifyDBSnapshotAttribute`, which AWS's policy grants too: it shares a snapshot with another
 * account, which only a cross-account copy needs, and the copies here stay in this account. AWS
 * Backup makes these calls itself (no endpoint in the caller's VPC); RDS uses the keys on its behalf.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
 */
export function backupServiceCalls(region: string, drRegion: string): AwsCall[] {
  const rdsKeyUse = (key: string, keyRegion: string, action: string, why: string): AwsCall => ({
    action, resource: key, context: { 'kms:ViaService': `rds.${keyRegion}.amazonaws.com` }, why,
  });
  const keyCalls = (key: string, keyRegion: string, what: string): AwsCall[] => [
    { action: 'kms:DescribeKey', resource: key, why: `checks ${what} before it uses it` },
    {
      action: 'kms:CreateGrant', resource: key,
      context: { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': `rds.${keyRegion}.amazonaws.com` },
      condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      why: `RDS creates a grant on ${what} for the snapshot it encrypts`,
    },
    ...['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext']
      .map((a) => rdsKeyUse(key, keyRegion, a, `RDS encrypts and re-encrypts the snapshot with ${what}`)),
  ];
  const snapshotCalls = (snapshots: string, where: string): AwsCall[] => [
    { action: 'rds:DescribeDBSnapshots', resource: snapshots, why: `the state of the ${where} snapshot` },
    { action: 'rds:AddTagsToResource', resource: snapshots, why: `tags the ${where} snapshot with its recovery point` },
    { action: 'rds:ListTagsForResource', resource: snapshots, why: `reads the ${where} snapshot's tags` },
    { action: 'rds:DeleteDBSnapshot', resource: snapshots, why: `expires the ${where} snapshot at the end of its lifecycle` },
  ];
  return [
    { action: 'rds:DescribeDBInstances', resource: 'database', why: 'the instance the selection names' },
    { action: 'rds:ListTagsForResource', resource: 'database', why: 'the instance\'s tags, copied to its snapshots' },
    { action: 'rds:AddTagsToResource', resource: 'database', why: 'as AWS\'s policy grants it' },
    { action: 'rds:DescribeDBSnapshots', resource: 'database', why: 'the instance\'s snapshots (DescribeDBSnapshots filtered by instance)' },
    { action: 'rds:CreateDBSnapshot', resource: 'database', why: 'the daily and monthly snapshot, of this instance' },
    { action: 'rds:CreateDBSnapshot', resource: 'backupSnapshots', why: 'the snapshot it creates, named awsbackup:job-<id>' },
    ...snapshotCalls('backupSnapshots', region),
    { action: 'rds:CopyDBSnapshot', resource: 'backupSnapshots', why: 'the copy to the DR region reads the source snapshot' },
    { action: 'rds:CopyDBSnapshot', resource: 'drBackupSnapshots', why: 'the copy in the DR region, named awsbackup:copyjob-<id>' },
    ...snapshotCalls('drBackupSnapshots', drRegion),
    { action: 'backup:DescribeBackupVault', resource: 'vault', why: 'the source vault of the copy' },
    { action: 'backup:DescribeBackupVault', resource: 'drVault', why: 'the destination vault of the copy' },
    { action: 'backup:CopyFromBackupVault', resource: 'backupSnapshots', why: 'copies the recovery point (the snapshot) out of the source vault' },
    { action: 'backup:CopyIntoBackupVault', resource: 'drVault', why: 'copies the recovery point into the DR vault' },
    ...keyCalls('databaseKey', region, 'the database key'),
    ...keyCalls('vaultKey', region, 'the vault key'),
    ...keyCalls('drKey', drRegion, 'the DR key'),
  ];
}

/**
 * The role AWS Backup restores the test instances with (lib/backup/restore-testing.ts), besides
 * AWS's AWSBackupServiceRolePolicyForRestores: the database key, which decrypts the snapshot and
 * encrypts the restored instance. RDS uses the key with the role's permissions, and creates a
 * grant on it for the instance it restores: kms:CreateGrant only for an AWS resource.
 */
export function restoreTestingServiceCalls(region: string): AwsCall[] {
  const viaRds = { 'kms:ViaService': `rds.${region}.amazonaws.com` };
  return [
    { action: 'kms:DescribeKey', resource: 'databaseKey', why: 'checks the key of the snapshot it restores' },
    {
      action: 'kms:CreateGrant', resource: 'databaseKey',
      context: { 'kms:GrantIsForAWSResource': 'true', ...viaRds },
      condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      why: 'RDS creates a grant on the database key for the instance it restores',
    },
    ...['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']
      .map((action) => ({ action, resource: 'databaseKey', context: viaRds, why: 'RDS decrypts the snapshot and encrypts the restored instance with the database key' })),
  ];
}

/**
 * What CloudWatch Logs does with the key of a log group it writes (`logGroupArn`, the encryption
 * context it sends): encrypts the events and decrypts them for a reader. The key policy lets
 * the service do it for the app's own log groups only (lib/private/logs.ts).
 */
export function cloudWatchLogsKeyCalls(logGroupArn: string): AwsCall[] {
  const context = { 'kms:EncryptionContext:aws:logs:arn': logGroupArn };
  return ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt']
    .map((action) => ({ action, resource: 'logGroupKey', context, why: 'CloudWatch Logs encrypts the log group\'s events and decrypts them for a reader' }));
}

/** The endpoint services a caller's table needs a route to, sorted. */
export function endpointServices(calls: readonly AwsCall[]): string[] {
  return [...new Set(calls.flatMap((c) => (c.endpoint ? [c.endpoint] : [])))].sort();
}

/**
 * The roles provider (lambda/database-roles): reads the master secret to connect as the master
 * user, and each role secret whose AWSCURRENT password a new login role gets. `roleSecrets`
 * stands for every DatabaseUser's secret of the database. Its answer to CloudFormation is a PUT to
 * the request's presigned S3 URL: S3 authorizes it by the URL's signature (CloudFormation's), so
 * it is no IAM call of the function and not in this table; in a VPC the function needs a route to
 * S3 for it (the S3 gateway endpoint, or a default route).
 * `region` is the function's (for kms:ViaService).
 */
export function databaseRolesProviderCalls(region: string): AwsCall[] {
  return [
    { action: 'secretsmanager:GetSecretValue', resource: 'masterSecret', endpoint: 'secretsmanager', why: 'the master user\'s credentials and the endpoint, to run the roles SQL with' },
    { action: 'secretsmanager:GetSecretValue', resource: 'roleSecrets', endpoint: 'secretsmanager', why: 'the AWSCURRENT password a new login role is created with' },
    decryptThroughSecretsManager('databaseKey', region),
  ];
}
