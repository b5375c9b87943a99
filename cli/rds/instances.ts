/** Reading DB instances, their tags and their point-in-time restore window. Read-only. */
import {
  DBInstance,
  DBInstanceAutomatedBackup,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBSnapshots,
  RDSClient,
} from '@aws-sdk/client-rds';

/** The tag naming the instance a restored instance was restored from. */
export const RESTORED_FROM_TAG = 'db-playbook:restored-from';
/**
 * The tag holding the time a restored instance was restored to, ISO-8601 UTC: the --to time, or
 * for --latest the LatestRestorableTime it resolved to when the restore was asked for. (Before
 * that, db-playbook wrote `latest`, which says nothing of the data: no --resume matches it.)
 */
export const RESTORE_TIME_TAG = 'db-playbook:restore-time';
/** The tag holding when db-playbook asked RDS for the restore (ISO-8601 UTC): a resumed wait measures from it. */
export const RESTORE_STARTED_TAG = 'db-playbook:restore-started';

function isNotFound(e: unknown, ...names: string[]): boolean {
  const name = (e as { name?: string }).name ?? '';
  return names.includes(name);
}

/** The instance `id`, or undefined when there is none (DBInstanceNotFound). */
export async function findInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  // An empty identifier is no filter at all: DescribeDBInstances would answer with the region's
  // instances, and the first would be taken for the one asked for (restore --source '').
  if (id.trim() === '') return undefined;
  try {
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return DBInstances?.[0];
  } catch (e) {
    if (isNotFound(e, 'DBInstanceNotFoundFault', 'DBInstanceNotFound')) return undefined;
    throw e;
  }
}

/** An instance's tags as a map. */
export function tagsOf(instance: DBInstance): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of instance.TagList ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return tags;
}

/** The instance's port (the endpoint's, or DbInstancePort while it has no endpoint yet). */
export function portOf(instance: DBInstance): number | undefined {
  return instance.Endpoint?.Port ?? instance.DbInstancePort;
}

/** The times an instance can be restored to, and where each bound came from. */
export interface RestoreWindow {
  readonly earliest?: Date;
  readonly latest?: Date;
  /** Which API field gave `earliest`. */
  readonly earliestFrom: string;
  /** Which API field gave `latest`. */
  readonly latestFrom: string;
}

/** The instance's own (not a replicated copy's) automated backup, if RDS lists one. */
export async function ownAutomatedBackup(rds: RDSClient, instance: DBInstance): Promise<DBInstanceAutomatedBackup | undefined> {
  const { DBInstanceAutomatedBackups: backups = [] } = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({
    DBInstanceIdentifier: instance.DBInstanceIdentifier,
  }));
  // Retained backups of a deleted instance of the same name have another DbiResourceId.
  const mine = backups.filter((b) => !b.DbiResourceId || !instance.DbiResourceId || b.DbiResourceId === instance.DbiResourceId);
  return mine.find((b) => b.Status === 'active') ?? mine[0];
}

/**
 * The point-in-time restore window of `instance`:
 * - latest: DescribeDBInstances LatestRestorableTime (RDS keeps it within ~5 minutes of now),
 *   else the automated backup's RestoreWindow.LatestTime;
 * - earliest: DescribeDBInstanceAutomatedBackups RestoreWindow.EarliestTime, which AWS
 *   returns; where that is missing (moto returns no RestoreWindow), the oldest automated
 *   snapshot's SnapshotCreateTime (PITR starts at the oldest retained automated backup),
 *   else the instance's creation time.
 */
export async function restorableWindow(rds: RDSClient, instance: DBInstance): Promise<RestoreWindow> {
  const backup = await ownAutomatedBackup(rds, instance);
  let latest = instance.LatestRestorableTime;
  let latestFrom = 'DescribeDBInstances LatestRestorableTime';
  if (!latest && backup?.RestoreWindow?.LatestTime) {
    latest = backup.RestoreWindow.LatestTime;
    latestFrom = 'DescribeDBInstanceAutomatedBackups RestoreWindow.LatestTime';
  }
  if (backup?.RestoreWindow?.EarliestTime) {
    return { earliest: backup.RestoreWindow.EarliestTime, latest, earliestFrom: 'DescribeDBInstanceAutomatedBackups RestoreWindow.EarliestTime', latestFrom };
  }
  let oldest: Date | undefined;
  for await (const page of paginateDescribeDBSnapshots({ client: rds }, { DBInstanceIdentifier: instance.DBInstanceIdentifier, SnapshotType: 'automated' })) {
    for (const s of page.DBSnapshots ?? []) {
      const t = s.SnapshotCreateTime;
      if (t && (!instance.DbiResourceId || !s.DbiResourceId || s.DbiResourceId === instance.DbiResourceId) && (!oldest || t < oldest)) oldest = t;
    }
  }
  if (oldest) return { earliest: oldest, latest, earliestFrom: 'the oldest automated snapshot (no RestoreWindow returned)', latestFrom };
  return { earliest: instance.InstanceCreateTime, latest, earliestFrom: 'the instance creation time (no RestoreWindow, no automated snapshot)', latestFrom };
}
