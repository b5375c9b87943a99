import { ArnFormat, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeControlTower } from './nag';

const GRANTED = new WeakSet<kms.IKey>();

/**
 * Lets CloudWatch Logs of this region encrypt with `key` the log groups of the app that name it as
 * their key, and no other log group of the account: the key policy's condition on the encryption
 * context CloudWatch Logs sends (`kms:EncryptionContext:aws:logs:arn`, the log group's ARN) lists
 * them, found when the template is written (a log group created later in the same app counts, one
 * of another stack of the app too: the DR replica's flow logs use the DR key).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function grantLogsEncryption(key: kms.IKey, scope: IConstruct): void {
  // Once per key: a second identical statement would repeat its Sid.
  if (GRANTED.has(key)) return;
  GRANTED.add(key);
  const stack = Stack.of(scope);
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'CloudWatchLogsEncryption',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Lazy.list({ produce: () => logGroupArns(key, stack) }) } },
  }));
}

/**
 * The ARNs (or ARN patterns) of the log groups of the app whose key is `key`. A log group the
 * template names is its ARN; one it does not is named by CloudFormation `<stack name>-<logical
 * id>-<random suffix>` (the shape of every generated physical name), so the pattern of its stack
 * name and logical ID covers it and no other: no log group has to be named, and none replaced, to
 * narrow the key.
 */
function logGroupArns(key: kms.IKey, keyStack: Stack): string[] {
  const arn = (name: string) => keyStack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const out: string[] = [];
  for (const c of key.node.root.node.findAll()) {
    if (!(c instanceof logs.CfnLogGroup) || c.kmsKeyId !== key.keyArn) continue;
    const groupStack = Stack.of(c);
    const where = c.node.id === 'Resource' && c.node.scope ? c.node.scope.node.path : c.node.path;
    const name = groupStack.resolve(c.logGroupName) as unknown;
    if (typeof name === 'string') {
      out.push(arn(name));
      continue;
    }
    if (name !== undefined && groupStack !== keyStack) {
      throw new Error(`${where}: a log group encrypted with ${key.node.path} of another stack needs a literal logGroupName (the key policy names it)`);
    }
    if (name !== undefined) {
      out.push(arn(c.logGroupName!));
      continue;
    }
    const logicalId = groupStack.resolve(c.logicalId) as string;
    if (Token.isUnresolved(groupStack.stackName)) {
      throw new Error(`${where}: a log group encrypted with ${key.node.path} needs a logGroupName in a stack whose name is not known at synth`);
    }
    out.push(arn(`${groupStack.stackName}-${logicalId}-*`));
  }
  // No log group uses the key (yet): a value no log group ARN can match (names have no parentheses).
  return out.length > 0 ? out.sort() : [arn('(none)')];
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
