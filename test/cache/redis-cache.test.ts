import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CacheEngine, CachePurpose, Profile, RedisCache, RedisCacheOptions } from '../../lib';

function build(options: RedisCacheOptions & { profile?: Profile } = {}) {
  const stack = new Stack(new App(), 'Cache');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const cache = new RedisCache(stack, 'Cache', { vpc, ...options });
  return { stack, vpc, cache, get template() { return Template.fromStack(stack); } };
}

describe('RedisCache production defaults', () => {
  const { template, stack, cache } = build();
  const group = Object.values(template.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
  const p = group.Properties;

  test('Redis OSS 7.1, primary + replica, Multi-AZ with automatic failover', () => {
    expect(p).toMatchObject({ Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.m7g.large', NumCacheClusters: 2,
      MultiAZEnabled: true, AutomaticFailoverEnabled: true });
  });

  test('TLS required, encrypted at rest with a rotating customer key', () => {
    expect(p).toMatchObject({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'required', AtRestEncryptionEnabled: true });
    expect(p.KmsKeyId).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(cache.encryptionKey.node.defaultChild as never), 'Arn'] });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the AUTH token comes from Secrets Manager as a dynamic reference, never plaintext', () => {
    const token = JSON.stringify(p.AuthToken);
    expect(token).toContain('{{resolve:secretsmanager:');
    expect(token).toContain(stack.getLogicalId(cache.authSecret.node.defaultChild as never));
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'token', PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  test('non-default port, 15 days of snapshots, kept as a snapshot when removed', () => {
    expect(p.Port).toBe(6380);
    expect(p.SnapshotRetentionLimit).toBe(15);
    expect(group.DeletionPolicy).toBe('Snapshot');
  });

  test('slow log delivered to CloudWatch Logs', () => {
    expect(p.LogDeliveryConfigurations).toEqual([{
      DestinationType: 'cloudwatch-logs', LogFormat: 'json', LogType: 'slow-log',
      DestinationDetails: { CloudWatchLogsDetails: { LogGroup: { Ref: stack.getLogicalId(cache.slowLog.node.defaultChild as never) } } },
    }]);
  });

  test('its own subnet group and security group (no inbound rule)', () => {
    expect(p.CacheSubnetGroupName).toEqual({ Ref: expect.stringMatching(/^CacheSubnetGroup/) });
    expect(p.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^CacheSecurityGroup/), 'GroupId'] }]);
    template.resourceCountIs('AWS::ElastiCache::SubnetGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Redis'), SecurityGroupIngress: Match.absent() });
  });

  test('a CACHE purpose parameter group evicts any key, least recently used first', () => {
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { CacheParameterGroupFamily: 'redis7', Properties: { 'maxmemory-policy': 'allkeys-lru' } });
  });
});

describe('RedisCache options', () => {
  test.each([
    [CachePurpose.SESSIONS, 'volatile-lru'],
    [CachePurpose.RATE_LIMITS, 'volatile-ttl'],
  ])('%s never evicts a key without a TTL (%s)', (purpose, policy) => {
    build({ purpose }).template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { Properties: { 'maxmemory-policy': policy } });
  });

  test('Valkey by option', () => {
    const { template } = build({ engine: CacheEngine.VALKEY });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { Engine: 'valkey', EngineVersion: '8.0' });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { CacheParameterGroupFamily: 'valkey8' });
  });

  test('development: one small node, no Multi-AZ, no snapshots', () => {
    build({ profile: Profile.DEVELOPMENT }).template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheNodeType: 'cache.t4g.micro', NumCacheClusters: 1, MultiAZEnabled: false, AutomaticFailoverEnabled: false, SnapshotRetentionLimit: 0,
    });
  });

  test('replicas without Multi-AZ still fail over automatically (a replica in the same AZ takes over a failed primary)', () => {
    // GIVEN a development cache with a replica, single-AZ, synthesized with aws-cdk-lib's CloudFormation validation
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-validate-'));
    const stack = new Stack(new App({ outdir }), 'Cache');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new RedisCache(stack, 'Cache', { vpc, profile: Profile.DEVELOPMENT, replicas: 1 });
    const assembly = stack.node.root instanceof App ? stack.node.root.synth() : undefined;
    // THEN automatic failover is on, Multi-AZ stays off
    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 2, MultiAZEnabled: false, AutomaticFailoverEnabled: true });
    // and the CloudFormation rules aws-cdk-lib validates with (E3026: AutomaticFailoverEnabled must be true when
    // NumCacheClusters > 1 and Engine is 'redis') find nothing on the replication group
    const report = path.join(assembly!.directory, 'validation-report.json');
    const violations = fs.existsSync(report)
      ? (JSON.parse(fs.readFileSync(report, 'utf8')) as { pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }> })
        .pluginReports.flatMap((r) => r.violations)
        .filter((v) => v.violatingConstructs.some((c) => c.constructPath.startsWith('Cache/Cache/')))
        .map((v) => v.ruleName)
      : [];
    expect(violations).toEqual([]);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('connectFunction: rediss:// URL and the token secret ARN, security group opened, token readable', () => {
    const { stack, vpc, cache } = build();
    const fn = new lambda.Function(stack, 'Api', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1'), vpc,
    });
    cache.connectFunction(fn);
    const template = Template.fromStack(stack);
    const vars = template.findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(vars.REDIS_URL).toEqual({ 'Fn::Join': ['', ['rediss://', { 'Fn::GetAtt': [expect.stringMatching(/^Cache/), 'PrimaryEndPoint.Address'] }, ':6380']] });
    expect(vars.REDIS_PORT).toBe('6380');
    expect(vars.REDIS_AUTH_SECRET_ARN).toEqual({ Ref: stack.getLogicalId(cache.authSecret.node.defaultChild as never) });
    expect(JSON.stringify(vars)).not.toMatch(/resolve:secretsmanager/);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 6380, ToPort: 6380 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })]) },
    });
  });
});

describe('RedisCache bad input', () => {
  test.each([
    [{ nodeType: 'm7g.large' }, /nodeType must be a cache node type such as 'cache.m7g.large' \(got 'm7g.large'\)/],
    [{ nodeType: 'db.r7g.large' }, /nodeType must be a cache node type/],
    [{ replicas: 6 }, /replicas must be an integer from 0 to 5 \(got 6\)/],
    [{ replicas: 0, multiAz: true }, /multiAz needs at least one replica to fail over to \(got replicas 0\)/],
    [{ port: 6379 }, /port must not be 6379/],
    [{ snapshotRetentionDays: 40 }, /snapshotRetentionDays must be an integer from 0 to 35 days \(got 40 days\)/],
    [{ purpose: 'QUEUE' as CachePurpose }, /purpose must be one of CACHE, SESSIONS, RATE_LIMITS \(got 'QUEUE'\)/],
  ] as Array<[RedisCacheOptions, RegExp]>)('fails when %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });
});
