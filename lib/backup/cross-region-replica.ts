import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TunedParameterGroup } from '../database/tuned-parameter-group';
import { DEFAULT_POSTGRES_VERSION, REPLICA_PARAMETERS } from '../private/defaults';
import { grantLogsEncryption } from '../private/logs';
import { acknowledgeAwsCdkProviders, acknowledgeCompliance, acknowledgeInlinePolicy, acknowledgeManagedPolicy } from '../private/nag';
import { AWS_REGION_PATTERN, databaseInsightsRetention, PlaybookValidationError, validateEngineLifecycleSupport, validateIntegerRange } from '../private/validation';
import { createEncryptedTopic } from '../monitoring/alarm-topic';
import { DatabaseEvents } from '../monitoring/database-events';

/**
 * Properties of a CrossRegionReplica.
 */
export interface CrossRegionReplicaProps {
  /** The ARN of the primary instance (in another region). */
  readonly sourceInstanceArn: string;

  /** The primary's region. */
  readonly sourceRegion: string;

  /** A KMS key in this (the DR) region: a cross-region replica of an encrypted primary needs one. */
  readonly encryptionKey: kms.IKey;

  /**
   * The VPC of the replica, in this region.
   *
   * @default - a new VPC with isolated subnets in two AZs and flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The instance class. After a promotion this instance is the primary: size it for that.
   *
   * @default db.m7g.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The port (1150-65535), normally the primary's.
   *
   * @default 5433
   */
  readonly port?: number;

  /**
   * The primary's PostgreSQL version (for the parameter group family).
   *
   * @default rds.PostgresEngineVersion.VER_17_9
   */
  readonly engineVersion?: rds.PostgresEngineVersion;

  /**
   * Refuse DeleteDBInstance until this is turned off.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * The mode of CloudWatch Database Insights, normally the primary's.
   *
   * @default rds.DatabaseInsightsMode.STANDARD
   */
  readonly databaseInsightsMode?: rds.DatabaseInsightsMode;

  /**
   * How long Performance Insights keeps the database load (ADVANCED mode needs MONTHS_15).
   *
   * @default - 7 days in STANDARD mode, 15 months in ADVANCED mode
   */
  readonly performanceInsightRetention?: rds.PerformanceInsightRetention;

  /**
   * What happens at the end of standard support of the major version, normally the primary's
   * choice: once promoted, this instance is the primary.
   *
   * @default rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT
   */
  readonly engineLifecycleSupport?: rds.EngineLifecycleSupport;

  /**
   * The topic, in this (the DR) region, that the replica's RDS events go to (RDS sends events
   * only to a topic of their own region). Its policy and its key's must let
   * `events.rds.amazonaws.com` publish.
   *
   * @default - a new KMS-encrypted topic (`eventTopic`): subscribe to it
   */
  readonly eventTopic?: sns.ITopic;
}

/**
 * A read replica of the primary in the DR region: the recovery option with an RPO of
 * seconds (replication lag) and an RTO of minutes (`aws rds promote-read-replica`). Kept on
 * stack deletion: once promoted it is the primary.
 */
export class CrossRegionReplica extends Construct implements ec2.IConnectable {
  /** The replica instance (L1: its source lives in another region). */
  public readonly instance: rds.CfnDBInstance;
  /** The VPC of the replica. */
  public readonly vpc: ec2.IVpc;
  /** Network connections of the replica. */
  public readonly connections: ec2.Connections;
  /** The replica's endpoint DNS name. */
  public readonly endpointAddress: string;
  /** The topic the replica's RDS events go to. */
  public readonly eventTopic: sns.ITopic;
  /** The replica's RDS event subscriptions. */
  public readonly events: DatabaseEvents;

  constructor(scope: Construct, id: string, props: CrossRegionReplicaProps) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    const port = props.port ?? 5433;
    validateIntegerRange(this, 'port', port, 1150, 65535);
    if (!Token.isUnresolved(props.sourceRegion) && !AWS_REGION_PATTERN.test(props.sourceRegion)) {
      throw new PlaybookValidationError(this, `sourceRegion must be an AWS region name such as us-east-1 (got '${props.sourceRegion}')`);
    }

    const insightsMode = props.databaseInsightsMode ?? rds.DatabaseInsightsMode.STANDARD;
    const insightsRetention = databaseInsightsRetention(this, insightsMode, props.performanceInsightRetention);
    const lifecycle = props.engineLifecycleSupport ?? rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT;
    validateEngineLifecycleSupport(this, lifecycle);

    this.vpc = props.vpc ?? this.createVpc(props.encryptionKey);
    const subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: this.vpc,
      description: `Cross-region replica ${this.node.path}`,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `PostgreSQL cross-region replica ${this.node.path}: no inbound rule until a client is allowed`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(port) });
    const parameterGroup = new TunedParameterGroup(this, 'ParameterGroup', {
      engineVersion: props.engineVersion ?? DEFAULT_POSTGRES_VERSION,
      description: 'PostgreSQL cross-region replica parameters tuned by cdk-db-playbook',
      parameters: { ...REPLICA_PARAMETERS },
    });

    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    acknowledgeManagedPolicy(monitoringRole, 'service-role/AmazonRDSEnhancedMonitoringRole', 'Cross-region replica enhanced monitoring: the policy RDS documents; it writes only the RDSOSMetrics log group.');
    this.instance = new rds.CfnDBInstance(this, 'Resource', {
      sourceDbInstanceIdentifier: props.sourceInstanceArn,
      sourceRegion: props.sourceRegion,
      dbInstanceClass: `db.${props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)}`,
      kmsKeyId: props.encryptionKey.keyArn,
      dbSubnetGroupName: subnetGroup.subnetGroupName,
      vpcSecurityGroups: [securityGroup.securityGroupId],
      dbParameterGroupName: parameterGroup.bindToInstance({}).parameterGroupName,
      port: String(port),
      publiclyAccessible: false,
      multiAz: false,
      storageType: 'gp3',
      deletionProtection: props.deletionProtection ?? true,
      enableIamDatabaseAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightsKmsKeyId: props.encryptionKey.keyArn,
      performanceInsightsRetentionPeriod: insightsRetention,
      databaseInsightsMode: insightsMode,
      engineLifecycleSupport: lifecycle,
      monitoringInterval: 60,
      monitoringRoleArn: monitoringRole.roleArn,
      enableCloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      caCertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
    // After a promotion this is the only copy left: never let a stack operation delete it.
    this.instance.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.endpointAddress = this.instance.attrEndpointAddress;

    this.eventTopic = props.eventTopic ?? createEncryptedTopic(this, {
      keyDescription: `Encrypts the RDS event topic of ${this.node.path}`,
      displayName: `RDS events of ${this.node.path}`,
      // Event messages are transient; the key outlives the stack like the replica does.
      keyRemovalPolicy: RemovalPolicy.RETAIN,
      cloudWatchAlarms: false,
    }).topic;
    this.events = new DatabaseEvents(this, 'Events', {
      topic: this.eventTopic,
      instanceIdentifiers: [this.instance.ref],
      parameterGroupNames: [parameterGroup.bindToInstance({}).parameterGroupName],
      // The DR region's snapshots: the copies AWS Backup makes there and the replicated backups' restores.
      accountWideEvents: true,
    });

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS2',
      reason: 'Cross-region replica of an encrypted primary: encrypted with the DR-region KmsKeyId; StorageEncrypted is not allowed with SourceDBInstanceIdentifier.',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: `Cross-region replica listens on port ${port} (Port is set); the rule needs Engine, which a replica inherits from its source.`,
    });
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      Validations.of(this.instance).acknowledge({
        id: `${pack}-RDSInBackupPlan`,
        reason: 'Cross-region replica: a copy of the primary, whose backups AWS Backup already copies to this region; promote it and add it to a plan.',
      });
    }
    acknowledgeCompliance(this.instance, 'RDSMultiAZSupport',
      'Cross-region replica: the standby of a region, not of an AZ; modify it to Multi-AZ when it is promoted.');
    acknowledgeCompliance(this.instance, 'RDSStorageEncrypted',
      'Encrypted with the DR-region KmsKeyId; CloudFormation does not allow StorageEncrypted next to SourceDBInstanceIdentifier.');
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS3',
      reason: 'Cross-region replica is single-AZ: it is the standby of a region, not of an AZ; modify it to Multi-AZ when promoted.',
    });
  }

  /** How far the replica is behind the primary, in seconds. */
  public metricReplicaLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensionsMap: { DBInstanceIdentifier: this.instance.ref },
      statistic: 'Maximum',
      ...props,
    });
  }

  private createVpc(logsKey: kms.IKey): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.41.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: true,
    });
    grantLogsEncryption(logsKey, this);
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN, encryptionKey: logsKey });
    const flowLog = vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL });
    const flowLogRole = flowLog.node.tryFindChild('IAMRole');
    if (flowLogRole) acknowledgeInlinePolicy(flowLogRole, 'VPC flow-log delivery role (its log group only)');
    return vpc;
  }
}
