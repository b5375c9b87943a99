import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../bin/config';
import { ExistingAppStack } from '../examples/existing-app/app';
import { MinimalDevStack } from '../examples/minimal-dev/app';
import { productionApp } from '../examples/production-dr/app';
import { ReadWriteSplitStack } from '../examples/read-write-split/app';
import { shippedApp } from './support/app';

/**
 * cfn-lint findings we accept, each with its reason. Anything else — every error and every
 * other warning — fails the test.
 */
const IGNORED: Record<string, string> = {
  W3005: "aws-cdk-lib's own providers (LogRetention, the cross-region export reader and writer) declare DependsOn on their role and also GetAtt it; redundant, harmless, not ours to change",
  W3010: 'literal AZs appear only when an account is set: they are the looked-up (cdk.context.json) zones of that account, as aws-cdk-lib intends',
};

interface Match { Rule: { Id: string }; Filename: string; Message: string; Location: { Start: { LineNumber: number } } }

function cfnLintBinary(): string {
  const found = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('cfn-lint is not on PATH: install it (pip install cfn-lint); see README "Tests"');
  return 'cfn-lint';
}

function synthTemplates(name: string, app: App): string[] {
  const assembly = app.synth();
  return assembly.stacks.map((s) => {
    const file = path.join(outRoot, `${name}-${s.stackName}.template.json`);
    fs.writeFileSync(file, JSON.stringify(s.template, null, 1));
    return file;
  });
}

let outRoot: string;
beforeAll(() => { outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-')); });
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

const APPS: Array<[string, () => App]> = [
  ['shipped-production', () => { const app = shippedApp({ drReplica: 'true' }); buildApp(app); return app; }],
  ['shipped-development', () => { const app = shippedApp({ profile: 'development' }); buildApp(app); return app; }],
  ['shipped-with-account', () => { const app = shippedApp({ account: '123456789012' }); buildApp(app); return app; }],
  ['example-existing-app', () => { const app = new App(); new ExistingAppStack(app, 'ExistingApp'); return app; }],
  ['example-minimal-dev', () => { const app = new App(); new MinimalDevStack(app, 'MinimalDev'); return app; }],
  ['example-production-dr', () => { const app = new App(); productionApp(app); return app; }],
  ['example-read-write-split', () => { const app = new App(); new ReadWriteSplitStack(app, 'ReadWriteSplit'); return app; }],
];

// cfn-lint takes ~2 s to start: synthesize everything, lint it in one run, then judge each app.
let findingsByApp: Record<string, string[]>;
beforeAll(() => {
  const bin = cfnLintBinary();
  const files = APPS.flatMap(([name, make]) => synthTemplates(name, make()));
  const run = spawnSync(bin, ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // cfn-lint exits non-zero when it finds anything; the JSON on stdout says what.
  if (run.status !== 0 && !run.stdout) throw new Error(`cfn-lint failed to run (exit ${run.status}): ${run.stderr}`);
  const output = run.stdout;
  findingsByApp = Object.fromEntries(APPS.map(([name]) => [name, []]));
  for (const m of JSON.parse(output || '[]') as Match[]) {
    const file = path.basename(m.Filename);
    const app = APPS.map(([name]) => name).find((name) => file.startsWith(`${name}-`))!;
    if (!(m.Rule.Id in IGNORED)) findingsByApp[app].push(`${m.Rule.Id} ${file}:${m.Location.Start.LineNumber} ${m.Message}`);
  }
}, 120_000);

test.each(APPS.map(([name]) => [name]))('cfn-lint finds nothing in %s', (name) => {
  expect(findingsByApp[name]).toEqual([]);
});

test('cfn-lint really reports a broken template', () => {
  const bin = cfnLintBinary();
  const file = path.join(outRoot, 'broken.template.json');
  fs.writeFileSync(file, JSON.stringify({
    Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.m7g.large', Engine: 'postgres', BackupRetentionPeriod: 'fourteen' } } },
  }));
  const run = spawnSync(bin, ['--format', 'json', '--', file], { encoding: 'utf8' });
  expect(run.status).not.toBe(0);
  expect((JSON.parse(run.stdout) as Match[]).some((m) => m.Rule.Id.startsWith('E'))).toBe(true);
});
