import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { ConnectionPool } from './connection-pool';
import type { PostgresDatabase } from './postgres-database';
import type { ReadReplica } from './read-replicas';
import type { DatabaseUser } from './roles/database-user';
import { PlaybookValidationError, validateIntegerRange } from '../private/validation';

/**
 * Options of DatabaseEndpoints.
 */
export interface DatabaseEndpointsOptions {
  /**
   * An existing private hosted zone for the names. Cannot be combined with `zoneName`.
   *
   * @default - a new private hosted zone named `zoneName`, associated with the database's VPC
   */
  readonly zone?: route53.IPrivateHostedZone;

  /**
   * The name of the private hosted zone this construct creates. Two zones of one name cannot
   * be associated with the same VPC: give each platform in a VPC its own.
   *
   * @default 'db.internal'
   */
  readonly zoneName?: string;

  /**
   * The TTL of the writer and reader records (1 s to 1 h). Short, so a replica that leaves the
   * rotation stops receiving reads quickly.
   *
   * @default Duration.seconds(10)
   */
  readonly ttl?: Duration;

  /**
   * Take a replica out of the reader rotation while its ReplicaLag alarm is in ALARM
   * (Route 53 health checks on CloudWatch alarms; about $1 a month per replica). When every
   * replica is unhealthy Route 53 answers with all of them.
   *
   * @default false
   */
  readonly removeLaggingReplicas?: boolean;

  /**
   * The ReplicaLag (seconds) above which a replica leaves the rotation.
   *
   * @default Duration.seconds(60)
   */
  readonly replicaLagThreshold?: Duration;

  /**
   * How many consecutive 1-minute periods ReplicaLag must stay above the threshold (1-60).
   *
   * @default 10
   */
  readonly replicaLagEvaluationPeriods?: number;

  /**
   * The SSM Parameter Store path under which the connection details are published
   * (`<prefix>/writer-host`, `/writer-port`, `/reader-host`, `/reader-port`, `/database-name`,
   * `/primary-url`, `/replica-url`, `/secret-arn`). Never a password.
   *
   * @default - `/<stack name>/<the database's construct path in the stack>`, e.g.
   * `/DataPlatform/Data/Database`: unique per database, so two platforms in one stack never share
   * a parameter
   */
  readonly parameterPrefix?: string;
}

/**
 * Properties of DatabaseEndpoints.
 */
export interface DatabaseEndpointsProps extends DatabaseEndpointsOptions {
  /** The primary. */
  readonly database: PostgresDatabase;

  /**
   * The RDS Proxy the writer name points to.
   *
   * @default - the writer name points to the primary instance
   */
  readonly pool?: ConnectionPool;

  /**
   * The replicas the reader name spreads over.
   *
   * @default - none: the reader name points where the writer name does
   */
  readonly replicas?: ReadReplica[];

  /**
   * The user applications write as: the user of `DB_PRIMARY_URL`, whose secret `DB_SECRET_ARN`
   * names and `grantAccess` lets them read (through the proxy it must be one of the pool's users).
   * Never the master user: no client of the endpoints is given the master secret.
   */
  readonly writerUser: DatabaseUser;

  /**
   * The user applications read as: the user of `DB_REPLICA_URL` (IAM authentication to the
   * replicas, or through the proxy without replicas), whose secret `DB_REPLICA_SECRET_ARN` names.
   *
   * @default - the writer's user (DataPlatform passes its read-only user)
   */
  readonly readerUser?: DatabaseUser;
}

/**
 * Options of wiring an application to the database.
 */
export interface ConnectOptions {
  /**
   * The PostgreSQL user the application writes as, with IAM authentication (the user needs
   * `GRANT rds_iam`). Through the proxy only a user it holds a secret for can log in
   * (`ConnectionPool.users`), and any other is refused at synth; without a proxy, any role of
   * the instance.
   *
   * @default - the endpoints' writer user (in a DataPlatform: its application user)
   */
  readonly dbUser?: string;
}

/**
 * Stable names for applications in a Route 53 private hosted zone: `writer.<zone>` for
 * writes (the RDS Proxy) and `reader.<zone>` for reads (weighted records spread evenly over
 * the replicas). RDS Proxy cannot target RDS-for-PostgreSQL replicas, so the reader name is
 * how reads get one name. Applications never need an instance endpoint.
 */
export class DatabaseEndpoints extends Construct {
  /** The private hosted zone holding the names. */
  public readonly zone: route53.IPrivateHostedZone;
  /** `writer.<zone>`: the name applications write through. */
  public readonly writerHost: string;
  /** The port of the writer name (5432 through RDS Proxy, else the database's). */
  public readonly writerPort: number;
  /** `reader.<zone>`: the name applications read through. */
  public readonly readerHost: string;
  /** The port of the reader name (the database's with replicas; the writer's without). */
  public readonly readerPort: number;
  /** The ReplicaLag alarms that take replicas out of the rotation (empty unless removeLaggingReplicas). */
  public readonly replicaLagAlarms: cloudwatch.IAlarm[];

  private readonly database: PostgresDatabase;
  private readonly writerUser: DatabaseUser;
  private readonly readerUser: DatabaseUser;
  private readonly pool?: ConnectionPool;
  private readonly replicas: ReadReplica[];
  private readonly writerTarget: string;
  /** The name of the private zone this construct created (none when given a zone). */
  private readonly createdZoneName?: string;
  /** The VPC the created zone is associated with. */
  private readonly zoneVpcId: string;

  constructor(scope: Construct, id: string, props: DatabaseEndpointsProps) {
    super(scope, id);
    if (props.zone && props.zoneName !== undefined) {
      throw new PlaybookValidationError(this, 'zone cannot be combined with zoneName: the name is the existing zone\'s');
    }
    const zoneName = props.zoneName ?? 'db.internal';
    if (!Token.isUnresolved(zoneName) && !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(zoneName)) {
      throw new PlaybookValidationError(this, `zoneName must be a lower-case DNS name with at least two labels, such as 'db.internal' (got '${zoneName}')`);
    }
    const ttl = props.ttl ?? Duration.seconds(10);
    if (!ttl.isUnresolved()) validateIntegerRange(this, 'ttl', ttl.toSeconds({ integral: false }), 1, 3600, 'seconds');
    const lagThreshold = props.replicaLagThreshold ?? Duration.seconds(60);
    if (!lagThreshold.isUnresolved()) {
      validateIntegerRange(this, 'replicaLagThreshold', lagThreshold.toSeconds({ integral: false }), 1, 86400, 'seconds');
    }
    const lagPeriods = props.replicaLagEvaluationPeriods ?? 10;
    validateIntegerRange(this, 'replicaLagEvaluationPeriods', lagPeriods, 1, 60);
    const prefix = props.parameterPrefix ?? defaultParameterPrefix(props.database);
    if (!Token.isUnresolved(prefix) && !/^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/.test(prefix)) {
      throw new PlaybookValidationError(this,
        `parameterPrefix must start with '/' and hold only letters, digits and _ . - / (got '${prefix}')`);
    }

    this.database = props.database;
    if (!props.writerUser) {
      throw new PlaybookValidationError(this, 'writerUser is required: the user applications write as (a DatabaseUser, e.g. database.addUser(...)); the master user is never handed to a client');
    }
    this.writerUser = props.writerUser;
    this.readerUser = props.readerUser ?? props.writerUser;
    for (const user of [this.writerUser, this.readerUser]) {
      if (user.database !== props.database) throw new PlaybookValidationError(this, `${user.node.path} is a user of another database (${user.database.node.path})`);
      if (props.pool) props.pool.checkUser(user.roleName);
    }
    if ((props.replicas ?? []).length > 0) this.readerUser.requireIam('readerUser (IAM authentication to the read replicas)');
    this.pool = props.pool;
    this.replicas = props.replicas ?? [];
    this.zoneVpcId = props.database.vpc.vpcId;
    if (!props.zone) this.refuseSecondZone(zoneName);
    this.createdZoneName = props.zone ? undefined : zoneName;
    this.zone = props.zone ?? new route53.PrivateHostedZone(this, 'Zone', {
      zoneName,
      vpc: props.database.vpc,
      comment: `Writer and reader names of ${props.database.node.path}`,
    });

    this.writerTarget = this.pool ? this.pool.endpoint : this.database.endpointAddress;
    this.writerPort = this.pool ? this.pool.port : this.database.port;
    this.writerHost = `writer.${this.zone.zoneName}`;
    this.readerHost = `reader.${this.zone.zoneName}`;
    this.readerPort = this.replicas.length > 0 ? this.database.port : this.writerPort;

    new route53.CnameRecord(this, 'WriterRecord', {
      zone: this.zone,
      recordName: 'writer',
      domainName: this.writerTarget,
      ttl,
      comment: this.pool ? 'RDS Proxy on the PostgreSQL primary' : 'PostgreSQL primary',
    });

    this.replicaLagAlarms = [];
    if (this.replicas.length === 0) {
      new route53.CnameRecord(this, 'ReaderRecord', {
        zone: this.zone,
        recordName: 'reader',
        domainName: this.writerTarget,
        ttl,
        comment: 'No read replicas: reads go where writes go',
      });
    }
    this.replicas.forEach((replica, i) => {
      const n = i + 1;
      let healthCheck: route53.IHealthCheck | undefined;
      if (props.removeLaggingReplicas) {
        const alarm = new cloudwatch.Alarm(this, `ReplicaLagAlarm${n}`, {
          alarmDescription: `Read replica ${n} of ${this.database.node.path} is more than ${lagThreshold.toSeconds()} s behind: it leaves the reader rotation`,
          metric: replica.metricReplicaLag({ period: Duration.minutes(1) }),
          threshold: lagThreshold.toSeconds(),
          evaluationPeriods: lagPeriods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // A replica that stops reporting lag is down or being replaced: out of the rotation.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        });
        this.replicaLagAlarms.push(alarm);
        healthCheck = new route53.HealthCheck(this, `ReplicaHealthCheck${n}`, {
          type: route53.HealthCheckType.CLOUDWATCH_METRIC,
          alarmIdentifier: { name: alarm.alarmName, region: Stack.of(this).region },
          insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
        });
      }
      new route53.CnameRecord(this, `ReaderRecord${n}`, {
        zone: this.zone,
        recordName: 'reader',
        domainName: replica.endpointAddress,
        ttl,
        weight: 1,
        setIdentifier: `replica-${n}`,
        healthCheck,
        comment: `Read replica ${n}`,
      });
    });

    const env = this.environment();
    const published: Record<string, [string, string]> = {
      WriterHostParameter: ['writer-host', env.DB_PRIMARY_HOST],
      WriterPortParameter: ['writer-port', env.DB_PRIMARY_PORT],
      ReaderHostParameter: ['reader-host', env.DB_REPLICA_HOST],
      ReaderPortParameter: ['reader-port', env.DB_REPLICA_PORT],
      DatabaseNameParameter: ['database-name', env.DB_NAME],
      PrimaryUrlParameter: ['primary-url', env.DB_PRIMARY_URL],
      ReplicaUrlParameter: ['replica-url', env.DB_REPLICA_URL],
      SecretArnParameter: ['secret-arn', env.DB_SECRET_ARN],
      ReplicaSecretArnParameter: ['replica-secret-arn', env.DB_REPLICA_SECRET_ARN],
    };
    for (const [parameterId, [name, value]] of Object.entries(published)) {
      new ssm.StringParameter(this, parameterId, {
        parameterName: `${prefix}/${name}`,
        stringValue: value,
        description: `cdk-db-playbook: ${name} of ${this.database.node.path} (no password)`,
      });
    }
  }

  /**
   * A VPC holds one private zone per name: a second DatabaseEndpoints creating `zoneName` in the
   * VPC of one that already did would fail at deploy (Route 53's ConflictingDomainExists), after
   * the databases were created. Refused at synth, naming both.
   */
  private refuseSecondZone(zoneName: string): void {
    if (Token.isUnresolved(zoneName)) return;
    const other = this.node.root.node.findAll().find((c): c is DatabaseEndpoints =>
      c instanceof DatabaseEndpoints && c !== this && c.createdZoneName === zoneName && c.zoneVpcId === this.zoneVpcId);
    if (other) {
      throw new PlaybookValidationError(this,
        `zoneName '${zoneName}' is already the private zone of ${other.node.path} in the same VPC, and a VPC holds one zone per name: `
        + `give this one another zoneName (e.g. '${this.node.scope?.node.id.toLowerCase().replace(/[^a-z0-9-]/g, '') || 'second'}.${zoneName}')`);
    }
  }

  /**
   * The settings an application needs, with no password: `DB_PRIMARY_URL` / `DB_REPLICA_URL`
   * (`postgresql://user@host:port/db?sslmode=verify-full`), their hosts and ports, `DB_NAME`,
   * `DB_USER`, `DB_REPLICA_USER`, `DB_SSLMODE`, `DB_SECRET_ARN` / `DB_REPLICA_SECRET_ARN` (the
   * writer's and the reader's user secrets, never the master's), `DB_PRIMARY_IAM_HOST` /
   * `DB_PRIMARY_IAM_PORT` (the endpoint an IAM auth token for the writer is signed for), and for
   * TLS: `DB_CA_FILE` (the RDS CA bundle of the Lambda runtime: pin it as the only roots, e.g. pg's
   * `ssl.ca`), `DB_PRIMARY_TLS_NAME` and `DB_REPLICA_TLS_NAMES` (comma-separated).
   *
   * `verify-full` against the TLS names: the certificates name the proxy and instance endpoints,
   * not the CNAMEs `writer.` / `reader.<zone>`, so a client checks the certificate's name against
   * the endpoint behind the CNAME (`checkServerIdentity` with DB_PRIMARY_TLS_NAME), not the host.
   */
  public environment(options: ConnectOptions = {}): { [name: string]: string } {
    this.pool?.checkUser(options.dbUser);
    const user = options.dbUser ?? this.writerUser.roleName;
    const readerUser = this.readerUser.roleName;
    const db = this.database.databaseName;
    const url = (u: string, host: string, port: number) => `postgresql://${u}@${host}:${port}/${db}?sslmode=verify-full`;
    const readerNames = this.replicas.length > 0 ? Fn.join(',', this.replicas.map((r) => r.endpointAddress)) : this.writerTarget;
    return {
      DB_PRIMARY_URL: url(user, this.writerHost, this.writerPort),
      DB_REPLICA_URL: url(readerUser, this.readerHost, this.readerPort),
      DB_PRIMARY_HOST: this.writerHost,
      DB_PRIMARY_PORT: String(this.writerPort),
      DB_REPLICA_HOST: this.readerHost,
      DB_REPLICA_PORT: String(this.readerPort),
      DB_PRIMARY_IAM_HOST: this.writerTarget,
      DB_PRIMARY_IAM_PORT: String(this.writerPort),
      DB_PRIMARY_TLS_NAME: this.writerTarget,
      DB_REPLICA_TLS_NAMES: readerNames,
      DB_NAME: db,
      DB_USER: user,
      DB_REPLICA_USER: readerUser,
      DB_SSLMODE: 'verify-full',
      DB_SECRET_ARN: this.writerUser.secret?.secretArn ?? 'none (IAM authentication only)',
      DB_REPLICA_SECRET_ARN: this.readerUser.secret?.secretArn ?? 'none (IAM authentication only)',
    };
  }

  /**
   * Lets a client reach and authenticate to the writer and the readers: opens the security
   * groups (proxy on 5432, replicas on the database port), grants `rds-db:connect` through the
   * proxy (or on the primary without one) and read access to the database secret.
   */
  public grantAccess(client: ec2.IConnectable, grantee: iam.IGrantable, options: ConnectOptions = {}): void {
    const user = options.dbUser ?? this.writerUser.roleName;
    if (this.pool) {
      this.pool.connections.allowDefaultPortFrom(client, 'Application to RDS Proxy');
      this.pool.grantConnect(grantee, user);
    } else {
      this.database.connections.allowDefaultPortFrom(client, 'Application to PostgreSQL primary');
      this.database.grantConnect(grantee, user);
    }
    const reader = this.readerUser;
    if (this.replicas.length > 0) {
      // Each replica's own security group: a reader is not let in to the primary.
      for (const replica of this.replicas) {
        replica.connections.allowDefaultPortFrom(client, 'Application to PostgreSQL read replica');
        replica.grantConnect(grantee, reader.roleName);
      }
    } else if (reader.roleName !== user) {
      // The reader name points where the writer name does.
      if (this.pool) this.pool.grantConnect(grantee, reader.roleName);
      else this.database.grantConnect(grantee, reader.roleName);
    }
    this.writerUser.secret?.grantRead(grantee);
    if (reader !== this.writerUser) reader.secret?.grantRead(grantee);
  }

  /**
   * Wires a Lambda function in one call: grantAccess, then the environment() settings, with
   * `DB_CA_FILE` the RDS CA bundle the Lambda Node.js runtimes ship, to pin as pg's `ssl.ca` (not
   * NODE_EXTRA_CA_CERTS, which adds the RDS CAs to Node's public roots instead of replacing them).
   */
  public connectFunction(fn: lambda.Function, options: ConnectOptions = {}): void {
    this.grantAccess(fn, fn, options);
    for (const [name, value] of Object.entries(this.environment(options))) fn.addEnvironment(name, value);
    fn.addEnvironment('DB_CA_FILE', '/var/runtime/ca-cert.pem');
  }
}

/**
 * The default parameter prefix: the stack's name, then the database's construct path inside the
 * stack (characters SSM does not allow in a name as `-`), unique per database in an account and
 * region as long as stack names are.
 */
function defaultParameterPrefix(database: PostgresDatabase): string {
  const stack = Stack.of(database);
  const relative = database.node.path.slice(stack.node.path.length + 1) || database.node.id;
  return `/${stack.stackName}/${relative.replace(/[^A-Za-z0-9_.\-/]/g, '-')}`;
}

