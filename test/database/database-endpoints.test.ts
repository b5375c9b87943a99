import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import {
  ConnectionPool, DatabaseEndpoints, DatabaseEndpointsOptions, DataPlatform, PostgresDatabase, ReadReplicas,
} from '../../lib';
import { proxiedUser, stackWithVpc } from '../support/app';

function build(opts: { replicas?: number; pool?: boolean } & DatabaseEndpointsOptions = {}) {
  const { replicas = 2, pool = true, ...options } = opts;
  const { stack, vpc } = stackWithVpc();
  const db = new PostgresDatabase(stack, 'Db', { vpc });
  const group = new ReadReplicas(stack, 'Replicas', { source: db, count: replicas });
  const writer = proxiedUser(db, 'app_user');
  const reader = proxiedUser(db, 'app_reader');
  const proxy = pool ? new ConnectionPool(stack, 'Pool', { database: db, users: [writer, reader] }) : undefined;
  const endpoints = new DatabaseEndpoints(stack, 'Endpoints', { database: db, pool: proxy, replicas: group.replicas, writerUser: writer, readerUser: reader, ...options });
  return { stack, vpc, db, group, proxy, endpoints, get template() { return Template.fromStack(stack); } };
}

const logicalId = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('DatabaseEndpoints names', () => {
  const { template, stack, proxy, group, vpc } = build();

  test('creates a private hosted zone db.internal in the VPC', () => {
    template.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: 'db.internal.',
      VPCs: [{ VPCId: { Ref: logicalId(stack, vpc) }, VPCRegion: Match.anyValue() }],
    });
  });

  test('points writer.<zone> at the RDS Proxy', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'writer.db.internal.', Type: 'CNAME', TTL: '10',
      ResourceRecords: [{ 'Fn::GetAtt': [logicalId(stack, proxy!.proxy), 'Endpoint'] }],
    });
  });

  test('spreads reader.<zone> evenly over the replicas with weighted records', () => {
    const readers = Object.values(template.findResources('AWS::Route53::RecordSet', { Properties: { Name: 'reader.db.internal.' } }))
      .map((r) => r.Properties);
    expect(readers).toHaveLength(2);
    expect(readers.map((r) => r.Weight)).toEqual([1, 1]);
    expect(new Set(readers.map((r) => r.SetIdentifier)).size).toBe(2);
    expect(readers.map((r) => r.ResourceRecords[0])).toEqual(
      group.replicas.map((r) => ({ 'Fn::GetAtt': [logicalId(stack, r.instance), 'Endpoint.Address'] })));
    expect(readers.every((r) => r.HealthCheckId === undefined)).toBe(true);
  });

  test('publishes the connection details in SSM, never a password', () => {
    const parameters = Object.values(template.findResources('AWS::SSM::Parameter')).map((p) => p.Properties);
    expect(parameters.map((p) => p.Name).sort()).toEqual([
      // Under the database's construct path: two databases in one stack never share one.
      '/Test/Db/database-name', '/Test/Db/primary-url', '/Test/Db/reader-host', '/Test/Db/reader-port',
      '/Test/Db/replica-secret-arn', '/Test/Db/replica-url', '/Test/Db/secret-arn', '/Test/Db/writer-host', '/Test/Db/writer-port',
    ]);
    const byName = Object.fromEntries(parameters.map((p) => [p.Name, p.Value]));
    expect(byName['/Test/Db/primary-url']).toBe('postgresql://app_user@writer.db.internal:5432/app?sslmode=verify-full');
    expect(byName['/Test/Db/replica-url']).toBe('postgresql://app_reader@reader.db.internal:5433/app?sslmode=verify-full');
    // No value carries a credential, not even as a dynamic reference.
    expect(JSON.stringify(Object.values(byName))).not.toMatch(/:[^:@/]+@|password|resolve:secretsmanager/i);
  });
});

describe('DatabaseEndpoints without replicas or proxy', () => {
  test('reader.<zone> points where writer.<zone> does, on the writer\'s port', () => {
    const { template, stack, proxy, endpoints } = build({ replicas: 0 });
    const target = [{ 'Fn::GetAtt': [logicalId(stack, proxy!.proxy), 'Endpoint'] }];
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'reader.db.internal.', ResourceRecords: target, Weight: Match.absent() });
    expect(endpoints.readerPort).toBe(5432);
  });

  test('writer.<zone> points at the instance without a proxy', () => {
    const { template, stack, db, endpoints } = build({ replicas: 0, pool: false });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'writer.db.internal.', ResourceRecords: [{ 'Fn::GetAtt': [logicalId(stack, db.instance), 'Endpoint.Address'] }],
    });
    expect([endpoints.writerPort, endpoints.readerPort]).toEqual([5433, 5433]);
  });
});

describe('DatabaseEndpoints options', () => {
  test('uses an existing private zone', () => {
    const { stack, vpc } = stackWithVpc();
    const zone = new route53.PrivateHostedZone(stack, 'Corp', { zoneName: 'corp.example', vpc });
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    const endpoints = new DatabaseEndpoints(stack, 'Endpoints', { database: db, zone, writerUser: proxiedUser(db) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Route53::HostedZone', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'writer.corp.example.', HostedZoneId: { Ref: logicalId(stack, zone) } });
    expect(endpoints.writerHost).toBe('writer.corp.example');
  });

  test('takes a lagging replica out of the rotation with an alarm-based health check', () => {
    const { template, stack, group } = build({ removeLaggingReplicas: true });
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(2);
    for (const [i, replica] of group.replicas.entries()) {
      const [alarmId] = Object.entries(alarms).find(([, a]) =>
        JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'DBInstanceIdentifier', Value: { Ref: logicalId(stack, replica.instance) } }]))!;
      expect(alarms[alarmId].Properties).toMatchObject({
        MetricName: 'ReplicaLag', Namespace: 'AWS/RDS', Statistic: 'Maximum', Period: 60,
        Threshold: 60, EvaluationPeriods: 10, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'breaching',
      });
      const checks = template.findResources('AWS::Route53::HealthCheck', {
        Properties: { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: { Ref: alarmId } } } },
      });
      const [checkId] = Object.keys(checks);
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'reader.db.internal.', SetIdentifier: `replica-${i + 1}`, HealthCheckId: { Ref: checkId },
      });
    }
  });

  test('parameterPrefix and ttl', () => {
    const { template } = build({ parameterPrefix: '/orders/db', ttl: Duration.seconds(5) });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/orders/db/writer-host' });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'writer.db.internal.', TTL: '5' });
  });
});

describe('wiring an application', () => {
  function appFunction(stack: Stack, vpc: ec2.IVpc) {
    return new lambda.Function(stack, 'Api', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1'), vpc,
    });
  }

  test('connectFunction sets the URLs, hosts, ports and secret ARN, never a password', () => {
    const { stack, vpc, endpoints, db } = build();
    const fn = appFunction(stack, vpc);
    endpoints.connectFunction(fn);
    const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function')[logicalId(stack, fn)].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      DB_PRIMARY_URL: 'postgresql://app_user@writer.db.internal:5432/app?sslmode=verify-full',
      DB_REPLICA_URL: 'postgresql://app_reader@reader.db.internal:5433/app?sslmode=verify-full',
      DB_PRIMARY_HOST: 'writer.db.internal', DB_PRIMARY_PORT: '5432',
      DB_REPLICA_HOST: 'reader.db.internal', DB_REPLICA_PORT: '5433',
      DB_NAME: 'app', DB_USER: 'app_user', DB_REPLICA_USER: 'app_reader', DB_SSLMODE: 'verify-full',
      // The users' own secrets, never the master's.
      DB_SECRET_ARN: { Ref: expect.stringMatching(/^DbUserappuserSecretAttachment/) },
      DB_REPLICA_SECRET_ARN: { Ref: expect.stringMatching(/^DbUserappreaderSecretAttachment/) },
      DB_PRIMARY_IAM_HOST: { 'Fn::GetAtt': [expect.stringMatching(/^Pool/), 'Endpoint'] },
      // TLS: the RDS CA bundle pinned (not added to Node's roots), names the certificates carry.
      DB_CA_FILE: '/var/runtime/ca-cert.pem',
      DB_PRIMARY_TLS_NAME: { 'Fn::GetAtt': [expect.stringMatching(/^Pool/), 'Endpoint'] },
      DB_REPLICA_TLS_NAMES: { 'Fn::Join': [',', [
        { 'Fn::GetAtt': [expect.stringMatching(/^ReplicasReplica1/), 'Endpoint.Address'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^ReplicasReplica2/), 'Endpoint.Address'] },
      ]] },
    });
    expect(variables.NODE_EXTRA_CA_CERTS).toBeUndefined();
    expect(JSON.stringify(variables)).not.toMatch(/password|resolve:secretsmanager|sslmode=verify-ca|DbSecretAttachment/i);
    expect(db.databaseName).toBe('app');
  });

  test('connectFunction opens the proxy (5432) and the replicas\' own groups (5433), not the primary, and grants connect and the users\' secrets', () => {
    const { stack, vpc, endpoints, proxy, db, group } = build();
    const fn = appFunction(stack, vpc);
    endpoints.connectFunction(fn);
    const template = Template.fromStack(stack);
    const fnSg = { 'Fn::GetAtt': [logicalId(stack, fn.connections.securityGroups[0]), 'GroupId'] };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(stack, proxy!.securityGroup), 'GroupId'] }, SourceSecurityGroupId: fnSg, FromPort: 5432, ToPort: 5432,
    });
    for (const replica of group.replicas) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [logicalId(stack, replica.securityGroup), 'GroupId'] }, SourceSecurityGroupId: fnSg, FromPort: 5433, ToPort: 5433,
      });
    }
    // The primary is not opened to the client: it would reach it past the proxy and its IAM authentication.
    const intoPrimary = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, db.securityGroups[0]), 'GroupId'] })
      && JSON.stringify(r.Properties.SourceSecurityGroupId) === JSON.stringify(fnSg));
    expect(intoPrimary).toEqual([]);
    // Nothing grants the function the master secret.
    const masterRef = stack.resolve(db.secret.secretArn).Ref as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, fn.role!) }] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['rds-db:connect', 'secretsmanager:GetSecretValue']));
    // Decrypting the secret: the key policy names the function's role, through Secrets Manager only.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'kms:Decrypt', Principal: { AWS: { 'Fn::GetAtt': [logicalId(stack, fn.role!), 'Arn'] } },
        Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
      })]) },
    });
    expect(JSON.stringify(statements)).not.toContain(masterRef);
    expect(JSON.stringify(statements)).toContain('/app_user');
    expect(JSON.stringify(statements)).toContain('/app_reader');
    expect(JSON.stringify(statements)).not.toContain('/dbadmin');
  });

  test('a dbUser the proxy holds no secret for is refused: IAM auth through RDS Proxy logs in with the user\'s secret', () => {
    const { stack, vpc, endpoints } = build();
    const fn = appFunction(stack, vpc);
    const message = /dbUser 'orders_app' cannot log in through the proxy: RDS Proxy logs in to the database with the user's Secrets Manager secret, also under IAM authentication, and this proxy has one for 'app_user', 'app_reader' only\. Use one of those, or connect as 'orders_app' to the instance itself \(PostgresDatabase\.grantConnect/;
    expect(() => endpoints.connectFunction(fn, { dbUser: 'orders_app' })).toThrow(message);
    expect(() => endpoints.environment({ dbUser: 'orders_app' })).toThrow(message);
    expect(() => endpoints.connectFunction(fn, { dbUser: 'dbadmin' })).toThrow(/dbUser 'dbadmin' cannot log in through the proxy/);
    expect(() => endpoints.connectFunction(fn, { dbUser: 'app_user' })).not.toThrow();
  });

  test('grantAccess works for any IConnectable + IGrantable', () => {
    const { stack, vpc, endpoints } = build();
    const sg = new ec2.SecurityGroup(stack, 'Service', { vpc });
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    endpoints.grantAccess(sg, role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, sg), 'GroupId'] }, FromPort: 5432 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, role) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'rds-db:connect' })]) },
    });
  });

  test('DataPlatform.connectFunction wires through its endpoints', () => {
    const stack = new Stack(new App(), 'P');
    const platform = new DataPlatform(stack, 'Data');
    const fn = appFunction(stack, platform.vpc);
    platform.connectFunction(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      // The platform's application user through the proxy, its secret: never the master's.
      Environment: { Variables: Match.objectLike({
        DB_PRIMARY_URL: 'postgresql://app_writer@writer.db.internal:5432/app?sslmode=verify-full',
        DB_REPLICA_URL: 'postgresql://app_reader@reader.db.internal:5433/app?sslmode=verify-full',
        DB_SECRET_ARN: { Ref: Match.stringLikeRegexp('^DataDatabaseApplicationUserSecretAttachment') },
        DB_REPLICA_SECRET_ARN: { Ref: Match.stringLikeRegexp('^DataDatabaseReadOnlyUserSecretAttachment') },
      }) },
    });
  });
});

describe('DatabaseEndpoints bad input', () => {
  test.each([
    [{ zoneName: 'internal' }, /zoneName must be a lower-case DNS name with at least two labels.*\(got 'internal'\)/],
    [{ zoneName: 'DB.Internal' }, /zoneName must be a lower-case DNS name.*\(got 'DB.Internal'\)/],
    [{ ttl: Duration.hours(2) }, /ttl must be an integer from 1 to 3600 seconds \(got 7200 seconds\)/],
    [{ replicaLagEvaluationPeriods: 0 }, /replicaLagEvaluationPeriods must be an integer from 1 to 60 \(got 0\)/],
    [{ replicaLagThreshold: Duration.seconds(0) }, /replicaLagThreshold must be an integer from 1 to 86400 seconds \(got 0 seconds\)/],
    [{ parameterPrefix: 'db/' }, /parameterPrefix must start with '\/'.*\(got 'db\/'\)/],
  ] as Array<[DatabaseEndpointsOptions, RegExp]>)('fails when %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  test('fails when zone is combined with zoneName', () => {
    const { stack, vpc } = stackWithVpc();
    const zone = new route53.PrivateHostedZone(stack, 'Corp', { zoneName: 'corp.example', vpc });
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    expect(() => new DatabaseEndpoints(stack, 'E', { database: db, zone, zoneName: 'db.internal', writerUser: proxiedUser(db) })).toThrow(/zone cannot be combined with zoneName/);
  });

  test('fails without a writer user: no client of the endpoints is handed the master', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    expect(() => new DatabaseEndpoints(stack, 'E', { database: db } as never)).toThrow(/writerUser is required: .* the master user is never handed to a client/);
  });

  test('fails for a pool without users: the proxy never serves the master', () => {
    const { stack, vpc } = stackWithVpc();
    const db = new PostgresDatabase(stack, 'Db', { vpc });
    expect(() => new ConnectionPool(stack, 'P', { database: db })).toThrow(/users must name the users the proxy serves \(got none\)/);
  });

  test('fails when a second zone of the same name would go into the same VPC, naming the first', () => {
    const { stack, vpc } = stackWithVpc();
    const orders = new PostgresDatabase(stack, 'Orders', { vpc });
    const billing = new PostgresDatabase(stack, 'Billing', { vpc });
    new DatabaseEndpoints(stack, 'OrdersNames', { database: orders, writerUser: proxiedUser(orders) });
    expect(() => new DatabaseEndpoints(stack, 'BillingNames', { database: billing, writerUser: proxiedUser(billing) }))
      .toThrow(/zoneName 'db\.internal' is already the private zone of Test\/OrdersNames in the same VPC, and a VPC holds one zone per name: give this one another zoneName \(e\.g\. 'test\.db\.internal'\)/);
    expect(() => new DatabaseEndpoints(stack, 'BillingNames2', { database: billing, zoneName: 'billing.db.internal', writerUser: proxiedUser(billing) })).not.toThrow();
  });

  test('two databases in one stack publish under their own parameter paths', () => {
    const { stack, vpc } = stackWithVpc();
    const a = new PostgresDatabase(stack, 'A', { vpc });
    const b = new PostgresDatabase(stack, 'B', { vpc });
    new DatabaseEndpoints(stack, 'AN', { database: a, zoneName: 'a.db.internal', writerUser: proxiedUser(a) });
    new DatabaseEndpoints(stack, 'BN', { database: b, zoneName: 'b.db.internal', writerUser: proxiedUser(b) });
    const names = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Parameter')).map((p) => p.Properties.Name as string);
    expect(names).toHaveLength(18);
    expect(new Set(names).size).toBe(18);
  });

});
