import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { PostgresDatabase, PostgresMetrics } from '../../lib';

function build(interval?: Duration) {
  const stack = new Stack(new App(), 'Metrics');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const database = new PostgresDatabase(stack, 'Db', { vpc });
  const metrics = new PostgresMetrics(stack, 'Metrics', { database, interval });
  return { stack, database, metrics, get template() { return Template.fromStack(stack); } };
}

describe('PostgresMetrics', () => {
  const b = build();
  const fnId = b.stack.getLogicalId(b.metrics.collector.node.defaultChild as never);

  test('a prebundled Node.js function in the VPC, run every minute without retries', () => {
    const fn = b.template.findResources('AWS::Lambda::Function')[fnId];
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Timeout: 30 });
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBeGreaterThanOrEqual(2);
    b.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  test('reads the monitoring user\'s secret (not the master\'s) and reaches the database port', () => {
    const vars = b.template.findResources('AWS::Lambda::Function')[fnId].Properties.Environment.Variables;
    expect(vars).toMatchObject({ SECRET_ARN: { Ref: expect.stringMatching(/^MetricsUserSecretAttachment/) }, METRIC_NAMESPACE: 'CdkDbPlaybook/PostgreSQL', DB_NAME: 'app' });
    const fromCollector = Object.values(b.template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.SourceSecurityGroupId).includes('MetricsSecurityGroup'));
    expect(fromCollector).toEqual([expect.objectContaining({ FromPort: 5433, ToPort: 5433, IpProtocol: 'tcp' })]);
  });

  test('metric() names the collector\'s namespace and the instance', () => {
    const m = b.metrics.metric('BufferCacheHitRatio');
    expect(m.namespace).toBe('CdkDbPlaybook/PostgreSQL');
    expect(b.stack.resolve(m.dimensions)).toEqual({ DBInstanceIdentifier: { Ref: b.stack.getLogicalId(b.database.instance.node.defaultChild as never) } });
  });

  test('fails when the interval is outside 1-60 minutes', () => {
    expect(() => build(Duration.hours(2))).toThrow(/interval must be an integer from 1 to 60 minutes \(got 120 minutes\)/);
  });
});
