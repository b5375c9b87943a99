/**
 * Which alarm metrics CloudWatch has: one ListMetrics call per metric an alarm watches
 * (namespace, name and the full dimension set), a metric missing when CloudWatch lists none
 * with exactly those dimensions. ListMetrics lists a metric once it has a datapoint (of the
 * last two weeks), so "listed" is "has data".
 *
 * Pure but for the `list` callback (the handler passes CloudWatch's ListMetrics; the test, moto's).
 */

/** A metric an alarm watches, as the integ app reads it from the alarm at synth. */
export interface WatchedMetric {
  /** The alarm id in PlatformAlarms (`DatabaseCpu`, `CacheMemory`, ...). */
  readonly alarm: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: { [name: string]: string };
  /**
   * Set on the metrics of an alarm of which one must have data, not each: ReplicationLag, which
   * ElastiCache publishes for the replica nodes only (and which node is the replica changes with
   * a failover).
   */
  readonly anyOf?: boolean;
}

/** What ListMetrics answers, reduced to what is compared. */
export interface ListedMetric {
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: Array<{ Name?: string; Value?: string }>;
}

/** The ListMetrics request for one metric (the dimensions as filters, every one of them). */
export function listMetricsRequest(m: WatchedMetric): { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } {
  return {
    Namespace: m.namespace,
    MetricName: m.metricName,
    Dimensions: Object.entries(m.dimensions).sort(([a], [b]) => a.localeCompare(b)).map(([Name, Value]) => ({ Name, Value })),
  };
}

/** Whether `listed` holds `m` with exactly its dimension set (ListMetrics also returns supersets). */
export function isListed(m: WatchedMetric, listed: readonly ListedMetric[]): boolean {
  const want = Object.entries(m.dimensions).map(([k, v]) => `${k}=${v}`).sort().join(',');
  return listed.some((l) => l.Namespace === m.namespace && l.MetricName === m.metricName
    && (l.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).sort().join(',') === want);
}

/** `alarm: namespace/metric {dims}` for every metric CloudWatch does not list. */
export async function missingMetrics(
  metrics: readonly WatchedMetric[],
  list: (request: ReturnType<typeof listMetricsRequest>) => Promise<ListedMetric[]>,
): Promise<string[]> {
  const missing: string[] = [];
  const anyOf = new Map<string, { listed: boolean; names: string[] }>();
  for (const m of metrics) {
    const listed = isListed(m, await list(listMetricsRequest(m)));
    const name = `${m.alarm}: ${m.namespace}/${m.metricName} ${JSON.stringify(m.dimensions)}`;
    if (m.anyOf) {
      const group = anyOf.get(m.alarm) ?? { listed: false, names: [] };
      group.listed ||= listed;
      group.names.push(name);
      anyOf.set(m.alarm, group);
    } else if (!listed) {
      missing.push(name);
    }
  }
  for (const [alarm, group] of anyOf) {
    if (!group.listed) missing.push(`${alarm}: none of ${group.names.length} metrics listed (${group.names.join('; ')})`);
  }
  return missing;
}

/** A GetMetricData result, reduced to what is read. */
export interface MetricDataResult {
  readonly Id?: string;
  readonly Values?: number[];
}

/**
 * The GetMetricData query of `m` over the last `minutes` (1-minute periods, the statistic given),
 * ending a minute from now so that the current minute's datapoint is inside the window.
 */
export function metricDataRequest(m: WatchedMetric, minutes: number, stat: string, now: Date): {
  StartTime: Date; EndTime: Date; MetricDataQueries: Array<{ Id: string; MetricStat: { Metric: ReturnType<typeof listMetricsRequest>; Period: number; Stat: string } }>;
} {
  return {
    StartTime: new Date(now.getTime() - minutes * 60_000),
    EndTime: new Date(now.getTime() + 60_000),
    MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: listMetricsRequest(m), Period: 60, Stat: stat } }],
  };
}

/** `alarm: namespace/metric {dims}` for every metric without a datapoint in the last `minutes`. */
export async function metricsWithoutDatapoint(
  metrics: readonly WatchedMetric[],
  minutes: number,
  getData: (request: ReturnType<typeof metricDataRequest>) => Promise<MetricDataResult[]>,
  now: () => Date = () => new Date(),
): Promise<string[]> {
  const missing: string[] = [];
  for (const m of metrics) {
    const results = await getData(metricDataRequest(m, minutes, 'Minimum', now()));
    if (!results.some((r) => (r.Values ?? []).length > 0)) {
      missing.push(`${m.alarm}: ${m.namespace}/${m.metricName} ${JSON.stringify(m.dimensions)} has no datapoint in the last ${minutes} minutes`);
    }
  }
  return missing;
}
