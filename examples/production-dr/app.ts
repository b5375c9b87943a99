// Everything, two regions: the DR stack (key + locked vault) in us-west-2, the platform in
// us-east-1 with replicated automated backups, AWS Backup copies and monthly restore tests.
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataPlatform, DisasterRecoveryStack, DisasterRecoveryTarget } from '../../lib';

export interface ProductionStackProps extends StackProps {
  readonly drTarget: DisasterRecoveryTarget;
}

export class ProductionStack extends Stack {
  public readonly platform: DataPlatform;

  constructor(scope: Construct, id: string, props: ProductionStackProps) {
    super(scope, id, props);
    const drTarget = props.drTarget;
    // <readme:production-dr>
    this.platform = new DataPlatform(this, 'Data', {
      disasterRecovery: drTarget,
      restoreTesting: { tableChecks: [{ table: 'public.orders', minRows: 1000 }] },
    });
    // </readme:production-dr>
  }
}

/**
 * The two stacks, wired: the DR stack deploys first. `account` defaults to the one the CDK CLI's
 * credentials belong to (environment-agnostic without credentials).
 */
export function productionApp(app: App, account = process.env.CDK_DEFAULT_ACCOUNT): { dr: DisasterRecoveryStack; primary: ProductionStack } {
  const dr = new DisasterRecoveryStack(app, 'ProductionDr', { env: { account, region: 'us-west-2' }, crossRegionReferences: true });
  const primary = new ProductionStack(app, 'Production', {
    env: { account, region: 'us-east-1' },
    crossRegionReferences: true,
    drTarget: dr.target,
  });
  return { dr, primary };
}

if (require.main === module) {
  const app = new App();
  productionApp(app);
  app.synth();
}
