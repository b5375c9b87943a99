import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { PostgresDatabase } from './postgres-database';
import { TunedParameterGroup } from './tuned-parameter-group';
import { databaseDefaults, REPLICA_PARAMETERS } from '../private/defaults';
import { acknowledgeCompliance, acknowledgeManagedPolicy } from '../private/nag';
import { PlaybookValidationError, validateIntegerRange } from '../private/validation';
import { Profile } from '../profile';

/**
 * Options of one read replica.
 */
export interface ReadReplicaOptions {
  /**
   * The instance class.
   *
   * @default - the primary's class
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Refuse DeleteDBInstance until this is turned off.
   *
   * @default - true in production, false in development
   */
  readonly deletionProtection?: boolean;

  /**
   * Run the replica Multi-AZ. Usually not needed: the reader name spreads reads over
   * several replicas, and a failed replica is replaced from the primary.
   *
   * @default false
   */
  readonly multiAz?: boolean;

  /**
   * The parameter group of the replica.
   *
   * @default - a TunedParameterGroup with the replica settings (hot_standby_feedback off,
   * max_standby_streaming_delay 30 s)
   */
  readonly parameterGroup?: rds.IParameterGroup;

  /**
   * The enhanced-monitoring interval.
   *
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;

  /**
   * How long the exported `postgresql` log of the replica is kept.
   *
   * @default - the primary's profile default (three months / one week)
   */
  readonly cloudwatchLogsRetention?: logs.RetentionDays;
}

/**
 * Properties of one read replica.
 */
export interface ReadReplicaProps extends ReadReplicaOptions {
  /** The primary this replica streams from. */
  readonly source: PostgresDatabase;
}

/**
 * One RDS for PostgreSQL read replica of a PostgresDatabase: encrypted with the primary's key,
 * in the primary's subnets, on its port, monitored like it (Database Insights in the primary's
 * mode and retention) and with the primary's engine lifecycle (Extended Support) choice.
 */
export class ReadReplica extends Construct implements ec2.IConnectable {
  /** The replica instance. */
  public readonly instance: rds.DatabaseInstanceReadReplica;
  /** The replica's endpoint DNS name. */
  public readonly endpointAddress: string;
  /** Network connections of the replica (its own security group, on the primary's port). */
  public readonly connections: ec2.Connections;
  /**
   * The replica's own security group: a client let in to read is not let in to the primary
   * (which it would reach without the proxy and its IAM authentication).
   */
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ReadReplicaProps) {
    super(scope, id);
    const source = props.source;
    const production = source.profile === Profile.PRODUCTION;
    const defaults = databaseDefaults(source.profile);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: source.vpc,
      description: `PostgreSQL read replica ${this.node.path}: readers in on ${source.port}, nothing out`,
      // RDS opens no outbound connections of its own (replication runs outside security groups).
      allowAllOutbound: false,
    });
    this.instance = new rds.DatabaseInstanceReadReplica(this, 'Resource', {
      sourceDatabaseInstance: source.instance,
      instanceType: props.instanceType ?? source.instanceType,
      vpc: source.vpc,
      vpcSubnets: source.vpcSubnets,
      // Its own group, not the primary's: opening the replicas to a reader must not open the primary.
      securityGroups: [this.securityGroup],
      port: source.port,
      publiclyAccessible: false,
      storageEncrypted: true,
      storageEncryptionKey: source.encryptionKey,
      storageType: rds.StorageType.GP3,
      maxAllocatedStorage: source.maxAllocatedStorage,
      multiAz: props.multiAz ?? false,
      parameterGroup: props.parameterGroup,
      deletionProtection: props.deletionProtection ?? production,
      // A replica holds a copy of the primary only; RDS cannot take a final snapshot of it.
      removalPolicy: RemovalPolicy.DESTROY,
      autoMinorVersionUpgrade: true,
      iamAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: source.encryptionKey,
      // Database Insights and the engine lifecycle as on the primary: a replica promoted in an
      // incident is monitored, and billed or upgraded at the end of standard support, like it.
      databaseInsightsMode: source.databaseInsightsMode,
      performanceInsightRetention: source.performanceInsightRetention,
      engineLifecycleSupport: source.engineLifecycleSupport,
      monitoringInterval: props.monitoringInterval ?? defaults.monitoringInterval,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: props.cloudwatchLogsRetention ?? defaults.logRetention,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      copyTagsToSnapshot: true,
    });
    const cfn = this.instance.node.defaultChild as rds.CfnDBInstance;
    // The L2 leaves Port out for replicas (RDS then inherits it): state it, so the template says 5433.
    cfn.port = String(source.port);
    // CloudFormation rejects StorageEncrypted next to SourceDBInstanceIdentifier (cfn-lint F3020):
    // a replica of an encrypted primary is encrypted, here with the KmsKeyId given, the primary's key.
    cfn.addPropertyDeletionOverride('StorageEncrypted');
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: `Read replica listens on the primary's non-default port ${source.port} (Port is set); the rule needs Engine, which a replica inherits from its source.`,
    });
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      Validations.of(this.instance).acknowledge({
        id: `${pack}-RDSInBackupPlan`,
        reason: 'Read replica: a copy of the primary, which is in the AWS Backup plan; backing up the copy would double the cost for no new data.',
      });
    }
    this.endpointAddress = this.instance.dbInstanceEndpointAddress;
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(source.port) });

    const monitoringRole = this.instance.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      acknowledgeManagedPolicy(monitoringRole, 'service-role/AmazonRDSEnhancedMonitoringRole', 'Replica enhanced monitoring: AmazonRDSEnhancedMonitoringRole is the policy RDS documents; it writes only the RDSOSMetrics log group.');
    }
    if (!(props.multiAz ?? false)) {
      acknowledgeCompliance(this.instance, 'RDSMultiAZSupport',
        'Read replica: single-AZ by default; the reader name spreads reads over replicas and a failed one is recreated from the Multi-AZ primary.');
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Read replica: single-AZ by default; the reader name spreads reads over replicas and a failed one is recreated from the primary.',
      });
    }
    if (!(props.deletionProtection ?? production)) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Read replica without deletion protection (development profile or explicit choice): it holds no data the primary lacks.',
      });
    }
  }

  /**
   * Grants `rds-db:connect` on this replica as `dbUser`.
   */
  public grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    return this.instance.grantConnect(grantee, dbUser);
  }

  /** Any AWS/RDS metric of this replica. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metric(metricName, props);
  }

  /** How far the replica is behind the primary, in seconds (maximum over 1 minute). */
  public metricReplicaLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ReplicaLag', { statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /** Percent of CPU used, average over 5 minutes. */
  public metricCPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricCPUUtilization(props);
  }

  /** Open connections, average over 5 minutes. */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instance.metricDatabaseConnections(props);
  }
}

/**
 * Options of a group of read replicas.
 */
export interface ReadReplicasOptions extends ReadReplicaOptions {
  /**
   * How many in-region replicas: 0 to 15.
   *
   * @default - 1 in production, 0 in development
   */
  readonly count?: number;

  /**
   * Parameters set over the replica parameter group's values (the playbook's plus
   * hot_standby_feedback 0, max_standby_streaming_delay / max_standby_archive_delay 30000 ms).
   * Cannot be combined with `parameterGroup`.
   *
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
}

/**
 * Properties of a group of read replicas.
 */
export interface ReadReplicasProps extends ReadReplicasOptions {
  /** The primary the replicas stream from. */
  readonly source: PostgresDatabase;
}

/** The most read replicas RDS for PostgreSQL allows per source instance. */
const MAX_REPLICAS = 15;

/**
 * N read replicas of a PostgresDatabase sharing one replica parameter group. Replicas are
 * named `Replica1`..`ReplicaN`: lowering `count` removes the highest-numbered ones.
 */
export class ReadReplicas extends Construct {
  /** The replicas, in order. */
  public readonly replicas: ReadReplica[];
  /** The parameter group of the replicas (undefined when there are none). */
  public readonly parameterGroup?: rds.IParameterGroup;

  constructor(scope: Construct, id: string, props: ReadReplicasProps) {
    super(scope, id);
    const production = props.source.profile === Profile.PRODUCTION;
    const count = props.count ?? (production ? 1 : 0);
    validateIntegerRange(this, 'count', count, 0, MAX_REPLICAS);
    if (props.parameterGroup && props.parameters) {
      throw new PlaybookValidationError(this, 'parameterGroup cannot be combined with parameters: pass overrides to the TunedParameterGroup instead');
    }
    if (count > 0 && !Token.isUnresolved(props.source.backupRetentionDays) && props.source.backupRetentionDays === 0) {
      throw new PlaybookValidationError(this,
        `count is ${count} but the primary has backupRetention 0 days: RDS creates read replicas only from a source with automated backups (1-35 days)`);
    }

    if (count > 0) {
      this.parameterGroup = props.parameterGroup ?? new TunedParameterGroup(this, 'ParameterGroup', {
        engineVersion: props.source.engineVersion,
        description: 'PostgreSQL read replica parameters tuned by cdk-db-playbook',
        parameters: { ...REPLICA_PARAMETERS, ...props.parameters },
      });
    }
    this.replicas = [];
    for (let i = 1; i <= count; i++) {
      this.replicas.push(new ReadReplica(this, `Replica${i}`, { ...props, parameterGroup: this.parameterGroup }));
    }
  }
}
