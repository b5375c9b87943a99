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
import { AwsCall, backupServiceCalls, databaseRolesProviderCalls, postgresMetricsCalls, restoreValidatorCalls } from '../../shared/aws-calls';
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
}

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

/** The decision for one call of the principal `roleArn` holding `identityPolicies`. */
async function simulateAs(caller: Caller, resources: Resources, call: AwsCall, identityPolicies: Array<{ name: string; policy: Policy }>, roleArn: string): Promise<string> {
  const arn = call.resource === '*' ? '*' : caller.arns[call.resource];
  if (arn === undefined) return `no ARN for ${call.resource}`;
  const account = arn.split(':')[4] || caller.stack.account;
  const result = await runSimulation({
    request: { principal: roleArn, action: call.action, resource: { resource: arn, accountId: account }, contextVariables: context(caller.stack, roleArn, call) },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resources.resourcePolicy(arn),
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
