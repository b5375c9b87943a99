import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeControlTower } from './nag';

const GRANTED = new WeakSet<kms.IKey>();

/**
 * Lets CloudWatch Logs of this region encrypt log groups with `key` (a log group's KMS key needs
 * the logs service in its key policy).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function grantLogsEncryption(key: kms.IKey, scope: IConstruct): void {
  // Once per key: a second identical statement would repeat its Sid.
  if (GRANTED.has(key)) return;
  GRANTED.add(key);
  const region = Stack.of(scope).region;
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'CloudWatchLogsEncryption',
    principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
  }));
}

/**
 * A log group of this library (a function's, the VPC's flow logs, the cache's slow log),
 * encrypted with `encryptionKey`. Production keeps it a year (AWS Control Tower's
 * CT.CLOUDWATCH.PR.2 minimum) and retains it with the stack's data; development keeps it a week
 * and destroys it with the stack.
 */
export function platformLogGroup(scope: Construct, id: string, opts: { production: boolean; encryptionKey: kms.IKey }): logs.LogGroup {
  grantLogsEncryption(opts.encryptionKey, scope);
  const group = new logs.LogGroup(scope, id, {
    encryptionKey: opts.encryptionKey,
    retention: opts.production ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_WEEK,
    removalPolicy: opts.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  if (!opts.production) {
    acknowledgeControlTower(group, 'cloudwatch_log_group_retention_period_check',
      'Development profile: a throw-away environment destroyed with the stack; its logs are kept a week, not a year.');
  }
  return group;
}
