/**
 * The shipped app and every example synthesize with the policy packs on — cdk-nag's AwsSolutions
 * (and, for the shipped app, the opt-in HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 packs) and AWS
 * Control Tower's proactive controls (@cdklabs/cdk-validator-cfnguard) — in both ways users
 * synthesize them:
 *
 * - environment-agnostic, as each app is configured: the shipped app with cdk.json (which sets the
 *   recommended flags, see the last test), the examples with aws-cdk-lib's defaults;
 * - with an explicit account and every feature flag aws-cdk-lib recommends (cx-api's
 *   CURRENTLY_RECOMMENDED_FLAGS: what `cdk init` writes into a new app's cdk.json), as README's
 *   deploy line (`-c account=…`) and an importing app do.
 *
 * Control Tower runs as bin/control-tower.ts's ControlTowerChecks (the rules of the resource
 * types present); the last test shows it reports what the whole rule set reports.
 *
 * An acknowledgment that only matches one rendering of an ARN (`<AWS::AccountId>` against a
 * literal account, `<AWS::Partition>` against `aws`) fails the second. Each synth runs the packs
 * as validation plugins, exactly as `npx cdk synth` does, and any finding fails it; the test
 * lists the findings from the validation report aws-cdk-lib writes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { buildApp, buildStacks } from '../bin/config';
import { ControlTowerChecks } from '../bin/control-tower';
import { ExistingAppStack } from '../examples/existing-app/app';
import { MinimalDevStack } from '../examples/minimal-dev/app';
import { productionApp } from '../examples/production-dr/app';
import { ReadWriteSplitStack } from '../examples/read-write-split/app';
import { Compliance, CompliancePack } from '../lib';
import { cdkJsonContext, ROOT } from './support/app';

const ACCOUNT = '111122223333';

/** What a lookup of the account's zones writes into cdk.context.json (the test has no AWS account to ask). */
function zonesOf(account: string, regions: string[]): Record<string, string[]> {
  return Object.fromEntries(regions.map((r) => [`availability-zones:account=${account}:region=${r}`, ['a', 'b', 'c'].map((z) => `${r}${z}`)]));
}

interface Variant {
  readonly account?: string;
  readonly context: Record<string, unknown>;
}

const VARIANTS: Record<string, Variant> = {
  'environment-agnostic, as configured': { context: {} },
  [`account ${ACCOUNT}, every recommended flag`]: {
    account: ACCOUNT,
    context: { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS, ...zonesOf(ACCOUNT, ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1']) },
  },
};

/** Each app: what it builds into an App, and the cdk-nag packs it runs besides Control Tower's. */
const APPS: Record<string, { packs: CompliancePack[]; build: (app: App, account?: string) => void }> = {
  'the shipped app (production)': {
    packs: [CompliancePack.AWS_SOLUTIONS, CompliancePack.HIPAA, CompliancePack.NIST_800_53_R5, CompliancePack.PCI_DSS_321],
    build: (app, account) => { addContext(app, { ...cdkJsonContext(), ...(account ? { account } : {}) }); buildApp(app); },
  },
  'the shipped app (development)': {
    packs: [CompliancePack.AWS_SOLUTIONS],
    build: (app, account) => { addContext(app, { ...cdkJsonContext(), profile: 'development', ...(account ? { account } : {}) }); buildApp(app); },
  },
  'examples/existing-app': {
    packs: [CompliancePack.AWS_SOLUTIONS],
    build: (app, account) => { new ExistingAppStack(app, 'ExistingApp', { env: { account, region: account ? 'eu-west-1' : undefined } }); },
  },
  'examples/minimal-dev': {
    packs: [CompliancePack.AWS_SOLUTIONS],
    build: (app, account) => { new MinimalDevStack(app, 'MinimalDev', { env: { account, region: account ? 'eu-central-1' : undefined } }); },
  },
  'examples/production-dr': {
    packs: [CompliancePack.AWS_SOLUTIONS],
    build: (app, account) => { productionApp(app, account); },
  },
  'examples/read-write-split': {
    packs: [CompliancePack.AWS_SOLUTIONS],
    build: (app, account) => { new ReadWriteSplitStack(app, 'ReadWriteSplit', { env: { account, region: account ? 'us-east-1' : undefined } }); },
  },
};

function addContext(app: App, context: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(context)) app.node.setContext(k, v);
}

/**
 * `rule at path` for every error in the validation report aws-cdk-lib writes. Warnings are left
 * out: with the recommended flags the report also carries construct warnings (an example without
 * DR is warned that it has no offsite copy), which do not fail a synth.
 */
function reportedErrors(outdir: string): string[] {
  const file = path.join(outdir, cxapi.VALIDATION_REPORT_FILE);
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity?: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((p) => p.violations.filter((v) => v.severity !== 'warning').flatMap((v) =>
    v.violatingConstructs.map((c) => `${p.pluginName} ${v.ruleName} at ${c.constructPath}`)));
}

const CASES = Object.entries(APPS).flatMap(([appName, spec]) => Object.entries(VARIANTS).map(([variantName, variant]) => [appName, variantName, spec, variant] as const));

test.each(CASES)('%s synthesizes with the policy packs on, %s', (_app, _variant, spec, variant) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-packs-'));
  try {
    const app = new App({ outdir, context: variant.context });
    spec.build(app, variant.account);
    Compliance.addChecks(app, spec.packs);
    Validations.of(app).addPlugins(new ControlTowerChecks());
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect({ errors: reportedErrors(outdir), error: error === undefined ? undefined : String(error) }).toEqual({ errors: [], error: undefined });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test('the recommended flags come from aws-cdk-lib and include the partition-literal flag that broke acknowledgments', () => {
  expect(Object.keys(cxapi.CURRENTLY_RECOMMENDED_FLAGS).length).toBeGreaterThan(50);
  expect(cxapi.CURRENTLY_RECOMMENDED_FLAGS).toMatchObject({ [cxapi.ENABLE_PARTITION_LITERALS]: true });
});

describe('ControlTowerChecks', () => {
  /** A template that breaks several controls, and one of the examples' real templates. */
  function templates(dir: string): { templatePaths: string[]; appConstruct: App } {
    const broken = path.join(dir, 'broken.template.json');
    fs.writeFileSync(broken, JSON.stringify({
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Version: '2012-10-17', Statement: [] } } },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
        Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', BackupRetentionPeriod: 1 } },
      },
    }));
    const app = new App({ outdir: path.join(dir, 'out') });
    new MinimalDevStack(app, 'MinimalDev');
    const real = app.synth().getStackByName('MinimalDev').templateFullPath;
    return { templatePaths: [broken, real], appConstruct: app };
  }

  test('reports exactly what the whole Control Tower rule set reports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'control-tower-'));
    try {
      const context = templates(dir);
      const findings = (report: ReturnType<CfnGuardValidator['validate']>) => report.violations
        .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${path.basename(r.templatePath)} ${r.resourceLogicalId}`)).sort();
      const all = findings(new CfnGuardValidator().validate(context));
      expect(all.length).toBeGreaterThan(5);
      expect(findings(new ControlTowerChecks().validate(context))).toEqual(all);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("AWS Control Tower's RDS event-subscription controls (CT.RDS.PR.12, 17, 18, 19)", () => {
  // cfn-guard SKIPs a rule whose resources a template lacks, and a SKIP is no finding: the run
  // above passes a template without any event subscription. Here each rule is run alone on each
  // template of the shipped app (and the DR replica's stack) and its own status is asserted, so
  // a rule that was never evaluated cannot pass for one that was.
  const RULES_DIR = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard', 'rds');
  const guard = (new CfnGuardValidator() as unknown as { guard: string }).guard;
  const RULES = { 'CT.RDS.PR.12': 'ct-rds-pr-12.guard', 'CT.RDS.PR.17': 'ct-rds-pr-17.guard', 'CT.RDS.PR.18': 'ct-rds-pr-18.guard', 'CT.RDS.PR.19': 'ct-rds-pr-19.guard' };

  /** The status cfn-guard gives `rule` on `template`: PASS, FAIL or SKIP (not applicable). */
  function status(rule: string, template: string): string {
    const run = spawnSync(guard, ['validate', '--rules', path.join(RULES_DIR, rule), '--data', template, '--output-format', 'json', '--show-summary', 'none'],
      { encoding: 'utf8' });
    // cfn-guard exits 19 on a FAIL; the JSON says what.
    const report = JSON.parse(run.stdout) as { status: string };
    return report.status;
  }

  function statuses(profile: string): Record<string, Record<string, string>> {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-rds-'));
    try {
      const app = new App({ outdir, context: { ...cdkJsonContext(), profile, drReplica: true, account: ACCOUNT } });
      buildStacks(app);
      const out: Record<string, Record<string, string>> = {};
      for (const stack of app.synth().stacks) {
        out[stack.stackName] = Object.fromEntries(Object.entries(RULES).map(([id, file]) => [id, status(file, stack.templateFullPath)]));
      }
      return out;
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }

  // PR.12 checks db-cluster subscriptions: the platform has no DB cluster (Aurora or Multi-AZ DB
  // cluster), so it subscribes to none and the control does not apply.
  const WITH_EVENTS = { 'CT.RDS.PR.12': 'SKIP', 'CT.RDS.PR.17': 'PASS', 'CT.RDS.PR.18': 'PASS', 'CT.RDS.PR.19': 'PASS' };
  const NO_RDS = { 'CT.RDS.PR.12': 'SKIP', 'CT.RDS.PR.17': 'SKIP', 'CT.RDS.PR.18': 'SKIP', 'CT.RDS.PR.19': 'SKIP' };

  test('production: evaluated and passed on the primary stack and the DR replica\'s stack (the DR vault\'s stack has no RDS)', () => {
    expect(statuses('production')).toEqual({ 'DataPlatform': WITH_EVENTS, 'DataPlatform-DR-Replica': WITH_EVENTS, 'DataPlatform-DR': NO_RDS });
  });

  test('development: evaluated and passed on its one stack', () => {
    expect(statuses('development')).toEqual({ DataPlatform: WITH_EVENTS });
  });

  test('a subscription that leaves out a category the control asks for fails it (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-rds-bad-'));
    try {
      const file = path.join(dir, 'bad.template.json');
      const sub = (SourceType: string, EventCategories: string[]) => ({ Type: 'AWS::RDS::EventSubscription', Properties: { SnsTopicArn: 'arn:aws:sns:us-east-1:111122223333:t', SourceType, EventCategories, Enabled: true } });
      fs.writeFileSync(file, JSON.stringify({ Resources: {
        I: sub('db-instance', ['failure', 'maintenance']), P: sub('db-parameter-group', ['notification']), S: sub('db-security-group', ['failure']),
      } }));
      expect(Object.fromEntries(Object.entries(RULES).map(([id, rule]) => [id, status(rule, file)])))
        .toEqual({ 'CT.RDS.PR.12': 'SKIP', 'CT.RDS.PR.17': 'FAIL', 'CT.RDS.PR.18': 'FAIL', 'CT.RDS.PR.19': 'FAIL' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Where the shipped app departs from a recommended flag on purpose, and why. */
const FLAG_DEPARTURES: Record<string, { value: unknown; why: string }> = {
  '@aws-cdk/core:defaultCrossStackReferences': {
    value: 'strong',
    why: 'strong references keep the DR stack (vault and key) from being deleted while the primary stack copies to it',
  },
};

test("the shipped app's cdk.json sets every flag aws-cdk-lib recommends, as `cdk init` does, but for the departures listed here", () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const set = Object.fromEntries(Object.keys(cxapi.CURRENTLY_RECOMMENDED_FLAGS).map((flag) => [flag, cdkJson.context[flag]]));
  const expected = { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS, ...Object.fromEntries(Object.entries(FLAG_DEPARTURES).map(([flag, d]) => [flag, d.value])) };
  expect(set).toEqual(expected);
});
