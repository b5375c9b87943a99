/**
 * The AWS calls of the `db-playbook` CLI, one table per command (and per variant of `restore`),
 * in the AwsCall shape of shared/aws-calls.ts: the IAM action, the resource it acts on, the
 * endpoint the CLI sends it to, and why. Besides the calls the CLI sends, each table holds what
 * AWS authorizes on the caller's behalf during them (no `endpoint`): rds:AddTagsToResource when a
 * request carries Tags, the KMS grant RDS creates on the key it encrypts with. No command passes
 * an IAM role, so none needs iam:PassRole.
 *
 * test/cli/calls.test.ts runs every command against moto, records each SDK command sent and
 * checks that each maps to an entry of its table (and that each entry with an endpoint was
 * sent); README's "IAM permissions" table lists exactly these actions per command.
 *
 * Resource names (CLI_RESOURCES gives the ARN each stands for) or `*` for actions the Service
 * Authorization Reference lists without a resource type.
 */
import type { AwsCall } from './aws-calls';

/** The commands (and variants) with a table, as README's permission table names them. */
export const CLI_COMMANDS = [
  'recovery-points',
  'restore',
  'restore --from-replicated-backups',
  'restore --cutover-proxy',
  'copy',
  'doctor',
  'inspect --secret-arn',
  'logs',
  'logs --log-files',
  'upgrade',
] as const;

/** A command (or variant) with a table. */
export type CliCommand = typeof CLI_COMMANDS[number];

/**
 * What each resource name of the tables stands for, as an ARN pattern (`<...>` the parts an
 * operator fills in). `region` is where the command runs (the instance's, the snapshot's; for
 * a restore from replicated backups the DR region), `other-region` what --regions, --to-region
 * or --dr-region names.
 */
export const CLI_RESOURCES: { readonly [name: string]: string } = {
  sourceInstance: 'arn:aws:rds:<region>:<account>:db:<source id>',
  targetInstance: 'arn:aws:rds:<region>:<account>:db:<target id>',
  replicaInstance: 'arn:aws:rds:<region>:<account>:db:<replica id>',
  proxyTargetInstance: 'arn:aws:rds:<region>:<account>:db:<the instance the proxy targeted>',
  sourceParameterGroup: 'arn:aws:rds:<region>:<account>:pg:<the source\'s parameter group>',
  parameterGroup: 'arn:aws:rds:<region>:<account>:pg:<the instance\'s parameter group>',
  replicaParameterGroup: 'arn:aws:rds:<region>:<account>:pg:<a replica\'s parameter group>',
  sourceSubnetGroup: 'arn:aws:rds:<region>:<account>:subgrp:<the source\'s subnet group>',
  optionGroup: 'arn:aws:rds:<region>:<account>:og:<the source\'s option group, or default:postgres-<major>>',
  drSubnetGroup: 'arn:aws:rds:<region>:<account>:subgrp:<--db-subnet-group>',
  drParameterGroup: 'arn:aws:rds:<region>:<account>:pg:<--db-parameter-group>',
  drOptionGroup: 'arn:aws:rds:<region>:<account>:og:default:postgres-<major>',
  replicatedBackups: 'arn:aws:rds:<the DR region>:<account>:auto-backup:<ab-id>',
  sourceSnapshot: 'arn:aws:rds:<region>:<account>:snapshot:<snapshot id>',
  copySnapshot: 'arn:aws:rds:<other-region>:<account>:snapshot:<copy id>',
  drSnapshots: 'arn:aws:rds:<other-region>:<account>:snapshot:*',
  proxy: 'arn:aws:rds:<region>:<account>:db-proxy:<prx-id>',
  proxyTargetGroup: 'arn:aws:rds:<region>:<account>:target-group:<prx-tg-id>',
  drVaults: 'arn:aws:backup:<other-region>:<account>:backup-vault:*',
  bucket: 'arn:aws:s3:::<bucket>',
  sourceKey: 'arn:aws:kms:<region>:<account>:key/<the source\'s storage key>',
  drKey: 'arn:aws:kms:<the DR region>:<account>:key/<the key the backups are replicated with>',
  destinationKey: 'arn:aws:kms:<other-region>:<account>:key/<--kms-key or the key found there>',
  databaseSecret: 'arn:aws:secretsmanager:<region>:<account>:secret:<--secret-arn>',
  secretKey: 'arn:aws:kms:<region>:<account>:key/<the secret\'s key>',
  postgresLogGroup: 'arn:aws:logs:<region>:<account>:log-group:/aws/rds/instance/<instance id>/postgresql',
  greenInstance: 'arn:aws:rds:<region>:<account>:db:<source id>-green-<suffix>',
  targetParameterGroup: 'arn:aws:rds:<region>:<account>:pg:<the green environment\'s parameter group>',
  blueGreenDeployment: 'arn:aws:rds:<region>:<account>:deployment:<bgd-id>',
  blueGreenDeployments: 'arn:aws:rds:<region>:<account>:deployment:*',
};

/** What RDS does with the caller's permissions on the key it encrypts a new instance or snapshot with, in `region`. */
function rdsKeyUse(key: string, region: string, what: string): AwsCall[] {
  const context = { 'kms:ViaService': `rds.${region}.amazonaws.com` };
  return [
    {
      action: 'kms:CreateGrant', resource: key, context: { ...context, 'kms:GrantIsForAWSResource': 'true' },
      why: `RDS creates a grant on ${what} for the new resource, with the caller's permissions`,
    },
    { action: 'kms:DescribeKey', resource: key, context, why: `RDS reads ${what} before it uses it` },
  ];
}

/** `db-playbook recovery-points` (cli/commands/recovery-points.ts). */
export function recoveryPointsCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'the instance: ARN, resource id, retention, LatestRestorableTime' },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'sourceInstance', endpoint: 'rds', why: 'its own automated backups: ARN and RestoreWindow (the point-in-time window)' },
    { action: 'rds:DescribeDBSnapshots', resource: 'sourceInstance', endpoint: 'rds', why: 'its automated and manual snapshots, and (SnapshotType awsbackup) AWS Backup\'s; the oldest automated one when RDS gives no RestoreWindow' },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'replicatedBackups', endpoint: 'rds', why: 'in --regions: its replicated automated backups (by DbiResourceId)' },
    { action: 'rds:DescribeDBSnapshots', resource: 'drSnapshots', endpoint: 'rds', why: 'in --regions: copies of its snapshots, and AWS Backup\'s copies (SnapshotType awsbackup)' },
    // The Service Authorization Reference lists ListRecoveryPointsByResource with no resource type.
    { action: 'backup:ListRecoveryPointsByResource', resource: '*', endpoint: 'backup', why: 'AWS Backup\'s recovery points of the instance (with their vaults), in its region and --regions' },
  ];
}

/** `db-playbook restore` in the instance's region (`region`), from the source instance (cli/commands/restore.ts). */
export function restoreCalls(region: string): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'the source\'s configuration, to carry it over' },
    { action: 'rds:DescribeDBInstances', resource: 'targetInstance', endpoint: 'rds', why: 'whether the target id is free or a restore to resume; the wait until it is available' },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'sourceInstance', endpoint: 'rds', why: 'the restorable window (RestoreWindow)' },
    { action: 'rds:DescribeDBSnapshots', resource: 'sourceInstance', endpoint: 'rds', why: 'the oldest automated snapshot, when RDS gives no RestoreWindow' },
    // RestoreDBInstanceToPointInTime: db (required), og, pg and subgrp (required), auto-backup (optional) in AWS's data.
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'targetInstance', endpoint: 'rds', why: 'creates the restored instance' },
    // Whether RDS also authorizes the action on the source instance's ARN (the same db type): unsure, listed to be safe.
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'sourceInstance', endpoint: 'rds', why: 'the instance the request restores from (SourceDBInstanceIdentifier)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'sourceParameterGroup', endpoint: 'rds', why: 'the parameter group the request names (the source\'s)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'sourceSubnetGroup', endpoint: 'rds', why: 'the subnet group the request names (the source\'s)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'optionGroup', endpoint: 'rds', why: 'the option group the instance gets (the source\'s, else the default one)' },
    { action: 'rds:AddTagsToResource', resource: 'targetInstance', why: 'the request carries Tags (the source\'s and db-playbook\'s restore tags)' },
    ...rdsKeyUse('sourceKey', region, 'the source\'s key (RDS restores in-region with it)'),
  ];
}

/** `db-playbook restore --from-replicated-backups`, in the DR region `drRegion` only (cli/commands/restore-dr.ts). */
export function restoreFromReplicatedBackupsCalls(drRegion: string): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'replicatedBackups', endpoint: 'rds', why: 'the source\'s replicated automated backups there: ARN, RestoreWindow, engine, port, storage, key, tags' },
    { action: 'rds:DescribeDBInstances', resource: 'targetInstance', endpoint: 'rds', why: 'whether the target id is free or a restore to resume; the wait until it is available' },
    { action: 'rds:DescribeDBSubnetGroups', resource: 'drSubnetGroup', endpoint: 'rds', why: 'that --db-subnet-group exists there' },
    { action: 'rds:DescribeDBParameterGroups', resource: 'drParameterGroup', endpoint: 'rds', why: 'that --db-parameter-group exists there, of the backups\' engine family' },
    { action: 'kms:DescribeKey', resource: 'drKey', endpoint: 'kms', why: 'that the key the backups are replicated with is enabled (and is --kms-key)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'targetInstance', endpoint: 'rds', why: 'creates the restored instance' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'replicatedBackups', endpoint: 'rds', why: 'the backups the request restores from (SourceDBInstanceAutomatedBackupsArn)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'drSubnetGroup', endpoint: 'rds', why: 'the subnet group the request names (--db-subnet-group)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'drParameterGroup', endpoint: 'rds', why: 'the parameter group the request names (--db-parameter-group)' },
    { action: 'rds:RestoreDBInstanceToPointInTime', resource: 'drOptionGroup', endpoint: 'rds', why: 'the default option group the instance gets' },
    { action: 'rds:AddTagsToResource', resource: 'targetInstance', why: 'the request carries Tags (the backups\' and db-playbook\'s restore tags)' },
    ...rdsKeyUse('drKey', drRegion, 'the key the backups are replicated with (RDS restores with it)'),
  ];
}

/** What `restore --cutover-proxy` adds to either restore (cli/rds/proxy.ts), in the region of the restore. */
export function restoreCutoverProxyCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBProxies', resource: 'proxy', endpoint: 'rds', why: 'that the proxy exists and is for PostgreSQL' },
    { action: 'rds:DescribeDBProxyTargets', resource: 'proxy', endpoint: 'rds', why: 'the instances the proxy\'s default target group targets' },
    { action: 'rds:DescribeDBProxyTargets', resource: 'proxyTargetGroup', endpoint: 'rds', why: 'the instances the proxy\'s default target group targets' },
    // AWS's data lists cluster, db, proxy and target-group as required for DeregisterDBProxyTargets; cluster does not apply to an instance target.
    { action: 'rds:DeregisterDBProxyTargets', resource: 'proxy', endpoint: 'rds', why: 'takes the old instance out of the default target group' },
    { action: 'rds:DeregisterDBProxyTargets', resource: 'proxyTargetGroup', endpoint: 'rds', why: 'takes the old instance out of the default target group' },
    { action: 'rds:DeregisterDBProxyTargets', resource: 'proxyTargetInstance', endpoint: 'rds', why: 'the instance taken out' },
    { action: 'rds:RegisterDBProxyTargets', resource: 'proxyTargetGroup', endpoint: 'rds', why: 'puts the restored instance in (and, should that fail, the old one back)' },
  ];
}

/** `db-playbook copy` from `sourceRegion` to `destinationRegion` (cli/commands/recovery-points.ts). */
export function copyCalls(sourceRegion: string, destinationRegion: string): AwsCall[] {
  return [
    { action: 'rds:DescribeDBSnapshots', resource: 'sourceSnapshot', endpoint: 'rds', why: 'the snapshot: status, instance, key' },
    { action: 'rds:DescribeDBSnapshots', resource: 'copySnapshot', endpoint: 'rds', why: 'in the destination: whether the copy\'s id is free; --wait' },
    { action: 'rds:DescribeDBSnapshots', resource: 'drSnapshots', endpoint: 'rds', why: 'without --kms-key: the key of an earlier copy of the instance in the destination' },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'replicatedBackups', endpoint: 'rds', why: 'without --kms-key: the key of the instance\'s replicated automated backups in the destination' },
    { action: 'kms:DescribeKey', resource: 'destinationKey', endpoint: 'kms', why: '--kms-key: that it exists in the destination and is enabled, and its ARN' },
    { action: 'rds:CopyDBSnapshot', resource: 'copySnapshot', endpoint: 'rds', why: 'creates the copy in the destination' },
    { action: 'rds:CopyDBSnapshot', resource: 'sourceSnapshot', endpoint: 'rds', why: 'the presigned request the SDK adds is a CopyDBSnapshot of the source snapshot in its region' },
    // CopyDBSnapshot lists rds:AddTagsToResource as a dependent action; whether CopyTags (no Tags in the request) needs it: unsure, listed to be safe.
    { action: 'rds:AddTagsToResource', resource: 'copySnapshot', why: 'CopyTags: the copy gets the snapshot\'s tags' },
    ...rdsKeyUse('destinationKey', destinationRegion, 'the destination key the copy is encrypted with'),
    // Unsure: whether RDS needs these on the source snapshot's key for a cross-region copy (AWS documents them for the destination key).
    ...rdsKeyUse('sourceKey', sourceRegion, 'the source snapshot\'s key, to read it for the copy'),
  ];
}

/** `db-playbook doctor` (cli/commands/doctor.ts). */
export function doctorCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'the instance: backups, Multi-AZ, encryption, IAM auth, replicas, replication' },
    { action: 'rds:DescribeDBInstances', resource: 'replicaInstance', endpoint: 'rds', why: 'each read replica: status and parameter group' },
    // The Service Authorization Reference lists DescribeDBMajorEngineVersions and DescribeCertificates with no resource type.
    { action: 'rds:DescribeDBMajorEngineVersions', resource: '*', endpoint: 'rds', why: 'the end of standard (and extended) support of the instance\'s major version' },
    { action: 'rds:DescribePendingMaintenanceActions', resource: 'sourceInstance', endpoint: 'rds', why: 'the instance\'s pending maintenance actions and when RDS applies them' },
    { action: 'rds:DescribeCertificates', resource: '*', endpoint: 'rds', why: 'the expiry of the CA the instance\'s certificate chains to' },
    { action: 'rds:DescribeDBParameters', resource: 'parameterGroup', endpoint: 'rds', why: 'the parameter group\'s values against the playbook' },
    { action: 'rds:DescribeDBParameters', resource: 'replicaParameterGroup', endpoint: 'rds', why: 'each replica\'s parameter group' },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: 'replicatedBackups', endpoint: 'rds', why: 'in the DR region: the replicated automated backups and their latest time' },
    { action: 'rds:DescribeDBSnapshots', resource: 'drSnapshots', endpoint: 'rds', why: 'in the DR region: the newest copy (manual and awsbackup snapshots)' },
    { action: 'rds:DescribeDBProxies', resource: 'proxy', endpoint: 'rds', why: '--proxy, or every proxy of the region (to find those targeting the instance)' },
    { action: 'rds:DescribeDBProxyTargets', resource: 'proxy', endpoint: 'rds', why: 'target health' },
    { action: 'rds:DescribeDBProxyTargets', resource: 'proxyTargetGroup', endpoint: 'rds', why: 'target health' },
    { action: 'backup:ListBackupVaults', resource: '*', endpoint: 'backup', why: 'the DR region\'s vaults' },
    { action: 'backup:ListRecoveryPointsByBackupVault', resource: 'drVaults', endpoint: 'backup', why: 'the instance\'s recovery points in each DR vault' },
    { action: 's3:GetBucketVersioning', resource: 'bucket', endpoint: 's3', why: 'versioning (GetBucketVersioning)' },
    { action: 's3:GetBucketPublicAccessBlock', resource: 'bucket', endpoint: 's3', why: 'the public access block (GetPublicAccessBlock)' },
    { action: 's3:GetEncryptionConfiguration', resource: 'bucket', endpoint: 's3', why: 'default encryption (GetBucketEncryption)' },
    { action: 's3:GetBucketPolicy', resource: 'bucket', endpoint: 's3', why: 'the TLS-only policy (GetBucketPolicy)' },
    { action: 's3:GetReplicationConfiguration', resource: 'bucket', endpoint: 's3', why: 'replication (GetBucketReplication)' },
  ];
}

/** `db-playbook inspect --secret-arn` in the secret's `region` (cli/commands/inspect.ts). */
export function inspectSecretCalls(region: string): AwsCall[] {
  return [
    { action: 'secretsmanager:GetSecretValue', resource: 'databaseSecret', endpoint: 'secretsmanager', why: 'the host, port, database, user and password to connect with' },
    {
      action: 'kms:Decrypt',
      resource: 'secretKey',
      context: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      why: 'Secrets Manager decrypts the secret with its customer managed key on the caller\'s behalf',
    },
  ];
}

/** `db-playbook logs --instance` (cli/commands/logs.ts, cli/logs/cloudwatch.ts): the instance's exported postgresql log in CloudWatch Logs. */
export function logsCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'that the instance exists, runs PostgreSQL and exports its postgresql log; whether it is a read replica' },
    // The log group's key (the platform encrypts its log groups) is used by CloudWatch Logs itself: the caller needs no kms:Decrypt.
    { action: 'logs:FilterLogEvents', resource: 'postgresLogGroup', endpoint: 'logs', why: 'the log\'s events of the window, page by page' },
  ];
}

/** `db-playbook logs --instance --log-files` (cli/logs/log-files.ts): the instance's own log files. */
export function logsLogFilesCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'that the instance exists and runs PostgreSQL; whether it is a read replica' },
    { action: 'rds:DescribeDBLogFiles', resource: 'sourceInstance', endpoint: 'rds', why: 'the instance\'s log files, to pick those of the window' },
    { action: 'rds:DownloadDBLogFilePortion', resource: 'sourceInstance', endpoint: 'rds', why: 'each file, portion by portion' },
  ];
}

/** `db-playbook upgrade` (cli/commands/upgrade.ts, cli/rds/blue-green.ts, cli/rds/target-parameter-group.ts). */
export function upgradeCalls(): AwsCall[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: 'sourceInstance', endpoint: 'rds', why: 'the source: version, parameter group, master user secret, storage, endpoint' },
    // The Service Authorization Reference lists DescribeDBEngineVersions with no resource type.
    { action: 'rds:DescribeDBEngineVersions', resource: '*', endpoint: 'rds', why: 'the source version\'s ValidUpgradeTarget, the target version\'s parameter group family' },
    { action: 'rds:DescribeDBParameters', resource: 'sourceParameterGroup', endpoint: 'rds', why: 'rds.logical_replication, and the values the target group carries over' },
    { action: 'rds:DescribeBlueGreenDeployments', resource: 'blueGreenDeployments', endpoint: 'rds', why: 'the source\'s existing deployments (Filters source)' },
    { action: 'rds:DescribeDBParameterGroups', resource: 'targetParameterGroup', endpoint: 'rds', why: 'that --target-parameter-group exists, of the target family (or that the name to create is free)' },
    { action: 'rds:CreateDBParameterGroup', resource: 'targetParameterGroup', endpoint: 'rds', why: 'the target family\'s group (without --target-parameter-group)' },
    { action: 'rds:ModifyDBParameterGroup', resource: 'targetParameterGroup', endpoint: 'rds', why: 'the source group\'s values in it' },
    { action: 'rds:AddTagsToResource', resource: 'targetParameterGroup', why: 'CreateDBParameterGroup carries Tags (db-playbook:upgrade)' },
    // CreateBlueGreenDeployment: deployment (required), db and pg (optional) in AWS's data.
    { action: 'rds:CreateBlueGreenDeployment', resource: 'blueGreenDeployment', endpoint: 'rds', why: 'creates the deployment' },
    { action: 'rds:CreateBlueGreenDeployment', resource: 'sourceInstance', endpoint: 'rds', why: 'the source it names' },
    { action: 'rds:CreateBlueGreenDeployment', resource: 'targetParameterGroup', endpoint: 'rds', why: 'the target parameter group it names' },
    { action: 'rds:AddTagsToResource', resource: 'blueGreenDeployment', why: 'the request carries Tags (db-playbook:upgrade)' },
    // Unsure: AWS's Blue/Green guide lists these as needed by the caller while RDS builds green and switches over; listed to be safe.
    { action: 'rds:CreateDBInstanceReadReplica', resource: 'sourceInstance', why: 'RDS creates green as a replica of the source' },
    { action: 'rds:CreateDBInstanceReadReplica', resource: 'greenInstance', why: 'RDS creates green as a replica of the source' },
    { action: 'rds:DescribeBlueGreenDeployments', resource: 'blueGreenDeployment', endpoint: 'rds', why: 'the wait: status and tasks, the green instance' },
    { action: 'rds:DescribeDBInstances', resource: 'greenInstance', endpoint: 'rds', why: 'green\'s endpoint (for --verify-sql), its deletion protection (before deleting it)' },
    { action: 'rds:SwitchoverBlueGreenDeployment', resource: 'blueGreenDeployment', endpoint: 'rds', why: '--switchover' },
    { action: 'rds:ModifyDBInstance', resource: 'sourceInstance', why: 'the switchover renames blue (<id>-old1)' },
    { action: 'rds:ModifyDBInstance', resource: 'greenInstance', endpoint: 'rds', why: 'aborting: turns off green\'s deletion protection (copied from blue) so that it can be deleted; the switchover renames it' },
    { action: 'rds:PromoteReadReplica', resource: 'greenInstance', why: 'the switchover promotes green' },
    { action: 'rds:DeleteBlueGreenDeployment', resource: 'blueGreenDeployment', endpoint: 'rds', why: 'aborting before the switchover: DeleteTarget deletes green' },
    { action: 'rds:DeleteDBInstance', resource: 'greenInstance', why: 'DeleteTarget deletes the green instance' },
  ];
}

/** Every table, by command; `region` is where the command runs, `otherRegion` the DR (or destination) region. */
export function cliCallTables(region: string, otherRegion: string): Record<CliCommand, AwsCall[]> {
  return {
    'recovery-points': recoveryPointsCalls(),
    'restore': restoreCalls(region),
    'restore --from-replicated-backups': restoreFromReplicatedBackupsCalls(otherRegion),
    'restore --cutover-proxy': restoreCutoverProxyCalls(),
    'copy': copyCalls(region, otherRegion),
    'doctor': doctorCalls(),
    'inspect --secret-arn': inspectSecretCalls(region),
    'logs': logsCalls(),
    'logs --log-files': logsLogFilesCalls(),
    'upgrade': upgradeCalls(),
  };
}

/** The IAM actions of `calls`, each once, in table order. */
export function actionsOf(calls: readonly AwsCall[]): string[] {
  return [...new Set(calls.map((c) => c.action))];
}
