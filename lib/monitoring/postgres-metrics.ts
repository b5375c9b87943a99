import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PostgresDatabase } from '../database/postgres-database';
import { DatabaseUser } from '../database/roles/database-user';
import { PlaybookValidationError } from '../private/validation';
import { handlerAssetDir } from '../private/assets';
import { platformLogGroup } from '../private/logs';
import { Profile } from '../profile';
import { acknowledgeCompliance, acknowledgeInlinePolicy, acknowledgeVpcFunctionRole } from '../private/nag';
import { validateIntegerRange } from '../private/validation';

/**
 * Options of PostgresMetrics.
 */
export interface PostgresMetricsOptions {
  /**
   * How often the collector runs (1-60 minutes).
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * Subnets of the collector (they need a path to Secrets Manager and CloudWatch Logs).
   *
   * @default - the database's subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * Properties of PostgresMetrics.
 */
export interface PostgresMetricsProps extends PostgresMetricsOptions {
  /** The database to read. */
  readonly database: PostgresDatabase;

  /**
   * The user the collector logs in as: a monitoring user with a password secret, member of
   * pg_monitor and pg_read_all_stats (it reads other users' statements in pg_stat_statements and
   * no table data).
   *
   * @default - a new user `playbook_monitor` (pg_monitor, pg_read_all_stats; alternating-users rotation)
   */
  readonly user?: DatabaseUser;
}

/** The predefined roles of the monitoring user: the statistics views, every user's statements, no table data. */
export const MONITORING_ROLES = ['pg_monitor', 'pg_read_all_stats'];

/**
 * Publishes what CloudWatch does not have, from inside PostgreSQL, every minute: the buffer
 * cache hit ratio (the playbook's query), queries running longer than 5 s, idle-in-transaction
 * sessions, connections by state and as a share of max_connections, the oldest transaction-id
 * age, the dead-tuple ratio of the worst tables and replication-slot lag — as CloudWatch
 * embedded-metric-format logs of a small function in the VPC.
 */
export class PostgresMetrics extends Construct {
  /** The namespace of the metrics. */
  public static readonly NAMESPACE = 'CdkDbPlaybook/PostgreSQL';

  /** The collector function. */
  public readonly collector: lambda.Function;
  /** The user the collector logs in as. */
  public readonly user: DatabaseUser;
  private readonly instanceId: string;

  constructor(scope: Construct, id: string, props: PostgresMetricsProps) {
    super(scope, id);
    const db = props.database;
    const interval = props.interval ?? Duration.minutes(1);
    if (!interval.isUnresolved()) validateIntegerRange(this, 'interval', interval.toMinutes({ integral: false }), 1, 60, 'minutes');
    this.instanceId = db.instance.instanceIdentifier;
    this.user = props.user ?? new DatabaseUser(this, 'User', { database: db, roleName: 'playbook_monitor', predefinedRoles: MONITORING_ROLES });
    if (!this.user.secret) throw new PlaybookValidationError(this, `user: ${this.user.roleName} has no secret (IAM only): the collector logs in with a password secret`);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: db.vpc,
      description: `PostgreSQL metrics collector of ${db.node.path}: to the database and HTTPS only`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.ipv4(db.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'AWS APIs through the VPC endpoints');
    db.connections.allowDefaultPortFrom(securityGroup, 'PostgreSQL metrics collector');

    this.collector = new lambda.Function(this, 'Collector', {
      description: `Publishes PostgreSQL internals of ${db.node.path} as CloudWatch metrics`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAssetDir('postgres-metrics')),
      timeout: Duration.seconds(30),
      memorySize: 256,
      vpc: db.vpc,
      vpcSubnets: props.vpcSubnets ?? db.vpcSubnets,
      securityGroups: [securityGroup],
      logGroup: platformLogGroup(this, 'Logs', { production: db.profile === Profile.PRODUCTION, encryptionKey: db.encryptionKey }),
      // One run a minute: never two at once.
      reservedConcurrentExecutions: 1,
      environment: {
        SECRET_ARN: this.user.secret.secretArn,
        DB_NAME: db.databaseName,
        DB_INSTANCE_ID: this.instanceId,
        METRIC_NAMESPACE: PostgresMetrics.NAMESPACE,
        // The Lambda runtime's RDS CA bundle, pinned as the only roots (not NODE_EXTRA_CA_CERTS, which adds to Node's).
        DB_CA_FILE: '/var/runtime/ca-cert.pem',
      },
    });
    this.user.secret.grantRead(this.collector);
    const schedule = new events.Rule(this, 'Schedule', {
      description: 'Collect PostgreSQL internals',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(this.collector, { retryAttempts: 0 })],
    });
    // Runs once the user exists.
    schedule.node.addDependency(this.user.resource);

    const role = this.collector.role!;
    acknowledgeInlinePolicy(role, 'Metrics collector (reads the monitoring user\'s secret only)');
    acknowledgeCompliance(this.collector, 'LambdaDLQ',
      'Scheduled every minute without retries: a missed run is not worth replaying, and failures raise the CollectorErrors alarm.');
    acknowledgeVpcFunctionRole(role, 'Metrics collector');
  }

  /** A metric the collector publishes (`BufferCacheHitRatio`, `LongRunningQueries`, ...). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PostgresMetrics.NAMESPACE,
      metricName,
      dimensionsMap: { DBInstanceIdentifier: this.instanceId },
      ...props,
    });
  }
}
