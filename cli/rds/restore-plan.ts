/**
 * What both paths of `db-playbook restore` share (in-region from the source instance, and in the
 * DR region from its replicated automated backups): the restore time as tags and text, the tags
 * of the restored instance, the storage settings RDS accepts, the plan's settings table, and
 * the shape each path hands the common steps (wait, verify, cut over, report). Pure.
 */
import type { RestoreDBInstanceToPointInTimeCommandInput, Tag } from '@aws-sdk/client-rds';
import { RESTORE_STARTED_TAG, RESTORE_TIME_TAG, RESTORED_FROM_TAG, RestoreWindow } from './instances';

/** The time asked for: --to's, or the latest restorable one (--latest), which the checks resolve to a time. */
export type RestoreTime = Date | 'latest';

/**
 * The restore time in a sentence: the time, and for --latest what it was. `latest` says the time
 * is the LatestRestorableTime read when the restore was asked for (RDS is asked for that time,
 * not for "the latest", so the tag and the data agree).
 */
export function timeText(time: Date, latest: boolean): string {
  return latest ? `${time.toISOString()} (the latest restorable time)` : time.toISOString();
}

/**
 * The tags of a restored instance: `copied` (the source's, except aws:* and earlier db-playbook:*)
 * plus db-playbook's own, which name the source and the time restored to (always a time, for
 * --latest the one it resolved to): `restore --resume` picks a restore up only when they match.
 */
export function restoredTags(copied: readonly Tag[] | undefined, sourceId: string, time: Date, startedAt: Date, extra: readonly Tag[] = []): Tag[] {
  return [
    ...(copied ?? []).filter((t) => t.Key && !t.Key.startsWith('aws:') && !t.Key.startsWith('db-playbook:')),
    { Key: RESTORED_FROM_TAG, Value: sourceId },
    { Key: RESTORE_TIME_TAG, Value: time.toISOString() },
    { Key: RESTORE_STARTED_TAG, Value: startedAt.toISOString() },
    ...extra,
  ];
}

/**
 * IOPS and throughput to ask for: gp3 below 400 GiB (PostgreSQL) has fixed baseline IOPS and
 * throughput, and RDS refuses explicit values there; io1/io2 take IOPS only.
 */
export function provisionedStorage(storageType: string | undefined, allocatedGiB: number | undefined, iops: number | undefined, throughput: number | undefined):
  Pick<RestoreDBInstanceToPointInTimeCommandInput, 'Iops' | 'StorageThroughput'> {
  const provisioned = storageType === 'io1' || storageType === 'io2' || (storageType === 'gp3' && (allocatedGiB ?? 0) >= 400);
  return { Iops: provisioned ? iops : undefined, StorageThroughput: provisioned && storageType === 'gp3' ? throughput : undefined };
}

/** `request` without its undefined fields (what the SDK sends, and what the plan prints). */
export function withoutUndefined(request: RestoreDBInstanceToPointInTimeCommandInput): RestoreDBInstanceToPointInTimeCommandInput {
  const out = { ...request };
  for (const key of Object.keys(out) as (keyof typeof out)[]) {
    if (out[key] === undefined) delete out[key];
  }
  return out;
}

/** The request's settings for the plan, name → printable value (all but the source, target, time and tags, then the tags). */
export function settingsRows(request: RestoreDBInstanceToPointInTimeCommandInput): [string, string][] {
  const skip = new Set(['SourceDBInstanceIdentifier', 'SourceDBInstanceAutomatedBackupsArn', 'TargetDBInstanceIdentifier', 'RestoreTime', 'UseLatestRestorableTime', 'Tags']);
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(request)) {
    if (skip.has(key)) continue;
    rows.push([key, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
  rows.push(['Tags', (request.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).join(', ')]);
  return rows;
}

/** What `restore --json` says of the source (null: not known). */
export interface SourceJson {
  readonly id: string;
  readonly arn: string | null;
  readonly engine: string | null;
  readonly engineVersion: string | null;
  readonly status: string | null;
}

/** What `restore --json` says of the replicated automated backups a DR restore starts from (null in-region). */
export interface ReplicatedBackupsJson {
  readonly arn: string;
  /** The source instance's region. */
  readonly sourceRegion: string | null;
  readonly status: string | null;
  readonly retentionDays: number | null;
}

/** What the plan says of the restore beyond the request: where it is, its window, the target's state. */
export interface PlanContext {
  readonly region: string;
  readonly target: string;
  /** The time restored to (for --latest, the one it resolved to). */
  readonly time: Date;
  /** Whether the time came from --latest. */
  readonly latest: boolean;
  readonly window?: RestoreWindow;
  /** The restore already under way that a re-run resumes. */
  readonly resumeState?: string;
}

/**
 * A restore's source after its checks: what differs between the in-region path (a DB instance)
 * and the DR path (replicated automated backups); restore.ts runs the rest the same way.
 */
export interface RestoreSource {
  /** The source instance's identifier: tags, messages, resuming. */
  readonly sourceId: string;
  readonly json: SourceJson;
  /** The key the restored instance is encrypted with (null: not encrypted). */
  readonly kmsKeyId: string | null;
  readonly replicatedBackups: ReplicatedBackupsJson | null;
  /** What RestoreDBInstanceToPointInTime does not carry over on this path. */
  readonly notCarried: readonly string[];
  /** `Restoring '<source>' …` is followed by this (e.g. ` from its replicated automated backups`). */
  readonly restoringFrom: string;
  /**
   * Tags beyond the source and the time that a restore from this source carries and a resumed
   * one must match (the DR path: the ARN of the replicated backups).
   */
  readonly matchTags: Readonly<Record<string, string>>;
  /**
   * The checks a new restore needs and a resumed one does not (the window, the groups, the key);
   * UsageError when one refuses. For 'latest' the window's `latest` is defined: the time to restore to.
   */
  checkNew(time: RestoreTime): Promise<RestoreWindow>;
  request(target: string, time: Date, startedAt: Date): RestoreDBInstanceToPointInTimeCommandInput;
  /** The dry run's plan, from the source line to the not-carried list. */
  planLines(plan: PlanContext, request: RestoreDBInstanceToPointInTimeCommandInput): string[];
  followUp(target: string, proxy: string | undefined): string[];
}
