/**
 * The integration apps offline (no account here; scripts/integ.ts deploys them): each synthesizes
 * with the policy packs on (cdk-nag AwsSolutions and AWS Control Tower's proactive controls, as
 * validation plugins, as `npx cdk synth` runs them), passes cfn-lint, matches its committed
 * snapshot (asset hashes stripped: test/support/asset-hash-serializer.ts), leaves nothing behind
 * when destroyed, and asserts what issue #17 asks for.
 *
 * After a template change: `npx jest test/integ -u`, then read the snapshot diff.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ControlTowerChecks } from '../../bin/control-tower';
import { Compliance, CompliancePack } from '../../lib';
import { cfnLint, unacceptedFindings } from '../support/cfn-lint';
import { cdkJsonContext, ROOT } from '../support/app';
import { EVENT_DRIVEN_ALARMS, watchedMetrics } from './alarm-metrics';
import { DEVELOPMENT_PROFILE_FAILS } from './doctor-expectations';
import { buildPlatformInteg, PLATFORM_STACK, PlatformInteg } from './integ.platform';

/** A synthesized template's JSON, read loosely: the tests look into properties of many shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ASSERT_STACK = 'PlatformIntegDefaultTestDeployAssertC0372C45';
let outdir: string;
let built: PlatformInteg;
let assembly: cxapi.CloudAssembly;
let synthError: unknown;
const templates: Record<string, Record<string, Loose>> = {};

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-'));
  // cdk.json's context, as `cdk deploy --app ...` from this repository applies it (feature flags).
  const app = new App({ outdir, context: cdkJsonContext() });
  built = buildPlatformInteg(app);
  Compliance.addChecks(app, [CompliancePack.AWS_SOLUTIONS]);
  Validations.of(app).addPlugins(new ControlTowerChecks());
  try {
    assembly = app.synth();
    for (const s of assembly.stacks) templates[s.stackName] = s.template;
    // integ-tests-alpha salts every assertion with the synth time (so each deploy runs it again).
    for (const r of Object.values(templates[ASSERT_STACK]?.Resources ?? {}) as Array<Record<string, Loose>>) {
      if (r.Properties?.salt !== undefined) r.Properties.salt = '[SALT: synth time]';
    }
  } catch (e) {
    synthError = e;
  }
}, 300_000);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));


/** `plugin rule at path` for every error in the validation report aws-cdk-lib writes. */
function reportedErrors(): string[] {
  const file = path.join(outdir, cxapi.VALIDATION_REPORT_FILE);
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity?: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((p) => p.violations.filter((v) => v.severity !== 'warning').flatMap((v) =>
    v.violatingConstructs.map((c) => `${p.pluginName} ${v.ruleName} at ${c.constructPath}`)));
}

/** The custom resources of the assertion stack that call `api` of `service` (SDK v3 names). */
function sdkCalls(service: string, api: string): Array<Record<string, Loose>> {
  return Object.values(templates[ASSERT_STACK].Resources as Record<string, Loose>)
    .filter((r) => String(r.Type).startsWith('Custom::DeployAssert@SdkCall') && r.Properties.service === service && r.Properties.api === api)
    .map((r) => r.Properties);
}

/** A template value as text, each token inside an Fn::Join as `TOKEN`. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return 'TOKEN';
  return join[1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(join[0]);
}

test('synthesizes with cdk-nag AwsSolutions and the Control Tower controls on, no finding', () => {
  expect({ errors: reportedErrors(), error: synthError === undefined ? undefined : String(synthError) }).toEqual({ errors: [], error: undefined });
  expect(Object.keys(templates).sort()).toEqual([ASSERT_STACK, PLATFORM_STACK].sort());
});

test('cfn-lint finds nothing in the integration stacks', () => {
  const files = Object.keys(templates).map((name) => path.join(outdir, `${name}.template.json`));
  // integ-tests-alpha's provider role also lists the API name `lambda:Invoke` (beside the IAM
  // action lambda:InvokeFunction): not an action, so it grants nothing; not ours to change.
  const matches = cfnLint(files).filter((m) => !(m.Rule.Id === 'W3037' && path.basename(m.Filename) === `${ASSERT_STACK}.template.json`
    && m.Message.startsWith("'invoke' is not one of")));
  expect(unacceptedFindings(matches)).toEqual([]);
});

test.each([[PLATFORM_STACK], [ASSERT_STACK]])('the %s template matches its snapshot', (name) => {
  expect(templates[name]).toMatchSnapshot();
});

describe('destroys everything it creates (development profile)', () => {
  /** Resources CloudFormation leaves in place on stack deletion. */
  function retained(template: Record<string, Loose>): Array<{ id: string; type: string; policy: string }> {
    return Object.entries(template.Resources as Record<string, Loose>)
      .filter(([, r]) => ['Retain', 'RetainExceptOnCreate', 'Snapshot'].includes(r.DeletionPolicy) || ['Retain', 'Snapshot'].includes(r.UpdateReplacePolicy ?? ''))
      .map(([id, r]) => ({ id, type: r.Type, policy: r.DeletionPolicy }));
  }

  test('the only retained resources are roles and schemas inside the database, whose instance is deleted without a snapshot', () => {
    // The roles provider's custom resources keep RETAIN in development too (lib/database/roles):
    // on stack deletion CloudFormation then skips their DROP, which would fail on a role that
    // owns objects. What they stand for lives inside the instance, which is deleted with the
    // stack: nothing outlives it.
    const inDatabase = new Set(['Custom::PostgresRole', 'Custom::PostgresSchema', 'Custom::PostgresSchemaGrant', 'Custom::PostgresDatabase', 'Custom::PostgresExtension']);
    for (const [name, template] of Object.entries(templates)) {
      const others = retained(template).filter((r) => !inDatabase.has(r.type));
      expect({ stack: name, others }).toEqual({ stack: name, others: [] });
    }
    const platform = templates[PLATFORM_STACK];
    const instances = Object.values(platform.Resources as Record<string, Loose>).filter((r) => r.Type === 'AWS::RDS::DBInstance');
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({ DeletionPolicy: 'Delete', Properties: { DeletionProtection: false } });
    expect(instances[0].Properties.DeleteAutomatedBackups ?? true).toBe(true);
  });

  test('the vault, the keys, the cache and the log groups are deleted with the stack', () => {
    const t = Template.fromJSON(templates[PLATFORM_STACK]);
    for (const type of ['AWS::Backup::BackupVault', 'AWS::KMS::Key', 'AWS::ElastiCache::ReplicationGroup', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret']) {
      const resources = t.findResources(type);
      expect(Object.keys(resources).length).toBeGreaterThan(0);
      for (const [id, r] of Object.entries(resources)) expect({ id, policy: r.DeletionPolicy ?? 'Delete' }).toEqual({ id, policy: 'Delete' });
    }
  });
});

describe('what the assertions check', () => {
  test('the probe runs in the VPC with the settings the platform hands every function', () => {
    const t = Template.fromJSON(templates[PLATFORM_STACK]);
    const probeId = Stack.of(built.probe).getLogicalId(built.probe.node.defaultChild as never);
    const probe = t.findResources('AWS::Lambda::Function')[probeId];
    expect(probe.Properties.VpcConfig).toBeDefined();
    expect(Object.keys(probe.Properties.Environment.Variables)).toEqual(expect.arrayContaining([
      'DB_CA_FILE', 'DB_PRIMARY_TLS_NAME', 'DB_REPLICA_TLS_NAMES', 'DB_PRIMARY_HOST', 'DB_REPLICA_HOST', 'DB_USER', 'DB_REPLICA_USER', 'DB_PRIMARY_IAM_HOST',
    ]));
    expect(probe.Properties.Environment.Variables).toMatchObject({ DB_USER: 'app_writer', DB_REPLICA_USER: 'app_reader', DB_SSLMODE: 'verify-full' });
    // Through the proxy: the writer's TLS name is the proxy's endpoint.
    expect(JSON.stringify(probe.Properties.Environment.Variables.DB_PRIMARY_TLS_NAME)).toMatch(/DataPool.*Endpoint/);
    const invokes = sdkCalls('Lambda', 'invoke').filter((c) => JSON.stringify(c.parameters).includes(probeId));
    expect(invokes).toHaveLength(1);
    expect(JSON.stringify(invokes[0].expected)).toMatch(/problems/);
  });

  test('BufferCacheHitRatio is asked of GetMetricData within 10 minutes, with the platform\'s dimension', () => {
    const payloads = sdkCalls('Lambda', 'invoke').map((c) => JSON.stringify(c.parameters));
    const bchr = payloads.filter((p) => p.includes('withinMinutes') && p.includes('BufferCacheHitRatio'));
    expect(bchr).toHaveLength(1);
    expect(bchr[0]).toMatch(/CdkDbPlaybook\/PostgreSQL/);
    expect(bchr[0]).toMatch(/DBInstanceIdentifier/);
    expect(bchr[0]).toMatch(/\\"withinMinutes\\":10/);
  });

  test('every alarm\'s metric is checked, or listed as event-driven with a reason', () => {
    const alarms = built.stack.platform.alarms!.alarms;
    const { metrics, eventDriven } = watchedMetrics(alarms);
    const checked = new Set(metrics.map((m) => m.alarm));
    expect(Object.keys(alarms).filter((id) => !checked.has(id) && !eventDriven.includes(id))).toEqual([]);
    expect(eventDriven.sort()).toEqual(['SlowQueries']);
    // Every event-driven entry names an alarm PlatformAlarms (or RestoreTesting) can create.
    const source = fs.readFileSync(path.join(ROOT, 'lib/monitoring/platform-alarms.ts'), 'utf8');
    for (const id of Object.keys(EVENT_DRIVEN_ALARMS)) expect({ id, known: source.includes(`specs.${id} =`) || source.includes(`alarms.${id} =`) }).toEqual({ id, known: true });
  });

  test('the cache alarms\' metrics are checked per member cluster (CacheClusterId)', () => {
    const cache = built.stack.platform.cache!;
    expect(cache.nodeClusterIds).toHaveLength(2);
    const { metrics } = watchedMetrics(built.stack.platform.alarms!.alarms);
    const cacheMetrics = metrics.filter((m) => m.alarm.startsWith('Cache'));
    expect(cacheMetrics.length).toBe(7 * 2);
    for (const m of cacheMetrics) {
      expect(m.namespace).toBe('AWS/ElastiCache');
      expect(Object.keys(m.dimensions)).toEqual(['CacheClusterId']);
      // Every node's metric must have data, but ReplicationLag's: the replica's (any node's) is enough.
      expect({ alarm: m.alarm, anyOf: m.anyOf ?? false }).toEqual({ alarm: m.alarm, anyOf: m.alarm === 'CacheReplicationLag' });
    }
    const resolved = cacheMetrics.map((m) => Stack.of(built.stack).resolve(m.dimensions.CacheClusterId));
    expect(new Set(resolved.map((r) => JSON.stringify(r))).size).toBe(2);
  });

  test('restores use the restore testing selection\'s metadata, and expect SUCCESSFUL then FAILED and the alarm', () => {
    const restores = sdkCalls('Backup', 'startRestoreJob');
    expect(restores).toHaveLength(2);
    const selection = Template.fromJSON(templates[PLATFORM_STACK]).findResources('AWS::Backup::RestoreTestingSelection');
    const overrides = Object.values(selection)[0].Properties.RestoreMetadataOverrides;
    for (const r of restores) {
      const metadata = JSON.parse(joined(r.parameters.Metadata));
      for (const key of Object.keys(overrides)) expect(metadata).toHaveProperty(key);
      expect(metadata.dbInstanceIdentifier).toMatch(/^playbook-integ-restore-(good|stale)$/);
    }
    const validations = sdkCalls('Backup', 'describeRestoreJob').map((c) => JSON.stringify(c.expected)).filter((e) => e.includes('ValidationStatus'));
    expect(validations.map((e) => /SUCCESSFUL|FAILED/.exec(e)![0]).sort()).toEqual(['FAILED', 'SUCCESSFUL']);
    expect(sdkCalls('CloudWatch', 'describeAlarms')).toHaveLength(1);
    // The validator is handed the event EventBridge sends for a restore test of the plan.
    const validatorId = Stack.of(built.restoreTesting).getLogicalId(built.restoreTesting.validator.node.defaultChild as never);
    const events = sdkCalls('Lambda', 'invoke').map((c) => joined(c.parameters.Payload ?? '')).filter((e) => e.includes('Restore Job State Change'));
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).toMatch(/restoreTestingPlanArn/);
    expect(sdkCalls('Lambda', 'invoke').filter((c) => JSON.stringify(c.parameters.FunctionName).includes(validatorId))).toHaveLength(2);
  });

  test('the assertion provider may pass the backup and restore roles, and no other', () => {
    const policies = JSON.stringify(Object.values(templates[ASSERT_STACK].Resources as Record<string, Loose>)
      .filter((r) => r.Type === 'AWS::IAM::Role').map((r) => r.Properties.Policies));
    const passRole = policies.match(/iam:PassRole[^\]]*\][^\]]*\]/g) ?? [];
    expect(passRole.join(' ')).toMatch(/IntegBackupRole/);
    expect(passRole.join(' ')).toMatch(/RestoreRole/);
  });

  test('the development profile\'s expected doctor FAILs name rules doctor has', () => {
    const rules = fs.readFileSync(path.join(ROOT, 'cli/playbook-rules.ts'), 'utf8');
    for (const id of Object.keys(DEVELOPMENT_PROFILE_FAILS)) expect({ id, known: rules.includes(`'${id}'`) }).toEqual({ id, known: true });
  });
});
