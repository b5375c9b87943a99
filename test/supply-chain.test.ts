/**
 * Supply chain: the package bundles pg, commander and AWS SDK clients into assets/, which a
 * consumer's `npm audit` cannot see (the package declares no dependencies). So it ships an SBOM,
 * sbom.cdx.json (CycloneDX 1.6, built by scripts/bundle-handlers.mjs with scripts/sbom.mjs from
 * esbuild's metafile of each bundle, kept current by `--check`), and CI audits what it ships
 * (scripts/audit-shipped.mjs, judged here on saved `npm audit --json` reports: no registry needed).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';

const ROOT = path.resolve(__dirname, '..');
const SBOM = path.join(ROOT, 'sbom.cdx.json');
const BUNDLE = 'cdk-db-playbook:bundle';
const EXTERNAL = 'cdk-db-playbook:external';
const CLI = 'assets/cli/db-playbook.js';

interface Property { readonly name: string; readonly value: string }
interface Component {
  readonly type: string;
  readonly 'bom-ref': string;
  readonly group?: string;
  readonly name: string;
  readonly version: string;
  readonly licenses: Array<{ license?: { id?: string; name?: string }; expression?: string }>;
  readonly purl: string;
  readonly properties?: Property[];
}
interface Sbom {
  readonly bomFormat: string;
  readonly specVersion: string;
  readonly version: number;
  readonly metadata: { component: Component; tools: { components: Array<{ name: string; version?: string }> } };
  readonly components: Component[];
  readonly dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const fullName = (c: Component) => (c.group ? `${c.group}/${c.name}` : c.name);
const bundlesOf = (c: Component) => (c.properties ?? []).filter((p) => p.name === BUNDLE).map((p) => p.value);

/** Runs an ES module snippet (the scripts are .mjs) in `cwd`; its stdout parsed as JSON. */
function runModule(code: string, cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the SBOM, sbom.cdx.json', () => {
  const sbom = () => readJson<Sbom>(SBOM);
  const pkg = readJson<{ name: string; version: string; license: string; files: string[]; scripts: Record<string, string> }>(path.join(ROOT, 'package.json'));

  test('is CycloneDX 1.6 JSON for this package, and in the package ("files")', () => {
    const s = sbom();
    expect({ bomFormat: s.bomFormat, specVersion: s.specVersion, version: s.version }).toEqual({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 });
    expect(s.metadata.component).toMatchObject({
      type: 'library', name: pkg.name, version: pkg.version, purl: `pkg:npm/${pkg.name}@${pkg.version}`,
      licenses: [{ license: { id: pkg.license } }],
    });
    expect(s.metadata.tools.components).toEqual([expect.objectContaining({ name: 'esbuild', version: readJson<{ version: string }>(path.join(ROOT, 'node_modules', 'esbuild', 'package.json')).version })]);
    expect(pkg.files).toContain('sbom.cdx.json');
  });

  test('each component has a name, a version from the lockfile, a license and its purl', () => {
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(path.join(ROOT, 'package-lock.json'));
    const locked = new Set(Object.entries(lock.packages).map(([p, v]) => `${p.replace(/^.*node_modules\//, '')}@${v.version}`));
    const s = sbom();
    expect(s.components.length).toBeGreaterThan(10);
    for (const c of s.components) {
      const name = fullName(c);
      const scope = c.group ? `${encodeURIComponent(c.group)}/` : '';
      expect({ name, purl: c.purl, ref: c['bom-ref'] }).toEqual({ name, purl: `pkg:npm/${scope}${c.name}@${c.version}`, ref: c.purl });
      expect(c.purl.startsWith('pkg:npm/@')).toBe(false);
      expect(locked.has(`${name}@${c.version}`) ? 'in the lockfile' : `${name}@${c.version} is not in package-lock.json`).toBe('in the lockfile');
      expect(c.licenses).toHaveLength(1);
      const [l] = c.licenses;
      expect(l.license?.id ?? l.expression ?? l.license?.name).toMatch(/\S/);
      expect(bundlesOf(c).length).toBeGreaterThan(0);
    }
    expect(new Set(s.components.map((c) => c.purl)).size).toBe(s.components.length);
  });

  test('lists what each bundle holds: pg everywhere, commander and the AWS SDK in the CLI only', () => {
    const s = sbom();
    const bundles = fs.readdirSync(path.join(ROOT, 'assets'), { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => (d.name === 'cli' ? CLI : `assets/${d.name}/index.js`)).sort();
    const byName = new Map(s.components.map((c) => [fullName(c), c]));
    const version = (name: string) => readJson<{ version: string }>(path.join(ROOT, 'node_modules', name, 'package.json')).version;
    for (const name of ['pg', 'pg-protocol', 'pg-pool', 'pg-types']) {
      expect({ name, version: byName.get(name)?.version, bundles: byName.get(name) && bundlesOf(byName.get(name)!) }).toEqual({ name, version: version(name), bundles });
    }
    for (const name of ['commander', '@aws-sdk/client-rds', '@aws-sdk/client-s3', '@aws-sdk/client-backup', '@aws-sdk/client-kms', '@aws-sdk/client-secrets-manager', '@aws-sdk/credential-providers', '@smithy/core']) {
      expect({ name, version: byName.get(name)?.version, bundles: byName.get(name) && bundlesOf(byName.get(name)!) }).toEqual({ name, version: version(name), bundles: [CLI] });
    }
    // The handlers take the AWS SDK from the Lambda runtime: not inside, recorded as external.
    for (const c of s.components.filter((c) => c.group === '@aws-sdk' || c.group === '@smithy')) expect(bundlesOf(c)).toEqual([CLI]);
    const externals = (s.metadata.component.properties ?? []).filter((p) => p.name === EXTERNAL).map((p) => p.value);
    expect(externals).toEqual(expect.arrayContaining([
      'assets/restore-validator/index.js: @aws-sdk/client-backup', 'assets/restore-validator/index.js: @aws-sdk/client-rds',
      'assets/postgres-metrics/index.js: @aws-sdk/client-secrets-manager', 'assets/database-roles/index.js: @aws-sdk/client-secrets-manager',
    ]));
    // Type-only packages put no code in a bundle.
    expect(byName.has('@aws-sdk/types')).toBe(false);
    // The root's direct dependencies are what the sources import.
    expect(s.dependencies[0]).toEqual({ ref: s.metadata.component['bom-ref'], dependsOn: expect.arrayContaining([byName.get('pg')!.purl, byName.get('commander')!.purl]) });
  });

  test('`scripts/bundle-handlers.mjs --check` checks it with the bundles', () => {
    const run = spawnSync(process.execPath, ['scripts/bundle-handlers.mjs', '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain('sbom.cdx.json up to date');
  });

  test('fails `--check` when stale: a copy of the sources with an edited SBOM', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbom-check-'));
    try {
      for (const entry of ['lambda', 'cli', 'shared', 'scripts', 'assets']) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
      for (const file of ['package.json']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      const stale = sbom();
      fs.writeFileSync(path.join(dir, 'sbom.cdx.json'), `${JSON.stringify({ ...stale, components: stale.components.slice(1) }, null, 2)}\n`);
      const run = spawnSync(process.execPath, ['scripts/bundle-handlers.mjs', '--check'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('sbom.cdx.json differs from the SBOM of fresh bundles\n');
      expect(run.stderr).toContain('run `npm run bundle` and commit assets/ and sbom.cdx.json\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/sbom.mjs on a metafile', () => {
  let root: string;
  const write = (file: string, json: unknown) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), JSON.stringify(json));
  };
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sbom-unit-'));
    write('package.json', { name: 'app', version: '1.2.3', license: 'Apache-2.0' });
    write('node_modules/a/package.json', { name: 'a', version: '1.0.0', license: 'MIT' });
    write('node_modules/a/lib/package.json', { type: 'module' });
    write('node_modules/@s/b/package.json', { name: '@s/b', version: '2.0.0+build.1', license: '(MIT OR Apache-2.0)' });
    write('node_modules/c/package.json', { name: 'c', version: '3.0.0', license: { type: 'ISC' } });
    write('node_modules/a/node_modules/c/package.json', { name: 'c', version: '2.9.0', licenses: [{ type: 'MIT' }, { type: 'BSD-3-Clause' }] });
    write('node_modules/shaken/package.json', { name: 'shaken', version: '1.0.0', license: 'MIT' });
    write('node_modules/nolicense/package.json', { name: 'nolicense', version: '1.0.0' });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const metafile = (inputs: Record<string, { bytes: number; imports?: string[] }>, externals: string[] = []) => ({
    inputs: Object.fromEntries(Object.entries(inputs).map(([p, i]) => [p, { bytes: i.bytes, imports: (i.imports ?? []).map((to) => ({ path: to, kind: 'require-call' })) }])),
    outputs: {
      'out.js': {
        bytes: 1, entryPoint: 'src/index.ts',
        imports: externals.map((e) => ({ path: e, kind: 'require-call', external: true })),
        inputs: Object.fromEntries(Object.entries(inputs).map(([p, i]) => [p, { bytesInOutput: i.bytes }])),
      },
    },
  });
  const generate = (bundles: unknown) => runModule(
    `import { cycloneDx } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'scripts', 'sbom.mjs')).href)};
     process.stdout.write(JSON.stringify(cycloneDx({ root: process.cwd(), bundles: ${JSON.stringify(bundles)} })));`, root);

  test('one component per package with code in the output: scoped, nested copies, every license form; imports as dependencies', () => {
    const run = generate([{
      file: 'out/one.js',
      metafile: metafile({
        'src/index.ts': { bytes: 10, imports: ['node_modules/a/index.js', 'node_modules/@s/b/dist/index.js'] },
        'node_modules/a/index.js': { bytes: 5, imports: ['node_modules/a/lib/x.js', 'node_modules/a/node_modules/c/index.js'] },
        'node_modules/a/lib/x.js': { bytes: 5 },
        'node_modules/a/node_modules/c/index.js': { bytes: 5 },
        'node_modules/@s/b/dist/index.js': { bytes: 5, imports: ['node_modules/c/index.js'] },
        'node_modules/c/index.js': { bytes: 5 },
        'node_modules/shaken/index.js': { bytes: 0 },
      }, ['node:fs', 'net', '@aws-sdk/client-rds', 'pg-native']),
    }, {
      file: 'out/two.js',
      metafile: metafile({ 'src/two.ts': { bytes: 1, imports: ['node_modules/c/index.js'] }, 'node_modules/c/index.js': { bytes: 5 } }),
    }]);
    expect(run.stderr).toBe('');
    const s = JSON.parse(run.stdout) as Sbom;
    expect(s.metadata.component).toMatchObject({ name: 'app', version: '1.2.3', purl: 'pkg:npm/app@1.2.3' });
    expect(s.metadata.component.properties).toEqual([
      { name: EXTERNAL, value: 'out/one.js: @aws-sdk/client-rds' }, { name: EXTERNAL, value: 'out/one.js: pg-native' },
    ]);
    expect(s.components.map((c) => ({ group: c.group, name: c.name, version: c.version, licenses: c.licenses, purl: c.purl, bundles: bundlesOf(c) }))).toEqual([
      { group: '@s', name: 'b', version: '2.0.0+build.1', licenses: [{ expression: '(MIT OR Apache-2.0)' }], purl: 'pkg:npm/%40s/b@2.0.0%2Bbuild.1', bundles: ['out/one.js'] },
      { group: undefined, name: 'a', version: '1.0.0', licenses: [{ license: { id: 'MIT' } }], purl: 'pkg:npm/a@1.0.0', bundles: ['out/one.js'] },
      { group: undefined, name: 'c', version: '2.9.0', licenses: [{ expression: '(MIT OR BSD-3-Clause)' }], purl: 'pkg:npm/c@2.9.0', bundles: ['out/one.js'] },
      { group: undefined, name: 'c', version: '3.0.0', licenses: [{ license: { id: 'ISC' } }], purl: 'pkg:npm/c@3.0.0', bundles: ['out/one.js', 'out/two.js'] },
    ]);
    expect(s.dependencies).toEqual([
      { ref: 'pkg:npm/app@1.2.3', dependsOn: ['pkg:npm/%40s/b@2.0.0%2Bbuild.1', 'pkg:npm/a@1.0.0', 'pkg:npm/c@3.0.0'] },
      { ref: 'pkg:npm/%40s/b@2.0.0%2Bbuild.1', dependsOn: ['pkg:npm/c@3.0.0'] },
      { ref: 'pkg:npm/a@1.0.0', dependsOn: ['pkg:npm/c@2.9.0'] },
      { ref: 'pkg:npm/c@2.9.0', dependsOn: [] },
      { ref: 'pkg:npm/c@3.0.0', dependsOn: [] },
    ]);
  });

  test('fails when a bundled package declares no license, or an input is neither a package nor own source', () => {
    const noLicense = generate([{ file: 'out.js', metafile: metafile({ 'node_modules/nolicense/index.js': { bytes: 1 } }) }]);
    expect(noLicense.status).not.toBe(0);
    expect(noLicense.stderr).toContain('node_modules/nolicense/package.json declares no license');
    const outside = generate([{ file: 'out.js', metafile: metafile({ '../elsewhere/x.js': { bytes: 1 } }) }]);
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toContain("metafile input ../elsewhere/x.js is neither under node_modules/ nor this repository's source");
  });
});

describe('the audit of what the package ships (scripts/audit-shipped.mjs, run by .ci/run)', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pgVersion = () => readJson<Sbom>(SBOM).components.find((c) => c.name === 'pg' && !c.group)!.version;
  const advisory = (name: string, severity: string, nodes: string[], title = `${name} is broken`) => ({
    [name]: {
      name, severity, isDirect: true, nodes, range: '<99.0.0', fixAvailable: false, effects: [],
      via: [{ source: 1, name, dependency: name, title, url: `https://github.com/advisories/GHSA-${name}`, severity, range: '<99.0.0' }],
    },
  });
  const report = (vulnerabilities: Record<string, unknown>) => ({ auditReportVersion: 2, vulnerabilities, metadata: {} });
  function audit(content: unknown, ...args: string[]) {
    const file = path.join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(content));
    const run = spawnSync(process.execPath, ['scripts/audit-shipped.mjs', '--report', file, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  test('fails on a high advisory of a bundled package, naming it, its bundles and the advisory', () => {
    const run = audit(report(advisory('pg', 'high', ['node_modules/pg'])));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`audit-shipped: high: pg is broken (https://github.com/advisories/GHSA-pg; <99.0.0): pg@${pgVersion()} bundled in ${CLI}, assets/database-roles/index.js`);
    expect(run.stderr).toContain('1 high or critical advisories in the');
  });

  test('fails on a critical advisory of a dependency consumers install (a lockfile package not marked dev)', () => {
    const lockfile = path.join(dir, 'package-lock.json');
    fs.writeFileSync(lockfile, JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/leftpad': { version: '1.0.0' }, 'node_modules/jest': { version: '30.0.0', dev: true } } }));
    const run = audit(report({ ...advisory('leftpad', 'critical', ['node_modules/leftpad']), ...advisory('jest', 'critical', ['node_modules/jest']) }), '--lockfile', lockfile);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('critical: leftpad is broken (https://github.com/advisories/GHSA-leftpad; <99.0.0): leftpad@1.0.0 a dependency (node_modules/leftpad)');
    expect(run.stderr).not.toContain('jest is broken');
  });

  test('does not fail on dev-only high advisories, nor on moderate ones of bundled packages: it lists them', () => {
    const run = audit(report({
      ...advisory('jest', 'critical', ['node_modules/jest']),
      ...advisory('pg', 'moderate', ['node_modules/pg']),
      // A copy of a bundled name the lockfile does not hold is not what the bundles hold.
      ...advisory('commander', 'high', ['node_modules/nowhere/node_modules/commander']),
      // Affected only through a dependency: judged on that dependency's own entry.
      'pg-pool': { name: 'pg-pool', severity: 'high', isDirect: false, nodes: ['node_modules/pg-pool'], via: ['pg'], effects: [], range: '*' },
    }));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('audit-shipped: not failing: critical: jest is broken (https://github.com/advisories/GHSA-jest; <99.0.0): jest, dev only (node_modules/jest)');
    expect(run.stdout).toContain(`audit-shipped: not failing: moderate: pg is broken (https://github.com/advisories/GHSA-pg; <99.0.0): pg@${pgVersion()} bundled in`);
    expect(run.stdout).toContain('commander, dev only (node_modules/nowhere/node_modules/commander)');
    expect(run.stdout).not.toContain('pg-pool');
    expect(run.stdout).toMatch(/audit-shipped: no high or critical advisory in the \d+ bundled packages of sbom\.cdx\.json/);
  });

  test('without advisories (the registry refused the request) it says it audited nothing, and fails only with --strict', () => {
    const refused = { message: '405 Method Not Allowed - POST <registry>/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } };
    const lenient = audit(refused);
    expect(lenient).toEqual({ status: 0, stdout: '', stderr: 'audit-shipped: NOT AUDITED: npm could not get advisories (405 Method Not Allowed - POST <registry>/-/npm/v1/security/advisories/bulk); not failing without --strict\n' });
    expect(audit(refused, '--strict').status).toBe(1);
  });

  test('runs in CI (.ci/run, where the registry is), not in `npm test`', () => {
    const scripts = readJson<{ scripts: Record<string, string> }>(path.join(ROOT, 'package.json')).scripts;
    expect(scripts['audit:shipped']).toBe('node scripts/audit-shipped.mjs');
    expect(scripts.test).not.toContain('audit');
    expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run audit:shipped$/m);
  });
});
