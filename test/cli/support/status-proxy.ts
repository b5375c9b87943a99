/**
 * A proxy in front of moto that reports one DB instance in another state: moto makes a restored
 * instance 'available' at once, and a test of what happens while a restore is still running
 * needs it to stay 'creating'. Only the answers to DescribeDBInstances for `instanceId` (RDS's
 * query protocol, XML) have their DBInstanceStatus replaced. For tests that run the bin in its own
 * process, where no SDK call can be spied on.
 */
import { startMotoProxy } from '../../support/moto-proxy';

/** A running proxy. */
export interface StatusProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the bin. */
  readonly url: string;
  /** How many DescribeDBInstances of the instance it answered. */
  polls(): number;
  close(): Promise<void>;
}

export async function startStatusProxy(upstream: string, instanceId: string, status: string): Promise<StatusProxy> {
  let polls = 0;
  const proxy = await startMotoProxy(upstream, {
    rewrite: (req, body) => {
      if (req.form.get('Action') !== 'DescribeDBInstances' || req.form.get('DBInstanceIdentifier') !== instanceId) return body;
      polls++;
      return body.replace(/<DBInstanceStatus>[^<]*<\/DBInstanceStatus>/g, `<DBInstanceStatus>${status}</DBInstanceStatus>`);
    },
  });
  return { url: proxy.url, polls: () => polls, close: () => proxy.close() };
}
