import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createKey } from '../private/keys';

/** How an encrypted topic of the library is made. */
export interface EncryptedTopicOptions {
  readonly keyDescription: string;
  readonly displayName: string;
  readonly keyRemovalPolicy: RemovalPolicy;
  /** Let CloudWatch alarms of this account and region publish (they need the key). */
  readonly cloudWatchAlarms: boolean;
}

/**
 * A KMS-encrypted SNS topic (`Topic`, its key `TopicKey`, children of `scope`) that the AWS services
 * sending to it may use, each for this account's resources of this region only: CloudWatch for
 * its alarms when asked, RDS (`events.rds.amazonaws.com`) for its event notifications always.
 */
export function createEncryptedTopic(scope: Construct, options: EncryptedTopicOptions): { topic: sns.Topic; key: kms.Key } {
  const key = createKey(scope, 'TopicKey', {
    description: options.keyDescription,
    enableKeyRotation: true,
    removalPolicy: options.keyRemovalPolicy,
  });
  const stack = Stack.of(scope);
  if (options.cloudWatchAlarms) {
    // CloudWatch publishes to the encrypted topic: it needs the key, for this account's alarms
    // of this region only (aws:SourceAccount, aws:SourceArn: the confused-deputy guard AWS
    // documents for service principals), not for another account's alarm that names the topic.
    // @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }));
  }
  const topic = new sns.Topic(scope, 'Topic', { displayName: options.displayName, masterKey: key, enforceSSL: true });
  grantRdsEvents(topic, key);
  return { topic, key };
}

/**
 * The conditions of RDS's grants: events of this account's RDS resources of this region (the
 * instances, parameter groups and snapshots an event names, and the subscriptions: `rds:*`).
 */
function rdsEventConditions(scope: Construct): Record<string, Record<string, string>> {
  const stack = Stack.of(scope);
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'rds', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
  };
}

/**
 * Lets RDS event notifications reach `topic`: the topic policy allows `events.rds.amazonaws.com`
 * to publish and, the topic being encrypted, the key policy allows it the key. The topic's own
 * policy replaces SNS's default one (which lets the account's RDS resources publish), so the
 * statement is needed. Both for this account's RDS resources of this region only.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.GrantingPermissions.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export function grantRdsEvents(topic: sns.Topic, key: kms.IKey): void {
  const conditions = rdsEventConditions(topic);
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'RdsEventsOfThisAccount',
    principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions,
  }));
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'RdsEventsOfThisAccount',
    principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions,
  }));
}
