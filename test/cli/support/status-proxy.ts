/**
 * An HTTP proxy in front of moto that reports one DB instance in another state: moto makes a
 * restored instance 'available' at once, and a test of what happens while a restore is still
 * running needs it to stay 'creating'. Every request goes to moto unchanged; only the answers to
 * DescribeDBInstances for `instanceId` (RDS's query protocol, XML) have their DBInstanceStatus
 * replaced. For tests that run the bin in its own process, where no SDK call can be spied on.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

/** A running proxy. */
export interface StatusProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the bin. */
  readonly url: string;
  /** How many DescribeDBInstances of the instance it answered. */
  polls(): number;
  close(): Promise<void>;
}

export async function startStatusProxy(upstream: string, instanceId: string, status: string): Promise<StatusProxy> {
  const target = new URL(upstream);
  let polls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const rewrite = form.get('Action') === 'DescribeDBInstances' && form.get('DBInstanceIdentifier') === instanceId;
      const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          let out = Buffer.concat(parts);
          if (rewrite && answer.statusCode === 200) {
            polls++;
            out = Buffer.from(out.toString('utf8').replace(/<DBInstanceStatus>[^<]*<\/DBInstanceStatus>/g, `<DBInstanceStatus>${status}</DBInstanceStatus>`));
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
    polls: () => polls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
