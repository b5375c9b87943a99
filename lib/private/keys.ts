import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * A customer managed key of this library: `props`, plus the key-policy statement AWS Control
 * Tower's CT.KMS.PR.3 asks for. It denies kms:CreateGrant to every principal unless the grant is
 * for an AWS resource or the caller is an AWS service: RDS, AWS Backup, ElastiCache, Secrets
 * Manager and CloudWatch Logs create their grants that way (kms:GrantIsForAWSResource), and
 * nothing of this library creates a grant itself.
 * @see https://docs.aws.amazon.com/controltower/latest/controlreference/kms-rules.html
 */
export function createKey(scope: Construct, id: string, props: kms.KeyProps): kms.Key {
  const key = new kms.Key(scope, id, props);
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  return key;
}
