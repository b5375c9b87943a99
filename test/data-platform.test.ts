import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CachePurpose, DataPlatform, DataPlatformStack, DisasterRecoveryStack, Profile } from '../lib';
import { validateVpcCidr } from '../lib/private/validation';
import { stackWithVpc } from './support/app';

/** The service names (`com.amazonaws.<region>.<service>` without the prefix) of the interface endpoints. */
function interfaceEndpointServices(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
    .map((e) => {
      const name = e.Properties.ServiceName;
      // `com.amazonaws.<region>.<service>`: a literal with a known region, else a join ending in `.<service>`.
      const last = typeof name === 'string' ? name : String((name['Fn::Join'][1] as unknown[]).at(-1));
      return last.slice(last.lastIndexOf('.') + 1);
    })
    .sort();
}

describe('DataPlatform with the VPC it creates', () => {
  const stack = new Stack(new App(), 'Test');
  const platform = new DataPlatform(stack, 'Data');
  const template = Template.fromStack(stack);

  test('has only isolated subnets: no internet gateway, no NAT', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(platform.vpc.isolatedSubnets.length).toBeGreaterThanOrEqual(4);
    expect(platform.vpc.publicSubnets).toHaveLength(0);
    expect(platform.vpc.privateSubnets).toHaveLength(0);
  });

  test('places the database in the Database subnets', () => {
    const databaseSubnets = platform.vpc.selectSubnets({ subnetGroupName: 'Database' }).subnets
      .map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));
    expect(databaseSubnets.length).toBeGreaterThanOrEqual(2);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: databaseSubnets });
  });

  test('gives in-VPC functions a private path to Secrets Manager, and creates no interface endpoint nothing calls', () => {
    expect(interfaceEndpointServices(template)).toEqual(['secretsmanager']);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });

  test('adds the AWS Backup and RDS endpoints for the restore validator when restore tests run', () => {
    const app = new App();
    const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true });
    const withDr = new Stack(app, 'WithDr', { env: { region: 'us-east-1' }, crossRegionReferences: true });
    new DataPlatform(withDr, 'Data', { disasterRecovery: dr.target });
    expect(interfaceEndpointServices(Template.fromStack(withDr))).toEqual(['backup', 'rds', 'secretsmanager']);
  });

  test('has an S3 gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] },
    });
  });

  test('opens the endpoints to HTTPS from the VPC only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('interface endpoints'),
      SecurityGroupIngress: [{ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
    });
  });

  test('logs all VPC traffic to a log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('is production by default', () => {
    expect(platform.profile).toBe(Profile.PRODUCTION);
    template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
  });
});

describe('DataPlatform options', () => {
  test('uses an existing VPC and creates none', () => {
    const { stack, vpc } = stackWithVpc();
    const platform = new DataPlatform(stack, 'Data', { vpc });
    expect(platform.vpc).toBe(vpc);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('passes its profile to the database', () => {
    const stack = new Stack(new App(), 'Test');
    new DataPlatform(stack, 'Data', { profile: Profile.DEVELOPMENT });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false, DBInstanceClass: 'db.t4g.micro' });
  });

  test('passes database options through', () => {
    const stack = new Stack(new App(), 'Test');
    new DataPlatform(stack, 'Data', { database: { port: 6000, databaseName: 'orders' } });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { Port: '6000', DBName: 'orders' });
  });

  test('uses vpcCidr for the VPC and its endpoint rule', () => {
    const stack = new Stack(new App(), 'Test');
    new DataPlatform(stack, 'Data', { vpcCidr: '10.9.0.0/16' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.9.0.0/16' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.9.0.0/16' })] });
  });

  test('fails when vpc is combined with vpcCidr', () => {
    const { stack, vpc } = stackWithVpc();
    expect(() => new DataPlatform(stack, 'Data', { vpc, vpcCidr: '10.0.0.0/16' })).toThrow(/vpc cannot be combined with vpcCidr or maxAzs/);
  });

  test('fails when maxAzs is out of range', () => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new DataPlatform(stack, 'Data', { maxAzs: 1 })).toThrow(/maxAzs must be an integer from 2 to 6 \(got 1\)/);
  });
});

describe('DataPlatformStack', () => {
  test('publishes the connection details as outputs, never a password', () => {
    const stack = new DataPlatformStack(new App(), 'Platform');
    const template = Template.fromStack(stack);
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'ApplicationSecretArn', 'DatabaseEndpoint', 'DatabaseName', 'DatabasePort', 'DatabaseSecretArn', 'MonitoringSecretArn', 'ReadOnlySecretArn',
      'ReaderHost', 'ReaderPort', 'WriterHost', 'WriterPort',
    ]);
    expect(outputs.WriterHost.Value).toBe('writer.db.internal');
    expect(outputs.WriterPort.Value).toBe('5432');
    expect(outputs.ReaderHost.Value).toBe('reader.db.internal');
    expect(outputs.DatabasePort.Value).toBe('5433');
    expect(JSON.stringify(outputs)).not.toMatch(/password/i);
  });
});

describe('DataPlatform blobs and cache', () => {
  function withDr(props: Partial<import('../lib').DataPlatformProps> = {}) {
    const app = new App();
    const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true, blobBucketNames: ['uploads', 'avatars'] });
    const stack = new Stack(app, 'Primary', { env: { region: 'us-east-1' }, crossRegionReferences: true });
    const platform = new DataPlatform(stack, 'Data', {
      disasterRecovery: dr.target,
      blobBuckets: { uploads: { corsAllowedOrigins: ['https://app.example.com'] }, avatars: {} },
      cache: { purpose: CachePurpose.SESSIONS },
      ...props,
    });
    return { app, dr, stack, platform };
  }

  test('creates the buckets by name, each replicated to its DR replica with the DR key', () => {
    const { stack, dr, platform } = withDr();
    expect(Object.keys(platform.blobBuckets).sort()).toEqual(['avatars', 'uploads']);
    const template = Template.fromStack(stack);
    const replicated = Object.values(template.findResources('AWS::S3::Bucket', { Properties: { ReplicationConfiguration: Match.anyValue() } }));
    expect(replicated).toHaveLength(2);
    const drTemplate = Template.fromStack(dr);
    const replicaNames = dr.target.blobReplicaBucketNames!;
    for (const name of ['uploads', 'avatars']) {
      drTemplate.hasResourceProperties('AWS::S3::Bucket', { BucketName: Match.anyValue(), VersioningConfiguration: { Status: 'Enabled' } });
      expect(JSON.stringify(stack.resolve(replicaNames[name]))).toContain(`-${name}-`);
    }
    // One shared access-log bucket on each side.
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).length).toBe(3);
  });

  test('fails when a bucket has no DR replica in production', () => {
    const app = new App();
    const dr = new DisasterRecoveryStack(app, 'Dr', { env: { region: 'us-west-2' }, crossRegionReferences: true });
    const stack = new Stack(app, 'Primary', { env: { region: 'us-east-1' }, crossRegionReferences: true });
    expect(() => new DataPlatform(stack, 'Data', { disasterRecovery: dr.target, blobBuckets: { uploads: {} } }))
      .toThrow(/blobBuckets 'uploads' has no replica bucket in the DR target/);
  });

  test('fails when a bucket name is not lower-case', () => {
    expect(() => withDr({ blobBuckets: { Uploads: {} } })).toThrow(/blobBuckets names must be lower-case letters.*\(got 'Uploads'\)/);
  });

  test('the cache sits in the database subnets with the platform profile', () => {
    const { stack } = withDr();
    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 2, MultiAZEnabled: true });
    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ParameterGroup', { Properties: { 'maxmemory-policy': 'volatile-lru' } });
  });

  test('connectFunction also hands over the bucket names and the cache', () => {
    const { stack, platform } = withDr();
    const fn = new lambda.Function(stack, 'Api', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1'), vpc: platform.vpc,
    });
    platform.connectFunction(fn);
    const vars = Template.fromStack(stack).findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(Object.keys(vars)).toEqual(expect.arrayContaining(['BLOB_BUCKET_UPLOADS', 'BLOB_BUCKET_AVATARS', 'REDIS_URL', 'REDIS_AUTH_SECRET_ARN', 'DB_PRIMARY_URL']));
    expect(vars.BLOB_BUCKET_UPLOADS).toEqual({ Ref: stack.getLogicalId(platform.blobBuckets.uploads.bucket.node.defaultChild as never) });
  });
});

describe('DataPlatform monitoring', () => {
  test('creates the collector, the alarms (with the restore and backup alarms) and one dashboard by default', () => {
    const stack = new Stack(new App(), 'M');
    const platform = new DataPlatform(stack, 'Data');
    expect(platform.postgresMetrics).toBeDefined();
    expect(Object.keys(platform.alarms!.alarms)).toEqual(expect.arrayContaining(['DatabaseCpu', 'SlowQueries', 'BufferCacheHitRatio', 'LongRunningQueries', 'Replica1Lag', 'ProxyAvailability']));
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('monitoring options turn parts off and pass e-mails and overrides', () => {
    const stack = new Stack(new App(), 'M');
    const platform = new DataPlatform(stack, 'Data', {
      monitoring: { enablePostgresMetrics: false, enableDashboard: false, emails: ['oncall@example.com'], alarmOverrides: { DatabaseCpu: { threshold: 70 } } },
    });
    expect(platform.postgresMetrics).toBeUndefined();
    expect(platform.alarms!.alarms.BufferCacheHitRatio).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'oncall@example.com', Protocol: 'email' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CPUUtilization', Threshold: 70, Namespace: 'AWS/RDS' });
  });
});

describe('DataPlatform VPC sizing', () => {
  test('the vpcCidr check agrees with aws-cdk-lib\'s own subnet allocation for 1 to 6 AZs, /16 to /23', () => {
    const verdicts: string[] = [];
    for (let azs = 1; azs <= 6; azs++) {
      for (let prefix = 16; prefix <= 23; prefix++) {
        const cidr = `10.40.0.0/${prefix}`;
        const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'us-east-1' } });
        stack.node.setContext('availability-zones:account=111122223333:region=us-east-1', ['a', 'b', 'c', 'd', 'e', 'f'].map((z) => `us-east-1${z}`));
        // DataPlatform's subnet layout, built by aws-cdk-lib alone: what the check must predict.
        let cdkFits = true;
        try {
          new ec2.Vpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr(cidr), maxAzs: azs, natGateways: 0, subnetConfiguration: [
            { name: 'Database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
            { name: 'Functions', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
          ] });
        } catch { cdkFits = false; }
        let checkFits = true;
        try { validateVpcCidr(stack, cidr, azs, [24, 22]); } catch { checkFits = false; }
        if (cdkFits !== checkFits) verdicts.push(`${azs} AZs, ${cidr}: aws-cdk-lib ${cdkFits ? 'fits' : 'fails'}, the check ${checkFits ? 'passes' : 'refuses'}`);
      }
    }
    expect(verdicts).toEqual([]);
  });

  test('fails when vpcCidr is too small for the AZs, naming the size it needs', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'us-east-1' } });
    stack.node.setContext('availability-zones:account=111122223333:region=us-east-1', ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(() => new DataPlatform(stack, 'Data', { vpcCidr: '10.40.0.0/21' }))
      .toThrow("Data: vpcCidr must be /20 or larger for 3 Availability Zones: each gets a /24 and a /22 subnet, 4096 addresses in all (got '10.40.0.0/21', 2048 addresses)");
  });

  test('fails when vpcCidr is not a CIDR block', () => {
    expect(() => new DataPlatform(new Stack(new App(), 'S'), 'Data', { vpcCidr: '10.40.0.0' })).toThrow(/vpcCidr must be an IPv4 CIDR block from \/16 to \/28 .*got '10\.40\.0\.0'/);
  });

  test('warns that an environment-agnostic stack gets 2 AZs when maxAzs asks for more', () => {
    const agnostic = new Stack(new App(), 'Agnostic');
    new DataPlatform(agnostic, 'Data');
    Annotations.fromStack(agnostic).hasWarning('/Agnostic/Data', Match.stringLikeRegexp('maxAzs is 3, but the stack is environment-agnostic: CDK spreads it over 2 Availability Zones'));
    const located = new Stack(new App(), 'Located', { env: { account: '111122223333', region: 'us-east-1' } });
    located.node.setContext('availability-zones:account=111122223333:region=us-east-1', ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    new DataPlatform(located, 'Data');
    expect(Annotations.fromStack(located).findWarning('*', Match.stringLikeRegexp('environment-agnostic'))).toEqual([]);
    const dev = new Stack(new App(), 'Dev');
    new DataPlatform(dev, 'Data', { profile: Profile.DEVELOPMENT });
    expect(Annotations.fromStack(dev).findWarning('*', Match.stringLikeRegexp('environment-agnostic'))).toEqual([]);
  });
});
