import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeCompliance, acknowledgeControlTower } from './nag';
import { Construct } from 'constructs';

/**
 * A bucket for S3 server access logs: private, TLS only, SSE-S3 (log delivery cannot write to
 * SSE-KMS buckets), logs expired after a year (30 days in development, where the bucket is
 * emptied and deleted with the stack), object events sent to EventBridge.
 */
export function createAccessLogsBucket(scope: Construct, id: string, production: boolean): s3.Bucket {
  const logs = new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    // ACLs off: BlobBucket grants log delivery through this bucket's policy.
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    lifecycleRules: [
      { id: 'ExpireLogs', expiration: Duration.days(production ? 365 : 30), noncurrentVersionExpiration: Duration.days(7) },
      { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
    removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: !production,
  });
  sendEventsToEventBridge(logs);
  acknowledgeCompliance(logs, 'S3BucketReplicationEnabled',
    'Server access logs of the blob buckets: an audit trail of this region, kept 1 year; the objects themselves are replicated.');
  acknowledgeCompliance(logs, 'S3DefaultEncryptionKMS',
    'S3 server access log delivery writes only to SSE-S3 (AES-256) buckets, not SSE-KMS.');
  acknowledgeControlTower(logs, 's3_bucket_default_encryption_kms_check',
    'S3 server access log delivery cannot write to a bucket with SSE-KMS default encryption: SSE-S3 (AES-256) it is.');
  acknowledgeControlTower(logs, 's3_bucket_object_lock_enabled_check',
    'S3 server access log delivery cannot write to a bucket with Object Lock enabled; the logs expire by lifecycle instead.');
  acknowledgeControlTower(logs, 's3_bucket_logging_enabled_check',
    'This is the access-log bucket: logging its own requests into another bucket would need a third one, and so on.');
  return logs;
}

/**
 * Turns on the bucket's event notifications to EventBridge's default bus (free: AWS service
 * events), what a scanner or a thumbnailer subscribes to, and what AWS Control Tower's
 * CT.S3.PR.4 asks for. Written on the bucket resource itself: aws-cdk-lib's `eventBridgeEnabled`
 * sets it through a custom resource (a Lambda function outside the VPC), which CloudFormation
 * and Control Tower do not see as the bucket's configuration.
 */
export function sendEventsToEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
}
