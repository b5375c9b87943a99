import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConnectionPool, ConnectionPoolOptions, PostgresDatabase } from '../../lib';
import { proxiedUser, stackWithVpc } from '../support/app';

function build(options: ConnectionPoolOptions = {}) {
  const { stack, vpc } = stackWithVpc();
  const db = new PostgresDatabase(stack, 'Db', { vpc });
  const pool = new ConnectionPool(stack, 'Pool', { database: db, users: [proxiedUser(db)], ...options });
  return { stack, vpc, db, pool, get template() { return Template.fromStack(stack); } };
}

const sgRef = (stack: import('aws-cdk-lib').Stack, sg: ec2.ISecurityGroup) =>
  ({ 'Fn::GetAtt': [stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] });

describe('ConnectionPool defaults', () => {
  const { template, stack, db, pool } = build();

  test('fronts the primary instance with TLS and IAM authentication required', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      DebugLogging: false,
      // The application user's secret: the proxy never serves the master.
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: Match.stringLikeRegexp('^DbUserappuserSecretAttachment') } })],
      IdleClientTimeout: 1800,
    });
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      DBInstanceIdentifiers: [{ Ref: stack.getLogicalId(db.instance.node.defaultChild as ec2.CfnInstance) }],
      ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 70, MaxIdleConnectionsPercent: 35, ConnectionBorrowTimeout: 30 },
    });
  });

  test('has a unique proxy name, not the construct id', () => {
    const name = template.findResources('AWS::RDS::DBProxy')[stack.getLogicalId(pool.proxy.node.defaultChild as ec2.CfnInstance)].Properties.DBProxyName;
    expect(name).toMatch(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/);
    expect(name).not.toBe('Resource');
    expect(name).toContain('Pool');
  });

  test('has its own security group, open only to the database', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', { VpcSecurityGroupIds: [sgRef(stack, pool.securityGroup)] });
    // No inline egress (so no allow-all): its only way out is the rule to the database.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^RDS Proxy'),
      SecurityGroupEgress: Match.absent(),
    });
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: sgRef(stack, pool.securityGroup) } }));
    expect(egress.map((e) => e.Properties.DestinationSecurityGroupId)).toEqual([sgRef(stack, db.securityGroups[0])]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: sgRef(stack, db.securityGroups[0]), SourceSecurityGroupId: sgRef(stack, pool.securityGroup),
    });
  });

  test('has a role that can only read the secrets of the users it serves', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PoolIAMRole') }] } });
    const statements = (Object.values(policies)[0] as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } })
      .Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^DbUserappuserSecretAttachment/) } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DbKey/), 'Arn'] } },
    ]);
  });

  test('listens on 5432 whatever the database port', () => {
    expect(pool.port).toBe(5432);
    expect(db.port).toBe(5433);
  });
});

describe('ConnectionPool exposes', () => {
  test('connections on 5432 and grantConnect as rds-db:connect on the proxy', () => {
    const { stack, vpc, pool, db } = build();
    const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
    pool.connections.allowDefaultPortFrom(client);
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pool.grantConnect(role, 'app_user');
    // The proxy logs in with the user's secret: a user it has none for (the master included) cannot connect through it.
    expect(() => pool.grantConnect(role, 'dbadmin')).toThrow(/dbUser 'dbadmin' cannot log in through the proxy: .* this proxy has one for 'app_user' only/);
    expect(pool.users).toEqual(['app_user']);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432, ToPort: 5432, GroupId: sgRef(stack, pool.securityGroup), SourceSecurityGroupId: sgRef(stack, client),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'rds-db:connect', Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':dbuser:', '/app_user'])] }) })] },
    });
    expect(db.addConnectionPool).toBeDefined();
  });

  test('database.addConnectionPool adds a proxy', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    db.addConnectionPool('Proxy', { maxConnectionsPercent: 50, users: [proxiedUser(db)] });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      ConnectionPoolConfigurationInfo: Match.objectLike({ MaxConnectionsPercent: 50 }),
    });
  });

  test('metric hooks for availability, borrow latency, pinned sessions and connections', () => {
    const { stack, pool } = build();
    const proxyName = stack.resolve(pool.proxy.dbProxyName);
    const cases: Array<[ReturnType<ConnectionPool['metric']>, string, string]> = [
      [pool.metricBorrowLatency(), 'DatabaseConnectionsBorrowLatency', 'p90'],
      // Published per proxy node: Sum is the proxy's total (AWS's guidance for these counts).
      [pool.metricPinnedSessions(), 'DatabaseConnectionsCurrentlySessionPinned', 'Sum'],
      [pool.metricDatabaseConnections(), 'DatabaseConnections', 'Sum'],
      [pool.metricClientConnections(), 'ClientConnections', 'Sum'],
      [pool.metricDatabaseConnectionsSetupFailed(), 'DatabaseConnectionsSetupFailed', 'Sum'],
      [pool.metricClientConnectionsSetupFailedAuth(), 'ClientConnectionsSetupFailedAuth', 'Sum'],
    ];
    for (const [metric, name, statistic] of cases) {
      expect({ ns: metric.namespace, name: metric.metricName, statistic: metric.statistic, dims: stack.resolve(metric.dimensions) })
        .toEqual({ ns: 'AWS/RDS', name, statistic, dims: { ProxyName: proxyName } });
    }
    const availability = pool.metricAvailabilityPercentage();
    expect(stack.resolve(availability.dimensions)).toEqual({ ProxyName: proxyName, TargetGroup: 'default', TargetRole: 'READ_WRITE' });
    expect(availability.metricName).toBe('AvailabilityPercentage');
    expect(availability.statistic).toBe('Average');
  });
});

describe('ConnectionPool bad input', () => {
  test.each([
    [{ maxConnectionsPercent: 0 }, /maxConnectionsPercent must be an integer from 1 to 100 % \(got 0 %\)/],
    [{ maxConnectionsPercent: 101 }, /maxConnectionsPercent must be an integer from 1 to 100 % \(got 101 %\)/],
    [{ maxIdleConnectionsPercent: -5 }, /maxIdleConnectionsPercent must be an integer from 0 to 100 % \(got -5 %\)/],
    [{ maxConnectionsPercent: 40, maxIdleConnectionsPercent: 50 }, /maxIdleConnectionsPercent must not exceed maxConnectionsPercent \(got 50 % > 40 %\)/],
    [{ borrowTimeout: Duration.seconds(3601) }, /borrowTimeout must be an integer from 0 to 3600 seconds \(got 3601 seconds\)/],
    [{ idleClientTimeout: Duration.hours(9) }, /idleClientTimeout must be an integer from 1 to 28800 seconds \(got 32400 seconds\)/],
  ] as Array<[ConnectionPoolOptions, RegExp]>)('fails when %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });
});
