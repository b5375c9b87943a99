/**
 * The integration test's metric check (test/integ/functions/metric-coverage.ts) against moto's
 * CloudWatch: its ListMetrics requests (namespace, name, every dimension as a filter) and its
 * GetMetricData requests, sent over HTTP with the query protocol CloudWatch speaks. This
 * package has no @aws-sdk/client-cloudwatch (the deployed check uses the Lambda runtime's), so
 * the requests are encoded here, as the SDK encodes them. What only an account shows: that the
 * platform's metrics are published at all.
 */
import * as http from 'http';
import { isListed, ListedMetric, listMetricsRequest, MetricDataResult, metricDataRequest, metricsWithoutDatapoint, missingMetrics, WatchedMetric } from './functions/metric-coverage';
import { MotoServer, startMoto } from '../support/moto-server';

jest.setTimeout(120_000);
let moto: MotoServer;
beforeAll(async () => { moto = await startMoto(); });
afterAll(async () => { await moto?.stop(); });

/** One CloudWatch query-protocol call to moto; the XML answer. */
function call(action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2010-08-01', ...params }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(`${moto.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        // moto routes by the signing service of the credential scope.
        'authorization': 'AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0',
      },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${action}: HTTP ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function dimensionParams(prefix: string, dims: Array<{ Name: string; Value: string }>): Record<string, string> {
  return Object.fromEntries(dims.flatMap((d, i) => [[`${prefix}.member.${i + 1}.Name`, d.Name], [`${prefix}.member.${i + 1}.Value`, d.Value]]));
}

async function putDatapoint(namespace: string, metricName: string, dims: Record<string, string>, value: number): Promise<void> {
  await call('PutMetricData', {
    Namespace: namespace,
    'MetricData.member.1.MetricName': metricName,
    'MetricData.member.1.Value': String(value),
    ...dimensionParams('MetricData.member.1.Dimensions', Object.entries(dims).map(([Name, Value]) => ({ Name, Value }))),
  });
}

/** ListMetrics as the handler sends it, the answer parsed as the SDK would. */
async function listMetrics(request: ReturnType<typeof listMetricsRequest>): Promise<ListedMetric[]> {
  const xml = await call('ListMetrics', { Namespace: request.Namespace, MetricName: request.MetricName, ...dimensionParams('Dimensions', request.Dimensions) });
  const member = /<member>\s*(?:<Namespace>([^<]*)<\/Namespace>\s*<MetricName>([^<]*)<\/MetricName>|<MetricName>([^<]*)<\/MetricName>\s*<Namespace>([^<]*)<\/Namespace>)\s*<Dimensions>([\s\S]*?)<\/Dimensions>/g;
  return [...xml.matchAll(member)].map((m) => ({
    Namespace: m[1] ?? m[4],
    MetricName: m[2] ?? m[3],
    Dimensions: [...m[5].matchAll(/<Name>([^<]*)<\/Name>\s*<Value>([^<]*)<\/Value>/g)].map((d) => ({ Name: d[1], Value: d[2] })),
  }));
}

async function getMetricData(request: ReturnType<typeof metricDataRequest>): Promise<MetricDataResult[]> {
  const q = request.MetricDataQueries[0];
  const xml = await call('GetMetricData', {
    StartTime: request.StartTime.toISOString(),
    EndTime: request.EndTime.toISOString(),
    'MetricDataQueries.member.1.Id': q.Id,
    'MetricDataQueries.member.1.MetricStat.Metric.Namespace': q.MetricStat.Metric.Namespace,
    'MetricDataQueries.member.1.MetricStat.Metric.MetricName': q.MetricStat.Metric.MetricName,
    ...dimensionParams('MetricDataQueries.member.1.MetricStat.Metric.Dimensions', q.MetricStat.Metric.Dimensions),
    'MetricDataQueries.member.1.MetricStat.Period': String(q.MetricStat.Period),
    'MetricDataQueries.member.1.MetricStat.Stat': q.MetricStat.Stat,
  });
  return [...xml.matchAll(/<Id>([^<]*)<\/Id>[\s\S]*?<Values>([\s\S]*?)<\/Values>/g)].map((m) => ({
    Id: m[1],
    Values: [...m[2].matchAll(/<member>([^<]*)<\/member>/g)].map((v) => Number(v[1])),
  }));
}

const bchr: WatchedMetric = { alarm: 'BufferCacheHitRatio', namespace: 'CdkDbPlaybook/PostgreSQL', metricName: 'BufferCacheHitRatio', dimensions: { DBInstanceIdentifier: 'integ-db-1' } };
const node2: WatchedMetric = { alarm: 'CacheMemory', namespace: 'AWS/ElastiCache', metricName: 'DatabaseMemoryUsagePercentage', dimensions: { CacheClusterId: 'integ-cache-002' } };

test('a published metric is listed with its dimension; one of another instance, or of a superset of dimensions, is not', async () => {
  await putDatapoint(bchr.namespace, bchr.metricName, bchr.dimensions, 99.7);
  // The same name and instance with one dimension more: ListMetrics returns it for the filter too.
  await putDatapoint(node2.namespace, node2.metricName, { CacheClusterId: 'integ-cache-002', CacheNodeId: '0001' }, 12);
  expect(await missingMetrics([bchr], listMetrics)).toEqual([]);
  const other = { ...bchr, dimensions: { DBInstanceIdentifier: 'integ-db-2' } };
  expect(await missingMetrics([other], listMetrics)).toEqual([`BufferCacheHitRatio: CdkDbPlaybook/PostgreSQL/BufferCacheHitRatio {"DBInstanceIdentifier":"integ-db-2"}`]);
  const listed = await listMetrics(listMetricsRequest(node2));
  expect(listed.length).toBeGreaterThan(0);
  expect(isListed(node2, listed)).toBe(false);
  await putDatapoint(node2.namespace, node2.metricName, node2.dimensions, 12);
  expect(await missingMetrics([node2], listMetrics)).toEqual([]);
});

test('an any-node alarm passes when one node publishes, and fails when none does', async () => {
  const lag = (node: string): WatchedMetric => ({ alarm: 'CacheReplicationLag', namespace: 'AWS/ElastiCache', metricName: 'ReplicationLag', dimensions: { CacheClusterId: node }, anyOf: true });
  expect(await missingMetrics([lag('lag-001'), lag('lag-002')], listMetrics)).toEqual([
    'CacheReplicationLag: none of 2 metrics listed (CacheReplicationLag: AWS/ElastiCache/ReplicationLag {"CacheClusterId":"lag-001"}; CacheReplicationLag: AWS/ElastiCache/ReplicationLag {"CacheClusterId":"lag-002"})',
  ]);
  // The replica publishes it; the primary never does.
  await putDatapoint('AWS/ElastiCache', 'ReplicationLag', { CacheClusterId: 'lag-002' }, 0.1);
  expect(await missingMetrics([lag('lag-001'), lag('lag-002')], listMetrics)).toEqual([]);
  // Without anyOf, the primary's missing metric is reported.
  expect(await missingMetrics([{ ...lag('lag-001'), anyOf: undefined }], listMetrics)).toHaveLength(1);
});

test('GetMetricData returns the datapoint of the last 10 minutes, and nothing for a metric never published', async () => {
  await putDatapoint(bchr.namespace, bchr.metricName, bchr.dimensions, 99.9);
  expect(await metricsWithoutDatapoint([bchr], 10, getMetricData)).toEqual([]);
  const never = { ...bchr, metricName: 'NeverPublished' };
  expect(await metricsWithoutDatapoint([never], 10, getMetricData)).toEqual([
    'BufferCacheHitRatio: CdkDbPlaybook/PostgreSQL/NeverPublished {"DBInstanceIdentifier":"integ-db-1"} has no datapoint in the last 10 minutes',
  ]);
  // A datapoint older than the window does not count.
  const later = () => new Date(Date.now() + 30 * 60_000);
  expect(await metricsWithoutDatapoint([bchr], 10, getMetricData, later)).toHaveLength(1);
});
