#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from './config';
import { Compliance, CompliancePack } from '../lib';

const app = new App();
buildApp(app);
// Every synth runs AwsSolutions; `-c compliance=hipaa,nist-800-53-r5,pci-dss-3.2.1` adds packs.
// An unacknowledged finding of any pack fails the synth.
const extra = app.node.tryGetContext('compliance');
Compliance.addChecks(app, [CompliancePack.AWS_SOLUTIONS, ...Compliance.parse(typeof extra === 'string' ? extra : '')]);
app.synth();
