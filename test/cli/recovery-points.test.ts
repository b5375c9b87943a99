/**
 * `db-playbook recovery-points` and `db-playbook copy` against moto's AWS server, seeded with a
 * realistic deployment (snapshots in us-east-1, a copy in us-west-2, KMS keys in both).
 *
 * moto 5.2 has no AWS Backup recovery points (ListRecoveryPointsByResource answers 404) and no
 * StartDBInstanceAutomatedBackupsReplication, so it can never list a replicated automated
 * backup. The tests check that recovery-points says so and goes on; one test mocks exactly those
 * two reads (ListRecoveryPointsByResource, and DescribeDBInstanceAutomatedBackups in us-west-2)
 * with what AWS returns, to check how they are listed. No moto API makes an AWS Backup snapshot
 * (SnapshotType awsbackup) either: the tests of those put test/support/aws-gaps-proxy.ts in front
 * of moto, which adds them to moto's answer to DescribeDBSnapshots SnapshotType=awsbackup, the
 * one call that lists them. Everything else goes to moto.
 */
import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CreateAliasCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyDBSnapshotCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { main } from '../../cli/program';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let moto: MotoServer;
let seeded: SeededDeployment;
/** A second deployment with no cross-region copy yet (the copy tests start from it). */
let fresh: SeededDeployment;
let rds: RDSClient;
let rdsDr: RDSClient;
/** The newest creation time of anything seeded: ages are measured from it. */
let seededAt: number;

beforeAll(async () => {
  moto = await startMoto();
  seeded = await seedDeployment(moto.endpoint);
  fresh = await seedDeployment(moto.endpoint, { prefix: 'fresh', replicas: 0, proxy: false, crossRegionSnapshotCopy: false });
  rds = new RDSClient(awsClientConfig(moto.endpoint, 'us-east-1'));
  rdsDr = new RDSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
  const times = [...await snapshots(rds), ...await snapshots(rdsDr)].map((s) => s.SnapshotCreateTime!.getTime());
  seededAt = Math.max(...times);
});

afterAll(async () => {
  rds?.destroy();
  rdsDr?.destroy();
  await moto?.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function snapshots(client: RDSClient) {
  return (await client.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
}

async function snapshotIds(client: RDSClient): Promise<string[]> {
  return (await snapshots(client)).map((s) => s.DBSnapshotIdentifier!).sort();
}

async function run(argv: string[], io: FakeIo = fakeIo(motoEnv(moto.endpoint))): Promise<{ code: number; io: FakeIo }> {
  return { code: await main(argv, io), io };
}

/** The table's rows as arrays of cells (split on runs of 2+ spaces). */
function rows(out: string): string[][] {
  return out.split('\n').filter((l) => /^(automated|replicated|manual|aws-backup|cross-region)/.test(l)).map((l) => l.split(/ {2,}/));
}

// --- recovery-points -----------------------------------------------------------------------------

describe('recovery-points', () => {
  test('lists the point-in-time window, automated and manual snapshots and cross-region copies, with regions and ages', async () => {
    const io = fakeIo(motoEnv(moto.endpoint), { now: seededAt + 3 * HOUR + 12 * MINUTE + 20_000 });
    const { code } = await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2'], io);

    expect(code).toBe(0);
    const table = rows(io.out());
    expect(table.map((r) => r.slice(0, 3))).toEqual([
      ['automated-backup', 'playbook-db', 'us-east-1'],
      ['automated-snapshot', expect.stringMatching(/^rds:playbook-db-\d{4}-\d\d-\d\d-\d\d-\d\d$/), 'us-east-1'],
      ['manual-snapshot', expect.stringMatching(/^playbook-db-manual-[12]$/), 'us-east-1'],
      ['manual-snapshot', expect.stringMatching(/^playbook-db-manual-[12]$/), 'us-east-1'],
      ['cross-region-copy', 'playbook-db-manual-2-us-west-2', 'us-west-2'],
    ]);
    const keyId = (arn: string) => `yes (key/${arn.split('/').pop()!.slice(0, 8)}…)`;
    for (const row of table) {
      expect(row[3]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(row[4]).toBe('3h 12m');
      expect(row[5]).toBe(keyId(row[2] === 'us-west-2' ? seeded.kms.dr.arn : seeded.kms.primary.arn));
    }
    expect(table[0][6]).toMatch(/^point in time \S+ to \S+ \(latest \d+h \d+m ago\)$/);
    expect(io.out()).toContain(`Recovery points of 'playbook-db' (us-east-1, us-west-2)`);
    // moto has no AWS Backup recovery points: said, not fatal.
    expect(io.out()).toContain('warning: AWS Backup recovery points in us-east-1 not listed: ListRecoveryPointsByResource failed (HTTP 404, and the answer is not the AWS API\'s: does this endpoint implement AWS Backup?)\n');
    expect(io.out()).toMatch(/warning: AWS Backup recovery points in us-west-2 not listed/);
  });

  test('prints ages in days and hours', async () => {
    const io = fakeIo(motoEnv(moto.endpoint), { now: seededAt + 2 * DAY + 4 * HOUR + 30_000 });
    expect((await run(['recovery-points', '--source', seeded.primary.id], io)).code).toBe(0);
    const table = rows(io.out());
    expect(table.length).toBeGreaterThan(0);
    for (const row of table) expect(row[4]).toBe('2d 4h');
    // Without --regions, no other region is read.
    expect(table.map((r) => r[2])).not.toContain('us-west-2');
  });

  test('--json lists every recovery point with type, id, region, creation time, age and key', async () => {
    const now = seededAt + 26 * HOUR + 30_000;
    const io = fakeIo(motoEnv(moto.endpoint), { now });
    expect((await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2', '--json'], io)).code).toBe(0);
    const result = JSON.parse(io.out());
    expect(result.source).toEqual({ id: 'playbook-db', arn: seeded.primary.arn, region: 'us-east-1' });
    expect(result.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(result.generatedAt).toBe(new Date(now).toISOString());
    const points = result.recoveryPoints as Record<string, unknown>[];
    expect(points.map((p) => p.type)).toEqual(['automated-backup', 'automated-snapshot', 'manual-snapshot', 'manual-snapshot', 'cross-region-copy']);
    expect(points.find((p) => p.type === 'cross-region-copy')).toEqual({
      type: 'cross-region-copy',
      id: seeded.crossRegionCopies[0].id,
      arn: seeded.crossRegionCopies[0].arn,
      region: 'us-west-2',
      created: expect.any(String),
      ageSeconds: expect.any(Number),
      age: '1d 2h',
      encrypted: true,
      kmsKeyId: seeded.kms.dr.arn,
      status: 'available',
      restoreWindow: null,
      vault: null,
    });
    for (const p of points) expect((now - Date.parse(p.created as string)) / 1000).toBeCloseTo(p.ageSeconds as number, -1);
    expect(points[0].restoreWindow).toEqual({ earliest: points[0].created, latest: expect.any(String), from: expect.stringContaining('LatestRestorableTime') });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^AWS Backup recovery points in us-east-1 not listed: ListRecoveryPointsByResource failed/),
      expect.stringMatching(/^AWS Backup recovery points in us-west-2 not listed/),
    ]);
  });

  test('lists AWS Backup recovery points and replicated automated backups (the two reads moto cannot answer, mocked)', async () => {
    const now = seededAt + 30 * HOUR;
    const daily = new Date(now - 20 * HOUR);
    const backupSend = BackupClient.prototype.send;
    // moto 5.2 implements no AWS Backup recovery points: answer ListRecoveryPointsByResource as AWS does.
    const listed: { region: string; resourceArn: unknown }[] = [];
    jest.spyOn(BackupClient.prototype, 'send').mockImplementation(async function (this: BackupClient, command: unknown, ...rest: unknown[]) {
      if (command instanceof ListRecoveryPointsByResourceCommand) {
        const region = await this.config.region();
        listed.push({ region, resourceArn: command.input.ResourceArn });
        const vault = region === 'us-east-1' ? seeded.backup.primaryVault : seeded.backup.drVault;
        const key = region === 'us-east-1' ? seeded.kms.primary.arn : seeded.kms.dr.arn;
        return { RecoveryPoints: [{
          RecoveryPointArn: `arn:aws:rds:${region}:123456789012:snapshot:awsbackup:job-${region}`,
          CreationDate: daily, Status: 'COMPLETED', EncryptionKeyArn: key, BackupVaultName: vault,
        }] };
      }
      return (backupSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as never);
    // moto has no StartDBInstanceAutomatedBackupsReplication, so no replicated backup to list: answer as AWS does in the DR region.
    const rdsSend = RDSClient.prototype.send;
    jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
      if (command instanceof DescribeDBInstanceAutomatedBackupsCommand && await this.config.region() === 'us-west-2') {
        return { DBInstanceAutomatedBackups: [
          { DBInstanceArn: seeded.primary.arn, DbiResourceId: 'db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U', DBInstanceIdentifier: 'playbook-db', Region: 'us-east-1',
            DBInstanceAutomatedBackupsArn: 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-playbook', Status: 'replicating', Encrypted: true, KmsKeyId: seeded.kms.dr.arn,
            RestoreWindow: { EarliestTime: new Date(now - 7 * DAY), LatestTime: new Date(now - 10 * MINUTE) } },
          // Another instance's replicated backup: not listed.
          { DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:other', DbiResourceId: 'db-OTHER', DBInstanceIdentifier: 'other', Status: 'replicating' },
        ] };
      }
      return (rdsSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as never);

    const io = fakeIo(motoEnv(moto.endpoint), { now });
    expect((await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2'], io)).code).toBe(0);

    expect(listed).toEqual([{ region: 'us-east-1', resourceArn: seeded.primary.arn }, { region: 'us-west-2', resourceArn: seeded.primary.arn }]);
    const table = rows(io.out());
    expect(table.filter((r) => r[0] === 'replicated-automated-backup')).toEqual([[
      'replicated-automated-backup', 'ab-playbook', 'us-west-2', new Date(now - 7 * DAY).toISOString(), '7d 0h', expect.stringMatching(/^yes/),
      `point in time ${new Date(now - 7 * DAY).toISOString()} to ${new Date(now - 10 * MINUTE).toISOString()} (latest 10m ago); replicating`,
    ]]);
    expect(table.filter((r) => r[0] === 'aws-backup')).toEqual([
      ['aws-backup', 'job-us-east-1', 'us-east-1', daily.toISOString(), '20h 0m', expect.stringMatching(/^yes/), `vault ${seeded.backup.primaryVault}`],
      ['aws-backup', 'job-us-west-2', 'us-west-2', daily.toISOString(), '20h 0m', expect.stringMatching(/^yes/), `vault ${seeded.backup.drVault}`],
    ]);
    expect(io.out()).not.toContain('warning:');
  });

  describe('AWS Backup\'s snapshots (SnapshotType awsbackup: DescribeDBSnapshots lists them only when asked for that type)', () => {
    const job = (region: string) => `awsbackup:job-${region === 'us-east-1' ? '1a2b3c4d' : '5e6f7a8b'}-0000-4000-8000-00000000000${region === 'us-east-1' ? 1 : 2}`;
    const snapshotsOf = (now: number) => [
      // The daily snapshot in the instance's region, and its copy in the DR vault (a copy keeps the source's identifier).
      { region: 'us-east-1', id: job('us-east-1'), instanceId: seeded.primary.id, created: new Date(now - 20 * HOUR), kmsKeyId: seeded.kms.primary.arn },
      { region: 'us-west-2', id: job('us-west-2'), instanceId: seeded.primary.id, created: new Date(now - 19 * HOUR), kmsKeyId: seeded.kms.dr.arn },
      // Another instance's: not listed.
      { region: 'us-east-1', id: 'awsbackup:job-other', instanceId: fresh.primary.id, created: new Date(now - HOUR), kmsKeyId: fresh.kms.primary.arn },
    ];

    test('lists them in the instance\'s region and in --regions (the DR copies) as aws-backup', async () => {
      const now = seededAt + 30 * HOUR;
      const gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(now - 7 * DAY), awsBackupSnapshots: snapshotsOf(now) });
      try {
        const io = fakeIo(motoEnv(gaps.url), { now });
        expect((await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2'], io)).code).toBe(0);
        expect(rows(io.out()).filter((r) => r[0] === 'aws-backup')).toEqual([
          ['aws-backup', job('us-west-2'), 'us-west-2', new Date(now - 19 * HOUR).toISOString(), '19h 0m', expect.stringMatching(/^yes \(key\//)],
          ['aws-backup', job('us-east-1'), 'us-east-1', new Date(now - 20 * HOUR).toISOString(), '20h 0m', expect.stringMatching(/^yes \(key\//)],
        ]);
        expect(gaps.answered).toEqual(expect.arrayContaining(['DescribeDBSnapshots awsbackup us-east-1', 'DescribeDBSnapshots awsbackup us-west-2']));

        const json = fakeIo(motoEnv(gaps.url), { now });
        expect((await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2', '--json'], json)).code).toBe(0);
        const points = (JSON.parse(json.out()).recoveryPoints as Record<string, unknown>[]).filter((p) => p.type === 'aws-backup');
        expect(points).toEqual([
          expect.objectContaining({ id: job('us-west-2'), arn: `arn:aws:rds:us-west-2:123456789012:snapshot:${job('us-west-2')}`, region: 'us-west-2', kmsKeyId: seeded.kms.dr.arn, status: 'available', vault: null }),
          expect.objectContaining({ id: job('us-east-1'), arn: `arn:aws:rds:us-east-1:123456789012:snapshot:${job('us-east-1')}`, region: 'us-east-1', kmsKeyId: seeded.kms.primary.arn, status: 'available', vault: null }),
        ]);
      } finally {
        await gaps.close();
      }
    });

    test('a snapshot AWS Backup also lists as a recovery point (the same ARN) is listed once, with its vault', async () => {
      const now = seededAt + 30 * HOUR;
      const gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(now - 7 * DAY), awsBackupSnapshots: snapshotsOf(now) });
      const backupSend = BackupClient.prototype.send;
      // moto 5.2 implements no AWS Backup recovery points: answer ListRecoveryPointsByResource as AWS does.
      jest.spyOn(BackupClient.prototype, 'send').mockImplementation(async function (this: BackupClient, command: unknown, ...rest: unknown[]) {
        if (command instanceof ListRecoveryPointsByResourceCommand) {
          const region = await this.config.region();
          return { RecoveryPoints: [{
            RecoveryPointArn: `arn:aws:rds:${region}:123456789012:snapshot:${job(region)}`, CreationDate: new Date(now - 20 * HOUR), Status: 'COMPLETED',
            EncryptionKeyArn: region === 'us-east-1' ? seeded.kms.primary.arn : seeded.kms.dr.arn, BackupVaultName: region === 'us-east-1' ? seeded.backup.primaryVault : seeded.backup.drVault,
          }] };
        }
        return (backupSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
      } as never);
      try {
        const io = fakeIo(motoEnv(gaps.url), { now });
        expect((await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2'], io)).code).toBe(0);
        expect(rows(io.out()).filter((r) => r[0] === 'aws-backup').map((r) => [r[1], r[2], r[6]])).toEqual([
          [job('us-west-2'), 'us-west-2', `vault ${seeded.backup.drVault}`],
          [job('us-east-1'), 'us-east-1', `vault ${seeded.backup.primaryVault}`],
        ]);
      } finally {
        await gaps.close();
      }
    });
  });

  test.each([
    ['fails when the source does not exist', ['--source', 'no-such-db'], /db-playbook: no DB instance 'no-such-db' in us-east-1/],
    ['fails when a region is not a region name', ['--source', 'playbook-db', '--regions', 'us-west-2,mars'], /--regions must be an AWS region name: .*such as us-west-2.* \(got "mars"\)/],
    ['fails without --source', [], /required option '--source <id>' not specified/],
  ])('%s', async (_name, args, message) => {
    const { code, io } = await run(['recovery-points', ...args]);
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(message);
  });
});

// --- copy ----------------------------------------------------------------------------------------

describe('copy', () => {
  test('fails when the snapshot is encrypted and no key is given or found in the destination, copying nothing', async () => {
    const before = await snapshotIds(rdsDr);
    const { code, io } = await run(['copy', '--snapshot', fresh.manualSnapshots[0].id, '--to-region', 'us-west-2']);
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toBe(`db-playbook: snapshot 'fresh-db-manual-1' is encrypted (KMS key ${fresh.kms.primary.arn}, us-east-1); a copy in us-west-2 needs a KMS key of us-west-2: `
      + `pass --kms-key <key ARN, id or alias/name in us-west-2> (none found: no replicated automated backups or earlier encrypted copies of 'fresh-db' in us-west-2)\n`);
    expect(await snapshotIds(rdsDr)).toEqual(before);
  });

  test('copies a snapshot (by ARN) to us-west-2, encrypted with a key of that region given by alias, and prints the ARN', async () => {
    // The destination key must exist in moto's us-west-2: RDS there validates it.
    const kms = new KMSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/fresh-dr', TargetKeyId: fresh.kms.dr.keyId }));
    kms.destroy();
    const source = fresh.manualSnapshots[1];
    const sourceBefore = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: source.id }))).DBSnapshots;
    const sent: unknown[] = [];
    const rdsSend = RDSClient.prototype.send;
    jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
      if (command instanceof CopyDBSnapshotCommand) sent.push({ region: await this.config.region(), input: command.input });
      return (rdsSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as never);

    const io = fakeIo({ ...motoEnv(moto.endpoint), AWS_REGION: 'eu-west-1' });
    const { code } = await run(['copy', '--snapshot', source.arn, '--to-region', 'us-west-2', '--kms-key', 'alias/fresh-dr'], io);

    expect(code).toBe(0);
    const arn = 'arn:aws:rds:us-west-2:123456789012:snapshot:fresh-db-manual-2-us-west-2';
    expect(io.out()).toBe(`${arn}\n`);
    expect(io.err()).toBe(`Copying ${source.arn} to us-west-2 as 'fresh-db-manual-2-us-west-2', encrypted with ${fresh.kms.dr.arn} (--kms-key).\n`);
    expect(sent).toEqual([{ region: 'us-west-2', input: {
      SourceDBSnapshotIdentifier: source.arn, TargetDBSnapshotIdentifier: 'fresh-db-manual-2-us-west-2', KmsKeyId: fresh.kms.dr.arn, CopyTags: true,
    } }]);
    const { DBSnapshots: [copy] = [] } = await rdsDr.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'fresh-db-manual-2-us-west-2' }));
    expect(copy).toMatchObject({ DBSnapshotArn: arn, DBInstanceIdentifier: 'fresh-db', Encrypted: true, KmsKeyId: fresh.kms.dr.arn, Status: 'available' });
    expect((await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: source.id }))).DBSnapshots).toEqual(sourceBefore);
  });

  test('without --kms-key, uses the key of an earlier copy in the destination; --wait --json', async () => {
    const io = fakeIo(motoEnv(moto.endpoint));
    const { code } = await run(['copy', '--snapshot', fresh.manualSnapshots[0].id, '--to-region', 'us-west-2', '--target-id', 'fresh-adhoc', '--wait', '--json'], io);
    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toEqual({
      schemaVersion: 1,
      command: 'copy',
      generatedAt: new Date(io.now()).toISOString(),
      source: { arn: fresh.manualSnapshots[0].arn, region: 'us-east-1', encrypted: true, kmsKeyId: fresh.kms.primary.arn },
      copy: { id: 'fresh-adhoc', arn: 'arn:aws:rds:us-west-2:123456789012:snapshot:fresh-adhoc', region: 'us-west-2', status: 'available', encrypted: true, kmsKeyId: fresh.kms.dr.arn },
      kmsKeyFrom: `the newest earlier copy of 'fresh-db' in us-west-2 (fresh-db-manual-2-us-west-2)`,
    });
    expect(io.err()).toContain('fresh-adhoc: available (elapsed 0s)\n');
  });

  test.each([
    ['fails when the snapshot does not exist', ['--snapshot', 'no-such-snapshot', '--to-region', 'us-west-2'], /no DB snapshot 'no-such-snapshot' in us-east-1/],
    ['fails when the destination is the snapshot\'s region', ['--snapshot', 'playbook-db-manual-1', '--to-region', 'us-east-1'], /--to-region us-east-1 is the snapshot's own region/],
    ['fails when the copy name is taken in the destination', ['--snapshot', 'playbook-db-manual-2', '--to-region', 'us-west-2'], /a snapshot 'playbook-db-manual-2-us-west-2' already exists in us-west-2: pass another --target-id/],
    ['fails when the key is in another region', ['--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', 'KEY_US_EAST_1'], /--kms-key arn:aws:kms:us-east-1:\S+ is in us-east-1: a copy in us-west-2 must be encrypted with a key of us-west-2/],
    ['fails when the key does not exist in the destination', ['--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', 'alias/nope'], /--kms-key alias\/nope: no such KMS key in us-west-2/],
    ['fails when the target id is invalid', ['--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--target-id', 'copy_1'], /--target-id 'copy_1' is not a valid DB snapshot identifier: it may contain only letters, digits and hyphens/],
    ['fails when the ARN is not a snapshot\'s', ['--snapshot', 'arn:aws:rds:us-east-1:123456789012:db:playbook-db', '--to-region', 'us-west-2'], /is not a DB snapshot ARN/],
    ['fails without --to-region', ['--snapshot', 'playbook-db-manual-1'], /required option '--to-region <region>' not specified/],
  ])('%s, copying nothing', async (_name, args, message) => {
    const before = await snapshotIds(rdsDr);
    const { code, io } = await run(['copy', ...args.map((a) => (a === 'KEY_US_EAST_1' ? seeded.kms.primary.arn : a))]);
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(message);
    expect(await snapshotIds(rdsDr)).toEqual(before);
  });
});
