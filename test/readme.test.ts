/**
 * README's commands run as written, and its numbers match the templates.
 *
 * Commands: every `npx cdk …` and `npx db-playbook …` line of README's shell code blocks is run
 * in its own process, so a README command cannot rot.
 * - `npx cdk synth|deploy|destroy …` synthesizes (as `npx cdk synth` with the same stacks and
 *   context) offline: no AWS credentials, no endpoint, in a sandbox holding the app and a copy of
 *   cdk.json and cdk.context.json. Lines with the same context synthesize once.
 *   `npx cdk bootstrap …` prints its template (`--show-template`), which needs no AWS either.
 * - `npx db-playbook …` runs the bundled CLI against moto, seeded with README's example
 *   deployment (`orders-db`, `orders-proxy`, `orders-blobs-us-east-1`, DR region us-west-2), and
 *   against a real PostgreSQL with TLS. README's RDS host names reach that server through
 *   test/support/redirect-preload.cjs (moto's endpoints exist in no DNS), and its certificate
 *   carries them, signed by a CA that stands in for `global-bundle.pem`. What moto cannot serve is
 *   answered by test/support/aws-gaps-proxy.ts, which says what and why.
 *   `inspect` logs in as DataPlatform's monitoring user, as README says: `playbook_monitor` exists
 *   there with LOGIN and pg_monitor, pg_read_all_stats only (no superuser, no table privilege), and
 *   pg_hba lets it in over TLS with its password only (scram-sha-256), the password of the seeded
 *   monitoring secret. Each inspect line must show in the server's log as that user's TLS login.
 * A command must exit 0, or 3 where README says it reports findings by exit code.
 *
 * Numbers: the cost table's counts and sums, the resource counts, the database's inbound rules
 * and what production keeps on deletion are checked against the synthesized templates.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { Client } from 'pg';
import { buildStacks } from '../bin/config';
import { ROOT, shippedApp } from './support/app';
import { awsClientConfig, MotoServer, startMoto } from './support/moto-server';
import { AwsGapsProxy, startAwsGapsProxy } from './support/aws-gaps-proxy';
import { SeededDeployment, seedDeployment } from './support/seed-deployment';
import { startTlsPostgres, TlsPostgres } from './support/tls-postgres';

jest.setTimeout(300_000);

/** The monitoring user README's inspect lines log in as (DataPlatform's default name). */
const MONITOR = 'playbook_monitor';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

// --- reading README's commands ----------------------------------------------------------------

/** The lines of README's sh/bash code blocks, `\` continuations joined. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^( *)```(?:sh|bash|shell)\n([\s\S]*?)^\1```/gm)) {
    const text = block[2].split('\n').map((l) => l.slice(block[1].length)).join('\n').replace(/\\\n\s*/g, ' ');
    lines.push(...text.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return lines;
}

/** Splits a shell line into words (quotes respected), stopping at a comment; `&&` is a word. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (c === ' ') {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unterminated quote in README line: ${line}`);
  if (word !== undefined) out.push(word);
  return out;
}

/** Every `npx cdk …` / `npx db-playbook …` command of README, as words after `npx`. */
function readmeCommands(): string[][] {
  const commands: string[][] = [];
  for (const line of shellLines(README)) {
    let current: string[] = [];
    for (const w of [...words(line), '&&']) {
      if (w !== '&&') { current.push(w); continue; }
      if (current[0] === 'npx' && ['cdk', 'db-playbook'].includes(current[1])) commands.push(current.slice(1));
      current = [];
    }
  }
  return commands;
}

const COMMANDS = readmeCommands();
const CDK = COMMANDS.filter((c) => c[0] === 'cdk');
const CLI = COMMANDS.filter((c) => c[0] === 'db-playbook');

test('README has the commands this test runs', () => {
  expect(CDK.map((c) => c[1])).toEqual(expect.arrayContaining(['synth', 'deploy', 'bootstrap', 'destroy']));
  expect(new Set(CLI.map((c) => c[1]))).toEqual(new Set(['recovery-points', 'restore', 'copy', 'doctor', 'inspect', 'upgrade']));
});

// --- running commands -------------------------------------------------------------------------

interface Run { code: number | null; stdout: string; stderr: string }

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment with no AWS settings and no way to credentials: what "offline" means here. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')));
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
}

let sandbox: string;
beforeAll(() => {
  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
  fs.chmodSync(sandbox, 0o755);
  for (const entry of ['bin', 'lib', 'shared', 'assets', 'node_modules', 'package.json', 'tsconfig.json']) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(sandbox, entry));
  }
  for (const file of ['cdk.json', 'cdk.context.json']) fs.copyFileSync(path.join(ROOT, file), path.join(sandbox, file));
});
afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

describe('README\'s npx cdk commands', () => {
  /** synth / deploy / destroy lines grouped by their context: each group synthesizes once. */
  const groups = new Map<string, { context: string[]; stacks: Set<string>; lines: string[] }>();
  for (const c of CDK.filter((w) => ['synth', 'deploy', 'destroy'].includes(w[1]))) {
    const context: string[] = [];
    const stacks: string[] = [];
    for (let i = 2; i < c.length; i++) {
      if (c[i] === '-c' || c[i] === '--context') context.push(c[i], c[++i]);
      else if (c[i] === '--all') stacks.push('--all');
      else if (!c[i].startsWith('-')) stacks.push(c[i]);
      else throw new Error(`README's 'npx ${c.join(' ')}': this test does not know the option ${c[i]}`);
    }
    const key = context.join(' ');
    const group = groups.get(key) ?? { context, stacks: new Set<string>(), lines: [] };
    for (const s of stacks) group.stacks.add(s);
    group.lines.push(`npx ${c.join(' ')}`);
    groups.set(key, group);
  }

  test.each([...groups.values()].map((g) => [g.lines.join(' / '), g] as const))('%s synthesizes offline', async (_lines, group) => {
    const out = fs.mkdtempSync(path.join(sandbox, 'cdk.out-'));
    const stacks = group.stacks.has('--all') || group.stacks.size === 0 ? ['--all'] : [...group.stacks];
    const r = await run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', ...stacks, ...group.context, '--quiet', '--output', out], sandbox, offlineEnv());
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const templates = fs.readdirSync(out).filter((f) => f.endsWith('.template.json'));
    expect(templates.length).toBeGreaterThan(0);
  });

  test.each(CDK.filter((c) => c[1] === 'bootstrap').map((c) => [`npx ${c.join(' ')}`, c] as const))('%s is a valid bootstrap of both regions', async (_line, c) => {
    const r = await run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), [...c.slice(1), '--show-template'], sandbox, offlineEnv());
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain('BootstrapVersion');
    // Both regions of the deploy line: the primary and the DR one.
    expect(c.slice(2)).toEqual(['aws://111122223333/eu-west-1', 'aws://111122223333/eu-central-1']);
  });
});

describe('README\'s npx db-playbook commands', () => {
  let moto: MotoServer;
  let gaps: AwsGapsProxy;
  let postgres: TlsPostgres;
  let env: NodeJS.ProcessEnv;
  let seeded: SeededDeployment;

  beforeAll(async () => {
    moto = await startMoto();
    // rds.logical_replication on: README's upgrade runbook is a major upgrade, whose precheck asks for it.
    seeded = await seedDeployment(moto.endpoint, { prefix: 'orders', parameters: { 'rds.logical_replication': '1' } });
    // README's restore time must be inside the window: a deployment with history since then.
    gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date('2026-03-01T00:00:00Z') });
    postgres = await startTlsPostgres({ dnsNames: ['*.aaaaaaaaaa.us-east-1.rds.amazonaws.com'] });
    const admin = await postgres.server.client();
    await admin.query('CREATE ROLE dbadmin LOGIN SUPERUSER');
    await admin.query('CREATE DATABASE app OWNER dbadmin');
    // DataPlatform's monitoring user, with the password of its (seeded) secret.
    const { rows: [create] } = await admin.query<{ sql: string }>(
      "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE pg_monitor, pg_read_all_stats', $1::text, $2::text) AS sql",
      [seeded.monitoringSecret.username, seeded.monitoringSecret.password]);
    await admin.query(create.sql);
    // It logs in over TLS with its password, or not at all; every login is logged.
    const hba = path.join(postgres.server.dataDir, 'pg_hba.conf');
    fs.writeFileSync(hba, [
      `hostssl all ${MONITOR} 127.0.0.1/32 scram-sha-256`,
      `host all ${MONITOR} 0.0.0.0/0 reject`,
      `host all ${MONITOR} ::/0 reject`,
      fs.readFileSync(hba, 'utf8'),
    ].join('\n'));
    await admin.query('ALTER SYSTEM SET log_connections = on');
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
    await waitForMonitorRules();
    const app = await postgres.server.client('app');
    await app.query('CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)');
    await app.query('INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g');
    await app.end();
    // What README's `curl -sO .../global-bundle.pem` fetches, in the directory the commands run in.
    fs.copyFileSync(postgres.caFile, path.join(sandbox, 'global-bundle.pem'));
    env = {
      ...offlineEnv(),
      ...Object.fromEntries(Object.entries(awsClientConfig(gaps.url).credentials).map(([k, v]) => [k === 'accessKeyId' ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY', v])),
      AWS_ENDPOINT_URL: gaps.url,
      AWS_REGION: 'us-east-1',
      // README: export PGSSLROOTCERT=$PWD/global-bundle.pem PGPASSWORD='...'
      PGSSLROOTCERT: path.join(sandbox, 'global-bundle.pem'),
      PGPASSWORD: 'password-of-the-restore-time',
      NODE_OPTIONS: `--require ${path.join(ROOT, 'test', 'support', 'redirect-preload.cjs')}`,
      REDIRECT_POSTGRES_PORT: String(postgres.server.port),
      REDIRECT_TUNNEL_PORT: '15433',
    };
  });
  afterAll(async () => {
    await gaps?.close();
    await moto?.stop();
    await postgres?.stop();
  });

  /** Logs in as the monitoring user, over TLS or not; resolves to the error message, or 'ok'. */
  async function monitorLogin(ssl: boolean, password: string): Promise<string> {
    const client = new Client({
      host: '127.0.0.1', port: postgres.server.port, database: 'app', user: MONITOR, password,
      ssl: ssl ? { ca: fs.readFileSync(postgres.caFile, 'utf8'), servername: 'localhost' } : false,
    });
    try {
      await client.connect();
      await client.end();
      return 'ok';
    } catch (e) {
      await client.end().catch(() => undefined);
      return (e as Error).message;
    }
  }

  /** Until the reloaded pg_hba is in force (a reload is asynchronous): no login without TLS or with a wrong password. */
  async function waitForMonitorRules(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const plain = await monitorLogin(false, seeded.monitoringSecret.password);
      const wrong = await monitorLogin(true, 'not-the-password');
      if (/no pg_hba\.conf entry|rejects connection/.test(plain) && /password authentication failed/.test(wrong)) break;
      if (Date.now() > deadline) throw new Error(`pg_hba for ${MONITOR} not in force: without TLS '${plain}', wrong password '${wrong}'`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await monitorLogin(true, seeded.monitoringSecret.password)).toBe('ok');
  }

  /** The environment of one README command: inspect's PGPASSWORD is the monitoring user's (README's export line). */
  function commandEnv(c: string[]): NodeJS.ProcessEnv {
    if (c[1] !== 'inspect') return env;
    // With --secret-arn the secret's password must win over PGPASSWORD: give PGPASSWORD a wrong one.
    return { ...env, PGPASSWORD: c.includes('--secret-arn') ? 'not-the-password' : seeded.monitoringSecret.password };
  }

  /** The exit codes a README command may end with: 3 only where README says findings exit 3. */
  const allowed = (c: string[]) => (c[1] === 'doctor' || c.includes('--fail-on') ? [0, 3] : [0]);

  // In README's order: the restore runbook restores, then promotes the same target (a resume).
  test.each(CLI.map((c) => [`npx ${c.join(' ')}`, c] as const))('%s', async (_line, c) => {
    const logBefore = fs.statSync(postgres.server.logFile).size;
    const r = await run('npx', c, sandbox, commandEnv(c));
    expect({ code: allowed(c).includes(r.code ?? -1) ? 'ok' : r.code, stderr: allowed(c).includes(r.code ?? -1) ? '' : r.stderr }).toEqual({ code: 'ok', stderr: '' });
    expect(r.stderr).not.toMatch(/^\s+at |Error: |EPIPE|NodeVersionSupportWarning/m);
    // The runbook's verification really ran: over TLS checked against the CA bundle, on the test bed's orders.
    // The upgrade runbook's prechecks all pass on the test bed, and green was verified on its endpoint.
    if (c[1] === 'upgrade') expect(r.stdout).toMatch(/prechecks: \d+ PASS, 0 FAIL/);
    if (c[1] === 'upgrade' && c.includes('--verify-sql')) expect(r.stdout).toMatch(/--verify-sql ok on green \(orders-db-green-[a-z]+\.aaaaaaaaaa\.us-east-1\.rds\.amazonaws\.com:5433\/app\): 1 row\(s\)/);
    if (c[1] === 'restore' && c.includes('--verify-sql')) expect(r.stdout).toMatch(/verify +ok on orders-0314\.aaaaaaaaaa\.us-east-1\.rds\.amazonaws\.com:5433\/app: 1 row\(s\), first \{"count":"100"\}/);
    if (c.includes('--cutover-proxy')) expect(r.stdout).toMatch(/cutover +proxy 'orders-proxy' now targets orders-0314 \(was orders-db\)/);
    if (c[1] === 'inspect') {
      // README names the monitoring user (in the URL, or through the secret), and it was that user who logged in, over TLS.
      expect(c.some((w) => w.startsWith(`postgresql://${MONITOR}@`)) || c[c.indexOf('--secret-arn') + 1] === seeded.monitoringSecret.name).toBe(true);
      const log = fs.readFileSync(postgres.server.logFile, 'utf8').slice(logBefore);
      const logins = [...log.matchAll(/connection authorized: (user=\S+ database=\S+)(.*)$/gm)].map((m) => `${m[1]}${m[2].includes(' SSL enabled ') ? ' TLS' : ''}`);
      expect(logins).toEqual([`user=${MONITOR} database=app TLS`]);
      expect(r.stdout).not.toMatch(/permission denied/i);
      if (c.includes('--json')) expect(JSON.parse(r.stdout)).toMatchObject({ command: 'inspect', summary: expect.any(Object) });
    }
  });

  test('the stand-ins answered what moto cannot serve, and nothing else', () => {
    expect(new Set(gaps.answered.map((a) => a.split(' ')[0]))).toEqual(new Set([
      'DescribeDBInstanceAutomatedBackups', 'ListRecoveryPointsByBackupVault', 'ListRecoveryPointsByResource',
      // The DR restore from a backups ARN (SourceDBInstanceAutomatedBackupsArn): moto restores another instance.
      'RestoreDBInstanceToPointInTime',
      // doctor's support dates, maintenance and CA; upgrade's engine versions (moto answers HTTP 500).
      'DescribeDBMajorEngineVersions', 'DescribePendingMaintenanceActions', 'DescribeCertificates', 'DescribeDBEngineVersions',
    ]));
  });
});

// --- README's numbers ---------------------------------------------------------------------------

describe('README\'s numbers come from the templates', () => {
  const zones = (r: string) => ({ [`availability-zones:account=111122223333:region=${r}`]: ['a', 'b', 'c'].map((z) => `${r}${z}`) });
  const deployed = (profile: string) => {
    const { primary, dr } = buildStacks(shippedApp({ profile, account: '111122223333', region: 'us-east-1', ...zones('us-east-1'), ...zones('us-west-2') }));
    return { primary: Template.fromStack(primary), dr: dr ? Template.fromStack(dr) : undefined };
  };
  const production = deployed('production');
  const development = deployed('development');
  const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;
  const interfaceEndpoints = (t: Template) => Object.keys(t.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } })).length;
  const azs = (t: Template) => count(t, 'AWS::EC2::Subnet') / 2;

  /** The cost table's row `label`: [production cell, production $, development cell, development $]. */
  function costRow(label: string): [string, number, string, number] {
    const section = README.slice(README.indexOf('\n## Cost\n'), README.indexOf('\n## ', README.indexOf('\n## Cost\n') + 1));
    const row = section.split('\n').find((l) => l.startsWith(`| ${label} |`));
    if (!row) throw new Error(`README's cost table has no row '${label}'`);
    const cells = row.split('|').slice(2, 6).map((c) => c.trim());
    const money = (c: string) => (c === '–' ? 0 : Number(c.replace(/[*$,]/g, '')));
    return [cells[0], money(cells[1]), cells[2], money(cells[3])];
  }

  test('the cost table counts what the templates create', () => {
    const [prodDb, , devDb] = costRow('Primary instance');
    const db = (t: Template) => Object.values(t.findResources('AWS::RDS::DBInstance')).find((r) => !r.Properties.SourceDBInstanceIdentifier)!.Properties;
    expect(prodDb).toContain(`\`${db(production.primary).DBInstanceClass}\` ${db(production.primary).MultiAZ ? 'Multi-AZ' : 'single-AZ'}`);
    expect(devDb).toContain(`\`${db(development.primary).DBInstanceClass}\` ${db(development.primary).MultiAZ ? 'Multi-AZ' : 'single-AZ'}`);
    expect(costRow('Primary storage')[0]).toContain(`${db(production.primary).AllocatedStorage} GiB gp3`);
    expect(costRow('Primary storage')[2]).toContain(`${db(development.primary).AllocatedStorage} GiB gp3`);
    expect(costRow('Read replicas')[0]).toMatch(new RegExp(`^${count(production.primary, 'AWS::RDS::DBInstance') - 1} × `));
    expect(count(development.primary, 'AWS::RDS::DBInstance')).toBe(1);
    const cache = (t: Template) => Object.values(t.findResources('AWS::ElastiCache::ReplicationGroup'))[0].Properties;
    expect(costRow('Cache')[0]).toContain(`${cache(production.primary).NumCacheClusters} × \`${cache(production.primary).CacheNodeType}\``);
    expect(costRow('Cache')[2]).toContain(`${cache(development.primary).NumCacheClusters} × \`${cache(development.primary).CacheNodeType}\``);
    expect(costRow('Interface endpoints')[0]).toContain(`${interfaceEndpoints(production.primary)} services × ${azs(production.primary)} AZs`);
    expect(costRow('Interface endpoints')[2]).toContain(`${interfaceEndpoints(development.primary)} service × ${azs(development.primary)} AZs`);
    expect(costRow('KMS keys')[0]).toContain(`${count(production.primary, 'AWS::KMS::Key') + count(production.dr!, 'AWS::KMS::Key')} (${count(production.primary, 'AWS::KMS::Key')} in the primary stack, ${count(production.dr!, 'AWS::KMS::Key')} in the DR stack`);
    expect(costRow('KMS keys')[2]).toBe(String(count(development.primary, 'AWS::KMS::Key')));
    expect(costRow('Secrets')[0]).toMatch(new RegExp(`^${count(production.primary, 'AWS::SecretsManager::Secret')} `));
    expect(costRow('Secrets')[2]).toBe(String(count(development.primary, 'AWS::SecretsManager::Secret')));
    expect(costRow('Alarms and dashboard')[0]).toContain(`${count(production.primary, 'AWS::CloudWatch::Alarm')} alarms`);
    expect(costRow('Alarms and dashboard')[2]).toContain(`${count(development.primary, 'AWS::CloudWatch::Alarm')} alarms`);
    expect(count(production.primary, 'AWS::RDS::DBProxy')).toBe(1);
    expect(count(development.primary, 'AWS::RDS::DBProxy')).toBe(0);
  });

  test('the cost table\'s arithmetic holds: rates × 730 hours, counts × unit prices, totals', () => {
    const hours = 730;
    const rows: Array<[string, number, number]> = [
      // label, production $ from the rates, development $ from the rates
      ['Primary instance', 0.336 * hours, 0.016 * hours],
      ['Primary storage', 100 * 0.23, 20 * 0.115],
      ['Read replicas', 0.168 * hours + 100 * 0.115, 0],
      ['RDS Proxy', 2 * 0.015 * hours, 0],
      ['Cache', 2 * 0.158 * hours, 0.016 * hours],
      ['Interface endpoints', interfaceEndpoints(production.primary) * azs(production.primary) * 0.01 * hours, interfaceEndpoints(development.primary) * azs(development.primary) * 0.01 * hours],
      ['KMS keys', count(production.primary, 'AWS::KMS::Key') + count(production.dr!, 'AWS::KMS::Key'), count(development.primary, 'AWS::KMS::Key')],
      ['Secrets', 0.4 * count(production.primary, 'AWS::SecretsManager::Secret'), 0.4 * count(development.primary, 'AWS::SecretsManager::Secret')],
      ['Alarms and dashboard', 0.1 * count(production.primary, 'AWS::CloudWatch::Alarm') + 3, 0.1 * count(development.primary, 'AWS::CloudWatch::Alarm') + 3],
      ['Private hosted zone', 0.5 * count(production.primary, 'AWS::Route53::HostedZone'), 0.5 * count(development.primary, 'AWS::Route53::HostedZone')],
    ];
    const round = (n: number) => Math.round(n * 100) / 100;
    for (const [label, prod, dev] of rows) {
      const [, readmeProd, , readmeDev] = costRow(label);
      expect({ label, production: readmeProd, development: readmeDev }).toEqual({ label, production: round(prod), development: round(dev) });
    }
    const [, totalProd, , totalDev] = costRow('**Fixed total**');
    expect(totalProd).toBe(round(rows.reduce((a, r) => a + round(r[1]), 0)));
    expect(totalDev).toBe(round(rows.reduce((a, r) => a + round(r[2]), 0)));
  });

  test('the resource counts and the database\'s inbound rules', () => {
    expect(README).toContain(`two stacks,\n${Object.keys(shippedTemplates().primary.toJSON().Resources).length} and ${Object.keys(shippedTemplates().dr.toJSON().Resources).length} resources`);
    /** Whom each inbound rule of the database's security group lets in, by its source group's logical id. */
    const inbound = (t: Template) => {
      const dbGroup = Object.keys(t.findResources('AWS::EC2::SecurityGroup')).find((id) => /^DataDatabaseSecurityGroup[0-9A-F]{8}$/.test(id))!;
      return Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
        .filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [dbGroup, 'GroupId'] }))
        .map((r) => {
          const source: string = r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0];
          if (/Rotation/.test(source)) return 'rotation';
          return ([['Pool', 'proxy'], ['RolesProvider', 'roles provider'], ['PostgresMetrics', 'metrics collector']] as const)
            .find(([part]) => source.includes(part))?.[1] ?? source;
        });
    };
    const prod = inbound(production.primary);
    const dev = inbound(development.primary);
    expect(prod.filter((w) => w !== 'rotation').sort()).toEqual(['metrics collector', 'proxy', 'roles provider']);
    expect(dev.filter((w) => w !== 'rotation').sort()).toEqual(['metrics collector', 'roles provider']);
    // One rotation function per database secret, each with its own rule.
    const rotations = (t: Template, rules: string[]) => {
      expect(rules.filter((w) => w === 'rotation').length).toBe(count(t, 'AWS::SecretsManager::RotationSchedule'));
      return rules.filter((w) => w === 'rotation').length;
    };
    expect(README).toContain(`(the proxy, the roles provider, the metrics collector and the rotation function of each of the ${rotations(production.primary, prod)} database secrets: ${prod.length} rules in production)`);
    expect(README).toContain(`same, without the proxy and with ${rotations(development.primary, dev)} database secrets: ${dev.length} rules`);
  });

  test('what README says production keeps on deletion, it keeps', () => {
    const policies = (type: string) => [...new Set(Object.values(production.primary.findResources(type)).map((r) => r.DeletionPolicy))];
    expect(Object.values(production.primary.findResources('AWS::RDS::DBInstance')).filter((r) => !r.Properties.SourceDBInstanceIdentifier).map((r) => [r.DeletionPolicy, r.Properties.DeleteAutomatedBackups])).toEqual([['Snapshot', false]]);
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::Backup::BackupVault', 'Custom::PostgresRole', 'Custom::PostgresSchema']) {
      expect({ type, policies: policies(type) }).toEqual({ type, policies: ['Retain'] });
    }
    // README: the schema grants and the extensions are revoked and dropped before the final snapshot.
    for (const type of ['Custom::PostgresSchemaGrant', 'Custom::PostgresExtension']) {
      expect({ type, policies: policies(type) }).toEqual({ type, policies: ['Delete'] });
    }
    expect([...new Set(Object.values(production.dr!.findResources('AWS::Backup::BackupVault')).map((r) => [r.DeletionPolicy, Boolean(r.Properties.LockConfiguration)].join(' ')))]).toEqual(['Retain true']);
  });

  /** The shipped app as `npx cdk synth` makes it (cdk.json's context, no account). */
  function shippedTemplates(): { primary: Template; dr: Template } {
    const { primary, dr } = buildStacks(shippedApp());
    return { primary: Template.fromStack(primary), dr: Template.fromStack(dr!) };
  }
});

// --- README's TypeScript ----------------------------------------------------------------------------

describe('README\'s TypeScript compiles against the library', () => {
  /** README's ts blocks, dedented, that are not copied from an example (examples/*: type-checked by tsc). */
  function snippets(): string[] {
    const examples = ['existing-app', 'minimal-dev', 'production-dr', 'read-write-split']
      .map((e) => fs.readFileSync(path.join(ROOT, 'examples', e, 'app.ts'), 'utf8').split('\n').map((l) => l.trim()).join('\n'));
    return [...README.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1])
      .filter((code) => !examples.some((e) => e.includes(code.split('\n').map((l) => l.trim()).join('\n').trim())));
  }

  test('every snippet not taken from an example type-checks (strict, as the project compiles)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('typescript') as typeof import('typescript');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const libExports = Object.keys(require('../lib'));
    const found = snippets();
    expect(found.length).toBeGreaterThanOrEqual(2);
    const files = new Map(found.map((code, i) => {
      const used = libExports.filter((name) => new RegExp(`\\b${name}\\b`).test(code));
      const text = [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import * as ec2 from 'aws-cdk-lib/aws-ec2';",
        `import { ${['DataPlatform', ...used.filter((n) => n !== 'DataPlatform')].join(', ')} } from '../lib';`,
        // What README's prose says the snippets have at hand.
        'declare const vpc: ec2.IVpc;',
        'declare const platform: DataPlatform;',
        `export class Snippet${i} extends Stack {`,
        "  constructor() {\n    super(new App(), 'Snippet');",
        code,
        '  }\n}',
      ].join('\n');
      return [path.join(ROOT, 'test', `readme-snippet-${i}.ts`), text] as const;
    }));
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
    const host = ts.createCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) => (files.has(name) ? ts.createSourceFile(name, files.get(name)!, version) : getSourceFile(name, version, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => files.has(name) || fileExists(name);
    const program = ts.createProgram([...files.keys()], { ...config.options, noUnusedLocals: false, noEmit: true }, host);
    const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.has(d.file.fileName))
      .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });
});
