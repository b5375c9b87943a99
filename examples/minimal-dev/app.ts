// The cheapest thing that works: the development profile — one db.t4g.micro, single-AZ, no
// replica, no proxy, no cross-region copies, destroyed with the stack. For a laptop-to-cloud
// sandbox, never for data you need.
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataPlatform, Profile } from '../../lib';

export class MinimalDevStack extends Stack {
  public readonly platform: DataPlatform;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // <readme:minimal-dev>
    this.platform = new DataPlatform(this, 'Data', {
      profile: Profile.DEVELOPMENT,
      monitoring: { enablePostgresMetrics: false, enableDashboard: false },
    });
    // </readme:minimal-dev>
  }
}

if (require.main === module) {
  const app = new App();
  new MinimalDevStack(app, 'MinimalDev');
  app.synth();
}
