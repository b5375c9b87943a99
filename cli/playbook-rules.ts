/**
 * The playbook's rules: what `db-playbook doctor` checks on a live deployment, as pure functions.
 *
 * Input is a plain snapshot of the deployment (DeploymentFacts: what DescribeDBInstances,
 * DescribeDBParameters, the DR region's automated backups and snapshots, DescribeDBProxyTargets
 * and the S3 bucket settings said), output a list of findings, one per rule and resource, each
 * PASS, WARN or FAIL with the fix. Nothing here calls AWS or reads the clock: `doctor` gathers
 * the facts, the tests build them by hand.
 *
 * FAIL means the deployment does not meet the playbook where data, availability or security is
 * at stake (doctor exits 3); WARN means a weaker setting than the playbook's that costs
 * performance, observability or money, or a state that is usually transient.
 */
import { PLAYBOOK_PARAMETERS, REPLICA_PARAMETERS } from '../shared/playbook-parameters';

export type FindingStatus = 'PASS' | 'WARN' | 'FAIL';

/** The result of one rule on one resource. */
export interface Finding {
  /** The rule, stable across deployments: `backup.retention`, `parameter.rds.force_ssl`, `bucket.versioning`. */
  readonly id: string;
  /** What was checked: the instance, parameter group, replica, proxy or bucket name. */
  readonly resource: string;
  /** What the rule checks, for people. */
  readonly title: string;
  readonly status: FindingStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do when it is not PASS: the exact CLI command or console action, and the library prop. */
  readonly fix: string;
}

/** The DB instance as DescribeDBInstances describes it. */
export interface InstanceFacts {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  /** DBInstanceStatus: `available`, `storage-full`, ... */
  readonly status: string;
  /** BackupRetentionPeriod, days; 0 = automated backups (and PITR) off. */
  readonly backupRetentionDays: number;
  /** LatestRestorableTime: absent when backups are off. */
  readonly latestRestorableTime?: Date;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  readonly storageEncrypted: boolean;
  readonly kmsKeyId?: string;
  readonly iamAuth: boolean;
  /** ReadReplicaDBInstanceIdentifiers: ids in the instance's region, ARNs elsewhere. */
  readonly readReplicaIds: readonly string[];
  /** DBInstanceAutomatedBackupsReplications: ARNs of the replicated automated backups. */
  readonly backupReplicationArns: readonly string[];
}

/** A DB parameter group and the values DescribeDBParameters gives (parameters without a value are left out). */
export interface ParameterGroupFacts {
  readonly name: string;
  /** ParameterApplyStatus on the instance: `in-sync`, `pending-reboot`, `applying`. */
  readonly applyStatus?: string;
  readonly values: Readonly<Record<string, string>>;
}

/** Automated backups of the instance replicated to another region (DescribeDBInstanceAutomatedBackups there). */
export interface ReplicatedBackupFacts {
  /** The region that holds the replicated backups. */
  readonly region: string;
  /** `replicating` (or `active`) when healthy; `pending`, `creating` while starting. */
  readonly status: string;
  readonly arn?: string;
  readonly retentionDays?: number;
  /** RestoreWindow.LatestTime: the newest point it can restore to. */
  readonly latestTime?: Date;
}

/** A copy of the instance's data outside its region: an RDS snapshot or an AWS Backup recovery point. */
export interface RecoveryPointFacts {
  readonly id: string;
  readonly region: string;
  /** `rds-snapshot` (DescribeDBSnapshots: manual and AWS Backup copies) or `aws-backup` (a backup vault). */
  readonly source: 'rds-snapshot' | 'aws-backup';
  /** When the data was captured (OriginalSnapshotCreateTime of a copy, CreationDate of a recovery point). */
  readonly createdAt: Date;
  /** Snapshot `available` / recovery point `COMPLETED` when usable. */
  readonly status: string;
}

/** A read replica of the instance. */
export interface ReplicaFacts {
  readonly id: string;
  readonly region: string;
  /** DBInstanceStatus, or `not-found`. */
  readonly status: string;
  readonly parameterGroup?: ParameterGroupFacts;
}

/** One target of an RDS Proxy (DescribeDBProxyTargets). */
export interface ProxyTargetFacts {
  /** RdsResourceId: the DB instance (or cluster) id. */
  readonly resourceId?: string;
  /** `RDS_INSTANCE`, `TRACKED_CLUSTER`, `RDS_SERVERLESS_ENDPOINT`. */
  readonly type?: string;
  /** TargetHealth.State: `AVAILABLE`, `REGISTERING`, `UNAVAILABLE`, `UNUSED`. */
  readonly state?: string;
  readonly reason?: string;
  readonly description?: string;
}

/** An RDS Proxy in front of the instance. */
export interface ProxyFacts {
  readonly name: string;
  readonly targets: readonly ProxyTargetFacts[];
}

/** A blob bucket's settings; each is absent when S3 answered "NoSuch...". */
export interface BucketFacts {
  readonly name: string;
  /** GetBucketVersioning Status: `Enabled`, `Suspended`, absent when never enabled. */
  readonly versioning?: string;
  readonly publicAccessBlock?: {
    readonly blockPublicAcls?: boolean;
    readonly ignorePublicAcls?: boolean;
    readonly blockPublicPolicy?: boolean;
    readonly restrictPublicBuckets?: boolean;
  };
  /** The default encryption rule. */
  readonly encryption?: { readonly algorithm?: string; readonly kmsKeyId?: string; readonly bucketKeyEnabled?: boolean };
  /** The bucket policy document (JSON). */
  readonly policy?: string;
  readonly replication?: { readonly rules: readonly { readonly id?: string; readonly status?: string; readonly destination?: string }[] };
}

/**
 * The engine's support dates (DescribeDBMajorEngineVersions' SupportedEngineLifecycles for the
 * instance's engine and major version).
 */
export interface EngineLifecycleFacts {
  readonly engine: string;
  /** The instance's EngineVersion, e.g. `17.9`. */
  readonly engineVersion: string;
  /** Its major version, e.g. `17`. */
  readonly majorVersion: string;
  /** LifecycleSupportEndDate of `open-source-rds-standard-support`; absent when RDS lists none (or not the major version). */
  readonly standardSupportEnd?: Date;
  /** LifecycleSupportEndDate of `open-source-rds-extended-support`. */
  readonly extendedSupportEnd?: Date;
  /** The instance's EngineLifecycleSupport: `open-source-rds-extended-support` (RDS's default) or `...-disabled`. */
  readonly lifecycleSupport?: string;
}

/** A pending maintenance action on the instance (DescribePendingMaintenanceActions). */
export interface PendingMaintenanceFacts {
  /** `system-update`, `db-upgrade`, `ca-certificate-rotation`, `os-upgrade`, ... */
  readonly action: string;
  readonly description?: string;
  /** When RDS applies it: CurrentApplyDate, else the earlier of AutoAppliedAfterDate and ForcedApplyDate; absent: not scheduled. */
  readonly applyDate?: Date;
  readonly optInStatus?: string;
}

/** The TLS certificates the instance serves with. */
export interface CertificateFacts {
  /** CACertificateIdentifier, e.g. `rds-ca-rsa2048-g1`. */
  readonly caIdentifier?: string;
  /** The CA's ValidTill (DescribeCertificates); absent when RDS does not know the CA. */
  readonly caValidTill?: Date;
  /** The server certificate's ValidTill (the instance's CertificateDetails). */
  readonly serverValidTill?: Date;
}

/** Everything the rules look at. */
export interface DeploymentFacts {
  readonly instance: InstanceFacts;
  /** The engine's support dates; absent when not gathered (tests of other rules). */
  readonly lifecycle?: EngineLifecycleFacts;
  /** Pending maintenance actions on the instance; absent when not gathered. */
  readonly pendingMaintenance?: readonly PendingMaintenanceFacts[];
  /** The instance's certificates; absent when not gathered. */
  readonly certificate?: CertificateFacts;
  /** The instance's parameter group; absent only if the instance has none. */
  readonly parameterGroup?: ParameterGroupFacts;
  /** The region where the backups' offsite copies were looked for (--dr-region, or where the instance replicates). */
  readonly drRegion?: string;
  readonly replicatedBackups: readonly ReplicatedBackupFacts[];
  readonly crossRegionRecoveryPoints: readonly RecoveryPointFacts[];
  readonly replicas: readonly ReplicaFacts[];
  /** RDS Proxies whose targets include the instance (or the one --proxy named). */
  readonly proxies: readonly ProxyFacts[];
  readonly buckets: readonly BucketFacts[];
}

/** Automated backup retention the playbook asks for (PostgresDatabase defaults to 14 in production). */
export const MIN_RETENTION_DAYS = 7;
/** RDS uploads transaction logs every 5 minutes: LatestRestorableTime older than this means archiving is stuck. */
export const MAX_RESTORABLE_LAG_MS = 10 * 60_000;
/** The DR copy is daily (AWS Backup plan): 24 h plus 2 h for the copy job to finish. */
export const MAX_RECOVERY_POINT_AGE_MS = 26 * 3_600_000;
const DAY_MS = 86_400_000;
/**
 * WARN this long before the end of standard support: a major upgrade is a project (prechecks,
 * a Blue/Green rehearsal, the application's tests on the new version), not a maintenance window.
 */
export const SUPPORT_WARN_DAYS = 180;
/** WARN when a pending maintenance action is applied within this many days: time to choose the window. */
export const MAINTENANCE_WARN_DAYS = 30;
/**
 * WARN this long before the CA expires (an expired server certificate FAILs): rotating the CA means a new
 * bundle in every client and a restart of the instance, planned across teams.
 */
export const CERTIFICATE_WARN_DAYS = 90;

const TRUE_VALUES = new Set(['1', 'on', 'true', 'yes']);

/** How a parameter's value compares with the playbook's. */
type Comparison =
  /** A number; lower is stricter (scale factors, durations). `disabled` values (e.g. -1) are the loosest. */
  | 'at-most'
  /** A number; higher is stricter (cost limit). `disabled` values are the loosest. */
  | 'at-least'
  /** A boolean: on/off. */
  | 'boolean'
  /** A comma-separated list that must contain libraries (shared_preload_libraries). */
  | 'contains';

/** How doctor judges one parameter of PLAYBOOK_PARAMETERS or REPLICA_PARAMETERS. */
export interface ParameterRule {
  readonly name: string;
  /** The playbook's value (from shared/playbook-parameters.ts). */
  readonly expected: string;
  readonly comparison: Comparison;
  /** The status of a value looser than the playbook's. */
  readonly looser: 'WARN' | 'FAIL';
  /** The status of a value stricter than the playbook's. @default PASS */
  readonly stricter?: 'PASS' | 'WARN';
  /** The status when the group does not set the parameter (PostgreSQL's default applies). @default looser */
  readonly unset?: FindingStatus;
  /** Values that turn the feature off: the loosest possible. */
  readonly disabled?: readonly string[];
  /** For `contains`: the status when each library is missing. */
  readonly libraries?: Readonly<Record<string, 'WARN' | 'FAIL'>>;
  /** Why the value matters (printed with the finding). */
  readonly why: string;
  /** Needs a reboot to take effect. */
  readonly static?: boolean;
}

function playbook(name: string): string {
  const value = PLAYBOOK_PARAMETERS[name];
  if (value === undefined) throw new Error(`PLAYBOOK_PARAMETERS has no ${name}`);
  return value;
}

function replica(name: string): string {
  const value = REPLICA_PARAMETERS[name];
  if (value === undefined) throw new Error(`REPLICA_PARAMETERS has no ${name}`);
  return value;
}

/**
 * The rules for the primary's parameter group, one per PLAYBOOK_PARAMETERS entry (a test keeps
 * them in step), plus `autovacuum` itself. A parameter the group does not set gets PostgreSQL's
 * default, which for each of these is looser than the playbook's value.
 */
export const PARAMETER_RULES: readonly ParameterRule[] = [
  { name: 'autovacuum_vacuum_scale_factor', expected: playbook('autovacuum_vacuum_scale_factor'), comparison: 'at-most', looser: 'FAIL',
    why: 'the playbook\'s own value: vacuum after 5 % of a table changed (PostgreSQL\'s 20 % lets big tables bloat)' },
  { name: 'autovacuum_analyze_scale_factor', expected: playbook('autovacuum_analyze_scale_factor'), comparison: 'at-most', looser: 'FAIL',
    why: 'the playbook\'s own value: analyze after 2 % changed, so plans use fresh statistics' },
  { name: 'autovacuum_vacuum_insert_scale_factor', expected: playbook('autovacuum_vacuum_insert_scale_factor'), comparison: 'at-most', looser: 'WARN',
    why: 'insert-only tables get vacuumed (visibility map, freezing) as often as updated ones' },
  { name: 'autovacuum_vacuum_cost_limit', expected: playbook('autovacuum_vacuum_cost_limit'), comparison: 'at-least', looser: 'WARN', disabled: ['-1'],
    why: 'autovacuum may do enough work per cycle to keep up (-1 falls back to vacuum_cost_limit, 200)' },
  { name: 'autovacuum_naptime', expected: playbook('autovacuum_naptime'), comparison: 'at-most', looser: 'WARN',
    why: 'seconds between autovacuum runs per database' },
  { name: 'log_autovacuum_min_duration', expected: playbook('log_autovacuum_min_duration'), comparison: 'at-most', looser: 'WARN', disabled: ['-1'],
    why: 'slow autovacuum runs are logged, so bloat has a visible cause' },
  { name: 'log_min_duration_statement', expected: playbook('log_min_duration_statement'), comparison: 'at-most', looser: 'FAIL', stricter: 'WARN', disabled: ['-1'],
    why: 'the playbook logs "any query running longer than 5 seconds" and the SlowQueries alarm counts those log lines: '
      + 'higher (or -1) blinds the alarm, lower counts fast statements as slow and floods the log' },
  { name: 'shared_preload_libraries', expected: playbook('shared_preload_libraries'), comparison: 'contains', looser: 'FAIL', static: true,
    libraries: { pg_stat_statements: 'FAIL', auto_explain: 'WARN' },
    why: 'pg_stat_statements finds the slow and N+1 queries the playbook hunts; auto_explain logs their plans' },
  { name: 'auto_explain.log_min_duration', expected: playbook('auto_explain.log_min_duration'), comparison: 'at-most', looser: 'WARN', disabled: ['-1'],
    why: 'the plan of every statement slower than 5 s is logged' },
  { name: 'pg_stat_statements.track_utility', expected: playbook('pg_stat_statements.track_utility'), comparison: 'boolean', looser: 'WARN',
    why: 'utility statements stay out of pg_stat_statements: the secret rotations\' ALTER USER ... PASSWORD would be kept there verbatim, readable by the monitoring user' },
  { name: 'track_io_timing', expected: playbook('track_io_timing'), comparison: 'boolean', looser: 'WARN',
    why: 'I/O time in EXPLAIN (ANALYZE, BUFFERS) and pg_stat_statements' },
  { name: 'random_page_cost', expected: playbook('random_page_cost'), comparison: 'at-most', looser: 'WARN',
    why: 'on SSD storage random reads cost almost what sequential ones do, so the planner uses indexes' },
  { name: 'log_lock_waits', expected: playbook('log_lock_waits'), comparison: 'boolean', looser: 'WARN',
    why: 'lock waits longer than deadlock_timeout are logged' },
  { name: 'log_temp_files', expected: playbook('log_temp_files'), comparison: 'at-most', looser: 'WARN', disabled: ['-1'],
    why: 'temporary files of 10 MB or more are logged: statements spilling past work_mem show in db-playbook logs (-1 = none logged)' },
  { name: 'idle_in_transaction_session_timeout', expected: playbook('idle_in_transaction_session_timeout'), comparison: 'at-most', looser: 'WARN', disabled: ['0'],
    why: 'sessions idle inside a transaction hold locks and block vacuum (0 = never ended)' },
  { name: 'max_slot_wal_keep_size', expected: playbook('max_slot_wal_keep_size'), comparison: 'at-most', looser: 'WARN', disabled: ['-1'],
    why: 'a stuck replication slot may hold at most this much WAL, not the whole disk (-1 = unbounded)' },
  { name: 'rds.force_ssl', expected: playbook('rds.force_ssl'), comparison: 'boolean', looser: 'FAIL',
    why: 'connections without TLS are refused' },
  // Not a playbook value but what all of the above relies on: PostgreSQL's (and RDS's) default is on.
  { name: 'autovacuum', expected: '1', comparison: 'boolean', looser: 'FAIL', unset: 'PASS',
    why: 'without autovacuum dead tuples pile up and transaction IDs wrap around' },
];

/**
 * The rules for each read replica's parameter group (REPLICA_PARAMETERS). PostgreSQL's defaults
 * (feedback off, 30 s delays) match the playbook, so an unset parameter passes.
 */
export const REPLICA_PARAMETER_RULES: readonly ParameterRule[] = [
  { name: 'hot_standby_feedback', expected: replica('hot_standby_feedback'), comparison: 'boolean', looser: 'WARN', unset: 'PASS',
    why: 'with feedback on, long replica queries hold back vacuum on the primary: replica reads bloat the primary' },
  { name: 'max_standby_streaming_delay', expected: replica('max_standby_streaming_delay'), comparison: 'at-most', looser: 'WARN', unset: 'PASS', disabled: ['-1'],
    why: 'a replica query that conflicts with WAL replay is cancelled instead of letting ReplicaLag grow without bound' },
  { name: 'max_standby_archive_delay', expected: replica('max_standby_archive_delay'), comparison: 'at-most', looser: 'WARN', unset: 'PASS', disabled: ['-1'],
    why: 'the same bound while replaying archived WAL' },
];

/** Runs every rule on `facts`; `now` is the time of the audit. */
export function evaluate(facts: DeploymentFacts, now: Date): Finding[] {
  return [
    checkRetention(facts.instance),
    checkRestorableTime(facts.instance, now),
    ...(facts.lifecycle ? [checkStandardSupport(facts.instance, facts.lifecycle, now)] : []),
    ...(facts.pendingMaintenance ? [checkPendingMaintenance(facts.instance, facts.pendingMaintenance, now)] : []),
    ...(facts.certificate ? [checkCertificate(facts.instance, facts.certificate, now)] : []),
    checkMultiAz(facts.instance),
    checkDeletionProtection(facts.instance),
    checkStorageEncryption(facts.instance),
    checkIamAuth(facts.instance),
    checkBackupReplication(facts),
    checkRecoveryPointAge(facts, now),
    checkReplicas(facts),
    ...checkParameterGroup(facts.instance, facts.parameterGroup),
    ...facts.replicas.flatMap((r) => checkReplicaParameters(r)),
    checkProxy(facts),
    ...facts.buckets.flatMap((b) => checkBucket(b)),
  ];
}

/** How many findings of each status. */
export function summarize(findings: readonly Finding[]): { PASS: number; WARN: number; FAIL: number } {
  const counts = { PASS: 0, WARN: 0, FAIL: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

/** A fix that several findings share: printed once, naming them. */
export interface FoldedFix {
  readonly fix: string;
  /** The findings it fixes, in report order (at least one). */
  readonly findings: readonly Finding[];
}

/**
 * The fixes of the findings that are not PASS, each once: findings with the same fix text share
 * it, and the parameters of one custom parameter group that are off share one
 * modify-db-parameter-group call setting them all, so 15 loose parameters are one command, not
 * 15. In the order of the first finding each fixes.
 */
export function foldFixes(facts: DeploymentFacts, findings: readonly Finding[]): FoldedFix[] {
  const groups = new Map<string, { fix: (members: readonly Finding[]) => string; findings: Finding[] }>();
  const add = (key: string, finding: Finding, fix: (members: readonly Finding[]) => string) => {
    const group = groups.get(key) ?? { fix, findings: [] };
    group.findings.push(finding);
    groups.set(key, group);
  };
  const rulesOf = (members: readonly Finding[], rules: readonly ParameterRule[], prefix: string) =>
    members.map((f) => rules.find((r) => `${prefix}${r.name}` === f.id)!);
  for (const f of findings) {
    if (f.status === 'PASS') continue;
    const primaryRule = PARAMETER_RULES.find((r) => `parameter.${r.name}` === f.id);
    const replicaRule = REPLICA_PARAMETER_RULES.find((r) => `replica-parameter.${r.name}` === f.id);
    const replica = replicaRule ? facts.replicas.find((r) => r.id === f.resource && r.parameterGroup) : undefined;
    if (primaryRule && facts.parameterGroup?.name === f.resource && !f.resource.startsWith('default.')) {
      const { instance } = facts;
      add(`parameters ${f.resource}`, f, (members) => parameterFix(f.resource, rulesOf(members, PARAMETER_RULES, 'parameter.'), instance.id, instance.region, PRIMARY_LIBRARY));
    } else if (replica) {
      const group = replica.parameterGroup!.name;
      add(`replica-parameters ${replica.id}`, f, (members) => parameterFix(group, rulesOf(members, REPLICA_PARAMETER_RULES, 'replica-parameter.'), replica.id, replica.region, REPLICA_LIBRARY));
    } else {
      add(`fix ${f.fix}`, f, () => f.fix);
    }
  }
  // Map order is insertion order: the order of each group's first finding.
  return [...groups.values()].map((g) => ({ fix: g.fix(g.findings), findings: g.findings }));
}

// --- the database instance -------------------------------------------------------------------

function modify(instance: InstanceFacts, flags: string): string {
  return `aws rds modify-db-instance --region ${instance.region} --db-instance-identifier ${instance.id} ${flags} --apply-immediately`;
}

export function checkRetention(instance: InstanceFacts): Finding {
  const days = instance.backupRetentionDays;
  const status: FindingStatus = days <= 0 ? 'FAIL' : days < MIN_RETENTION_DAYS ? 'WARN' : 'PASS';
  return {
    id: 'backup.retention',
    resource: instance.id,
    title: `Backups on, retention >= ${MIN_RETENTION_DAYS} days`,
    status,
    detail: days <= 0
      ? 'automated backups are off (retention 0 days): no point-in-time recovery, no read replicas'
      : `retention ${days} day${days === 1 ? '' : 's'}${status === 'WARN' ? `: less than the ${MIN_RETENTION_DAYS} days the playbook asks for` : ''}`,
    fix: `${modify(instance, '--backup-retention-period 14')} (library: PostgresDatabase backupRetention, 14 days in production)`,
  };
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m < 120 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1)} h`;
}

export function checkRestorableTime(instance: InstanceFacts, now: Date): Finding {
  const base = {
    id: 'backup.latest-restorable-time',
    resource: instance.id,
    title: 'LatestRestorableTime <= 10 min old',
    fix: 'RDS archives transaction logs every 5 minutes; a lag means archiving is stuck or backups are off: check '
      + `\`aws rds describe-events --region ${instance.region} --source-type db-instance --source-identifier ${instance.id} --duration 120\` `
      + '(storage-full, a stopped or failing instance) and that backup retention is at least 1 day',
  };
  if (!instance.latestRestorableTime) {
    return { ...base, status: 'FAIL', detail: 'no LatestRestorableTime: the instance cannot be restored to a point in time' };
  }
  const lag = now.getTime() - instance.latestRestorableTime.getTime();
  const at = instance.latestRestorableTime.toISOString();
  if (lag > MAX_RESTORABLE_LAG_MS) {
    return { ...base, status: 'FAIL', detail: `${at}, ${minutes(lag)} ago: a restore now would lose more than 10 minutes of writes` };
  }
  return { ...base, status: 'PASS', detail: `${at} (${lag <= 0 ? 'now' : `${Math.round(lag / 1000)} s ago`})` };
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}

/**
 * The end of the engine's standard support: FAIL past it (RDS bills Extended Support, or, with
 * it disabled, upgrades the major version by itself), WARN within SUPPORT_WARN_DAYS.
 */
export function checkStandardSupport(instance: InstanceFacts, lifecycle: EngineLifecycleFacts, now: Date): Finding {
  const base = {
    id: 'engine.standard-support',
    resource: instance.id,
    title: `Engine in standard support (> ${SUPPORT_WARN_DAYS} days left)`,
    fix: `plan the major upgrade: \`db-playbook upgrade --region ${instance.region} --instance ${instance.id} --target-version <version> --dry-run\` `
      + 'runs its prechecks (README "Upgrades"); then set the library\'s engine version to what runs '
      + '(library: PostgresDatabase engineVersion; engineLifecycleSupport says what happens at the end date)',
  };
  const version = `${lifecycle.engine} ${lifecycle.engineVersion}`;
  const end = lifecycle.standardSupportEnd;
  if (!end) {
    return { ...base, status: 'WARN', detail: `RDS lists no end of standard support for ${lifecycle.engine} ${lifecycle.majorVersion}: check the RDS for PostgreSQL release calendar` };
  }
  const left = daysBetween(now, end);
  const after = lifecycle.lifecycleSupport === 'open-source-rds-extended-support-disabled'
    ? 'RDS upgrades the major version by itself after it (Extended Support disabled)'
    : `RDS bills Extended Support after it${lifecycle.extendedSupportEnd ? ` (until ${day(lifecycle.extendedSupportEnd)})` : ''}`;
  if (left < 0) return { ...base, status: 'FAIL', detail: `${version}: standard support ended ${day(end)}, ${-left} days ago: ${after}` };
  if (left <= SUPPORT_WARN_DAYS) return { ...base, status: 'WARN', detail: `${version}: standard support ends ${day(end)}, in ${left} days: ${after}` };
  return { ...base, status: 'PASS', detail: `${version}: standard support until ${day(end)} (${left} days)` };
}

/**
 * The pending maintenance actions, listed: WARN when one is applied within
 * MAINTENANCE_WARN_DAYS (or its date has passed: the next maintenance window), PASS otherwise.
 */
export function checkPendingMaintenance(instance: InstanceFacts, actions: readonly PendingMaintenanceFacts[], now: Date): Finding {
  const base = {
    id: 'maintenance.pending',
    resource: instance.id,
    title: `Pending maintenance (none within ${MAINTENANCE_WARN_DAYS} days)`,
    fix: `\`aws rds describe-pending-maintenance-actions --region ${instance.region} --resource-identifier ${instance.arn}\`; apply it in a window you choose `
      + `(\`aws rds apply-pending-maintenance-action --region ${instance.region} --resource-identifier ${instance.arn} --apply-action <action> --opt-in-type next-maintenance\`); `
      + 'a Multi-AZ instance applies most of them with a failover',
  };
  if (actions.length === 0) return { ...base, status: 'PASS', detail: 'none' };
  const soon = actions.filter((a) => a.applyDate && daysBetween(now, a.applyDate) <= MAINTENANCE_WARN_DAYS);
  const list = actions.map((a) => `${a.action}${a.applyDate ? ` on ${day(a.applyDate)}` : ' (not scheduled)'}${a.description ? `: ${a.description}` : ''}`).join('; ');
  return soon.length > 0
    ? { ...base, status: 'WARN', detail: `${actions.length} pending, ${soon.length} applied within ${MAINTENANCE_WARN_DAYS} days: ${list}` }
    : { ...base, status: 'PASS', detail: `${actions.length} pending, none applied within ${MAINTENANCE_WARN_DAYS} days: ${list}` };
}

/**
 * The CA the instance's certificate chains to, and the server certificate: FAIL once either
 * expired (clients that verify, as the playbook's verify-full does, refuse it), WARN within
 * CERTIFICATE_WARN_DAYS.
 */
export function checkCertificate(instance: InstanceFacts, cert: CertificateFacts, now: Date): Finding {
  const base = {
    id: 'instance.ca-certificate',
    resource: instance.id,
    title: `CA certificate valid (> ${CERTIFICATE_WARN_DAYS} days left)`,
    fix: 'put the new CA in the clients\' bundle first (the RDS global bundle holds every RDS CA), then '
      + `${modify(instance, '--ca-certificate-identifier rds-ca-rsa2048-g1')} (RDS restarts the instance for it unless it supports rotation without restart)`,
  };
  const dates = [
    cert.caValidTill ? { what: `CA ${cert.caIdentifier ?? '?'}`, at: cert.caValidTill } : undefined,
    cert.serverValidTill ? { what: 'server certificate', at: cert.serverValidTill } : undefined,
  ].filter((d): d is { what: string; at: Date } => d !== undefined);
  const all = dates.map((d) => `${d.what} valid until ${day(d.at)}`).join(', ');
  const expired = dates.find((d) => d.at.getTime() < now.getTime());
  if (expired) return { ...base, status: 'FAIL', detail: `${expired.what} expired ${day(expired.at)}: clients that verify the certificate refuse to connect (${all})` };
  if (!cert.caValidTill) {
    return { ...base, status: 'WARN', detail: `no expiry known for ${cert.caIdentifier ? `CA ${cert.caIdentifier}` : 'the instance\'s CA'} (DescribeCertificates does not list it)${all ? `; ${all}` : ''}` };
  }
  // RDS renews the server certificate by itself before it expires; the CA is the operator's to rotate.
  const left = daysBetween(now, cert.caValidTill);
  if (left <= CERTIFICATE_WARN_DAYS) return { ...base, status: 'WARN', detail: `CA ${cert.caIdentifier ?? '?'} expires ${day(cert.caValidTill)}, in ${left} days (${all})` };
  return { ...base, status: 'PASS', detail: all };
}

export function checkMultiAz(instance: InstanceFacts): Finding {
  return {
    id: 'instance.multi-az',
    resource: instance.id,
    title: 'Multi-AZ',
    status: instance.multiAz ? 'PASS' : 'FAIL',
    detail: instance.multiAz ? 'a standby in a second AZ takes over on failure' : 'single-AZ: an AZ outage or a host failure takes the database down until it is rebuilt',
    fix: `${modify(instance, '--multi-az')} (library: PostgresDatabase multiAz, on in production)`,
  };
}

export function checkDeletionProtection(instance: InstanceFacts): Finding {
  return {
    id: 'instance.deletion-protection',
    resource: instance.id,
    title: 'Deletion protection',
    status: instance.deletionProtection ? 'PASS' : 'FAIL',
    detail: instance.deletionProtection ? 'on' : 'off: one delete call (or a stack update that replaces it) removes the database',
    fix: `${modify(instance, '--deletion-protection')} (library: PostgresDatabase deletionProtection, on in production)`,
  };
}

export function checkStorageEncryption(instance: InstanceFacts): Finding {
  return {
    id: 'instance.storage-encrypted',
    resource: instance.id,
    title: 'Storage encryption',
    status: instance.storageEncrypted ? 'PASS' : 'FAIL',
    detail: instance.storageEncrypted ? `encrypted with ${instance.kmsKeyId ?? 'a KMS key'}` : 'storage, snapshots and replicas are not encrypted',
    fix: 'encryption cannot be turned on in place: take a snapshot, copy it with '
      + '`aws rds copy-db-snapshot --kms-key-id <key ARN> ...`, restore a new instance from the encrypted copy and cut over '
      + '(library: PostgresDatabase always encrypts, with its own rotating KMS key or encryptionKey)',
  };
}

export function checkIamAuth(instance: InstanceFacts): Finding {
  return {
    id: 'instance.iam-auth',
    resource: instance.id,
    title: 'IAM authentication',
    status: instance.iamAuth ? 'PASS' : 'FAIL',
    detail: instance.iamAuth ? 'on' : 'off: applications and the RDS Proxy cannot connect with IAM tokens instead of passwords',
    fix: `${modify(instance, '--enable-iam-database-authentication')} (library: PostgresDatabase turns it on)`,
  };
}

// --- disaster recovery ------------------------------------------------------------------------

/** The region of an ARN (`arn:aws:rds:<region>:...`). */
export function arnRegion(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length > 4 && parts[0] === 'arn' && parts[3] ? parts[3] : undefined;
}

const HEALTHY_REPLICATION = new Set(['replicating', 'active']);

export function checkBackupReplication(facts: DeploymentFacts): Finding {
  const { instance, drRegion } = facts;
  const target = drRegion ?? '<dr-region>';
  const base = {
    id: 'dr.backup-replication',
    resource: instance.id,
    title: 'Backups replicated to DR region',
    fix: `aws rds start-db-instance-automated-backups-replication --region ${target} --source-db-instance-arn ${instance.arn} `
      + '--kms-key-id <DR-region KMS key ARN> --backup-retention-period 7 '
      + '(library: DataPlatform disasterRecovery, i.e. CrossRegionBackup replicateAutomatedBackups)',
  };
  const replicated = facts.replicatedBackups.filter((b) => b.region !== instance.region);
  const healthy = replicated.filter((b) => HEALTHY_REPLICATION.has(b.status.toLowerCase()));
  const describe = (b: ReplicatedBackupFacts) => [
    `${b.region} (${b.status}`,
    b.retentionDays !== undefined ? `, retention ${b.retentionDays} days` : '',
    b.latestTime ? `, restorable to ${b.latestTime.toISOString()}` : '',
    ')',
  ].join('');
  if (healthy.length > 0) return { ...base, status: 'PASS', detail: `replicated to ${healthy.map(describe).join('; ')}` };
  if (replicated.length > 0) return { ...base, status: 'WARN', detail: `replication is not running yet: ${replicated.map(describe).join('; ')}` };
  const declared = [...new Set(instance.backupReplicationArns.map(arnRegion).filter((r): r is string => r !== undefined))];
  const detail = declared.length > 0
    ? `the instance replicates to ${declared.join(', ')} but ${drRegion ?? 'that region'} holds no replicated backups of it`
    : drRegion
      ? `no replicated automated backups of ${instance.id} in ${drRegion}: PITR exists only in ${instance.region}`
      : `automated backups are not replicated (the instance lists no replication; pass --dr-region to look in a region): PITR exists only in ${instance.region}`;
  return { ...base, status: 'FAIL', detail };
}

const USABLE_RECOVERY_POINT = new Set(['available', 'completed']);

function hours(ms: number): string {
  return ms < 3_600_000 ? `${Math.max(0, Math.round(ms / 60_000))} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

export function checkRecoveryPointAge(facts: DeploymentFacts, now: Date): Finding {
  const { instance, drRegion } = facts;
  const base = {
    id: 'dr.recovery-point-age',
    resource: instance.id,
    title: 'DR recovery point < 26 h old',
    fix: `check the backup plan's copy jobs (\`aws backup list-copy-jobs --region ${instance.region} --by-state FAILED\`); `
      + `for a copy now: \`db-playbook copy --to-region ${drRegion ?? '<dr-region>'}\` or \`aws rds copy-db-snapshot --region ${drRegion ?? '<dr-region>'} `
      + `--source-region ${instance.region} --source-db-snapshot-identifier <snapshot ARN> --target-db-snapshot-identifier <name> --kms-key-id <DR key ARN>\` `
      + '(library: DataPlatform disasterRecovery, i.e. CrossRegionBackup daily copies to the DR vault)',
  };
  const points = facts.crossRegionRecoveryPoints
    .filter((p) => p.region !== instance.region && USABLE_RECOVERY_POINT.has(p.status.toLowerCase()))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const newest = points[0];
  if (!newest) {
    return {
      ...base,
      status: 'FAIL',
      detail: drRegion
        ? `no snapshot or recovery point of ${instance.id} in ${drRegion}: no offsite copy (3-2-1)`
        : 'no DR region known (pass --dr-region): cannot find an offsite copy',
    };
  }
  const age = now.getTime() - newest.createdAt.getTime();
  const what = `${newest.id} (${newest.source}) in ${newest.region}, ${newest.createdAt.toISOString()}, ${hours(age)} old`;
  return age < MAX_RECOVERY_POINT_AGE_MS
    ? { ...base, status: 'PASS', detail: what }
    : { ...base, status: 'FAIL', detail: `${what}: the daily copy is missing` };
}

// --- replicas, parameters, proxy -------------------------------------------------------------

export function checkReplicas(facts: DeploymentFacts): Finding {
  const { instance, replicas } = facts;
  const base = {
    id: 'replicas.present',
    resource: instance.id,
    title: 'Read replicas',
    fix: `aws rds create-db-instance-read-replica --region ${instance.region} --db-instance-identifier ${instance.id}-replica-1 `
      + `--source-db-instance-identifier ${instance.id} (library: ReadReplicas count, 1 in production; DataPlatform readReplicas)`,
  };
  if (replicas.length === 0) {
    return { ...base, status: 'WARN', detail: 'no read replica: reads load the primary and there is no warm copy to promote' };
  }
  const list = replicas.map((r) => `${r.id} (${r.region}, ${r.status})`).join(', ');
  const unhealthy = replicas.filter((r) => r.status !== 'available');
  return unhealthy.length > 0
    ? { ...base, status: 'WARN', detail: `${list}: ${unhealthy.map((r) => r.id).join(', ')} not available` }
    : { ...base, status: 'PASS', detail: list };
}

function numeric(value: string): number | undefined {
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/** PASS/WARN/FAIL of one parameter value against its rule, with the reason. */
export function judgeParameter(rule: ParameterRule, value: string | undefined): { status: FindingStatus; detail: string } {
  const want = `playbook ${rule.expected}`;
  if (value === undefined) {
    const status = rule.unset ?? rule.looser;
    return { status, detail: `not set: PostgreSQL's default applies (${want})${status === 'PASS' ? ', which matches' : ''}` };
  }
  const v = value.trim();
  switch (rule.comparison) {
    case 'boolean': {
      const want1 = TRUE_VALUES.has(rule.expected.toLowerCase());
      const got1 = TRUE_VALUES.has(v.toLowerCase());
      return got1 === want1
        ? { status: 'PASS', detail: v }
        : { status: rule.looser, detail: `${v} (${want})` };
    }
    case 'contains': {
      const have = v.split(',').map((s) => s.trim()).filter(Boolean);
      const missing = Object.entries(rule.libraries ?? {}).filter(([lib]) => !have.includes(lib));
      if (missing.length === 0) return { status: 'PASS', detail: v };
      const status = missing.some(([, s]) => s === 'FAIL') ? 'FAIL' : 'WARN';
      return { status, detail: `${v || '(empty)'}: missing ${missing.map(([lib]) => lib).join(', ')} (${want})` };
    }
    case 'at-most':
    case 'at-least': {
      if (rule.disabled?.includes(v)) return { status: rule.looser, detail: `${v}, i.e. off (${want})` };
      const got = numeric(v);
      const expected = numeric(rule.expected)!;
      if (got === undefined) return { status: 'WARN', detail: `${v}: not a number doctor can compare (${want})` };
      if (got === expected) return { status: 'PASS', detail: v };
      const stricter = rule.comparison === 'at-most' ? got < expected : got > expected;
      if (stricter) {
        const status = rule.stricter ?? 'PASS';
        return { status, detail: `${v} (stricter than the ${want})` };
      }
      return { status: rule.looser, detail: `${v} (looser than the ${want})` };
    }
  }
}

/**
 * One modify-db-parameter-group call that sets `rules` to the playbook's values. The API takes
 * at most MAX_PARAMETERS_PER_CALL; the rule tables are shorter (a test keeps them so).
 */
function parameterFix(group: string, rules: readonly ParameterRule[], instanceId: string, region: string, library: string): string {
  const settings = rules.map((rule) => {
    const apply = rule.static ? 'pending-reboot' : 'immediate';
    const value = rule.expected.includes(',') ? `'${rule.expected}'` : rule.expected;
    return `"ParameterName=${rule.name},ParameterValue=${value},ApplyMethod=${apply}"`;
  });
  return `aws rds modify-db-parameter-group --region ${region} --db-parameter-group-name ${group} --parameters ${settings.join(' ')}`
    + (rules.some((r) => r.static) ? `, then reboot ${instanceId} in a maintenance window` : '')
    + ` (library: ${library})`;
}

/** ModifyDBParameterGroup takes at most 20 parameters per call. */
export const MAX_PARAMETERS_PER_CALL = 20;

const PRIMARY_LIBRARY = 'TunedParameterGroup sets it; drop the override from PostgresDatabase parameters';
const REPLICA_LIBRARY = 'ReadReplicas parameter group sets it; drop the override from ReadReplicas parameters';

export function checkParameterGroup(instance: InstanceFacts, group: ParameterGroupFacts | undefined): Finding[] {
  const findings: Finding[] = [];
  const name = group?.name ?? '(none)';
  const isDefault = name.startsWith('default.');
  if (group) {
    const pending = group.applyStatus === 'pending-reboot';
    findings.push({
      id: 'parameter-group.in-sync',
      resource: name,
      title: 'Parameter group applied',
      status: !group.applyStatus || group.applyStatus === 'in-sync' ? 'PASS' : 'WARN',
      detail: `${group.applyStatus ?? 'in-sync'}${pending ? ': static parameters (shared_preload_libraries) wait for a reboot' : ''}`,
      fix: `aws rds reboot-db-instance --region ${instance.region} --db-instance-identifier ${instance.id} in a maintenance window `
        + '(Multi-AZ: add --force-failover to keep the outage to a failover)',
    });
  }
  for (const rule of PARAMETER_RULES) {
    const judged = judgeParameter(rule, group?.values[rule.name]);
    findings.push({
      id: `parameter.${rule.name}`,
      resource: name,
      title: rule.name,
      status: judged.status,
      detail: judged.status === 'PASS' ? judged.detail
        : `${judged.detail}${isDefault ? ' (a default parameter group cannot be changed: use a custom one)' : ''}: ${rule.why}`,
      fix: isDefault
        ? `create a custom group with the playbook's values and \`${modify(instance, '--db-parameter-group-name <group>')}\` (library: TunedParameterGroup)`
        : parameterFix(name, [rule], instance.id, instance.region, PRIMARY_LIBRARY),
    });
  }
  return findings;
}

export function checkReplicaParameters(replicaFacts: ReplicaFacts): Finding[] {
  const group = replicaFacts.parameterGroup;
  if (!group) return [];
  return REPLICA_PARAMETER_RULES.map((rule) => {
    const judged = judgeParameter(rule, group.values[rule.name]);
    return {
      id: `replica-parameter.${rule.name}`,
      resource: replicaFacts.id,
      title: rule.name,
      status: judged.status,
      detail: `${judged.status === 'PASS' ? judged.detail : `${judged.detail}: ${rule.why}`} (group ${group.name})`,
      fix: parameterFix(group.name, [rule], replicaFacts.id, replicaFacts.region, REPLICA_LIBRARY),
    };
  });
}

export function checkProxy(facts: DeploymentFacts): Finding {
  const { instance, proxies } = facts;
  const base = { id: 'proxy.targets', title: 'RDS Proxy targets healthy' };
  if (proxies.length === 0) {
    return {
      ...base,
      resource: instance.id,
      status: 'WARN',
      detail: 'no RDS Proxy targets this instance: every application connection is a database connection (pass --proxy to name one)',
      fix: 'library: DataPlatform enableConnectionPool (on by default) or PostgresDatabase addConnectionPool / ConnectionPool',
    };
  }
  const problems: string[] = [];
  const seen: string[] = [];
  let fail = false;
  let targetsInstance = false;
  for (const proxy of proxies) {
    if (proxy.targets.length === 0) {
      fail = true;
      problems.push(`${proxy.name} has no targets`);
    }
    for (const t of proxy.targets) {
      if (t.resourceId === instance.id) targetsInstance = true;
      const label = `${proxy.name} -> ${t.resourceId ?? '?'}${t.type ? ` (${t.type})` : ''}`;
      if (t.state === 'AVAILABLE') {
        seen.push(`${label} AVAILABLE`);
      } else {
        fail = true;
        problems.push(`${label} ${t.state ?? 'no health reported'}${t.reason ? ` ${t.reason}` : ''}${t.description ? `: ${t.description}` : ''}`);
      }
    }
  }
  const names = proxies.map((p) => p.name).join(', ');
  const fix = fail
    ? `\`aws rds describe-db-proxy-targets --region ${instance.region} --db-proxy-name ${proxies[0].name}\` gives the reason: `
      + 'AUTH_FAILURE → the proxy\'s secret or IAM role; CONNECTION_FAILED → the database security group must allow the proxy; '
      + 'PENDING_PROXY_CAPACITY / REGISTERING → wait a few minutes; a deleted target → `aws rds register-db-proxy-targets` '
      + '(library: ConnectionPool)'
    : `aws rds register-db-proxy-targets --region ${instance.region} --db-proxy-name ${proxies[0].name} --db-instance-identifiers ${instance.id}`;
  if (fail) return { ...base, resource: names, status: 'FAIL', detail: [...problems, ...seen].join('; '), fix };
  if (!targetsInstance) {
    return { ...base, resource: names, status: 'WARN', detail: `${seen.join('; ')}: the proxy does not target ${instance.id} (after a restore, re-point it)`, fix };
  }
  return { ...base, resource: names, status: 'PASS', detail: seen.join('; '), fix };
}

// --- blob buckets ---------------------------------------------------------------------------

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Whether a bucket policy denies every request without TLS: a statement with Effect Deny,
 * Principal * (or AWS *), Action s3:* (or *), Condition Bool aws:SecureTransport false, and a
 * Resource covering the bucket's objects.
 */
export function hasTlsOnlyStatement(bucket: string, policy: string | undefined): boolean {
  if (!policy) return false;
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return false;
  }
  const objects = new RegExp(`^arn:[^:]+:s3:::${bucket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\*$`);
  return asList(doc.Statement as Record<string, unknown> | Record<string, unknown>[]).some((s) => {
    if (!s || s.Effect !== 'Deny') return false;
    const principal = s.Principal as string | { AWS?: string | string[] } | undefined;
    const everyone = principal === '*' || (typeof principal === 'object' && asList(principal.AWS).includes('*'));
    const actions = asList(s.Action as string | string[]).map((a) => a.toLowerCase());
    const allActions = actions.includes('s3:*') || actions.includes('*');
    const resources = asList(s.Resource as string | string[]);
    const coversObjects = resources.some((r) => r === '*' || objects.test(r));
    const bool = (s.Condition as Record<string, Record<string, unknown>> | undefined)?.Bool ?? {};
    const secure = Object.entries(bool).find(([k]) => k.toLowerCase() === 'aws:securetransport')?.[1];
    const onInsecure = asList(secure as string | boolean | (string | boolean)[]).some((v) => String(v).toLowerCase() === 'false');
    return everyone && allActions && coversObjects && onInsecure;
  });
}

export function checkBucket(bucket: BucketFacts): Finding[] {
  const b = bucket.name;
  const findings: Finding[] = [];

  findings.push({
    id: 'bucket.versioning',
    resource: b,
    title: 'Versioning',
    status: bucket.versioning === 'Enabled' ? 'PASS' : 'FAIL',
    detail: bucket.versioning === 'Enabled' ? 'Enabled'
      : `${bucket.versioning ?? 'never enabled'}: an overwrite or delete loses the object, and replication needs versioning`,
    fix: `aws s3api put-bucket-versioning --bucket ${b} --versioning-configuration Status=Enabled (library: BlobBucket enables it)`,
  });

  const pab = bucket.publicAccessBlock;
  const flags: [string, boolean | undefined][] = [
    ['BlockPublicAcls', pab?.blockPublicAcls], ['IgnorePublicAcls', pab?.ignorePublicAcls],
    ['BlockPublicPolicy', pab?.blockPublicPolicy], ['RestrictPublicBuckets', pab?.restrictPublicBuckets],
  ];
  const off = flags.filter(([, v]) => v !== true).map(([k]) => k);
  findings.push({
    id: 'bucket.public-access-block',
    resource: b,
    title: 'Public access block',
    status: pab && off.length === 0 ? 'PASS' : 'FAIL',
    detail: !pab ? 'no public access block on the bucket: an ACL or policy can make objects public'
      : off.length === 0 ? 'all four on' : `off: ${off.join(', ')}`,
    fix: `aws s3api put-public-access-block --bucket ${b} --public-access-block-configuration `
      + 'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true (library: BlobBucket blocks all public access)',
  });

  const algorithm = bucket.encryption?.algorithm;
  const kms = algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse';
  findings.push({
    id: 'bucket.encryption',
    resource: b,
    title: 'Default encryption',
    status: kms ? 'PASS' : algorithm ? 'WARN' : 'FAIL',
    detail: kms
      ? `${algorithm} with ${bucket.encryption?.kmsKeyId ?? 'the AWS managed key'}${bucket.encryption?.bucketKeyEnabled ? ', bucket key on' : ''}`
      : algorithm ? `${algorithm} (SSE-S3): encrypted, but key use is neither restricted by a key policy nor logged`
        : 'no default encryption configured',
    fix: `aws s3api put-bucket-encryption --bucket ${b} --server-side-encryption-configuration `
      + '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"<key ARN>"},"BucketKeyEnabled":true}]}\' '
      + '(library: BlobBucket, SSE-KMS with bucket keys; encryptionKey to bring a key)',
  });

  const tls = hasTlsOnlyStatement(b, bucket.policy);
  findings.push({
    id: 'bucket.tls-only',
    resource: b,
    title: 'TLS-only bucket policy',
    status: tls ? 'PASS' : 'FAIL',
    detail: tls ? 'Deny s3:* when aws:SecureTransport is false'
      : bucket.policy ? 'the bucket policy has no Deny of s3:* for everyone when aws:SecureTransport is false' : 'no bucket policy',
    fix: `aws s3api put-bucket-policy --bucket ${b} --policy '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",`
      + `"Resource":["arn:aws:s3:::${b}","arn:aws:s3:::${b}/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}' `
      + '(merge with the existing statements; library: BlobBucket enforces TLS)',
  });

  const rules = bucket.replication?.rules ?? [];
  const enabled = rules.filter((r) => r.status === 'Enabled');
  findings.push({
    id: 'bucket.replication',
    resource: b,
    title: 'Replication',
    status: enabled.length > 0 ? 'PASS' : 'FAIL',
    detail: enabled.length > 0
      ? `to ${[...new Set(enabled.map((r) => r.destination ?? '?'))].join(', ')}`
      : rules.length > 0 ? 'every replication rule is disabled' : 'no replication: no offsite copy of the objects',
    fix: `aws s3api put-bucket-replication --bucket ${b} --replication-configuration file://replication.json `
      + '(a rule with Status Enabled and a destination bucket in the DR region; library: BlobBucket replicationDestination, set by DataPlatform in production)',
  });
  return findings;
}
