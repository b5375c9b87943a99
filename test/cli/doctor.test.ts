/**
 * `db-playbook doctor` end to end against moto's AWS server (started and stopped here): the
 * command runs in-process through main() with real SDK clients over HTTP, on deployments seeded
 * by test/support/seed-deployment.ts. One deployment as the playbook deploys it passes; then each
 * test seeds exactly one misconfiguration and expects exactly that finding.
 *
 * What moto 5.2 cannot represent is mocked, one SDK call each (a jest spy on the client's `send`
 * that answers that command and passes every other one to moto):
 * - DescribeDBInstanceAutomatedBackups in the DR region: moto has no
 *   StartDBInstanceAutomatedBackupsReplication and lists only an instance's own-region automated
 *   backups. The spy adds the replicated backups a test declares to moto's own answer (so "not
 *   replicated" is moto's real, empty answer).
 * - ListRecoveryPointsByBackupVault: moto does not implement it (HTTP 404). The spy answers with
 *   the recovery points a test declares for the DR vault (none by default); the DR snapshot copy
 *   itself is real (CopyDBSnapshot into moto's DR region).
 * - DescribeDBProxyTargets, in the unhealthy-target test only: moto reports every registered
 *   target AVAILABLE (REGISTERING only on the first read, which RegisterDBProxyTargets consumes).
 * - DescribeDBInstances, in the one test that leaves out --dr-region: moto does not return
 *   DBInstanceAutomatedBackupsReplications, which is where doctor finds the DR region then.
 * - DescribeDBParameters, in the AWS-error test: moto does not enforce IAM, so AccessDenied is simulated.
 * Not mocked but moved: moto reports LatestRestorableTime as "now", so the stale-restore-time test
 * moves doctor's clock (Io.now) 11 minutes ahead instead.
 *
 * Answered at the HTTP layer (test/support/aws-gaps-proxy.ts, between doctor and moto, which says
 * why): DescribeDBMajorEngineVersions, DescribePendingMaintenanceActions and DescribeCertificates
 * (moto answers each with HTTP 500), and the CA name and CertificateDetails of DescribeDBInstances
 * (moto's `rds-ca-default` is no RDS CA). The proxy lists no replicated backups of its own here
 * (the spy above declares them per test).
 */
import {
  BackupClient,
  ListRecoveryPointsByBackupVaultCommand,
  ListRecoveryPointsByBackupVaultCommandInput,
  RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import {
  DBInstanceAutomatedBackup,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBProxyTargetsCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { EXIT } from '../../cli/errors';
import type { JsonFinding } from '../../cli/json-output';
import { PARAMETER_RULES, REPLICA_PARAMETER_RULES } from '../../cli/playbook-rules';
import { main } from '../../cli/program';
import { fakeIo, FakeIoOptions, motoEnv } from '../support/fake-io';
import { AwsGapsProxy, MAJOR_ENGINE_VERSIONS, RDS_CERTIFICATES, startAwsGapsProxy, StubMaintenanceAction } from '../support/aws-gaps-proxy';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { SeededDeployment, seedDeployment, SeedOptions } from '../support/seed-deployment';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DR_REGION = 'us-west-2';

let moto: MotoServer;
let gaps: AwsGapsProxy;
let good: SeededDeployment;

/** What the gaps proxy answers for the calls moto lacks; a test changes it and afterEach puts it back. */
const catalogue = {
  earliestRestorableTime: new Date(Date.now() - 86_400_000),
  replicatedBackups: [],
  majorEngineVersions: [...MAJOR_ENGINE_VERSIONS],
  certificates: [...RDS_CERTIFICATES],
  pendingMaintenance: {} as Record<string, StubMaintenanceAction[]>,
  serverCertificateValidTill: undefined as Date | undefined,
};

// --- what moto cannot hold: declared by the tests, answered by the spies ---------------------
/** Replicated automated backups in the DR region, by source instance ARN. */
const replicatedBackups = new Map<string, DBInstanceAutomatedBackup>();
/** Recovery points in the DR region's backup vaults. */
const vaultRecoveryPoints: RecoveryPointByBackupVault[] = [];
/** Extra answers for one test: return a promise to answer the command, undefined to let moto answer. */
type Answer = (command: object, region: string, moto: () => Promise<unknown>) => Promise<unknown> | undefined;
let extraRdsAnswers: Answer[] = [];
/** The calls the spies answered (or amended), as `Command region`. */
let mockedCalls: string[] = [];

const realRdsSend = RDSClient.prototype.send;
const realBackupSend = BackupClient.prototype.send;

function installMocks(): void {
  jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: object, ...rest: unknown[]) {
    const region = await this.config.region();
    const fromMoto = () => (realRdsSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    for (const answer of extraRdsAnswers) {
      const answered = answer(command, region, fromMoto);
      if (answered) {
        mockedCalls.push(`${command.constructor.name} ${region}`);
        return answered;
      }
    }
    if (command instanceof DescribeDBInstanceAutomatedBackupsCommand && region === DR_REGION) {
      mockedCalls.push(`DescribeDBInstanceAutomatedBackups ${region}`);
      const answer = await fromMoto() as { DBInstanceAutomatedBackups?: DBInstanceAutomatedBackup[] };
      return { ...answer, DBInstanceAutomatedBackups: [...answer.DBInstanceAutomatedBackups ?? [], ...replicatedBackups.values()] };
    }
    return fromMoto();
  } as never);
  jest.spyOn(BackupClient.prototype, 'send').mockImplementation(async function (this: BackupClient, command: object, ...rest: unknown[]) {
    if (command instanceof ListRecoveryPointsByBackupVaultCommand) {
      const region = await this.config.region();
      const input: ListRecoveryPointsByBackupVaultCommandInput = command.input;
      mockedCalls.push(`ListRecoveryPointsByBackupVault ${region} ${input.BackupVaultName}`);
      return {
        RecoveryPoints: vaultRecoveryPoints.filter((p) => p.BackupVaultName === input.BackupVaultName
          && p.BackupVaultArn?.split(':')[3] === region && (!input.ByResourceArn || p.ResourceArn === input.ByResourceArn)),
      };
    }
    return (realBackupSend as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } as never);
}

/** What a DR region holds after StartDBInstanceAutomatedBackupsReplication (shape of the RDS API). */
function replicatedBackupOf(d: SeededDeployment): DBInstanceAutomatedBackup {
  const now = Date.now();
  return {
    DBInstanceArn: d.primary.arn,
    DbiResourceId: 'db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U',
    DBInstanceIdentifier: d.primary.id,
    DBInstanceAutomatedBackupsArn: `arn:aws:rds:${DR_REGION}:${d.accountId}:auto-backup:ab-${d.primary.id}`,
    Region: d.primaryRegion,
    RestoreWindow: { EarliestTime: new Date(now - 3 * 24 * HOUR), LatestTime: new Date(now - 4 * MIN) },
    Status: 'replicating',
    Engine: 'postgres',
    EngineVersion: '17.9',
    BackupRetentionPeriod: 7,
    Encrypted: true,
    KmsKeyId: d.kms.dr.arn,
  };
}

/** Options of seed() for what lives in the DR region beyond moto. */
interface DrOptions {
  /** Declare the automated backups replicated to the DR region. @default true */
  readonly replicateBackups?: boolean;
  /** Recovery points of the primary in the DR vault, by age. @default none */
  readonly vaultRecoveryPointAges?: number[];
}

/** Seeds a deployment named `prefix` (each test its own: no reset needed) with one misconfiguration. */
async function seed(prefix: string, options: SeedOptions = {}, dr: DrOptions = {}): Promise<SeededDeployment> {
  const d = await seedDeployment(moto.endpoint, { prefix, manualSnapshots: 1, drRegion: DR_REGION, ...options });
  if (dr.replicateBackups ?? true) replicatedBackups.set(d.primary.arn, replicatedBackupOf(d));
  for (const [i, age] of (dr.vaultRecoveryPointAges ?? []).entries()) {
    const created = new Date(Date.now() - age);
    vaultRecoveryPoints.push({
      RecoveryPointArn: `arn:aws:rds:${DR_REGION}:${d.accountId}:snapshot:awsbackup:copyjob-${prefix}-${i}`,
      BackupVaultName: d.backup.drVault,
      BackupVaultArn: d.backup.drVaultArn,
      SourceBackupVaultArn: `arn:aws:backup:${d.primaryRegion}:${d.accountId}:backup-vault:${d.backup.primaryVault}`,
      ResourceArn: d.primary.arn,
      ResourceType: 'RDS',
      CreationDate: created,
      CompletionDate: new Date(created.getTime() + 20 * MIN),
      Status: 'COMPLETED',
      EncryptionKeyArn: d.kms.dr.arn,
    });
  }
  return d;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `db-playbook <args>` in-process against moto, with the clock `clockAheadMs` ahead; by
 * default 1000 columns wide, so that the tests of what a row says see it on one line (wrapping
 * has tests of its own, at the CLI's real widths).
 */
async function cli(args: string[], clockAheadMs = 0, ioOptions: FakeIoOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const io = fakeIo({ ...motoEnv(gaps.url), ...env }, { now: Date.now() + clockAheadMs, columns: 1000, ...ioOptions });
  const code = await main(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

function doctorArgs(d: SeededDeployment, extra: string[] = []): string[] {
  return ['doctor', '--instance', d.primary.id, '--buckets', d.buckets.primary.name, '--dr-region', DR_REGION, ...extra];
}

interface JsonReport {
  instance: string;
  region: string;
  drRegion: string | null;
  schemaVersion: number;
  command: string;
  generatedAt: string;
  summary: { FAIL: number; WARN: number; INFO: number; PASS: number };
  findings: JsonFinding[];
}

/** Runs doctor --json on `d`; resolves to the exit code and the report. */
async function audit(d: SeededDeployment, extra: string[] = [], clockAheadMs = 0): Promise<Run & { report: JsonReport }> {
  const run = await cli(doctorArgs(d, ['--json', ...extra]), clockAheadMs);
  if (run.stdout === '') throw new Error(`doctor printed nothing (exit ${run.code}): ${run.stderr}`);
  return { ...run, report: JSON.parse(run.stdout) as JsonReport };
}

/** `STATUS id` of every finding that is not PASS. */
const notPassing = (report: JsonReport) => report.findings.filter((f) => f.severity !== 'PASS').map((f) => `${f.severity} ${f.rule}`);
const finding = (report: JsonReport, rule: string) => report.findings.find((f) => f.rule === rule)!;

beforeAll(async () => {
  moto = await startMoto();
  gaps = await startAwsGapsProxy(moto.endpoint, catalogue);
  good = await seed('good');
}, 90_000);

afterAll(async () => {
  await gaps?.close();
  await moto?.stop();
});

beforeEach(() => {
  extraRdsAnswers = [];
  mockedCalls = [];
  installMocks();
});

afterEach(() => {
  jest.restoreAllMocks();
  catalogue.majorEngineVersions = [...MAJOR_ENGINE_VERSIONS];
  catalogue.certificates = [...RDS_CERTIFICATES];
  catalogue.pendingMaintenance = {};
  catalogue.serverCertificateValidTill = undefined;
});

describe('a deployment as the playbook deploys it', () => {
  test('passes every check and exits 0', async () => {
    const run = await cli(doctorArgs(good));

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`db-playbook doctor: ${good.primary.id} in us-east-1, DR region ${DR_REGION}`);
    expect(lines[2]).toMatch(/^STATUS {2}CHECK +DETAIL$/);
    expect(lines.filter((l) => /^(WARN|FAIL) /.test(l) || l.includes('fix:'))).toEqual([]);
    expect(run.stdout).toMatch(/^PASS {4}Multi-AZ +a standby in a second AZ takes over on failure$/m);
    expect(run.stdout).toMatch(new RegExp(`^PASS {4}Versioning \\(${good.buckets.primary.name}\\) +Enabled$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^PASS {4}DR recovery point < 26 h old +${good.primary.id}-manual-1-${DR_REGION} \\(rds-snapshot\\) in ${DR_REGION}, `, 'm'));
    expect(lines.at(-2)).toBe('40 checks: 40 PASS, 0 WARN, 0 FAIL');
    // The spies answered exactly what moto lacks.
    expect([...new Set(mockedCalls)].sort()).toEqual([
      `DescribeDBInstanceAutomatedBackups ${DR_REGION}`,
      `ListRecoveryPointsByBackupVault ${DR_REGION} ${good.backup.drVault}`,
    ]);
  });

  test('--json lists every check and parses', async () => {
    const { code, report } = await audit(good, ['--proxy', good.proxy!.name]);

    expect(code).toBe(EXIT.OK);
    expect(report).toMatchObject({ instance: good.primary.id, region: 'us-east-1', drRegion: DR_REGION, summary: { FAIL: 0, WARN: 0, INFO: 0, PASS: 40 } });
    expect(new Date(report.generatedAt).getTime()).toBeGreaterThan(Date.now() - MIN);
    const bucket = good.buckets.primary.name;
    const replica = good.replicas[0].id;
    expect(report.findings.map((f) => `${f.rule} ${f.resource}`)).toEqual([
      ...['backup.retention', 'backup.latest-restorable-time', 'engine.standard-support', 'maintenance.pending', 'instance.ca-certificate', 'instance.multi-az', 'instance.deletion-protection',
        'instance.storage-encrypted', 'instance.iam-auth', 'dr.backup-replication', 'dr.recovery-point-age', 'replicas.present']
        .map((id) => `${id} ${good.primary.id}`),
      `parameter-group.in-sync ${good.parameterGroupName}`,
      ...PARAMETER_RULES.map((r) => `parameter.${r.name} ${good.parameterGroupName}`),
      ...REPLICA_PARAMETER_RULES.map((r) => `replica-parameter.${r.name} ${replica}`),
      `proxy.targets ${good.proxy!.name}`,
      ...['versioning', 'public-access-block', 'encryption', 'tls-only', 'replication'].map((id) => `bucket.${id} ${bucket}`),
    ]);
    for (const f of report.findings) expect(Object.keys(f)).toEqual(['rule', 'severity', 'resource', 'title', 'message', 'fix']);
  });

  test('without --dr-region, doctor looks where the instance replicates its backups', async () => {
    // moto leaves DBInstanceAutomatedBackupsReplications out of DescribeDBInstances: add it to moto's answer.
    extraRdsAnswers.push((command, _region, fromMoto) => command instanceof DescribeDBInstancesCommand
      && command.input.DBInstanceIdentifier === good.primary.id
      ? fromMoto().then((a) => {
        const answer = a as { DBInstances: object[] };
        return { ...answer, DBInstances: [{ ...answer.DBInstances[0], DBInstanceAutomatedBackupsReplications: [
          { DBInstanceAutomatedBackupsArn: replicatedBackups.get(good.primary.arn)!.DBInstanceAutomatedBackupsArn },
        ] }] };
      })
      : undefined);

    const run = await cli(['doctor', '--instance', good.primary.id, '--json']);

    expect(run.code).toBe(EXIT.OK);
    expect(JSON.parse(run.stdout)).toMatchObject({ drRegion: DR_REGION, summary: { WARN: 0, FAIL: 0 } });
  });

  test('without --dr-region and without replication, both DR checks fail and ask for --dr-region', async () => {
    const run = await cli(['doctor', '--instance', good.primary.id, '--json']);

    expect(run.code).toBe(EXIT.CHECK_FAILED);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(notPassing(report)).toEqual(['FAIL dr.backup-replication', 'FAIL dr.recovery-point-age']);
    expect(finding(report, 'dr.recovery-point-age').message).toMatch(/pass --dr-region/);
  });
});

describe('the database instance', () => {
  test('fails when automated backups are off (retention 0)', async () => {
    const d = await seed('retention-0', { database: { backupRetentionDays: 0 }, replicas: 0 });
    const { code, report } = await audit(d);
    // No replica: RDS refuses replicas of an instance without backups.
    expect(notPassing(report)).toEqual(['FAIL backup.retention', 'WARN replicas.present']);
    expect(finding(report, 'backup.retention').message).toMatch(/automated backups are off/);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns when retention is 3 days, and exits 0', async () => {
    const d = await seed('retention-3', { database: { backupRetentionDays: 3 } });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['WARN backup.retention']);
    expect(finding(report, 'backup.retention').message).toBe('retention 3 days: less than the 7 days the playbook asks for');
    expect(code).toBe(EXIT.OK);
  });

  test('fails when LatestRestorableTime is more than 10 minutes old', async () => {
    const { code, report } = await audit(good, [], 11 * MIN);
    expect(notPassing(report)).toEqual(['FAIL backup.latest-restorable-time']);
    expect(finding(report, 'backup.latest-restorable-time').message).toMatch(/11 min ago: a restore now would lose more than 10 minutes of writes$/);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('fails when the instance is single-AZ, printing the fix under the finding', async () => {
    const d = await seed('single-az', { database: { multiAz: false } });
    const run = await cli(doctorArgs(d));
    expect(run.code).toBe(EXIT.CHECK_FAILED);
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('FAIL'));
    expect(lines[at]).toMatch(/^FAIL {4}Multi-AZ +single-AZ: /);
    expect(lines[at + 1]).toBe(`        fix: aws rds modify-db-instance --region us-east-1 --db-instance-identifier ${d.primary.id} --multi-az --apply-immediately `
      + '(library: PostgresDatabase multiAz, on in production)');
    expect(lines.at(-2)).toBe('40 checks: 39 PASS, 0 WARN, 1 FAIL (exit code 3)');
  });

  test.each([
    ['no-deletion-protection', { deletionProtection: false }, 'instance.deletion-protection'],
    ['unencrypted', { storageEncrypted: false }, 'instance.storage-encrypted'],
    ['no-iam-auth', { iamAuth: false }, 'instance.iam-auth'],
  ])('fails when %s', async (prefix, database, id) => {
    const d = await seed(prefix, { database });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual([`FAIL ${id}`]);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns without read replicas, and exits 0', async () => {
    const d = await seed('no-replica', { replicas: 0 });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['WARN replicas.present']);
    expect(code).toBe(EXIT.OK);
  });
});

describe('support dates, maintenance and certificates (issue 18)', () => {
  const DAY = 24 * HOUR;
  const major17 = (standardEnd: Date) => [{ ...MAJOR_ENGINE_VERSIONS.find((v) => v.major === '17')!, standardEnd }];

  test('PASS names the end of standard support that RDS publishes', async () => {
    const { report } = await audit(good);
    expect(finding(report, 'engine.standard-support')).toMatchObject({ severity: 'PASS', message: expect.stringMatching(/^postgres 17\.9: standard support until 2030-02-28 \(\d+ days\)$/) });
    expect(finding(report, 'instance.ca-certificate')).toMatchObject({ severity: 'PASS', message: expect.stringMatching(/^CA rds-ca-rsa2048-g1 valid until 2061-05-26, server certificate valid until /) });
    expect(finding(report, 'maintenance.pending')).toMatchObject({ severity: 'PASS', message: 'none' });
  });

  test('warns, and exits 0, when standard support ends within 180 days', async () => {
    catalogue.majorEngineVersions = major17(new Date(Date.now() + 100 * DAY + HOUR));
    const { code, report } = await audit(good);
    expect(notPassing(report)).toEqual(['WARN engine.standard-support']);
    expect(finding(report, 'engine.standard-support').message).toMatch(/^postgres 17\.9: standard support ends \d{4}-\d\d-\d\d, in 100 days: RDS bills Extended Support after it \(until 2033-02-28\)$/);
    expect(finding(report, 'engine.standard-support').fix).toContain(`db-playbook upgrade --region us-east-1 --instance ${good.primary.id} --target-version <version> --dry-run`);
    expect(code).toBe(EXIT.OK);
  });

  test('fails when standard support has ended', async () => {
    catalogue.majorEngineVersions = major17(new Date(Date.now() - 10 * DAY - HOUR));
    const { code, report } = await audit(good);
    expect(notPassing(report)).toEqual(['FAIL engine.standard-support']);
    expect(finding(report, 'engine.standard-support').message).toMatch(/standard support ended \d{4}-\d\d-\d\d, 11 days ago: RDS bills Extended Support/);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns when RDS lists no support dates for the major version', async () => {
    catalogue.majorEngineVersions = [];
    const { report } = await audit(good);
    expect(notPassing(report)).toEqual(['WARN engine.standard-support']);
  });

  test('lists the pending maintenance actions, and warns when one is applied within 30 days', async () => {
    catalogue.pendingMaintenance = { [good.primary.arn]: [
      { action: 'system-update', description: 'New Operating System update is available', autoAppliedAfter: new Date(Date.now() + 12 * DAY + HOUR) },
      { action: 'db-upgrade', description: 'Upgrade to 17.10' },
    ] };
    const { code, report } = await audit(good);
    expect(notPassing(report)).toEqual(['WARN maintenance.pending']);
    expect(finding(report, 'maintenance.pending').message).toMatch(
      /^2 pending, 1 applied within 30 days: system-update on \d{4}-\d\d-\d\d: New Operating System update is available; db-upgrade \(not scheduled\): Upgrade to 17\.10$/);
    expect(code).toBe(EXIT.OK);

    catalogue.pendingMaintenance = { [good.primary.arn]: [{ action: 'system-update', forcedApply: new Date(Date.now() + 60 * DAY) }] };
    expect(finding((await audit(good)).report, 'maintenance.pending').severity).toBe('PASS');
  });

  test('warns within 90 days of the CA\'s expiry, fails once it (or the server certificate) expired', async () => {
    catalogue.certificates = RDS_CERTIFICATES.map((c) => c.id === 'rds-ca-rsa2048-g1' ? { ...c, validTill: new Date(Date.now() + 45 * DAY + HOUR) } : c);
    let { code, report } = await audit(good);
    expect(notPassing(report)).toEqual(['WARN instance.ca-certificate']);
    expect(finding(report, 'instance.ca-certificate').message).toMatch(/^CA rds-ca-rsa2048-g1 expires \d{4}-\d\d-\d\d, in 45 days/);
    expect(finding(report, 'instance.ca-certificate').fix).toContain(`--db-instance-identifier ${good.primary.id} --ca-certificate-identifier rds-ca-rsa2048-g1`);
    expect(code).toBe(EXIT.OK);

    catalogue.certificates = [...RDS_CERTIFICATES];
    catalogue.serverCertificateValidTill = new Date(Date.now() - DAY);
    ({ code, report } = await audit(good));
    expect(notPassing(report)).toEqual(['FAIL instance.ca-certificate']);
    expect(finding(report, 'instance.ca-certificate').message).toMatch(/^server certificate expired /);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns when RDS does not know the instance\'s CA', async () => {
    catalogue.certificates = [];
    const { report } = await audit(good);
    expect(notPassing(report)).toEqual(['WARN instance.ca-certificate']);
    expect(gaps.answered).toContain('DescribeCertificates us-east-1 not found');
  });
});

describe('disaster recovery', () => {
  test('fails when the automated backups are not replicated to the DR region', async () => {
    const d = await seed('no-backup-replication', {}, { replicateBackups: false });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['FAIL dr.backup-replication']);
    expect(finding(report, 'dr.backup-replication').message).toBe(`no replicated automated backups of ${d.primary.id} in ${DR_REGION}: PITR exists only in us-east-1`);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('fails when the newest DR copy is 30 h old', async () => {
    const d = await seed('stale-dr-copy', { crossRegionSnapshotCopy: false }, { vaultRecoveryPointAges: [30 * HOUR, 54 * HOUR] });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['FAIL dr.recovery-point-age']);
    expect(finding(report, 'dr.recovery-point-age').message).toMatch(/^arn:aws:rds:us-west-2:.*:snapshot:awsbackup:copyjob-stale-dr-copy-0 \(aws-backup\) in us-west-2, .*, 30\.0 h old: the daily copy is missing$/);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('passes with a fresh AWS Backup copy in the DR vault and no snapshot copy', async () => {
    const d = await seed('fresh-vault-copy', { crossRegionSnapshotCopy: false }, { vaultRecoveryPointAges: [25 * HOUR] });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual([]);
    expect(code).toBe(EXIT.OK);
  });

  test('fails when the DR region holds no copy at all', async () => {
    const d = await seed('no-dr-copy', { crossRegionSnapshotCopy: false });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['FAIL dr.recovery-point-age']);
    expect(finding(report, 'dr.recovery-point-age').message).toBe(`no snapshot or recovery point of ${d.primary.id} in ${DR_REGION}: no offsite copy (3-2-1)`);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });
});

describe('parameter groups', () => {
  test.each([
    ['autovacuum_vacuum_scale_factor', '0.2'],
    ['autovacuum_analyze_scale_factor', '0.1'],
    ['log_min_duration_statement', '-1'],
    ['shared_preload_libraries', 'auto_explain'],
    ['rds.force_ssl', '0'],
    ['autovacuum', '0'],
  ])('fails when %s is %s', async (name, value) => {
    const d = await seed(`param-${name.replace(/[._]/g, '-')}`, { parameters: { [name]: value } });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual([`FAIL parameter.${name}`]);
    expect(finding(report, `parameter.${name}`).fix).toContain(`--db-parameter-group-name ${d.parameterGroupName} --parameters "ParameterName=${name},`);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns, and exits 0, when the WARN-level parameters are looser than the playbook', async () => {
    const looser = {
      autovacuum_vacuum_insert_scale_factor: '0.2',
      autovacuum_vacuum_cost_limit: '200',
      autovacuum_naptime: '60',
      log_autovacuum_min_duration: '-1',
      'auto_explain.log_min_duration': '-1',
      track_io_timing: '0',
      random_page_cost: '4',
      log_lock_waits: '0',
      idle_in_transaction_session_timeout: '0',
      max_slot_wal_keep_size: '-1',
    };
    const d = await seed('loose-parameters', { parameters: looser });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(Object.keys(looser).map((name) => `WARN parameter.${name}`));
    expect(code).toBe(EXIT.OK);
  });

  test('warns when a replica sends hot_standby_feedback', async () => {
    const d = await seed('replica-feedback');
    const rds = new RDSClient(awsClientConfig(moto.endpoint));
    await rds.send(new ModifyDBParameterGroupCommand({
      DBParameterGroupName: d.replicaParameterGroupName,
      Parameters: [{ ParameterName: 'hot_standby_feedback', ParameterValue: '1', ApplyMethod: 'immediate' }],
    }));
    rds.destroy();
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['WARN replica-parameter.hot_standby_feedback']);
    expect(finding(report, 'replica-parameter.hot_standby_feedback').resource).toBe(d.replicas[0].id);
    expect(code).toBe(EXIT.OK);
  });
});

describe('the text report', () => {
  /** The report's lines with each wrapped line joined to the one it continues (a `\\` line end, or a deeper indent). */
  function unwrapped(text: string): string[] {
    const out: string[] = [];
    for (const line of text.split('\n')) {
      const continued = out.length > 0 && (out[out.length - 1].endsWith(' \\') || /^ {9,}\S/.test(line));
      if (continued) out[out.length - 1] = `${out[out.length - 1].replace(/ \\$/, '')} ${line.trim()}`;
      else out.push(line);
    }
    return out;
  }

  test('folds the fix that loose parameters share into one command that sets them all, naming them', async () => {
    const d = await seed('fold-parameters', { parameters: { autovacuum_naptime: '60', track_io_timing: '0', random_page_cost: '4' } });
    const run = await cli(doctorArgs(d));
    const fixes = run.stdout.split('\n').filter((l) => l.trimStart().startsWith('fix'));
    expect(fixes).toEqual([
      `        fix for autovacuum_naptime, track_io_timing, random_page_cost (${d.parameterGroupName}): aws rds modify-db-parameter-group --region us-east-1 `
        + `--db-parameter-group-name ${d.parameterGroupName} --parameters "ParameterName=autovacuum_naptime,ParameterValue=15,ApplyMethod=immediate" `
        + '"ParameterName=track_io_timing,ParameterValue=1,ApplyMethod=immediate" "ParameterName=random_page_cost,ParameterValue=1.1,ApplyMethod=immediate" '
        + '(library: TunedParameterGroup sets it; drop the override from PostgresDatabase parameters)',
    ]);
    // The line follows the last of the three findings.
    const lines = run.stdout.split('\n');
    expect(lines[lines.indexOf(fixes[0]) - 1]).toMatch(/^WARN {4}random_page_cost /);
    // --json keeps each finding's own fix.
    const { report } = await audit(d);
    expect(finding(report, 'parameter.track_io_timing').fix).toContain('--parameters "ParameterName=track_io_timing,ParameterValue=1,ApplyMethod=immediate" (library');
  });

  test('wraps to the width it is given, and a wrapped fix still pastes as one command', async () => {
    const d = await seed('wrap', { database: { multiAz: false, deletionProtection: false, iamAuth: false }, replicas: 0, bucket: { versioning: false, replication: false } });
    const run = await cli(doctorArgs(d), 0, { columns: 100 });
    const lines = run.stdout.trimEnd().split('\n');
    // Only a word longer than the line (an ARN) may overflow it.
    expect(lines.filter((l) => l.length > 100 && /\S \S/.test(l.trim()))).toEqual([]);
    // Joined again, the rows and fixes are what --json says, word for word.
    const { report } = await audit(d);
    const text = unwrapped(run.stdout);
    for (const f of report.findings.filter((x) => x.severity !== 'PASS')) {
      expect(text).toContain(`        fix: ${f.fix}`);
      expect(text.find((l) => l.startsWith(`${f.severity.padEnd(6)}  ${f.title}`))).toMatch(new RegExp(`  ${f.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    }
    // Commands break before options, with a shell line continuation.
    expect(run.stdout).toMatch(/fix: aws rds modify-db-instance --region us-east-1 --db-instance-identifier wrap-db \\\n {13}--/);

    // A terminal too narrow for a DETAIL column: the detail goes under the check.
    const narrow = await cli(doctorArgs(d), 0, { columns: 60 });
    expect(narrow.stdout).toMatch(/\nFAIL {4}Multi-AZ\n {8}single-AZ: an AZ outage/);
    // Only the check's name (a row's start) or a word longer than the line may overflow it.
    expect(narrow.stdout.trimEnd().split('\n').filter((l) => l.length > 60 && !/^(STATUS|PASS|WARN|FAIL) /.test(l) && /\S \S/.test(l.trim()))).toEqual([]);
  });

  test('without a terminal it is 100 columns wide', async () => {
    const d = await seed('default-width', { database: { multiAz: false } });
    const io = fakeIo(motoEnv(gaps.url));
    expect(await main(doctorArgs(d), io)).toBe(EXIT.CHECK_FAILED);
    const lines = io.out().trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(90);
  });

  describe('colour: FAIL red, WARN yellow, on a terminal only, never with NO_COLOR', () => {
    let d: SeededDeployment;
    beforeAll(async () => {
      d = await seed('colour', { database: { multiAz: false }, replicas: 0 });
    });
    const RED_FAIL = '\u001b[31mFAIL\u001b[0m';
    const YELLOW_WARN = '\u001b[33mWARN\u001b[0m';

    test('on a terminal', async () => {
      const run = await cli(doctorArgs(d), 0, { isTty: true });
      const lines = run.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith(RED_FAIL)).map((l) => l.slice(RED_FAIL.length).trim())).toEqual([expect.stringMatching(/^Multi-AZ +single-AZ/)]);
      expect(lines.filter((l) => l.startsWith(YELLOW_WARN)).map((l) => l.slice(YELLOW_WARN.length).trim())).toEqual([expect.stringMatching(/^Read replicas +no read replica/)]);
      expect(lines.filter((l) => l.includes('\u001b[')).length).toBe(2);
    });

    test.each([
      ['not on a terminal', {}, {}],
      ['with NO_COLOR set', { isTty: true }, { NO_COLOR: '1' }],
    ])('%s: no escape codes', async (_name, ioOptions, env) => {
      const run = await cli(doctorArgs(d), 0, ioOptions, env);
      expect(run.stdout).toMatch(/^FAIL {4}Multi-AZ/m);
      expect(run.stdout).not.toContain('\u001b');
    });

    test('--json on a terminal: no escape codes', async () => {
      const run = await cli(doctorArgs(d, ['--json']), 0, { isTty: true });
      expect(run.stdout).not.toContain('\u001b');
    });
  });
});

describe('RDS Proxy', () => {
  test('fails when a target is unavailable', async () => {
    // moto reports every registered target AVAILABLE: report the one target as RDS does when the secret is wrong.
    extraRdsAnswers.push((command, _region, fromMoto) => command instanceof DescribeDBProxyTargetsCommand
      ? fromMoto().then((a) => {
        const answer = a as { Targets: object[] };
        return { ...answer, Targets: answer.Targets.map((t) => ({ ...t, TargetHealth: {
          State: 'UNAVAILABLE', Reason: 'AUTH_FAILURE', Description: 'Proxy does not have any registered credentials' } })) };
      })
      : undefined);
    const { code, report } = await audit(good, ['--proxy', good.proxy!.name]);
    expect(notPassing(report)).toEqual(['FAIL proxy.targets']);
    expect(finding(report, 'proxy.targets').message).toBe(`${good.proxy!.name} -> ${good.primary.id} (RDS_INSTANCE) UNAVAILABLE AUTH_FAILURE: Proxy does not have any registered credentials`);
    expect(mockedCalls).toEqual(expect.arrayContaining(['DescribeDBProxyTargetsCommand us-east-1']));
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('warns, and exits 0, when no proxy targets the instance', async () => {
    const d = await seed('no-proxy', { proxy: false });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['WARN proxy.targets']);
    // The other deployments' proxies in this moto server target other instances: not this one's.
    expect(finding(report, 'proxy.targets').message).toMatch(/^no RDS Proxy targets this instance/);
    expect(code).toBe(EXIT.OK);
  });
});

describe('blob buckets', () => {
  test('no-versioning: fails versioning, and replication, which S3 refuses on an unversioned bucket', async () => {
    const d = await seed('no-versioning', { bucket: { versioning: false, replication: false } });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['FAIL bucket.versioning', 'FAIL bucket.replication']);
    expect(finding(report, 'bucket.versioning').message).toBe('never enabled: an overwrite or delete loses the object, and replication needs versioning');
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test.each([
    ['no-public-access-block', { publicAccessBlock: false }, 'FAIL bucket.public-access-block'],
    ['no-encryption', { encryption: 'NONE' as const }, 'FAIL bucket.encryption'],
    ['no-tls-policy', { tlsOnlyPolicy: false }, 'FAIL bucket.tls-only'],
    ['no-replication', { replication: false }, 'FAIL bucket.replication'],
  ])('%s: %j is %s', async (prefix, bucket, expected) => {
    const d = await seed(prefix, { bucket });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual([expected]);
    expect(report.findings.find((f) => `${f.severity} ${f.rule}` === expected)!.resource).toBe(d.buckets.primary.name);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('SSE-S3 instead of SSE-KMS is a WARN, and exits 0', async () => {
    const d = await seed('sse-s3', { bucket: { encryption: 'SSE-S3' } });
    const { code, report } = await audit(d);
    expect(notPassing(report)).toEqual(['WARN bucket.encryption']);
    expect(code).toBe(EXIT.OK);
  });

  test('audits several buckets, each on its own', async () => {
    const { report } = await audit(good, ['--buckets', `${good.buckets.primary.name},${good.buckets.dr.name}`]);
    // The DR bucket is a replica: it replicates nowhere itself.
    expect(report.findings.filter((f) => f.rule.startsWith('bucket.')).map((f) => `${f.severity} ${f.rule} ${f.resource}`)).toEqual([
      ...['versioning', 'public-access-block', 'encryption', 'tls-only', 'replication'].map((id) => `PASS bucket.${id} ${good.buckets.primary.name}`),
      ...['versioning', 'public-access-block', 'encryption', 'tls-only'].map((id) => `PASS bucket.${id} ${good.buckets.dr.name}`),
      `FAIL bucket.replication ${good.buckets.dr.name}`,
    ]);
  });
});

describe('bad input and AWS errors', () => {
  test.each([
    ['an unknown instance', ['doctor', '--instance', 'no-such-db'],
      'db-playbook: no DB instance "no-such-db" in us-east-1: check --instance (the DB instance identifier, not a cluster or stack name) and --region\n'],
    ['an unknown bucket', ['doctor', '--instance', 'good-db', '--buckets', 'no-such-bucket'], 'db-playbook: no S3 bucket "no-such-bucket": check --buckets\n'],
    ['an unknown proxy', ['doctor', '--instance', 'good-db', '--proxy', 'no-such-proxy'], 'db-playbook: no RDS Proxy "no-such-proxy" in us-east-1: check --proxy\n'],
    ['a malformed --dr-region', ['doctor', '--instance', 'good-db', '--dr-region', 'west'], 'db-playbook: --dr-region must be an AWS region name: lower case, <area>-<direction>-<number>, such as us-west-2, eu-central-1 or ap-southeast-2 (got "west")\n'],
    ['--dr-region equal to the instance\'s region', ['doctor', '--instance', 'good-db', '--dr-region', 'us-east-1'],
      'db-playbook: --dr-region us-east-1 is the instance\'s own region: name the region that holds the offsite copies\n'],
    ['an empty --buckets', ['doctor', '--instance', 'good-db', '--buckets', ' , '], 'db-playbook: --buckets needs at least one bucket name (comma-separated)\n'],
  ])('%s exits 2 with a clear message', async (_label, args, message) => {
    const run = await cli(args);
    expect(run).toEqual({ code: EXIT.USAGE, stdout: '', stderr: message });
  });

  test('a missing --instance exits 2', async () => {
    const run = await cli(['doctor']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toMatch(/required option '--instance <id>' not specified/);
  });

  test('an AWS error exits 1, naming the call that failed', async () => {
    // moto does not enforce IAM: answer DescribeDBParameters as AWS does without rds:DescribeDBParameters.
    extraRdsAnswers.push((command) => command instanceof DescribeDBParametersCommand
      ? Promise.reject(Object.assign(new Error('User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: rds:DescribeDBParameters'), { name: 'AccessDenied' }))
      : undefined);
    const run = await cli(doctorArgs(good));
    expect(run).toEqual({
      code: EXIT.FAILURE,
      stdout: '',
      stderr: `db-playbook: AccessDenied: DescribeDBParameters ${good.parameterGroupName} in us-east-1: `
        + 'User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: rds:DescribeDBParameters\n',
    });
  });
});
