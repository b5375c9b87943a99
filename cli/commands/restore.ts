/**
 * `db-playbook restore`: the playbook's restore runbook as one command. Restores a DB instance
 * to a point in time as a NEW instance, waits for it, optionally verifies it with SQL and
 * re-points an RDS Proxy to it. Two paths, one flow:
 * - in-region (the default): from the source instance, carrying its configuration;
 * - `--from-replicated-backups` (cli/commands/restore-dr.ts): in the DR region (--region), from
 *   the source's replicated automated backups, with the DR region's network and parameter group
 *   given as flags; it never calls the source's region, which may be down.
 * The source is only read.
 *
 * Order of events, each refusing before anything is created: the time parses (explicit offset),
 * the target identifier is valid, the flags are (--verify-sql is one statement; --cutover-proxy
 * has --verify-sql or --skip-verify, and --yes or a terminal to ask on), the source (instance or
 * replicated backups) exists, the target id is free (or, with --resume naming it, is this same
 * restore already under way, by its tags: then it resumes waiting), the time lies in the
 * restorable window (--latest resolves to its end, the time asked for and tagged; from
 * replicated backups, the subnet group, parameter group and key are usable too), the proxy
 * exists. Only then RestoreDBInstanceToPointInTime. The proxy moves only after --verify-sql
 * passed (or --skip-verify) and the cutover was confirmed (--yes, or the proxy's name typed).
 * The AWS calls of each path: shared/calls-cli.ts.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import {
  DBInstance,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  RestoreDBInstanceToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import { Command, InvalidArgumentError, Option } from 'commander';
import { clientConfig, configuredRegion, GlobalOptions } from '../context';
import { requireRegion } from '../region';
import { InterruptedError, UsageError } from '../errors';
import { orNull, printJson } from '../json-output';
import { Interrupts } from '../interrupt';
import type { CommandContext } from '../program';
import { confirmByName, promptIo } from '../rds/confirm';
import { formatDuration, iso } from '../rds/format';
import { instanceIdentifierProblem } from '../rds/identifiers';
import {
  findInstance,
  portOf,
  restorableWindow,
  RESTORE_STARTED_TAG,
  RESTORE_TIME_TAG,
  RESTORED_FROM_TAG,
  RestoreWindow,
  tagsOf,
} from '../rds/instances';
import {
  PlanContext,
  provisionedStorage,
  ReplicatedBackupsJson,
  restoredTags,
  RestoreSource,
  settingsRows,
  SourceJson,
  timeText,
  withoutUndefined,
} from '../rds/restore-plan';
import { findProxy, proxyInstanceTargets, repointProxy } from '../rds/proxy';
import { parseTime, TIME_FORMATS } from '../rds/time';
import { runVerifySql, verifySqlProblem, VerifyResult, verifyTarget, VerifyTarget } from '../rds/verify-sql';
import { FAILED_INSTANCE_STATES, waitFor } from '../rds/wait';
import { shellCommand } from '../shell';
import { RDS_CA_BUNDLE_URL } from '../tls';
import { DR_FLAGS, DR_HELP, drFlagWords, replicatedBackupsSource } from './restore-dr';

/** Default --timeout: large instances take hours to restore; the wait can always be resumed. */
export const DEFAULT_TIMEOUT_MINUTES = 120;

/** Options of `db-playbook restore`. */
export interface RestoreOptions {
  readonly source: string;
  readonly to?: string;
  readonly latest?: boolean;
  readonly target: string;
  /** The existing --target to pick up (the same identifier): adopted only if its tags match. */
  readonly resume?: string;
  readonly dryRun?: boolean;
  readonly verifySql?: string;
  readonly verifyUrl?: string;
  readonly cutoverProxy?: string;
  /** Confirms --cutover-proxy without asking. */
  readonly yes?: boolean;
  /** --cutover-proxy without --verify-sql. */
  readonly skipVerify?: boolean;
  readonly timeout: number;
  readonly json?: boolean;
  /** Restore in the DR region (--region) from the source's replicated automated backups (cli/commands/restore-dr.ts). */
  readonly fromReplicatedBackups?: boolean;
  readonly backupsArn?: string;
  readonly dbSubnetGroup?: string;
  /** Comma-separated, as typed. */
  readonly vpcSecurityGroupIds?: string;
  readonly dbParameterGroup?: string;
  readonly dbInstanceClass?: string;
  readonly multiAz?: boolean;
  readonly kmsKey?: string;
}

/** Settings RestoreDBInstanceToPointInTime cannot carry over: the operator (or the stack) sets them afterwards. */
const NOT_CARRIED = [
  'Performance Insights (EnablePerformanceInsights, its KMS key and retention)',
  'enhanced monitoring (MonitoringInterval, MonitoringRoleArn)',
  'automated-backup replication to another region',
  'the database secret and its rotation (the restored instance has the passwords of the restore time)',
];

function positiveMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of minutes greater than 0');
  return n;
}

/** Registers the `restore` command. */
export function registerRestore(program: Command, ctx: CommandContext): void {
  program.command('restore')
    .description('Restore a DB instance to a point in time as a NEW instance with the source\'s configuration (the source is never modified), wait for it, verify it, optionally re-point an RDS Proxy to it. With --from-replicated-backups: in the DR region, from the replicated automated backups, when the source\'s region is down.')
    .requiredOption('--source <id>', 'the DB instance to restore from (only read); with --from-replicated-backups its identifier or ARN')
    .addOption(new Option('--to <time>', `the time to restore to, with its time zone: ${TIME_FORMATS}`).conflicts('latest'))
    .option('--latest', 'restore to the latest restorable time, read when the restore is asked for (RDS trails the present by up to 5 minutes); that time is what the tags record and RDS restores to')
    .requiredOption('--target <new-id>', 'identifier of the new instance (1-63 letters, digits, hyphens; starts with a letter)')
    .option('--resume <target>', 'pick up the restore to --target (the same identifier) that is already under way, after Ctrl-C, a timeout or a dropped connection: with --to its time; adopted only if its tags name --source and that time. Without --resume an existing --target is refused')
    .option('--dry-run', 'print the plan (source, time, target, every copied setting) and change nothing')
    .option('--verify-sql <sql>', 'one SQL statement to run on the restored instance, read-only, once it is available (e.g. "SELECT count(*) FROM orders"); a failure exits 1 and skips --cutover-proxy')
    .option('--verify-url <postgres-url>', 'credentials for --verify-sql: postgresql://user:password@RESTORED/dbname[?sslmode=...]; host RESTORED = the restored endpoint (default: PGUSER, PGPASSWORD, PGDATABASE)')
    .option('--cutover-proxy <name>', 're-point this RDS Proxy\'s default target group from its current instance to the restored one, once --verify-sql passed (or with --skip-verify) and the cutover is confirmed (--yes, or typing the proxy\'s name)')
    .option('--yes', 'confirm --cutover-proxy without being asked (needed when stdin is not a terminal; on a terminal, without it, the command asks you to type the proxy\'s name before it cuts over)')
    .option('--skip-verify', 'with --cutover-proxy: cut over without --verify-sql (without this flag --cutover-proxy needs --verify-sql, and it must pass)')
    .option('--timeout <minutes>', `how long to wait for the restored instance (default ${DEFAULT_TIMEOUT_MINUTES}); re-run the same command to resume`, positiveMinutes, DEFAULT_TIMEOUT_MINUTES)
    .option('--json', 'print the plan or the result as JSON on stdout (progress goes to stderr)')
    .option('--from-replicated-backups', 'restore in the DR region (--region) from the source\'s replicated automated backups, for when the source\'s region is down: nothing goes to that region; needs --db-subnet-group, --vpc-security-group-ids, --db-parameter-group')
    .addOption(new Option('--backups-arn <arn>', 'the replicated backups\' ARN (arn:aws:rds:<dr-region>:<account>:auto-backup:ab-...; default: found by --source in --region); implies --from-replicated-backups')
      .implies({ fromReplicatedBackups: true }))
    .option('--db-subnet-group <name>', 'with --from-replicated-backups: the DR region\'s DB subnet group')
    .option('--vpc-security-group-ids <sg-1,sg-2>', 'with --from-replicated-backups: the DR region\'s VPC security groups, comma-separated')
    .option('--db-parameter-group <name>', 'with --from-replicated-backups: the DR region\'s DB parameter group, of the backups\' engine family (postgres17 for 17.x)')
    .option('--db-instance-class <class>', 'with --from-replicated-backups: the instance class (default: the source\'s, as RDS restores)')
    .option('--multi-az', 'with --from-replicated-backups: make the restored instance Multi-AZ (default: single-AZ; the source\'s setting cannot be read from the DR region)')
    .option('--kms-key <arn-or-alias>', 'with --from-replicated-backups: the DR key you expect; refused unless it is the key the backups are replicated with, which RDS restores with (RestoreDBInstanceToPointInTime takes no key)')
    .addHelpText('after', `
What is copied from the source: instance class, Multi-AZ, DB subnet group, VPC security groups,
parameter group, option group (unless default), port, IAM database authentication, storage type,
size and autoscaling limit (and IOPS/throughput where RDS allows them), backup retention and
window, deletion protection, copy-tags-to-snapshot, public accessibility, minor-upgrade setting,
log exports, CA certificate, and the tags (except aws:*), plus the tags ${RESTORED_FROM_TAG},
${RESTORE_TIME_TAG} (the time restored to: --to, or the LatestRestorableTime --latest resolved
to, which is the time RDS is asked for) and ${RESTORE_STARTED_TAG}. The KMS key follows the source's: RDS restores
in-region with the source's key. Not carried by RestoreDBInstanceToPointInTime: Performance
Insights, enhanced monitoring, automated-backup replication.

Restore window: LatestRestorableTime from DescribeDBInstances; the earliest time from
DescribeDBInstanceAutomatedBackups RestoreWindow, else the oldest automated snapshot.
${DR_HELP}
Resuming: an existing --target is refused (exit 2, naming it and its tags), unless --resume
names it and it is tagged ${RESTORED_FROM_TAG}=<source> and ${RESTORE_TIME_TAG}=<the --to time>:
then the command waits for it instead (--resume takes --to, not --latest, whose time would be a
new one). Ctrl-C, a timeout or a dropped connection while it waits stops only db-playbook: the
restore goes on in AWS, and the command to resume (waiting, then --verify-sql and
--cutover-proxy) is printed, with the time and --resume; exit 130 after Ctrl-C. A proxy cutover
under way is finished first.

Cutover: --cutover-proxy moves the applications that use the proxy, reads and writes, to the
restored instance. It needs --verify-sql (which must pass) or --skip-verify, and a confirmation:
--yes, or, when stdin is a terminal, typing the proxy's name when asked (after the restore and
the verification). Without a terminal and without --yes the command refuses before restoring.

--verify-sql credentials: --verify-url, else PGUSER / PGPASSWORD / PGDATABASE (PGHOST and
PGPORT are ignored). TLS: sslmode from the URL or PGSSLMODE, default verify-full: the
certificate is checked against the CA bundle in PGSSLROOTCERT or the URL's sslrootcert (as
libpq), for RDS ${RDS_CA_BUNDLE_URL};
without a readable bundle the restore does not start (exit 2). sslmode=require encrypts without
checking the certificate. The SQL is one statement (several are refused before the restore
starts, and PostgreSQL's extended protocol refuses them too), run in a session with
default_transaction_read_only=on, in a READ ONLY transaction that is rolled back. A read-only
transaction still lets a superuser call functions that act outside it: verify as a user that
can only read (the playbook's app_reader).

Exit codes: 0 restored (or dry run); 1 an AWS call, the wait (timeout, failed state) or
--verify-sql failed, or the cutover was not confirmed (the restored instance is kept); 2 bad
input or a refused check (nothing was created or changed); 130 Ctrl-C.

Example (the bad query ran at 13:45 UTC):
  db-playbook restore --source prod-db --to 2026-03-14T13:44:59Z --target prod-db-0314 \\
    --verify-sql 'SELECT count(*) FROM orders' --verify-url 'postgresql://app@RESTORED/app' \\
    --cutover-proxy prod-proxy

Example (us-east-1 is down; the DR region is us-west-2):
  db-playbook restore --region us-west-2 --from-replicated-backups --source prod-db --latest \\
    --target prod-db-dr --db-subnet-group prod-dr-isolated \\
    --vpc-security-group-ids sg-0123456789abcdef0 --db-parameter-group prod-dr-postgres17
`)
    .action(async (opts: RestoreOptions) => {
      await runRestore(opts, ctx);
    });
}

/**
 * The RestoreDBInstanceToPointInTime request that recreates `source`'s configuration in its
 * region, to `time` (for --latest, the LatestRestorableTime it resolved to). Exported for tests.
 */
export function restoreRequest(source: DBInstance, target: string, time: Date, startedAt: Date): RestoreDBInstanceToPointInTimeCommandInput {
  const optionGroup = source.OptionGroupMemberships?.[0]?.OptionGroupName;
  const logExports = source.EnabledCloudwatchLogsExports ?? [];
  return withoutUndefined({
    SourceDBInstanceIdentifier: source.DBInstanceIdentifier,
    TargetDBInstanceIdentifier: target,
    RestoreTime: time,
    DBInstanceClass: source.DBInstanceClass,
    MultiAZ: source.MultiAZ,
    DBSubnetGroupName: source.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: source.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId!).filter(Boolean),
    DBParameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: optionGroup && !optionGroup.startsWith('default:') ? optionGroup : undefined,
    Port: portOf(source),
    EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
    StorageType: source.StorageType,
    AllocatedStorage: source.AllocatedStorage,
    MaxAllocatedStorage: source.MaxAllocatedStorage,
    ...provisionedStorage(source.StorageType, source.AllocatedStorage, source.Iops, source.StorageThroughput),
    BackupRetentionPeriod: source.BackupRetentionPeriod,
    PreferredBackupWindow: source.PreferredBackupWindow,
    DeletionProtection: source.DeletionProtection,
    CopyTagsToSnapshot: source.CopyTagsToSnapshot,
    PubliclyAccessible: source.PubliclyAccessible,
    AutoMinorVersionUpgrade: source.AutoMinorVersionUpgrade,
    EnableCloudwatchLogsExports: logExports.length > 0 ? logExports : undefined,
    CACertificateIdentifier: source.CACertificateIdentifier,
    NetworkType: source.NetworkType,
    Tags: restoredTags(source.TagList, source.DBInstanceIdentifier!, time, startedAt),
  });
}

/**
 * What `restore --json` prints after the envelope (cli/json-output.ts), the same keys in a dry
 * run and a real one: what the plan says (`dryRun`, `action` restore | resume, `resumed` (null
 * unless --resume picked up an existing restore: the `instance`, its `state` and db-playbook
 * `tags` when it was adopted, and the `message` a person reads), `region` (where the restore
 * is), `source`, `replicatedBackups` (the ARN, source region, status and retention of the
 * replicated automated backups a --from-replicated-backups restore starts from; null in-region),
 * `target`, `restoreTime` ISO 8601 (for --latest, the LatestRestorableTime it resolved to, which
 * RDS is asked for), `window` (null when resuming), `kmsKeyId`, `request`: the
 * RestoreDBInstanceToPointInTime input, null when resuming, `notCarried`), then the outcome,
 * null where a dry run cannot know it yet: `status` (the restored instance's), `endpoint`,
 * `restoreSeconds`, `verify` (null without --verify-sql; its `ok`, `rowCount`, `firstRow`,
 * `error` null in a dry run), `cutover` (null without --cutover-proxy; `done` false and `after`
 * null in a dry run, when --verify-sql failed or when the cutover was not confirmed) and
 * `followUp`.
 */
export interface RestoreJson {
  readonly dryRun: boolean;
  readonly action: 'restore' | 'resume';
  readonly resumed: ResumedJson | null;
  readonly region: string;
  readonly source: SourceJson;
  readonly replicatedBackups: ReplicatedBackupsJson | null;
  readonly target: string;
  readonly restoreTime: string;
  readonly window: { readonly earliest: string | null; readonly latest: string | null; readonly earliestFrom: string; readonly latestFrom: string } | null;
  readonly kmsKeyId: string | null;
  readonly request: Record<string, unknown> | null;
  readonly notCarried: readonly string[];
  readonly status: string | null;
  readonly endpoint: { readonly address: string; readonly port: number } | null;
  readonly restoreSeconds: number | null;
  readonly verify: {
    readonly sql: string;
    /** host:port/database it ran (or, in a dry run, will run) on; null in a dry run when that is the restored endpoint. */
    readonly target: string | null;
    readonly ok: boolean | null;
    readonly rowCount: number | null;
    readonly firstRow: Record<string, unknown> | null;
    readonly error: string | null;
  } | null;
  readonly cutover: { readonly proxy: string; readonly before: readonly string[]; readonly after: readonly string[] | null; readonly done: boolean } | null;
  readonly followUp: readonly string[];
}

/** The restore `restore --resume` picked up, as `--json` says it. */
export interface ResumedJson {
  readonly instance: string;
  readonly state: string;
  /** Its db-playbook:* tags, which matched the source and the time. */
  readonly tags: Readonly<Record<string, string>>;
  readonly message: string;
}

/** The part of RestoreJson known before anything is done. */
function restorePlan(r: Resolved, opts: RestoreOptions, request: RestoreDBInstanceToPointInTimeCommandInput) {
  return {
    dryRun: Boolean(opts.dryRun),
    action: r.resume ? 'resume' as const : 'restore' as const,
    resumed: r.resume ? { instance: r.target, state: r.resume.DBInstanceStatus ?? 'unknown', tags: playbookTags(r.resume), message: resumeNotice(r) } : null,
    region: r.region,
    source: r.source.json,
    replicatedBackups: r.source.replicatedBackups,
    target: r.target,
    restoreTime: r.time.toISOString(),
    window: r.window ? {
      earliest: r.window.earliest?.toISOString() ?? null, latest: r.window.latest?.toISOString() ?? null,
      earliestFrom: r.window.earliestFrom, latestFrom: r.window.latestFrom,
    } : null,
    kmsKeyId: r.source.kmsKeyId,
    request: r.resume ? null : { ...request, RestoreTime: request.RestoreTime?.toISOString() } as Record<string, unknown>,
    notCarried: r.source.notCarried,
  };
}

interface Resolved {
  readonly rds: RDSClient;
  readonly region: string;
  readonly source: RestoreSource;
  readonly target: string;
  /** The time restored to: --to's, or the LatestRestorableTime --latest resolved to, or (resuming) the tagged one. */
  readonly time: Date;
  /** Whether the time came from --latest. */
  readonly latest: boolean;
  /** The existing restore --resume picks up (its tags matched), if any. */
  readonly resume?: DBInstance;
  readonly window?: RestoreWindow;
  readonly proxyTargets?: string[];
  readonly verify?: VerifyTarget;
}

/** The in-region path: restore `source` (a DB instance in `region`) with its own configuration. */
function instanceSource(rds: RDSClient, source: DBInstance): RestoreSource {
  const id = source.DBInstanceIdentifier!;
  return {
    sourceId: id,
    json: { id, arn: orNull(source.DBInstanceArn), engine: orNull(source.Engine), engineVersion: orNull(source.EngineVersion), status: orNull(source.DBInstanceStatus) },
    kmsKeyId: source.StorageEncrypted ? orNull(source.KmsKeyId) : null,
    replicatedBackups: null,
    notCarried: NOT_CARRIED,
    restoringFrom: '',
    matchTags: {},
    checkNew: async (time) => {
      if (!source.BackupRetentionPeriod) {
        throw new UsageError(`automated backups are off on '${id}' (BackupRetentionPeriod 0): there is no point in time to restore to; list snapshots with db-playbook recovery-points`);
      }
      const window = await restorableWindow(rds, source);
      if (time !== 'latest') {
        const span = `the restorable window of '${id}' is ${iso(window.earliest)} to ${iso(window.latest)}`;
        if (window.earliest && time < window.earliest) {
          throw new UsageError(`--to ${time.toISOString()} is before the earliest restorable time: ${span} (earliest from ${window.earliestFrom})`);
        }
        if (!window.latest) throw new UsageError(`'${id}' has no LatestRestorableTime yet (a new instance, or backups just enabled): try --latest later`);
        if (time > window.latest) {
          throw new UsageError(`--to ${time.toISOString()} is after the latest restorable time: ${span} (RDS trails the present by up to 5 minutes: use an earlier time or --latest)`);
        }
      } else if (!window.latest) {
        throw new UsageError(`'${id}' has no LatestRestorableTime yet (a new instance, or backups just enabled): try again in a few minutes`);
      }
      return window;
    },
    request: (target, time, startedAt) => restoreRequest(source, target, time, startedAt),
    planLines: (plan: PlanContext, request) => {
      const lines = [
        `  source        ${id} (${plan.region}, ${source.Engine} ${source.EngineVersion}, ${source.DBInstanceStatus})`,
        `  restore time  ${plan.time.toISOString()}${plan.latest && plan.window ? ` (--latest: ${plan.window.latestFrom})` : ''}`,
        ...(plan.window ? [`  window        ${iso(plan.window.earliest)} to ${iso(plan.window.latest)}`] : []),
        `  target        ${plan.target}${plan.resumeState !== undefined ? ` (exists: the restore --resume picks up, state ${plan.resumeState}: would resume waiting)` : ' (new instance)'}`,
        `  KMS key       ${source.StorageEncrypted ? `${source.KmsKeyId} (the source's: RDS restores in-region with the source's key)` : 'none (the source is not encrypted)'}`,
      ];
      if (plan.resumeState === undefined) {
        lines.push(`  settings copied from the source:`);
        for (const [name, value] of settingsRows(request)) lines.push(`    ${name.padEnd(32)} ${value}`);
        lines.push(`  not carried by RestoreDBInstanceToPointInTime:`);
        for (const item of NOT_CARRIED) lines.push(`    - ${item}`);
      }
      return lines;
    },
    followUp: (target, proxy) => followUp(id, target, proxy),
  };
}

/** The flags that only a restore from replicated backups takes, with the values given. */
function drOnlyFlagsGiven(opts: RestoreOptions): string[] {
  return DR_FLAGS.filter((f) => opts[f.key] !== undefined).map((f) => f.flag);
}

/** An instance's db-playbook:* tags. */
function playbookTags(instance: DBInstance): Record<string, string> {
  return Object.fromEntries(Object.entries(tagsOf(instance)).filter(([key]) => key.startsWith('db-playbook:')));
}

/** What an existing instance is, for the messages that refuse it: its state, creation time and db-playbook tags. */
function describeExisting(instance: DBInstance): string {
  const tags = Object.entries(playbookTags(instance)).map(([k, v]) => `${k}=${v}`);
  return `state ${instance.DBInstanceStatus ?? 'unknown'}, created ${iso(instance.InstanceCreateTime)}, ${tags.length > 0 ? `tags ${tags.join(', ')}` : 'no db-playbook tags'}`;
}

/**
 * The checks on an existing --target: adopted only when --resume names it and its tags say it
 * is a restore of this source (from these backups) to this time; UsageError naming it and its
 * tags otherwise. `time` is --to's (undefined for --latest).
 */
function checkExisting(opts: RestoreOptions, existing: DBInstance, source: RestoreSource, target: string, region: string, time: Date | undefined): void {
  const tags = tagsOf(existing);
  const sourceId = source.sourceId;
  const what = describeExisting(existing);
  if (tags[RESTORED_FROM_TAG] !== sourceId) {
    throw new UsageError(`--target '${target}' is taken: an instance with that identifier exists in ${region} and is not a db-playbook restore of '${sourceId}' (${what}). Choose another --target`);
  }
  const tagged = tags[RESTORE_TIME_TAG];
  const taggedTime = tagged !== undefined && Number.isFinite(Date.parse(tagged)) && tagged !== 'latest' ? new Date(tagged) : undefined;
  const unresumable = tagged === 'latest'
    ? 'it was restored to the latest restorable time by an earlier db-playbook, which did not record that time, so what it holds is unknown: it cannot be resumed'
    : `its ${RESTORE_TIME_TAG} tag is ${tagged === undefined ? 'missing' : `'${tagged}', not a time`}, so what it holds is unknown: it cannot be resumed`;
  if (opts.resume === undefined) {
    throw new UsageError(`--target '${target}' already exists in ${region}: a restore of '${sourceId}' (${what}). A restore never adopts an instance that existed before it ran unless --resume names it: choose another --target`
      + (taggedTime ? `, or, if that is the restore you started and mean to pick up, re-run with --to ${taggedTime.toISOString()} --resume ${target}` : ` (${unresumable})`));
  }
  if (!taggedTime) throw new UsageError(`--resume ${target}: ${unresumable} (${what}). Choose another --target`);
  if (time === undefined) {
    throw new UsageError(`--resume takes --to, not --latest (whose time would be a new one): '${target}' is a restore of '${sourceId}' to ${taggedTime.toISOString()} (${what}). To pick it up, re-run with --to ${taggedTime.toISOString()} --resume ${target}`);
  }
  if (taggedTime.getTime() !== time.getTime()) {
    throw new UsageError(`--resume ${target}: it is a restore of '${sourceId}' to ${taggedTime.toISOString()}, not to ${time.toISOString()} (${what}): not resumed. Re-run with --to ${taggedTime.toISOString()} to pick it up, or choose another --target`);
  }
  for (const [key, value] of Object.entries(source.matchTags)) {
    if (tags[key] !== value) {
      throw new UsageError(`--resume ${target}: its tag ${key} is ${tags[key] === undefined ? 'missing' : `'${tags[key]}'`}, not '${value}' (${what}): not the restore this command starts. Choose another --target`);
    }
  }
}

/** Every check before anything is created; throws UsageError when one refuses. */
async function resolve(opts: RestoreOptions, ctx: CommandContext, rds: RDSClient, kms: () => KMSClient, region: string): Promise<Resolved> {
  if (!opts.to && !opts.latest) throw new UsageError(`give the time to restore to: --to <time> (${TIME_FORMATS}) or --latest`);
  let to: Date | undefined;
  if (opts.to) {
    const parsed = parseTime(opts.to);
    if (typeof parsed === 'string') throw new UsageError(`--to: ${parsed}`);
    to = parsed;
  }
  const targetProblem = instanceIdentifierProblem(opts.target);
  if (targetProblem) throw new UsageError(`--target '${opts.target}' is not a valid DB instance identifier: it ${targetProblem}`);
  const target = opts.target.toLowerCase();
  if (opts.resume !== undefined && opts.resume.toLowerCase() !== target) {
    throw new UsageError(`--resume '${opts.resume}' is not --target '${opts.target}': --resume names the existing --target to pick up (give the same identifier to both)`);
  }
  if (opts.verifyUrl !== undefined && opts.verifySql === undefined) throw new UsageError('--verify-url is only used with --verify-sql');
  if (opts.verifySql !== undefined) {
    const problem = verifySqlProblem(opts.verifySql);
    if (problem) throw new UsageError(`--verify-sql ${problem} (nothing was restored)`);
  }
  checkCutoverFlags(opts, ctx);
  const verify = opts.verifySql !== undefined ? verifyTarget(opts.verifyUrl, ctx.io.env) : undefined;
  if (!opts.fromReplicatedBackups) {
    const drOnly = drOnlyFlagsGiven(opts);
    if (drOnly.length > 0) {
      throw new UsageError(`${drOnly.join(', ')} ${drOnly.length === 1 ? 'is' : 'are'} only used with --from-replicated-backups (a restore in the DR region): an in-region restore copies the source's settings`);
    }
  }

  let source: RestoreSource;
  if (opts.fromReplicatedBackups) {
    source = await replicatedBackupsSource(opts, rds, kms, region);
  } else {
    const instance = await findInstance(rds, opts.source);
    if (!instance) throw new UsageError(`no DB instance '${opts.source}' in ${region}: check --source and --region`);
    source = instanceSource(rds, instance);
  }
  const sourceId = source.sourceId;
  if (target === sourceId) throw new UsageError(`--target '${target}' is the source itself: a restore always creates a new instance`);

  const existing = await findInstance(rds, target);
  if (existing) checkExisting(opts, existing, source, target, region, to);
  else if (opts.resume !== undefined) {
    throw new UsageError(`--resume ${target}: there is no instance '${target}' in ${region}, so no restore to pick up. Drop --resume to start the restore`);
  }
  const resume = existing;

  let time: Date;
  let window: RestoreWindow | undefined;
  if (resume) {
    time = to!;
  } else {
    window = await source.checkNew(to ?? 'latest');
    // --latest: the end of the window now, asked for as a time, so that the tag says what the data is.
    time = to ?? window.latest!;
  }

  let proxyTargets: string[] | undefined;
  if (opts.cutoverProxy !== undefined) {
    // An empty name is no filter: DescribeDBProxies would list every proxy.
    if (opts.cutoverProxy.trim() === '') throw new UsageError("--cutover-proxy '' names no RDS Proxy: give the proxy's name");
    const proxy = await findProxy(rds, opts.cutoverProxy);
    if (!proxy) throw new UsageError(`--cutover-proxy: no RDS Proxy '${opts.cutoverProxy}' in ${region}`);
    if (proxy.EngineFamily && proxy.EngineFamily !== 'POSTGRESQL' && (source.json.engine ?? 'postgres').includes('postgres')) {
      throw new UsageError(`--cutover-proxy: proxy '${opts.cutoverProxy}' is for ${proxy.EngineFamily}, not PostgreSQL`);
    }
    proxyTargets = await proxyInstanceTargets(rds, opts.cutoverProxy);
  }
  return { rds, region, source, target, time, latest: to === undefined, resume, window, proxyTargets, verify };
}

/**
 * --cutover-proxy moves production traffic: it needs a check that must pass (--verify-sql) or
 * --skip-verify, and a confirmation, --yes or (stdin a terminal) the proxy's name typed when
 * asked; without either the command refuses now, before anything is restored. A dry run asks
 * nothing, so it needs no --yes.
 */
function checkCutoverFlags(opts: RestoreOptions, ctx: CommandContext): void {
  if (opts.cutoverProxy === undefined) {
    const given = [opts.yes ? '--yes' : undefined, opts.skipVerify ? '--skip-verify' : undefined].filter((f): f is string => f !== undefined);
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} only used with --cutover-proxy (${given.length === 1 && opts.yes ? 'it confirms the cutover' : 'they concern the cutover'})`);
    return;
  }
  if (opts.skipVerify && opts.verifySql !== undefined) {
    throw new UsageError('--skip-verify and --verify-sql contradict each other: give --verify-sql to cut over once it passed, or --skip-verify to cut over unverified');
  }
  if (!opts.skipVerify && opts.verifySql === undefined) {
    throw new UsageError(`--cutover-proxy ${opts.cutoverProxy} needs --verify-sql <sql>: applications move to the restored instance, reads and writes, only after a check of its data passed (e.g. --verify-sql "SELECT count(*) FROM orders"). To cut over unverified, add --skip-verify`);
  }
  if (!opts.yes && !opts.dryRun && !promptIo(ctx.io).stdinIsTty) {
    throw new UsageError(`--cutover-proxy ${opts.cutoverProxy} moves the applications that use the proxy, reads and writes, to the restored instance: confirm with --yes (stdin is not a terminal, so the command cannot ask you to type the proxy's name). Nothing was restored`);
  }
}

/** The notice of a resumed restore (stdout, or with --json stderr and `resumed.message`). */
function resumeNotice(r: Resolved): string {
  return `Resuming: '${r.target}' is already a restore of '${r.source.sourceId}' to ${r.time.toISOString()} (state ${r.resume?.DBInstanceStatus ?? 'unknown'}, requested at ${tagsOf(r.resume!)[RESTORE_STARTED_TAG] ?? 'an unknown time'}); waiting for it.`;
}

function followUp(source: string, target: string, proxy: string | undefined): string[] {
  const lines = [
    `The source '${source}' is untouched: keep it until the restored data is confirmed (its deletion protection stays as it was).`,
    `Apps that use the instance endpoint directly (not a proxy) still reach '${source}': point them at '${target}'.`,
    `Re-enable what a point-in-time restore does not carry: Performance Insights, enhanced monitoring, automated-backup replication to the DR region (aws rds modify-db-instance / start-db-instance-automated-backups-replication).`,
  ];
  if (proxy) {
    lines.unshift(
      `The CDK stack still names '${source}' as the database and as the target of proxy '${proxy}' (AWS::RDS::DBProxyTargetGroup DBInstanceIdentifiers): the next \`cdk deploy\` would point the proxy back to '${source}'. Do not deploy the stack until it names '${target}': change the app to use the restored instance (e.g. import it with \`cdk import\`, or reference it with rds.DatabaseInstance.fromDatabaseInstanceAttributes for the proxy target), check that \`cdk diff\` shows no change to the proxy target, then \`cdk deploy\`.`,
      `Alarms, dashboards and read replicas still watch and follow '${source}': replicas of '${target}' must be created anew.`,
    );
  }
  return lines;
}

/**
 * The command that picks a restore up where it stopped: the same restore (region, source, the
 * time restored to, for --latest the one it resolved to, target) with --resume and the same
 * verification and cutover flags. A password in --verify-url is left out (it would end up in a
 * terminal's scrollback or a CI log): `note` says to set PGPASSWORD then.
 */
export function resumeCommand(opts: RestoreOptions, globals: GlobalOptions, region: string, time: Date): { command: string; note?: string } {
  return restoreCommand(opts, globals, region, time, true);
}

/** The restore command of `opts`, to `time`, with --resume or without. */
function restoreCommand(opts: RestoreOptions, globals: GlobalOptions, region: string, time: Date | 'latest', resume: boolean): { command: string; note?: string } {
  let verifyUrl = opts.verifyUrl;
  let note: string | undefined;
  if (verifyUrl !== undefined) {
    try {
      const url = new URL(verifyUrl);
      if (url.password) {
        url.password = '';
        verifyUrl = url.toString();
        note = 'The password of --verify-url is left out here: set PGPASSWORD before running it.';
      }
    } catch {
      // verifyTarget accepted it as it is.
    }
  }
  const target = opts.target.toLowerCase();
  const words = [
    'db-playbook', '--region', region, ...(globals.profile ? ['--profile', globals.profile] : []),
    'restore', '--source', opts.source, ...(time === 'latest' ? ['--latest'] : ['--to', time.toISOString()]), '--target', target,
    ...(resume ? ['--resume', target] : []),
    ...drFlagWords(opts),
    ...(opts.verifySql !== undefined ? ['--verify-sql', opts.verifySql] : []),
    ...(verifyUrl !== undefined ? ['--verify-url', verifyUrl] : []),
    ...(opts.cutoverProxy !== undefined ? ['--cutover-proxy', opts.cutoverProxy] : []),
    ...(opts.skipVerify ? ['--skip-verify'] : []),
    ...(opts.yes ? ['--yes'] : []),
    ...(opts.timeout !== DEFAULT_TIMEOUT_MINUTES ? ['--timeout', String(opts.timeout)] : []),
    ...(opts.json ? ['--json'] : []),
  ];
  return { command: shellCommand(words), note };
}

/** The question before a cutover, on stderr: what moves where, and what was checked. */
function cutoverQuestion(r: Resolved, proxy: string, verify: VerifyResult | undefined): string {
  const from = (r.proxyTargets ?? []).filter((t) => t !== r.target);
  const checked = verify ? `--verify-sql passed on ${verify.target} (${verify.rowCount ?? 0} row(s))` : 'not verified (--skip-verify)';
  return `\nCutover: RDS Proxy '${proxy}' is to be re-pointed from ${from.length > 0 ? from.map((t) => `'${t}'`).join(', ') : 'no target'} to '${r.target}', `
    + `restored from '${r.source.sourceId}' to ${timeText(r.time, r.latest)}; ${checked}. The applications that use the proxy will read and write '${r.target}' from then on.\n`;
}

async function runRestore(opts: RestoreOptions, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const globals = ctx.globals();
  // --region, else AWS_REGION, else the profile's region, as --help says (and doctor, copy, recovery-points do).
  const region = requireRegion(configuredRegion(globals, io), globals.profile, io.env);
  const config = clientConfig(globals, io, region);
  const rds = new RDSClient(config);
  let kms: KMSClient | undefined;
  try {
    const r = await resolve(opts, ctx, rds, () => (kms ??= new KMSClient(config)), region);
    const out = io.stdout;
    const progress = opts.json ? io.stderr : io.stdout;
    const startedAt = new Date(io.now());
    const request = r.source.request(r.target, r.time, startedAt);
    const plan = restorePlan(r, opts, request);
    const deregister = (r.proxyTargets ?? []).filter((t) => t !== r.target);

    if (opts.dryRun) {
      if (opts.json) {
        printJson(io, 'restore', {
          ...plan,
          status: null,
          endpoint: null,
          restoreSeconds: null,
          verify: opts.verifySql !== undefined && r.verify ? {
            sql: opts.verifySql, target: r.verify.host ? `${r.verify.host}:${r.verify.port}/${r.verify.database}` : null, ok: null, rowCount: null, firstRow: null, error: null,
          } : null,
          cutover: opts.cutoverProxy ? { proxy: opts.cutoverProxy, before: r.proxyTargets ?? [], after: null, done: false } : null,
          followUp: r.source.followUp(r.target, opts.cutoverProxy),
        } satisfies RestoreJson);
        return;
      }
      out(`Restore plan (dry run: nothing is created or changed)\n`);
      const context = { region: r.region, target: r.target, time: r.time, latest: r.latest, window: r.window, resumeState: r.resume ? r.resume.DBInstanceStatus ?? 'unknown' : undefined };
      for (const line of r.source.planLines(context, request)) out(`${line}\n`);
      if (opts.cutoverProxy) {
        const gate = `${opts.skipVerify ? 'unverified (--skip-verify)' : 'once --verify-sql passed'}, ${opts.yes ? 'confirmed by --yes' : 'after you type the proxy\'s name (or with --yes)'}`;
        out(`  cutover       proxy ${opts.cutoverProxy}: deregister ${deregister.join(', ') || '(no target)'}, register ${r.target} (${gate})\n`);
      }
      return;
    }

    // From here on the restore goes on in AWS whatever this process does: Ctrl-C says so and how to resume.
    const interrupts = new Interrupts(io);
    try {
      const resume = resumeCommand(opts, globals, r.region, r.time);
      const resumeText = `${resume.command}${resume.note ? `\n${resume.note}` : ''}`;
      const source = r.source.sourceId;
      const when = timeText(r.time, r.latest);
      const rest = `${r.verify ? ', then verify it' : ''}${opts.cutoverProxy ? ' and re-point the proxy' : ''}`;
      const interrupted = (message: string, todo: string) => () => new InterruptedError(message, `${todo}, run:\n  ${resumeText}`);

      let restoreStart = startedAt.getTime();
      if (r.resume) {
        const tagged = Date.parse(tagsOf(r.resume)[RESTORE_STARTED_TAG] ?? '');
        if (Number.isFinite(tagged)) restoreStart = tagged;
        progress(`${resumeNotice(r)}\n`);
      } else {
        const fresh = restoreCommand(opts, globals, r.region, r.latest ? 'latest' : r.time, false);
        await interrupts.race(rds.send(new RestoreDBInstanceToPointInTimeCommand(request)), () => new InterruptedError(
          `interrupted while RDS was taking the request to restore '${source}' as '${r.target}': if it took it, the restore goes on in AWS`,
          `if '${r.target}' exists (aws rds describe-db-instances --region ${r.region} --db-instance-identifier ${r.target}), RDS took it: to resume waiting for it${rest}, run:\n  ${resumeText}\n`
          + `if it does not exist, start the restore again:\n  ${fresh.command}`));
        if (!opts.json) out(`Restoring '${source}'${r.source.restoringFrom} to ${when} as '${r.target}' (${r.region}).\n`);
      }

      const resumeHint = `The restore goes on in AWS: to resume waiting for it${rest}, run:\n  ${resumeText}`;
      const restored = await interrupts.race(waitFor<DBInstance>({
        io,
        write: progress,
        tty: io.isTty && !opts.json,
        label: r.target,
        startedAt: restoreStart,
        timeoutMs: opts.timeout * 60_000,
        resumeHint,
        signal: interrupts.signal,
        isDone: (state) => state === 'available',
        isFailed: (state) => FAILED_INSTANCE_STATES.includes(state),
        poll: async () => {
          const instance = await findInstance(rds, r.target);
          if (!instance) throw new Error(`'${r.target}' disappeared while waiting for it (deleted?)`);
          return { state: instance.DBInstanceStatus ?? 'unknown', value: instance };
        },
      }), () => {
        // The terminal's progress line has no newline yet.
        if (io.isTty && !opts.json) progress('\n');
        return interrupted(
          `interrupted: the restore of '${source}' to ${when} as '${r.target}' goes on in AWS (Ctrl-C stopped only the wait)`,
          `to resume waiting for it${rest}`)();
      });
      const restoreMs = io.now() - restoreStart;
      const endpoint = { address: restored.Endpoint?.Address ?? '', port: portOf(restored) ?? 5432 };

      let verify: VerifyResult | undefined;
      if (opts.verifySql !== undefined && r.verify) {
        verify = await interrupts.race(runVerifySql(opts.verifySql, r.verify, endpoint), interrupted(
          `interrupted during --verify-sql: '${r.target}' is restored and available${opts.cutoverProxy ? `; proxy '${opts.cutoverProxy}' was not re-pointed` : ''}`,
          `to verify it${opts.cutoverProxy ? ' and re-point the proxy' : ''}`));
      }
      let cutover: { proxy: string; before: string[]; after: string[] } | undefined;
      let notConfirmed = false;
      // resolve() made sure that --cutover-proxy comes with --verify-sql (which must pass) or --skip-verify.
      if (opts.cutoverProxy && (verify ? verify.ok : opts.skipVerify)) {
        const proxy = opts.cutoverProxy;
        const confirmed = opts.yes || await interrupts.race(
          confirmByName(io, promptIo(io), cutoverQuestion(r, proxy, verify), 'the proxy\'s name', proxy, interrupts.signal),
          interrupted(`interrupted at the cutover question: '${r.target}' is restored and available; proxy '${proxy}' was not re-pointed`, 'to re-point the proxy'));
        if (confirmed) {
          cutover = { proxy, ...(await interrupts.shield(
            `Ctrl-C: re-pointing proxy '${proxy}' to '${r.target}' is finished first (stopped half-way, the proxy would have no target).`,
            () => repointProxy(rds, proxy, r.target))) };
        } else {
          notConfirmed = true;
        }
      }
      interrupts.dispose();
      const followUps = r.source.followUp(r.target, cutover?.proxy);

      if (opts.json) {
        printJson(io, 'restore', {
          ...plan,
          kmsKeyId: orNull(restored.KmsKeyId) ?? plan.kmsKeyId,
          status: orNull(restored.DBInstanceStatus),
          endpoint,
          restoreSeconds: Math.round(restoreMs / 1000),
          verify: verify ? {
            sql: opts.verifySql!, target: verify.target, ok: verify.ok, rowCount: orNull(verify.rowCount), firstRow: orNull(verify.firstRow), error: orNull(verify.error),
          } : null,
          cutover: cutover ? { ...cutover, done: true }
            : opts.cutoverProxy ? { proxy: opts.cutoverProxy, before: r.proxyTargets ?? [], after: null, done: false } : null,
          followUp: followUps,
        } satisfies RestoreJson);
      } else {
        out(`Restored '${source}' to ${when} as '${r.target}' in ${formatDuration(restoreMs)}${r.resume ? ' (measured from the first run)' : ''}.\n`);
        out(`  endpoint  ${endpoint.address}:${endpoint.port}\n`);
        if (verify) {
          out(verify.ok
            ? `  verify    ok on ${verify.target}: ${verify.rowCount ?? 0} row(s)${verify.firstRow ? `, first ${JSON.stringify(verify.firstRow)}` : ''}\n`
            : `  verify    FAILED on ${verify.target}: ${verify.error}\n`);
        }
        if (cutover) out(`  cutover   proxy '${cutover.proxy}' now targets ${cutover.after.join(', ')} (was ${cutover.before.join(', ') || 'no target'})\n`);
        else if (opts.cutoverProxy) {
          out(`  cutover   not done: ${notConfirmed ? 'not confirmed' : '--verify-sql failed'}, proxy '${opts.cutoverProxy}' still targets ${(r.proxyTargets ?? []).join(', ')}\n`);
        }
        out(`Follow-up:\n${followUps.map((l) => `  - ${l}\n`).join('')}`);
      }
      if (verify && !verify.ok) {
        throw new Error(`--verify-sql failed on '${r.target}' (${verify.target}): ${verify.error}. The restored instance is kept${opts.cutoverProxy ? '; the proxy was not re-pointed' : ''}`);
      }
      if (notConfirmed) {
        throw new Error(`the cutover was not confirmed: proxy '${opts.cutoverProxy}' was not re-pointed; '${r.target}' is restored and kept. To cut over later, run:\n  ${resumeText}`);
      }
    } finally {
      interrupts.dispose();
    }
  } finally {
    rds.destroy();
    kms?.destroy();
  }
}
