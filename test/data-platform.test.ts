import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DataPlatform, DataPlatformStack, Profile } from '../lib';
import { stackWithVpc } from './support/app';

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

  test.each([
    ['secretsmanager'],
    ['monitoring'],
    ['logs'],
    ['backup'],
  ])('gives in-VPC functions a private path to the %s API', (service) => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`\\.${service}$`)])] },
    });
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
      'DatabaseEndpoint', 'DatabaseName', 'DatabasePort', 'DatabaseSecretArn', 'ReaderHost', 'ReaderPort', 'WriterHost', 'WriterPort',
    ]);
    expect(outputs.WriterHost.Value).toBe('writer.db.internal');
    expect(outputs.WriterPort.Value).toBe('5432');
    expect(outputs.ReaderHost.Value).toBe('reader.db.internal');
    expect(outputs.DatabasePort.Value).toBe('5433');
    expect(JSON.stringify(outputs)).not.toMatch(/password/i);
  });
});
