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
import { CFN_LINT_IGNORED as IGNORED, CfnLintMatch as Match, cfnLint, cfnLintBinary } from './support/cfn-lint';

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
  const files = APPS.flatMap(([name, make]) => synthTemplates(name, make()));
  const matches = cfnLint(files);
  findingsByApp = Object.fromEntries(APPS.map(([name]) => [name, []]));
  for (const m of matches) {
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
