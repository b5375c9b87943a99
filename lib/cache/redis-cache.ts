import { Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { platformLogGroup } from '../private/logs';
import { acknowledgeAwsCdkProviders, acknowledgeCompliance, acknowledgeControlTower } from '../private/nag';
import { PlaybookValidationError, validateIntegerRange } from '../private/validation';
import { Profile } from '../profile';
import { createKey } from '../private/keys';

/**
 * What the cache holds, which decides what Redis may evict when memory is full.
 */
export enum CachePurpose {
  /** Derived data that can be recomputed: evict the least recently used key (`allkeys-lru`). */
  CACHE = 'CACHE',
  /**
   * Sessions: evict only keys that have a TTL, least recently used first (`volatile-lru`);
   * a key without a TTL is never dropped silently (writes fail with OOM instead).
   */
  SESSIONS = 'SESSIONS',
  /**
   * Rate-limit counters: evict only keys that have a TTL, nearest expiry first (`volatile-ttl`):
   * windows about to end go first, a limit is never forgotten early.
   */
  RATE_LIMITS = 'RATE_LIMITS',
}

/**
 * The engine of the cache.
 */
export enum CacheEngine {
  /** Redis OSS 7.1. */
  REDIS = 'REDIS',
  /** Valkey 8.0, the open-source fork AWS prices lower. */
  VALKEY = 'VALKEY',
}

/** maxmemory-policy by purpose; shared with the tests that start a real redis-server. */
const EVICTION: Record<CachePurpose, string> = {
  [CachePurpose.CACHE]: 'allkeys-lru',
  [CachePurpose.SESSIONS]: 'volatile-lru',
  [CachePurpose.RATE_LIMITS]: 'volatile-ttl',
};

const ENGINES: Record<CacheEngine, { engine: string; version: string; family: string }> = {
  [CacheEngine.REDIS]: { engine: 'redis', version: '7.1', family: 'redis7' },
  [CacheEngine.VALKEY]: { engine: 'valkey', version: '8.0', family: 'valkey8' },
};

/**
 * Options of a RedisCache.
 */
export interface RedisCacheOptions {
  /**
   * What the cache holds (decides the eviction policy).
   *
   * @default CachePurpose.CACHE
   */
  readonly purpose?: CachePurpose;

  /**
   * The engine.
   *
   * @default CacheEngine.REDIS (Redis OSS 7.1)
   */
  readonly engine?: CacheEngine;

  /**
   * The node type, a `cache.` class.
   *
   * @default - cache.m7g.large in production, cache.t4g.micro in development
   */
  readonly nodeType?: string;

  /**
   * Read replicas of the primary node (0-5).
   *
   * @default - 1 in production, 0 in development
   */
  readonly replicas?: number;

  /**
   * Multi-AZ: the replicas in other Availability Zones than the primary (needs at least one replica).
   * Automatic failover is on whenever there is a replica, Multi-AZ or not.
   *
   * @default - true in production, false in development
   */
  readonly multiAz?: boolean;

  /**
   * The port (1024-65535; not 6379, the one scanners try).
   *
   * @default 6380
   */
  readonly port?: number;

  /**
   * Days of daily snapshots (0-35).
   *
   * @default - 15 in production, 0 in development
   */
  readonly snapshotRetentionDays?: number;

  /**
   * Parameters over the purpose's (e.g. `{ 'maxmemory-policy': 'allkeys-lfu' }`).
   *
   * @default - none
   */
  readonly parameters?: { [name: string]: string };

  /**
   * An existing KMS key for data at rest.
   *
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The subnets of the cache.
   *
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * Properties of a RedisCache.
 */
export interface RedisCacheProps extends RedisCacheOptions {
  /** The VPC of the cache. */
  readonly vpc: ec2.IVpc;

  /**
   * The profile the defaults come from.
   *
   * @default Profile.PRODUCTION
   */
  readonly profile?: Profile;
}

/**
 * ElastiCache for Redis OSS (or Valkey) as the playbook says to use it: strictly cache,
 * sessions and rate limits — never a primary store. Primary + replica with Multi-AZ failover,
 * TLS required, encrypted at rest with a customer key, an AUTH token from Secrets Manager,
 * a non-default port, daily snapshots, the slow log in CloudWatch Logs, and an eviction
 * policy chosen by purpose.
 */
export class RedisCache extends Construct implements ec2.IConnectable {
  /** The replication group. */
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The secret holding the AUTH token (`token`). */
  public readonly authSecret: secretsmanager.Secret;
  /** The key of data at rest. */
  public readonly encryptionKey: kms.IKey;
  /** Network connections of the cache, on its port. */
  public readonly connections: ec2.Connections;
  /** The port. */
  public readonly port: number;
  /** The parameters of the cache's parameter group. */
  public readonly parameters: { [name: string]: string };
  /** The primary endpoint's DNS name. */
  public readonly primaryEndpoint: string;
  /** The reader endpoint's DNS name. */
  public readonly readerEndpoint: string;
  /** The slow log. */
  public readonly slowLog: logs.LogGroup;
  /**
   * The identifiers of the replication group's member clusters, one per node
   * (`<replicationGroupId>-001`, `-002`, ...): ElastiCache publishes its metrics per cluster
   * (`CacheClusterId`), not per replication group.
   */
  public readonly nodeClusterIds: string[];

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    const production = (props.profile ?? Profile.PRODUCTION) === Profile.PRODUCTION;
    const purpose = props.purpose ?? CachePurpose.CACHE;
    if (!(purpose in EVICTION)) {
      throw new PlaybookValidationError(this, `purpose must be one of ${Object.keys(EVICTION).join(', ')} (got '${purpose}')`);
    }
    const engineName = props.engine ?? CacheEngine.REDIS;
    const engine = ENGINES[engineName];
    if (!engine) throw new PlaybookValidationError(this, `engine must be one of ${Object.keys(ENGINES).join(', ')} (got '${engineName}')`);
    const nodeType = props.nodeType ?? (production ? 'cache.m7g.large' : 'cache.t4g.micro');
    if (!Token.isUnresolved(nodeType) && !/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(nodeType)) {
      throw new PlaybookValidationError(this, `nodeType must be a cache node type such as 'cache.m7g.large' (got '${nodeType}')`);
    }
    const replicas = props.replicas ?? (production ? 1 : 0);
    validateIntegerRange(this, 'replicas', replicas, 0, 5);
    const multiAz = props.multiAz ?? production;
    if (multiAz && replicas === 0) {
      throw new PlaybookValidationError(this, 'multiAz needs at least one replica to fail over to (got replicas 0): set replicas >= 1 or multiAz false');
    }
    this.port = props.port ?? 6380;
    validateIntegerRange(this, 'port', this.port, 1024, 65535);
    if (this.port === 6379) {
      throw new PlaybookValidationError(this, 'port must not be 6379, the default every scanner tries (got 6379)');
    }
    const snapshotDays = props.snapshotRetentionDays ?? (production ? 15 : 0);
    validateIntegerRange(this, 'snapshotRetentionDays', snapshotDays, 0, 35, 'days');

    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.encryptionKey = props.encryptionKey ?? createKey(this, 'Key', {
      description: `Encrypts ${this.node.path} at rest and its AUTH token`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.authSecret = new secretsmanager.Secret(this, 'AuthToken', {
      description: `AUTH token of ${this.node.path}`,
      encryptionKey: this.encryptionKey,
      // ElastiCache tokens: 16-128 printable characters, no @ " / or spaces.
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'token', passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    acknowledgeCompliance(this.authSecret, 'SecretsManagerRotationEnabled',
      'The Redis AUTH token changes only with a coordinated ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE), not on a Secrets Manager schedule.');
    Validations.of(this.authSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The Redis AUTH token changes only with a coordinated ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE); rotate it with the cache, not on a schedule.',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Redis ${this.node.path}: no inbound rule until a client is allowed`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(this.port) });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `Subnets of ${this.node.path}`,
      subnetIds: props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    this.parameters = { 'maxmemory-policy': EVICTION[purpose], ...props.parameters };
    const parameterGroup = new elasticache.CfnParameterGroup(this, 'ParameterGroup', {
      cacheParameterGroupFamily: engine.family,
      description: `${purpose} parameters of ${this.node.path}`,
      properties: this.parameters,
    });
    this.slowLog = platformLogGroup(this, 'SlowLog', { production, encryptionKey: this.encryptionKey });

    const replicationGroupId = Names.uniqueResourceName(this, { maxLength: 40, separator: '-' }).toLowerCase().replace(/-+/g, '-');
    // ElastiCache names a non-clustered group's members <group id>-001, -002, ... (one node each).
    this.nodeClusterIds = Array.from({ length: replicas + 1 }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, '0')}`);
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: `${purpose} for ${this.node.path} (not a primary store)`,
      replicationGroupId,
      engine: engine.engine,
      engineVersion: engine.version,
      cacheNodeType: nodeType,
      numCacheClusters: replicas + 1,
      // A replica takes over a failed primary whether or not it is in another AZ: on with any replica
      // (CloudFormation's rule E3026 requires it for more than one cluster; Control Tower's CT.ELASTICACHE.PR.3).
      automaticFailoverEnabled: replicas > 0,
      multiAzEnabled: multiAz,
      port: this.port,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: this.encryptionKey.keyArn,
      authToken: this.authSecret.secretValueFromJson('token').unsafeUnwrap(),
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      cacheParameterGroupName: parameterGroup.ref,
      snapshotRetentionLimit: snapshotDays,
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [{
        destinationType: 'cloudwatch-logs',
        destinationDetails: { cloudWatchLogsDetails: { logGroup: this.slowLog.logGroupName } },
        logFormat: 'json',
        logType: 'slow-log',
      }],
    });
    this.replicationGroup.applyRemovalPolicy(production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY);
    this.primaryEndpoint = this.replicationGroup.attrPrimaryEndPointAddress;
    this.readerEndpoint = this.replicationGroup.attrReaderEndPointAddress;

    if (!multiAz) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason: 'Single-AZ by choice (development profile or multiAz false): a cache that can be rebuilt from the database.',
      });
    }
    if (replicas === 0) {
      acknowledgeControlTower(this.replicationGroup, 'elasticache_repl_grp_auto_failover_enabled_check',
        'No replica by choice (development profile or replicas 0): nothing to fail over to; a cache that can be rebuilt from the database.');
    }
    acknowledgeControlTower(this.replicationGroup, 'elasticache_repl_grp_rbac_auth_enabled_check',
      'Clients authenticate with the AUTH token (64 characters, in a Secrets Manager secret under the cache\'s key) over TLS that is required; RBAC user groups would add per-user command limits this cache\'s one application does not use.');
  }

  /** The `rediss://` URL of the primary (TLS; the AUTH token is in `authSecret`, never in the URL). */
  public get url(): string {
    return `rediss://${this.primaryEndpoint}:${this.port}`;
  }

  /** Grants reading the AUTH token. */
  public grantAuthTokenRead(grantee: iam.IGrantable): iam.Grant {
    return this.authSecret.grantRead(grantee);
  }

  /**
   * Wires a Lambda function: opens the security group and grants the token, then sets
   * `REDIS_URL`, `REDIS_HOST`, `REDIS_PORT`, `REDIS_READER_HOST` and `REDIS_AUTH_SECRET_ARN`.
   */
  public connectFunction(fn: lambda.Function): void {
    this.connections.allowDefaultPortFrom(fn, 'Application to Redis');
    this.grantAuthTokenRead(fn);
    for (const [name, value] of Object.entries(this.environment())) fn.addEnvironment(name, value);
  }

  /** The settings an application needs, with no token. */
  public environment(): { [name: string]: string } {
    return {
      REDIS_URL: this.url,
      REDIS_HOST: this.primaryEndpoint,
      REDIS_READER_HOST: this.readerEndpoint,
      REDIS_PORT: String(this.port),
      REDIS_AUTH_SECRET_ARN: this.authSecret.secretArn,
    };
  }

  /**
   * An AWS/ElastiCache metric of one node: `nodeClusterId` is one of `nodeClusterIds` (the
   * dimension set `CacheClusterId`, which ElastiCache publishes its host and engine metrics under).
   */
  public metricNode(metricName: string, nodeClusterId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { CacheClusterId: nodeClusterId },
      ...props,
    });
  }

  /**
   * An AWS/ElastiCache metric over every node of the group: a metric math expression that sums
   * the nodes' values (statistic Sum, e.g. Evictions) or takes their maximum, minimum or average
   * (the statistic's own aggregate), since ElastiCache publishes per node. Nodes that do not
   * publish the metric (ReplicationLag on the primary) are left out by the expression.
   *
   * @default statistic Average
   */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.IMetric {
    const statistic = props.statistic ?? 'Average';
    const aggregate = { Sum: 'SUM', Maximum: 'MAX', Minimum: 'MIN' }[statistic] ?? 'AVG';
    // Ids unique per metric: one graph or alarm may hold several such expressions.
    const prefix = metricName.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
    const usingMetrics = Object.fromEntries(this.nodeClusterIds.map((id, i) => [`${prefix}${i}`, this.metricNode(metricName, id, { ...props, statistic })]));
    return new cloudwatch.MathExpression({
      expression: `${aggregate}([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      period: props.period,
      label: `${metricName} (${aggregate.toLowerCase()} over ${this.nodeClusterIds.length} node${this.nodeClusterIds.length === 1 ? '' : 's'})`,
    });
  }
}
