/**
 * The prechecks of `db-playbook upgrade`, as pure functions: what RDS and the database said
 * (UpgradeFacts) in, one PASS or FAIL per check out, each FAIL with its fix. Nothing here calls
 * AWS or the database; the command gathers the facts, the tests also build them by hand.
 *
 * Blue/Green for RDS for PostgreSQL replicates with logical replication when the engine's major
 * version changes (physical replication for a minor upgrade), so the logical-replication checks
 * apply to major upgrades only.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-considerations.html
 */
import { RDS_POSTGRES_17_EXTENSIONS } from '../../shared/rds-extensions';
import type { DatabaseFacts } from './upgrade-database';

export type PrecheckStatus = 'PASS' | 'FAIL';

/** One precheck's result. */
export interface Precheck {
  /** Stable id: `target.valid-upgrade`, `tables.replica-identity`, ... */
  readonly id: string;
  readonly title: string;
  readonly status: PrecheckStatus;
  readonly detail: string;
  /** What to do when it FAILs (the command, SQL or library setting). */
  readonly fix: string;
}

/** Everything the prechecks look at. */
export interface UpgradeFacts {
  readonly instanceId: string;
  readonly region: string;
  readonly status: string;
  readonly sourceVersion: string;
  readonly targetVersion: string;
  /** Whether the upgrade changes the major version. */
  readonly major: boolean;
  /** The source version's ValidUpgradeTarget versions; undefined when RDS does not list the source version. */
  readonly validTargets?: readonly string[];
  /** The source's parameter group and its rds.logical_replication value (undefined: not set). */
  readonly parameterGroup?: string;
  readonly logicalReplication?: string;
  /** The ARN of the master user's secret when RDS manages the password in Secrets Manager. */
  readonly masterUserSecretArn?: string;
  /** AllocatedStorage, GiB. */
  readonly allocatedGiB: number;
  /** Blue/Green deployments of the source that exist already (`id STATUS`). */
  readonly existingDeployments: readonly string[];
  readonly database: DatabaseFacts;
}

/** The share of the allocated storage the databases may fill: the rest holds the WAL logical replication keeps while green catches up. */
export const MAX_USED_STORAGE = 0.8;

/** How many tables a FAIL names; the JSON has the same bounded list (the query lists them all). */
const LIST_LIMIT = 10;

/**
 * The extensions each target major version is known to have on RDS. Only RDS for PostgreSQL 17's
 * list is in this repository (shared/rds-extensions.ts); for another major version the same list
 * is assumed, and the check's detail says so.
 */
export function extensionsOf(major: string): { names: readonly string[]; assumed: boolean } {
  return { names: RDS_POSTGRES_17_EXTENSIONS, assumed: major !== '17' };
}

function listed<T>(items: readonly T[], show: (t: T) => string): string {
  const shown = items.slice(0, LIST_LIMIT).map(show).join(', ');
  return items.length > LIST_LIMIT ? `${shown} and ${items.length - LIST_LIMIT} more` : shown;
}

export function checkStatus(f: UpgradeFacts): Precheck {
  return {
    id: 'source.available',
    title: 'Source instance available',
    status: f.status === 'available' ? 'PASS' : 'FAIL',
    detail: f.status,
    fix: `wait until \`aws rds describe-db-instances --region ${f.region} --db-instance-identifier ${f.instanceId}\` says available`,
  };
}

export function checkTarget(f: UpgradeFacts): Precheck {
  const base = { id: 'target.valid-upgrade', title: `${f.targetVersion} a valid target of ${f.sourceVersion}` };
  const list = `aws rds describe-db-engine-versions --region ${f.region} --engine postgres --engine-version ${f.sourceVersion} --query "DBEngineVersions[].ValidUpgradeTarget[].EngineVersion"`;
  if (!f.validTargets) return { ...base, status: 'FAIL', detail: `RDS does not list ${f.sourceVersion} (DescribeDBEngineVersions)`, fix: `\`${list}\`` };
  const ok = f.validTargets.includes(f.targetVersion);
  return {
    ...base,
    status: ok ? 'PASS' : 'FAIL',
    detail: ok ? `${f.major ? 'major upgrade (logical replication)' : 'minor upgrade (physical replication)'}` : `valid targets: ${f.validTargets.join(', ') || 'none'}`,
    fix: `give one of ${f.validTargets.join(', ') || 'the versions'} \`${list}\` lists as --target-version (a major upgrade may need an intermediate version)`,
  };
}

export function checkMasterUserSecret(f: UpgradeFacts): Precheck {
  return {
    id: 'source.master-user-secret',
    title: 'No RDS-managed master password',
    status: f.masterUserSecretArn ? 'FAIL' : 'PASS',
    detail: f.masterUserSecretArn ? `RDS manages it in Secrets Manager (${f.masterUserSecretArn}): Blue/Green deployments refuse such a source` : 'a password the stack\'s secret holds',
    fix: `aws rds modify-db-instance --region ${f.region} --db-instance-identifier ${f.instanceId} --no-manage-master-user-password --master-user-password <new password> --apply-immediately `
      + '(library: PostgresDatabase keeps the password in a secret of its own, with rotation)',
  };
}

export function checkLogicalReplication(f: UpgradeFacts): Precheck {
  const on = f.logicalReplication !== undefined && ['1', 'on', 'true'].includes(f.logicalReplication.toLowerCase());
  return {
    id: 'parameter.rds.logical_replication',
    title: 'rds.logical_replication = 1',
    status: on ? 'PASS' : 'FAIL',
    detail: `${f.logicalReplication ?? 'not set (0)'} in ${f.parameterGroup ?? '(no parameter group)'}`,
    fix: `aws rds modify-db-parameter-group --region ${f.region} --db-parameter-group-name ${f.parameterGroup ?? '<group>'} `
      + '--parameters "ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot", '
      + `then reboot ${f.instanceId} in a maintenance window (static) (library: PostgresDatabase parameters { 'rds.logical_replication': '1' })`,
  };
}

export function checkReplicaIdentity(f: UpgradeFacts): Precheck {
  const tables = f.database.tablesWithoutIdentity;
  const name = (t: { database: string; schema: string; table: string }) => `${t.database}.${t.schema}.${t.table}`;
  const first = tables[0];
  return {
    id: 'tables.replica-identity',
    title: 'Tables: primary key or replica identity',
    status: tables.length === 0 ? 'PASS' : 'FAIL',
    detail: tables.length === 0 ? `${f.database.databases.length} database(s) checked`
      : `${tables.length} table(s) whose UPDATEs and DELETEs logical replication cannot apply on green: ${listed(tables, name)}`,
    fix: first
      ? `add a primary key (ALTER TABLE "${first.schema}"."${first.table}" ADD PRIMARY KEY (<columns>)) or, without a unique key, `
        + `ALTER TABLE "${first.schema}"."${first.table}" REPLICA IDENTITY FULL (each UPDATE then logs the whole row), in each table listed`
      : '',
  };
}

export function checkSlots(f: UpgradeFacts): Precheck {
  const slots = f.database.slots;
  const inactive = slots.filter((s) => !s.active);
  const logical = f.major ? slots.filter((s) => s.type === 'logical') : [];
  const blocking = [...new Set([...inactive, ...logical])];
  const show = (s: { name: string; type: string; active: boolean }) => `${s.name} (${s.type}, ${s.active ? 'active' : 'inactive'})`;
  return {
    id: 'replication.slots',
    title: 'No blocking replication slot',
    status: blocking.length === 0 ? 'PASS' : 'FAIL',
    detail: blocking.length === 0 ? (slots.length === 0 ? 'none' : `${listed(slots, show)}: none blocks`)
      : `${listed(blocking, show)}: ${inactive.length > 0 ? 'an inactive slot keeps WAL on blue until the disk is full' : ''}`
        + `${inactive.length > 0 && logical.length > 0 ? '; ' : ''}${logical.length > 0 ? 'a logical slot of the source is not carried to green, its consumer would lose its place at the switchover' : ''}`,
    fix: 'stop the consumer and drop the slot first: SELECT pg_drop_replication_slot(\'<slot>\'); recreate it on the new primary after the switchover',
  };
}

export function checkExtensions(f: UpgradeFacts): Precheck {
  const major = f.targetVersion.split('.')[0];
  const { names, assumed } = extensionsOf(major);
  const missing = f.database.extensions.filter((e) => !names.includes(e.name));
  const used = [...new Set(f.database.extensions.map((e) => e.name))];
  const caveat = assumed ? ` (checked against RDS for PostgreSQL 17's list, assumed for ${major})` : '';
  return {
    id: 'extensions.available',
    title: `Extensions in use exist in ${f.targetVersion}`,
    status: missing.length === 0 ? 'PASS' : 'FAIL',
    detail: missing.length === 0 ? `${used.join(', ') || 'none'}${caveat}`
      : `not on RDS for PostgreSQL ${major}: ${listed(missing, (e) => `${e.name} ${e.version} (${e.database})`)}${caveat}`,
    fix: `DROP EXTENSION the ones RDS does not offer in ${major} (or replace them), or choose another target; `
      + 'see https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-extensions.html',
  };
}

const GIB = 1024 ** 3;

export function checkStorage(f: UpgradeFacts): Precheck {
  const used = f.database.sizeBytes / GIB;
  const share = f.allocatedGiB > 0 ? used / f.allocatedGiB : 1;
  const ok = share <= MAX_USED_STORAGE;
  return {
    id: 'storage.free',
    title: `Storage at most ${Math.round(MAX_USED_STORAGE * 100)} % used`,
    status: ok ? 'PASS' : 'FAIL',
    detail: `${used.toFixed(1)} GiB of ${f.allocatedGiB} GiB allocated (${Math.round(share * 100)} %)${ok ? '' : ': the WAL blue keeps while green catches up, and the upgrade on green, need the rest'}`,
    fix: `aws rds modify-db-instance --region ${f.region} --db-instance-identifier ${f.instanceId} --allocated-storage ${Math.ceil(used / MAX_USED_STORAGE) + 10} --apply-immediately `
      + '(library: PostgresDatabase allocatedStorage)',
  };
}

export function checkNoDeployment(f: UpgradeFacts): Precheck {
  return {
    id: 'blue-green.none',
    title: 'No other Blue/Green deployment',
    status: f.existingDeployments.length === 0 ? 'PASS' : 'FAIL',
    detail: f.existingDeployments.length === 0 ? 'none' : f.existingDeployments.join(', '),
    fix: `finish or delete it: \`aws rds delete-blue-green-deployment --region ${f.region} --blue-green-deployment-identifier <id> --delete-target\` (before a switchover)`,
  };
}

/** Every precheck, in the order they are printed. */
export function evaluatePrechecks(f: UpgradeFacts): Precheck[] {
  return [
    checkStatus(f),
    checkTarget(f),
    checkMasterUserSecret(f),
    checkNoDeployment(f),
    ...(f.major ? [checkLogicalReplication(f), checkReplicaIdentity(f)] : []),
    checkSlots(f),
    checkExtensions(f),
    checkStorage(f),
  ];
}
