import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeCompliance } from './nag';
import { Construct } from 'constructs';

/**
 * A bucket for S3 server access logs: private, TLS only, SSE-S3 (log delivery cannot write to
 * SSE-KMS buckets), logs expired after a year (30 days in development).
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
  });
  acknowledgeCompliance(logs, 'S3BucketReplicationEnabled',
    'Server access logs of the blob buckets: an audit trail of this region, kept 1 year; the objects themselves are replicated.');
  acknowledgeCompliance(logs, 'S3DefaultEncryptionKMS',
    'S3 server access log delivery writes only to SSE-S3 (AES-256) buckets, not SSE-KMS.');
  return logs;
}
