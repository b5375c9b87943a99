/**
 * An HTTP proxy in front of moto for tests that run the bundled CLI in its own process (where no
 * SDK call can be spied on). Every request goes to moto unchanged, but for what moto 5.2 cannot
 * serve, each answered here and named:
 *
 * - AWS Backup ListRecoveryPointsByBackupVault (`GET /backup-vaults/{name}/recovery-points/`) and
 *   ListRecoveryPointsByResource (`GET /resources/{arn}/recovery-points/`): moto answers 404; here
 *   an empty list (no AWS Backup recovery points), the shape of AWS's answer.
 * - RDS DescribeDBInstanceAutomatedBackups: moto's automated backups carry no `RestoreWindow`, the
 *   field RDS publishes the restorable window in, so db-playbook falls back to the oldest
 *   automated snapshot, taken when moto created the instance a moment ago. Each backup gets a
 *   RestoreWindow from `earliestRestorableTime` to now, as a database with that much history has.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

/** A running proxy. */
export interface AwsGapsProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the CLI. */
  readonly url: string;
  /** The requests answered here instead of by moto, as `<what> <path>`. */
  readonly answered: string[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, body: unknown): void {
  const out = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(out.length) }).end(out);
}

export async function startAwsGapsProxy(upstream: string, opts: { earliestRestorableTime: Date }): Promise<AwsGapsProxy> {
  const target = new URL(upstream);
  const answered: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://proxy').pathname;
      if (req.method === 'GET' && /^\/backup-vaults\/[^/]+\/recovery-points\/?$/.test(path)) {
        answered.push(`ListRecoveryPointsByBackupVault ${path}`);
        return json(res, { RecoveryPoints: [] });
      }
      if (req.method === 'GET' && /^\/resources\/.+\/recovery-points\/?$/.test(path)) {
        answered.push(`ListRecoveryPointsByResource ${path}`);
        return json(res, { RecoveryPoints: [] });
      }
      const action = new URLSearchParams(body.toString('utf8')).get('Action');
      const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          let out = Buffer.concat(parts);
          if (action === 'DescribeDBInstanceAutomatedBackups' && answer.statusCode === 200) {
            const window = `<RestoreWindow><EarliestTime>${opts.earliestRestorableTime.toISOString()}</EarliestTime><LatestTime>${new Date().toISOString()}</LatestTime></RestoreWindow>`;
            const text = out.toString('utf8');
            // moto never sends one; should a later moto do, its own window stands.
            if (!text.includes('<RestoreWindow>') && text.includes('<DBInstanceAutomatedBackup>')) {
              answered.push('DescribeDBInstanceAutomatedBackups RestoreWindow');
              out = Buffer.from(text.replaceAll('<DBInstanceAutomatedBackup>', `<DBInstanceAutomatedBackup>${window}`));
            }
          }
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(out.length) }).end(out);
        });
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
