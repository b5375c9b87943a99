/**
 * `db-playbook restore --from-replicated-backups`: the restore when the source's region is down.
 * RDS replicates the instance's automated backups and transaction logs to the DR region
 * (CrossRegionBackup sets AutomaticBackupReplicationRegion); there DescribeDBInstanceAutomatedBackups
 * lists them with the source's ARN and region and a RestoreWindow, and
 * RestoreDBInstanceToPointInTime SourceDBInstanceAutomatedBackupsArn restores from them. The
 * source's own configuration is in its region, which this path never calls: the DR region's
 * subnet group, security groups and parameter group are flags, and what the backups record
 * (engine, port, storage, IAM auth, key, tags) comes from them.
 *
 * This module is the path's part of restore.ts's flow (a RestoreSource): the flags, finding the
 * backups, the checks a new restore needs (the window, the groups, the key), the request, the
 * plan and the follow-up. The AWS calls: shared/calls-cli.ts, `restore --from-replicated-backups`.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DBInstanceAutomatedBackup, RDSClient, RestoreDBInstanceToPointInTimeCommandInput } from '@aws-sdk/client-rds';
import { UsageError } from '../errors';
import { orNull } from '../json-output';
import { describeKey } from '../kms/keys';
import { iso } from '../rds/format';
import { findParameterGroup, findSubnetGroup } from '../rds/groups';
import {
  automatedBackupsArnProblem,
  instanceClassProblem,
  instanceIdentifierProblem,
  kmsKeyProblem,
  parameterGroupNameProblem,
  parseArn,
  securityGroupIdProblem,
  subnetGroupNameProblem,
} from '../rds/identifiers';
import { replicatedBackupsOf, replicatedWindow } from '../rds/replicated-backups';
import {
  PlanContext,
  provisionedStorage,
  restoredTags,
  RestoreSource,
  RestoreTime,
  settingsRows,
  withoutUndefined,
} from '../rds/restore-plan';
import type { RestoreOptions } from './restore';

/** The tag holding the ARN of the replicated automated backups a DR restore started from. */
export const RESTORED_FROM_BACKUPS_TAG = 'db-playbook:restored-from-backups';

/** The flags only a restore from replicated backups takes, as RestoreOptions names them. */
export const DR_FLAGS: readonly { readonly key: keyof RestoreOptions; readonly flag: string }[] = [
  { key: 'backupsArn', flag: '--backups-arn' },
  { key: 'dbSubnetGroup', flag: '--db-subnet-group' },
  { key: 'vpcSecurityGroupIds', flag: '--vpc-security-group-ids' },
  { key: 'dbParameterGroup', flag: '--db-parameter-group' },
  { key: 'dbInstanceClass', flag: '--db-instance-class' },
  { key: 'multiAz', flag: '--multi-az' },
  { key: 'kmsKey', flag: '--kms-key' },
];

/** restore --help's paragraph on this path. */
export const DR_HELP = `
The source's region is down (--from-replicated-backups, with --region <the DR region>): RDS
replicates the automated backups and transaction logs to the DR region (CrossRegionBackup sets
AutomaticBackupReplicationRegion), where DescribeDBInstanceAutomatedBackups lists them with their
RestoreWindow, the restorable window. db-playbook finds them by --source (identifier or ARN), or
takes --backups-arn, and restores with RestoreDBInstanceToPointInTime
SourceDBInstanceAutomatedBackupsArn; nothing is sent to the source's region. The DR region's
network and parameters are flags: --db-subnet-group, --vpc-security-group-ids and
--db-parameter-group (of the backups' engine family; the subnet and parameter groups must exist
there: the optional DR replica stack has them, else create them ahead of an outage). The key is
the one the backups are replicated with (the DR key): RDS restores with it, --kms-key only checks
it. From the backups: port, IAM database authentication, storage type (and IOPS where RDS allows
them), backup retention (the replication's), the tags (plus ${RESTORED_FROM_BACKUPS_TAG});
as the playbook deploys production: deletion protection, copy-tags-to-snapshot, not publicly
accessible. The DR region cannot read the rest of the source's settings, so RDS's defaults apply
(set them afterwards): Multi-AZ (unless --multi-az), instance class (the source's unless
--db-instance-class), storage autoscaling, backup window, log exports, CA certificate,
minor-upgrade setting. Resuming (--resume), Ctrl-C and --cutover-proxy (a proxy in the DR
region, with --yes and --verify-sql) work as in-region.
`;

/** Settings RestoreDBInstanceToPointInTime from replicated backups does not carry over. */
const NOT_CARRIED_DR = [
  'what the DR region cannot read of the source (its region is not called), left to RDS\'s defaults: Multi-AZ (unless --multi-az), storage autoscaling (MaxAllocatedStorage), the backup window, log exports, the CA certificate, the option group, the minor-upgrade setting',
  'Performance Insights (EnablePerformanceInsights, its KMS key and retention)',
  'enhanced monitoring (MonitoringInterval, MonitoringRoleArn)',
  'automated-backup replication to another region',
  'the database secret and its rotation (in the source\'s region; the restored instance has the passwords of the restore time)',
];

/** The DR flags, checked. */
interface DrSettings {
  readonly backupsArn?: string;
  readonly subnetGroup: string;
  readonly securityGroupIds: string[];
  readonly parameterGroup: string;
  readonly instanceClass?: string;
  readonly multiAz: boolean;
  readonly kmsKey?: string;
}

/** The flags of a restore from replicated backups, checked before any AWS call; UsageError naming the flag otherwise. */
function drSettings(opts: RestoreOptions, region: string): DrSettings {
  const sourceArn = parseArn(opts.source);
  if (sourceArn) {
    if (sourceArn.service !== 'rds' || !sourceArn.resource.startsWith('db:')) {
      throw new UsageError(`--source ${opts.source} is neither a DB instance identifier nor a DB instance ARN (arn:aws:rds:<region>:<account>:db:<id>)`);
    }
    if (sourceArn.region === region) {
      throw new UsageError(`--source ${opts.source} is an instance of ${region}: --from-replicated-backups restores in the DR region, from the backups replicated there: pass --region <the DR region>`);
    }
  } else {
    const problem = instanceIdentifierProblem(opts.source);
    if (problem) throw new UsageError(`--source '${opts.source}' is not a valid DB instance identifier: it ${problem}`);
  }
  const missing = [
    opts.dbSubnetGroup === undefined ? '--db-subnet-group <name>' : undefined,
    opts.vpcSecurityGroupIds === undefined ? '--vpc-security-group-ids <sg-1,sg-2>' : undefined,
    opts.dbParameterGroup === undefined ? '--db-parameter-group <name>' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    throw new UsageError(`--from-replicated-backups needs ${missing.join(', ')}: the DR region's (the source's subnet group, security groups and parameter group are in its own region)`);
  }
  const subnetProblem = subnetGroupNameProblem(opts.dbSubnetGroup!);
  if (subnetProblem) throw new UsageError(`--db-subnet-group '${opts.dbSubnetGroup}' is not a valid DB subnet group name: it ${subnetProblem}`);
  const securityGroupIds = opts.vpcSecurityGroupIds!.split(',').map((g) => g.trim()).filter(Boolean);
  if (securityGroupIds.length === 0) {
    throw new UsageError(`--vpc-security-group-ids '${opts.vpcSecurityGroupIds}' names no security group: give one or more ids, comma-separated (sg-0123456789abcdef0,sg-…)`);
  }
  for (const id of securityGroupIds) {
    const problem = securityGroupIdProblem(id);
    if (problem) throw new UsageError(`--vpc-security-group-ids: '${id}' ${problem}`);
  }
  const parameterProblem = parameterGroupNameProblem(opts.dbParameterGroup!);
  if (parameterProblem) throw new UsageError(`--db-parameter-group '${opts.dbParameterGroup}' is not a valid DB parameter group name: it ${parameterProblem}`);
  if (opts.dbInstanceClass !== undefined) {
    const problem = instanceClassProblem(opts.dbInstanceClass);
    if (problem) throw new UsageError(`--db-instance-class '${opts.dbInstanceClass}' ${problem}`);
  }
  if (opts.kmsKey !== undefined) {
    const problem = kmsKeyProblem(opts.kmsKey);
    if (problem) throw new UsageError(`--kms-key '${opts.kmsKey}' ${problem}`);
    const keyRegion = parseArn(opts.kmsKey)?.region;
    if (keyRegion && keyRegion !== region) {
      throw new UsageError(`--kms-key ${opts.kmsKey} is in ${keyRegion}: backups replicated to ${region} are encrypted with a key of ${region}`);
    }
  }
  if (opts.backupsArn !== undefined) {
    const problem = automatedBackupsArnProblem(opts.backupsArn);
    if (problem) throw new UsageError(`--backups-arn '${opts.backupsArn}' ${problem}`);
    const arnRegion = parseArn(opts.backupsArn)!.region;
    if (arnRegion !== region) {
      throw new UsageError(`--backups-arn ${opts.backupsArn} is in ${arnRegion}, not ${region}: pass --region ${arnRegion} (the region the backups are replicated to)`);
    }
  }
  return {
    backupsArn: opts.backupsArn,
    subnetGroup: opts.dbSubnetGroup!,
    securityGroupIds,
    parameterGroup: opts.dbParameterGroup!,
    instanceClass: opts.dbInstanceClass,
    multiAz: Boolean(opts.multiAz),
    kmsKey: opts.kmsKey,
  };
}

/** The words of the DR flags, for the command that resumes a restore (restore.ts resumeCommand). */
export function drFlagWords(opts: RestoreOptions): string[] {
  if (!opts.fromReplicatedBackups) return [];
  return [
    '--from-replicated-backups',
    ...(opts.backupsArn !== undefined ? ['--backups-arn', opts.backupsArn] : []),
    ...(opts.dbSubnetGroup !== undefined ? ['--db-subnet-group', opts.dbSubnetGroup] : []),
    ...(opts.vpcSecurityGroupIds !== undefined ? ['--vpc-security-group-ids', opts.vpcSecurityGroupIds] : []),
    ...(opts.dbParameterGroup !== undefined ? ['--db-parameter-group', opts.dbParameterGroup] : []),
    ...(opts.dbInstanceClass !== undefined ? ['--db-instance-class', opts.dbInstanceClass] : []),
    ...(opts.multiAz ? ['--multi-az'] : []),
    ...(opts.kmsKey !== undefined ? ['--kms-key', opts.kmsKey] : []),
  ];
}

/**
 * The RestoreDBInstanceToPointInTime request from `backup` (replicated automated backups) with
 * the DR region's settings. Exported for tests.
 */
export function drRestoreRequest(backup: DBInstanceAutomatedBackup, settings: DrSettings, target: string, time: Date, startedAt: Date): RestoreDBInstanceToPointInTimeCommandInput {
  return withoutUndefined({
    SourceDBInstanceAutomatedBackupsArn: backup.DBInstanceAutomatedBackupsArn,
    TargetDBInstanceIdentifier: target,
    RestoreTime: time,
    DBInstanceClass: settings.instanceClass,
    MultiAZ: settings.multiAz,
    DBSubnetGroupName: settings.subnetGroup,
    VpcSecurityGroupIds: settings.securityGroupIds,
    DBParameterGroupName: settings.parameterGroup,
    Port: backup.Port,
    EnableIAMDatabaseAuthentication: backup.IAMDatabaseAuthenticationEnabled,
    StorageType: backup.StorageType,
    ...provisionedStorage(backup.StorageType, backup.AllocatedStorage, backup.Iops, backup.StorageThroughput),
    BackupRetentionPeriod: backup.BackupRetentionPeriod,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    PubliclyAccessible: false,
    Tags: restoredTags(backup.TagList, backup.DBInstanceIdentifier!.toLowerCase(), time, startedAt, [
      { Key: RESTORED_FROM_BACKUPS_TAG, Value: backup.DBInstanceAutomatedBackupsArn },
    ]),
  });
}

/** The backups `opts` name in `region`: exactly one, or a UsageError saying what was found. */
async function theBackups(opts: RestoreOptions, settings: DrSettings, rds: RDSClient, region: string): Promise<DBInstanceAutomatedBackup> {
  const { replicated, own } = await replicatedBackupsOf(rds, region, opts.source, settings.backupsArn);
  if (replicated.length === 0) {
    if (own.length > 0) {
      throw new UsageError(`'${opts.source}' has its own automated backups in ${region}: this is its own region. --from-replicated-backups restores in the DR region, from the backups replicated there: pass --region <the DR region> (or restore in-region without --from-replicated-backups)`);
    }
    throw new UsageError(settings.backupsArn
      ? `--backups-arn ${settings.backupsArn}: no replicated automated backups of '${opts.source}' with that ARN in ${region}`
      : `no replicated automated backups of '${opts.source}' in ${region}: check --source and --region (the region they are replicated to; db-playbook recovery-points --source <id> --regions <the DR region> lists them)`);
  }
  if (replicated.length > 1) {
    const list = replicated.map((b) => `${b.DBInstanceAutomatedBackupsArn} (${b.Status ?? '?'}, ${iso(b.RestoreWindow?.EarliestTime)} to ${iso(b.RestoreWindow?.LatestTime)})`).join('; ');
    throw new UsageError(`${replicated.length} replicated automated backups of '${opts.source}' in ${region}: ${list}. Pass --backups-arn with the one to restore from`);
  }
  return replicated[0];
}

/** The checks a new restore from `backup` needs; the window. UsageError when one refuses. */
async function checkNew(backup: DBInstanceAutomatedBackup, settings: DrSettings, rds: RDSClient, kms: () => KMSClient, region: string, time: RestoreTime) {
  const id = backup.DBInstanceIdentifier;
  const window = replicatedWindow(backup, region);
  const span = `the restorable window of the replicated backups of '${id}' in ${region} is ${iso(window.earliest)} to ${iso(window.latest)}`;
  if (backup.Status === 'pending' || !window.latest) {
    throw new UsageError(`the replicated automated backups of '${id}' in ${region} are '${backup.Status ?? 'unknown'}' with no restorable time yet (replication just started): nothing to restore from yet`);
  }
  if (time !== 'latest') {
    if (window.earliest && time < window.earliest) throw new UsageError(`--to ${time.toISOString()} is before the earliest restorable time: ${span}`);
    if (time > window.latest) {
      throw new UsageError(`--to ${time.toISOString()} is after the latest restorable time: ${span} (the last transaction log replicated before the source's region went down, or up to minutes behind it: use an earlier time or --latest)`);
    }
  }

  const subnetGroup = await findSubnetGroup(rds, settings.subnetGroup);
  if (!subnetGroup) throw new UsageError(`--db-subnet-group ${settings.subnetGroup}: no DB subnet group of that name in ${region}`);
  const parameterGroup = await findParameterGroup(rds, settings.parameterGroup);
  if (!parameterGroup) throw new UsageError(`--db-parameter-group ${settings.parameterGroup}: no DB parameter group of that name in ${region}`);
  const major = /^(\d+)/.exec(backup.EngineVersion ?? '')?.[1];
  const family = backup.Engine === 'postgres' && major ? `postgres${major}` : undefined;
  if (family && parameterGroup.DBParameterGroupFamily && parameterGroup.DBParameterGroupFamily !== family) {
    throw new UsageError(`--db-parameter-group ${settings.parameterGroup} is of family ${parameterGroup.DBParameterGroupFamily}: the replicated backups are ${backup.Engine} ${backup.EngineVersion}, which needs a ${family} group`);
  }

  if (backup.Encrypted && backup.KmsKeyId) {
    const key = await describeKey(kms(), backup.KmsKeyId);
    if (!key) throw new UsageError(`the replicated backups of '${id}' are encrypted with ${backup.KmsKeyId}, which does not exist in ${region}: RDS cannot restore them`);
    if (key.KeyState && key.KeyState !== 'Enabled') {
      throw new UsageError(`the replicated backups of '${id}' are encrypted with ${key.Arn}, which is ${key.KeyState} in ${region}: RDS restores with that key only (enable it, or cancel its deletion, first)`);
    }
    if (settings.kmsKey !== undefined) {
      const expected = await describeKey(kms(), settings.kmsKey);
      if (!expected) throw new UsageError(`--kms-key ${settings.kmsKey}: no such KMS key in ${region}`);
      if (expected.Arn !== key.Arn) {
        throw new UsageError(`--kms-key ${settings.kmsKey} is ${expected.Arn}, but the replicated backups of '${id}' are encrypted with ${key.Arn}: RDS restores them with that key (RestoreDBInstanceToPointInTime takes none). Check which key the replication uses, or drop --kms-key`);
      }
    }
  } else if (settings.kmsKey !== undefined) {
    throw new UsageError(`--kms-key ${settings.kmsKey}: the replicated backups of '${id}' are not encrypted, and RDS restores them as they are (RestoreDBInstanceToPointInTime takes no key): drop --kms-key`);
  }
  return window;
}

function followUp(backup: DBInstanceAutomatedBackup, region: string, target: string): string[] {
  const source = backup.DBInstanceIdentifier;
  const sourceRegion = backup.Region ?? 'the source\'s region';
  return [
    `Nothing was sent to ${sourceRegion}: '${source}' there is untouched and, once the region is back, still the database of the primary stack. Decide which instance is the primary before the next \`cdk deploy\` of either region.`,
    `Apps reach '${target}' at its endpoint in ${region}; the writer and reader names, the proxy and the database secret are in ${sourceRegion}: point apps at the new endpoint, with the passwords of the restore time.`,
    `Set what the DR region could not read from the source (Multi-AZ, storage autoscaling, log exports, Performance Insights, enhanced monitoring: aws rds modify-db-instance --region ${region} --db-instance-identifier ${target} ...), and replicate its automated backups onward (aws rds start-db-instance-automated-backups-replication).`,
  ];
}

/**
 * The DR path of `restore`: the replicated automated backups of `opts.source` in `region`, or
 * of --backups-arn. Calls only `region`. UsageError when the flags or the backups refuse.
 */
export async function replicatedBackupsSource(opts: RestoreOptions, rds: RDSClient, kms: () => KMSClient, region: string): Promise<RestoreSource> {
  const settings = drSettings(opts, region);
  const backup = await theBackups(opts, settings, rds, region);
  const id = backup.DBInstanceIdentifier!.toLowerCase();
  const arn = backup.DBInstanceAutomatedBackupsArn!;
  return {
    sourceId: id,
    json: { id, arn: orNull(backup.DBInstanceArn), engine: orNull(backup.Engine), engineVersion: orNull(backup.EngineVersion), status: null },
    kmsKeyId: backup.Encrypted ? orNull(backup.KmsKeyId) : null,
    replicatedBackups: { arn, sourceRegion: orNull(backup.Region), status: orNull(backup.Status), retentionDays: orNull(backup.BackupRetentionPeriod) },
    notCarried: NOT_CARRIED_DR,
    restoringFrom: ` from its replicated automated backups`,
    matchTags: { [RESTORED_FROM_BACKUPS_TAG]: arn },
    checkNew: (time) => checkNew(backup, settings, rds, kms, region, time),
    request: (target, time, startedAt) => drRestoreRequest(backup, settings, target, time, startedAt),
    planLines: (plan: PlanContext, request) => {
      const lines = [
        `  from          the replicated automated backups of '${id}' in ${plan.region}: ${arn} (${backup.Status ?? 'unknown'}, retention ${backup.BackupRetentionPeriod ?? '?'} days)`,
        `  source        ${id} (${backup.Region ?? '?'}, ${backup.Engine} ${backup.EngineVersion}; not called: the restore reads only ${plan.region})`,
        `  restore time  ${plan.time.toISOString()}${plan.latest && plan.window ? ` (--latest: ${plan.window.latestFrom})` : ''}`,
        ...(plan.window ? [`  window        ${iso(plan.window.earliest)} to ${iso(plan.window.latest)}`] : []),
        `  target        ${plan.target}${plan.resumeState !== undefined ? ` (exists: a restore already under way, state ${plan.resumeState}: would resume waiting)` : ` (new instance in ${plan.region})`}`,
        `  KMS key       ${backup.Encrypted ? `${backup.KmsKeyId} (the replicated backups' key: RDS restores with it)` : 'none (the replicated backups are not encrypted)'}`,
      ];
      if (plan.resumeState === undefined) {
        lines.push(`  settings (the flags; port, IAM auth, storage, retention and tags from the backups; protection as in production):`);
        for (const [name, value] of settingsRows(request)) lines.push(`    ${name.padEnd(32)} ${value}`);
        lines.push(`  not carried:`);
        for (const item of NOT_CARRIED_DR) lines.push(`    - ${item}`);
      }
      return lines;
    },
    followUp: (target) => followUp(backup, region, target),
  };
}
