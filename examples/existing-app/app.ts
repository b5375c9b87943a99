// An existing CDK app that brings its own VPC and key and adds one construct of the library.
// README.md's "Use PostgresDatabase in an existing app" snippet is the part between the markers,
// and test/examples.test.ts checks the two stay the same.
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The app's VPC block (a literal, so security group rules can name it). */
const APP_VPC_CIDR = '10.0.0.0/16';
import { DatabaseEndpoints, DatabaseUserAuthentication, PasswordRotationStrategy, PlatformAlarms, PostgresDatabase } from '../../lib';

export class ExistingAppStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // What the app already has.
    const key = new kms.Key(this, 'AppKey', { enableKeyRotation: true });
    // Grants only for AWS resources (AWS Control Tower CT.KMS.PR.3), and CloudWatch Logs may encrypt with it.
    key.addToResourcePolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }));
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));
    const logGroup = (name: string) => new logs.LogGroup(this, name, { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
    const vpc = new ec2.Vpc(this, 'AppVpc', {
      ipAddresses: ec2.IpAddresses.cidr(APP_VPC_CIDR),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL, destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup('FlowLogs')) } },
    });
    // The database's secret-rotation function runs in these isolated subnets: it reaches Secrets
    // Manager through an interface endpoint with private DNS (README: "An imported VPC"), HTTPS
    // from the VPC's own block.
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', { vpc, description: 'AWS API endpoints: HTTPS from the VPC', allowAllOutbound: false });
    endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(APP_VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from the VPC');
    vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, privateDnsEnabled: true, securityGroups: [endpointSecurityGroup], open: false,
    });
    // The roles provider answers CloudFormation through a presigned S3 URL: S3's (free) gateway endpoint.
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const opsTopic = new sns.Topic(this, 'OpsTopic', { masterKey: key, enforceSSL: true });
    const appSecurityGroup = new ec2.SecurityGroup(this, 'AppSecurityGroup', { vpc, description: 'The application tier' });
    const api = new lambda.Function(this, 'Api', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [appSecurityGroup],
      logGroup: logGroup('ApiLogs'),
    });
    Validations.of(api.role!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'Example API function: writes its own log group only.',
    });
    Validations.of(api.role!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'Example API function runs in the VPC next to the database: the ENI policy AWS documents for VPC functions.',
    });

    // <readme:existing-app>
    const db = new PostgresDatabase(this, 'Orders', {
      vpc,
      encryptionKey: key, // optional: by default a new key with rotation
      databaseName: 'orders',
    });
    // The application's own user, created in the database by the library (never the master).
    const ordersApp = db.addUser('OrdersApp', {
      roleName: 'orders_app',
      authentication: DatabaseUserAuthentication.PASSWORD_AND_IAM, // IAM auth, and a secret RDS Proxy can serve
      rotationStrategy: PasswordRotationStrategy.SINGLE_USER, // the proxy matches logins by the secret's username
    });
    db.addSchema('OrdersSchema', { schemaName: 'orders', owner: ordersApp }); // its tables, its schema
    db.connections.allowDefaultPortFrom(api); // security groups, on port 5433
    ordersApp.grantConnect(api); // rds-db:connect to the instance as orders_app
    api.addEnvironment('DB_HOST', db.endpointAddress);
    api.addEnvironment('DB_PORT', String(db.port));
    // </readme:existing-app>

    // <readme:building-blocks>
    const readers = db.addReadReplicas('Readers', { count: 2 }); // or db.addReadReplica('Reporting')
    const pool = db.addConnectionPool('Pool', { maxConnectionsPercent: 60, users: [ordersApp] });
    const names = new DatabaseEndpoints(this, 'Names', { database: db, pool, replicas: readers.replicas, writerUser: ordersApp, readerUser: ordersApp });
    names.connectFunction(api); // DB_PRIMARY_URL / DB_REPLICA_URL, grants, security groups
    // </readme:building-blocks>

    // The app's own topic receives the database alarms.
    new PlatformAlarms(this, 'OrdersAlarms', { database: db, replicas: readers.replicas, pool, topic: opsTopic });
  }
}

if (require.main === module) {
  const app = new App();
  new ExistingAppStack(app, 'ExistingApp');
  app.synth();
}
