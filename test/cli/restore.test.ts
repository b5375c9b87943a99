/**
 * `db-playbook restore` end to end against moto's AWS server (RDS, EC2, KMS, Secrets Manager),
 * seeded with a realistic deployment, run in-process through main(argv, io).
 *
 * moto's RestoreDBInstanceToPointInTime copies every attribute of the source into the new
 * instance whatever the request says (except log exports), so describing the restored instance
 * alone cannot show that the CLI asked for the source's configuration: the tests also record
 * the request the real RDS client sent (a pass-through spy on RDSClient.send, nothing mocked).
 *
 * moto implements RegisterDBProxyTargets and DeregisterDBProxyTargets, so --cutover-proxy runs
 * against moto too. moto makes instances 'available' at once; the progress line is covered by
 * unit tests of waitFor with scripted states.
 *
 * stdin: the commands run with an Io whose stdin is not a terminal (whatever the terminal jest
 * runs in), unless a test gives one that is, with the answer the operator types.
 */
import {
  AddTagsToResourceCommand,
  DBInstance,
  DescribeDBInstancesCommand,
  DescribeDBProxyTargetsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  RestoreDBInstanceToPointInTimeCommandInput,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Io } from '../../cli/context';
import { main } from '../../cli/program';
import { restoreRequest } from '../../cli/commands/restore';
import type { PromptIo } from '../../cli/rds/confirm';
import { RESTORE_STARTED_TAG, RESTORE_TIME_TAG, RESTORED_FROM_TAG } from '../../cli/rds/instances';
import { waitFor, WaitTimeoutError } from '../../cli/rds/wait';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { startPostgres } from '../support/postgres-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';
import { startStatusProxy } from './support/status-proxy';
import { startTlsPostgres } from '../support/tls-postgres';

let moto: MotoServer;
let seeded: SeededDeployment;
let rds: RDSClient;
let rdsDr: RDSClient;

beforeAll(async () => {
  moto = await startMoto();
  seeded = await seedDeployment(moto.endpoint);
  rds = new RDSClient(awsClientConfig(moto.endpoint, 'us-east-1'));
  rdsDr = new RDSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
});

afterAll(async () => {
  rds?.destroy();
  rdsDr?.destroy();
  await moto?.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** `io` with stdin: a terminal where `answer` is typed, or (no answer) not a terminal. */
function withStdin<T extends Io>(io: T, answer?: string): T & PromptIo & { readonly asked: () => number } {
  let asked = 0;
  return Object.assign(io, {
    stdinIsTty: answer !== undefined,
    readLine: async () => { asked++; return answer; },
    asked: () => asked,
  });
}

async function run(argv: string[], io: FakeIo = fakeIo(motoEnv(moto.endpoint))): Promise<{ code: number; io: FakeIo }> {
  const code = await main(argv, 'stdinIsTty' in io ? io : withStdin(io));
  return { code, io };
}

async function describe1(id: string): Promise<DBInstance> {
  const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return DBInstances![0];
}

/** The source as the tests compare it before and after: all of it but LatestRestorableTime, which moves on its own. */
async function describeSource(): Promise<DBInstance> {
  const { LatestRestorableTime, ...rest } = await describe1(seeded.primary.id);
  expect(LatestRestorableTime).toBeInstanceOf(Date);
  return rest;
}

/** What a command could have changed: every instance, snapshot (both regions) and proxy target. */
async function accountState() {
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
  const snapshots = async (client: RDSClient) => ((await client.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier).sort();
  const { Targets = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
  return {
    instances: DBInstances.map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceStatus}`).sort(),
    snapshots: await snapshots(rds),
    drSnapshots: await snapshots(rdsDr),
    proxyTargets: Targets.map((t) => t.RdsResourceId).sort(),
  };
}

interface SentCommand { name: string; input: Record<string, unknown> }

/** Records every command an RDS client sends, and sends it on unchanged. */
function recordRdsCommands(): SentCommand[] {
  const sent: SentCommand[] = [];
  const original = RDSClient.prototype.send;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    const c = command as { constructor: { name: string }; input: Record<string, unknown> };
    sent.push({ name: c.constructor.name, input: c.input });
    return (original as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } as never);
  return sent;
}

/** A time inside the primary's restore window (after its oldest automated snapshot, before now). */
async function timeInWindow(): Promise<Date> {
  const { DBSnapshots = [] } = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: seeded.primary.id, SnapshotType: 'automated' }));
  const oldest = Math.min(...DBSnapshots.map((s) => s.SnapshotCreateTime!.getTime()));
  return new Date(Math.floor((oldest + Date.now()) / 2));
}

// --- end to end ----------------------------------------------------------------------------------

test('restores to a new instance with the source\'s configuration and never modifies the source', async () => {
  // GIVEN
  const sourceBefore = await describeSource();
  const to = await timeInWindow();
  const sent = recordRdsCommands();

  // WHEN
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', to.toISOString(), '--target', 'playbook-db-restored']);

  // THEN
  expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: '' });
  const restored = await describe1('playbook-db-restored');
  expect(restored).toMatchObject({
    DBInstanceStatus: 'available',
    Engine: 'postgres',
    DBInstanceClass: 'db.m7g.large',
    MultiAZ: true,
    DBSubnetGroup: expect.objectContaining({ DBSubnetGroupName: seeded.network.dbSubnetGroupName }),
    VpcSecurityGroups: [expect.objectContaining({ VpcSecurityGroupId: seeded.network.securityGroupId })],
    DBParameterGroups: [expect.objectContaining({ DBParameterGroupName: seeded.parameterGroupName })],
    Endpoint: expect.objectContaining({ Port: 5433 }),
    IAMDatabaseAuthenticationEnabled: true,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    StorageType: 'gp3',
    AllocatedStorage: 100,
    BackupRetentionPeriod: 14,
    EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    // The key follows the source's: RestoreDBInstanceToPointInTime has no KmsKeyId for instances.
    StorageEncrypted: true,
    KmsKeyId: seeded.kms.primary.arn,
  });
  const tags = Object.fromEntries((restored.TagList ?? []).map((t) => [t.Key, t.Value]));
  expect(tags).toEqual({
    'project': 'cdk-db-playbook',
    'environment': 'production',
    [RESTORED_FROM_TAG]: seeded.primary.id,
    [RESTORE_TIME_TAG]: to.toISOString(),
    [RESTORE_STARTED_TAG]: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  });

  // The request itself (moto would copy the source's attributes even if the CLI asked for none).
  const requests = sent.filter((c) => c.name === RestoreDBInstanceToPointInTimeCommand.name);
  expect(requests).toHaveLength(1);
  const request = requests[0].input as unknown as RestoreDBInstanceToPointInTimeCommandInput;
  expect(request).toMatchObject({
    SourceDBInstanceIdentifier: seeded.primary.id,
    TargetDBInstanceIdentifier: 'playbook-db-restored',
    RestoreTime: to,
    DBInstanceClass: 'db.m7g.large',
    MultiAZ: true,
    DBSubnetGroupName: seeded.network.dbSubnetGroupName,
    VpcSecurityGroupIds: [seeded.network.securityGroupId],
    DBParameterGroupName: seeded.parameterGroupName,
    Port: 5433,
    EnableIAMDatabaseAuthentication: true,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    StorageType: 'gp3',
    AllocatedStorage: 100,
    MaxAllocatedStorage: 1024,
    BackupRetentionPeriod: 14,
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
  });
  expect(request).not.toHaveProperty('KmsKeyId');
  // gp3 at 100 GiB has fixed baseline IOPS: RDS refuses explicit ones.
  expect(request).not.toHaveProperty('Iops');
  expect(request.Tags).not.toContainEqual(expect.objectContaining({ Key: 'aws:cloudformation:stack-name' }));

  // Nothing but reads went to the source.
  const writes = sent.filter((c) => !/^Describe/.test(c.name));
  expect(writes.map((c) => c.name)).toEqual([RestoreDBInstanceToPointInTimeCommand.name]);
  expect(await describeSource()).toEqual(sourceBefore);

  expect(io.out()).toContain(`Restoring '${seeded.primary.id}' to ${to.toISOString()} as 'playbook-db-restored'`);
  expect(io.out()).toMatch(/Restored 'playbook-db' to .* as 'playbook-db-restored' in 0s\./);
  expect(io.out()).toContain(`endpoint  ${restored.Endpoint!.Address}:5433`);
});

test('--dry-run prints the plan with every copied setting and changes nothing', async () => {
  const before = await accountState();
  const sent = recordRdsCommands();
  const to = await timeInWindow();

  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', to.toISOString(), '--target', 'playbook-db-dry', '--dry-run', '--cutover-proxy', seeded.proxy!.name, '--skip-verify']);

  expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: '' });
  expect(sent.map((c) => c.name).filter((n) => !n.startsWith('Describe'))).toEqual([]);
  expect(await accountState()).toEqual(before);
  const out = io.out();
  expect(out).toContain('Restore plan (dry run: nothing is created or changed)');
  expect(out).toContain(`source        ${seeded.primary.id} (us-east-1, postgres 17.9, available)`);
  expect(out).toContain(`restore time  ${to.toISOString()}`);
  expect(out).toContain('target        playbook-db-dry (new instance)');
  expect(out).toContain(`KMS key       ${seeded.kms.primary.arn} (the source's`);
  for (const [name, value] of [
    ['DBInstanceClass', 'db.m7g.large'], ['MultiAZ', 'true'], ['DBSubnetGroupName', seeded.network.dbSubnetGroupName],
    ['VpcSecurityGroupIds', seeded.network.securityGroupId], ['DBParameterGroupName', seeded.parameterGroupName], ['Port', '5433'],
    ['EnableIAMDatabaseAuthentication', 'true'], ['StorageType', 'gp3'], ['DeletionProtection', 'true'], ['CopyTagsToSnapshot', 'true'],
    ['BackupRetentionPeriod', '14'], ['EnableCloudwatchLogsExports', 'postgresql, upgrade'],
  ]) {
    expect(out).toMatch(new RegExp(`\\n {4}${name} +${value.replace(/[.]/g, '\\.')}\\n`));
  }
  expect(out).toMatch(/\n {4}Tags +project=cdk-db-playbook, environment=production, db-playbook:restored-from=playbook-db, db-playbook:restore-time=/);
  expect(out).toContain('Performance Insights');
  expect(out).toContain(`cutover       proxy ${seeded.proxy!.name}: deregister ${seeded.primary.id}, register playbook-db-dry (unverified (--skip-verify), after you type the proxy's name (or with --yes))\n`);
});

test('--dry-run --json prints the plan as JSON, --latest as the time it resolves to', async () => {
  const before = await accountState();
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-dry-json', '--dry-run', '--json']);
  expect(code).toBe(0);
  const plan = JSON.parse(io.out());
  expect(plan).toMatchObject({
    dryRun: true,
    action: 'restore',
    resumed: null,
    restoreTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    target: 'playbook-db-dry-json',
    kmsKeyId: seeded.kms.primary.arn,
    window: { earliestFrom: expect.stringContaining('automated snapshot'), latestFrom: 'DescribeDBInstances LatestRestorableTime' },
    request: { DBParameterGroupName: seeded.parameterGroupName, Port: 5433 },
  });
  expect(plan.request.RestoreTime).toBe(plan.restoreTime);
  expect(plan.window.latest).toBe(plan.restoreTime);
  expect(plan.request).not.toHaveProperty('UseLatestRestorableTime');
  expect(await accountState()).toEqual(before);
});

test('--to takes the time as a PostgreSQL log line prints it (2026-12-01 06:14:26.123 UTC)', async () => {
  const to = await timeInWindow();
  // What log_line_prefix %m writes, in RDS's log_timezone UTC.
  const logTime = `${to.toISOString().slice(0, 10)} ${to.toISOString().slice(11, 23)} UTC`;
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', logTime, '--target', 'playbook-db-logtime', '--dry-run', '--json']);
  expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
  expect(JSON.parse(io.out())).toMatchObject({ restoreTime: to.toISOString(), request: { RestoreTime: to.toISOString() } });
});

// --- refusals ------------------------------------------------------------------------------------

describe('refuses with exit 2, a clear message and nothing created', () => {
  const future = () => new Date(Date.now() + 86_400_000).toISOString();
  const cases: [string, () => string[], RegExp][] = [
    ['fails when the time has no offset', () => ['--to', '2026-03-14T13:44:59', '--target', 'x-restored'], /--to: '2026-03-14T13:44:59' is not a time with a time zone: it has no time zone \(add Z or UTC for UTC.*; accepted: ISO 8601 with an offset .* or a PostgreSQL log time \(2026-03-14 13:44:59 UTC/],
    ['fails when the time is malformed', () => ['--to', 'yesterday 13:44', '--target', 'x-restored'], /--to: 'yesterday 13:44' is not a time with a time zone; accepted: ISO 8601 with an offset \(2026-03-14T13:44:59Z, 2026-03-14T14:44:59\+01:00\) or a PostgreSQL log time/],
    ['fails when the date does not exist', () => ['--to', '2026-02-30T10:00:00Z', '--target', 'x-restored'], /'2026-02-30T10:00:00Z' is not a valid date and time/],
    ['fails when the time is before the window', () => ['--to', '2001-01-01T00:00:00Z', '--target', 'x-restored'], /--to 2001-01-01T00:00:00\.000Z is before the earliest restorable time: the restorable window of 'playbook-db' is \S+ to \S+/],
    ['fails when the time is after the window', () => ['--to', future(), '--target', 'x-restored'], /is after the latest restorable time: .*use an earlier time or --latest/],
    ['fails when the source does not exist', () => ['--source', 'no-such-db', '--latest', '--target', 'x-restored'], /no DB instance 'no-such-db' in us-east-1: check --source and --region/],
    ['fails when the target id is taken', () => ['--latest', '--target', seeded.replicas[0].id], /--target 'playbook-db-replica-1' is taken: an instance with that identifier exists in us-east-1 and is not a db-playbook restore of 'playbook-db'/],
    ['fails when the target is the source', () => ['--latest', '--target', seeded.primary.id], /is the source itself/],
    ['fails when the target id is invalid', () => ['--latest', '--target', 'db--restored'], /--target 'db--restored' is not a valid DB instance identifier: it must not contain two consecutive hyphens/],
    ['fails when the target id starts with a digit', () => ['--latest', '--target', '1db'], /it must start with a letter/],
    ['fails when neither --to nor --latest is given', () => ['--target', 'x-restored'], /give the time to restore to: --to <time> \(ISO 8601 with an offset .*\) or --latest/],
    ['fails when both --to and --latest are given', () => ['--to', '2026-03-14T13:44:59Z', '--latest', '--target', 'x-restored'], /option '--to <time>' cannot be used with option '--latest'/],
    ['fails when the proxy does not exist', () => ['--latest', '--target', 'x-restored', '--cutover-proxy', 'no-such-proxy', '--skip-verify', '--yes'], /--cutover-proxy: no RDS Proxy 'no-such-proxy' in us-east-1/],
    ['fails when --cutover-proxy has neither --verify-sql nor --skip-verify', () => ['--latest', '--target', 'x-restored', '--cutover-proxy', seeded.proxy!.name, '--yes'],
      /--cutover-proxy playbook-proxy needs --verify-sql <sql>: applications move to the restored instance, reads and writes, only after a check of its data passed .*To cut over unverified, add --skip-verify/],
    ['fails when --cutover-proxy has no --yes and stdin is not a terminal', () => ['--latest', '--target', 'x-restored', '--cutover-proxy', seeded.proxy!.name, '--skip-verify'],
      /--cutover-proxy playbook-proxy moves the applications that use the proxy, reads and writes, to the restored instance: confirm with --yes \(stdin is not a terminal, so the command cannot ask you to type the proxy's name\)\. Nothing was restored/],
    ['fails when --skip-verify comes with --verify-sql', () => ['--latest', '--target', 'x-restored', '--cutover-proxy', seeded.proxy!.name, '--skip-verify', '--yes', '--verify-sql', 'SELECT 1'],
      /--skip-verify and --verify-sql contradict each other/],
    ['fails when --yes and --skip-verify come without --cutover-proxy', () => ['--latest', '--target', 'x-restored', '--yes', '--skip-verify'], /--yes, --skip-verify are only used with --cutover-proxy/],
    ['fails when --verify-sql holds two statements (COMMIT; DROP TABLE t)', () => ['--latest', '--target', 'x-restored', '--verify-sql', 'COMMIT; DROP TABLE t'],
      /--verify-sql must be one SQL statement, and it holds 2: "COMMIT", "DROP TABLE t"\. .*\(nothing was restored\)/],
    ['fails when --resume names another instance than --target', () => ['--latest', '--target', 'x-restored', '--resume', 'y-restored'], /--resume 'y-restored' is not --target 'x-restored'/],
    ['fails when --resume finds nothing to resume', () => ['--to', '2026-03-14T13:44:59Z', '--target', 'x-restored', '--resume', 'x-restored'],
      /--resume x-restored: there is no instance 'x-restored' in us-east-1, so no restore to pick up\. Drop --resume to start the restore/],
    ['fails when --verify-sql has no user', () => ['--latest', '--target', 'x-restored', '--verify-sql', 'SELECT 1'], /--verify-sql needs a database user/],
    ['fails when --timeout is not a number', () => ['--latest', '--target', 'x-restored', '--timeout', 'soon'], /--timeout <minutes>' argument 'soon' is invalid\. must be a number of minutes/],
  ];
  test.each(cases)('%s', async (_name, args, message) => {
    const before = await accountState();
    const argv = args();
    const full = argv.includes('--source') ? ['restore', ...argv] : ['restore', '--source', seeded.primary.id, ...argv];
    const { code, io } = await run(full);
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(message);
    expect(await accountState()).toEqual(before);
  });
});

// --- resume --------------------------------------------------------------------------------------

test('re-running after an interruption is refused unless --resume names the target; with it, it resumes waiting', async () => {
  const to = await timeInWindow();
  const argv = ['restore', '--source', seeded.primary.id, '--to', to.toISOString(), '--target', 'playbook-db-resumed'];
  const io = fakeIo(motoEnv(moto.endpoint));

  // GIVEN a first run whose connection drops right after RDS accepted the restore
  // (fault injection: the first DescribeDBInstances of the target after the restore call fails).
  const original = RDSClient.prototype.send;
  let restoreSent = false;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    if (command instanceof RestoreDBInstanceToPointInTimeCommand) restoreSent = true;
    else if (restoreSent && command instanceof DescribeDBInstancesCommand && command.input.DBInstanceIdentifier === 'playbook-db-resumed') {
      return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    }
    return (original as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } as never);
  expect(await main(argv, withStdin(io))).toBe(1);
  expect(io.err()).toContain('db-playbook: socket hang up');
  jest.restoreAllMocks();
  const tags = tagsOf(await describe1('playbook-db-resumed'));
  expect(tags).toMatchObject({ [RESTORED_FROM_TAG]: seeded.primary.id, [RESTORE_TIME_TAG]: to.toISOString() });

  // WHEN the operator runs the same command again, without --resume
  const before = await accountState();
  const sentWithout = recordRdsCommands();
  const same = await run(argv);

  // THEN it is refused, naming the instance and its tags and how to pick it up; nothing is done
  expect({ code: same.code, out: same.io.out() }).toEqual({ code: 2, out: '' });
  expect(same.io.err()).toBe(`db-playbook: --target 'playbook-db-resumed' already exists in us-east-1: a restore of '${seeded.primary.id}' (state available, created ${(await describe1('playbook-db-resumed')).InstanceCreateTime!.toISOString()}, `
    + `tags ${RESTORED_FROM_TAG}=${seeded.primary.id}, ${RESTORE_TIME_TAG}=${to.toISOString()}, ${RESTORE_STARTED_TAG}=${tags[RESTORE_STARTED_TAG]}). `
    + 'A restore never adopts an instance that existed before it ran unless --resume names it: choose another --target, '
    + `or, if that is the restore you started and mean to pick up, re-run with --to ${to.toISOString()} --resume playbook-db-resumed\n`);
  expect(sentWithout.filter((c) => !c.name.startsWith('Describe'))).toEqual([]);
  expect(await accountState()).toEqual(before);
  jest.restoreAllMocks();

  // WHEN the operator runs it with --resume, 7 minutes after the first run
  io.advance(7 * 60_000);
  const sent = recordRdsCommands();
  const again = await run([...argv, '--resume', 'playbook-db-resumed'], io);

  // THEN it waits for the restore under way: no second restore, one instance, time measured from the first run
  expect(again.code).toBe(0);
  expect(sent.filter((c) => c.name === RestoreDBInstanceToPointInTimeCommand.name)).toEqual([]);
  expect(io.out()).toContain(`Resuming: 'playbook-db-resumed' is already a restore of '${seeded.primary.id}' to ${to.toISOString()} (state available, requested at ${tags[RESTORE_STARTED_TAG]}); waiting for it.`);
  expect(io.out()).toContain(`as 'playbook-db-resumed' in 7m 0s (measured from the first run).`);
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
  expect(DBInstances.filter((i) => i.DBInstanceIdentifier === 'playbook-db-resumed')).toHaveLength(1);
});

test('fails when --latest runs again to the target of an earlier --latest restore: that old restore is not adopted', async () => {
  // GIVEN an earlier --latest restore to the target (it may be weeks old)
  expect((await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-old-latest'])).code).toBe(0);
  const tags = tagsOf(await describe1('playbook-db-old-latest'));
  const before = await accountState();
  const sent = recordRdsCommands();

  // WHEN the same command runs again
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-old-latest']);

  // THEN exit 2, naming the instance and the time it holds, and nothing is done
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toContain(`--target 'playbook-db-old-latest' already exists in us-east-1: a restore of '${seeded.primary.id}' (state available, created `);
  expect(io.err()).toContain(`${RESTORE_TIME_TAG}=${tags[RESTORE_TIME_TAG]}`);
  expect(io.err()).toContain(`re-run with --to ${tags[RESTORE_TIME_TAG]} --resume playbook-db-old-latest`);
  expect(sent.filter((c) => !c.name.startsWith('Describe'))).toEqual([]);
  expect(await accountState()).toEqual(before);
});

test('--latest restores to the LatestRestorableTime read when it asks: the tag, the request and --json hold that time', async () => {
  // GIVEN a record of what RDS said the source's LatestRestorableTime was, and what was asked for
  const original = RDSClient.prototype.send;
  let latestRead: Date | undefined;
  let request: RestoreDBInstanceToPointInTimeCommandInput | undefined;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    const result = await (original as (...a: unknown[]) => Promise<{ DBInstances?: DBInstance[] }>).call(this, command, ...rest);
    if (command instanceof DescribeDBInstancesCommand && command.input.DBInstanceIdentifier === seeded.primary.id && !request) latestRead = result.DBInstances?.[0]?.LatestRestorableTime;
    if (command instanceof RestoreDBInstanceToPointInTimeCommand) request = command.input;
    return result;
  } as never);

  // WHEN
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-latest', '--json']);

  // THEN RDS was asked for that time (not "the latest", which moves on), and the tag and the document say it
  expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: 'playbook-db-latest: available (elapsed 0s)\n' });
  expect(latestRead).toBeInstanceOf(Date);
  expect(request).toMatchObject({ RestoreTime: latestRead });
  expect(request).not.toHaveProperty('UseLatestRestorableTime');
  jest.restoreAllMocks();
  expect(tagsOf(await describe1('playbook-db-latest'))[RESTORE_TIME_TAG]).toBe(latestRead!.toISOString());
  expect(JSON.parse(io.out())).toMatchObject({ action: 'restore', resumed: null, restoreTime: latestRead!.toISOString(), request: { RestoreTime: latestRead!.toISOString() } });
});

test('fails when --resume comes with --latest, naming the --to to give', async () => {
  expect((await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-resume-latest'])).code).toBe(0);
  const time = tagsOf(await describe1('playbook-db-resume-latest'))[RESTORE_TIME_TAG];
  const before = await accountState();
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-resume-latest', '--resume', 'playbook-db-resume-latest']);
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toMatch(new RegExp(`--resume takes --to, not --latest \\(whose time would be a new one\\): 'playbook-db-resume-latest' is a restore of 'playbook-db' to ${time.replace(/[.]/g, '\\.')} \\(state available, .*\\)\\. `
    + `To pick it up, re-run with --to ${time.replace(/[.]/g, '\\.')} --resume playbook-db-resume-latest`));
  expect(await accountState()).toEqual(before);
});

test('--resume --json: the resume notice is in the document (resumed) and on stderr', async () => {
  const to = (await timeInWindow()).toISOString();
  expect((await run(['restore', '--source', seeded.primary.id, '--to', to, '--target', 'playbook-db-json-resume'])).code).toBe(0);
  const tags = tagsOf(await describe1('playbook-db-json-resume'));

  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', to, '--target', 'playbook-db-json-resume', '--resume', 'playbook-db-json-resume', '--json']);

  expect(code).toBe(0);
  const message = `Resuming: 'playbook-db-json-resume' is already a restore of '${seeded.primary.id}' to ${to} (state available, requested at ${tags[RESTORE_STARTED_TAG]}); waiting for it.`;
  expect(JSON.parse(io.out())).toMatchObject({
    action: 'resume',
    request: null,
    restoreTime: to,
    resumed: {
      instance: 'playbook-db-json-resume',
      state: 'available',
      tags: { [RESTORED_FROM_TAG]: seeded.primary.id, [RESTORE_TIME_TAG]: to, [RESTORE_STARTED_TAG]: tags[RESTORE_STARTED_TAG] },
      message,
    },
  });
  // Elapsed since the first run asked for the restore, by the wall clock.
  expect(io.err()).toMatch(new RegExp(`^${message.replace(/[.()]/g, '\\$&')}\nplaybook-db-json-resume: available \\(elapsed \\d+s\\)\n$`));
});

test('fails when --resume names a restore of the same source to another time', async () => {
  const before = await accountState();
  const other = new Date((await timeInWindow()).getTime() - 1).toISOString();
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', other, '--target', 'playbook-db-restored', '--resume', 'playbook-db-restored']);
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toMatch(/--resume playbook-db-restored: it is a restore of 'playbook-db' to \S+, not to \S+ \(state available, .*\): not resumed\. Re-run with --to \S+ to pick it up, or choose another --target/);
  expect(await accountState()).toEqual(before);
});

test('fails when --resume names an instance that db-playbook did not restore from this source', async () => {
  const before = await accountState();
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', (await timeInWindow()).toISOString(), '--target', seeded.replicas[0].id, '--resume', seeded.replicas[0].id]);
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toMatch(/--target 'playbook-db-replica-1' is taken: an instance with that identifier exists in us-east-1 and is not a db-playbook restore of 'playbook-db' \(state available, created \S+, no db-playbook tags\)\. Choose another --target/);
  expect(await accountState()).toEqual(before);
});

test('fails when --resume names a restore an earlier db-playbook tagged restore-time=latest: what it holds is unknown', async () => {
  const to = (await timeInWindow()).toISOString();
  expect((await run(['restore', '--source', seeded.primary.id, '--to', to, '--target', 'playbook-db-legacy'])).code).toBe(0);
  const { DBInstanceArn } = await describe1('playbook-db-legacy');
  await rds.send(new AddTagsToResourceCommand({ ResourceName: DBInstanceArn, Tags: [{ Key: RESTORE_TIME_TAG, Value: 'latest' }] }));
  const before = await accountState();
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', to, '--target', 'playbook-db-legacy', '--resume', 'playbook-db-legacy']);
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toMatch(/^db-playbook: --resume playbook-db-legacy: it was restored to the latest restorable time by an earlier db-playbook, which did not record that time, so what it holds is unknown: it cannot be resumed \(state available, .*db-playbook:restore-time=latest.*\)\. Choose another --target\n$/);
  expect(await accountState()).toEqual(before);
});

test('fails with exit 1 when the restored instance ends in a state it will not leave', async () => {
  await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-stopped']);
  await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'playbook-db-stopped' }));
  const time = tagsOf(await describe1('playbook-db-stopped'))[RESTORE_TIME_TAG];
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--to', time, '--target', 'playbook-db-stopped', '--resume', 'playbook-db-stopped']);
  expect(code).toBe(1);
  expect(io.err()).toBe(`db-playbook: playbook-db-stopped is 'stopped': waiting will not make it available. The restore goes on in AWS: to resume waiting for it, run:\n`
    + `  db-playbook --region us-east-1 restore --source playbook-db --to ${time} --target playbook-db-stopped --resume playbook-db-stopped\n`);
});

// --- verify and cutover --------------------------------------------------------------------------

describe('--verify-sql and --cutover-proxy', () => {
  test('runs the SQL read-only on the restored database (a real PostgreSQL behind --verify-url), then re-points the proxy', async () => {
    const pg = await startPostgres();
    try {
      const sourceBefore = await describeSource();
      const url = `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
      const io = withStdin(fakeIo(motoEnv(moto.endpoint)), seeded.proxy!.name);
      const { code } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-cutover',
        '--verify-sql', 'SELECT 41 + 1 AS answer', '--verify-url', url, '--cutover-proxy', seeded.proxy!.name, '--yes', '--json'], io);
      expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: 'playbook-db-cutover: available (elapsed 0s)\n' });
      // --yes: not asked, though stdin is a terminal.
      expect(io.asked()).toBe(0);
      const result = JSON.parse(io.out());
      const restoreTime = tagsOf(await describe1('playbook-db-cutover'))[RESTORE_TIME_TAG];
      expect(result).toMatchObject({
        schemaVersion: 1,
        command: 'restore',
        dryRun: false,
        action: 'restore',
        resumed: null,
        source: { id: seeded.primary.id },
        target: 'playbook-db-cutover',
        restoreTime,
        status: 'available',
        endpoint: { address: expect.stringContaining('playbook-db-cutover'), port: 5433 },
        kmsKeyId: seeded.kms.primary.arn,
        restoreSeconds: 0,
        verify: { sql: 'SELECT 41 + 1 AS answer', ok: true, target: `127.0.0.1:${pg.port}/postgres`, rowCount: 1, firstRow: { answer: 42 }, error: null },
        cutover: { proxy: seeded.proxy!.name, before: [seeded.primary.id], after: ['playbook-db-cutover'], done: true },
      });
      expect(result.followUp.join('\n')).toMatch(/The CDK stack still names 'playbook-db' as the database and as the target of proxy 'playbook-proxy'.*the next `cdk deploy` would point the proxy back/);
      const { Targets = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
      expect(Targets.map((t) => t.RdsResourceId)).toEqual(['playbook-db-cutover']);
      expect(await describeSource()).toEqual(sourceBefore);
    } finally {
      await pg.stop();
    }
  });

  test('verifies over TLS with verify-full against the CA bundle in PGSSLROOTCERT', async () => {
    const tls = await startTlsPostgres();
    try {
      const url = `postgresql://postgres@127.0.0.1:${tls.server.port}/postgres?sslmode=verify-full`;
      const io = fakeIo({ ...motoEnv(moto.endpoint), PGSSLROOTCERT: tls.caFile });
      const { code } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-tls',
        '--verify-sql', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', '--verify-url', url, '--json'], io);
      expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: 'playbook-db-tls: available (elapsed 0s)\n' });
      expect(JSON.parse(io.out()).verify).toMatchObject({ ok: true, firstRow: { ssl: true } });
    } finally {
      await tls.stop();
    }
  });

  describe('fails before the restore, exit 2 and nothing created, when --verify-sql could not check TLS', () => {
    const notACert = path.join(os.tmpdir(), `not-a-cert-${process.pid}.pem`);
    beforeAll(() => fs.writeFileSync(notACert, 'hello\n'));
    afterAll(() => fs.rmSync(notACert, { force: true }));
    test.each([
      ['no CA bundle is given (sslmode verify-full by default)', 'postgresql://app@RESTORED/app', {},
        /--verify-sql: sslmode verify-full checks the restored instance's certificate, and no CA bundle is given: set PGSSLROOTCERT \(or sslrootcert= in --verify-url\) to the RDS CA bundle, https:\/\/truststore/],
      ['PGSSLROOTCERT names a file that does not exist', 'postgresql://app@RESTORED/app?sslmode=verify-ca', { PGSSLROOTCERT: '/nonexistent/global-bundle.pem' },
        /cannot read the CA bundle \/nonexistent\/global-bundle\.pem \(PGSSLROOTCERT\): ENOENT/],
      ['sslrootcert names a file without a certificate', `postgresql://app@RESTORED/app?sslrootcert=${encodeURIComponent(notACert)}`, { PGSSLROOTCERT: '/ignored.pem' },
        /the CA bundle \S+not-a-cert-\d+\.pem \(sslrootcert in --verify-url\) holds no PEM certificate/],
    ])('%s', async (_name, url, env, message) => {
      const before = await accountState();
      const io = fakeIo({ ...motoEnv(moto.endpoint), ...env });
      const { code } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-no-ca', '--verify-sql', 'SELECT 1', '--verify-url', url], io);
      expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
      expect(io.err()).toMatch(message);
      expect(await accountState()).toEqual(before);
    });
  });

  test('fails with exit 1 when the verification SQL fails, keeps the instance and does not cut over', async () => {
    const pg = await startPostgres();
    try {
      const { Targets: before = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
      const url = `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
      // A write: the verification transaction is READ ONLY.
      const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-unverified',
        '--verify-sql', 'CREATE TABLE scratch (i int)', '--verify-url', url, '--cutover-proxy', seeded.proxy!.name, '--yes']);
      expect(code).toBe(1);
      expect(io.out()).toContain(`verify    FAILED on 127.0.0.1:${pg.port}/postgres: 25006: cannot execute CREATE TABLE in a read-only transaction`);
      expect(io.out()).toContain(`cutover   not done: --verify-sql failed, proxy '${seeded.proxy!.name}' still targets`);
      expect(io.err()).toContain(`db-playbook: --verify-sql failed on 'playbook-db-unverified'`);
      const { Targets: after = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
      expect(after).toEqual(before);
      expect((await describe1('playbook-db-unverified')).DBInstanceStatus).toBe('available');
    } finally {
      await pg.stop();
    }
  });
  test.each([
    ['SET TRANSACTION READ WRITE; CREATE TABLE x(); COMMIT', 'x', false],
    ['COMMIT; DROP TABLE t', 't', true],
  ])('fails before the restore when --verify-sql is %j: exit 2, nothing created, the database as it was', async (sql, table, exists) => {
    const pg = await startPostgres();
    const admin = await pg.client();
    try {
      await admin.query('CREATE TABLE t (i int)');
      const before = await accountState();
      const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-verify-attack',
        '--verify-sql', sql, '--verify-url', `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`]);
      expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
      expect(io.err()).toMatch(/^db-playbook: --verify-sql must be one SQL statement, and it holds [23]: .* \(nothing was restored\)\n$/);
      expect(await accountState()).toEqual(before);
      expect((await admin.query('SELECT to_regclass($1) IS NOT NULL AS exists', [table])).rows).toEqual([{ exists }]);
    } finally {
      await admin.end();
      await pg.stop();
    }
  });
});

describe('confirming the cutover', () => {
  test('on a terminal without --yes, asks for the proxy\'s name once --verify-sql passed; another answer leaves the proxy as it was (exit 1, the instance kept)', async () => {
    const pg = await startPostgres();
    try {
      const { Targets: before = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
      const url = `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
      const io = withStdin(fakeIo(motoEnv(moto.endpoint)), 'y');

      const { code } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-unconfirmed',
        '--verify-sql', 'SELECT 1 AS one', '--verify-url', url, '--cutover-proxy', seeded.proxy!.name], io);

      expect(code).toBe(1);
      expect(io.asked()).toBe(1);
      const time = tagsOf(await describe1('playbook-db-unconfirmed'))[RESTORE_TIME_TAG];
      const from = before.map((t) => `'${t.RdsResourceId}'`).join(', ');
      expect(io.err()).toContain(`\nCutover: RDS Proxy 'playbook-proxy' is to be re-pointed from ${from} to 'playbook-db-unconfirmed', restored from 'playbook-db' to ${time} (the latest restorable time); `
        + `--verify-sql passed on 127.0.0.1:${pg.port}/postgres (1 row(s)). The applications that use the proxy will read and write 'playbook-db-unconfirmed' from then on.\n`
        + "Type the proxy's name (playbook-proxy) to confirm, anything else to stop: Not confirmed.\n");
      expect(io.out()).toContain(`  verify    ok on 127.0.0.1:${pg.port}/postgres: 1 row(s), first {"one":1}\n  cutover   not done: not confirmed, proxy 'playbook-proxy' still targets`);
      expect(io.err()).toContain(`db-playbook: the cutover was not confirmed: proxy 'playbook-proxy' was not re-pointed; 'playbook-db-unconfirmed' is restored and kept. To cut over later, run:\n`
        + `  db-playbook --region us-east-1 restore --source playbook-db --to ${time} --target playbook-db-unconfirmed --resume playbook-db-unconfirmed --verify-sql 'SELECT 1 AS one' --verify-url`);
      const { Targets: after = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
      expect(after).toEqual(before);
      expect((await describe1('playbook-db-unconfirmed')).DBInstanceStatus).toBe('available');
    } finally {
      await pg.stop();
    }
  });

  test('on a terminal without --yes, typing the proxy\'s name cuts over (here unverified: --skip-verify)', async () => {
    const io = withStdin(fakeIo(motoEnv(moto.endpoint)), ` ${seeded.proxy!.name} `);

    const { code } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-confirmed', '--cutover-proxy', seeded.proxy!.name, '--skip-verify'], io);

    expect({ code, err: io.err() }).toEqual({ code: 0, err: expect.stringContaining("; not verified (--skip-verify). The applications that use the proxy will read and write 'playbook-db-confirmed' from then on.\nType the proxy's name (playbook-proxy) to confirm") });
    expect(io.asked()).toBe(1);
    expect(io.out()).toMatch(/ {2}cutover {3}proxy 'playbook-proxy' now targets playbook-db-confirmed \(was \S+\)\n/);
    const { Targets = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: seeded.proxy!.name }));
    expect(Targets.map((t) => t.RdsResourceId)).toEqual(['playbook-db-confirmed']);
  });
});

// --- the request, and the progress line ----------------------------------------------------------

test('asks for provisioned IOPS and throughput only where RDS accepts them', () => {
  const base: DBInstance = { DBInstanceIdentifier: 'src', StorageType: 'gp3', AllocatedStorage: 100, Iops: 3000, StorageThroughput: 125 };
  const started = new Date('2026-03-14T14:00:00Z');
  const time = new Date('2026-03-14T13:44:59Z');
  expect(restoreRequest(base, 't', time, started)).not.toHaveProperty('Iops');
  expect(restoreRequest({ ...base, AllocatedStorage: 400, Iops: 12000, StorageThroughput: 500 }, 't', time, started)).toMatchObject({ Iops: 12000, StorageThroughput: 500 });
  expect(restoreRequest({ ...base, StorageType: 'io2', Iops: 8000 }, 't', time, started)).toMatchObject({ Iops: 8000 });
  expect(restoreRequest({ ...base, StorageType: 'io2', Iops: 8000 }, 't', time, started)).not.toHaveProperty('StorageThroughput');
  expect(restoreRequest({ ...base, OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-17' }] }, 't', time, started)).not.toHaveProperty('OptionGroupName');
});

describe('waitFor', () => {
  function scripted(states: string[]) {
    let i = 0;
    return async () => {
      // A wait that ignores its timeout would poll forever: fail fast instead.
      if (i > 1000) throw new Error('polled more than 1000 times: the timeout is not enforced');
      const state = states[Math.min(i++, states.length - 1)];
      return { state, value: state };
    };
  }
  const base = { label: 'db-r', isDone: (s: string) => s === 'available', isFailed: (s: string) => s === 'failed', resumeHint: 'Re-run to resume.', pollMs: 15_000 };

  test('prints one line per state change when stdout is not a terminal', async () => {
    const io = fakeIo({}, { now: 0 });
    await waitFor({ ...base, io, write: io.stdout, tty: false, startedAt: 0, timeoutMs: 3_600_000, poll: scripted(['creating', 'creating', 'backing-up', 'backing-up', 'available']) });
    expect(io.out()).toBe('db-r: creating (elapsed 0s)\ndb-r: backing-up (elapsed 30s)\ndb-r: available (elapsed 1m 0s)\n');
    expect(io.sleeps).toEqual([15_000, 15_000, 15_000, 15_000]);
  });

  test('without a terminal, repeats an unchanged state at least every 30 s (a CI log is never silent for long)', async () => {
    const io = fakeIo({}, { now: 0 });
    await waitFor({ ...base, io, write: io.stdout, tty: false, startedAt: 0, timeoutMs: 3_600_000, poll: scripted([...Array(9).fill('creating'), 'available']) });
    expect(io.out()).toBe([
      'db-r: creating (elapsed 0s)', 'db-r: creating (elapsed 30s)', 'db-r: creating (elapsed 1m 0s)', 'db-r: creating (elapsed 1m 30s)',
      'db-r: creating (elapsed 2m 0s)', 'db-r: available (elapsed 2m 15s)', '',
    ].join('\n'));
  });

  test('without a terminal, a poll interval over 30 s still gives a line every 30 s', async () => {
    const io = fakeIo({}, { now: 0 });
    await waitFor({ ...base, pollMs: 300_000, io, write: io.stdout, tty: false, startedAt: 0, timeoutMs: 3_600_000, poll: scripted(['modifying', 'modifying', 'modifying', 'available']) });
    expect(io.out()).toBe('db-r: modifying (elapsed 0s)\ndb-r: modifying (elapsed 30s)\ndb-r: modifying (elapsed 1m 0s)\ndb-r: available (elapsed 1m 30s)\n');
    expect(io.sleeps).toEqual([30_000, 30_000, 30_000]);
  });

  test('rewrites one line with \\r on a terminal', async () => {
    const io = fakeIo({}, { now: 0 });
    await waitFor({ ...base, io, write: io.stdout, tty: true, startedAt: -125_000, timeoutMs: 3_600_000, poll: scripted(['creating', 'backing-up', 'available']) });
    expect(io.out()).toBe('\rdb-r: creating (elapsed 2m 5s)\rdb-r: backing-up (elapsed 2m 20s)\rdb-r: available (elapsed 2m 35s) \n');
    expect(io.out().split('\n')).toHaveLength(2);
  });

  test('fails when the timeout passes, saying how to resume', async () => {
    const io = fakeIo({}, { now: 0 });
    await expect(waitFor({ ...base, io, write: io.stdout, tty: false, startedAt: 0, timeoutMs: 60_000, poll: scripted(['creating']) }))
      .rejects.toThrow(new WaitTimeoutError('timed out after 1m 0s waiting for db-r (state: creating). Re-run to resume.'));
    expect(io.now()).toBe(60_000);
  });

  test('fails at once on a state that will not become available', async () => {
    const io = fakeIo({}, { now: 0 });
    await expect(waitFor({ ...base, io, write: io.stdout, tty: false, startedAt: 0, timeoutMs: 60_000, poll: scripted(['creating', 'failed']) }))
      .rejects.toThrow("db-r is 'failed': waiting will not make it available. Re-run to resume.");
  });
});

/**
 * moto's restored instance is 'available' at once: hold `target` 'creating' by answering its
 * DescribeDBInstances from a copy with that state (the restore call itself goes to moto).
 * `onPoll` runs at each of those polls (the n-th, from 1).
 */
function holdCreating(target: string, onPoll: (n: number) => void = () => undefined): { polls: () => number } {
  const original = RDSClient.prototype.send;
  let calls = 0;
  let polls = 0;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    // A wait that ignores --timeout would poll forever: fail fast instead.
    if (++calls > 1000) throw new Error('polled more than 1000 times: --timeout is not enforced');
    const result = await (original as (...a: unknown[]) => Promise<{ DBInstances?: DBInstance[] }>).call(this, command, ...rest);
    if (command instanceof DescribeDBInstancesCommand && command.input.DBInstanceIdentifier === target && result.DBInstances) {
      onPoll(++polls);
      return { ...result, DBInstances: result.DBInstances.map((i) => ({ ...i, DBInstanceStatus: 'creating' })) };
    }
    return result;
  } as never);
  return { polls: () => polls };
}

test('without a terminal, the wait prints the state and elapsed time at least every 30 s', async () => {
  holdCreating('playbook-db-heartbeat');
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-heartbeat', '--timeout', '2']);
  expect(code).toBe(1);
  const progress = io.out().split('\n').filter((l) => l.startsWith('playbook-db-heartbeat:'));
  expect(progress).toEqual(['0s', '30s', '1m 0s', '1m 30s', '2m 0s'].map((t) => `playbook-db-heartbeat: creating (elapsed ${t})`));
});

test('--timeout ends the wait with exit 1 and the command that resumes it', async () => {
  holdCreating('playbook-db-slow');
  const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-slow', '--timeout', '1']);
  expect(code).toBe(1);
  expect(io.out()).toContain('playbook-db-slow: creating (elapsed 0s)\n');
  const time = tagsOf(await describe1('playbook-db-slow'))[RESTORE_TIME_TAG];
  expect(io.err()).toBe('db-playbook: WaitTimeout: timed out after 1m 0s waiting for playbook-db-slow (state: creating). The restore goes on in AWS: to resume waiting for it, run:\n'
    + `  db-playbook --region us-east-1 restore --source playbook-db --to ${time} --target playbook-db-slow --resume playbook-db-slow --timeout 1\n`);
});

function tagsOf(instance: DBInstance): Record<string, string> {
  return Object.fromEntries((instance.TagList ?? []).map((t) => [t.Key!, t.Value!]));
}

// --- Ctrl-C --------------------------------------------------------------------------------------

/** The words of a shell command line, as bash splits and unquotes them. */
function shellWords(line: string): string[] {
  const out = spawnSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bash could not parse: ${line}\n${out.stderr}`);
  return out.stdout.split('\0').slice(0, -1);
}

describe('Ctrl-C during restore', () => {
  test('says the restore goes on in AWS, prints the exact command to resume and exits 130; that command resumes', async () => {
    const pg = await startPostgres();
    try {
      const to = await timeInWindow();
      const url = `postgresql://postgres:s3cret@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
      const sql = "SELECT 'it''s restored' AS answer";
      const io = fakeIo(motoEnv(moto.endpoint));
      // GIVEN a restore still 'creating' at its third poll, when the operator presses Ctrl-C
      const held = holdCreating('playbook-db-ctrl-c', (n) => { if (n === 3) expect(io.interrupt()).toBe(true); });

      const code = await main(['restore', '--source', seeded.primary.id, '--to', to.toISOString(), '--target', 'playbook-db-ctrl-c',
        '--verify-sql', sql, '--verify-url', url, '--timeout', '30'], io);

      // THEN exit 130, no more polls, what goes on and how to resume
      expect(code).toBe(130);
      expect(held.polls()).toBe(3);
      const lines = io.err().split('\n');
      expect(lines[0]).toBe(`db-playbook: interrupted: the restore of '${seeded.primary.id}' to ${to.toISOString()} as 'playbook-db-ctrl-c' goes on in AWS (Ctrl-C stopped only the wait)`);
      expect(lines[1]).toBe('hint: to resume waiting for it, then verify it, run:');
      expect(lines[2]).toMatch(/^ {2}db-playbook /);
      expect(lines[2]).not.toContain('s3cret');
      expect(lines[3]).toBe('The password of --verify-url is left out here: set PGPASSWORD before running it.');
      expect(lines.slice(4)).toEqual(['']);
      const argv = shellWords(lines[2].trim());
      expect(argv).toEqual(['db-playbook', '--region', 'us-east-1', 'restore', '--source', seeded.primary.id, '--to', to.toISOString(),
        '--target', 'playbook-db-ctrl-c', '--resume', 'playbook-db-ctrl-c', '--verify-sql', sql, '--verify-url', url.replace(':s3cret', ''), '--timeout', '30']);
      expect((await describe1('playbook-db-ctrl-c')).TagList).toContainEqual({ Key: RESTORED_FROM_TAG, Value: seeded.primary.id });
      jest.restoreAllMocks();

      // WHEN the operator runs the printed command (with PGPASSWORD set, as it says)
      const sent = recordRdsCommands();
      const again = withStdin(fakeIo({ ...motoEnv(moto.endpoint), PGPASSWORD: 's3cret' }));
      expect(await main(argv.slice(1), again)).toBe(0);

      // THEN it waits for the restore under way instead of starting another, and verifies it
      expect(sent.filter((c) => c.name === RestoreDBInstanceToPointInTimeCommand.name)).toEqual([]);
      expect(again.out()).toContain(`Resuming: 'playbook-db-ctrl-c' is already a restore of '${seeded.primary.id}'`);
      expect(again.out()).toContain(`verify    ok on 127.0.0.1:${pg.port}/postgres: 1 row(s), first {"answer":"it's restored"}`);
    } finally {
      await pg.stop();
    }
  });

  test('the bin, sent SIGINT while it waits (against moto), exits 130 at once with the resume command', async () => {
    // moto makes the restored instance available at once: a proxy in front of it reports 'creating'.
    const proxy = await startStatusProxy(moto.endpoint, 'playbook-db-sigint', 'creating');
    try {
      const bin = path.resolve(__dirname, '..', '..', 'assets', 'cli', 'db-playbook.js');
      const child = spawn(process.execPath, [bin, 'restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-sigint'], {
        env: { PATH: process.env.PATH, ...motoEnv(proxy.url) }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let signalledAt = 0;
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // The first progress line: the restore was requested and the wait (15 s between polls) has begun.
        if (!signalledAt && stdout.includes('playbook-db-sigint: creating (elapsed')) {
          signalledAt = Date.now();
          child.kill('SIGINT');
        }
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
      clearTimeout(killer);
      expect({ status, signal }).toEqual({ status: 130, signal: null });
      // Well before the next poll: the sleep was cut short.
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      const time = tagsOf(await describe1('playbook-db-sigint'))[RESTORE_TIME_TAG];
      expect(stderr).toBe(`db-playbook: interrupted: the restore of '${seeded.primary.id}' to ${time} (the latest restorable time) as 'playbook-db-sigint' goes on in AWS (Ctrl-C stopped only the wait)\n`
        + 'hint: to resume waiting for it, run:\n'
        + `  db-playbook --region us-east-1 restore --source ${seeded.primary.id} --to ${time} --target playbook-db-sigint --resume playbook-db-sigint\n`);
      expect(proxy.polls()).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});
