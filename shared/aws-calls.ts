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
 * validation to AWS Backup, looks up the restored instance, reads the database secret.
 * `region` is the function's (for kms:ViaService).
 */
export function restoreValidatorCalls(region: string): AwsCall[] {
  return [
    { action: 'backup:DescribeRestoreJob', resource: '*', endpoint: 'backup', why: 'fills in the restored resource\'s ARN and type when the event lacks them' },
    { action: 'backup:PutRestoreValidationResult', resource: '*', endpoint: 'backup', why: 'reports SUCCESSFUL or FAILED to the restore job' },
    { action: 'rds:DescribeDBInstances', resource: 'restoredInstance', endpoint: 'rds', why: 'the restored instance\'s endpoint, to connect to it' },
    { action: 'secretsmanager:GetSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the credentials to connect with (AWSCURRENT, then AWSPREVIOUS)' },
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

/** The endpoint services a caller's table needs a route to, sorted. */
export function endpointServices(calls: readonly AwsCall[]): string[] {
  return [...new Set(calls.flatMap((c) => (c.endpoint ? [c.endpoint] : [])))].sort();
}
