/**
 * Replicated automated backups: an instance's automated backups and transaction logs that RDS
 * replicates to another region (StartDBInstanceAutomatedBackupsReplication; CrossRegionBackup sets
 * it up), listed there by DescribeDBInstanceAutomatedBackups with the source's ARN and region and
 * a RestoreWindow. A restore in that region starts from them when the source region is down, so
 * nothing here calls the source's region. Read-only.
 */
import { DBInstanceAutomatedBackup, paginateDescribeDBInstanceAutomatedBackups, RDSClient } from '@aws-sdk/client-rds';
import { parseArn } from './identifiers';
import type { RestoreWindow } from './instances';

/** Whether `b` belongs to the instance `source` names (its identifier or its ARN). */
function isOf(b: DBInstanceAutomatedBackup, source: string): boolean {
  if (parseArn(source)) return b.DBInstanceArn === source;
  return b.DBInstanceIdentifier?.toLowerCase() === source.toLowerCase();
}

/**
 * The automated backups in `region` (`rds`'s) of the instance `source` (identifier or DB
 * instance ARN), or of the ARN `arn` when given (then only those, if they are `source`'s):
 * `replicated`, replicas from another region (their `Region` is the source's), and `own`, an
 * instance of `region`'s own. Calls: rds:DescribeDBInstanceAutomatedBackups (shared/calls-cli.ts).
 */
export async function replicatedBackupsOf(rds: RDSClient, region: string, source: string, arn?: string): Promise<{ replicated: DBInstanceAutomatedBackup[]; own: DBInstanceAutomatedBackup[] }> {
  const replicated: DBInstanceAutomatedBackup[] = [];
  const own: DBInstanceAutomatedBackup[] = [];
  try {
    for await (const page of paginateDescribeDBInstanceAutomatedBackups({ client: rds }, arn ? { DBInstanceAutomatedBackupsArn: arn } : {})) {
      for (const b of page.DBInstanceAutomatedBackups ?? []) {
        if ((arn && b.DBInstanceAutomatedBackupsArn !== arn) || !isOf(b, source)) continue;
        // RDS names the source's region in a replica; an instance's own backups name its own (moto: none).
        if (b.Region && b.Region !== region) replicated.push(b);
        else own.push(b);
      }
    }
  } catch (e) {
    if ((e as { name?: string }).name === 'DBInstanceAutomatedBackupNotFoundFault') return { replicated, own };
    throw e;
  }
  return { replicated, own };
}

/** The window the replicated backups can be restored to: their RestoreWindow. */
export function replicatedWindow(b: DBInstanceAutomatedBackup, region: string): RestoreWindow {
  return {
    earliest: b.RestoreWindow?.EarliestTime,
    latest: b.RestoreWindow?.LatestTime,
    earliestFrom: `DescribeDBInstanceAutomatedBackups RestoreWindow.EarliestTime (the replicated backups in ${region})`,
    latestFrom: `DescribeDBInstanceAutomatedBackups RestoreWindow.LatestTime (the replicated backups in ${region})`,
  };
}
