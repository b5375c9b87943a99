/**
 * Who may use what the platform opens up, besides its own roles: the VPC endpoints of the isolated
 * subnets (this account's principals to this account's resources, plus CloudFormation's answer
 * bucket), and CloudWatch Logs' use of the keys (the log groups of the app encrypted with each key).
 * test/fidelity/iam-simulation.ts runs the same policies through AWS's evaluation logic.
 */
import { App, Aws, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DataPlatform, DisasterRecoveryStack } from '../lib';
import { grantLogsEncryption, platformLogGroup } from '../lib/private/logs';
import { endpointServices, postgresMetricsCalls, restoreValidatorCalls, secretRotationCalls } from '../shared/aws-calls';

const ACCOUNT = '111122223333';

interface Statement { Sid?: string; Effect: string; Principal: unknown; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }

/** The policy statements of each VPC endpoint of the template, by service (`com.amazonaws.<region>.<service>`). */
function endpointPolicies(stack: Stack): Record<string, Statement[] | undefined> {
  const out: Record<string, Statement[] | undefined> = {};
  for (const e of Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint'))) {
    // `com.amazonaws.<region>.<service>`: a literal, or a join ending in `.<service>`.
    const name = e.Properties.ServiceName;
    const last = typeof name === 'string' ? name : String((name['Fn::Join'][1] as unknown[]).at(-1));
    out[last.slice(last.lastIndexOf('.') + 1)] = e.Properties.PolicyDocument?.Statement;
  }
  return out;
}

/** The ARNs CloudWatch Logs may use a key for (the key policy's encryption-context condition). */
function logsArns(stack: Stack, key: kms.Key): string[] {
  const policy = stack.resolve((key.node.defaultChild as kms.CfnKey).keyPolicy) as { Statement: Statement[] };
  const statement = policy.Statement.find((s) => s.Sid === 'CloudWatchLogsEncryption');
  expect(statement).toBeDefined();
  return [statement!.Condition!.ArnLike['kms:EncryptionContext:aws:logs:arn']].flat().map((a) => JSON.stringify(a));
}

describe('the VPC endpoints of the VPC DataPlatform creates', () => {
  const app = new App();
  const dr = new DisasterRecoveryStack(app, 'Dr', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const stack = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: 'us-east-1' }, crossRegionReferences: true });
  new DataPlatform(stack, 'Data', { disasterRecovery: dr.target });
  const policies = endpointPolicies(stack);

  test('each endpoint, S3\'s gateway included, passes this account\'s principals to this account\'s resources only', () => {
    const services = endpointServices([...secretRotationCalls('us-east-1'), ...postgresMetricsCalls('us-east-1'), ...restoreValidatorCalls('us-east-1')]);
    expect(Object.keys(policies).sort()).toEqual([...services, 's3'].sort());
    for (const [service, statements] of Object.entries(policies)) {
      expect(statements).toContainEqual({
        Sid: 'ThisAccountOnly', Effect: 'Allow', Principal: '*', Action: `${service}:*`, Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT, 'aws:ResourceAccount': ACCOUNT } },
      });
      // Nothing else is open to another account's principal.
      for (const s of statements!) {
        if (s.Sid === 'CloudFormationCustomResourceResponses') continue;
        expect(s.Condition?.StringEquals?.['aws:PrincipalAccount']).toBe(ACCOUNT);
      }
    }
  });

  test('the tables\' wildcard-only calls (no resource, so maybe no resource account) pass from this account\'s principals', () => {
    const wildcardOnly = (service: string) => (policies[service] ?? []).filter((s) => s.Sid === 'ThisAccountCallsWithoutResource')
      .flatMap((s) => [s.Action].flat());
    expect(wildcardOnly('secretsmanager')).toEqual(['secretsmanager:GetRandomPassword']);
    expect(wildcardOnly('backup')).toEqual(['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult']);
    expect(wildcardOnly('rds')).toEqual([]);
    expect(wildcardOnly('s3')).toEqual([]);
  });

  test('S3\'s gateway lets a PUT into CloudFormation\'s custom-resource answer bucket of the region through (the roles provider\'s answer), nothing else of AWS\'s', () => {
    const others = policies.s3!.filter((s) => s.Sid !== 'ThisAccountOnly');
    expect(others.map((s) => ({ ...s, Resource: stack.resolve(s.Resource) }))).toEqual([{
      Sid: 'CloudFormationCustomResourceResponses', Effect: 'Allow', Principal: '*', Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cloudformation-custom-resource-response-useast1/*']] },
    }]);
  });

  test('an environment-agnostic stack names the answer bucket from its region at deploy time (us-east-1: useast1)', () => {
    const agnostic = new Stack(new App(), 'Agnostic');
    new DataPlatform(agnostic, 'Data');
    const s3 = endpointPolicies(agnostic).s3!.find((s) => s.Sid === 'CloudFormationCustomResourceResponses')!;
    expect(JSON.stringify(agnostic.resolve(s3.Resource))).toContain('":s3:::cloudformation-custom-resource-response-",{"Fn::Join":["",{"Fn::Split":["-",{"Ref":"AWS::Region"}]}]},"/*"');
    expect(endpointPolicies(agnostic).secretsmanager![0].Condition).toEqual({
      StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' }, 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });
});

describe('CloudWatch Logs and the keys of the log groups', () => {
  test('may use a key for the log groups of the app encrypted with it: by name, or by the name CloudFormation generates (stack name, logical ID)', () => {
    const app = new App();
    const stack = new Stack(app, 'Logs', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Key');
    platformLogGroup(stack, 'FunctionLogs', { production: true, encryptionKey: key });
    new logs.LogGroup(stack, 'Named', { logGroupName: '/app/named', encryptionKey: key });
    // Another stack of the app (the DR replica's flow logs use the DR stack's key).
    const other = new Stack(app, 'Other', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const otherGroup = new logs.LogGroup(other, 'OtherLogs', { encryptionKey: key });
    // Not this key's.
    new logs.LogGroup(stack, 'Unencrypted');
    new logs.LogGroup(stack, 'OtherKey', { encryptionKey: new kms.Key(stack, 'OtherKeyKey') });

    const functionLogs = stack.getLogicalId(stack.node.findChild('FunctionLogs').node.defaultChild as logs.CfnLogGroup);
    const otherLogs = other.getLogicalId(otherGroup.node.defaultChild as logs.CfnLogGroup);
    const arn = (name: string) => JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:${ACCOUNT}:log-group:${name}`]] });
    expect(logsArns(stack, key)).toEqual([arn('/app/named'), arn(`Logs-${functionLogs}-*`), arn(`Other-${otherLogs}-*`)].sort());
    expect(logsArns(stack, key).join()).not.toContain('log-group:*');
  });

  test('a key no log group uses yet is open to none (a name no log group can have)', () => {
    const stack = new Stack(new App(), 'Logs', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Key');
    grantLogsEncryption(key, stack);
    expect(logsArns(stack, key)).toEqual([JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:${ACCOUNT}:log-group:(none)`]] })]);
  });

  test('the platform\'s keys: the database key for the functions\' log groups, the flow-log key for the flow logs', () => {
    const stack = new Stack(new App(), 'Primary', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const platform = new DataPlatform(stack, 'Data');
    const idOf = (path: string) => stack.getLogicalId(stack.node.findAll().find((c) => c.node.path === `Primary/Data/${path}`)!.node.defaultChild as logs.CfnLogGroup);
    const pattern = (path: string) => JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:${ACCOUNT}:log-group:Primary-${idOf(path)}-*`]] });
    expect(logsArns(stack, platform.database.encryptionKey as kms.Key)).toEqual([
      pattern('Database/RolesProvider/Logs'), pattern('PostgresMetrics/Logs'),
    ].sort());
    const flowLogsKey = stack.node.findAll().find((c) => c.node.path === 'Primary/Data/FlowLogsKey') as kms.Key;
    expect(logsArns(stack, flowLogsKey)).toEqual([pattern('FlowLogs')]);
  });

  test('fails when a log group of another stack has a name resolved only at deploy time', () => {
    const app = new App();
    const stack = new Stack(app, 'Keys', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Key');
    grantLogsEncryption(key, stack);
    const other = new Stack(app, 'Other', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new logs.LogGroup(other, 'Logs', { logGroupName: `logs-${Aws.ACCOUNT_ID}`, encryptionKey: key });
    expect(() => app.synth()).toThrow(/Other\/Logs: a log group encrypted with Keys\/Key of another stack needs a literal logGroupName/);
  });
});
