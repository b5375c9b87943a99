/**
 * Packaging: `npm pack`, then the tarball installed into a fresh CDK app outside the repository
 * the way a user installs it: `npm install` resolving aws-cdk-lib, constructs and the peer
 * dependencies from the npm registry (pinned to this repository's versions). The app synthesizes
 * with the prebundled handler assets inside the package, and the package's `db-playbook` bin runs.
 * `npm test` builds (jsii) before jest runs.
 *
 * Why the registry and not this checkout's node_modules: installing from node_modules would skip
 * npm's peer-dependency resolution, the step a user's install goes through. The registry needs no
 * warm cache: npm fetches the packuments (an `npm ci` from a lockfile never caches them, which is
 * why `npm install --offline` failed on a fresh machine) and takes the tarballs from the cache
 * `npm ci` just filled (`--prefer-offline`), so little crosses the network.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './support/app';
import { cfnLint, unacceptedFindings } from './support/cfn-lint';
import { foreignAlarms, physicalNameClashes, readAssembly } from './support/composition';

jest.setTimeout(180_000);

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package', () => {
  let dir: string;
  let app: string;

  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'build', 'lib', 'index.js'))) throw new Error('build/lib is missing: run `npm run build` (npm test does)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'package-'));
    npm(['pack', '--pack-destination', dir], ROOT);
    const tarball = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    app = path.join(dir, 'app');
    fs.mkdirSync(app);
    const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'fresh-app', version: '1.0.0', private: true,
      dependencies: {
        'aws-cdk-lib': rootPkg.devDependencies['aws-cdk-lib'],
        'constructs': rootPkg.devDependencies.constructs,
        'cdk-db-playbook': `file:${path.join(dir, tarball)}`,
      },
    }));
    fs.writeFileSync(path.join(app, 'app.js'), `
      const { App, Stack } = require('aws-cdk-lib');
      const { DataPlatform, DisasterRecoveryStack } = require('cdk-db-playbook');
      const app = new App({ outdir: 'cdk.out' });
      const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true });
      const stack = new Stack(app, 'Fresh', { env: { region: 'us-east-1' }, crossRegionReferences: true });
      new DataPlatform(stack, 'Data', { disasterRecovery: dr.target });
      app.synth();
    `);
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('holds the compiled library, the jsii assembly, the handler bundles, the CLI and the SBOM of the bundles, not the sources', () => {
    const files = execFileSync('tar', ['tzf', fs.readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => path.join(dir, f))[0]], { encoding: 'utf8' }).split('\n');
    expect(files).toEqual(expect.arrayContaining([
      'package/build/lib/index.js', 'package/build/lib/index.d.ts', 'package/.jsii',
      'package/assets/restore-validator/index.js', 'package/assets/postgres-metrics/index.js', 'package/assets/cli/db-playbook.js',
      // What the bundles hold, for a consumer's scanner (their npm audit cannot see inside them).
      'package/sbom.cdx.json',
    ]));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/test/') || f.startsWith('package/node_modules/'))).toEqual([]);
  });

  test('a fresh CDK app outside the repository synthesizes with the handler assets', () => {
    const run = spawnSync('node', ['app.js'], { cwd: app, encoding: 'utf8', env: { ...process.env, CDK_VALIDATION: 'false' } });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const out = path.join(app, 'cdk.out');
    const assets = fs.readdirSync(out).filter((f) => f.startsWith('asset.') && fs.statSync(path.join(out, f)).isDirectory());
    const bodies = assets.map((a) => fs.readFileSync(path.join(out, a, fs.readdirSync(path.join(out, a))[0]), 'utf8'));
    expect(bodies.some((b) => b.includes('PutRestoreValidationResult'))).toBe(true);
    expect(bodies.some((b) => b.includes('pg_statio_user_tables'))).toBe(true);
  });

  describe('a user\'s app with several platforms in one account (test/fixtures/composition-app.js, plain JavaScript)', () => {
    // Two DataPlatforms and a standalone PostgresDatabase in one stack on one imported VPC, two
    // DataPlatformStacks beside it, the DR stack two of them copy to; AwsSolutions on.
    const synth = (outdir: string, env: Record<string, string> = {}) => spawnSync('node', ['composition-app.js', outdir], {
      cwd: app, encoding: 'utf8', env: { ...process.env, ...env },
    });
    let outdir: string;
    beforeAll(() => {
      fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'composition-app.js'), path.join(app, 'composition-app.js'));
      outdir = path.join(app, 'cdk.out.composition');
    });

    test('synthesizes, with AwsSolutions and aws-cdk-lib\'s CloudFormation validation passing', () => {
      const run = synth(outdir);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(readAssembly(outdir).map((s) => s.stackName).sort()).toEqual(['Dr', 'Shared', 'TeamA', 'TeamB']);
    });

    test('the AwsSolutions checks are live in it: an unacknowledged finding fails the synth', () => {
      const run = synth(path.join(app, 'cdk.out.probe'), { NAG_PROBE: '1' });
      expect(run.status).not.toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out.probe', 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ pluginName: string; conclusion: string }> };
      expect(report.pluginReports).toEqual(expect.arrayContaining([expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'failure' })]));
    });

    test('passes cfn-lint', () => {
      const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(outdir, f));
      expect(files).toHaveLength(4);
      expect(unacceptedFindings(cfnLint(files))).toEqual([]);
    });

    test('shares no physical name: SSM parameters, proxies, caches, vaults, plans, functions, private zones per VPC', () => {
      expect(physicalNameClashes(readAssembly(outdir))).toEqual([]);
    });

    test('each platform alarms on its own metrics only', () => {
      // The platform of a construct: the stack's top-level construct (Reporting's alarms are its own construct).
      const platformOf = (p: string) => { const [stack, top] = p.split('/'); return `${stack}/${top === 'ReportingAlarms' ? 'Reporting' : top}`; };
      expect(foreignAlarms(readAssembly(outdir), platformOf)).toEqual([]);
    });

    test('a second private zone of the same name in the VPC is refused at synth, naming both and what to do', () => {
      const run = synth(path.join(app, 'cdk.out.same-zone'), { SAME_ZONE: '1' });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain("Shared/Billing/Endpoints: zoneName 'db.internal' is already the private zone of Shared/Orders/Endpoints in the same VPC, "
        + "and a VPC holds one zone per name: give this one another zoneName (e.g. 'billing.db.internal')");
    });
  });

  test('npx db-playbook --help works in that app', () => {
    const run = spawnSync('npx', ['--offline', 'db-playbook', '--help'], { cwd: app, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Usage: db-playbook/);
    expect(run.stdout).toMatch(/restore/);
  });
});

test('API.md is generated from the current jsii assembly (npm run build && npm run docgen)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docgen-'));
  try {
    execFileSync('npx', ['jsii-docgen', '-o', path.join(dir, 'API.md')], { cwd: ROOT, stdio: 'ignore' });
    const fresh = fs.readFileSync(path.join(dir, 'API.md'), 'utf8');
    const committed = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8');
    expect(committed === fresh ? 'current' : 'API.md is stale: run `npm run build && npm run docgen`').toBe('current');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
