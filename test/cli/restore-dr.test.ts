/**
 * `db-playbook restore --from-replicated-backups`: the restore in the DR region when the primary
 * region is down, end to end against moto (RDS, EC2, KMS) seeded with a deployment whose
 * automated backups are replicated to us-west-2, run in-process through main(argv, io).
 *
 * moto 5.2 has no StartDBInstanceAutomatedBackupsReplication (so it never lists replicated
 * automated backups) and no restore from a backups ARN (its RestoreDBInstanceToPointInTime reads
 * only SourceDBInstanceIdentifier, and would restore whichever instance of the region it lists
 * first). Those two calls are answered at the HTTP layer by test/support/aws-gaps-proxy.ts, in
 * front of moto: the listing from what seedDeployment recorded, the restore by having moto create
 * the instance with the request's settings and the backups' engine, storage and key. Everything
 * else (the target, the subnet and parameter groups, the key, the wait, the proxy) is moto's.
 *
 * The primary region is made unreachable at the HTTP layer: the proxy resets the connection of
 * every request signed for us-east-1, and the tests check that the DR path sent none.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DBInstance,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { spawnSync } from 'child_process';
import { main } from '../../cli/program';
import { resumeCommand } from '../../cli/commands/restore';
import { RESTORED_FROM_BACKUPS_TAG } from '../../cli/commands/restore-dr';
import { RESTORE_STARTED_TAG, RESTORE_TIME_TAG, RESTORED_FROM_TAG } from '../../cli/rds/instances';
import { AwsGapsProxy, startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let moto: MotoServer;
let seeded: SeededDeployment;
/** In front of moto, with us-east-1 (the primary region) down. */
let down: AwsGapsProxy;
/** In front of moto, every region up. */
let up: AwsGapsProxy;
let rds: RDSClient;
let rdsDr: RDSClient;
const earliest = new Date(Date.now() - 7 * DAY);

beforeAll(async () => {
  moto = await startMoto();
  seeded = await seedDeployment(moto.endpoint);
  down = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: earliest, unreachableRegions: ['us-east-1'] });
  up = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: earliest });
  rds = new RDSClient(awsClientConfig(moto.endpoint, 'us-east-1'));
  rdsDr = new RDSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
});

afterAll(async () => {
  rds?.destroy();
  rdsDr?.destroy();
  await down?.close();
  await up?.close();
  await moto?.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/**
 * The operator's shell: AWS_REGION is the primary region, as it was before the outage; stdin
 * not a terminal (whatever the terminal jest runs in).
 */
async function run(argv: string[], io: FakeIo = fakeIo(motoEnv(down.url))): Promise<{ code: number; io: FakeIo }> {
  return { code: await main(argv, Object.assign(io, { stdinIsTty: false })), io };
}

/** `restore` in the DR region from the replicated backups, with the DR network's flags, then `extra`. */
function drRestore(target: string, ...extra: string[]): string[] {
  const dr = seeded.drNetwork!;
  return ['restore', '--region', 'us-west-2', '--from-replicated-backups', '--source', seeded.primary.id, '--target', target,
    '--db-subnet-group', dr.dbSubnetGroupName, '--vpc-security-group-ids', dr.securityGroupId, '--db-parameter-group', dr.parameterGroupName, ...extra];
}

async function describeDr(id: string): Promise<DBInstance | undefined> {
  const { DBInstances = [] } = await rdsDr.send(new DescribeDBInstancesCommand({}));
  return DBInstances.find((i) => i.DBInstanceIdentifier === id);
}

/** Every instance in both regions (read from moto directly, whatever the proxy refuses). */
async function instances(): Promise<string[]> {
  const all = async (client: RDSClient) => ((await client.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [])
    .map((i) => `${i.DBInstanceArn} ${i.DBInstanceStatus}`);
  return [...await all(rds), ...await all(rdsDr)].sort();
}

function tagsOf(instance: DBInstance): Record<string, string> {
  return Object.fromEntries((instance.TagList ?? []).map((t) => [t.Key!, t.Value!]));
}

// --- the primary region is down ---------------------------------------------------------------------

test('the primary region is down: in-region commands fail, and nothing of the DR path goes there', async () => {
  // The outage is real: an in-region plan cannot even read the source.
  const inRegion = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'playbook-db-unreachable', '--dry-run']);
  expect(inRegion.code).toBe(1);
  expect(down.refused.length).toBeGreaterThan(0);
  expect(down.refused.every((r) => r.startsWith('us-east-1 rds '))).toBe(true);
});

test('restores in the DR region from the replicated automated backups, with the DR network, parameters and key, while the primary region is unreachable', async () => {
  // GIVEN the primary region down, and a time inside the replicated backups' window
  const to = new Date(Date.now() - HOUR);
  const refusedBefore = down.refused.length;
  const sent: string[] = [];
  const original = RDSClient.prototype.send;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    sent.push(`${await this.config.region()} ${(command as object).constructor.name}`);
    return (original as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } as never);

  // WHEN
  const { code, io } = await run(drRestore('playbook-dr', '--to', to.toISOString(), '--kms-key', seeded.kms.dr.arn));

  // THEN it is restored in us-west-2, and not one request went to us-east-1
  expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: '' });
  expect(down.refused.length).toBe(refusedBefore);
  expect(sent.every((s) => s.startsWith('us-west-2 '))).toBe(true);
  expect(sent).toContain(`us-west-2 ${RestoreDBInstanceToPointInTimeCommand.name}`);

  // The request RDS got: the backups' ARN, not the source instance, and the DR region's settings.
  expect(down.restoreRequests).toHaveLength(1);
  const request = Object.fromEntries(down.restoreRequests[0]);
  expect(request).toMatchObject({
    SourceDBInstanceAutomatedBackupsArn: seeded.replicatedBackup!.arn,
    TargetDBInstanceIdentifier: 'playbook-dr',
    RestoreTime: to.toISOString(),
    DBSubnetGroupName: seeded.drNetwork!.dbSubnetGroupName,
    'VpcSecurityGroupIds.VpcSecurityGroupId.1': seeded.drNetwork!.securityGroupId,
    DBParameterGroupName: seeded.drNetwork!.parameterGroupName,
    Port: '5433',
    EnableIAMDatabaseAuthentication: 'true',
    DeletionProtection: 'true',
    MultiAZ: 'false',
  });
  expect(request).not.toHaveProperty('SourceDBInstanceIdentifier');
  expect(request).not.toHaveProperty('KmsKeyId');

  // The instance moto holds now.
  const restored = await describeDr('playbook-dr');
  expect(restored).toMatchObject({
    DBInstanceArn: 'arn:aws:rds:us-west-2:123456789012:db:playbook-dr',
    DBInstanceStatus: 'available',
    Engine: 'postgres',
    EngineVersion: '17.9',
    DBSubnetGroup: expect.objectContaining({ DBSubnetGroupName: seeded.drNetwork!.dbSubnetGroupName }),
    VpcSecurityGroups: [expect.objectContaining({ VpcSecurityGroupId: seeded.drNetwork!.securityGroupId })],
    DBParameterGroups: [expect.objectContaining({ DBParameterGroupName: seeded.drNetwork!.parameterGroupName })],
    StorageEncrypted: true,
    KmsKeyId: seeded.kms.dr.arn,
    DeletionProtection: true,
  });
  expect(tagsOf(restored!)).toEqual({
    project: 'cdk-db-playbook',
    environment: 'production',
    [RESTORED_FROM_TAG]: seeded.primary.id,
    [RESTORE_TIME_TAG]: to.toISOString(),
    [RESTORE_STARTED_TAG]: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    [RESTORED_FROM_BACKUPS_TAG]: seeded.replicatedBackup!.arn,
  });
  expect(io.out()).toContain(`Restoring '${seeded.primary.id}' from its replicated automated backups to ${to.toISOString()} as 'playbook-dr' (us-west-2).\n`);
  expect(io.out()).toContain(`endpoint  playbook-dr.aaaaaaaaaa.us-west-2.rds.amazonaws.com:5433`);
  expect(io.out()).toContain(`Nothing was sent to us-east-1: '${seeded.primary.id}' there is untouched`);
});

test('--dry-run prints the plan (the backups, their window, every setting) and creates nothing', async () => {
  const before = await instances();
  const { code, io } = await run(drRestore('playbook-dr-dry', '--latest', '--dry-run'));
  expect({ code, stderr: io.err() }).toEqual({ code: 0, stderr: '' });
  expect(await instances()).toEqual(before);
  expect(down.restoreRequests.filter((r) => r.get('TargetDBInstanceIdentifier') === 'playbook-dr-dry')).toEqual([]);
  const out = io.out();
  expect(out).toContain('Restore plan (dry run: nothing is created or changed)\n');
  expect(out).toContain(`  from          the replicated automated backups of 'playbook-db' in us-west-2: ${seeded.replicatedBackup!.arn} (replicating, retention 7 days)\n`);
  expect(out).toContain(`  source        playbook-db (us-east-1, postgres 17.9; not called: the restore reads only us-west-2)\n`);
  expect(out).toMatch(new RegExp(`\\n {2}window {8}${earliest.toISOString().replace(/[.]/g, '\\.')} to \\S+Z\\n`));
  expect(out).toContain('  target        playbook-dr-dry (new instance in us-west-2)\n');
  expect(out).toContain(`  KMS key       ${seeded.kms.dr.arn} (the replicated backups' key: RDS restores with it)\n`);
  for (const [name, value] of [
    ['DBSubnetGroupName', seeded.drNetwork!.dbSubnetGroupName], ['VpcSecurityGroupIds', seeded.drNetwork!.securityGroupId],
    ['DBParameterGroupName', seeded.drNetwork!.parameterGroupName], ['MultiAZ', 'false'], ['Port', '5433'], ['EnableIAMDatabaseAuthentication', 'true'],
    ['StorageType', 'gp3'], ['BackupRetentionPeriod', '7'], ['DeletionProtection', 'true'], ['CopyTagsToSnapshot', 'true'], ['PubliclyAccessible', 'false'],
  ]) {
    expect(out).toMatch(new RegExp(`\\n {4}${name} +${value.replace(/[.]/g, '\\.')}\\n`));
  }
  expect(out).toContain('storage autoscaling (MaxAllocatedStorage)');
});

test('--multi-az and --db-instance-class are passed on; the command that resumes carries every DR flag', async () => {
  const { code, io } = await run(drRestore('playbook-dr-flags', '--latest', '--multi-az', '--db-instance-class', 'db.r7g.large', '--dry-run', '--json'));
  expect(code).toBe(0);
  const plan = JSON.parse(io.out());
  // --latest: the end of the replicated backups' window, asked for as a time.
  expect(plan.request).toMatchObject({ MultiAZ: true, DBInstanceClass: 'db.r7g.large', RestoreTime: plan.window.latest });
  expect(plan.request).not.toHaveProperty('UseLatestRestorableTime');
  expect(plan).toMatchObject({ restoreTime: plan.window.latest, window: { latestFrom: 'DescribeDBInstanceAutomatedBackups RestoreWindow.LatestTime (the replicated backups in us-west-2)' } });

  const opts = {
    source: 'prod-db', target: 'prod-dr', latest: true, timeout: 120, fromReplicatedBackups: true, backupsArn: 'arn:aws:rds:us-west-2:111122223333:auto-backup:ab-X',
    dbSubnetGroup: 'prod dr', vpcSecurityGroupIds: 'sg-0123456789abcdef0,sg-00000000', dbParameterGroup: 'prod-dr-postgres17', dbInstanceClass: 'db.r7g.large', multiAz: true, kmsKey: 'alias/prod-dr',
  };
  const time = new Date('2026-03-14T13:44:59Z');
  expect(shellWords(resumeCommand({ ...opts, cutoverProxy: 'prod-dr-proxy', skipVerify: true, yes: true }, {}, 'us-west-2', time).command)).toEqual(['db-playbook', '--region', 'us-west-2', 'restore',
    '--source', 'prod-db', '--to', '2026-03-14T13:44:59.000Z', '--target', 'prod-dr', '--resume', 'prod-dr',
    '--from-replicated-backups', '--backups-arn', opts.backupsArn, '--db-subnet-group', 'prod dr', '--vpc-security-group-ids', opts.vpcSecurityGroupIds,
    '--db-parameter-group', 'prod-dr-postgres17', '--db-instance-class', 'db.r7g.large', '--multi-az', '--kms-key', 'alias/prod-dr',
    '--cutover-proxy', 'prod-dr-proxy', '--skip-verify', '--yes']);
});

// --- Ctrl-C and resuming ---------------------------------------------------------------------------

/** The words of a shell command line, as bash splits and unquotes them. */
function shellWords(line: string): string[] {
  const out = spawnSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bash could not parse: ${line}\n${out.stderr}`);
  return out.stdout.split('\0').slice(0, -1);
}

test('Ctrl-C while it waits: the restore goes on, the printed command resumes it (in the DR region, no second restore)', async () => {
  const io = fakeIo(motoEnv(down.url));
  // moto makes the instance available at once: report it 'creating', and press Ctrl-C at the second poll.
  const original = RDSClient.prototype.send;
  let polls = 0;
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
    const result = await (original as (...a: unknown[]) => Promise<{ DBInstances?: DBInstance[] }>).call(this, command, ...rest);
    if (command instanceof DescribeDBInstancesCommand && command.input.DBInstanceIdentifier === 'playbook-dr-ctrl-c' && result.DBInstances) {
      if (++polls === 2) io.interrupt();
      return { ...result, DBInstances: result.DBInstances.map((i) => ({ ...i, DBInstanceStatus: 'creating' })) };
    }
    return result;
  } as never);

  const code = await main(drRestore('playbook-dr-ctrl-c', '--latest', '--timeout', '30'), io);

  expect(code).toBe(130);
  const time = tagsOf((await describeDr('playbook-dr-ctrl-c'))!)[RESTORE_TIME_TAG];
  const lines = io.err().split('\n');
  expect(lines[0]).toBe(`db-playbook: interrupted: the restore of '${seeded.primary.id}' to ${time} (the latest restorable time) as 'playbook-dr-ctrl-c' goes on in AWS (Ctrl-C stopped only the wait)`);
  expect(lines[1]).toBe('hint: to resume waiting for it, run:');
  const argv = shellWords(lines[2].trim());
  const dr = seeded.drNetwork!;
  expect(argv).toEqual(['db-playbook', '--region', 'us-west-2', 'restore', '--source', seeded.primary.id, '--to', time, '--target', 'playbook-dr-ctrl-c', '--resume', 'playbook-dr-ctrl-c',
    '--from-replicated-backups', '--db-subnet-group', dr.dbSubnetGroupName, '--vpc-security-group-ids', dr.securityGroupId, '--db-parameter-group', dr.parameterGroupName,
    '--timeout', '30']);
  jest.restoreAllMocks();

  const restoresBefore = down.restoreRequests.length;
  const again = fakeIo(motoEnv(down.url));
  expect(await main(argv.slice(1), again)).toBe(0);
  expect(down.restoreRequests.length).toBe(restoresBefore);
  expect(again.out()).toContain(`Resuming: 'playbook-dr-ctrl-c' is already a restore of '${seeded.primary.id}' to ${time} (state available, requested at `);
  expect(again.out()).toContain(`Restored '${seeded.primary.id}' to ${time} as 'playbook-dr-ctrl-c'`);
});

test('fails when a DR restore runs again to the target of an earlier one, and --resume checks the backups it was restored from', async () => {
  // GIVEN an earlier --latest restore from the replicated backups
  expect((await run(drRestore('playbook-dr-again', '--latest'))).code).toBe(0);
  const restored = (await describeDr('playbook-dr-again'))!;
  const tags = tagsOf(restored);
  const before = await instances();
  const restoresBefore = down.restoreRequests.length;

  // WHEN the same --latest restore runs again, and then with --resume but other backups (the tag altered as another restore would have it)
  const again = await run(drRestore('playbook-dr-again', '--latest'));
  await rdsDr.send(new AddTagsToResourceCommand({ ResourceName: restored.DBInstanceArn, Tags: [{ Key: RESTORED_FROM_BACKUPS_TAG, Value: 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-OTHER' }] }));
  const other = await run(drRestore('playbook-dr-again', '--to', tags[RESTORE_TIME_TAG], '--resume', 'playbook-dr-again'));

  // THEN both are refused, naming the instance and its tags; nothing is restored
  expect({ code: again.code, out: again.io.out() }).toEqual({ code: 2, out: '' });
  expect(again.io.err()).toContain(`--target 'playbook-dr-again' already exists in us-west-2: a restore of '${seeded.primary.id}' (state available, created `);
  expect(again.io.err()).toContain(`re-run with --to ${tags[RESTORE_TIME_TAG]} --resume playbook-dr-again`);
  expect({ code: other.code, out: other.io.out() }).toEqual({ code: 2, out: '' });
  expect(other.io.err()).toContain(`--resume playbook-dr-again: its tag ${RESTORED_FROM_BACKUPS_TAG} is 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-OTHER', not '${seeded.replicatedBackup!.arn}'`);
  expect(await instances()).toEqual(before);
  expect(down.restoreRequests.length).toBe(restoresBefore);
});

test('fails before restoring anything when --cutover-proxy (a proxy in the DR region) has no --yes and stdin is not a terminal', async () => {
  const before = await instances();
  const restoresBefore = down.restoreRequests.length;
  const { code, io } = await run(drRestore('playbook-dr-cutover', '--latest', '--cutover-proxy', 'playbook-dr-proxy', '--skip-verify'));
  expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
  expect(io.err()).toMatch(/--cutover-proxy playbook-dr-proxy moves the applications that use the proxy, reads and writes, to the restored instance: confirm with --yes \(stdin is not a terminal.*Nothing was restored/);
  const unverified = await run(drRestore('playbook-dr-cutover', '--latest', '--cutover-proxy', 'playbook-dr-proxy', '--yes'));
  expect({ code: unverified.code, out: unverified.io.out() }).toEqual({ code: 2, out: '' });
  expect(unverified.io.err()).toMatch(/--cutover-proxy playbook-dr-proxy needs --verify-sql <sql>/);
  expect(await instances()).toEqual(before);
  expect(down.restoreRequests.length).toBe(restoresBefore);
});

test('finds the backups by --backups-arn, and by the source\'s ARN', async () => {
  const byArn = await run(drRestore('playbook-dr-arn', '--latest', '--backups-arn', seeded.replicatedBackup!.arn, '--dry-run', '--json'));
  expect(byArn.code).toBe(0);
  expect(JSON.parse(byArn.io.out()).request).toMatchObject({ SourceDBInstanceAutomatedBackupsArn: seeded.replicatedBackup!.arn });
  const bySourceArn = await run(drRestore('playbook-dr-src-arn', '--latest', '--dry-run', '--json').map((w) => (w === seeded.primary.id ? seeded.primary.arn : w)));
  expect({ code: bySourceArn.code, err: bySourceArn.io.err() }).toEqual({ code: 0, err: '' });
  expect(JSON.parse(bySourceArn.io.out()).source).toMatchObject({ id: seeded.primary.id, arn: seeded.primary.arn });
});

// --- refusals ------------------------------------------------------------------------------------

describe('refuses with exit 2, a message naming the flag, and nothing created', () => {
  let otherDrKey: string;
  beforeAll(async () => {
    const kms = new KMSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
    otherDrKey = (await kms.send(new CreateKeyCommand({ Description: 'another key' }))).KeyMetadata!.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/not-the-dr-key', TargetKeyId: otherDrKey }));
    kms.destroy();
    await rdsDr.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'playbook-dr-postgres16', DBParameterGroupFamily: 'postgres16', Description: 'an older family' }));
    // An unrelated instance in the DR region, whose name the operator picks by mistake.
    await rdsDr.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'playbook-dr-taken', Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', MasterUsername: 'postgres',
      MasterUserPassword: 'not-a-restore-0123', AllocatedStorage: 20, StorageEncrypted: true, KmsKeyId: seeded.kms.dr.arn,
    }));
  });

  const without = (flag: string) => (argv: string[]) => { const i = argv.indexOf(flag); return [...argv.slice(0, i), ...argv.slice(i + 2)]; };
  const replace = (flag: string, value: string) => (argv: string[]) => argv.map((w, i) => (argv[i - 1] === flag ? value : w));
  const cases: [string, (argv: string[]) => string[], RegExp][] = [
    ['fails without --db-subnet-group', without('--db-subnet-group'), /--from-replicated-backups needs --db-subnet-group <name>: the DR region's/],
    ['fails without --vpc-security-group-ids and --db-parameter-group', (a) => without('--db-parameter-group')(without('--vpc-security-group-ids')(a)),
      /--from-replicated-backups needs --vpc-security-group-ids <sg-1,sg-2>, --db-parameter-group <name>/],
    ['fails when a security group id is malformed', replace('--vpc-security-group-ids', 'sg-0123456789abcdef0,default'),
      /--vpc-security-group-ids: 'default' is not a security group id \(sg- and 8 or 17 hexadecimal digits, e\.g\. sg-0123456789abcdef0\)/],
    ['fails when the subnet group name is invalid', replace('--db-subnet-group', 'dr/isolated'), /--db-subnet-group 'dr\/isolated' is not a valid DB subnet group name: it may contain only letters, digits, periods, underscores, spaces and hyphens/],
    ['fails when the subnet group does not exist in the DR region', replace('--db-subnet-group', 'playbook-isolated'), /--db-subnet-group playbook-isolated: no DB subnet group of that name in us-west-2/],
    ['fails when the parameter group does not exist', replace('--db-parameter-group', 'playbook-postgres17'), /--db-parameter-group playbook-postgres17: no DB parameter group of that name in us-west-2/],
    ['fails when the parameter group is of another engine family', replace('--db-parameter-group', 'playbook-dr-postgres16'),
      /--db-parameter-group playbook-dr-postgres16 is of family postgres16: the replicated backups are postgres 17\.9, which needs a postgres17 group/],
    ['fails when the instance class is malformed', (a) => [...a, '--db-instance-class', 'm7g.large'], /--db-instance-class 'm7g\.large' is not a DB instance class \(db\.<family>\.<size>, e\.g\. db\.m7g\.large\)/],
    ['fails when --kms-key is not the key the backups are replicated with', (a) => [...a, '--kms-key', 'alias/not-the-dr-key'],
      /--kms-key alias\/not-the-dr-key is arn:aws:kms:us-west-2:\S+, but the replicated backups of 'playbook-db' are encrypted with arn:aws:kms:us-west-2:\S+: RDS restores them with that key/],
    ['fails when --kms-key is a key of another region', (a) => [...a, '--kms-key', seeded.kms.primary.arn], /--kms-key arn:aws:kms:us-east-1:\S+ is in us-east-1: backups replicated to us-west-2 are encrypted with a key of us-west-2/],
    ['fails when --kms-key is not a key', (a) => [...a, '--kms-key', 'the-dr-key'], /--kms-key 'the-dr-key' is not a KMS key: give a key ARN, a key id/],
    ['fails when the time is before the window', (a) => [...a.filter((w) => w !== '--latest'), '--to', '2001-01-01T00:00:00Z'],
      /--to 2001-01-01T00:00:00\.000Z is before the earliest restorable time: the restorable window of the replicated backups of 'playbook-db' in us-west-2 is/],
    ['fails when --backups-arn is in another region', (a) => [...a, '--backups-arn', seeded.replicatedBackup!.arn.replace('us-west-2', 'eu-west-1')],
      /--backups-arn arn:aws:rds:eu-west-1:\S+ is in eu-west-1, not us-west-2: pass --region eu-west-1/],
    ['fails when --backups-arn names no backups', (a) => [...a, '--backups-arn', 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-NOSUCHBACKUPS'],
      /--backups-arn arn:aws:rds:us-west-2:123456789012:auto-backup:ab-NOSUCHBACKUPS: no replicated automated backups of 'playbook-db' with that ARN in us-west-2/],
    ['fails when --backups-arn is not an automated-backups ARN', (a) => [...a, '--backups-arn', seeded.primary.arn], /--backups-arn 'arn:aws:rds:us-east-1:123456789012:db:playbook-db' is not the ARN of automated backups/],
    ['fails when the DR region holds no replicated backups of the source', replace('--region', 'eu-west-1'),
      /no replicated automated backups of 'playbook-db' in eu-west-1: check --source and --region/],
    ['fails when the source is not an instance identifier', replace('--source', 'playbook_db'), /--source 'playbook_db' is not a valid DB instance identifier: it may contain only letters, digits and hyphens/],
    ['fails when the target is taken in the DR region', replace('--target', 'playbook-dr-taken'), /--target 'playbook-dr-taken' is taken: an instance with that identifier exists in us-west-2 and is not a db-playbook restore of 'playbook-db'/],
  ];
  test.each(cases)('%s', async (_name, change, message) => {
    const before = await instances();
    const restoresBefore = up.restoreRequests.length + down.restoreRequests.length;
    const { code, io } = await run(change(drRestore('playbook-dr-refused', '--latest')));
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(message);
    expect(await instances()).toEqual(before);
    expect(up.restoreRequests.length + down.restoreRequests.length).toBe(restoresBefore);
  });

  test('fails when DR flags are given without --from-replicated-backups', async () => {
    const { code, io } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'x-restored', '--db-subnet-group', 'a', '--multi-az'], fakeIo(motoEnv(up.url)));
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(/--db-subnet-group, --multi-az are only used with --from-replicated-backups \(a restore in the DR region\): an in-region restore copies the source's settings/);
  });

  test('fails when run in the source\'s own region (the operator forgot --region)', async () => {
    const argv = drRestore('playbook-dr-own', '--latest').filter((w, i, a) => w !== '--region' && a[i - 1] !== '--region');
    const { code, io } = await run(argv, fakeIo(motoEnv(up.url)));
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(/'playbook-db' has its own automated backups in us-east-1: this is its own region\. --from-replicated-backups restores in the DR region, from the backups replicated there: pass --region <the DR region>/);
  });
});

test('restore --help documents the DR path: its flags, what it sets and an example', async () => {
  const io = fakeIo({});
  expect(await main(['restore', '--help'], io)).toBe(0);
  for (const flag of ['--from-replicated-backups', '--backups-arn <arn>', '--db-subnet-group <name>', '--vpc-security-group-ids <sg-1,sg-2>', '--db-parameter-group <name>', '--db-instance-class <class>', '--multi-az', '--kms-key <arn-or-alias>']) {
    expect(io.out()).toContain(flag);
  }
  expect(io.out()).toContain('SourceDBInstanceAutomatedBackupsArn; nothing is sent to the source\'s region.');
  expect(io.out()).toContain('Example (us-east-1 is down; the DR region is us-west-2):\n  db-playbook restore --region us-west-2 --from-replicated-backups --source prod-db --latest');
});
