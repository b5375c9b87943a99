import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DatabaseUser, DatabaseUserAuthentication, PasswordRotationStrategy, PostgresDatabase } from '../../lib';

/** The repository's root directory. */
export const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The context the CLI gives the shipped app (cdk.context.json's cached lookups, then
 * cdk.json's context), so tests synthesize what `npx cdk synth` does.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cached = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.context.json'), 'utf8'));
  return { ...cached, ...JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context };
}

/** An App with cdk.json's context plus `extra`, as `cdk synth -c key=value` would build it. */
export function shippedApp(extra: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), ...extra } });
}

/** A stack with a plain two-AZ VPC (isolated subnets), for testing one construct. */
export function stackWithVpc(id = 'Test'): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = new App();
  const stack = new Stack(app, id);
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return { app, stack, vpc };
}

/**
 * The application user of `db` that a proxy can serve (password with single-user rotation, and
 * IAM), created once per database: what a pool and the endpoints need now that no client gets the master.
 */
export function proxiedUser(db: PostgresDatabase, roleName = 'app_user'): DatabaseUser {
  const id = `User-${roleName}`;
  return (db.node.tryFindChild(id) as DatabaseUser | undefined) ?? db.addUser(id, {
    roleName,
    authentication: DatabaseUserAuthentication.PASSWORD_AND_IAM,
    rotationStrategy: PasswordRotationStrategy.SINGLE_USER,
  });
}
