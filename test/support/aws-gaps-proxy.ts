/**
 * A proxy in front of moto for tests that run the bundled CLI in its own process: every request
 * goes to moto unchanged, but for what moto 5.2 cannot serve, each answered here and named:
 *
 * - AWS Backup ListRecoveryPointsByBackupVault (`GET /backup-vaults/{name}/recovery-points/`) and
 *   ListRecoveryPointsByResource (`GET /resources/{arn}/recovery-points/`): moto answers 404; here
 *   an empty list (no AWS Backup recovery points), the shape of AWS's answer.
 * - RDS DescribeDBInstanceAutomatedBackups: moto's automated backups carry no `RestoreWindow`, the
 *   field RDS publishes the restorable window in, so db-playbook falls back to the oldest
 *   automated snapshot, taken when moto created the instance a moment ago. Each backup gets a
 *   RestoreWindow from `earliestRestorableTime` to now, as a database with that much history has.
 */
import { startMotoProxy } from './moto-proxy';

/** A running proxy. */
export interface AwsGapsProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the CLI. */
  readonly url: string;
  /** What was answered here instead of by moto, as `<operation> <detail>`. */
  readonly answered: string[];
  close(): Promise<void>;
}

export async function startAwsGapsProxy(upstream: string, opts: { earliestRestorableTime: Date }): Promise<AwsGapsProxy> {
  const answered: string[] = [];
  const proxy = await startMotoProxy(upstream, {
    answer: (req) => {
      if (req.method !== 'GET') return undefined;
      const operation = /^\/backup-vaults\/[^/]+\/recovery-points\/?$/.test(req.path) ? 'ListRecoveryPointsByBackupVault'
        : /^\/resources\/.+\/recovery-points\/?$/.test(req.path) ? 'ListRecoveryPointsByResource' : undefined;
      if (!operation) return undefined;
      answered.push(`${operation} ${req.path}`);
      return { RecoveryPoints: [] };
    },
    rewrite: (req, body) => {
      // moto never sends a RestoreWindow; should a later moto do, its own window stands.
      if (req.form.get('Action') !== 'DescribeDBInstanceAutomatedBackups' || body.includes('<RestoreWindow>') || !body.includes('<DBInstanceAutomatedBackup>')) return body;
      answered.push('DescribeDBInstanceAutomatedBackups RestoreWindow');
      const window = `<RestoreWindow><EarliestTime>${opts.earliestRestorableTime.toISOString()}</EarliestTime><LatestTime>${new Date().toISOString()}</LatestTime></RestoreWindow>`;
      return body.replaceAll('<DBInstanceAutomatedBackup>', `<DBInstanceAutomatedBackup>${window}`);
    },
  });
  return { url: proxy.url, answered, close: () => proxy.close() };
}
