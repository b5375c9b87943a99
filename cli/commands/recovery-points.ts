/**
 * `db-playbook recovery-points`: everything a DB instance can be restored from, with ages and
 * regions: the point-in-time window (automated backups, also replicated to other regions),
 * automated and manual snapshots, AWS Backup recovery points and cross-region snapshot copies.
 *
 * `db-playbook copy`: an ad-hoc encrypted cross-region copy of a snapshot (CopyDBSnapshot in
 * the destination region, with a KMS key of that region).
 */
import { BackupClient, paginateListRecoveryPointsByResource, RecoveryPointByResource } from '@aws-sdk/client-backup';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  CopyDBSnapshotCommand,
  DBInstance,
  DBInstanceAutomatedBackup,
  DBSnapshot,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  paginateDescribeDBSnapshots,
  RDSClient,
} from '@aws-sdk/client-rds';
import { Command, InvalidArgumentError } from 'commander';
import { clientConfig, configuredRegion, GlobalOptions, Io } from '../context';
import { UsageError } from '../errors';
import { orNull, printJson } from '../json-output';
import type { CommandContext } from '../program';
import { describeKey } from '../kms/keys';
import { checkRegion, requireRegion } from '../region';
import { formatAge, renderTable } from '../rds/format';
import { instanceIdentifierProblem, kmsKeyProblem, parseArn, snapshotIdentifierProblem } from '../rds/identifiers';
import { findInstance, ownAutomatedBackup, restorableWindow } from '../rds/instances';
import { waitFor } from '../rds/wait';

/** What a recovery point is. */
export type RecoveryPointType =
  | 'automated-backup'
  | 'replicated-automated-backup'
  | 'automated-snapshot'
  | 'manual-snapshot'
  | 'aws-backup'
  | 'cross-region-copy';

const TYPE_ORDER: readonly RecoveryPointType[] = ['automated-backup', 'replicated-automated-backup', 'automated-snapshot', 'manual-snapshot', 'aws-backup', 'cross-region-copy'];

/** One thing the instance can be restored from. */
export interface RecoveryPoint {
  readonly type: RecoveryPointType;
  readonly id: string;
  readonly arn?: string;
  readonly region: string;
  /** ISO-8601; for a point-in-time window, its earliest restorable time. */
  readonly created?: string;
  readonly ageSeconds?: number;
  /** Human age: `3h 12m`, `2d 4h`. */
  readonly age: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly status?: string;
  /** For automated backups: the restorable window. */
  readonly restoreWindow?: { readonly earliest?: string; readonly latest?: string; readonly from: string };
  /** AWS Backup: the vault. */
  readonly vault?: string;
}

function csv(value: string): string[] {
  return value.split(',').map((r) => r.trim()).filter(Boolean);
}

function positiveMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of minutes greater than 0');
  return n;
}

function regionOf(globals: GlobalOptions, io: Io): string {
  return requireRegion(configuredRegion(globals, io), globals.profile, io.env);
}

/**
 * --source as DescribeDBInstances takes it: an identifier or the instance's ARN. Checked before
 * the call: an empty DBInstanceIdentifier filters nothing, and the first instance of the region
 * would be listed as if it had been asked for.
 */
function checkSource(source: string): void {
  if (parseArn(source)?.resource.startsWith('db:')) return;
  const problem = instanceIdentifierProblem(source);
  if (problem) throw new UsageError(`--source '${source}' is not a DB instance identifier: it ${problem}`);
}

/**
 * --snapshot's identifier (from the ARN, or as given): a manual snapshot's identifier, or an
 * automated (`rds:`) or AWS Backup (`awsbackup:`) one. Checked before the call, for the reason
 * checkSource gives.
 */
function checkSnapshotId(id: string): void {
  const problem = snapshotIdentifierProblem(id.replace(/^(rds|awsbackup):/, ''));
  if (problem) throw new UsageError(`--snapshot '${id}' is not a DB snapshot identifier or ARN: it ${problem}`);
}

/** One line saying why a call failed: the AWS error, or the HTTP status when the answer was not the API's at all. */
function errorText(e: unknown): string {
  const err = e as Error & { $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  if (err.name === 'SyntaxError' || /Deserialization error/.test(err.message)) {
    return `HTTP ${status ?? '?'}, and the answer is not the AWS API's: does this endpoint implement AWS Backup?`;
  }
  const first = err.message.split('\n')[0];
  return `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${first}${status ? ` (HTTP ${status})` : ''}`;
}

/** Registers `recovery-points` and `copy`. */
export function registerRecoveryPoints(program: Command, ctx: CommandContext): void {
  program.command('recovery-points')
    .description('List what a DB instance can be restored from: the point-in-time window (automated backups, also replicated ones), automated and manual snapshots, AWS Backup recovery points and cross-region copies, with regions and ages.')
    .requiredOption('--source <id>', 'the DB instance')
    .option('--regions <a,b>', 'other regions to search for replicated automated backups, AWS Backup copies and snapshot copies (e.g. us-west-2)', csv, [])
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `
Types: automated-backup (the instance's point-in-time window), replicated-automated-backup
(its window in another region), automated-snapshot, manual-snapshot, aws-backup (AWS Backup's
recovery points in the instance's region and --regions: its snapshots, DescribeDBSnapshots
SnapshotType awsbackup, and ListRecoveryPointsByResource, which adds the vault), cross-region-copy
(other snapshots of the instance in --regions).
A source that cannot be read (e.g. AWS Backup not allowed or not available) is reported as a
warning and the rest is still listed. Exit codes: 0 listed; 1 an AWS call failed; 2 bad input.
`)
    .action(async (opts: { source: string; regions: string[]; json?: boolean }) => {
      await listRecoveryPoints(opts, ctx);
    });

  program.command('copy')
    .description('Copy a DB snapshot to another region, encrypted with a KMS key of that region (CopyDBSnapshot in the destination region); prints the copy\'s ARN.')
    .requiredOption('--snapshot <id-or-arn>', 'the snapshot: an ARN, or an identifier in --region / AWS_REGION')
    .requiredOption('--to-region <region>', 'the destination region')
    .option('--kms-key <arn-or-alias>', 'KMS key in the destination region (key ARN, key id, alias/name or alias ARN); default: the key of the instance\'s replicated automated backups or of an earlier copy there')
    .option('--target-id <id>', 'identifier of the copy (default: <snapshot id>-<destination region>)')
    .option('--wait', 'wait until the copy is available')
    .option('--timeout <minutes>', 'with --wait: how long to wait (default 120)', positiveMinutes, 120)
    .option('--json', 'print JSON instead of the ARN')
    .addHelpText('after', `
stdout carries only the copy's ARN (or JSON), so scripts can capture it; what was chosen and
the progress go to stderr. An encrypted snapshot (and an unencrypted one: the copy is
encrypted) needs a KMS key in the destination region: without --kms-key, db-playbook uses the
key of the instance's replicated automated backups there, else of the newest earlier copy,
and refuses when it finds none. Exit codes: 0 copied; 1 an AWS call or the wait failed;
2 bad input or a refused check (nothing was copied).
`)
    .action(async (opts: CopyOptions) => {
      await copySnapshot(opts, ctx);
    });
}

// --- recovery-points ---------------------------------------------------------------------------

/** A recovery point's creation time and age (`-` when unknown). */
function createdAndAge(created: Date | undefined, now: number): Pick<RecoveryPoint, 'created' | 'ageSeconds' | 'age'> {
  return {
    created: created?.toISOString(),
    ageSeconds: created ? Math.floor((now - created.getTime()) / 1000) : undefined,
    age: created ? formatAge(now - created.getTime()) : '-',
  };
}

function pointFromSnapshot(s: DBSnapshot, region: string, type: RecoveryPointType, now: number): RecoveryPoint {
  const created = s.SnapshotCreateTime ?? s.OriginalSnapshotCreateTime;
  return {
    type,
    id: s.DBSnapshotIdentifier ?? '?',
    arn: s.DBSnapshotArn,
    region,
    ...createdAndAge(created, now),
    encrypted: Boolean(s.Encrypted),
    kmsKeyId: s.KmsKeyId,
    status: s.Status,
  };
}

function pointFromWindow(type: RecoveryPointType, id: string, arn: string | undefined, region: string, earliest: Date | undefined, latest: Date | undefined,
  from: string, encrypted: boolean, kmsKeyId: string | undefined, status: string | undefined, now: number): RecoveryPoint {
  return {
    type, id, arn, region,
    ...createdAndAge(earliest, now),
    encrypted, kmsKeyId, status,
    restoreWindow: { earliest: earliest?.toISOString(), latest: latest?.toISOString(), from },
  };
}

function pointFromBackup(p: RecoveryPointByResource, region: string, now: number): RecoveryPoint {
  const created = p.CreationDate;
  return {
    type: 'aws-backup',
    id: p.RecoveryPointArn?.split(':').pop() ?? '?',
    arn: p.RecoveryPointArn,
    region,
    ...createdAndAge(created, now),
    encrypted: Boolean(p.EncryptionKeyArn),
    kmsKeyId: p.EncryptionKeyArn,
    status: p.Status,
    vault: p.BackupVaultName,
  };
}

/**
 * The snapshots of `source` in `rds`'s region: DescribeDBSnapshots without SnapshotType (automated
 * and manual ones), then with SnapshotType `awsbackup` (AWS Backup's, which the first call never
 * returns). Snapshots of an earlier instance of the same name (another DbiResourceId) are left out.
 */
async function snapshotsOf(rds: RDSClient, source: DBInstance): Promise<DBSnapshot[]> {
  const snapshots: DBSnapshot[] = [];
  for (const SnapshotType of [undefined, 'awsbackup']) {
    for await (const page of paginateDescribeDBSnapshots({ client: rds }, { DBInstanceIdentifier: source.DBInstanceIdentifier, SnapshotType })) {
      for (const s of page.DBSnapshots ?? []) {
        if (s.DbiResourceId && source.DbiResourceId && s.DbiResourceId !== source.DbiResourceId) continue;
        if (!snapshots.some((t) => t.DBSnapshotArn === s.DBSnapshotArn)) snapshots.push(s);
      }
    }
  }
  return snapshots;
}

/** What a snapshot is: AWS Backup's (`awsbackup`), automated, else `other` (manual here, a copy in another region). */
function snapshotPointType(s: DBSnapshot, other: RecoveryPointType): RecoveryPointType {
  if (s.SnapshotType === 'awsbackup') return 'aws-backup';
  if (s.SnapshotType === 'automated' && other === 'manual-snapshot') return 'automated-snapshot';
  return other;
}

/** A replicated automated backup belongs to `source` when it names its ARN (or its resource id). */
function isReplicaOf(b: DBInstanceAutomatedBackup, source: DBInstance): boolean {
  if (b.DBInstanceArn) return b.DBInstanceArn === source.DBInstanceArn;
  return Boolean(b.DbiResourceId && b.DbiResourceId === source.DbiResourceId && b.Region && b.Region !== parseArn(source.DBInstanceArn ?? '')?.region);
}

async function listRecoveryPoints(opts: { source: string; regions: string[]; json?: boolean }, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const globals = ctx.globals();
  checkSource(opts.source);
  for (const r of opts.regions) checkRegion('--regions', r);
  const region = regionOf(globals, io);
  const regions = opts.regions.filter((r) => r !== region);
  const now = io.now();
  const clients: { destroy(): void }[] = [];
  const rdsIn = (r: string) => { const c = new RDSClient(clientConfig(globals, io, r)); clients.push(c); return c; };
  const backupIn = (r: string) => { const c = new BackupClient(clientConfig(globals, io, r)); clients.push(c); return c; };
  try {
    const rds = rdsIn(region);
    const source = await findInstance(rds, opts.source);
    if (!source) throw new UsageError(`no DB instance '${opts.source}' in ${region}: check --source and --region`);
    const points: RecoveryPoint[] = [];
    const warnings: string[] = [];

    // The instance's own point-in-time window.
    if (source.BackupRetentionPeriod) {
      const own = await ownAutomatedBackup(rds, source);
      const window = await restorableWindow(rds, source);
      points.push(pointFromWindow('automated-backup', source.DBInstanceIdentifier!, own?.DBInstanceAutomatedBackupsArn, region, window.earliest, window.latest,
        `earliest: ${window.earliestFrom}; latest: ${window.latestFrom}`, Boolean(source.StorageEncrypted), source.KmsKeyId, own?.Status ?? 'active', now));
    } else {
      warnings.push(`automated backups are off on '${source.DBInstanceIdentifier}' (BackupRetentionPeriod 0): no point-in-time recovery`);
    }

    // Snapshots in the instance's region: automated and manual ones, and AWS Backup's.
    for (const s of await snapshotsOf(rds, source)) points.push(pointFromSnapshot(s, region, snapshotPointType(s, 'manual-snapshot'), now));

    // Other regions: replicated automated backups, snapshot copies, AWS Backup's copies.
    for (const r of regions) {
      const other = rdsIn(r);
      const { DBInstanceAutomatedBackups: replicated = [] } = await other.send(new DescribeDBInstanceAutomatedBackupsCommand(
        source.DbiResourceId ? { DbiResourceId: source.DbiResourceId } : {},
      ));
      for (const b of replicated.filter((x) => isReplicaOf(x, source))) {
        points.push(pointFromWindow('replicated-automated-backup', b.DBInstanceAutomatedBackupsArn?.split(':').pop() ?? source.DBInstanceIdentifier!,
          b.DBInstanceAutomatedBackupsArn, r, b.RestoreWindow?.EarliestTime, b.RestoreWindow?.LatestTime, 'DescribeDBInstanceAutomatedBackups RestoreWindow',
          Boolean(b.Encrypted), b.KmsKeyId, b.Status, now));
      }
      for (const s of await snapshotsOf(other, source)) points.push(pointFromSnapshot(s, r, snapshotPointType(s, 'cross-region-copy'), now));
    }

    // AWS Backup recovery points, in the instance's region and the other regions (copies). An RDS
    // recovery point is an awsbackup snapshot listed above (the same ARN): it gets the vault.
    for (const r of [region, ...regions]) {
      try {
        for await (const page of paginateListRecoveryPointsByResource({ client: backupIn(r) }, { ResourceArn: source.DBInstanceArn })) {
          for (const p of page.RecoveryPoints ?? []) {
            const point = pointFromBackup(p, r, now);
            const i = points.findIndex((q) => q.arn !== undefined && q.arn === point.arn);
            if (i === -1) points.push(point);
            else points[i] = { ...points[i], vault: point.vault };
          }
        }
      } catch (e) {
        warnings.push(`AWS Backup recovery points in ${r} not listed: ListRecoveryPointsByResource failed (${errorText(e)})`);
      }
    }

    points.sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || (b.created ?? '').localeCompare(a.created ?? ''));

    if (opts.json) {
      printJson(io, 'recovery-points', {
        source: { id: source.DBInstanceIdentifier!, arn: orNull(source.DBInstanceArn), region },
        regions: [region, ...regions],
        recoveryPoints: points.map(jsonPoint),
        warnings,
      });
      return;
    }
    io.stdout(`Recovery points of '${source.DBInstanceIdentifier}' (${[region, ...regions].join(', ')}), ${new Date(now).toISOString()}:\n\n`);
    if (points.length === 0) io.stdout('(none)\n');
    else {
      io.stdout(renderTable(['TYPE', 'ID', 'REGION', 'CREATED', 'AGE', 'ENCRYPTED', 'NOTE'], points.map((p) => [
        p.type, p.id, p.region, p.created ?? '-', p.age,
        p.encrypted ? `yes${p.kmsKeyId ? ` (${shortKey(p.kmsKeyId)})` : ''}` : 'NO',
        note(p, now),
      ])));
    }
    for (const w of warnings) io.stdout(`\nwarning: ${w}`);
    if (warnings.length > 0) io.stdout('\n');
  } finally {
    for (const c of clients) c.destroy();
  }
}

/**
 * A recovery point as `recovery-points --json` lists it: every field of RecoveryPoint, null
 * where it does not apply (e.g. `vault` outside AWS Backup, `restoreWindow` for a snapshot).
 */
function jsonPoint(p: RecoveryPoint) {
  return {
    type: p.type,
    id: p.id,
    arn: orNull(p.arn),
    region: p.region,
    created: orNull(p.created),
    ageSeconds: orNull(p.ageSeconds),
    age: p.age,
    encrypted: p.encrypted,
    kmsKeyId: orNull(p.kmsKeyId),
    status: orNull(p.status),
    restoreWindow: p.restoreWindow ? { earliest: orNull(p.restoreWindow.earliest), latest: orNull(p.restoreWindow.latest), from: p.restoreWindow.from } : null,
    vault: orNull(p.vault),
  };
}

/** `key/1234abcd…` (or `alias/name`) from a key ARN, for the table (the JSON has the whole ARN). */
function shortKey(kmsKeyId: string): string {
  const tail = kmsKeyId.split(':').pop() ?? kmsKeyId;
  const key = /^(key\/)?([0-9a-f]{8})-[0-9a-f-]+$/.exec(tail);
  return key ? `key/${key[2]}…` : tail;
}

function note(p: RecoveryPoint, now: number): string {
  const parts: string[] = [];
  if (p.restoreWindow) {
    const latest = p.restoreWindow.latest ? Date.parse(p.restoreWindow.latest) : undefined;
    parts.push(`point in time ${p.restoreWindow.earliest ?? '?'} to ${p.restoreWindow.latest ?? '?'}${latest ? ` (latest ${formatAge(now - latest)} ago)` : ''}`);
  }
  if (p.vault) parts.push(`vault ${p.vault}`);
  if (p.status && p.status !== 'available' && p.status !== 'active' && p.status !== 'COMPLETED') parts.push(p.status);
  return parts.join('; ');
}

// --- copy --------------------------------------------------------------------------------------

interface CopyOptions {
  readonly snapshot: string;
  readonly toRegion: string;
  readonly kmsKey?: string;
  readonly targetId?: string;
  readonly wait?: boolean;
  readonly timeout: number;
  readonly json?: boolean;
}

async function describeSnapshot(rds: RDSClient, id: string): Promise<DBSnapshot | undefined> {
  try {
    const { DBSnapshots } = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
    // Only the one asked for: never another snapshot of the answer (a wrong one would be copied).
    return DBSnapshots?.find((s) => s.DBSnapshotIdentifier === id.toLowerCase() || s.DBSnapshotIdentifier === id);
  } catch (e) {
    if ((e as { name?: string }).name === 'DBSnapshotNotFoundFault') return undefined;
    throw e;
  }
}

/** A key usable in `region`: the key's ARN, or a UsageError. */
async function resolveKey(kms: KMSClient, key: string, region: string): Promise<string> {
  const arn = parseArn(key);
  if (arn && arn.region !== region) {
    throw new UsageError(`--kms-key ${key} is in ${arn.region}: a copy in ${region} must be encrypted with a key of ${region}`);
  }
  const metadata = await describeKey(kms, key);
  if (!metadata) throw new UsageError(`--kms-key ${key}: no such KMS key in ${region}`);
  if (metadata.KeyState && metadata.KeyState !== 'Enabled') throw new UsageError(`--kms-key ${key} in ${region} is ${metadata.KeyState}, not Enabled`);
  return metadata.Arn!;
}

/** A key in `region` already protecting copies of the instance there, and where it was found. */
async function discoverKey(dest: RDSClient, snapshot: DBSnapshot, region: string): Promise<{ arn: string; from: string } | undefined> {
  const { DBInstanceAutomatedBackups: replicated = [] } = await dest.send(new DescribeDBInstanceAutomatedBackupsCommand(
    snapshot.DbiResourceId ? { DbiResourceId: snapshot.DbiResourceId } : {},
  ));
  const backup = replicated.find((b) => b.KmsKeyId && b.DBInstanceIdentifier === snapshot.DBInstanceIdentifier && parseArn(b.KmsKeyId)?.region === region);
  if (backup) return { arn: backup.KmsKeyId!, from: `the replicated automated backups of '${snapshot.DBInstanceIdentifier}' in ${region}` };
  const copies: DBSnapshot[] = [];
  for await (const page of paginateDescribeDBSnapshots({ client: dest }, { DBInstanceIdentifier: snapshot.DBInstanceIdentifier })) {
    copies.push(...(page.DBSnapshots ?? []).filter((s) => s.Encrypted && s.KmsKeyId && parseArn(s.KmsKeyId)?.region === region));
  }
  copies.sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
  if (copies[0]) return { arn: copies[0].KmsKeyId!, from: `the newest earlier copy of '${snapshot.DBInstanceIdentifier}' in ${region} (${copies[0].DBSnapshotIdentifier})` };
  return undefined;
}

async function copySnapshot(opts: CopyOptions, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const globals = ctx.globals();
  const info = (text: string) => io.stderr(text);
  const arn = parseArn(opts.snapshot);
  if (arn && (arn.service !== 'rds' || !arn.resource.startsWith('snapshot:'))) {
    throw new UsageError(`--snapshot ${opts.snapshot} is not a DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>)`);
  }
  const sourceRegion = arn ? arn.region : regionOf(globals, io);
  const snapshotId = arn ? arn.resource.slice('snapshot:'.length) : opts.snapshot;
  checkSnapshotId(snapshotId);
  if (opts.kmsKey !== undefined) {
    const keyProblem = kmsKeyProblem(opts.kmsKey);
    if (keyProblem) throw new UsageError(`--kms-key '${opts.kmsKey}' ${keyProblem}`);
  }
  const toRegion = opts.toRegion;
  checkRegion('--to-region', toRegion);
  if (toRegion === sourceRegion) throw new UsageError(`--to-region ${toRegion} is the snapshot's own region: copy is for cross-region copies`);

  const clients: { destroy(): void }[] = [];
  const source = new RDSClient(clientConfig(globals, io, sourceRegion));
  const dest = new RDSClient(clientConfig(globals, io, toRegion));
  const kms = new KMSClient(clientConfig(globals, io, toRegion));
  clients.push(source, dest, kms);
  try {
    const snapshot = await describeSnapshot(source, snapshotId);
    if (!snapshot) throw new UsageError(`no DB snapshot '${snapshotId}' in ${sourceRegion}: check --snapshot (and --region, or give its ARN)`);
    if (snapshot.Status !== 'available') throw new UsageError(`snapshot '${snapshot.DBSnapshotIdentifier}' is '${snapshot.Status}': only an available snapshot can be copied`);
    const targetId = opts.targetId ?? `${snapshot.DBSnapshotIdentifier!.replace(/^rds:/, '')}-${toRegion}`;
    const problem = snapshotIdentifierProblem(targetId);
    const given = opts.targetId !== undefined;
    if (problem) throw new UsageError(`${given ? '--target-id' : 'the default copy name'} '${targetId}' is not a valid DB snapshot identifier: it ${problem}${given ? '' : ' (pass --target-id)'}`);
    if (await describeSnapshot(dest, targetId)) throw new UsageError(`a snapshot '${targetId}' already exists in ${toRegion}: pass another --target-id`);

    let keyArn: string;
    let keyFrom: string;
    if (opts.kmsKey !== undefined) {
      keyArn = await resolveKey(kms, opts.kmsKey, toRegion);
      keyFrom = '--kms-key';
    } else {
      const found = await discoverKey(dest, snapshot, toRegion);
      if (!found) {
        const why = snapshot.Encrypted
          ? `snapshot '${snapshot.DBSnapshotIdentifier}' is encrypted (KMS key ${snapshot.KmsKeyId}, ${sourceRegion}); a copy in ${toRegion} needs a KMS key of ${toRegion}`
          : `snapshot '${snapshot.DBSnapshotIdentifier}' is not encrypted; db-playbook makes encrypted copies only, with a KMS key of ${toRegion}`;
        throw new UsageError(`${why}: pass --kms-key <key ARN, id or alias/name in ${toRegion}> (none found: no replicated automated backups or earlier encrypted copies of '${snapshot.DBInstanceIdentifier}' in ${toRegion})`);
      }
      keyArn = found.arn;
      keyFrom = found.from;
    }

    info(`Copying ${snapshot.DBSnapshotArn} to ${toRegion} as '${targetId}', encrypted with ${keyArn} (${keyFrom}).\n`);
    const { DBSnapshot: copy } = await dest.send(new CopyDBSnapshotCommand({
      // An ARN in another region: the SDK adds the PreSignedUrl that RDS needs for a cross-region copy.
      SourceDBSnapshotIdentifier: snapshot.DBSnapshotArn,
      TargetDBSnapshotIdentifier: targetId,
      KmsKeyId: keyArn,
      CopyTags: true,
    }));
    let final = copy!;
    if (opts.wait) {
      const startedAt = io.now();
      final = await waitFor<DBSnapshot>({
        io,
        write: info,
        tty: false,
        label: targetId,
        startedAt,
        timeoutMs: opts.timeout * 60_000,
        resumeHint: `The copy goes on in AWS: watch it with aws rds describe-db-snapshots --region ${toRegion} --db-snapshot-identifier ${targetId}`,
        isDone: (state) => state === 'available',
        isFailed: (state) => state === 'failed' || state === 'error',
        poll: async () => {
          const s = await describeSnapshot(dest, targetId);
          if (!s) throw new Error(`the copy '${targetId}' disappeared in ${toRegion}`);
          return { state: s.Status ?? 'unknown', value: s, detail: s.PercentProgress !== undefined ? `${s.PercentProgress}%` : undefined };
        },
      });
    }
    if (opts.json) {
      printJson(io, 'copy', {
        source: { arn: orNull(snapshot.DBSnapshotArn), region: sourceRegion, encrypted: Boolean(snapshot.Encrypted), kmsKeyId: orNull(snapshot.KmsKeyId) },
        copy: { id: targetId, arn: orNull(final.DBSnapshotArn), region: toRegion, status: orNull(final.Status), encrypted: Boolean(final.Encrypted), kmsKeyId: final.KmsKeyId ?? keyArn },
        kmsKeyFrom: keyFrom,
      });
    } else {
      io.stdout(`${final.DBSnapshotArn}\n`);
    }
  } finally {
    for (const c of clients) c.destroy();
  }
}
