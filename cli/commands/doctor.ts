import {
  BackupClient,
  paginateListBackupVaults,
  paginateListRecoveryPointsByBackupVault,
} from '@aws-sdk/client-backup';
import {
  DBInstance,
  DescribeCertificatesCommand,
  DescribeDBInstancesCommand,
  DescribeDBMajorEngineVersionsCommand,
  DescribeDBProxiesCommand,
  paginateDescribeDBInstanceAutomatedBackups,
  paginateDescribeDBParameters,
  paginateDescribeDBProxies,
  paginateDescribeDBProxyTargets,
  paginateDescribeDBSnapshots,
  paginateDescribePendingMaintenanceActions,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { clientConfig, configuredRegion } from '../context';
import { EXIT, UsageError } from '../errors';
import { JsonFinding, printJson, summarizeFindings } from '../json-output';
import {
  arnRegion,
  BucketFacts,
  CertificateFacts,
  DeploymentFacts,
  EngineLifecycleFacts,
  evaluate,
  Finding,
  FoldedFix,
  foldFixes,
  InstanceFacts,
  ParameterGroupFacts,
  PARAMETER_RULES,
  PendingMaintenanceFacts,
  ProxyFacts,
  RecoveryPointFacts,
  REPLICA_PARAMETER_RULES,
  ReplicaFacts,
  ReplicatedBackupFacts,
  summarize,
} from '../playbook-rules';
import type { CommandContext } from '../program';
import { instanceIdentifierProblem, parseArn } from '../rds/identifiers';
import { checkRegion, requireRegion } from '../region';
import { colorEnabled, DEFAULT_COLUMNS, paint, wrapCommandText, wrapText } from '../terminal';

/** Options of `db-playbook doctor`. */
export interface DoctorOptions {
  readonly instance: string;
  readonly buckets?: string;
  readonly proxy?: string;
  readonly drRegion?: string;
  readonly json?: boolean;
}

const HELP_AFTER = `
Checks (see cli/playbook-rules.ts): automated backups and retention >= 7 days, LatestRestorableTime
within 10 minutes, the engine's end of standard support (WARN within 180 days, FAIL past it),
pending maintenance actions (WARN when one is applied within 30 days), the CA certificate (WARN
within 90 days of its expiry, FAIL once it or the server certificate expired), Multi-AZ, deletion protection, storage encryption, IAM auth, automated backups
replicated to the DR region, newest DR-region recovery point younger than 26 h, read replicas,
the parameter group against the playbook's values (and each replica's), RDS Proxy target health,
and for each bucket: versioning, public access block, default encryption, TLS-only policy, replication.

Without --proxy, doctor looks for RDS Proxies whose targets include the instance. Without
--dr-region, it looks where the instance replicates its automated backups to.

Exit codes: 0 no FAIL (WARNs allowed), 3 at least one FAIL, 2 bad input (unknown instance,
proxy or bucket), 1 an AWS call failed.

Example:
  db-playbook doctor --instance prod-db --buckets prod-blobs --dr-region us-west-2
`;

/** Registers `db-playbook doctor`. */
export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('Audit a live deployment against the playbook: a PASS / WARN / FAIL table with the fix for each finding.')
    .requiredOption('--instance <id>', 'the primary DB instance identifier')
    .option('--buckets <names>', 'comma-separated blob bucket names to audit')
    .option('--proxy <name>', 'the RDS Proxy in front of the instance (default: every proxy that targets it)')
    .option('--dr-region <region>', 'the disaster-recovery region (default: where the instance replicates its automated backups)')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: DoctorOptions) => {
      const findings = await runDoctor(opts, ctx);
      if (findings.some((f) => f.status === 'FAIL')) ctx.setCode(EXIT.CHECK_FAILED);
    });
}

/** Gathers the facts, runs the rules, prints the report; resolves to the findings. */
export async function runDoctor(opts: DoctorOptions, ctx: CommandContext): Promise<Finding[]> {
  const { io } = ctx;
  checkInstance(opts.instance);
  const buckets = parseBuckets(opts.buckets);
  // An empty name would ask for every proxy (DescribeDBProxies without a filter) as if none were given.
  if (opts.proxy !== undefined && opts.proxy.trim() === '') {
    throw new UsageError(`--proxy '${opts.proxy}' names no RDS Proxy: give the proxy's name, or leave --proxy out to check every proxy that targets the instance`);
  }
  if (opts.drRegion !== undefined) checkRegion('--dr-region', opts.drRegion);
  const globals = ctx.globals();
  const region = requireRegion(configuredRegion(globals, io), globals.profile, io.env);
  if (opts.drRegion === region) {
    throw new UsageError(`--dr-region ${opts.drRegion} is the instance's own region: name the region that holds the offsite copies`);
  }

  const aws = new Clients(ctx);
  try {
    const facts = await gatherFacts(aws, region, opts.instance, buckets, opts.proxy, opts.drRegion);
    const now = new Date(io.now());
    const findings = evaluate(facts, now);
    if (opts.json) printJson(io, 'doctor', jsonReport(facts, findings));
    else io.stdout(renderTable(facts, findings, { columns: io.columns, color: colorEnabled(io) }));
    return findings;
  } finally {
    aws.destroy();
  }
}

/**
 * --instance as DescribeDBInstances takes it: an identifier or the instance's ARN. Checked before
 * the call: an empty DBInstanceIdentifier filters nothing, and doctor would audit the first
 * instance of the region instead.
 */
function checkInstance(instance: string): void {
  if (parseArn(instance)?.resource.startsWith('db:')) return;
  const problem = instanceIdentifierProblem(instance);
  if (problem) throw new UsageError(`--instance '${instance}' is not a DB instance identifier: it ${problem}`);
}

function parseBuckets(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--buckets needs at least one bucket name (comma-separated)');
  return [...new Set(names)];
}

/** SDK clients per region, created on first use. */
class Clients {
  private readonly rdsClients = new Map<string, RDSClient>();
  private readonly backupClients = new Map<string, BackupClient>();
  private s3Client?: S3Client;

  constructor(private readonly ctx: CommandContext) {}

  public rds(region: string): RDSClient {
    return cached(this.rdsClients, region, () => new RDSClient(this.config(region)));
  }

  public backup(region: string): BackupClient {
    return cached(this.backupClients, region, () => new BackupClient(this.config(region)));
  }

  /** One S3 client: it follows a bucket's region when S3 redirects. */
  public s3(region: string): S3Client {
    this.s3Client ??= new S3Client({ ...this.config(region), followRegionRedirects: true });
    return this.s3Client;
  }

  public destroy(): void {
    for (const c of [...this.rdsClients.values(), ...this.backupClients.values(), this.s3Client]) c?.destroy();
  }

  private config(region: string) {
    return clientConfig(this.ctx.globals(), this.ctx.io, region);
  }
}

function cached<T>(map: Map<string, T>, key: string, create: () => T): T {
  let value = map.get(key);
  if (!value) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** Rethrows an AWS error saying which call in which region failed; the error keeps its name. */
function annotate(label: string, e: unknown): never {
  if (e instanceof UsageError) throw e;
  const err = e as Error;
  const wrapped = new Error(`${label}: ${err.message}`, { cause: e });
  wrapped.name = err.name;
  throw wrapped;
}

/** Runs one AWS step, annotating its error. */
async function step<T>(label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return annotate(label, e);
  }
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string } | undefined)?.name;
}

async function collect<T, P>(pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...(pick(page) ?? []));
  return items;
}

// --- gathering ------------------------------------------------------------------------------

async function gatherFacts(
  aws: Clients, region: string, instanceId: string, buckets: string[], proxyName: string | undefined, drRegionOption: string | undefined,
): Promise<DeploymentFacts> {
  const db = await describeInstance(aws.rds(region), region, instanceId);
  const instance = instanceFacts(db, region);
  // Where the offsite copies live: --dr-region, else where the automated backups replicate to.
  const drRegion = drRegionOption ?? instance.backupReplicationArns.map(arnRegion).find((r) => r !== undefined && r !== region);

  const [lifecycle, pendingMaintenance, certificate, parameterGroup, replicas, replicatedBackups, crossRegionRecoveryPoints, proxies, bucketFacts] = await Promise.all([
    engineLifecycle(aws.rds(region), region, db),
    pendingMaintenanceOf(aws.rds(region), region, instance.arn),
    certificateOf(aws.rds(region), region, db),
    primaryParameterGroup(aws, region, db),
    Promise.all(instance.readReplicaIds.map((id) => replicaFacts(aws, region, id))),
    drRegion ? replicatedBackupsIn(aws, drRegion, db) : Promise.resolve([]),
    drRegion ? recoveryPointsIn(aws, drRegion, instance) : Promise.resolve([]),
    proxyFacts(aws, region, instance.id, proxyName),
    Promise.all(buckets.map((b) => bucketFactsOf(aws.s3(region), b))),
  ]);
  return {
    instance, lifecycle, pendingMaintenance, certificate, parameterGroup, drRegion, replicatedBackups, crossRegionRecoveryPoints, replicas, proxies, buckets: bucketFacts,
  };
}

/** `17` of `17.9`: RDS for PostgreSQL's major version (10 and later). */
export function majorVersionOf(engineVersion: string): string {
  return engineVersion.split('.')[0];
}

/** The support dates RDS publishes for the instance's engine and major version (DescribeDBMajorEngineVersions). */
async function engineLifecycle(rds: RDSClient, region: string, db: DBInstance): Promise<EngineLifecycleFacts> {
  const engine = db.Engine ?? 'postgres';
  const engineVersion = db.EngineVersion ?? '?';
  const majorVersion = majorVersionOf(engineVersion);
  const { DBMajorEngineVersions = [] } = await step(`DescribeDBMajorEngineVersions ${engine} ${majorVersion} in ${region}`,
    () => rds.send(new DescribeDBMajorEngineVersionsCommand({ Engine: engine, MajorEngineVersion: majorVersion })));
  const lifecycles = DBMajorEngineVersions.find((v) => v.Engine === engine && v.MajorEngineVersion === majorVersion)?.SupportedEngineLifecycles ?? [];
  const end = (name: string) => lifecycles.find((l) => l.LifecycleSupportName === name)?.LifecycleSupportEndDate;
  return {
    engine, engineVersion, majorVersion,
    standardSupportEnd: end('open-source-rds-standard-support'),
    extendedSupportEnd: end('open-source-rds-extended-support'),
    lifecycleSupport: db.EngineLifecycleSupport,
  };
}

/** The instance's pending maintenance actions, each with the date RDS applies it. */
async function pendingMaintenanceOf(rds: RDSClient, region: string, arn: string): Promise<PendingMaintenanceFacts[]> {
  const resources = await step(`DescribePendingMaintenanceActions ${arn} in ${region}`, () => collect(
    paginateDescribePendingMaintenanceActions({ client: rds }, { ResourceIdentifier: arn }), (p) => p.PendingMaintenanceActions));
  return resources.filter((r) => r.ResourceIdentifier === undefined || r.ResourceIdentifier === arn)
    .flatMap((r) => r.PendingMaintenanceActionDetails ?? [])
    .map((a) => {
      const dates = [a.AutoAppliedAfterDate, a.ForcedApplyDate].filter((d): d is Date => d !== undefined);
      const earliest = dates.length > 0 ? new Date(Math.min(...dates.map((d) => d.getTime()))) : undefined;
      return { action: a.Action ?? 'unknown', description: a.Description, applyDate: a.CurrentApplyDate ?? earliest, optInStatus: a.OptInStatus };
    });
}

/** The instance's CA (DescribeCertificates) and server certificate (CertificateDetails). */
async function certificateOf(rds: RDSClient, region: string, db: DBInstance): Promise<CertificateFacts> {
  const caIdentifier = db.CACertificateIdentifier ?? db.CertificateDetails?.CAIdentifier;
  let caValidTill: Date | undefined;
  if (caIdentifier) {
    try {
      const { Certificates = [] } = await rds.send(new DescribeCertificatesCommand({ CertificateIdentifier: caIdentifier }));
      const ca = Certificates.find((c) => c.CertificateIdentifier === caIdentifier);
      caValidTill = ca?.ValidTill;
    } catch (e) {
      if (errorName(e) !== 'CertificateNotFoundFault') annotate(`DescribeCertificates ${caIdentifier} in ${region}`, e);
    }
  }
  return { caIdentifier, caValidTill, serverValidTill: db.CertificateDetails?.ValidTill };
}

async function describeInstance(rds: RDSClient, region: string, id: string): Promise<DBInstance> {
  try {
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    if (DBInstances?.[0]) return DBInstances[0];
  } catch (e) {
    if (errorName(e) !== 'DBInstanceNotFoundFault') {
      annotate(`DescribeDBInstances ${id} in ${region}`, e);
    }
  }
  throw new UsageError(`no DB instance "${id}" in ${region}: check --instance (the DB instance identifier, not a cluster or stack name) and --region`);
}

function instanceFacts(db: DBInstance, region: string): InstanceFacts {
  return {
    id: db.DBInstanceIdentifier!,
    arn: db.DBInstanceArn ?? `arn:aws:rds:${region}::db:${db.DBInstanceIdentifier}`,
    region,
    status: db.DBInstanceStatus ?? 'unknown',
    backupRetentionDays: db.BackupRetentionPeriod ?? 0,
    latestRestorableTime: db.LatestRestorableTime,
    multiAz: db.MultiAZ ?? false,
    deletionProtection: db.DeletionProtection ?? false,
    storageEncrypted: db.StorageEncrypted ?? false,
    kmsKeyId: db.KmsKeyId,
    iamAuth: db.IAMDatabaseAuthenticationEnabled ?? false,
    readReplicaIds: db.ReadReplicaDBInstanceIdentifiers ?? [],
    backupReplicationArns: (db.DBInstanceAutomatedBackupsReplications ?? [])
      .map((r) => r.DBInstanceAutomatedBackupsArn)
      .filter((a): a is string => a !== undefined),
  };
}

/** The names doctor reads from a parameter group: only those are kept. */
const PRIMARY_PARAMETERS = new Set(PARAMETER_RULES.map((r) => r.name));
const REPLICA_PARAMETERS_READ = new Set(REPLICA_PARAMETER_RULES.map((r) => r.name));

async function parameterGroupFacts(
  rds: RDSClient, region: string, db: DBInstance, names: ReadonlySet<string>,
): Promise<ParameterGroupFacts | undefined> {
  const group = db.DBParameterGroups?.[0];
  if (!group?.DBParameterGroupName) return undefined;
  const name = group.DBParameterGroupName;
  const parameters = await step(`DescribeDBParameters ${name} in ${region}`, () => collect(
    paginateDescribeDBParameters({ client: rds }, { DBParameterGroupName: name }), (p) => p.Parameters));
  const values: Record<string, string> = {};
  for (const p of parameters) {
    if (p.ParameterName && p.ParameterValue !== undefined && names.has(p.ParameterName)) values[p.ParameterName] = p.ParameterValue;
  }
  return { name, applyStatus: group.ParameterApplyStatus, values };
}

function primaryParameterGroup(aws: Clients, region: string, db: DBInstance): Promise<ParameterGroupFacts | undefined> {
  return parameterGroupFacts(aws.rds(region), region, db, PRIMARY_PARAMETERS);
}

/** A replica named by id (same region) or ARN (another region). */
async function replicaFacts(aws: Clients, primaryRegion: string, idOrArn: string): Promise<ReplicaFacts> {
  const region = idOrArn.startsWith('arn:') ? arnRegion(idOrArn) ?? primaryRegion : primaryRegion;
  const id = idOrArn.startsWith('arn:') ? idOrArn.split(':').pop()! : idOrArn;
  const rds = aws.rds(region);
  let db: DBInstance | undefined;
  try {
    db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (e) {
    if (errorName(e) !== 'DBInstanceNotFoundFault') annotate(`DescribeDBInstances ${id} in ${region}`, e);
  }
  if (!db) return { id, region, status: 'not-found' };
  return { id, region, status: db.DBInstanceStatus ?? 'unknown', parameterGroup: await parameterGroupFacts(rds, region, db, REPLICA_PARAMETERS_READ) };
}

/** The instance's automated backups replicated into `drRegion`. */
async function replicatedBackupsIn(aws: Clients, drRegion: string, db: DBInstance): Promise<ReplicatedBackupFacts[]> {
  const backups = await step(`DescribeDBInstanceAutomatedBackups in ${drRegion}`, () => collect(
    paginateDescribeDBInstanceAutomatedBackups({ client: aws.rds(drRegion) }, { DbiResourceId: db.DbiResourceId }),
    (p) => p.DBInstanceAutomatedBackups));
  return backups
    .filter((b) => b.DBInstanceArn === db.DBInstanceArn || (b.DBInstanceArn === undefined && b.DbiResourceId === db.DbiResourceId))
    .map((b) => ({
      region: drRegion,
      status: b.Status ?? 'unknown',
      arn: b.DBInstanceAutomatedBackupsArn,
      retentionDays: b.BackupRetentionPeriod,
      latestTime: b.RestoreWindow?.LatestTime,
    }));
}

/**
 * Copies of the instance's data in `drRegion`: RDS snapshots (manual copies and AWS Backup's
 * `awsbackup` snapshots keep the source's DBInstanceIdentifier) and the recovery points of the
 * region's backup vaults whose resource is the instance.
 */
async function recoveryPointsIn(aws: Clients, drRegion: string, instance: InstanceFacts): Promise<RecoveryPointFacts[]> {
  const rds = aws.rds(drRegion);
  const snapshotsOf = (SnapshotType?: string) => step(`DescribeDBSnapshots ${SnapshotType ?? ''} in ${drRegion}`, () => collect(
    paginateDescribeDBSnapshots({ client: rds }, { DBInstanceIdentifier: instance.id, SnapshotType }), (p) => p.DBSnapshots));
  const backup = aws.backup(drRegion);
  const vaultPoints = async (): Promise<RecoveryPointFacts[]> => {
    const vaults = await step(`ListBackupVaults in ${drRegion}`, () => collect(paginateListBackupVaults({ client: backup }, {}), (p) => p.BackupVaultList));
    const perVault = await Promise.all(vaults.filter((v) => v.BackupVaultName).map((v) => step(
      `ListRecoveryPointsByBackupVault ${v.BackupVaultName} in ${drRegion}`,
      () => collect(paginateListRecoveryPointsByBackupVault({ client: backup }, { BackupVaultName: v.BackupVaultName!, ByResourceArn: instance.arn }),
        (p) => p.RecoveryPoints))));
    return perVault.flat()
      .filter((p) => p.CreationDate)
      .map((p) => ({ id: p.RecoveryPointArn ?? '?', region: drRegion, source: 'aws-backup' as const, createdAt: p.CreationDate!, status: p.Status ?? 'unknown' }));
  };
  const [snapshots, awsBackupSnapshots, points] = await Promise.all([snapshotsOf(), snapshotsOf('awsbackup'), vaultPoints()]);
  const seen = new Set<string>();
  const fromSnapshots: RecoveryPointFacts[] = [];
  for (const s of [...snapshots, ...awsBackupSnapshots]) {
    const createdAt = s.OriginalSnapshotCreateTime ?? s.SnapshotCreateTime;
    if (!s.DBSnapshotIdentifier || !createdAt || seen.has(s.DBSnapshotIdentifier)) continue;
    seen.add(s.DBSnapshotIdentifier);
    fromSnapshots.push({ id: s.DBSnapshotIdentifier, region: drRegion, source: 'rds-snapshot', createdAt, status: s.Status ?? 'unknown' });
  }
  return [...fromSnapshots, ...points];
}

/** The named proxy, or every PostgreSQL proxy with a target on the instance. */
async function proxyFacts(aws: Clients, region: string, instanceId: string, proxyName: string | undefined): Promise<ProxyFacts[]> {
  const rds = aws.rds(region);
  const targetsOf = async (name: string): Promise<ProxyFacts> => {
    const targets = await step(`DescribeDBProxyTargets ${name} in ${region}`, () => collect(
      paginateDescribeDBProxyTargets({ client: rds }, { DBProxyName: name }), (p) => p.Targets));
    return {
      name,
      targets: targets.map((t) => ({
        resourceId: t.RdsResourceId,
        type: t.Type,
        state: t.TargetHealth?.State,
        reason: t.TargetHealth?.Reason,
        description: t.TargetHealth?.Description,
      })),
    };
  };
  if (proxyName) {
    try {
      await rds.send(new DescribeDBProxiesCommand({ DBProxyName: proxyName }));
    } catch (e) {
      if (errorName(e) === 'DBProxyNotFoundFault') throw new UsageError(`no RDS Proxy "${proxyName}" in ${region}: check --proxy`);
      annotate(`DescribeDBProxies ${proxyName} in ${region}`, e);
    }
    return [await targetsOf(proxyName)];
  }
  const proxies = await step(`DescribeDBProxies in ${region}`, () => collect(paginateDescribeDBProxies({ client: rds }, {}), (p) => p.DBProxies));
  const described = await Promise.all(proxies
    .filter((p) => p.DBProxyName && (p.EngineFamily ?? 'POSTGRESQL') === 'POSTGRESQL')
    .map((p) => targetsOf(p.DBProxyName!)));
  return described.filter((p) => p.targets.some((t) => t.resourceId === instanceId));
}

/** S3 answers these when a setting was never configured: a fact, not a failure. */
async function orAbsent<T>(label: string, missing: string[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (missing.includes(errorName(e) ?? '')) return undefined;
    annotate(label, e);
  }
}

async function bucketFactsOf(s3: S3Client, bucket: string): Promise<BucketFacts> {
  let versioning: string | undefined;
  try {
    versioning = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } catch (e) {
    if (errorName(e) === 'NoSuchBucket') throw new UsageError(`no S3 bucket "${bucket}": check --buckets`);
    annotate(`GetBucketVersioning ${bucket}`, e);
  }
  const [pab, encryption, policy, replication] = await Promise.all([
    orAbsent(`GetPublicAccessBlock ${bucket}`, ['NoSuchPublicAccessBlockConfiguration'],
      () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))),
    orAbsent(`GetBucketEncryption ${bucket}`, ['ServerSideEncryptionConfigurationNotFoundError'],
      () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))),
    orAbsent(`GetBucketPolicy ${bucket}`, ['NoSuchBucketPolicy'],
      () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))),
    orAbsent(`GetBucketReplication ${bucket}`, ['ReplicationConfigurationNotFoundError'],
      () => s3.send(new GetBucketReplicationCommand({ Bucket: bucket }))),
  ]);
  const p = pab?.PublicAccessBlockConfiguration;
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  return {
    name: bucket,
    versioning,
    publicAccessBlock: p && {
      blockPublicAcls: p.BlockPublicAcls,
      ignorePublicAcls: p.IgnorePublicAcls,
      blockPublicPolicy: p.BlockPublicPolicy,
      restrictPublicBuckets: p.RestrictPublicBuckets,
    },
    encryption: rule && {
      algorithm: rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      kmsKeyId: rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID,
      bucketKeyEnabled: rule.BucketKeyEnabled,
    },
    policy: policy?.Policy,
    replication: replication?.ReplicationConfiguration && {
      rules: (replication.ReplicationConfiguration.Rules ?? []).map((r) => ({ id: r.ID, status: r.Status, destination: r.Destination?.Bucket })),
    },
  };
}

// --- output ---------------------------------------------------------------------------------

/** The check's title, and what it checked unless that is the audited instance (named in the heading). */
function checkLabel(f: Finding, instanceId: string): string {
  return f.resource === instanceId ? f.title : `${f.title} (${f.resource})`;
}

/** How the table is laid out. */
export interface TableOptions {
  /** The width to wrap to. */
  readonly columns: number;
  /** Colour FAIL red and WARN yellow (a terminal, NO_COLOR unset). */
  readonly color: boolean;
}

const STATUS_COLOR = { FAIL: 'red', WARN: 'yellow' } as const;

/**
 * `STATUS  CHECK  DETAIL` wrapped to `columns`, each fix once after the (last) finding it fixes
 * (a fix shared by several findings names them: foldFixes), then a summary line.
 */
export function renderTable(facts: DeploymentFacts, findings: readonly Finding[], options: TableOptions = { columns: DEFAULT_COLUMNS, color: false }): string {
  const { columns, color } = options;
  const label = (f: Finding) => checkLabel(f, facts.instance.id);
  const width = Math.max('CHECK'.length, ...findings.map((f) => label(f).length));
  const detailAt = 8 + width + 2;
  const paintStatus = (line: string, status: string) => (status === 'FAIL' || status === 'WARN') && color
    ? `${paint(status, STATUS_COLOR[status], true)}${line.slice(status.length)}` : line;
  const row = (status: string, check: string, detail: string): string => {
    const head = `${status.padEnd(6)}  ${check.padEnd(width)}  `;
    // A narrow terminal: the detail goes under the row instead of into a column a few characters wide.
    const text = columns - detailAt >= 30
      ? wrapText(detail, columns, head, ' '.repeat(detailAt))
      : `${head.trimEnd()}\n${wrapText(detail, columns, ' '.repeat(8))}`;
    return paintStatus(text.split('\n').map((l) => l.trimEnd()).join('\n'), status);
  };
  const fixesAfter = new Map<Finding, FoldedFix[]>();
  for (const folded of foldFixes(facts, findings)) {
    const last = folded.findings[folded.findings.length - 1];
    fixesAfter.set(last, [...fixesAfter.get(last) ?? [], folded]);
  }
  const fixLine = (folded: FoldedFix): string => {
    if (folded.findings.length === 1) return wrapCommandText(`fix: ${folded.fix}`, columns, ' '.repeat(8), ' '.repeat(13));
    const names = [...new Set(folded.findings.map((f) => f.title))].join(', ');
    const resources = [...new Set(folded.findings.map((f) => f.resource))].filter((r) => r !== facts.instance.id);
    return wrapCommandText(`fix for ${names}${resources.length > 0 ? ` (${resources.join(', ')})` : ''}: ${folded.fix}`, columns, ' '.repeat(8), ' '.repeat(13));
  };
  const lines = [
    wrapText(`db-playbook doctor: ${facts.instance.id} in ${facts.instance.region}${facts.drRegion ? `, DR region ${facts.drRegion}` : ''}`, columns),
    '',
    row('STATUS', 'CHECK', 'DETAIL'),
  ];
  for (const f of findings) {
    lines.push(row(f.status, label(f), f.detail));
    for (const folded of fixesAfter.get(f) ?? []) lines.push(fixLine(folded));
  }
  const counts = summarize(findings);
  lines.push('', `${findings.length} checks: ${counts.PASS} PASS, ${counts.WARN} WARN, ${counts.FAIL} FAIL${counts.FAIL > 0 ? ' (exit code 3)' : ''}`);
  return `${lines.join('\n')}\n`;
}

/** A doctor finding in the shape every --json finding has (cli/json-output.ts). */
export function jsonFinding(f: Finding): JsonFinding {
  return { rule: f.id, severity: f.status, resource: f.resource, title: f.title, message: f.detail, fix: f.fix };
}

/**
 * What `doctor --json` prints after the envelope: `instance` (string), `region` (string),
 * `drRegion` (string or null: none given or found), `summary` and `findings` (every check, PASS
 * included).
 */
function jsonReport(facts: DeploymentFacts, findings: readonly Finding[]) {
  const json = findings.map(jsonFinding);
  return {
    instance: facts.instance.id,
    region: facts.instance.region,
    drRegion: facts.drRegion ?? null,
    summary: summarizeFindings(json),
    findings: json,
  };
}
