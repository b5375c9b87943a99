/**
 * The metrics a stack's alarms (single-metric and metric-math) and dashboards watch, as
 * CloudWatch is asked for them, with the templates' intrinsics resolved.
 */
import type { SynthesizedApp } from './synthesized-apps';
import type { StackTemplate } from './template-resolver';

/** One metric as CloudWatch is asked for it. */
export interface WatchedMetric {
  readonly where: string;
  /** The alarm's or dashboard's logical id. */
  readonly logicalId: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: string;
}

type Dim = { Name: string; Value: string };
const dims = (list: Dim[] | undefined) => Object.fromEntries((list ?? []).map((d) => [d.Name, String(d.Value)]));

/** The metrics of a stack's alarms (single-metric and metric-math) and dashboards, resolved. */
export function watched(app: Pick<SynthesizedApp, 'resolver'>, stack: StackTemplate): WatchedMetric[] {
  const out: WatchedMetric[] = [];
  for (const [id, r] of Object.entries(stack.template.Resources)) {
    if (r.Type === 'AWS::CloudWatch::Alarm') {
      const p = app.resolver.resolve(stack, r.Properties) as Record<string, unknown>;
      const where = `${stack.stackName}/${id}`;
      if (p.Metrics) {
        for (const m of p.Metrics as Array<{ MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Dim[] }; Stat: string } }>) {
          if (!m.MetricStat) continue;
          const { Metric, Stat } = m.MetricStat;
          out.push({ where, logicalId: id, namespace: Metric.Namespace, metricName: Metric.MetricName, dimensions: dims(Metric.Dimensions), statistic: Stat });
        }
      } else {
        out.push({ where, logicalId: id, namespace: String(p.Namespace), metricName: String(p.MetricName), dimensions: dims(p.Dimensions as Dim[]), statistic: String(p.Statistic ?? p.ExtendedStatistic) });
      }
    }
    if (r.Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(String(app.resolver.resolve(stack, r.Properties?.DashboardBody))) as { widgets: Array<{ properties?: { title?: string; metrics?: unknown[][] } }> };
      for (const widget of body.widgets) {
        for (const m of widget.properties?.metrics ?? []) {
          if (typeof m[0] !== 'string') continue; // a math expression: its inputs are listed as metrics too
          const options = (typeof m[m.length - 1] === 'object' ? m[m.length - 1] : {}) as { stat?: string };
          const pairs = m.slice(2, typeof m[m.length - 1] === 'object' ? -1 : undefined).map(String);
          const dimensions = Object.fromEntries(pairs.flatMap((v, i) => (i % 2 === 0 ? [[v, pairs[i + 1]]] : [])));
          // A dashboard metric without a stat shows the Average.
          out.push({ where: `${stack.stackName}/${id} "${widget.properties?.title}"`, logicalId: id, namespace: String(m[0]), metricName: String(m[1]), dimensions, statistic: options.stat ?? 'Average' });
        }
      }
    }
  }
  return out;
}
