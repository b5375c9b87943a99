/**
 * Seeds a moto server with what a production cdk-db-playbook deployment looks like from the
 * AWS APIs, so the CLI (restore, recovery-points, copy, doctor) runs against something
 * realistic:
 *
 *   const moto = await startMoto();
 *   const seeded = await seedDeployment(moto.endpoint);                     // as the playbook deploys it
 *   const broken = await seedDeployment(moto.endpoint, {                   // or with misconfigurations
 *     prefix: 'broken', database: { multiAz: false }, bucket: { versioning: false } });
 *
 * What is created (names start with `prefix`, default 'playbook'):
 * - KMS keys in the primary region (database, secret, bucket) and the DR region (copies, DR bucket);
 * - in the primary region a VPC with two isolated subnets and a security group, a DB subnet group;
 * - parameter groups `<prefix>-postgres17` (family postgres17, PLAYBOOK_PARAMETERS merged
 *   under `parameters`) and `<prefix>-postgres17-replica` (plus REPLICA_PARAMETERS);
 * - the database secret `<prefix>/postgres` (Secrets Manager, primary key): the master user's;
 * - the monitoring user's secret `<prefix>/playbook_monitor` (primary key), as DataPlatform's
 *   `playbook_monitor` user has it (its MonitoringSecretArn output): the connection JSON of the
 *   primary with that user's username and password, and `masterarn` (its alternating-users
 *   rotation logs in as the master). The role itself exists in no database here: a test that
 *   connects with the secret creates it in its PostgreSQL (`monitoringSecret` has the password);
 * - the primary `<prefix>-db`: PostgreSQL 17.9, db.m7g.large, gp3 100 GiB (autoscaling to
 *   1 TiB), Multi-AZ, encrypted with the primary key, backup retention 14 days, deletion
 *   protection, IAM auth, port 5433, log exports, copy tags to snapshots, tags;
 * - `replicas` read replicas `<prefix>-db-replica-<n>` with the replica parameter group;
 * - `manualSnapshots` manual snapshots `<prefix>-db-manual-<n>` (moto also takes one automated
 *   snapshot when an instance is created), and, unless `crossRegionSnapshotCopy` is false, a
 *   copy of the newest manual snapshot in the DR region encrypted with the DR key;
 * - an RDS Proxy `<prefix>-proxy` (TLS, IAM auth, the pool settings of POOL_DEFAULTS) whose
 *   default target group targets the primary;
 * - AWS Backup vaults in both regions and a daily plan copying to the DR vault;
 * - S3 buckets `<prefix>-blobs-<primary region>` and `<prefix>-blobs-<dr region>` (versioning,
 *   all public access blocked, SSE-KMS with bucket keys, a TLS-only bucket policy, replication
 *   from the primary bucket to the DR bucket);
 * - unless `drNetwork` is false, what a restore in the DR region needs there (the optional
 *   replica stack has it, or the team creates it ahead of an outage): a VPC with two isolated
 *   subnets, a security group, the DB subnet group `<prefix>-dr-isolated` and the parameter
 *   group `<prefix>-dr-postgres17` (the playbook's parameters).
 *
 * Options turn single settings off, so a test can seed one misconfiguration at a time. Seeding
 * twice into one server needs different prefixes (bucket names and identifiers are unique).
 *
 * Automated-backup replication to the DR region (what CrossRegionBackup sets up): moto 5.2 has
 * no StartDBInstanceAutomatedBackupsReplication, so moto itself holds no replicated backup.
 * Unless `backupReplication` is false (or backups are off), seedDeployment records the
 * replicated automated backups that call would have made (`replicatedBackup`, and
 * seededReplicatedBackups(endpoint)), and test/support/aws-gaps-proxy.ts lists them in the DR
 * region and restores from them, as RDS does. Tests that talk to moto directly see none.
 * No EC2 SDK client is installed: the few EC2 calls go to moto's EC2 query API directly.
 */
import { randomBytes } from 'crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  CreateDBProxyCommand,
  CreateDBSnapshotCommand,
  CreateDBSubnetGroupCommand,
  ModifyDBParameterGroupCommand,
  ModifyDBProxyTargetGroupCommand,
  RDSClient,
  RegisterDBProxyTargetsCommand,
} from '@aws-sdk/client-rds';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BackupClient, CreateBackupPlanCommand, CreateBackupVaultCommand } from '@aws-sdk/client-backup';
import { PLAYBOOK_PARAMETERS, POOL_DEFAULTS, REPLICA_PARAMETERS, STATIC_PARAMETERS } from '../../lib/private/defaults';
import { awsClientConfig } from './moto-server';

/** moto's account. */
export const MOTO_ACCOUNT_ID = '123456789012';

/** Settings of the primary DB instance; each defaults to what the playbook deploys. */
export interface SeedDatabaseOptions {
  /** @default 14 (0 turns automated backups off) */
  readonly backupRetentionDays?: number;
  /** @default true */
  readonly multiAz?: boolean;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Storage encryption with the primary KMS key. @default true */
  readonly storageEncrypted?: boolean;
  /** @default true */
  readonly iamAuth?: boolean;
}

/** Settings of the primary region's blob bucket; each defaults to what the playbook deploys. */
export interface SeedBucketOptions {
  /** @default true */
  readonly versioning?: boolean;
  /** All four public access block settings on. @default true */
  readonly publicAccessBlock?: boolean;
  /** Default encryption: 'SSE-KMS' (the bucket's KMS key, bucket keys on), 'SSE-S3', or 'NONE' (none configured). @default 'SSE-KMS' */
  readonly encryption?: 'SSE-KMS' | 'SSE-S3' | 'NONE';
  /** A bucket policy denying requests without TLS (aws:SecureTransport false). @default true */
  readonly tlsOnlyPolicy?: boolean;
  /** Replication of every object to the DR bucket. @default true */
  readonly replication?: boolean;
}

/** Options of seedDeployment. */
export interface SeedOptions {
  /** Start of every name and identifier (lower case letters, digits, hyphens). @default 'playbook' */
  readonly prefix?: string;
  /** @default 'us-east-1' */
  readonly primaryRegion?: string;
  /** @default 'us-west-2' */
  readonly drRegion?: string;
  readonly database?: SeedDatabaseOptions;
  /** Parameters set on the primary's parameter group over PLAYBOOK_PARAMETERS (e.g. a wrong autovacuum value). @default {} */
  readonly parameters?: Readonly<Record<string, string>>;
  /** How many in-region read replicas. @default 1 */
  readonly replicas?: number;
  /** How many manual snapshots of the primary. @default 2 */
  readonly manualSnapshots?: number;
  /** Copy the newest manual snapshot to the DR region (DR key). Needs manualSnapshots >= 1. @default true */
  readonly crossRegionSnapshotCopy?: boolean;
  /** Create the RDS Proxy targeting the primary. @default true */
  readonly proxy?: boolean;
  readonly bucket?: SeedBucketOptions;
  /** Create the DR region's network and parameter group for a restore there (see the file comment). @default true */
  readonly drNetwork?: boolean;
  /** Replicate the primary's automated backups to the DR region (the stand-in; see the file comment). @default true when backups are on */
  readonly backupReplication?: boolean;
}

/**
 * The replicated automated backups of an instance in another region, as
 * StartDBInstanceAutomatedBackupsReplication makes them and DescribeDBInstanceAutomatedBackups
 * lists them there: what test/support/aws-gaps-proxy.ts serves, since moto cannot.
 */
export interface SeededReplicatedBackup {
  /** `arn:aws:rds:<dr region>:<account>:auto-backup:ab-<26 letters and digits>` */
  readonly arn: string;
  /** Where the replicated backups are (the DR region). */
  readonly region: string;
  /** The source instance's region. */
  readonly sourceRegion: string;
  readonly sourceArn: string;
  readonly sourceId: string;
  readonly dbiResourceId: string;
  readonly engine: string;
  readonly engineVersion: string;
  /** RDS restores with the source's class unless the request names one. */
  readonly instanceClass: string;
  readonly allocatedStorage: number;
  readonly storageType: string;
  readonly port: number;
  readonly iamAuth: boolean;
  readonly masterUsername: string;
  readonly encrypted: boolean;
  /** The DR-region key the backups are replicated with (StartDBInstanceAutomatedBackupsReplication KmsKeyId). */
  readonly kmsKeyArn?: string;
  /** The replication's retention (CrossRegionBackup: 7 days). */
  readonly retentionDays: number;
  readonly instanceCreateTime: Date;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

/** The replicated backups seedDeployment recorded, per moto endpoint. */
const replications = new Map<string, SeededReplicatedBackup[]>();

/** The replicated automated backups seeded into the moto server at `endpoint` (see the file comment). */
export function seededReplicatedBackups(endpoint: string): readonly SeededReplicatedBackup[] {
  return replications.get(endpoint) ?? [];
}

/** An id of the shape RDS gives automated backups: `ab-` and 26 upper-case letters and digits. */
function automatedBackupsId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `ab-${[...randomBytes(26)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** A KMS key. */
export interface SeededKey {
  readonly keyId: string;
  readonly arn: string;
}

/** A DB instance or snapshot. */
export interface SeededResource {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
}

/** A bucket. */
export interface SeededBucket {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
}

/** What seedDeployment created. */
export interface SeededDeployment {
  readonly endpoint: string;
  readonly accountId: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly kms: { readonly primary: SeededKey; readonly dr: SeededKey };
  /** In the primary region. */
  readonly network: {
    readonly vpcId: string;
    readonly subnetIds: string[];
    readonly securityGroupId: string;
    readonly dbSubnetGroupName: string;
  };
  readonly parameterGroupName: string;
  readonly replicaParameterGroupName: string;
  /** The parameters set on parameterGroupName (PLAYBOOK_PARAMETERS merged under options.parameters). */
  readonly parameters: Readonly<Record<string, string>>;
  /** The master user's secret. */
  readonly secretArn: string;
  /** The monitoring user's secret (see the file comment), and what it holds. */
  readonly monitoringSecret: { readonly arn: string; readonly name: string; readonly username: string; readonly password: string };
  readonly primary: SeededResource & { readonly port: number; readonly masterUsername: string };
  readonly replicas: SeededResource[];
  /** Manual snapshots of the primary, oldest first. */
  readonly manualSnapshots: SeededResource[];
  /** Copies of manual snapshots in the DR region. */
  readonly crossRegionCopies: SeededResource[];
  readonly proxy?: { readonly name: string; readonly arn: string; readonly targetGroupName: string };
  readonly buckets: { readonly primary: SeededBucket; readonly dr: SeededBucket };
  readonly backup: { readonly primaryVault: string; readonly drVault: string; readonly drVaultArn: string; readonly planId: string };
  /** In the DR region, for a restore there (unless options.drNetwork is false). */
  readonly drNetwork?: {
    readonly vpcId: string;
    readonly subnetIds: string[];
    readonly securityGroupId: string;
    readonly dbSubnetGroupName: string;
    readonly parameterGroupName: string;
  };
  /** The primary's automated backups replicated to the DR region (the stand-in; see the file comment). */
  readonly replicatedBackup?: SeededReplicatedBackup;
  /** SDK client settings for this moto server in `region` (default: the primary region). */
  clientConfig(region?: string): ReturnType<typeof awsClientConfig>;
}

/** Calls moto's EC2 query API (moto reads the region from the credential scope and does not check the signature). */
async function ec2(endpoint: string, region: string, action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2016-11-15', ...params });
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'authorization': `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`EC2 ${action} in ${region} answered HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

function xmlValue(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml);
  if (!match) throw new Error(`no <${tag}> in ${xml.slice(0, 300)}`);
  return match[1];
}

const TAGS = [
  { Key: 'project', Value: 'cdk-db-playbook' },
  { Key: 'environment', Value: 'production' },
  { Key: 'aws:cloudformation:stack-name', Value: 'DataPlatform' },
];

/** Seeds `endpoint` (a moto server) with a deployment; see the file comment. */
export async function seedDeployment(endpoint: string, options: SeedOptions = {}): Promise<SeededDeployment> {
  const prefix = options.prefix ?? 'playbook';
  const primaryRegion = options.primaryRegion ?? 'us-east-1';
  const drRegion = options.drRegion ?? 'us-west-2';
  const db = options.database ?? {};
  const bucketOptions = options.bucket ?? {};
  const config = (region = primaryRegion) => awsClientConfig(endpoint, region);

  const rds = new RDSClient(config());
  const rdsDr = new RDSClient(config(drRegion));
  const s3 = new S3Client({ ...config(), forcePathStyle: true });
  const s3Dr = new S3Client({ ...config(drRegion), forcePathStyle: true });
  const clients: { destroy(): void }[] = [rds, rdsDr, s3, s3Dr];
  try {
    // --- keys -----------------------------------------------------------------------------------
    const createKey = async (region: string, description: string): Promise<SeededKey> => {
      const kms = new KMSClient(config(region));
      clients.push(kms);
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: description, Tags: [{ TagKey: 'project', TagValue: 'cdk-db-playbook' }] }));
      return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
    };
    const kms = {
      primary: await createKey(primaryRegion, `${prefix}: PostgreSQL storage, secret and blobs`),
      dr: await createKey(drRegion, `${prefix}: disaster-recovery copies`),
    };

    // --- network (EC2) --------------------------------------------------------------------------
    /** A VPC with two isolated subnets, a security group and a DB subnet group over the subnets. */
    const createNetwork = async (client: RDSClient, region: string, cidr: string, subnetGroupName: string) => {
      const vpc = xmlValue(await ec2(endpoint, region, 'CreateVpc', { CidrBlock: `${cidr}.0.0/16` }), 'vpcId');
      const subnets: string[] = [];
      for (const [i, az] of ['a', 'b'].entries()) {
        const xml = await ec2(endpoint, region, 'CreateSubnet', { VpcId: vpc, CidrBlock: `${cidr}.${i}.0/24`, AvailabilityZone: `${region}${az}` });
        subnets.push(xmlValue(xml, 'subnetId'));
      }
      const group = xmlValue(await ec2(endpoint, region, 'CreateSecurityGroup', {
        VpcId: vpc, GroupName: `${prefix}-postgres`, GroupDescription: 'PostgreSQL: no inbound rule until a client is allowed',
      }), 'groupId');
      await client.send(new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: subnetGroupName, DBSubnetGroupDescription: 'isolated subnets', SubnetIds: subnets,
      }));
      return { vpcId: vpc, subnetIds: subnets, securityGroupId: group, dbSubnetGroupName: subnetGroupName };
    };
    const { vpcId, subnetIds, securityGroupId, dbSubnetGroupName } = await createNetwork(rds, primaryRegion, '10.42', `${prefix}-isolated`);

    // --- parameter groups -----------------------------------------------------------------------
    const parameters = { ...PLAYBOOK_PARAMETERS, ...options.parameters };
    const setParameters = async (name: string, values: Record<string, string>, client = rds) => {
      const list = Object.entries(values).map(([ParameterName, ParameterValue]) => ({
        ParameterName, ParameterValue,
        ApplyMethod: STATIC_PARAMETERS.includes(ParameterName) ? 'pending-reboot' as const : 'immediate' as const,
      }));
      // ModifyDBParameterGroup takes at most 20 parameters per call.
      for (let i = 0; i < list.length; i += 20) {
        await client.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: name, Parameters: list.slice(i, i + 20) }));
      }
    };
    const parameterGroupName = `${prefix}-postgres17`;
    await rds.send(new CreateDBParameterGroupCommand({
      DBParameterGroupName: parameterGroupName, DBParameterGroupFamily: 'postgres17', Description: 'the playbook\'s parameters',
    }));
    await setParameters(parameterGroupName, parameters);
    const replicaParameterGroupName = `${prefix}-postgres17-replica`;
    await rds.send(new CreateDBParameterGroupCommand({
      DBParameterGroupName: replicaParameterGroupName, DBParameterGroupFamily: 'postgres17', Description: 'the playbook\'s replica parameters',
    }));
    await setParameters(replicaParameterGroupName, { ...PLAYBOOK_PARAMETERS, ...REPLICA_PARAMETERS });

    // --- the DR region's network and parameter group, for a restore there --------------------
    let drNetwork: SeededDeployment['drNetwork'];
    if (options.drNetwork ?? true) {
      const network = await createNetwork(rdsDr, drRegion, '10.41', `${prefix}-dr-isolated`);
      const drParameterGroupName = `${prefix}-dr-postgres17`;
      await rdsDr.send(new CreateDBParameterGroupCommand({
        DBParameterGroupName: drParameterGroupName, DBParameterGroupFamily: 'postgres17', Description: 'the playbook\'s parameters, DR region',
      }));
      await setParameters(drParameterGroupName, PLAYBOOK_PARAMETERS, rdsDr);
      drNetwork = { ...network, parameterGroupName: drParameterGroupName };
    }

    // --- secret ---------------------------------------------------------------------------------
    const masterUsername = 'postgres';
    const secrets = new SecretsManagerClient(config());
    clients.push(secrets);
    const { ARN: secretArn } = await secrets.send(new CreateSecretCommand({
      Name: `${prefix}/postgres`,
      KmsKeyId: kms.primary.arn,
      SecretString: JSON.stringify({ username: masterUsername, password: 'seeded-password-0123', engine: 'postgres', port: 5433 }),
    }));

    // --- primary, replicas, snapshots -----------------------------------------------------------
    const primaryId = `${prefix}-db`;
    const storageEncrypted = db.storageEncrypted ?? true;
    const { DBInstance: primary } = await rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: primaryId,
      Engine: 'postgres',
      EngineVersion: '17.9',
      DBInstanceClass: 'db.m7g.large',
      DBName: 'app',
      MasterUsername: masterUsername,
      MasterUserPassword: 'seeded-password-0123',
      AllocatedStorage: 100,
      MaxAllocatedStorage: 1024,
      StorageType: 'gp3',
      StorageEncrypted: storageEncrypted,
      KmsKeyId: storageEncrypted ? kms.primary.arn : undefined,
      MultiAZ: db.multiAz ?? true,
      BackupRetentionPeriod: db.backupRetentionDays ?? 14,
      PreferredBackupWindow: '03:00-03:30',
      PreferredMaintenanceWindow: 'sun:04:00-sun:04:30',
      DeletionProtection: db.deletionProtection ?? true,
      EnableIAMDatabaseAuthentication: db.iamAuth ?? true,
      Port: 5433,
      DBSubnetGroupName: dbSubnetGroupName,
      VpcSecurityGroupIds: [securityGroupId],
      DBParameterGroupName: parameterGroupName,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      Tags: TAGS,
    }));
    // The monitoring user's secret, as rds.DatabaseSecret attached to the instance writes it.
    const monitoring = { name: `${prefix}/playbook_monitor`, username: 'playbook_monitor', password: 'seeded-monitor-password-0123' };
    const { ARN: monitoringSecretArn } = await secrets.send(new CreateSecretCommand({
      Name: monitoring.name,
      KmsKeyId: kms.primary.arn,
      SecretString: JSON.stringify({
        username: monitoring.username, password: monitoring.password, engine: 'postgres',
        host: primary!.Endpoint!.Address!, port: 5433, dbname: 'app', dbInstanceIdentifier: primaryId, masterarn: secretArn,
      }),
    }));
    const replicas: SeededResource[] = [];
    for (let n = 1; n <= (options.replicas ?? 1); n++) {
      const { DBInstance: replica } = await rds.send(new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: `${primaryId}-replica-${n}`,
        SourceDBInstanceIdentifier: primaryId,
        DBInstanceClass: 'db.m7g.large',
        DBParameterGroupName: replicaParameterGroupName,
        Tags: TAGS,
      }));
      replicas.push({ id: replica!.DBInstanceIdentifier!, arn: replica!.DBInstanceArn!, region: primaryRegion });
    }
    const manualSnapshots: SeededResource[] = [];
    for (let n = 1; n <= (options.manualSnapshots ?? 2); n++) {
      const { DBSnapshot: snapshot } = await rds.send(new CreateDBSnapshotCommand({
        DBInstanceIdentifier: primaryId, DBSnapshotIdentifier: `${primaryId}-manual-${n}`,
      }));
      manualSnapshots.push({ id: snapshot!.DBSnapshotIdentifier!, arn: snapshot!.DBSnapshotArn!, region: primaryRegion });
    }
    const crossRegionCopies: SeededResource[] = [];
    const newest = manualSnapshots[manualSnapshots.length - 1];
    if ((options.crossRegionSnapshotCopy ?? true) && newest) {
      const { DBSnapshot: copy } = await rdsDr.send(new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: newest.arn,
        TargetDBSnapshotIdentifier: `${newest.id}-${drRegion}`,
        KmsKeyId: kms.dr.arn,
        CopyTags: true,
      }));
      crossRegionCopies.push({ id: copy!.DBSnapshotIdentifier!, arn: copy!.DBSnapshotArn!, region: drRegion });
    }

    // --- automated-backup replication to the DR region (recorded: moto cannot start it) --------
    let replicatedBackup: SeededReplicatedBackup | undefined;
    const retentionDays = db.backupRetentionDays ?? 14;
    if ((options.backupReplication ?? true) && retentionDays > 0) {
      replicatedBackup = {
        arn: `arn:aws:rds:${drRegion}:${MOTO_ACCOUNT_ID}:auto-backup:${automatedBackupsId()}`,
        region: drRegion,
        sourceRegion: primaryRegion,
        sourceArn: primary!.DBInstanceArn!,
        sourceId: primary!.DBInstanceIdentifier!,
        dbiResourceId: primary!.DbiResourceId!,
        engine: 'postgres',
        engineVersion: '17.9',
        instanceClass: 'db.m7g.large',
        allocatedStorage: 100,
        storageType: 'gp3',
        port: 5433,
        iamAuth: db.iamAuth ?? true,
        masterUsername,
        encrypted: storageEncrypted,
        kmsKeyArn: storageEncrypted ? kms.dr.arn : undefined,
        retentionDays: 7,
        instanceCreateTime: primary!.InstanceCreateTime ?? new Date(),
        tags: TAGS.filter((t) => !t.Key.startsWith('aws:')),
      };
      replications.set(endpoint, [...seededReplicatedBackups(endpoint), replicatedBackup]);
    }

    // --- proxy ----------------------------------------------------------------------------------
    let proxy: SeededDeployment['proxy'];
    if (options.proxy ?? true) {
      const name = `${prefix}-proxy`;
      const { DBProxy } = await rds.send(new CreateDBProxyCommand({
        DBProxyName: name,
        EngineFamily: 'POSTGRESQL',
        Auth: [{ AuthScheme: 'SECRETS', SecretArn: secretArn, IAMAuth: 'REQUIRED' }],
        RoleArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${prefix}-proxy-role`,
        VpcSubnetIds: subnetIds,
        VpcSecurityGroupIds: [securityGroupId],
        RequireTLS: true,
        IdleClientTimeout: POOL_DEFAULTS.idleClientTimeoutMinutes * 60,
        Tags: TAGS,
      }));
      await rds.send(new ModifyDBProxyTargetGroupCommand({
        DBProxyName: name,
        TargetGroupName: 'default',
        ConnectionPoolConfig: {
          MaxConnectionsPercent: POOL_DEFAULTS.maxConnectionsPercent,
          MaxIdleConnectionsPercent: POOL_DEFAULTS.maxIdleConnectionsPercent,
          ConnectionBorrowTimeout: POOL_DEFAULTS.borrowTimeoutSeconds,
        },
      }));
      await rds.send(new RegisterDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: 'default', DBInstanceIdentifiers: [primaryId] }));
      proxy = { name, arn: DBProxy!.DBProxyArn!, targetGroupName: 'default' };
    }

    // --- AWS Backup -----------------------------------------------------------------------------
    const backup = new BackupClient(config());
    const backupDr = new BackupClient(config(drRegion));
    clients.push(backup as never, backupDr );
    const primaryVault = `${prefix}-vault`;
    const drVault = `${prefix}-dr-vault`;
    await backup.send(new CreateBackupVaultCommand({ BackupVaultName: primaryVault, EncryptionKeyArn: kms.primary.arn }));
    const { BackupVaultArn: drVaultArn } = await backupDr.send(new CreateBackupVaultCommand({ BackupVaultName: drVault, EncryptionKeyArn: kms.dr.arn }));
    const { BackupPlanId: planId } = await backup.send(new CreateBackupPlanCommand({
      BackupPlan: {
        BackupPlanName: `${prefix}-plan`,
        Rules: [{
          RuleName: 'daily',
          TargetBackupVaultName: primaryVault,
          ScheduleExpression: 'cron(0 5 ? * * *)',
          Lifecycle: { DeleteAfterDays: 35 },
          CopyActions: [{ DestinationBackupVaultArn: drVaultArn, Lifecycle: { DeleteAfterDays: 35 } }],
        }],
      },
    }));

    // --- buckets --------------------------------------------------------------------------------
    const createBucket = async (client: S3Client, bucketRegion: string, key: SeededKey, settings: Required<SeedBucketOptions>, replicateTo?: SeededBucket): Promise<SeededBucket> => {
      const name = `${prefix}-blobs-${bucketRegion}`;
      await client.send(new CreateBucketCommand({
        Bucket: name,
        CreateBucketConfiguration: bucketRegion === 'us-east-1' ? undefined : { LocationConstraint: bucketRegion as never },
      }));
      if (settings.versioning) await client.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
      if (settings.publicAccessBlock) {
        await client.send(new PutPublicAccessBlockCommand({
          Bucket: name,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        }));
      }
      if (settings.encryption === 'NONE') {
        await client.send(new DeleteBucketEncryptionCommand({ Bucket: name }));
      } else {
        await client.send(new PutBucketEncryptionCommand({
          Bucket: name,
          ServerSideEncryptionConfiguration: {
            Rules: [settings.encryption === 'SSE-KMS'
              ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.arn }, BucketKeyEnabled: true }
              : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
        }));
      }
      const arn = `arn:aws:s3:::${name}`;
      if (settings.tlsOnlyPolicy) {
        await client.send(new PutBucketPolicyCommand({
          Bucket: name,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Resource: [arn, `${arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }],
          }),
        }));
      }
      if (settings.replication && replicateTo) {
        await client.send(new PutBucketReplicationCommand({
          Bucket: name,
          ReplicationConfiguration: {
            Role: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${prefix}-replication-role`,
            Rules: [{
              ID: 'to-dr',
              Status: 'Enabled',
              Priority: 1,
              Filter: { Prefix: '' },
              DeleteMarkerReplication: { Status: 'Enabled' },
              SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
              Destination: {
                Bucket: replicateTo.arn,
                EncryptionConfiguration: { ReplicaKmsKeyID: kms.dr.arn },
              },
            }],
          },
        }));
      }
      return { name, arn, region: bucketRegion };
    };
    const playbookBucket: Required<SeedBucketOptions> = { versioning: true, publicAccessBlock: true, encryption: 'SSE-KMS', tlsOnlyPolicy: true, replication: true };
    const drBucket = await createBucket(s3Dr, drRegion, kms.dr, { ...playbookBucket, replication: false });
    const primaryBucket = await createBucket(s3, primaryRegion, kms.primary, { ...playbookBucket, ...bucketOptions }, drBucket);

    return {
      endpoint,
      accountId: MOTO_ACCOUNT_ID,
      primaryRegion,
      drRegion,
      kms,
      network: { vpcId, subnetIds, securityGroupId, dbSubnetGroupName },
      parameterGroupName,
      replicaParameterGroupName,
      parameters,
      secretArn: secretArn!,
      monitoringSecret: { ...monitoring, arn: monitoringSecretArn! },
      primary: { id: primary!.DBInstanceIdentifier!, arn: primary!.DBInstanceArn!, region: primaryRegion, port: 5433, masterUsername },
      replicas,
      manualSnapshots,
      crossRegionCopies,
      proxy,
      buckets: { primary: primaryBucket, dr: drBucket },
      backup: { primaryVault, drVault, drVaultArn: drVaultArn!, planId: planId! },
      drNetwork,
      replicatedBackup,
      clientConfig: config,
    };
  } finally {
    for (const client of clients) client.destroy();
  }
}
