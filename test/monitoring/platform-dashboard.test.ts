import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ConnectionPool, PlatformAlarms, PlatformDashboard, PostgresDatabase, ReadReplicas, RedisCache } from '../../lib';
import { proxiedUser } from '../support/app';

test('one dashboard: alarm states first, then database, replicas, proxy and cache widgets', () => {
  const stack = new Stack(new App(), 'Dash');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const database = new PostgresDatabase(stack, 'Db', { vpc });
  const replicas = new ReadReplicas(stack, 'Replicas', { source: database, count: 2 }).replicas;
  const pool = new ConnectionPool(stack, 'Pool', { database, users: [proxiedUser(database)] });
  const cache = new RedisCache(stack, 'Cache', { vpc });
  const alarms = new PlatformAlarms(stack, 'Alarms', { database, replicas, pool, cache });
  new PlatformDashboard(stack, 'Dashboard', { database, replicas, pool, cache, alarms });

  const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  expect(Object.keys(dashboards)).toHaveLength(1);
  const body = JSON.stringify(stack.resolve(Object.values(dashboards)[0].Properties.DashboardBody));
  const widgets = JSON.parse(JSON.parse(body)['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN')).join('')).widgets as Array<{
    type: string; properties: { title: string; alarms?: string[] };
  }>;
  // The alarm status widget comes first and lists every alarm.
  expect(widgets[0].type).toBe('alarm');
  expect(widgets[0].properties.alarms).toHaveLength(Object.keys(alarms.alarms).length);
  const titles = widgets.map((w) => w.properties.title);
  expect(titles).toEqual(expect.arrayContaining([
    'Database CPU %', 'Database connections', 'Free storage', 'Read / write latency p90 (s)', 'Replica lag (s)',
    'Proxy: client / database connections', 'Cache engine CPU %', 'Queries > 5 s / slow statements logged',
  ]));
  const lag = JSON.stringify(widgets.find((w) => w.properties.title === 'Replica lag (s)'));
  expect(lag.match(/ReplicaLag/g)).toHaveLength(2);
});
