import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlobBucket, BlobBucketProps, Profile } from '../../lib';

function build(props: BlobBucketProps = {}) {
  const stack = new Stack(new App(), 'Blobs', { env: { region: 'us-east-1' } });
  const blob = new BlobBucket(stack, 'Uploads', props);
  return { stack, blob, get template() { return Template.fromStack(stack); } };
}

const id = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('BlobBucket defaults', () => {
  const { template, stack, blob } = build({ corsAllowedOrigins: ['https://app.example.com'] });
  const bucket = template.findResources('AWS::S3::Bucket')[id(stack, blob.bucket)];

  test('blocks all public access and disables ACLs', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  test('encrypts with SSE-KMS and a bucket key under a rotating key', () => {
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [id(stack, blob.encryptionKey as kms.Key), 'Arn'] } },
    }]);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('is versioned and retained in production', () => {
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('refuses requests without TLS 1.2', () => {
    const statements = Object.values(template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: id(stack, blob.bucket) } },
    }))[0].Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    ]));
  });

  test('logs access to a separate private log bucket through its policy', () => {
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: id(stack, blob.accessLogsBucket as s3.Bucket) }, LogFilePrefix: 'Uploads/',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id(stack, blob.accessLogsBucket as s3.Bucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
    });
    const logBucket = template.findResources('AWS::S3::Bucket')[id(stack, blob.accessLogsBucket as s3.Bucket)];
    expect(logBucket.Properties.AccessControl).toBeUndefined();
    expect(logBucket.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
  });

  test('lifecycle: aborts incomplete uploads after 7 days, keeps 3 noncurrent versions for 30 days, removes expired delete markers', () => {
    const rules = Object.fromEntries(bucket.Properties.LifecycleConfiguration.Rules.map((r: { Id: string }) => [r.Id, r]));
    expect(rules.AbortIncompleteUploads.AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 7 });
    expect(rules.ExpireNoncurrentVersions.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 30, NewerNoncurrentVersions: 3 });
    expect(rules.RemoveExpiredDeleteMarkers.ExpiredObjectDeleteMarker).toBe(true);
    expect(rules.IntelligentTiering).toBeUndefined();
  });

  test('CORS for presigned browser uploads from the given origins only', () => {
    expect(bucket.Properties.CorsConfiguration.CorsRules).toEqual([{
      AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposedHeaders: ['ETag'], MaxAge: 3000,
    }]);
  });
});

describe('BlobBucket options', () => {
  test('no CORS without origins; Intelligent-Tiering on request', () => {
    const { template, stack, blob } = build({ intelligentTiering: true });
    const bucket = template.findResources('AWS::S3::Bucket')[id(stack, blob.bucket)];
    expect(bucket.Properties.CorsConfiguration).toBeUndefined();
    const tiering = bucket.Properties.LifecycleConfiguration.Rules.find((r: { Id: string }) => r.Id === 'IntelligentTiering');
    expect(tiering.Transitions).toEqual([{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 }]);
  });

  test('replicates to a DR bucket with the DR key', () => {
    const { template, stack, blob } = build({
      replicationDestination: s3.Bucket.fromBucketName(new Stack(new App(), 'X'), 'Dr', 'dr-replica'),
      replicationKey: kms.Key.fromKeyArn(new Stack(new App(), 'Y'), 'K', 'arn:aws:kms:us-west-2:111122223333:key/abcd'),
    });
    const bucket = template.findResources('AWS::S3::Bucket')[id(stack, blob.bucket)];
    expect(bucket.Properties.ReplicationConfiguration.Rules).toEqual([expect.objectContaining({
      Status: 'Enabled',
      Destination: expect.objectContaining({
        Bucket: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':s3:::dr-replica'])] }),
        EncryptionConfiguration: { ReplicaKmsKeyID: 'arn:aws:kms:us-west-2:111122223333:key/abcd' },
      }),
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
      DeleteMarkerReplication: { Status: 'Enabled' },
    })]);
  });

  test('grants: read, read/write, put', () => {
    const { stack, blob } = build();
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });
    blob.grantRead(reader);
    blob.grantPut(uploader);
    const template = Template.fromStack(stack);
    const actionsOf = (role: iam.Role) => Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id(stack, role) }] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actionsOf(reader)).toEqual(expect.arrayContaining(['s3:GetObject*', 'kms:Decrypt']));
    expect(actionsOf(reader)).not.toContain('s3:PutObject');
    expect(actionsOf(uploader)).toEqual(expect.arrayContaining(['s3:PutObject']));
    expect(actionsOf(uploader)).not.toContain('s3:GetObject*');
  });

  test('development: destroyed with the stack; wildcard origins allowed', () => {
    const { template, stack, blob } = build({ profile: Profile.DEVELOPMENT, corsAllowedOrigins: ['http://localhost:*'] });
    expect(template.findResources('AWS::S3::Bucket')[id(stack, blob.bucket)].DeletionPolicy).toBe('Delete');
  });
});

describe('BlobBucket bad input', () => {
  test('fails when a CORS origin is a wildcard in production', () => {
    expect(() => build({ corsAllowedOrigins: ['*'] })).toThrow(/corsAllowedOrigins must name origins in production, not wildcards \(got '\*'\)/);
    expect(() => build({ corsAllowedOrigins: ['https://*.example.com'] })).toThrow(/not wildcards/);
  });

  test('fails when a CORS origin is not an origin', () => {
    expect(() => build({ corsAllowedOrigins: ['app.example.com/upload'] })).toThrow(/corsAllowedOrigins must be origins such as/);
  });

  test('fails when replicationDestination has no replicationKey', () => {
    expect(() => build({ replicationDestination: s3.Bucket.fromBucketName(new Stack(new App(), 'X'), 'Dr', 'dr-replica') }))
      .toThrow(/replicationKey is required with replicationDestination/);
  });

  test('fails when noncurrentVersionExpirationDays is out of range', () => {
    expect(() => build({ noncurrentVersionExpirationDays: 0 })).toThrow(/noncurrentVersionExpirationDays must be an integer from 1 to 3650 \(got 0\)/);
  });
});
