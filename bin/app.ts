#!/usr/bin/env node
import { App, Annotations, Validations } from 'aws-cdk-lib';
import { buildApp, contextErrorMessage, controlTowerFromContext } from './config';
import { ControlTowerChecks } from './control-tower';
import { Compliance, CompliancePack } from '../lib';

const app = new App();
try {
  buildApp(app);
  // Every synth runs AwsSolutions; `-c compliance=hipaa,nist-800-53-r5,pci-dss-3.2.1` adds packs.
  // An unacknowledged finding of any pack fails the synth.
  const extra = app.node.tryGetContext('compliance');
  Compliance.addChecks(app, [CompliancePack.AWS_SOLUTIONS, ...Compliance.parse(typeof extra === 'string' ? extra : '')]);
  // And AWS Control Tower's proactive controls (cfn-guard), where its binary runs; -c controlTower=false skips them.
  const controlTower = controlTowerFromContext((key) => app.node.tryGetContext(key), process.platform, process.arch);
  if (controlTower.run) Validations.of(app).addPlugins(new ControlTowerChecks());
  else if (controlTower.why) Annotations.of(app).addWarningV2('cdk-db-playbook:noControlTower', controlTower.why);
} catch (e) {
  // Bad context (-c key=value) is the user's to fix: say what and where, without a stack trace.
  const message = contextErrorMessage(e, (key) => app.node.tryGetContext(key));
  if (message === undefined) throw e;
  process.stderr.write(`cdk-db-playbook: ${message}\n`);
  process.exit(1);
}
app.synth();
