import { Annotations, Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { createAccessLogsBucket, sendEventsToEventBridge } from '../private/access-logs';
import { acknowledgeAwsCdkProviders, acknowledgeCompliance, acknowledgeControlTower, acknowledgeInlinePolicy, nagResource } from '../private/nag';
import { PlaybookValidationError } from '../private/validation';
import { Profile } from '../profile';
import { createKey } from '../private/keys';

/**
 * Options of a BlobBucket.
 */
export interface BlobBucketOptions {
  /**
   * Origins allowed to upload from a browser with presigned URLs (PUT, POST, HEAD; ETag exposed).
   * `*` is refused in production.
   *
   * @default - no CORS: uploads from servers only
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * Move objects to S3 Intelligent-Tiering after 0 days (pays off for objects over 128 KiB
   * read unpredictably).
   *
   * @default false
   */
  readonly intelligentTiering?: boolean;

  /**
   * An existing KMS key for the objects.
   *
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How many days noncurrent (overwritten or deleted) versions are kept, the newest 3 always.
   *
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
}

/**
 * Properties of a BlobBucket.
 */
export interface BlobBucketProps extends BlobBucketOptions {
  /**
   * The profile the defaults come from.
   *
   * @default Profile.PRODUCTION
   */
  readonly profile?: Profile;

  /**
   * The bucket server access logs go to.
   *
   * @default - a new log bucket (SSE-S3, as log delivery requires)
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * A bucket in the DR region every object is replicated to (the offsite copy).
   *
   * @default - no replication (a warning in production)
   */
  readonly replicationDestination?: s3.IBucket;

  /**
   * The KMS key in the DR region the replicas are encrypted with. Required with
   * `replicationDestination`.
   *
   * @default - none
   */
  readonly replicationKey?: kms.IKey;

  /**
   * A fixed bucket name (bucket names are global: prefer the generated one).
   *
   * @default - a name CloudFormation generates
   */
  readonly bucketName?: string;

  /**
   * Whether this bucket is itself a replica in the DR region (no replication of its own, no warning).
   *
   * @default false
   */
  readonly isReplica?: boolean;
}

/**
 * S3 for user content, per the playbook ("never BLOBs in Postgres"): no public access, ACLs
 * off, TLS only, SSE-KMS with bucket keys, versioning, access logs, lifecycle rules that keep
 * the bill bounded, CORS for presigned browser uploads, and replication to the DR region.
 */
export class BlobBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** The key of the objects. */
  public readonly encryptionKey: kms.IKey;
  /** The access-log bucket. */
  public readonly accessLogsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: BlobBucketProps = {}) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    // Without this flag aws-cdk-lib names every replication role 'CDKReplicationRole': a second
    // replicated bucket in the account would fail to deploy.
    this.node.setContext('@aws-cdk/aws-s3:setUniqueReplicationRoleName', true);
    const production = (props.profile ?? Profile.PRODUCTION) === Profile.PRODUCTION;
    const origins = props.corsAllowedOrigins ?? [];
    for (const origin of origins) {
      if (Token.isUnresolved(origin)) continue;
      if (origin.includes('*') && production) {
        throw new PlaybookValidationError(this, `corsAllowedOrigins must name origins in production, not wildcards (got '${origin}')`);
      }
      if (!origin.includes('*') && !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/.test(origin)) {
        throw new PlaybookValidationError(this, `corsAllowedOrigins must be origins such as 'https://app.example.com' (got '${origin}')`);
      }
    }
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 30;
    if (!Token.isUnresolved(noncurrentDays) && (!Number.isInteger(noncurrentDays) || noncurrentDays < 1 || noncurrentDays > 3650)) {
      throw new PlaybookValidationError(this, `noncurrentVersionExpirationDays must be an integer from 1 to 3650 (got ${noncurrentDays})`);
    }
    if (props.replicationDestination && !props.replicationKey) {
      throw new PlaybookValidationError(this, 'replicationKey is required with replicationDestination: replicas of SSE-KMS objects need a key in the DR region');
    }
    if (props.replicationDestination && props.isReplica) {
      throw new PlaybookValidationError(this, 'isReplica cannot be combined with replicationDestination: a replica does not replicate again');
    }
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.encryptionKey = props.encryptionKey ?? createKey(this, 'Key', {
      description: `Encrypts the objects of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.accessLogsBucket = props.accessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogs', production);

    const lifecycleRules: s3.LifecycleRule[] = [
      { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      { id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(noncurrentDays), noncurrentVersionsToRetain: 3 },
      { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
    ];
    if (props.intelligentTiering) {
      lifecycleRules.push({
        id: 'IntelligentTiering',
        transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(0) }],
      });
    }

    this.bucket = new s3.Bucket(this, 'Resource', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      lifecycleRules,
      cors: origins.length === 0 ? undefined : [{
        allowedOrigins: origins,
        allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.POST, s3.HttpMethods.HEAD],
        allowedHeaders: ['*'],
        exposedHeaders: ['ETag'],
        maxAge: 3000,
      }],
      replicationRules: props.replicationDestination ? [{
        // Imported views: aws-cdk-lib would otherwise edit the DR bucket's and key's policies,
        // making the DR stack depend on this one (a cycle). Same account: IAM grants suffice.
        destination: s3.Bucket.fromBucketAttributes(this, 'ReplicaBucket', {
          bucketArn: props.replicationDestination.bucketArn,
          bucketName: props.replicationDestination.bucketName,
        }),
        kmsKey: kms.Key.fromKeyArn(this, 'ReplicaKey', props.replicationKey!.keyArn),
        sseKmsEncryptedObjects: true,
        deleteMarkerReplication: true,
        priority: 1,
      }] : undefined,
      removalPolicy,
      // Development buckets are emptied and deleted with the stack (an aws-cdk-lib custom resource).
      autoDeleteObjects: !production,
    });
    this.enableAccessLogs();
    sendEventsToEventBridge(this.bucket);
    acknowledgeControlTower(this.bucket, 's3_bucket_object_lock_enabled_check',
      'User content must stay deletable: erasure requests, and lifecycle expiry of noncurrent versions. Versioning (3 noncurrent versions kept 30 days) and the DR replica recover deleted or overwritten objects.');
    if (props.isReplica) {
      acknowledgeCompliance(this.bucket, 'S3BucketReplicationEnabled',
        'This bucket is itself the DR-region replica of a blob bucket: replicating it again would copy the copy.');
    }
    const role = this.bucket.node.tryFindChild('ReplicationRole');
    if (role) acknowledgeInlinePolicy(role, 'S3 replication role of this bucket');
    if (props.replicationDestination) this.acknowledgeReplicationFindings(props.replicationDestination);
    if (!props.replicationDestination && !props.isReplica && production) {
      Annotations.of(this).addWarningV2('cdk-db-playbook:noBlobReplica',
        'BlobBucket has no replicationDestination: its objects have no copy outside this region.');
    }
  }

  /**
   * Server access logs, granted to S3 log delivery by the log bucket's policy (not the legacy
   * LogDeliveryWrite ACL aws-cdk-lib uses unless the app sets a feature flag).
   */
  private enableAccessLogs(): void {
    const prefix = `${this.node.id}/`;
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix: prefix,
    };
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `S3ServerAccessLogs${this.node.addr.slice(0, 8)}`,
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [this.accessLogsBucket.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      },
    }));
  }

  /**
   * The replication role aws-cdk-lib creates reads every object version of this bucket and
   * writes every key of the replica: object-level wildcards are the point of replication.
   */
  private acknowledgeReplicationFindings(destination: s3.IBucket): void {
    const role = this.bucket.node.tryFindChild('ReplicationRole');
    if (!role) return;
    const stack = Stack.of(this);
    const source = `<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
    const findings: Record<string, string> = {
      [`Resource::${source}`]: 'S3 replication reads every object version of the source bucket (bucket/*).',
      [`Resource::${nagResource(stack, destination.bucketArn)}/*`]: 'S3 replication writes every replicated key into the DR replica bucket (bucket/*).',
      'Action::kms:GenerateDataKey*': 'Replicas are re-encrypted with the DR key: S3 replication needs GenerateDataKey on it (aws-cdk-lib grant).',
      'Action::kms:ReEncrypt*': 'Replicas are re-encrypted with the DR key: S3 replication needs ReEncrypt on it (aws-cdk-lib grant).',
    };
    for (const [finding, reason] of Object.entries(findings)) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }

  /** Grants reading objects (and decrypting them). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee);
  }

  /** Grants reading, writing and deleting objects. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantReadWrite(grantee);
  }

  /** Grants writing objects only (for presigned-URL issuers and upload handlers). */
  public grantPut(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantPut(grantee);
  }

}
