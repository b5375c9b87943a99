import { Annotations, Aws, CfnOutput, Fn, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CrossRegionBackup, CrossRegionBackupOptions } from './backup/cross-region-backup';
import { RestoreTesting, RestoreTestingOptions } from './backup/restore-testing';
import { RedisCache, RedisCacheOptions } from './cache/redis-cache';
import { ConnectionPool, ConnectionPoolOptions } from './database/connection-pool';
import { ConnectOptions, DatabaseEndpoints, DatabaseEndpointsOptions } from './database/database-endpoints';
import { PostgresDatabase, PostgresDatabaseOptions } from './database/postgres-database';
import { ReadReplicas, ReadReplicasOptions } from './database/read-replicas';
import { DatabaseSchema } from './database/roles/database-schema';
import { DatabaseGroupRole, DatabaseUser, DatabaseUserAuthentication, PasswordRotationStrategy } from './database/roles/database-user';
import { SchemaPrivilege } from './database/roles/schema-grant';
import type { DisasterRecoveryTarget } from './disaster-recovery-stack';
import { DatabaseEvents } from './monitoring/database-events';
import { AlarmOverride, PlatformAlarms } from './monitoring/platform-alarms';
import { PlatformDashboard } from './monitoring/platform-dashboard';
import { MONITORING_ROLES, PostgresMetrics, PostgresMetricsOptions } from './monitoring/postgres-metrics';
import { BlobBucket, BlobBucketOptions } from './storage/blob-bucket';
import { createAccessLogsBucket } from './private/access-logs';
import { platformLogGroup } from './private/logs';
import { acknowledgeAwsCdkProviders, acknowledgeInlinePolicy } from './private/nag';
import { PlaybookValidationError, validateIntegerRange, validateVpcCidr } from './private/validation';
import { Profile } from './profile';
import { createKey } from './private/keys';
import { AwsCall, endpointServices, postgresMetricsCalls, restoreValidatorCalls, secretRotationCalls } from '../shared/aws-calls';

/**
 * Properties of a DataPlatform.
 */
export interface DataPlatformProps {
  /**
   * The profile every part takes its defaults from (a part's own `profile` wins).
   *
   * @default Profile.PRODUCTION
   */
  readonly profile?: Profile;

  /**
   * An existing VPC. It needs isolated (or private) subnets in at least two Availability
   * Zones and, for the in-VPC functions (secret rotation), a path to the Secrets Manager,
   * CloudWatch, CloudWatch Logs and AWS Backup APIs: interface endpoints or a NAT gateway.
   *
   * @default - a new VPC with isolated subnets, interface endpoints and flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The CIDR block of the VPC this construct creates. Cannot be combined with `vpc`.
   *
   * @default '10.40.0.0/16'
   */
  readonly vpcCidr?: string;

  /**
   * How many Availability Zones the created VPC spans (2 to 6). Cannot be combined with `vpc`.
   *
   * @default - 3 in production, 2 in development
   */
  readonly maxAzs?: number;

  /**
   * Options of the PostgreSQL primary.
   *
   * @default - the profile's defaults
   */
  readonly database?: PostgresDatabaseOptions;

  /**
   * Options of the in-region read replicas (`count` 0-15).
   *
   * @default - 1 replica in production, none in development
   */
  readonly readReplicas?: ReadReplicasOptions;

  /**
   * Put an RDS Proxy (the playbook's PgBouncer) in front of the writer.
   *
   * @default - true in production, false in development (the writer name then points to the instance)
   */
  readonly enableConnectionPool?: boolean;

  /**
   * Options of the RDS Proxy.
   *
   * @default - 70 % max connections, 35 % idle, 30 s borrow timeout, 30 min idle client timeout
   */
  readonly connectionPool?: ConnectionPoolOptions;

  /**
   * Options of the writer and reader names.
   *
   * @default - a private hosted zone `db.internal`
   */
  readonly endpoints?: DatabaseEndpointsOptions;

  /**
   * The DR region's vault and key (a DisasterRecoveryStack's `target`). With it the platform
   * replicates the automated backups there (PITR in the DR region) and runs an AWS Backup plan
   * whose snapshots are copied there: the offsite copy of the 3-2-1 rule.
   *
   * @default - no cross-region backups (a warning in production)
   */
  readonly disasterRecovery?: DisasterRecoveryTarget;

  /**
   * Options of the cross-region backups.
   *
   * @default - 7 days of replicated automated backups; daily snapshots kept 35 days, monthly 1 year
   */
  readonly backup?: CrossRegionBackupOptions;

  /**
   * Restore the backups every month and validate the restored database.
   *
   * @default - true when `disasterRecovery` is set
   */
  readonly enableRestoreTesting?: boolean;

  /**
   * Options of the restore tests.
   *
   * @default - monthly, a random recovery point within 30 days, `SELECT 1`
   */
  readonly restoreTesting?: RestoreTestingOptions;

  /**
   * S3 buckets for user content, by name (lower-case letters, digits, hyphens). In production
   * each replicates to the DR stack's replica bucket of the same name.
   *
   * @default - none
   */
  readonly blobBuckets?: { [name: string]: BlobBucketOptions };

  /**
   * A Redis (or Valkey) cache, for cache, sessions or rate limits.
   *
   * @default - no cache
   */
  readonly cache?: RedisCacheOptions;

  /**
   * Alarms, the dashboard and the in-database metrics collector.
   *
   * @default - all on, a new KMS-encrypted SNS topic, no e-mail subscriptions
   */
  readonly monitoring?: MonitoringOptions;

  /**
   * The names of the roles the platform creates in the database (least privilege: no part of the
   * platform, and no application it wires, logs in as the master user).
   *
   * @default - schema `app` owned by `app_writer`; `app_reader` in group `app_readonly`; `playbook_monitor`
   */
  readonly roles?: PlatformRolesOptions;
}

/**
 * The names of the roles a DataPlatform creates (see README "Roles and users").
 */
export interface PlatformRolesOptions {
  /**
   * The schema the application's tables live in, owned by the application user.
   *
   * @default 'app'
   */
  readonly schemaName?: string;

  /**
   * The application user: owns the schema (reads, writes, creates its tables), served by the
   * proxy, password (single-user rotation) and IAM authentication.
   *
   * @default 'app_writer'
   */
  readonly applicationUserName?: string;

  /**
   * The read-only user of the reader name: member of the read-only group, served by the proxy,
   * password (single-user rotation) and IAM authentication (to the replicas).
   *
   * @default 'app_reader'
   */
  readonly readOnlyUserName?: string;

  /**
   * The read-only group: SELECT on the schema's tables, those created later included. The
   * read-only user and the restore validation user are its members.
   *
   * @default 'app_readonly'
   */
  readonly readOnlyGroupName?: string;

  /**
   * The monitoring user (pg_monitor, pg_read_all_stats): the metrics collector, and
   * `db-playbook inspect --secret-arn <MonitoringSecretArn>`.
   *
   * @default 'playbook_monitor'
   */
  readonly monitoringUserName?: string;
}

/**
 * Options of the platform's monitoring.
 */
export interface MonitoringOptions {
  /**
   * Create alarms (and the topic).
   *
   * @default true
   */
  readonly enableAlarms?: boolean;

  /**
   * An existing SNS topic for every alarm.
   *
   * @default - a new KMS-encrypted topic
   */
  readonly topic?: sns.ITopic;

  /**
   * E-mail addresses subscribed to the alarm topic.
   *
   * @default - none
   */
  readonly emails?: string[];

  /**
   * Per-alarm threshold changes or `enabled: false`, by alarm id.
   *
   * @default - none
   */
  readonly alarmOverrides?: { [alarmId: string]: AlarmOverride };

  /**
   * max_connections when the parameter group sets it.
   *
   * @default - RDS's default for the instance class
   */
  readonly maxConnections?: number;

  /**
   * Run the PostgresMetrics collector (buffer cache hit ratio, queries over 5 s, ...).
   *
   * @default true
   */
  readonly enablePostgresMetrics?: boolean;

  /**
   * Options of the collector.
   *
   * @default - every minute
   */
  readonly postgresMetrics?: PostgresMetricsOptions;

  /**
   * Create the CloudWatch dashboard.
   *
   * @default true
   */
  readonly enableDashboard?: boolean;

  /**
   * Send RDS event notifications to the alarm topic: the instances' failovers, failures, low
   * storage, maintenance, notifications, recoveries, availability and configuration changes; the
   * parameter groups' changes; the region's snapshot and DB security group events (see
   * DatabaseEvents). Needs the alarms (their topic).
   *
   * @default true
   */
  readonly enableDatabaseEvents?: boolean;

  /**
   * Subscribe to the account-wide event sources of the region too: the DB snapshots and DB
   * security groups, which RDS cannot filter by instance (with several platforms in one account
   * and region, one of them is enough).
   *
   * @default true
   */
  readonly accountWideDatabaseEvents?: boolean;
}

const DEFAULT_VPC_CIDR = '10.40.0.0/16';
/** The masks of the VPC's subnet groups, in order: Database (/24 per AZ), Functions (/22 per AZ). */
const SUBNET_MASKS = [24, 22];
const BUCKET_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** The construct id of each service's interface endpoint (ids of endpoints already deployed kept). */
const ENDPOINT_IDS: Record<string, string> = {
  backup: 'BackupEndpoint',
  rds: 'RdsEndpoint',
  secretsmanager: 'SecretsManagerEndpoint',
};

/**
 * The whole data platform with one set of defaults: a VPC (or yours) and the PostgreSQL
 * primary. Later parts (replicas, pooling, backups, cache, buckets, alarms) compose here.
 */
export class DataPlatform extends Construct {
  /** The VPC everything runs in. */
  public readonly vpc: ec2.IVpc;
  /** The PostgreSQL primary. */
  public readonly database: PostgresDatabase;
  /** The profile the defaults came from. */
  public readonly profile: Profile;
  /** The in-region read replicas. */
  public readonly readReplicas: ReadReplicas;
  /** The RDS Proxy in front of the writer, when enabled. */
  public readonly connectionPool?: ConnectionPool;
  /** The writer and reader names applications use. */
  public readonly endpoints: DatabaseEndpoints;
  /** The cross-region backups, when `disasterRecovery` is set. */
  public readonly backup?: CrossRegionBackup;
  /** The monthly restore tests, when enabled. */
  public readonly restoreTesting?: RestoreTesting;
  /** The blob buckets, by name. */
  public readonly blobBuckets: { [name: string]: BlobBucket };
  /** The cache, when configured. */
  public readonly cache?: RedisCache;
  /** The in-database metrics collector, when enabled. */
  public readonly postgresMetrics?: PostgresMetrics;
  /** The schema of the application's tables. */
  public readonly schema: DatabaseSchema;
  /** The application user (writer name, through the proxy). */
  public readonly applicationUser: DatabaseUser;
  /** The read-only user (reader name). */
  public readonly readOnlyUser: DatabaseUser;
  /** The read-only group (SELECT on the schema, tables added later included). */
  public readonly readOnlyGroup: DatabaseGroupRole;
  /** The monitoring user (the collector, `inspect`). */
  public readonly monitoringUser: DatabaseUser;
  /** The alarms, when enabled. */
  public readonly alarms?: PlatformAlarms;
  /** The dashboard, when enabled. */
  public readonly dashboard?: PlatformDashboard;
  /** The RDS event subscriptions to the alarm topic, when enabled. */
  public readonly databaseEvents?: DatabaseEvents;
  /** The VPC and its API endpoints' security group, when this construct created them. */
  private createdVpc?: { vpc: ec2.Vpc; endpointSecurityGroup: ec2.SecurityGroup };

  constructor(scope: Construct, id: string, props: DataPlatformProps = {}) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    this.profile = props.profile ?? Profile.PRODUCTION;
    const production = this.profile === Profile.PRODUCTION;
    if (props.vpc && (props.vpcCidr !== undefined || props.maxAzs !== undefined)) {
      throw new PlaybookValidationError(this,
        'vpc cannot be combined with vpcCidr or maxAzs: those shape the VPC this construct creates; pass one or the other');
    }
    validateIntegerRange(this, 'maxAzs', props.maxAzs, 2, 6);

    let databaseSubnets: ec2.SubnetSelection | undefined = props.database?.vpcSubnets;
    if (props.vpc) {
      this.vpc = props.vpc;
    } else {
      this.vpc = this.createVpc(props, production);
      databaseSubnets = databaseSubnets ?? { subnetGroupName: 'Database' };
    }

    this.database = new PostgresDatabase(this, 'Database', {
      profile: this.profile,
      ...props.database,
      vpc: this.vpc,
      vpcSubnets: databaseSubnets,
    });
    const roles = props.roles ?? {};
    const proxied = { authentication: DatabaseUserAuthentication.PASSWORD_AND_IAM, rotationStrategy: PasswordRotationStrategy.SINGLE_USER };
    this.applicationUser = this.database.addUser('ApplicationUser', { ...proxied, roleName: roles.applicationUserName ?? 'app_writer' });
    this.schema = this.database.addSchema('ApplicationSchema', { schemaName: roles.schemaName ?? 'app', owner: this.applicationUser });
    this.readOnlyGroup = this.database.addGroupRole('ReadOnlyGroup', { roleName: roles.readOnlyGroupName ?? 'app_readonly' });
    this.database.addSchemaGrant('ReadOnlyGrant', { schema: this.schema, role: this.readOnlyGroup, privilege: SchemaPrivilege.READ_ONLY });
    this.readOnlyUser = this.database.addUser('ReadOnlyUser', { ...proxied, roleName: roles.readOnlyUserName ?? 'app_reader', groups: [this.readOnlyGroup] });
    this.monitoringUser = this.database.addUser('MonitoringUser', { roleName: roles.monitoringUserName ?? 'playbook_monitor', predefinedRoles: MONITORING_ROLES });

    this.readReplicas = new ReadReplicas(this, 'Replicas', { ...props.readReplicas, source: this.database });
    if (props.connectionPool && props.enableConnectionPool === false) {
      throw new PlaybookValidationError(this, 'connectionPool options were given but enableConnectionPool is false: drop one of them');
    }
    if (props.connectionPool?.users) {
      throw new PlaybookValidationError(this, 'connectionPool.users cannot be set on a DataPlatform: its proxy serves the platform\'s application and read-only users (roles.applicationUserName, roles.readOnlyUserName)');
    }
    if (props.enableConnectionPool ?? production) {
      this.connectionPool = new ConnectionPool(this, 'Pool', { ...props.connectionPool, database: this.database, users: [this.applicationUser, this.readOnlyUser] });
    }
    this.endpoints = new DatabaseEndpoints(this, 'Endpoints', {
      ...props.endpoints,
      database: this.database,
      pool: this.connectionPool,
      replicas: this.readReplicas.replicas,
      writerUser: this.applicationUser,
      readerUser: this.readOnlyUser,
    });

    if (props.disasterRecovery) {
      this.backup = new CrossRegionBackup(this, 'Backup', {
        ...props.backup,
        database: this.database,
        drVault: props.disasterRecovery.vault,
        drKey: props.disasterRecovery.encryptionKey,
        drRegion: props.disasterRecovery.region,
      });
    } else {
      if (props.backup) {
        throw new PlaybookValidationError(this, 'backup options were given without disasterRecovery: cross-region backups need the DR vault and key');
      }
      if (production) {
        Annotations.of(this).addWarningV2('cdk-db-playbook:noOffsiteCopy',
          'No disasterRecovery target: the database has no offsite (cross-region) copy, so the 3-2-1 rule is not met.');
      }
    }
    const restoreTesting = props.enableRestoreTesting ?? this.backup !== undefined;
    if (restoreTesting) {
      if (!this.backup) {
        throw new PlaybookValidationError(this, 'enableRestoreTesting is true but there is no AWS Backup plan to restore from: set disasterRecovery');
      }
      this.restoreTesting = new RestoreTesting(this, 'RestoreTesting', {
        ...props.restoreTesting,
        database: this.database,
        backupVaults: [this.backup.vault],
        validationGroups: [this.readOnlyGroup],
      });
    } else if (props.restoreTesting) {
      throw new PlaybookValidationError(this, 'restoreTesting options were given but enableRestoreTesting is false: drop one of them');
    }

    this.blobBuckets = {};
    const bucketNames = Object.keys(props.blobBuckets ?? {});
    for (const name of bucketNames) {
      if (!BUCKET_NAME.test(name)) {
        throw new PlaybookValidationError(this, `blobBuckets names must be lower-case letters, digits and hyphens, starting with a letter, at most 32 (got '${name}')`);
      }
    }
    if (bucketNames.length > 0) {
      const accessLogs = createAccessLogsBucket(this, 'BlobAccessLogs', production);
      for (const name of bucketNames) {
        const replicaName = props.disasterRecovery?.blobReplicaBucketNames?.[name];
        const replica = replicaName ? s3.Bucket.fromBucketName(this, `BlobReplica-${name}`, replicaName) : undefined;
        if (production && props.disasterRecovery && !replica) {
          throw new PlaybookValidationError(this,
            `blobBuckets '${name}' has no replica bucket in the DR target: add '${name}' to the DisasterRecoveryStack's blobBucketNames`);
        }
        this.blobBuckets[name] = new BlobBucket(this, `Blob-${name}`, {
          ...props.blobBuckets![name],
          profile: this.profile,
          accessLogsBucket: accessLogs,
          replicationDestination: production ? replica : undefined,
          replicationKey: production && replica ? props.disasterRecovery!.encryptionKey : undefined,
        });
      }
    }
    if (props.cache) {
      this.cache = new RedisCache(this, 'Cache', {
        ...props.cache,
        profile: this.profile,
        vpc: this.vpc,
        vpcSubnets: props.cache.vpcSubnets ?? databaseSubnets,
      });
    }

    const monitoring = props.monitoring ?? {};
    if (monitoring.enablePostgresMetrics ?? true) {
      this.postgresMetrics = new PostgresMetrics(this, 'PostgresMetrics', { ...monitoring.postgresMetrics, database: this.database, user: this.monitoringUser });
    }
    if (monitoring.enableAlarms ?? true) {
      this.alarms = new PlatformAlarms(this, 'Alarms', {
        database: this.database,
        replicas: this.readReplicas.replicas,
        pool: this.connectionPool,
        cache: this.cache,
        backup: this.backup,
        restoreTesting: this.restoreTesting,
        postgresMetrics: this.postgresMetrics,
        topic: monitoring.topic,
        emails: monitoring.emails,
        overrides: monitoring.alarmOverrides,
        maxConnections: monitoring.maxConnections,
      });
    }
    if (monitoring.enableDatabaseEvents === true && !this.alarms) {
      throw new PlaybookValidationError(this, 'monitoring.enableDatabaseEvents is true but monitoring.enableAlarms is false: the events go to the alarm topic');
    }
    if (this.alarms && (monitoring.enableDatabaseEvents ?? true)) {
      const parameterGroups = [this.database.parameterGroup, this.readReplicas.parameterGroup].filter((g): g is rds.IParameterGroup => g !== undefined);
      this.databaseEvents = new DatabaseEvents(this, 'DatabaseEvents', {
        topic: this.alarms.topic,
        instanceIdentifiers: [this.database.instance, ...this.readReplicas.replicas.map((r) => r.instance)].map((i) => i.instanceIdentifier),
        parameterGroupNames: [...new Set(parameterGroups.map((g) => g.bindToInstance({}).parameterGroupName))],
        accountWideEvents: monitoring.accountWideDatabaseEvents,
      });
    } else if (monitoring.accountWideDatabaseEvents !== undefined) {
      throw new PlaybookValidationError(this, 'monitoring.accountWideDatabaseEvents was given but there are no database events (monitoring.enableDatabaseEvents or enableAlarms is false)');
    }
    this.addApiEndpoints();
    if (monitoring.enableDashboard ?? true) {
      this.dashboard = new PlatformDashboard(this, 'Dashboard', {
        database: this.database,
        replicas: this.readReplicas.replicas,
        pool: this.connectionPool,
        cache: this.cache,
        postgresMetrics: this.postgresMetrics,
        alarms: this.alarms,
      });
    }
  }

  /**
   * Wires a Lambda function to the database in one call: security groups, `rds-db:connect`
   * through the proxy, read access to the secret, and the `DB_PRIMARY_URL` / `DB_REPLICA_URL`
   * settings (never a password). See DatabaseEndpoints.environment().
   */
  public connectFunction(fn: lambda.Function, options: ConnectOptions = {}): void {
    this.endpoints.connectFunction(fn, options);
    // Buckets: read/write, names as BLOB_BUCKET_<NAME>; the cache: REDIS_URL and the token's secret.
    for (const [name, blob] of Object.entries(this.blobBuckets)) {
      blob.grantReadWrite(fn);
      fn.addEnvironment(`BLOB_BUCKET_${name.toUpperCase().replace(/-/g, '_')}`, blob.bucket.bucketName);
    }
    this.cache?.connectFunction(fn);
  }

  /**
   * Lets any client (a container service, an instance) reach and authenticate to the writer
   * and readers; read the settings from `endpoints.environment()` or the SSM parameters.
   */
  public grantAccess(client: ec2.IConnectable, grantee: iam.IGrantable, options: ConnectOptions = {}): void {
    this.endpoints.grantAccess(client, grantee, options);
  }

  /**
   * The interface endpoints, in the VPC this construct created, of the AWS APIs its in-VPC
   * functions call, by their tables (shared/aws-calls.ts): the secret-rotation function, and the
   * metrics collector and restore validator when they are deployed. (An endpoint costs per AZ and
   * hour: only what a function here calls.) Nothing when the VPC is the app's own: README lists
   * what it needs.
   */
  private addApiEndpoints(): void {
    if (!this.createdVpc) return;
    const region = Stack.of(this).region;
    const calls = [
      ...secretRotationCalls(region),
      ...(this.postgresMetrics ? postgresMetricsCalls(region) : []),
      ...(this.restoreTesting ? restoreValidatorCalls(region) : []),
    ];
    for (const service of endpointServices(calls)) {
      const id = ENDPOINT_IDS[service];
      if (!id) throw new Error(`no endpoint id for the service '${service}': add it to ENDPOINT_IDS`);
      const endpoint = this.createdVpc.vpc.addInterfaceEndpoint(id, {
        service: new ec2.InterfaceVpcEndpointAwsService(service),
        subnets: { subnetGroupName: 'Functions' },
        privateDnsEnabled: true,
        securityGroups: [this.createdVpc.endpointSecurityGroup],
        open: false,
      });
      this.restrictEndpoint(endpoint, service, calls.filter((c) => c.endpoint === service));
    }
  }

  /**
   * The endpoint policy of `service`'s endpoint: this account's principals, to this account's
   * resources (`aws:PrincipalAccount`, `aws:ResourceAccount`), so that neither another account's
   * credentials nor this account's carry data out of the isolated subnets to another account
   * through it. The wildcard-only calls of the tables routed here (`calls`: they act on no
   * resource, so they may have no resource account) are allowed to this account's principals.
   */
  private restrictEndpoint(endpoint: ec2.VpcEndpoint, service: string, calls: AwsCall[]): void {
    const account = Stack.of(this).account;
    endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'ThisAccountOnly',
      principals: [new iam.StarPrincipal()],
      actions: [`${service}:*`],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': account, 'aws:ResourceAccount': account } },
    }));
    const wildcardOnly = [...new Set(calls.filter((c) => c.resource === '*').map((c) => c.action))].sort();
    if (wildcardOnly.length === 0) return;
    endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'ThisAccountCallsWithoutResource',
      principals: [new iam.StarPrincipal()],
      actions: wildcardOnly,
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
    }));
  }

  private createVpc(props: DataPlatformProps, production: boolean): ec2.Vpc {
    const maxAzs = props.maxAzs ?? (production ? 3 : 2);
    const cidr = props.vpcCidr ?? DEFAULT_VPC_CIDR;
    const stack = Stack.of(this);
    const agnostic = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region);
    // An environment-agnostic stack gets 2 zones whatever maxAzs says (Fn::GetAZs).
    validateVpcCidr(this, cidr, agnostic ? Math.min(maxAzs, 2) : maxAzs, SUBNET_MASKS);
    if (maxAzs > 2 && agnostic) {
      Annotations.of(this).addWarningV2('cdk-db-playbook:twoAzsOnly',
        `maxAzs is ${maxAzs}, but the stack is environment-agnostic: CDK spreads it over 2 Availability Zones (Fn::GetAZs). `
        + 'Give the stack an account and region (the shipped app: -c account=... -c region=...) to use more.');
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs,
      natGateways: 0,
      // Nothing here is reachable from, or reaches, the internet: AWS APIs go through endpoints.
      subnetConfiguration: [
        { name: 'Database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_MASKS[0] },
        { name: 'Functions', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_MASKS[1] },
      ],
      // Nothing uses the default security group: strip its rules (an aws-cdk-lib custom resource).
      restrictDefaultSecurityGroup: true,
    });
    const flowLogsKey = createKey(this, 'FlowLogsKey', {
      description: `Encrypts the VPC flow logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const flowLogGroup = platformLogGroup(this, 'FlowLogs', { production, encryptionKey: flowLogsKey });
    const flowLog = vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const flowLogRole = flowLog.node.tryFindChild('IAMRole');
    if (flowLogRole) acknowledgeInlinePolicy(flowLogRole, 'VPC flow-log delivery role (its log group only)');
    // In-VPC functions reach AWS APIs through interface endpoints, with private DNS so the SDK's
    // default endpoints resolve here; S3's gateway endpoint is free.
    const s3Endpoint = vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.restrictEndpoint(s3Endpoint, 's3', []);
    // The roles provider answers CloudFormation with a PUT to the request's presigned URL, in
    // CloudFormation's bucket of the region (AWS's account, `useast1` for us-east-1), signed by
    // CloudFormation: S3 authorizes it by that signature, not by this account's principals.
    // @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-vpce-bucketnames.html
    const regionWithoutDashes = Token.isUnresolved(stack.region) ? Fn.join('', Fn.split('-', stack.region)) : stack.region.replace(/-/g, '');
    s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'CloudFormationCustomResourceResponses',
      principals: [new iam.StarPrincipal()],
      actions: ['s3:PutObject'],
      resources: [`arn:${Aws.PARTITION}:s3:::cloudformation-custom-resource-response-${regionWithoutDashes}/*`],
    }));
    // One security group for every endpoint, HTTPS from the VPC's own (literal) CIDR block.
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'AWS API interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    this.createdVpc = { vpc, endpointSecurityGroup };
    return vpc;
  }
}

/**
 * Properties of a DataPlatformStack.
 */
export interface DataPlatformStackProps extends StackProps, DataPlatformProps {}

/**
 * A stack holding one DataPlatform, with the connection details as outputs.
 */
export class DataPlatformStack extends Stack {
  /** The platform in this stack. */
  public readonly platform: DataPlatform;

  constructor(scope: Construct, id: string, props: DataPlatformStackProps = {}) {
    super(scope, id, props);
    this.platform = new DataPlatform(this, 'Data', props);
    const db = this.platform.database;
    new CfnOutput(this, 'DatabaseEndpoint', { value: db.endpointAddress, description: 'PostgreSQL writer endpoint (instance DNS name)' });
    new CfnOutput(this, 'DatabasePort', { value: String(db.port), description: 'PostgreSQL port' });
    new CfnOutput(this, 'DatabaseName', { value: db.databaseName, description: 'Database created with the instance' });
    new CfnOutput(this, 'DatabaseSecretArn', { value: db.secret.secretArn, description: 'Secrets Manager secret with the master credentials (administrators only: applications use ApplicationSecretArn)' });
    new CfnOutput(this, 'ApplicationSecretArn', { value: this.platform.applicationUser.secret!.secretArn, description: 'Secret of the application user (writer name, through the proxy)' });
    new CfnOutput(this, 'ReadOnlySecretArn', { value: this.platform.readOnlyUser.secret!.secretArn, description: 'Secret of the read-only user (reader name)' });
    new CfnOutput(this, 'MonitoringSecretArn', { value: this.platform.monitoringUser.secret!.secretArn, description: 'Secret of the monitoring user: db-playbook inspect --secret-arn' });
    const endpoints = this.platform.endpoints;
    new CfnOutput(this, 'WriterHost', { value: endpoints.writerHost, description: 'Name for writes (RDS Proxy on the primary), in the private zone' });
    new CfnOutput(this, 'WriterPort', { value: String(endpoints.writerPort), description: 'Port of the writer name' });
    new CfnOutput(this, 'ReaderHost', { value: endpoints.readerHost, description: 'Name for reads (spread over the read replicas)' });
    new CfnOutput(this, 'ReaderPort', { value: String(endpoints.readerPort), description: 'Port of the reader name' });
  }
}
