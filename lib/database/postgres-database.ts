import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConnectionPool, ConnectionPoolOptions } from './connection-pool';
import { ReadReplica, ReadReplicaOptions, ReadReplicas, ReadReplicasOptions } from './read-replicas';
import { DatabaseExtension, DatabaseExtensionOptions } from './roles/database-extension';
import { DatabaseSchema, DatabaseSchemaOptions } from './roles/database-schema';
import { DatabaseGroupRole, DatabaseGroupRoleOptions, DatabaseUser, DatabaseUserOptions } from './roles/database-user';
import { LogicalDatabase, LogicalDatabaseOptions } from './roles/logical-database';
import { SchemaGrant, SchemaGrantOptions } from './roles/schema-grant';
import { TunedParameterGroup } from './tuned-parameter-group';
import { databaseDefaults, DEFAULT_POSTGRES_VERSION } from '../private/defaults';
import { acknowledgeAwsCdkProviders, acknowledgeControlTower, acknowledgeDatabaseIngress, acknowledgeInlinePolicy, acknowledgeManagedPolicy } from '../private/nag';
import { databaseInsightsRetention, PlaybookValidationError, validateEngineLifecycleSupport, validateIntegerRange } from '../private/validation';
import { Profile } from '../profile';
import { createKey } from '../private/keys';
import { grantLogsEncryption } from '../private/logs';

/**
 * Options for a PostgresDatabase: everything except the VPC it lives in.
 */
export interface PostgresDatabaseOptions {
  /**
   * The profile the defaults come from.
   *
   * @default Profile.PRODUCTION
   */
  readonly profile?: Profile;

  /**
   * The subnets the instance (and its secret-rotation function) are placed in.
   *
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The PostgreSQL version.
   *
   * @default rds.PostgresEngineVersion.VER_17_9 (minor versions are then upgraded by RDS)
   */
  readonly engineVersion?: rds.PostgresEngineVersion;

  /**
   * The instance class (Graviton classes cost less for the same work).
   *
   * @default - db.m7g.large in production, db.t4g.micro in development
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Allocated gp3 storage in GiB (20 to 65536).
   *
   * @default - 100 in production, 20 in development
   */
  readonly allocatedStorage?: number;

  /**
   * The ceiling of storage autoscaling in GiB; at least allocatedStorage.
   *
   * @default - 1024 (1 TiB) in production, 100 in development
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
   */
  readonly maxAllocatedStorage?: number;

  /**
   * Run a synchronous standby in a second Availability Zone.
   *
   * @default - true in production, false in development
   */
  readonly multiAz?: boolean;

  /**
   * How long automated backups (and so point-in-time recovery) reach back: 1 to 35 days,
   * and 0 (no backups, no PITR) is allowed only in development.
   *
   * @default - 14 days in production, 1 day in development
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html
   */
  readonly backupRetention?: Duration;

  /**
   * The daily backup window in UTC, `hh24:mi-hh24:mi`, at least 30 minutes.
   *
   * @default - a window RDS chooses
   */
  readonly preferredBackupWindow?: string;

  /**
   * The weekly maintenance window in UTC, `ddd:hh24:mi-ddd:hh24:mi`.
   *
   * @default - a window RDS chooses
   */
  readonly preferredMaintenanceWindow?: string;

  /**
   * Refuse DeleteDBInstance until this is turned off.
   *
   * @default - true in production, false in development
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the instance when it leaves the stack.
   *
   * @default - RemovalPolicy.SNAPSHOT in production, RemovalPolicy.DESTROY in development
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * An existing KMS key for storage, Performance Insights (Database Insights' data) and the secret.
   *
   * @default - a new key with yearly rotation (retained on deletion in production)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Existing security groups for the instance.
   *
   * @default - a new security group with no inbound rules; use `connections` to open it
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The port the database listens on (1150 to 65535). A non-default port shrinks
   * the noise of scans for 5432.
   *
   * @default 5433
   */
  readonly port?: number;

  /**
   * The database created with the instance.
   *
   * @default 'app'
   */
  readonly databaseName?: string;

  /**
   * The master user's name; its password is generated into a Secrets Manager secret.
   *
   * @default 'dbadmin'
   */
  readonly masterUsername?: string;

  /**
   * How often the master password rotates (1 to 365 days).
   *
   * @default Duration.days(30)
   */
  readonly secretRotation?: Duration;

  /**
   * An existing parameter group, used as it is instead of a TunedParameterGroup.
   *
   * @default - a TunedParameterGroup with `parameters` merged over the playbook's values
   */
  readonly parameterGroup?: rds.IParameterGroup;

  /**
   * Parameters set over the playbook's values in the TunedParameterGroup.
   * Cannot be combined with `parameterGroup`.
   *
   * @default - the playbook's values
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Playbook parameters to leave at the RDS default. Cannot be combined with `parameterGroup`.
   *
   * @default - none
   */
  readonly removeDefaultParameters?: string[];

  /**
   * How long the exported `postgresql` and `upgrade` logs are kept in CloudWatch Logs.
   *
   * @default - three months in production, one week in development
   */
  readonly cloudwatchLogsRetention?: logs.RetentionDays;

  /**
   * The enhanced-monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;

  /**
   * How long Performance Insights keeps the database load Database Insights shows. ADVANCED mode
   * needs 15 months (rds.PerformanceInsightRetention.MONTHS_15); any other value is refused there.
   *
   * @default - rds.PerformanceInsightRetention.DEFAULT (7 days, free) in STANDARD mode;
   * rds.PerformanceInsightRetention.MONTHS_15 in ADVANCED mode
   */
  readonly performanceInsightRetention?: rds.PerformanceInsightRetention;

  /**
   * The mode of CloudWatch Database Insights (the successor of the Performance Insights console)
   * on the instance and its read replicas. ADVANCED adds execution plans, lock analysis and fleet
   * views at a price per vCPU-hour; see README "Database Insights" for the choice.
   *
   * @default rds.DatabaseInsightsMode.STANDARD
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.html
   */
  readonly databaseInsightsMode?: rds.DatabaseInsightsMode;

  /**
   * What happens when the PostgreSQL major version reaches the end of RDS standard support:
   * OPEN_SOURCE_RDS_EXTENDED_SUPPORT keeps it running, charged per vCPU-hour (RDS Extended
   * Support); OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED lets RDS upgrade the major version itself
   * at or soon after that date. Set on the instance and its read replicas. See README
   * "Engine lifecycle".
   *
   * @default - OPEN_SOURCE_RDS_EXTENDED_SUPPORT in production, OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED in development
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html
   */
  readonly engineLifecycleSupport?: rds.EngineLifecycleSupport;

  /**
   * Extensions created in the instance's database, besides `pg_stat_statements` (always: the
   * parameter group preloads it, and `inspect` and the metrics collector read its view). Each must
   * be one RDS for PostgreSQL 17 supports.
   *
   * @default - pg_stat_statements only
   */
  readonly extensions?: string[];
}

/**
 * Properties of a PostgresDatabase.
 */
export interface PostgresDatabaseProps extends PostgresDatabaseOptions {
  /**
   * The VPC the database is placed in.
   */
  readonly vpc: ec2.IVpc;
}

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

/**
 * An RDS for PostgreSQL primary run the way the playbook says: encrypted with a customer
 * key, Multi-AZ, point-in-time recovery for 14 days, deletion-protected and snapshotted on
 * removal, a rotated secret, IAM authentication, Database Insights, an explicit engine lifecycle
 * (Extended Support) choice, enhanced monitoring, exported logs and the tuned parameter group.
 */
export class PostgresDatabase extends Construct implements ec2.IConnectable {
  /** The RDS instance. */
  public readonly instance: rds.DatabaseInstance;
  /** The master user's secret (username, password, host, port, dbname). */
  public readonly secret: secretsmanager.ISecret;
  /** The key that encrypts storage, Performance Insights and the secret. */
  public readonly encryptionKey: kms.IKey;
  /** The parameter group attached to the instance. */
  public readonly parameterGroup: rds.IParameterGroup;
  /** The security groups of the instance. */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** Network connections of the instance, on its port. */
  public readonly connections: ec2.Connections;
  /** The profile the defaults came from. */
  public readonly profile: Profile;
  /** The port the database listens on. */
  public readonly port: number;
  /** The name of the database created with the instance. */
  public readonly databaseName: string;
  /** The writer endpoint's DNS name. */
  public readonly endpointAddress: string;
  /** The VPC of the instance. */
  public readonly vpc: ec2.IVpc;
  /** The subnets of the instance. */
  public readonly vpcSubnets: ec2.SubnetSelection;
  /** The instance class. */
  public readonly instanceType: ec2.InstanceType;
  /** The PostgreSQL version. */
  public readonly engineVersion: rds.PostgresEngineVersion;
  /** The allocated storage at creation, GiB (autoscaling may grow it). */
  public readonly allocatedStorage: number;
  /** The ceiling of storage autoscaling, GiB. */
  public readonly maxAllocatedStorage: number;
  /** Days of automated backups (the point-in-time recovery window). */
  public readonly backupRetentionDays: number;
  /** The master user's name. */
  public readonly masterUsername: string;
  /** The DB subnet group of the instance. */
  public readonly subnetGroup: rds.ISubnetGroup;
  /** Database Insights' mode (the read replicas take the same). */
  public readonly databaseInsightsMode: rds.DatabaseInsightsMode;
  /** How long Performance Insights keeps the database load (the read replicas keep the same). */
  public readonly performanceInsightRetention: rds.PerformanceInsightRetention;
  /** What RDS does at the end of standard support of the major version (the read replicas do the same). */
  public readonly engineLifecycleSupport: rds.EngineLifecycleSupport;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    this.profile = props.profile ?? Profile.PRODUCTION;
    const defaults = databaseDefaults(this.profile);
    const production = this.profile === Profile.PRODUCTION;

    // Validation first: nothing is created from props that cannot work.
    const backupRetention = props.backupRetention ?? Duration.days(defaults.backupRetentionDays);
    validateBackupRetention(this, backupRetention, production);
    this.port = props.port ?? 5433;
    validateIntegerRange(this, 'port', this.port, 1150, 65535);
    const allocatedStorage = props.allocatedStorage ?? defaults.allocatedStorageGiB;
    const maxAllocatedStorage = props.maxAllocatedStorage ?? Math.max(defaults.maxAllocatedStorageGiB, allocatedStorage);
    validateIntegerRange(this, 'allocatedStorage', allocatedStorage, 20, 65536, 'GiB');
    validateIntegerRange(this, 'maxAllocatedStorage', maxAllocatedStorage, 20, 65536, 'GiB');
    if (!Token.isUnresolved(allocatedStorage) && !Token.isUnresolved(maxAllocatedStorage) && allocatedStorage > maxAllocatedStorage) {
      throw new PlaybookValidationError(this,
        `allocatedStorage must not exceed maxAllocatedStorage (got allocatedStorage ${allocatedStorage} GiB > maxAllocatedStorage ${maxAllocatedStorage} GiB)`);
    }
    const rotation = props.secretRotation ?? defaults.secretRotation;
    if (!rotation.isUnresolved()) {
      validateIntegerRange(this, 'secretRotation', rotation.toDays({ integral: false }), 1, 365, 'days');
    }
    const monitoringInterval = props.monitoringInterval ?? defaults.monitoringInterval;
    if (!monitoringInterval.isUnresolved() && !MONITORING_INTERVALS.includes(monitoringInterval.toSeconds({ integral: false }))) {
      throw new PlaybookValidationError(this,
        `monitoringInterval must be one of ${MONITORING_INTERVALS.join(', ')} seconds (got ${monitoringInterval.toSeconds({ integral: false })} seconds)`);
    }
    if (props.parameterGroup && (props.parameters || props.removeDefaultParameters)) {
      throw new PlaybookValidationError(this,
        'parameterGroup cannot be combined with parameters or removeDefaultParameters: pass overrides to the TunedParameterGroup instead');
    }
    this.databaseInsightsMode = props.databaseInsightsMode ?? defaults.databaseInsightsMode;
    this.performanceInsightRetention = databaseInsightsRetention(this, this.databaseInsightsMode, props.performanceInsightRetention);
    this.engineLifecycleSupport = props.engineLifecycleSupport ?? defaults.engineLifecycleSupport;
    validateEngineLifecycleSupport(this, this.engineLifecycleSupport);
    if (props.securityGroups && props.securityGroups.length === 0) {
      throw new PlaybookValidationError(this, 'securityGroups must hold at least one security group when given (got an empty list)');
    }

    this.vpc = props.vpc;
    this.vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.databaseName = props.databaseName ?? 'app';
    this.instanceType = props.instanceType ?? defaults.instanceType;
    this.engineVersion = props.engineVersion ?? DEFAULT_POSTGRES_VERSION;
    this.maxAllocatedStorage = maxAllocatedStorage;
    this.allocatedStorage = allocatedStorage;
    this.backupRetentionDays = backupRetention.toDays();
    this.masterUsername = props.masterUsername ?? 'dbadmin';
    const engineVersion = this.engineVersion;

    this.encryptionKey = props.encryptionKey ?? createKey(this, 'Key', {
      description: `Encrypts the ${this.node.path} PostgreSQL storage, Performance Insights, secret and function logs`,
      enableKeyRotation: true,
      removalPolicy: defaults.keyRemovalPolicy,
    });
    // The log groups of the functions that work on this database (collector, restore validator,
    // an application's) are encrypted with its key.
    if (!props.encryptionKey) grantLogsEncryption(this.encryptionKey, this);

    this.parameterGroup = props.parameterGroup ?? new TunedParameterGroup(this, 'ParameterGroup', {
      engineVersion,
      parameters: props.parameters,
      removeDefaults: props.removeDefaultParameters,
    });

    this.securityGroups = props.securityGroups ?? [new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `PostgreSQL ${this.node.path}: no inbound rule until a client is allowed`,
      // RDS opens no outbound connections of its own.
      allowAllOutbound: false,
    })];

    // A secret the stack owns, not the RDS-managed master secret: that one blocks read replicas.
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: this.masterUsername,
      encryptionKey: this.encryptionKey,
    });
    // Restoring a snapshot keeps the master password: the secret must outlive the instance.
    secret.applyRemovalPolicy(production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    this.instance = new rds.DatabaseInstance(this, 'Resource', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: engineVersion }),
      instanceType: this.instanceType,
      vpc: props.vpc,
      vpcSubnets: this.vpcSubnets,
      securityGroups: this.securityGroups,
      port: this.port,
      publiclyAccessible: false,
      credentials: rds.Credentials.fromSecret(secret),
      databaseName: this.databaseName,
      parameterGroup: this.parameterGroup,
      storageType: rds.StorageType.GP3,
      allocatedStorage,
      maxAllocatedStorage,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      multiAz: props.multiAz ?? defaults.multiAz,
      backupRetention,
      preferredBackupWindow: props.preferredBackupWindow,
      preferredMaintenanceWindow: props.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      // Production keeps the automated backups (and their point-in-time recovery) of a deleted
      // instance until they expire; development deletes them with it.
      deleteAutomatedBackups: !production,
      deletionProtection: props.deletionProtection ?? defaults.deletionProtection,
      removalPolicy: props.removalPolicy ?? defaults.removalPolicy,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      iamAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      performanceInsightRetention: this.performanceInsightRetention,
      databaseInsightsMode: this.databaseInsightsMode,
      engineLifecycleSupport: this.engineLifecycleSupport,
      monitoringInterval: monitoringInterval.toSeconds() === 0 ? undefined : monitoringInterval,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: props.cloudwatchLogsRetention ?? defaults.logRetention,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    });
    this.secret = this.instance.secret!;
    this.subnetGroup = this.instance.node.findChild('SubnetGroup') as rds.SubnetGroup;
    // The literal port, not the instance's Endpoint.Port attribute: rules read plainly in the template.
    this.connections = new ec2.Connections({ securityGroups: this.securityGroups, defaultPort: ec2.Port.tcp(this.port) });
    this.endpointAddress = this.instance.dbInstanceEndpointAddress;

    const rotationFn = this.instance.addRotationSingleUser({ automaticallyAfter: rotation, vpcSubnets: props.vpcSubnets });
    const rotationSg = rotationFn.node.tryFindChild('SecurityGroup');
    if (rotationSg) acknowledgeDatabaseIngress(this.securityGroups, rotationSg, 'secret-rotation function');

    this.acknowledgeFindings(production);

    // The parameter group preloads pg_stat_statements; its view exists once the extension does.
    const extensions = ['pg_stat_statements', ...(props.extensions ?? []).filter((e) => e !== 'pg_stat_statements')];
    if (new Set(extensions).size !== extensions.length) {
      throw new PlaybookValidationError(this, `extensions must not repeat a name (got ${JSON.stringify(props.extensions)})`);
    }
    for (const name of extensions) this.addExtension(`Extension-${name}`, { extensionName: name });
  }

  /**
   * Adds a PostgreSQL user (a login role) with its own rotated secret or IAM authentication.
   */
  public addUser(id: string, options: DatabaseUserOptions): DatabaseUser {
    return new DatabaseUser(this, id, { ...options, database: this });
  }

  /**
   * Adds a group role (NOLOGIN): grant privileges to it, make users its members.
   */
  public addGroupRole(id: string, options: DatabaseGroupRoleOptions): DatabaseGroupRole {
    return new DatabaseGroupRole(this, id, { ...options, database: this });
  }

  /**
   * Adds a schema with an owner.
   */
  public addSchema(id: string, options: DatabaseSchemaOptions): DatabaseSchema {
    return new DatabaseSchema(this, id, { ...options, database: this });
  }

  /**
   * Grants read-only or read-write privileges on a schema to a role, tables added later included.
   */
  public addSchemaGrant(id: string, options: SchemaGrantOptions): SchemaGrant {
    return new SchemaGrant(this, id, { ...options, database: this });
  }

  /**
   * Adds a database with an owner, besides the one created with the instance.
   */
  public addLogicalDatabase(id: string, options: LogicalDatabaseOptions): LogicalDatabase {
    return new LogicalDatabase(this, id, { ...options, database: this });
  }

  /**
   * Adds an extension, one RDS for PostgreSQL 17 supports.
   */
  public addExtension(id: string, options: DatabaseExtensionOptions): DatabaseExtension {
    return new DatabaseExtension(this, id, { ...options, database: this });
  }

  /**
   * Adds one read replica of this database.
   */
  public addReadReplica(id: string, options: ReadReplicaOptions = {}): ReadReplica {
    return new ReadReplica(this, id, { ...options, source: this });
  }

  /**
   * Adds `count` read replicas sharing one replica parameter group.
   */
  public addReadReplicas(id: string, options: ReadReplicasOptions = {}): ReadReplicas {
    return new ReadReplicas(this, id, { ...options, source: this });
  }

  /**
   * Adds an RDS Proxy in front of this database (the writer).
   */
  public addConnectionPool(id: string, options: ConnectionPoolOptions = {}): ConnectionPool {
    return new ConnectionPool(this, id, { ...options, database: this });
  }

  /**
   * Grants `rds-db:connect` to the grantee as `dbUser` (IAM database authentication to the
   * instance). The user must be a member of rds_iam: a DatabaseUser with authentication IAM or
   * PASSWORD_AND_IAM (`DatabaseUser.grantConnect` checks that).
   *
   * @param grantee who may connect
   * @param dbUser the PostgreSQL role to connect as: name it; there is no default, so that no
   * application is given the master user by omission
   */
  public grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    if (dbUser === undefined || dbUser === '') {
      throw new PlaybookValidationError(this, 'grantConnect needs the PostgreSQL user to connect as (got none): create one with addUser({ roleName, authentication: DatabaseUserAuthentication.IAM }) and use its grantConnect');
    }
    return this.instance.grantConnect(grantee, dbUser);
  }

  /**
   * Grants reading the master secret (and decrypting it).
   */
  public grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  /**
   * Any metric of the AWS/RDS namespace for this instance.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metric(metricName, props);
  }

  /** Percent of CPU used, average over 5 minutes. */
  public metricCPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricCPUUtilization(props);
  }

  /** Open connections, average over 5 minutes. */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricDatabaseConnections(props);
  }

  /** Free storage in bytes, average over 5 minutes. */
  public metricFreeStorageSpace(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricFreeStorageSpace(props);
  }

  /** Free memory in bytes, average over 5 minutes. */
  public metricFreeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricFreeableMemory(props);
  }

  /** Read latency in seconds, p90 over 5 minutes. */
  public metricReadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ReadLatency', { statistic: 'p90', ...props });
  }

  /** Write latency in seconds, p90 over 5 minutes. */
  public metricWriteLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('WriteLatency', { statistic: 'p90', ...props });
  }

  /** The age of the oldest unfrozen transaction ID (wraparound risk), maximum over 5 minutes. */
  public metricMaximumUsedTransactionIDs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('MaximumUsedTransactionIDs', { statistic: 'Maximum', ...props });
  }

  /** Disk used by replication slots in bytes, maximum over 5 minutes. */
  public metricReplicationSlotDiskUsage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ReplicationSlotDiskUsage', { statistic: 'Maximum', ...props });
  }

  /** WAL bytes the most-lagging replication slot has not consumed, maximum over 5 minutes. */
  public metricOldestReplicationSlotLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OldestReplicationSlotLag', { statistic: 'Maximum', ...props });
  }

  /** Disk used by transaction logs (WAL) in bytes, maximum over 5 minutes. */
  public metricTransactionLogsDiskUsage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('TransactionLogsDiskUsage', { statistic: 'Maximum', ...props });
  }

  /**
   * cdk-nag findings that are design decisions, acknowledged on the construct that raises them.
   */
  private acknowledgeFindings(production: boolean): void {
    const monitoringRole = this.instance.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      acknowledgeManagedPolicy(monitoringRole, 'service-role/AmazonRDSEnhancedMonitoringRole', 'Enhanced monitoring: AmazonRDSEnhancedMonitoringRole is the policy RDS documents for it; it only writes the RDSOSMetrics log group.');
    }
    const logRetention = Stack.of(this).node.tryFindChild('LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a');
    if (logRetention) {
      acknowledgeManagedPolicy(logRetention, 'service-role/AWSLambdaBasicExecutionRole', 'aws-cdk-lib LogRetention function (sets retention on the RDS-created log groups): basic execution role writes its own logs only.');
      acknowledgeInlinePolicy(logRetention, 'aws-cdk-lib LogRetention function (sets retention on the RDS log groups)');
      Validations.of(logRetention).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'aws-cdk-lib LogRetention function: logs:PutRetentionPolicy/DeleteRetentionPolicy on log groups RDS names at deploy time, so no ARN is known at synth.',
      });
    }
    if (!production) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Development profile: a single-AZ instance by design (cheap, destroyable); production is Multi-AZ.',
      });
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Development profile: deletion protection off so the stack can be destroyed; production keeps it on.',
      });
      if (this.backupRetentionDays === 0) {
        Validations.of(this.instance).acknowledge({
          id: 'AwsSolutions-RDS13',
          reason: 'Development profile with backupRetention 0: automated backups off by choice for a throw-away database; production refuses 0.',
        });
      }
      const controlTower: Record<string, string> = {
        rds_instance_multi_az_support_check: 'Development profile: a single-AZ instance by design (cheap, destroyable); production is Multi-AZ.',
        rds_instance_deletion_protection_enabled_check: 'Development profile: deletion protection off so the stack can be destroyed; production keeps it on.',
        rds_instance_backup_enabled_check: 'Development profile: automated backups kept 1 day (or none) for a throw-away database; production keeps 14 days.',
      };
      for (const [rule, reason] of Object.entries(controlTower)) acknowledgeControlTower(this.instance, rule, reason);
    }
  }
}

function validateBackupRetention(scope: Construct, retention: Duration, production: boolean): void {
  if (retention.isUnresolved()) return;
  const days = retention.toDays({ integral: false });
  const min = production ? 1 : 0;
  if (!Number.isInteger(days) || days < min || days > 35) {
    const where = production ? ' in production (0 would turn off backups and point-in-time recovery)' : '';
    throw new PlaybookValidationError(scope, `backupRetention must be ${min}-35 days${where} (got ${days} days)`);
  }
}
