/**
 * `db-playbook upgrade` end to end: in-process through main(argv, io), real SDK clients over
 * HTTP to moto (RDS), and the prechecks that read the database against PostgreSQL 17.9
 * (test/support/postgres-server.ts), which --db-url names as a tunnel would (its host is used as
 * given, for the source's prechecks and for green's --verify-sql alike).
 *
 * moto 5.2 serves CreateBlueGreenDeployment (it creates the green instance at once, with the
 * target version and parameter group, and reports the deployment AVAILABLE), Describe-,
 * Switchover- (renaming blue to <id>-old1 and green to <id>) and DeleteBlueGreenDeployment (with
 * DeleteTarget, deleting green). It answers DescribeDBEngineVersions with HTTP 500: that one call
 * is answered by test/support/aws-gaps-proxy.ts between the CLI and moto (17.9 → 18.1 a valid
 * major upgrade, family postgres18), which says why. Ctrl-C during the wait needs a deployment
 * that is still PROVISIONING, which moto never reports: that test alone rewrites the status
 * DescribeBlueGreenDeployments returns (a pass-through spy on RDSClient.send) and presses Ctrl-C.
 */
import {
  CreateDBInstanceCommand,
  DescribeBlueGreenDeploymentsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { Client } from 'pg';
import type { Io } from '../../cli/context';
import { EXIT } from '../../cli/errors';
import { main } from '../../cli/program';
import type { PromptIo } from '../../cli/rds/confirm';
import { PLAYBOOK_PARAMETERS } from '../../shared/playbook-parameters';
import { AwsGapsProxy, ENGINE_VERSIONS, startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

let moto: MotoServer;
let gaps: AwsGapsProxy;
let pg: PostgresServer;
let app: Client;
let rds: RDSClient;
/** The playbook's deployment with rds.logical_replication on, as a major upgrade needs. */
let ready: SeededDeployment;

beforeAll(async () => {
  [moto, pg] = await Promise.all([startMoto(), startPostgres()]);
  // RDS's catalogue as the proxy serves it, with a minor version besides: 17.9 may go to 18.1 (major) or 17.10 (minor).
  const engineVersions = [
    { engine: 'postgres', version: '17.9', family: 'postgres17', upgradeTargets: [{ version: '17.10', major: false }, { version: '18.1', major: true }] },
    { engine: 'postgres', version: '17.10', family: 'postgres17', upgradeTargets: [{ version: '18.1', major: true }] },
    ...ENGINE_VERSIONS.filter((v) => v.version === '18.1'),
  ];
  gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(Date.now() - 86_400_000), engineVersions });
  rds = new RDSClient(awsClientConfig(moto.endpoint));
  const admin = await pg.client();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  app = await pg.client('app');
  await app.query('CREATE TABLE orders (id bigint PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 10), (2, 20)');
  ready = await seedDeployment(moto.endpoint, { prefix: 'ready', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1 });
}, 120_000);

afterAll(async () => {
  rds?.destroy();
  await app?.end();
  await gaps?.close();
  await Promise.all([moto?.stop(), pg?.stop()]);
});

afterEach(() => jest.restoreAllMocks());

const dbUrl = () => `postgresql://postgres@127.0.0.1:${pg.port}/app?sslmode=disable`;

/** `io` with stdin: a terminal where `answer` is typed, or (no answer) not a terminal. */
function withStdin<T extends Io>(io: T, answer?: string): T & PromptIo {
  return Object.assign(io, { stdinIsTty: answer !== undefined, readLine: async () => answer });
}

async function run(argv: string[], io: FakeIo = fakeIo(motoEnv(gaps.url))): Promise<{ code: number; out: string; err: string; io: FakeIo }> {
  const code = await main(argv, 'stdinIsTty' in io ? io : withStdin(io));
  return { code, out: io.out(), err: io.err(), io };
}

const upgradeArgs = (d: SeededDeployment, extra: string[] = []) => ['upgrade', '--instance', d.primary.id, '--target-version', '18.1', '--db-url', dbUrl(), ...extra];

interface Report {
  command: string;
  sourceVersion: string;
  targetVersion: string;
  major: boolean;
  targetFamily: string | null;
  targetParameterGroup: { name: string; created: boolean } | null;
  deployment: { id: string; status: string } | null;
  green: { id: string; endpoint: string | null } | null;
  verify: { ok: boolean; rowCount: number | null; error: string | null } | null;
  switchover: { requested: boolean; done: boolean; status: string | null };
  greenDeleted: boolean;
  cdkChange: string[];
  summary: { FAIL: number; PASS: number };
  findings: { rule: string; severity: string; message: string; fix: string }[];
}

async function upgradeJson(d: SeededDeployment, extra: string[] = [], io?: FakeIo): Promise<{ code: number; report: Report; err: string }> {
  const r = await run([...upgradeArgs(d, extra), '--json'], io);
  if (r.out === '') throw new Error(`upgrade printed nothing (exit ${r.code}): ${r.err}`);
  return { code: r.code, report: JSON.parse(r.out) as Report, err: r.err };
}

const notPassing = (r: Report) => r.findings.filter((f) => f.severity !== 'PASS').map((f) => `${f.severity} ${f.rule}`);

/** What an upgrade could have created or changed in moto: deployments, parameter groups, instances (id, version, group). */
async function rdsState() {
  const { BlueGreenDeployments = [] } = await rds.send(new DescribeBlueGreenDeploymentsCommand({}));
  const { DBParameterGroups = [] } = await rds.send(new DescribeDBParameterGroupsCommand({}));
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
  return {
    deployments: BlueGreenDeployments.map((d) => `${d.BlueGreenDeploymentName} ${d.Status}`).sort(),
    parameterGroups: DBParameterGroups.map((g) => `${g.DBParameterGroupName} ${g.DBParameterGroupFamily}`).sort(),
    instances: DBInstances.map((i) => `${i.DBInstanceIdentifier} ${i.EngineVersion} ${i.DBParameterGroups?.[0]?.DBParameterGroupName} ${i.DBInstanceStatus}`).sort(),
  };
}

describe('prechecks', () => {
  test('--dry-run: every precheck PASSes on a ready deployment, exit 0, nothing created', async () => {
    const before = await rdsState();
    const { code, report } = await upgradeJson(ready, ['--dry-run']);

    expect(code).toBe(EXIT.OK);
    expect(report).toMatchObject({ command: 'upgrade', sourceVersion: '17.9', targetVersion: '18.1', major: true, targetFamily: 'postgres18', deployment: null, greenDeleted: false });
    expect(report.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual([
      'PASS source.available', 'PASS target.valid-upgrade', 'PASS source.master-user-secret', 'PASS blue-green.none',
      'PASS parameter.rds.logical_replication', 'PASS tables.replica-identity', 'PASS replication.slots', 'PASS extensions.available',
      'PASS storage.free', 'PASS target.parameter-group',
    ]);
    expect(report.targetParameterGroup).toEqual({ name: 'ready-postgres18', created: false });
    expect(report.findings.find((f) => f.rule === 'tables.replica-identity')!.message).toBe('2 database(s) checked');
    expect(await rdsState()).toEqual(before);
  });

  test('a table without a primary key FAILs, exit 3, and no deployment or parameter group is created', async () => {
    await app.query('CREATE TABLE events (at timestamptz, payload jsonb)');
    try {
      const before = await rdsState();
      const run1 = await run(upgradeArgs(ready, ['--switchover', '--yes', '--verify-sql', 'SELECT 1']), fakeIo(motoEnv(gaps.url), { columns: 1000 }));

      expect(run1.code).toBe(EXIT.CHECK_FAILED);
      expect(run1.out).toMatch(/^FAIL {4}Tables: primary key or replica identity +1 table\(s\) whose UPDATEs and DELETEs logical replication cannot apply on green: app\.public\.events$/m);
      expect(run1.out).toContain('fix: add a primary key (ALTER TABLE "public"."events" ADD PRIMARY KEY (<columns>))');
      expect(run1.out).toMatch(/Nothing was changed: fix the FAILs above/);
      expect(await rdsState()).toEqual(before);

      // REPLICA IDENTITY FULL is what the fix offers for a table without a unique key: then it passes.
      await app.query('ALTER TABLE events REPLICA IDENTITY FULL');
      const { code, report } = await upgradeJson(ready, ['--dry-run']);
      expect({ code, failing: notPassing(report) }).toEqual({ code: EXIT.OK, failing: [] });
    } finally {
      await app.query('DROP TABLE events');
    }
  });

  test('rds.logical_replication off FAILs for a major upgrade, with the parameter-group fix; a minor upgrade does not need it', async () => {
    const off = await seedDeployment(moto.endpoint, { prefix: 'no-logical', replicas: 0, manualSnapshots: 1, proxy: false });
    const { code, report } = await upgradeJson(off, ['--dry-run']);
    expect(code).toBe(EXIT.CHECK_FAILED);
    expect(notPassing(report)).toEqual(['FAIL parameter.rds.logical_replication']);
    expect(report.findings.find((f) => f.rule === 'parameter.rds.logical_replication')!.fix)
      .toContain('--db-parameter-group-name no-logical-postgres17 --parameters "ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot"');
 
    // A minor upgrade replicates physically: no logical-replication checks, and green keeps the source's group (the same family).
    await app.query('CREATE TABLE no_key (v text)');
    try {
      const minor = await run(['upgrade', '--instance', off.primary.id, '--target-version', '17.10', '--db-url', dbUrl(), '--dry-run', '--json']);
      const doc = JSON.parse(minor.out) as Report;
      expect(minor.code).toBe(EXIT.OK);
      expect(doc).toMatchObject({ major: false, targetFamily: 'postgres17', targetParameterGroup: { name: 'no-logical-postgres17', created: false } });
      expect(doc.findings.map((f) => f.rule)).not.toContain('parameter.rds.logical_replication');
      expect(doc.findings.map((f) => f.rule)).not.toContain('tables.replica-identity');
    } finally {
      await app.query('DROP TABLE no_key');
    }
  });

  test('a version that is not a valid upgrade target FAILs, naming the valid ones', async () => {
    const r = await run(['upgrade', '--instance', ready.primary.id, '--target-version', '19.1', '--db-url', dbUrl(), '--dry-run', '--json']);
    const { code, report } = { code: r.code, report: JSON.parse(r.out) as Report };
    expect(code).toBe(EXIT.CHECK_FAILED);
    expect(notPassing(report)).toEqual(['FAIL target.valid-upgrade', 'FAIL target.parameter-group']);
    expect(report.findings.find((f) => f.rule === 'target.valid-upgrade')!.message).toBe('valid targets: 17.10, 18.1');
  });

  test('an RDS-managed master password (Secrets Manager) FAILs: Blue/Green refuses it', async () => {
    await rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'managed-secret-db', Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.m7g.large', AllocatedStorage: 100,
      MasterUsername: 'postgres', ManageMasterUserPassword: true, DBParameterGroupName: ready.parameterGroupName,
    }));
    const r = await run(['upgrade', '--instance', 'managed-secret-db', '--target-version', '18.1', '--db-url', dbUrl(), '--dry-run', '--json']);
    const report = JSON.parse(r.out) as Report;
    expect(r.code).toBe(EXIT.CHECK_FAILED);
    expect(notPassing(report)).toEqual(['FAIL source.master-user-secret']);
    expect(report.findings.find((f) => f.rule === 'source.master-user-secret')!.fix).toContain('--no-manage-master-user-password');
  });

  test('an inactive replication slot FAILs (it keeps WAL on blue)', async () => {
    await app.query("SELECT pg_create_physical_replication_slot('stuck_standby')");
    try {
      const { code, report } = await upgradeJson(ready, ['--dry-run']);
      expect(code).toBe(EXIT.CHECK_FAILED);
      expect(notPassing(report)).toEqual(['FAIL replication.slots']);
      expect(report.findings.find((f) => f.rule === 'replication.slots')!.message).toMatch(/^stuck_standby \(physical, inactive\): an inactive slot keeps WAL/);
    } finally {
      await app.query("SELECT pg_drop_replication_slot('stuck_standby')");
    }
  });

  test('an extension RDS does not offer FAILs, and the detail says the list is RDS 17\'s, assumed for 18', async () => {
    await app.query('CREATE EXTENSION file_fdw');
    try {
      const { code, report } = await upgradeJson(ready, ['--dry-run']);
      expect(code).toBe(EXIT.CHECK_FAILED);
      expect(notPassing(report)).toEqual(['FAIL extensions.available']);
      expect(report.findings.find((f) => f.rule === 'extensions.available')!.message)
        .toMatch(/^not on RDS for PostgreSQL 18: file_fdw 1\.0 \(app\) \(checked against RDS for PostgreSQL 17's list, assumed for 18\)$/);
    } finally {
      await app.query('DROP EXTENSION file_fdw');
    }
  });
});

describe('the upgrade', () => {
  test('creates the target parameter group with the source\'s values, the deployment, verifies green, switches over and prints the CDK change', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'switch', parameters: { 'rds.logical_replication': '1', autovacuum_naptime: '30' }, replicas: 0, manualSnapshots: 1, proxy: false });
    const { code, report, err } = await upgradeJson(d, ['--verify-sql', 'SELECT count(*) AS n FROM orders', '--switchover', '--yes']);

    expect({ code, err: err.split('\n').filter((l) => /error|fail/i.test(l)) }).toEqual({ code: EXIT.OK, err: [] });
    expect(report).toMatchObject({
      targetParameterGroup: { name: 'switch-postgres18', created: true },
      verify: { ok: true, rowCount: 1 },
      switchover: { requested: true, done: true, status: 'SWITCHOVER_COMPLETED' },
      greenDeleted: false,
    });
    // The new group is of the new family and carries the source group's values, the team's override included.
    const { DBParameterGroups: [group] = [] } = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'switch-postgres18' }));
    expect(group.DBParameterGroupFamily).toBe('postgres18');
    const { Parameters = [] } = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'switch-postgres18' }));
    const values = Object.fromEntries(Parameters.map((p) => [p.ParameterName, p.ParameterValue]));
    expect(values).toMatchObject({ ...PLAYBOOK_PARAMETERS, autovacuum_naptime: '30', 'rds.logical_replication': '1' });
    // moto's switchover: the instance's name now serves 18.1 with the new group; blue is kept as <id>-old1, on 17.9.
    const { instances } = await rdsState();
    expect(instances).toEqual(expect.arrayContaining([
      `${d.primary.id} 18.1 switch-postgres18 available`,
      `${d.primary.id}-old1 17.9 ${d.parameterGroupName} available`,
    ]));
    expect(report.cdkChange[0]).toMatch(/^engineVersion: rds\.PostgresEngineVersion\.of\('18\.1', '18'\) in PostgresDatabase/);
    expect(report.cdkChange.join('\n')).toContain('family postgres18');
  });

  test('without --switchover, green is left AVAILABLE and the commands to switch over or delete it are printed', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'leave', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
    const r = await run(upgradeArgs(d));
    expect({ code: r.code, err: r.err }).toEqual({ code: EXIT.OK, err: '' });
    expect(r.out).toMatch(/Green is ready and left running \(no --switchover\)/);
    expect(r.out).toMatch(/switch over: aws rds switchover-blue-green-deployment --region us-east-1 --blue-green-deployment-identifier bgd-\w+ --switchover-timeout 300/);
    expect((await rdsState()).deployments).toContain('leave-db-to-18-1 AVAILABLE');
  });

  test('a failed --verify-sql deletes the deployment and green, leaves blue as it was, exit 1', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'badverify', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
    const blueBefore = (await rdsState()).instances.filter((i) => i.startsWith(`${d.primary.id} `));
    const r = await run(upgradeArgs(d, ['--verify-sql', 'SELECT count(*) FROM no_such_table', '--switchover', '--yes']));

    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toMatch(/--verify-sql failed on green \(127\.0\.0\.1:\d+\/app\): 42P01: relation "no_such_table" does not exist\. Blue\/Green deployment bgd-\w+ and its green instance badverify-db-green-\w+ were deleted; badverify-db is untouched/);
    const after = await rdsState();
    expect(after.deployments.filter((x) => x.startsWith('badverify'))).toEqual([]);
    expect(after.instances.filter((i) => i.startsWith(d.primary.id))).toEqual(blueBefore);
  });

  test('a minor upgrade, the switchover confirmed by typing the instance\'s name: green keeps the source\'s group, nothing is created', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'minor', replicas: 0, manualSnapshots: 1, proxy: false });
    const groupsBefore = (await rdsState()).parameterGroups;
    const io = withStdin(fakeIo(motoEnv(gaps.url)), d.primary.id);
    const r = await run(['upgrade', '--instance', d.primary.id, '--target-version', '17.10', '--db-url', dbUrl(), '--verify-sql', 'SELECT 1', '--switchover'], io);
    expect({ code: r.code, asked: r.err.includes(`Type the instance's name (${d.primary.id}) to confirm`) }).toEqual({ code: EXIT.OK, asked: true });
    expect(r.out).toMatch(new RegExp(`Switched over: ${d.primary.id} now runs 17\\.10`));
    expect((await rdsState()).parameterGroups).toEqual(groupsBefore);
    expect((await rdsState()).instances).toContain(`${d.primary.id} 17.10 ${d.parameterGroupName} available`);
  });

  test('the switchover not confirmed on the terminal: green is deleted, exit 1', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'noconfirm', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
    const io = withStdin(fakeIo(motoEnv(gaps.url)), 'yes');
    const r = await run(upgradeArgs(d, ['--verify-sql', 'SELECT 1', '--switchover']), io);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err).toContain(`Type the instance's name (${d.primary.id}) to confirm`);
    expect(r.err).toMatch(/the switchover was not confirmed: Blue\/Green deployment bgd-\w+ and its green instance noconfirm-db-green-\w+ were deleted/);
    const after = await rdsState();
    expect(after.deployments.filter((x) => x.startsWith('noconfirm'))).toEqual([]);
    expect(after.instances.filter((i) => i.startsWith(d.primary.id))).toEqual([`${d.primary.id} 17.9 ${d.parameterGroupName} available`]);
  });

  test('Ctrl-C while green is provisioning deletes the deployment and green, exit 130', async () => {
    const d = await seedDeployment(moto.endpoint, { prefix: 'ctrlc', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
    const io = fakeIo(motoEnv(gaps.url));
    // moto reports a new deployment AVAILABLE at once: report it PROVISIONING, and press Ctrl-C at the first poll.
    const original = RDSClient.prototype.send;
    jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
      const result = await (original as (...a: unknown[]) => Promise<{ BlueGreenDeployments?: object[] }>).call(this, command, ...rest);
      if (command instanceof DescribeBlueGreenDeploymentsCommand && command.input.BlueGreenDeploymentIdentifier && result.BlueGreenDeployments) {
        if (io.interrupt()) return { ...result, BlueGreenDeployments: result.BlueGreenDeployments.map((b) => ({ ...b, Status: 'PROVISIONING' })) };
      }
      return result;
    } as never);
    const r = await run(upgradeArgs(d, ['--verify-sql', 'SELECT 1', '--switchover', '--yes']), io);
    expect(r.code).toBe(EXIT.INTERRUPTED);
    expect(r.err).toMatch(/interrupted while waiting for the green environment: Blue\/Green deployment bgd-\w+ and its green instance ctrlc-db-green-\w+ were deleted; ctrlc-db is untouched/);
    jest.restoreAllMocks();
    const after = await rdsState();
    expect(after.deployments.filter((x) => x.startsWith('ctrlc'))).toEqual([]);
    expect(after.instances.filter((i) => i.startsWith(d.primary.id))).toEqual([`${d.primary.id} 17.9 ${d.parameterGroupName} available`]);
  });
});
