/**
 * Every AWS call of every caller's table (shared/aws-calls.ts), simulated against what the
 * synthesized templates grant: the caller's role policies and the policy of the resource the call
 * acts on (the KMS key policy, the secret's and the vault's resource policies), by AWS's
 * evaluation logic and its Service Authorization Reference (@cloud-copilot/iam-simulate and
 * iam-data; the simulator is AGPL and a devDependency only). An implicit deny fails the test.
 *
 * The ARNs a call acts on are found in the templates the way AWS finds them (the secret a function
 * reads is the one its environment names; the key Secrets Manager decrypts with is the secret's
 * KmsKeyId; the vaults and keys of a copy are the plan's and the DR vault's), not taken from the
 * constructs' own bindings, so a grant on the wrong resource is denied here.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Stack } from 'aws-cdk-lib';
import { PostgresMetrics, RestoreTesting } from '../../lib';
import { RolesProvider } from '../../lib/database/roles/roles-provider';
import {
  AwsCall, backupServiceCalls, cloudWatchLogsKeyCalls, databaseRolesProviderCalls, postgresMetricsCalls, restoreTestingServiceCalls, restoreValidatorCalls,
  secretRotationCalls,
} from '../../shared/aws-calls';
import { CLI_COMMANDS, CLI_RESOURCES, actionsOf, cliCallTables } from '../../shared/calls-cli';
import { SynthesizedApp, synthesizedApps } from '../support/synthesized-apps';
import type { StackTemplate } from '../support/template-resolver';

type Policy = { Version?: string; Statement: unknown[] };

/** One caller: its role, the stack it lives in, its calls and the ARN each resource name stands for. */
interface Caller {
  readonly name: string;
  readonly stack: StackTemplate;
  readonly roleId: string;
  readonly calls: AwsCall[];
  readonly arns: Record<string, string>;
  /** A function's: the policy of each VPC endpoint of its VPC, by service (its calls with that `endpoint` pass it). */
  readonly vpcEndpoints?: Record<string, Policy>;
}

/** The policy AWS gives an endpoint created without one: full access. */
const FULL_ACCESS: Policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };

/** The ARN a resource resolves to, and its resource policy, for every resource of the app. */
class Resources {
  private readonly byArn = new Map<string, { stack: StackTemplate; id: string; type: string }>();

  constructor(private readonly app: SynthesizedApp) {
    for (const stack of app.templates) {
      for (const [id, r] of Object.entries(stack.template.Resources)) {
        const arn = r.Type === 'AWS::SecretsManager::Secret' ? this.resolve(stack, { Ref: id })
          : r.Type === 'AWS::KMS::Key' ? this.resolve(stack, { 'Fn::GetAtt': [id, 'Arn'] })
            : r.Type === 'AWS::Backup::BackupVault' ? this.resolve(stack, { 'Fn::GetAtt': [id, 'BackupVaultArn'] }) : undefined;
        if (arn) this.byArn.set(String(arn), { stack, id, type: r.Type });
      }
    }
  }

  public resolve(stack: StackTemplate, value: unknown): unknown {
    return this.app.resolver.resolve(stack, value);
  }

  public props(stack: StackTemplate, id: string): Record<string, unknown> {
    return (stack.template.Resources[id].Properties ?? {}) as Record<string, unknown>;
  }

  /** A resource's property, resolved. */
  public prop(stack: StackTemplate, id: string, name: string): string {
    return String(this.resolve(stack, this.props(stack, id)[name]));
  }

  /** The resource a template ARN names, anywhere in the app. */
  public find(arn: string) {
    const found = this.byArn.get(arn);
    if (!found) throw new Error(`no resource of the app has the ARN ${arn}`);
    return found;
  }

  /** The resource policy AWS evaluates with a call on `arn`, if the resource has one. */
  public resourcePolicy(arn: string): Policy | undefined {
    const found = this.byArn.get(arn);
    if (!found) return undefined;
    const { stack, id, type } = found;
    if (type === 'AWS::KMS::Key') return this.resolve(stack, this.props(stack, id).KeyPolicy) as Policy;
    if (type === 'AWS::Backup::BackupVault') {
      const access = this.props(stack, id).AccessPolicy;
      return access === undefined ? undefined : this.resolve(stack, access) as Policy;
    }
    // A secret's policy is a resource of its own.
    for (const [, r] of Object.entries(stack.template.Resources)) {
      if (r.Type === 'AWS::SecretsManager::ResourcePolicy' && this.resolve(stack, r.Properties?.SecretId) === arn) {
        return this.resolve(stack, r.Properties?.ResourcePolicy) as Policy;
      }
    }
    return undefined;
  }

  /**
   * The policy of each VPC endpoint in `vpcId` (a resolved VPC id), by service (`secretsmanager`,
   * `s3`, ...): the template's, or AWS's default (full access) for an endpoint created without one.
   */
  public vpcEndpoints(stack: StackTemplate, vpcId: string): Record<string, Policy> {
    const out: Record<string, Policy> = {};
    for (const r of Object.values(stack.template.Resources)) {
      if (r.Type !== 'AWS::EC2::VPCEndpoint' || this.resolve(stack, r.Properties?.VpcId) !== vpcId) continue;
      const service = String(this.resolve(stack, r.Properties?.ServiceName)).split('.').pop()!;
      out[service] = r.Properties?.PolicyDocument === undefined ? FULL_ACCESS : this.resolve(stack, r.Properties.PolicyDocument) as Policy;
    }
    return out;
  }

  /** The VPC endpoints of the VPC a function runs in (its subnets'), by service. */
  public functionVpcEndpoints(stack: StackTemplate, fnId: string): Record<string, Policy> {
    const vpcConfig = this.props(stack, fnId).VpcConfig as { SubnetIds: unknown } | undefined;
    if (!vpcConfig) return {};
    const subnets = this.resolve(stack, vpcConfig.SubnetIds) as string[];
    const subnetId = Object.keys(stack.template.Resources).find((id) => stack.template.Resources[id].Type === 'AWS::EC2::Subnet'
      && this.resolve(stack, { Ref: id }) === subnets[0]);
    if (!subnetId) return {};
    return this.vpcEndpoints(stack, String(this.resolve(stack, this.props(stack, subnetId).VpcId)));
  }

  /** The role's identity policies: its inline policies and every AWS::IAM::Policy/ManagedPolicy attached to it. */
  public identityPolicies(stack: StackTemplate, roleId: string): Array<{ name: string; policy: Policy }> {
    const out: Array<{ name: string; policy: Policy }> = [];
    const role = this.props(stack, roleId);
    for (const [i, inline] of ((role.Policies ?? []) as Array<{ PolicyDocument: unknown }>).entries()) {
      out.push({ name: `${roleId}-inline-${i}`, policy: this.resolve(stack, inline.PolicyDocument) as Policy });
    }
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (r.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
      if (roles.some((ref) => ref.Ref === roleId)) out.push({ name: id, policy: this.resolve(stack, r.Properties?.PolicyDocument) as Policy });
    }
    return out;
  }
}

const logicalId = (construct: { node: { defaultChild?: unknown } }) => Stack.of(construct as never).getLogicalId(construct.node.defaultChild as never);

/** The functions of the app that have a table, and AWS Backup's role of each backup selection. */
function callers(app: SynthesizedApp, resources: Resources): Caller[] {
  const out: Caller[] = [];
  const templateOf = (stack: Stack) => app.resolver.stack(stack.stackName);
  const functionCaller = (name: string, fn: RestoreTesting['validator'], calls: AwsCall[], extra: Record<string, string>): Caller => {
    const stack = templateOf(Stack.of(fn));
    const fnId = logicalId(fn);
    const secretArn = String(resources.resolve(stack, (resources.props(stack, fnId).Environment as { Variables: Record<string, unknown> }).Variables.SECRET_ARN));
    const secret = resources.find(secretArn);
    const roleArn = resources.prop(stack, fnId, 'Role');
    const roleId = Object.keys(stack.template.Resources).find((id) => stack.template.Resources[id].Type === 'AWS::IAM::Role'
      && resources.resolve(stack, { 'Fn::GetAtt': [id, 'Arn'] }) === roleArn)!;
    return {
      name, stack, roleId, calls,
      arns: { databaseSecret: secretArn, databaseKey: resources.prop(secret.stack, secret.id, 'KmsKeyId'), ...extra },
      vpcEndpoints: resources.functionVpcEndpoints(stack, fnId),
    };
  };
  /**
   * The roles provider: the master secret (MASTER_SECRET_ARN) and every role secret of its
   * database; the table's `roleSecrets` is checked once per secret.
   */
  const providerCaller = (provider: RolesProvider, region: string): Caller => {
    const stack = templateOf(Stack.of(provider));
    const fnId = logicalId(provider.function);
    const vars = (resources.props(stack, fnId).Environment as { Variables: Record<string, unknown> }).Variables;
    const masterArn = String(resources.resolve(stack, vars.MASTER_SECRET_ARN));
    const master = resources.find(masterArn);
    const roleSecretArns = Object.entries(stack.template.Resources)
      .filter(([, r]) => r.Type === 'Custom::PostgresRole')
      .map(([id]) => String(resources.resolve(stack, resources.props(stack, id).Spec)))
      .map((spec) => (JSON.parse(spec) as { secretArn?: string }).secretArn)
      .filter((arn): arn is string => arn !== undefined);
    const roleArn = resources.prop(stack, fnId, 'Role');
    const roleId = Object.keys(stack.template.Resources).find((id) => stack.template.Resources[id].Type === 'AWS::IAM::Role'
      && resources.resolve(stack, { 'Fn::GetAtt': [id, 'Arn'] }) === roleArn)!;
    const table = databaseRolesProviderCalls(region);
    const calls = [
      ...table.filter((c) => c.resource !== 'roleSecrets'),
      ...roleSecretArns.flatMap((_, i) => table.filter((c) => c.resource === 'roleSecrets').map((c) => ({ ...c, resource: `roleSecret${i}` }))),
    ];
    return {
      name: `${provider.node.path} (roles provider)`, stack, roleId, calls,
      vpcEndpoints: resources.functionVpcEndpoints(stack, fnId),
      arns: {
        masterSecret: masterArn,
        databaseKey: resources.prop(master.stack, master.id, 'KmsKeyId'),
        ...Object.fromEntries(roleSecretArns.map((arn, i) => [`roleSecret${i}`, arn])),
      },
    };
  };
  for (const s of app.stacks) {
    for (const c of s.node.findAll()) {
      if (c instanceof RestoreTesting) {
        out.push(functionCaller(`${c.node.path} validator`, c.validator, restoreValidatorCalls(s.region), {
          // AWS Backup names the instance it restores for a test; any name in the account and region.
          restoredInstance: `arn:aws:rds:${s.region}:${s.account}:db:awsbackup-restore-test-0123456789`,
        }));
      }
      if (c instanceof PostgresMetrics) out.push(functionCaller(`${c.node.path} collector`, c.collector, postgresMetricsCalls(s.region), {}));
      if (c instanceof RolesProvider) out.push(providerCaller(c, s.region));
    }
  }
  // AWS Backup's role: the one each backup selection names, for the instance it selects and the
  // vaults and keys of its plan's copies.
  for (const stack of app.templates) {
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      if (r.Type !== 'AWS::Backup::BackupSelection') continue;
      const selection = resources.resolve(stack, r.Properties?.BackupSelection) as { IamRoleArn: string; Resources: string[] };
      const planId = (r.Properties?.BackupPlanId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const plan = resources.resolve(stack, resources.props(stack, planId).BackupPlan) as {
        BackupPlanRule: Array<{ TargetBackupVault: string; CopyActions?: Array<{ DestinationBackupVaultArn: string }> }>;
      };
      const vaultName = plan.BackupPlanRule[0].TargetBackupVault;
      const vaultId = Object.keys(stack.template.Resources).find((v) => stack.template.Resources[v].Type === 'AWS::Backup::BackupVault'
        && resources.resolve(stack, { Ref: v }) === vaultName)!;
      const vaultArn = String(resources.resolve(stack, { 'Fn::GetAtt': [vaultId, 'BackupVaultArn'] }));
      const drVaultArn = plan.BackupPlanRule[0].CopyActions![0].DestinationBackupVaultArn;
      const drVault = resources.find(drVaultArn);
      const instanceArn = selection.Resources[0];
      const instanceId = Object.keys(stack.template.Resources).find((i) => stack.template.Resources[i].Type === 'AWS::RDS::DBInstance'
        && resources.resolve(stack, { 'Fn::GetAtt': [i, 'DBInstanceArn'] }) === instanceArn)!;
      const roleId = Object.keys(stack.template.Resources).find((i) => stack.template.Resources[i].Type === 'AWS::IAM::Role'
        && resources.resolve(stack, { 'Fn::GetAtt': [i, 'Arn'] }) === selection.IamRoleArn)!;
      const snapshot = (region: string, name: string) => `arn:aws:rds:${region}:${stack.account}:snapshot:awsbackup:${name}`;
      out.push({
        name: `${stack.stackName}/${id} (AWS Backup's role)`, stack, roleId,
        calls: backupServiceCalls(stack.region, drVault.stack.region),
        arns: {
          database: instanceArn,
          backupSnapshots: snapshot(stack.region, 'job-0123456789abcdef'),
          drBackupSnapshots: snapshot(drVault.stack.region, 'copyjob-0123456789abcdef'),
          vault: vaultArn,
          drVault: drVaultArn,
          databaseKey: resources.prop(stack, instanceId, 'KmsKeyId'),
          vaultKey: resources.prop(stack, vaultId, 'EncryptionKeyArn'),
          drKey: resources.prop(drVault.stack, drVault.id, 'EncryptionKeyArn'),
        },
      });
    }
  }
  // AWS Backup's restore-testing role: the one each restore testing selection names, with the key
  // of the instance it restores.
  for (const stack of app.templates) {
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      if (r.Type !== 'AWS::Backup::RestoreTestingSelection') continue;
      const roleArn = resources.prop(stack, id, 'IamRoleArn');
      const instanceArn = (resources.resolve(stack, r.Properties?.ProtectedResourceArns) as string[])[0];
      const instanceId = Object.keys(stack.template.Resources).find((i) => stack.template.Resources[i].Type === 'AWS::RDS::DBInstance'
        && resources.resolve(stack, { 'Fn::GetAtt': [i, 'DBInstanceArn'] }) === instanceArn)!;
      const roleId = Object.keys(stack.template.Resources).find((i) => stack.template.Resources[i].Type === 'AWS::IAM::Role'
        && resources.resolve(stack, { 'Fn::GetAtt': [i, 'Arn'] }) === roleArn)!;
      out.push({
        name: `${stack.stackName}/${id} (AWS Backup's restore-testing role)`, stack, roleId,
        calls: restoreTestingServiceCalls(stack.region),
        arns: { databaseKey: resources.prop(stack, instanceId, 'KmsKeyId') },
      });
    }
  }
  return out;
}

/** The request context AWS puts on a call of a role session in its own account over TLS, plus the call's own. */
function context(stack: StackTemplate, roleArn: string, call: AwsCall): Record<string, string> {
  return {
    'aws:SecureTransport': 'true',
    'aws:PrincipalAccount': stack.account,
    'aws:PrincipalArn': roleArn,
    'aws:PrincipalIsAWSService': 'false',
    'aws:PrincipalType': 'AssumedRole',
    'kms:CallerAccount': stack.account,
    ...call.context,
  };
}

/** The decision for one call of a role of the app. */
async function simulate(caller: Caller, resources: Resources, call: AwsCall, identityPolicies = resources.identityPolicies(caller.stack, caller.roleId)): Promise<string> {
  return simulateAs(caller, resources, call, identityPolicies, String(resources.resolve(caller.stack, { 'Fn::GetAtt': [caller.roleId, 'Arn'] })));
}

/**
 * The simulator knows variable condition keys of the form `prefix/name` (`aws:RequestTag/<tag>`)
 * but not KMS's `kms:EncryptionContext:<key>`, whose key has colons (CloudWatch Logs':
 * `aws:logs:arn`): it would drop the request's value and deny. Renamed, in the policies and the
 * request alike, to a key of the form it knows, the condition is evaluated as AWS evaluates it.
 */
const SIMULATABLE_CONTEXT_KEY = (key: string) => (/^kms:encryptioncontext:/i.test(key) ? `aws:RequestTag/${key}` : key);
function simulatable<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => simulatable(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [SIMULATABLE_CONTEXT_KEY(k), simulatable(v)])) as T;
}

/** What a simulation may set besides the caller's own: another resource policy, account or request context. */
interface SimulationOverrides {
  /** The resource's policy (a resource outside the app, a key of another policy). */
  readonly resourcePolicy?: Policy;
  /** The account of the resource (an S3 ARN names none: the bucket's owner). */
  readonly resourceAccount?: string;
  /** Request context replacing the role session's (another account's principal). */
  readonly context?: Record<string, string>;
}

/**
 * The decision for one call of the principal `roleArn` holding `identityPolicies`. A call with an
 * `endpoint` passes the policy of that endpoint of the caller's VPC, if it has one. The request
 * carries `aws:ResourceAccount` for a call on a resource; a wildcard-only call (`*`) none, as an
 * action without a resource may not have it.
 */
async function simulateAs(
  caller: Caller, resources: Resources, call: AwsCall, identityPolicies: Array<{ name: string; policy: Policy }>, roleArn: string,
  overrides: SimulationOverrides = {},
): Promise<string> {
  const arn = call.resource === '*' ? '*' : caller.arns[call.resource];
  if (arn === undefined) return `no ARN for ${call.resource}`;
  const account = overrides.resourceAccount ?? (arn.split(':')[4] || caller.stack.account);
  const endpointPolicy = call.endpoint === undefined ? undefined : caller.vpcEndpoints?.[call.endpoint];
  const result = await runSimulation({
    request: {
      principal: roleArn,
      action: call.action,
      resource: { resource: arn, accountId: account },
      contextVariables: simulatable({
        ...(overrides.context ?? context(caller.stack, roleArn, call)),
        ...(arn === '*' ? {} : { 'aws:ResourceAccount': account }),
      }),
    },
    identityPolicies: simulatable(identityPolicies),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulatable(overrides.resourcePolicy ?? resources.resourcePolicy(arn)),
    vpcEndpointPolicies: endpointPolicy ? [{ name: `${call.endpoint} endpoint`, policy: simulatable(endpointPolicy) }] : undefined,
  }, {});
  if (result.resultType === 'error') return `error: ${result.errors.message}`;
  return result.overallResult;
}

const APPS = synthesizedApps().map((app) => ({ app, resources: new Resources(app) }));

const CALLERS = APPS.flatMap(({ app, resources }) => callers(app, resources).map((caller) => ({ app, resources, caller })));

test('the apps deploy every kind of caller with a table', () => {
  const kinds = (suffix: string) => CALLERS.filter((c) => c.caller.name.endsWith(suffix)).map((c) => c.app.name);
  expect(kinds(' validator')).toContain('shipped app, production with the DR replica');
  expect(kinds(' collector')).toContain('shipped app, production with the DR replica');
  expect(kinds('(AWS Backup\'s role)')).toEqual(expect.arrayContaining(['shipped app, production with the DR replica', 'examples/production-dr']));
  expect(kinds('(AWS Backup\'s restore-testing role)')).toEqual(expect.arrayContaining(['shipped app, production with the DR replica', 'examples/production-dr']));
  // The functions of the VPCs DataPlatform creates pass their endpoints' policies.
  const validator = CALLERS.find((c) => c.app.name === 'shipped app, production with the DR replica' && c.caller.name.endsWith(' validator'))!;
  expect(Object.keys(validator.caller.vpcEndpoints ?? {}).sort()).toEqual(['backup', 'rds', 's3', 'secretsmanager']);
});

test.each(CALLERS.map((c) => [c.app.name, c.caller.name, c] as const))('%s: %s: every call of its table is allowed', async (_app, _caller, { resources, caller }) => {
  const denied: string[] = [];
  for (const call of caller.calls) {
    const decision = await simulate(caller, resources, call);
    if (decision !== 'Allowed') denied.push(`${call.action} on ${call.resource} (${caller.arns[call.resource] ?? '*'}): ${decision}`);
  }
  expect(denied).toEqual([]);
});

test('the simulation denies what AWS denies: the validator\'s old grant on restore-job:*, the database key outside Secrets Manager', async () => {
  const { app, resources } = APPS[0];
  const validator = callers(app, resources).find((c) => c.name.endsWith('validator'))!;
  const report = restoreValidatorCalls(validator.stack.region).find((c) => c.action === 'backup:PutRestoreValidationResult')!;
  const old = [{ name: 'old', policy: { Version: '2012-10-17', Statement: [{
    Effect: 'Allow', Action: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'],
    Resource: `arn:aws:backup:${validator.stack.region}:${validator.stack.account}:restore-job:*`,
  }] } }];
  expect(await simulate(validator, resources, report, old)).toBe('ImplicitlyDenied');
  expect(await simulate(validator, resources, report)).toBe('Allowed');
  // kms:Decrypt is allowed through Secrets Manager only (the key policy's kms:ViaService), not called directly.
  const decrypt = restoreValidatorCalls(validator.stack.region).find((c) => c.action === 'kms:Decrypt')!;
  expect(await simulate(validator, resources, decrypt)).toBe('Allowed');
  expect(await simulate(validator, resources, { ...decrypt, context: {} })).toBe('ImplicitlyDenied');
});

describe('scope: the endpoints of the isolated subnets pass this account\'s calls to this account\'s resources only', () => {
  // A principal allowed every action it tries: what is left to deny a call is the endpoint's policy
  // (and, across accounts, the resource's own). The endpoints are those of the VPC the shipped app's
  // DataPlatform creates (the validator's: all four).
  const { app, resources } = APPS[0];
  const validator = callers(app, resources).find((c) => c.name.endsWith(' validator'))!;
  const { region, account } = validator.stack;
  const OTHER = '444455556666';
  const principalIn = (acct: string) => `arn:aws:iam::${acct}:role/in-the-isolated-subnets`;
  const sessionIn = (acct: string) => ({
    'aws:SecureTransport': 'true', 'aws:PrincipalAccount': acct, 'aws:PrincipalArn': principalIn(acct), 'aws:PrincipalIsAWSService': 'false', 'aws:PrincipalType': 'AssumedRole',
  });
  const allowAll = (action: string) => [{ name: 'allow-all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] } }];
  /** A resource of `acct` of the call's service (the table's own ARNs are this account's). */
  const standIn: Record<string, (acct: string) => string> = {
    secretsmanager: (acct) => `arn:aws:secretsmanager:${region}:${acct}:secret:stand-in-AbCdEf`,
    rds: (acct) => `arn:aws:rds:${region}:${acct}:db:stand-in`,
    s3: (acct) => `arn:aws:s3:::stand-in-bucket-${acct}/object`,
  };
  // Every call a table sends through an endpoint, and what applications in the subnets do with S3
  // (DataPlatform.connectFunction grants the blob buckets).
  const routed = [
    ...secretRotationCalls(region), ...postgresMetricsCalls(region), ...restoreValidatorCalls(region), ...databaseRolesProviderCalls(region),
    ...['s3:GetObject', 's3:PutObject'].map((action): AwsCall => ({ action, resource: 'object', endpoint: 's3', why: 'a blob bucket of the platform' })),
  ].filter((c, i, all) => c.endpoint !== undefined && all.findIndex((d) => d.action === c.action && d.resource === c.resource) === i);
  /** The decision for `call` by a principal of `principalAccount` on a resource of `resourceAccount`. */
  const decide = (call: AwsCall, principalAccount: string, resourceAccount: string) => {
    const arn = call.resource === '*' ? '*' : standIn[call.endpoint!](resourceAccount);
    const crossAccount = principalAccount !== resourceAccount && arn !== '*';
    return simulateAs({ ...validator, arns: { [call.resource]: arn } }, resources, call, allowAll(call.action), principalIn(principalAccount), {
      context: { ...sessionIn(principalAccount), ...call.context },
      resourceAccount,
      // Another account's resource open to anyone: what an exfiltration target looks like.
      resourcePolicy: crossAccount ? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: call.action, Resource: arn }] } : undefined,
    });
  };
  const outcomes = async (principalAccount: string, resourceAccount: string, calls = routed) => {
    const out: string[] = [];
    for (const call of calls) out.push(`${call.action} (${call.endpoint}): ${await decide(call, principalAccount, resourceAccount)}`);
    return out;
  };

  test('the endpoints have policies', () => {
    expect(Object.values(validator.vpcEndpoints!).filter((p) => p === FULL_ACCESS)).toEqual([]);
  });

  test('every call the tables route through an endpoint passes it, from this account to this account', async () => {
    expect((await outcomes(account, account)).filter((o) => !o.endsWith(': Allowed'))).toEqual([]);
  });

  test('another account\'s credentials do not pass, not even to that account\'s own resources', async () => {
    expect((await outcomes(OTHER, OTHER)).filter((o) => o.endsWith(': Allowed'))).toEqual([]);
  });

  test('this account\'s credentials do not pass to another account\'s resources', async () => {
    expect((await outcomes(account, OTHER, routed.filter((c) => c.resource !== '*'))).filter((o) => o.endsWith(': Allowed'))).toEqual([]);
  });

  test('S3: the roles provider\'s answer to CloudFormation passes (a PUT to CloudFormation\'s bucket of the region, presigned by CloudFormation), no other AWS bucket', async () => {
    // The answer's URL is signed by CloudFormation's service principal; the bucket is AWS's, and its
    // policy (not published) stands in here as one that lets CloudFormation write.
    const answer = (bucket: string) => {
      const arn = `arn:aws:s3:::${bucket}/arn%3Aaws%3Acloudformation%3A${region}%3A${account}%3Astack/DataPlatform/guid%7CUsers%7Crequest-id`;
      const call: AwsCall = { action: 's3:PutObject', resource: 'answer', endpoint: 's3', why: 'the answer to CloudFormation' };
      return simulateAs({ ...validator, arns: { answer: arn } }, resources, call, [], 'cloudformation.amazonaws.com', {
        context: { 'aws:SecureTransport': 'true', 'aws:PrincipalIsAWSService': 'true' },
        resourceAccount: '999999999999',
        resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 's3:PutObject', Resource: arn }] },
      });
    };
    expect(await answer('cloudformation-custom-resource-response-useast1')).toBe('Allowed');
    expect(await answer('cloudformation-custom-resource-response-uswest2')).not.toBe('Allowed');
    expect(await answer('cloudformation-waitcondition-us-east-1')).not.toBe('Allowed');
  });
});

/** The key ARN a log group's KmsKeyId names: a key of its stack, or one another stack of the app exports. */
function keyArnOf(app: SynthesizedApp, stack: StackTemplate, kmsKeyId: unknown): string {
  const imported = (kmsKeyId as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (imported === undefined) return String(app.resolver.resolve(stack, kmsKeyId));
  for (const producer of app.templates) {
    for (const output of Object.values((producer.template.Outputs ?? {}) as Record<string, { Value: unknown; Export?: { Name: unknown } }>)) {
      if (output.Export?.Name === imported) return String(app.resolver.resolve(producer, output.Value));
    }
  }
  throw new Error(`no stack exports ${imported}`);
}

describe('scope: CloudWatch Logs may use a key for the log groups of the app encrypted with it, no other', () => {
  // CloudFormation names a log group the template does not: `<stack name>-<logical id>-<12 characters>`.
  const groups = APPS.flatMap(({ app, resources }) => app.templates.flatMap((stack) => Object.entries(stack.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.KmsKeyId !== undefined)
    .map(([id, r]) => {
      const name = typeof r.Properties?.LogGroupName === 'string' ? r.Properties.LogGroupName : `${stack.stackName}-${id}-AbCdEfGhIjKl`;
      return { app, resources, stack, id, keyArn: keyArnOf(app, stack, r.Properties!.KmsKeyId), arn: `arn:aws:logs:${stack.region}:${stack.account}:log-group:${name}` };
    })));
  /** CloudWatch Logs of `region` using the key for the log group `logGroupArn`. */
  const logsUse = async (resources: Resources, stack: StackTemplate, keyArn: string, logGroupArn: string, keyPolicy?: Policy) => {
    const out: string[] = [];
    for (const call of cloudWatchLogsKeyCalls(logGroupArn)) {
      const caller: Caller = { name: 'CloudWatch Logs', stack, roleId: '', calls: [], arns: { logGroupKey: keyArn } };
      const decision = await simulateAs(caller, resources, call, [], `logs.${keyArn.split(':')[3]}.amazonaws.com`, {
        context: { 'aws:SecureTransport': 'true', 'aws:PrincipalIsAWSService': 'true', ...call.context },
        resourcePolicy: keyPolicy,
      });
      out.push(`${call.action}: ${decision}`);
    }
    return out;
  };

  test('the apps encrypt log groups with keys of their own, one in another stack too (the DR replica\'s flow logs, with the DR key)', () => {
    expect(groups.filter((g) => g.resources.resourcePolicy(g.keyArn) !== undefined).length).toBeGreaterThanOrEqual(20);
    expect(groups.map((g) => `${g.stack.stackName}/${g.id}`)).toContain('DataPlatform-DR-Replica/ReplicaFlowLogs44A116F2');
  });

  test.each(groups.map((g) => [g.app.name, `${g.stack.stackName}/${g.id}`, g] as const))('%s: %s: CloudWatch Logs may use its key', async (_app, _group, g) => {
    expect(g.resources.resourcePolicy(g.keyArn)).toBeDefined();
    expect((await logsUse(g.resources, g.stack, g.keyArn, g.arn)).filter((o) => !o.endsWith(': Allowed'))).toEqual([]);
  });

  test('not for a log group outside the app, nor one of the app encrypted with another key', async () => {
    const { resources } = APPS[0];
    const primary = groups.filter((g) => g.app.name === APPS[0].app.name && g.stack.stackName === 'DataPlatform');
    const validatorLogs = primary.find((g) => g.id.startsWith('DataRestoreTestingValidatorLogs'))!;
    const flowLogs = primary.find((g) => g.id.startsWith('DataFlowLogs'))!;
    expect(validatorLogs.keyArn).not.toBe(flowLogs.keyArn);
    const { stack, keyArn } = validatorLogs;
    const outside = [
      `arn:aws:logs:${stack.region}:${stack.account}:log-group:someone-elses-log-group`,
      `arn:aws:logs:${stack.region}:${stack.account}:log-group:/aws/lambda/some-function`,
      // A look-alike of a generated name of another stack.
      `arn:aws:logs:${stack.region}:${stack.account}:log-group:OtherStack-${validatorLogs.id}-AbCdEfGhIjKl`,
      flowLogs.arn,
    ];
    for (const arn of outside) expect(await logsUse(resources, stack, keyArn, arn)).toEqual(cloudWatchLogsKeyCalls(arn).map((c) => `${c.action}: ImplicitlyDenied`));
  });
});

describe('scope: the alarm topic\'s key serves this account\'s alarms only; the restore role\'s grants are for AWS resources only', () => {
  const { app, resources } = APPS[0];
  const primary = app.resolver.stack('DataPlatform');
  const topicId = Object.keys(primary.template.Resources).find((id) => primary.template.Resources[id].Type === 'AWS::SNS::Topic'
    && primary.template.Resources[id].Properties?.KmsMasterKeyId !== undefined)!;
  const topicKey = resources.prop(primary, topicId, 'KmsMasterKeyId');
  const publish = async (alarmAccount: string) => {
    const out: string[] = [];
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      const call: AwsCall = { action, resource: 'topicKey', why: 'CloudWatch publishes an alarm to the encrypted topic' };
      const caller: Caller = { name: 'CloudWatch', stack: primary, roleId: '', calls: [], arns: { topicKey } };
      out.push(`${action}: ${await simulateAs(caller, resources, call, [], 'cloudwatch.amazonaws.com', {
        context: {
          'aws:SecureTransport': 'true', 'aws:PrincipalIsAWSService': 'true',
          'aws:SourceAccount': alarmAccount, 'aws:SourceArn': `arn:aws:cloudwatch:${primary.region}:${alarmAccount}:alarm:DataPlatform-DataAlarmsDatabaseCpu-AbCdEfGhIjKl`,
        },
      })}`);
    }
    return out;
  };

  test('CloudWatch may use the topic\'s key for an alarm of this account, not of another', async () => {
    expect(await publish(primary.account)).toEqual(['kms:GenerateDataKey: Allowed', 'kms:Decrypt: Allowed']);
    expect((await publish('444455556666')).filter((o) => o.endsWith(': Allowed'))).toEqual([]);
  });

  test('the restore-testing role creates grants on the database key only for AWS resources, even on a key whose policy would allow any grant', async () => {
    const restoreRole = callers(app, resources).find((c) => c.name.endsWith('(AWS Backup\'s restore-testing role)') && c.stack.stackName === 'DataPlatform')!;
    const createGrant = restoreRole.calls.find((c) => c.action === 'kms:CreateGrant')!;
    const notForAwsResource = { ...createGrant, context: { ...createGrant.context, 'kms:GrantIsForAWSResource': 'false' } };
    const roleArn = String(resources.resolve(restoreRole.stack, { 'Fn::GetAtt': [restoreRole.roleId, 'Arn'] }));
    // A key of the app's own (PostgresDatabase's encryptionKey) with aws-cdk-lib's default policy: the account decides.
    const accountKeyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${primary.account}:root` }, Action: 'kms:*', Resource: '*' }] };
    const identity = resources.identityPolicies(restoreRole.stack, restoreRole.roleId);
    expect(await simulateAs(restoreRole, resources, createGrant, identity, roleArn, { resourcePolicy: accountKeyPolicy })).toBe('Allowed');
    expect(await simulateAs(restoreRole, resources, notForAwsResource, identity, roleArn, { resourcePolicy: accountKeyPolicy })).toBe('ImplicitlyDenied');
    // The library's keys refuse such grants themselves (CT.KMS.PR.3).
    expect(await simulateAs(restoreRole, resources, notForAwsResource, identity, roleArn)).toBe('ExplicitlyDenied');
  });
});

describe('RDS event notifications reach the encrypted topics: the topic policy and its key\'s let RDS publish for this account\'s resources only', () => {
  // RDS publishes an event of one of its resources (an instance, a parameter group, a snapshot) to
  // the topic as events.rds.amazonaws.com; SNS encrypts it with the topic's key on RDS's behalf.
  // Both policies are simulated as AWS evaluates them, for the primary stack's alarm topic and the
  // DR replica's event topic (each in its own region).
  const { app, resources } = APPS[0];
  const topicsOf = (stackName: string) => {
    const stack = app.resolver.stack(stackName);
    return Object.keys(stack.template.Resources).filter((id) => stack.template.Resources[id].Type === 'AWS::SNS::Topic'
      && stack.template.Resources[id].Properties?.KmsMasterKeyId !== undefined).map((id) => ({ stack, id }));
  };
  const topics = [...topicsOf('DataPlatform'), ...topicsOf('DataPlatform-DR-Replica')];

  /** What RDS may do for an event of `source` (an RDS ARN) to the topic: publish, and the key's two calls. */
  async function rdsPublishes(target: { stack: StackTemplate; id: string }, source: string): Promise<string[]> {
    const { stack, id } = target;
    const topicArn = String(resources.resolve(stack, { Ref: id }));
    const topicKey = resources.prop(stack, id, 'KmsMasterKeyId');
    const policyId = Object.keys(stack.template.Resources).find((p) => stack.template.Resources[p].Type === 'AWS::SNS::TopicPolicy'
      && (resources.resolve(stack, stack.template.Resources[p].Properties?.Topics) as string[]).includes(topicArn))!;
    const topicPolicy = resources.resolve(stack, stack.template.Resources[policyId].Properties?.PolicyDocument) as Policy;
    const context = { 'aws:SecureTransport': 'true', 'aws:PrincipalIsAWSService': 'true', 'aws:SourceAccount': source.split(':')[4], 'aws:SourceArn': source };
    const caller: Caller = { name: 'RDS events', stack, roleId: '', calls: [], arns: { topic: topicArn, topicKey } };
    const out: string[] = [];
    out.push(`sns:Publish: ${await simulateAs(caller, resources, { action: 'sns:Publish', resource: 'topic', why: 'RDS sends an event' }, [], 'events.rds.amazonaws.com',
      { context, resourcePolicy: topicPolicy })}`);
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      out.push(`${action}: ${await simulateAs(caller, resources, { action, resource: 'topicKey', why: 'SNS encrypts the event with the topic key' }, [], 'events.rds.amazonaws.com', { context })}`);
    }
    return out;
  }

  test('the shipped app has both topics', () => {
    expect(topics.map((t) => t.stack.stackName)).toEqual(['DataPlatform', 'DataPlatform-DR-Replica']);
  });

  test.each(topics.map((t) => [t.stack.stackName, t] as const))('%s: an event of this account\'s instance, parameter group or snapshot of the region is published and encrypted', async (_name, target) => {
    const { region, account } = target.stack;
    for (const source of [`arn:aws:rds:${region}:${account}:db:dataplatform-datadatabase-abc`, `arn:aws:rds:${region}:${account}:pg:dataplatform-pg-abc`,
      `arn:aws:rds:${region}:${account}:snapshot:rds:dataplatform-2026-12-01-03-00`]) {
      expect(await rdsPublishes(target, source)).toEqual(['sns:Publish: Allowed', 'kms:GenerateDataKey: Allowed', 'kms:Decrypt: Allowed']);
    }
  });

  test.each(topics.map((t) => [t.stack.stackName, t] as const))('%s: an event of another account\'s or another region\'s resource is not', async (_name, target) => {
    const { region, account } = target.stack;
    for (const source of [`arn:aws:rds:${region}:444455556666:db:intruder`, `arn:aws:rds:ap-south-1:${account}:db:elsewhere`]) {
      expect((await rdsPublishes(target, source)).filter((o) => o.endsWith(': Allowed'))).toEqual([]);
    }
  });
});

describe('the CLI\'s documented permissions (shared/calls-cli.ts, README\'s table) on the shipped app\'s resources', () => {
  // An operator's role holding README's actions for a command, on `*` as README grants them; what
  // can still deny a call is the resource's own policy (the keys', the secret's) and an action or
  // ARN AWS does not know, which the simulator refuses.
  const { app, resources } = APPS[0];
  const primary = app.resolver.stack('DataPlatform');
  const ids = (type: string) => Object.keys(primary.template.Resources).filter((id) => primary.template.Resources[id].Type === type);
  const instanceId = ids('AWS::RDS::DBInstance').find((id) => !resources.props(primary, id).SourceDBInstanceIdentifier)!;
  const attachment = ids('AWS::SecretsManager::SecretTargetAttachment').find((id) => (resources.props(primary, id).TargetId as { Ref: string }).Ref === instanceId)!;
  const secretArn = String(resources.resolve(primary, { Ref: attachment }));
  const secret = resources.find(secretArn);
  const keys: Record<string, string> = {
    sourceKey: resources.prop(primary, instanceId, 'KmsKeyId'),
    // The key RDS replicates the automated backups with is the DR stack's; copies go there too.
    drKey: resources.prop(primary, instanceId, 'AutomaticBackupReplicationKmsKeyId'),
    destinationKey: resources.prop(primary, instanceId, 'AutomaticBackupReplicationKmsKeyId'),
    secretKey: resources.prop(secret.stack, secret.id, 'KmsKeyId'),
    databaseSecret: secretArn,
  };
  const region = primary.region;
  const drRegion = keys.drKey.split(':')[3];
  const operator: Caller = { name: 'operator', stack: primary, roleId: 'Operator', calls: [], arns: {} };

  test.each(CLI_COMMANDS.map((c) => [c]))('%s: every call is allowed', async (command) => {
    const runsIn = command === 'restore --from-replicated-backups' ? drRegion : region;
    const calls = cliCallTables(runsIn, drRegion)[command];
    const arn = (name: string) => keys[name] ?? CLI_RESOURCES[name]
      .replace(/<(the DR region)>/g, drRegion).replace(/<other-region>/g, drRegion).replace(/<region>/g, runsIn)
      .replace(/<account>/g, primary.account).replace(/<[^>]+>/g, 'example');
    const policy = [{ name: 'readme', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actionsOf(calls), Resource: '*' }] } }];
    const denied: string[] = [];
    for (const call of calls) {
      const bound: Caller = { ...operator, arns: { [call.resource]: call.resource === '*' ? '*' : arn(call.resource) } };
      const decision = await simulateAs(bound, resources, call, policy, `arn:aws:iam::${primary.account}:role/operator`);
      if (decision !== 'Allowed') denied.push(`${call.action} on ${call.resource} (${bound.arns[call.resource]}): ${decision}`);
    }
    expect(denied).toEqual([]);
  });
});
