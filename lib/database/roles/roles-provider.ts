import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import type { PostgresDatabase } from '../postgres-database';
import { databaseRolesProviderCalls } from '../../../shared/aws-calls';
import { ObjectSpec } from '../../../shared/roles-spec';
import { handlerAssetDir } from '../../private/assets';
import { grantCalls } from '../../private/grants';
import { platformLogGroup } from '../../private/logs';
import { acknowledgeCompliance, acknowledgeDatabaseIngress, acknowledgeInlinePolicy, acknowledgeVpcFunctionRole } from '../../private/nag';
import { Profile } from '../../profile';

/** The construct id of a database's provider (one per PostgresDatabase). */
const PROVIDER_ID = 'RolesProvider';

/**
 * The function that runs the SQL of a database's roles, grants, schemas, databases and
 * extensions (lambda/database-roles, shared/roles-sql.ts): one per PostgresDatabase, in its VPC,
 * connecting to the instance as the master user with TLS verified against the RDS CA. It is the
 * custom resources' service token itself, and answers CloudFormation through the presigned S3 URL
 * of each request (the S3 gateway endpoint, in a VPC this library creates).
 *
 * Internal: the roles constructs create it on first use.
 */
export class RolesProvider extends Construct {
  /** The provider of `database`, created on first use. */
  public static of(database: PostgresDatabase): RolesProvider {
    return (database.node.tryFindChild(PROVIDER_ID) as RolesProvider | undefined) ?? new RolesProvider(database, PROVIDER_ID, database);
  }

  /** The provider function. */
  public readonly function: lambda.Function;
  private readonly database: PostgresDatabase;

  private constructor(scope: Construct, id: string, database: PostgresDatabase) {
    super(scope, id);
    this.database = database;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: database.vpc,
      description: `Roles provider of ${database.node.path}: to the database, and HTTPS (API endpoints, the S3 response URL of CloudFormation)`,
      allowAllOutbound: false,
    });
    // HTTPS anywhere: the response goes to S3 (public addresses, routed by the gateway endpoint in
    // isolated subnets), Secrets Manager through its interface endpoint. Isolated subnets route nowhere else.
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through the VPC endpoints (Secrets Manager, S3 for the response)');
    database.connections.allowDefaultPortFrom(securityGroup, 'Roles provider (runs the roles and grants SQL as the master user)');
    acknowledgeDatabaseIngress(database.securityGroups, securityGroup, 'roles provider');

    this.function = new lambda.Function(this, 'Function', {
      description: `Creates the PostgreSQL roles, grants, schemas and extensions of ${database.node.path}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAssetDir('database-roles')),
      timeout: Duration.minutes(5),
      memorySize: 256,
      vpc: database.vpc,
      vpcSubnets: database.vpcSubnets,
      securityGroups: [securityGroup],
      logGroup: platformLogGroup(this, 'Logs', { production: database.profile === Profile.PRODUCTION, encryptionKey: database.encryptionKey }),
      environment: {
        MASTER_SECRET_ARN: database.secret.secretArn,
        DB_HOST: database.endpointAddress,
        DB_PORT: String(database.port),
        DB_NAME: database.databaseName,
        // The Lambda Node.js runtimes' bundle of the RDS certificate authorities, pinned as the only roots.
        DB_CA_FILE: '/var/runtime/ca-cert.pem',
      },
    });
    // What it calls, by its table (shared/aws-calls.ts): each secret's own grant gives
    // GetSecretValue and, through the key policy, kms:Decrypt via Secrets Manager.
    database.secret.grantRead(this.function);
    grantCalls(this.function, databaseRolesProviderCalls(Stack.of(this).region), { masterSecret: 'grant', roleSecrets: 'grant', databaseKey: 'grant' });

    const role = this.function.role!;
    acknowledgeInlinePolicy(role, 'Roles provider (the master secret and the role secrets it sets passwords from)');
    acknowledgeVpcFunctionRole(role, 'Roles provider');
    acknowledgeCompliance(this.function, 'LambdaDLQ',
      'A CloudFormation custom resource handler: CloudFormation waits for its answer and fails the deployment without one; nothing to replay.');
    acknowledgeCompliance(this.function, 'LambdaConcurrency',
      'Runs only during deployments, one call per custom resource; the SQL serializes itself with an advisory lock.');
  }

  /** Lets the provider read `secret` (it sets a new role's password from it). */
  public addRoleSecret(secret: secretsmanager.ISecret): void {
    secret.grantRead(this.function);
  }

  /**
   * A custom resource of this provider for `spec`, created after the instance and `dependsOn`.
   */
  public object(scope: Construct, id: string, spec: ObjectSpec, removalPolicy: RemovalPolicy, dependsOn: IConstruct[] = []): CustomResource {
    const resource = new CustomResource(scope, id, {
      serviceToken: this.function.functionArn,
      resourceType: RESOURCE_TYPES[spec.kind],
      properties: { Spec: Stack.of(scope).toJsonString(spec) },
      removalPolicy,
    });
    resource.node.addDependency(this.database.instance);
    // The function's role (and its grants) before any call.
    resource.node.addDependency(this.function);
    for (const d of dependsOn) resource.node.addDependency(d);
    return resource;
  }
}

const RESOURCE_TYPES: Record<ObjectSpec['kind'], string> = {
  role: 'Custom::PostgresRole',
  database: 'Custom::PostgresDatabase',
  schema: 'Custom::PostgresSchema',
  grant: 'Custom::PostgresSchemaGrant',
  extension: 'Custom::PostgresExtension',
};
