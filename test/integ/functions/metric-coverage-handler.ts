/**
 * The integration test's metric checks (outside the VPC: CloudWatch's public endpoint).
 * Event: `{ metrics: WatchedMetric[], withinMinutes?: number }`. Without `withinMinutes`, each
 * metric must be listed (ListMetrics: it has data); with it, GetMetricData must return a
 * datapoint of the last `withinMinutes`. Answer: `{ checked, missing }`, `missing` empty when
 * every metric passed. The assertion retries it until then or its timeout.
 */
import { createRequire } from 'module';
import { ListedMetric, MetricDataResult, metricsWithoutDatapoint, missingMetrics, WatchedMetric } from './metric-coverage';

/** The part of @aws-sdk/client-cloudwatch used here. */
interface CloudWatchModule {
  CloudWatchClient: new (config: object) => {
    send(command: unknown): Promise<{ Metrics?: ListedMetric[]; MetricDataResults?: MetricDataResult[]; NextToken?: string }>;
  };
  ListMetricsCommand: new (input: object) => unknown;
  GetMetricDataCommand: new (input: object) => unknown;
}

// The Lambda Node.js runtime's AWS SDK (left out of the bundle): @aws-sdk/client-cloudwatch is
// not a dependency of this package, so it is loaded by a name the compiler does not resolve, with
// require (which searches the runtime's NODE_PATH; import() would not).
const CLOUDWATCH_MODULE = '@aws-sdk/client-cloudwatch';

export async function handler(event: { metrics?: WatchedMetric[]; withinMinutes?: number }): Promise<{ checked: number; missing: string[] }> {
  const metrics = event.metrics ?? [];
  if (metrics.length === 0) throw new Error('the event names no metric to check ({ metrics: [...] })');
  const { CloudWatchClient, ListMetricsCommand, GetMetricDataCommand } = createRequire(__filename)(CLOUDWATCH_MODULE) as CloudWatchModule;
  const cloudwatch = new CloudWatchClient({});
  const missing = event.withinMinutes
    ? await metricsWithoutDatapoint(metrics, event.withinMinutes, async (request) => (await cloudwatch.send(new GetMetricDataCommand(request))).MetricDataResults ?? [])
    : await missingMetrics(metrics, async (request) => {
      const listed: ListedMetric[] = [];
      let NextToken: string | undefined;
      do {
        const page = await cloudwatch.send(new ListMetricsCommand({ ...request, NextToken }));
        listed.push(...(page.Metrics ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return listed;
    });
  console.log(JSON.stringify({ checked: metrics.length, missing }));
  return { checked: metrics.length, missing };
}
