import { Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { PostgresDatabase } from './postgres-database';
import { DatabaseUser, PasswordRotationStrategy } from './roles/database-user';
import { POOL_DEFAULTS, PROXY_POSTGRES_PORT } from '../private/defaults';
import { acknowledgeDatabaseIngress, acknowledgeInlinePolicy } from '../private/nag';
import { PlaybookValidationError, validateIntegerRange } from '../private/validation';

/**
 * Options of a ConnectionPool (RDS Proxy).
 */
export interface ConnectionPoolOptions {
  /**
   * The most connections the proxy opens, as a percent of the database's max_connections (1-100).
   * The rest stays free for administrators, replication and the metrics collector.
   *
   * @default 70
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html
   */
  readonly maxConnectionsPercent?: number;

  /**
   * How many idle connections the proxy keeps open, as a percent of max_connections
   * (0 to maxConnectionsPercent).
   *
   * @default 35
   */
  readonly maxIdleConnectionsPercent?: number;

  /**
   * How long a client waits for a pooled connection when all are busy (0-3600 s).
   *
   * @default Duration.seconds(30)
   */
  readonly borrowTimeout?: Duration;

  /**
   * How long an idle client connection stays open (1 s to 8 h).
   *
   * @default Duration.minutes(30)
   */
  readonly idleClientTimeout?: Duration;

  /**
   * The subnets of the proxy.
   *
   * @default - the database's subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The proxy's name (letters, digits and single hyphens; up to 63 characters).
   *
   * @default - a name unique to this construct's path
   */
  readonly dbProxyName?: string;

  /**
   * Log the SQL of every statement through the proxy (for debugging only: it logs data).
   *
   * @default false
   */
  readonly debugLogging?: boolean;

  /**
   * The users clients log in as through the proxy: it holds each one's secret (RDS Proxy logs in
   * to the database with the user's secret, also when the client authenticates with IAM). Each
   * needs a password rotated by SINGLE_USER: the alternating-users rotation changes the username
   * in the secret, and the proxy matches a login to a secret by that name.
   *
   * Required (DataPlatform passes its application and read-only users): the proxy never serves
   * the master user to clients.
   *
   * @default - none: refused at synth
   */
  readonly users?: DatabaseUser[];
}

/**
 * Properties of a ConnectionPool.
 */
export interface ConnectionPoolProps extends ConnectionPoolOptions {
  /** The database whose writer the proxy fronts. */
  readonly database: PostgresDatabase;

}

/**
 * The playbook's PgBouncer, the AWS way: an RDS Proxy on the writer, TLS and IAM
 * authentication required, with its own security group and a role that reads only the
 * database secret.
 *
 * RDS Proxy fronts only the writer of RDS for PostgreSQL (read-only proxy endpoints are
 * Aurora-only); reads go to replicas through the reader name of DatabaseEndpoints. Sessions
 * are pinned to one database connection by SET, temporary tables, advisory locks and
 * prepared statements: keep those out of pooled connections.
 */
export class ConnectionPool extends Construct implements ec2.IConnectable {
  /** The RDS Proxy. */
  public readonly proxy: rds.DatabaseProxy;
  /** The proxy's endpoint DNS name. */
  public readonly endpoint: string;
  /** The port clients connect to (always 5432 for PostgreSQL on RDS Proxy). */
  public readonly port: number;
  /** Network connections of the proxy, on port 5432. */
  public readonly connections: ec2.Connections;
  /** The proxy's security group. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The PostgreSQL users clients can log in as through the proxy: those it holds a secret for.
   * RDS Proxy logs in to the database with the user's Secrets Manager secret, also when the
   * client authenticates to the proxy with IAM: the `users` it was given.
   */
  public readonly users: string[];

  constructor(scope: Construct, id: string, props: ConnectionPoolProps) {
    super(scope, id);
    const maxConnectionsPercent = props.maxConnectionsPercent ?? POOL_DEFAULTS.maxConnectionsPercent;
    const maxIdleConnectionsPercent = props.maxIdleConnectionsPercent ?? POOL_DEFAULTS.maxIdleConnectionsPercent;
    const borrowTimeout = props.borrowTimeout ?? Duration.seconds(POOL_DEFAULTS.borrowTimeoutSeconds);
    const idleClientTimeout = props.idleClientTimeout ?? Duration.minutes(POOL_DEFAULTS.idleClientTimeoutMinutes);
    validateIntegerRange(this, 'maxConnectionsPercent', maxConnectionsPercent, 1, 100, '%');
    validateIntegerRange(this, 'maxIdleConnectionsPercent', maxIdleConnectionsPercent, 0, 100, '%');
    if (!Token.isUnresolved(maxConnectionsPercent) && !Token.isUnresolved(maxIdleConnectionsPercent)
      && maxIdleConnectionsPercent > maxConnectionsPercent) {
      throw new PlaybookValidationError(this,
        `maxIdleConnectionsPercent must not exceed maxConnectionsPercent (got ${maxIdleConnectionsPercent} % > ${maxConnectionsPercent} %)`);
    }
    if (!borrowTimeout.isUnresolved()) {
      validateIntegerRange(this, 'borrowTimeout', borrowTimeout.toSeconds({ integral: false }), 0, 3600, 'seconds');
    }
    if (!idleClientTimeout.isUnresolved()) {
      validateIntegerRange(this, 'idleClientTimeout', idleClientTimeout.toSeconds({ integral: false }), 1, 28800, 'seconds');
    }

    const database = props.database;
    for (const user of props.users ?? []) {
      if (user.database !== database) throw new PlaybookValidationError(this, `users: ${user.node.path} is a user of another database (${user.database.node.path})`);
      if (!user.secret) throw new PlaybookValidationError(this, `users: ${user.roleName} logs in with IAM only, and RDS Proxy logs in to the database with a user's secret: give it authentication PASSWORD_AND_IAM`);
      if (user.rotationStrategy !== PasswordRotationStrategy.SINGLE_USER) {
        throw new PlaybookValidationError(this, `users: ${user.roleName}'s password rotates by ${user.rotationStrategy}, which changes the secret's username to ${user.roleName}_clone every other rotation, and the proxy matches logins to secrets by username: give it rotationStrategy SINGLE_USER`);
      }
    }
    if (!props.users || props.users.length === 0) {
      throw new PlaybookValidationError(this, `users must name the users the proxy serves (got ${props.users ? 'an empty list' : 'none'}): DatabaseUsers with authentication PASSWORD_AND_IAM and rotationStrategy SINGLE_USER; the master user is not served to clients`);
    }
    const secrets = props.users.map((u) => u.secret!);
    this.port = PROXY_POSTGRES_PORT;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: database.vpc,
      description: `RDS Proxy ${this.node.path}: clients in on 5432, out to the database only`,
      allowAllOutbound: false,
    });
    // ProxyTarget.fromInstance opens this group's egress to the database and the database's ingress from it.

    this.proxy = new rds.DatabaseProxy(this, 'Resource', {
      // Unique in the account and region: the L2's default would be the construct id, 'Resource'.
      dbProxyName: props.dbProxyName ?? Names.uniqueResourceName(this, { maxLength: 60, separator: '-' }).replace(/-+/g, '-'),
      proxyTarget: rds.ProxyTarget.fromInstance(database.instance),
      secrets,
      vpc: database.vpc,
      vpcSubnets: props.vpcSubnets ?? database.vpcSubnets,
      securityGroups: [this.securityGroup],
      requireTLS: true,
      iamAuth: true,
      maxConnectionsPercent,
      maxIdleConnectionsPercent,
      borrowTimeout,
      idleClientTimeout,
      debugLogging: props.debugLogging ?? false,
    });
    this.endpoint = this.proxy.endpoint;
    this.users = props.users.map((u) => u.roleName);
    acknowledgeDatabaseIngress(database.securityGroups, this.securityGroup, 'RDS Proxy');
    const proxyRole = this.proxy.node.tryFindChild('IAMRole');
    if (proxyRole) acknowledgeInlinePolicy(proxyRole, 'RDS Proxy role (reads the secrets of the users it serves only)');
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(this.port) });
  }

  /**
   * Grants `rds-db:connect` through the proxy as `dbUser` (IAM authentication to the proxy).
   * `dbUser` must be one of `users`: the proxy logs in to the database with that user's secret,
   * so IAM authentication as any other user fails at connect time; for another role, connect to
   * the instance (`PostgresDatabase.grantConnect`).
   *
   * @default dbUser - the first of `users`
   */
  public grantConnect(grantee: iam.IGrantable, dbUser?: string): iam.Grant {
    this.checkUser(dbUser);
    return this.proxy.grantConnect(grantee, dbUser ?? this.users[0]);
  }

  /** Refuses a user the proxy holds no secret for: naming it, whom the proxy serves, and what works instead. */
  public checkUser(dbUser?: string): void {
    if (dbUser === undefined || Token.isUnresolved(dbUser) || this.users.includes(dbUser)) return;
    throw new PlaybookValidationError(this,
      `dbUser '${dbUser}' cannot log in through the proxy: RDS Proxy logs in to the database with the user's Secrets Manager secret, `
      + `also under IAM authentication, and this proxy has one for ${this.users.map((u) => `'${u}'`).join(', ')} only. `
      + `Use one of those, or connect as '${dbUser}' to the instance itself (PostgresDatabase.grantConnect: IAM authentication without the proxy)`);
  }

  /** Any AWS/RDS metric of this proxy (dimension ProxyName). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { ProxyName: this.proxy.dbProxyName },
      ...props,
    });
  }

  /*
   * RDS publishes the proxy's metrics per proxy node (an EC2 instance, and a proxy may have
   * several), so the statistics aggregate across nodes the way AWS's own proxy dashboard does:
   * Average for availability, Sum for counts of connections (per minute: a node publishes each
   * minute), Sum for failures, percentiles for latency.
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.monitoring.html
   */

  /** Percent of time the writer target was available, averaged over the proxy's nodes (dimension set ProxyName, TargetGroup, TargetRole). */
  public metricAvailabilityPercentage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'AvailabilityPercentage',
      dimensionsMap: { ProxyName: this.proxy.dbProxyName, TargetGroup: 'default', TargetRole: 'READ_WRITE' },
      statistic: 'Average',
      ...props,
    });
  }

  /** Microseconds a client waited for a pooled connection (p90 over 5 minutes). */
  public metricBorrowLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnectionsBorrowLatency', { statistic: 'p90', ...props });
  }

  /** Database connections pinned to one client session, summed over the proxy's nodes (use a 1-minute period). */
  public metricPinnedSessions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnectionsCurrentlySessionPinned', { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /** Open connections from the proxy to the database, summed over the proxy's nodes (use a 1-minute period). */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnections', { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /** Open client connections to the proxy, summed over the proxy's nodes (use a 1-minute period). */
  public metricClientConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ClientConnections', { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /** Failed attempts of the proxy to open a database connection (sum over 5 minutes). */
  public metricDatabaseConnectionsSetupFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DatabaseConnectionsSetupFailed', { statistic: 'Sum', ...props });
  }

  /** Client connection attempts that failed authentication (sum over 5 minutes). */
  public metricClientConnectionsSetupFailedAuth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ClientConnectionsSetupFailedAuth', { statistic: 'Sum', ...props });
  }
}
