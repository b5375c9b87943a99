// The playbook's read/write split, deployed: a DataPlatform (primary, one replica, RDS Proxy,
// writer./reader. names) and a Lambda function whose router sends writes to DB_PRIMARY_URL and
// reads to DB_REPLICA_URL (function/router.ts, tested against two real PostgreSQL servers).
import * as path from 'path';
import { App, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DataPlatform } from '../../lib';

export class ReadWriteSplitStack extends Stack {
  public readonly platform: DataPlatform;
  public readonly notes: NodejsFunction;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // <readme:read-write-split>
    this.platform = new DataPlatform(this, 'Data', { readReplicas: { count: 2 } });
    this.notes = new NodejsFunction(this, 'Notes', {
      entry: path.join(__dirname, 'function', 'index.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(15),
      vpc: this.platform.vpc,
      vpcSubnets: { subnetGroupName: 'Functions' },
      logGroup: new logs.LogGroup(this, 'NotesLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: this.platform.database.encryptionKey }),
      // pg, the RDS signer and the Secrets Manager client all go in the bundle.
      bundling: { externalModules: [], format: OutputFormat.CJS, minify: true },
    });
    // Security groups, rds-db:connect through the proxy, secret read, DB_PRIMARY_URL / DB_REPLICA_URL.
    this.platform.connectFunction(this.notes);
    // </readme:read-write-split>
    Validations.of(this.notes.role!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'Example notes function: writes its own log group only.',
    });
    Validations.of(this.notes.role!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'Example notes function runs in the VPC to reach the proxy and replicas: the ENI policy AWS documents.',
    });
  }
}

if (require.main === module) {
  const app = new App();
  new ReadWriteSplitStack(app, 'ReadWriteSplit');
  app.synth();
}
