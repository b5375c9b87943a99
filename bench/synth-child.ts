/**
 * One synthesis, run by bench/synth.ts in a fresh process: `shipped` (the shipped app, every
 * stack, cdk-nag AwsSolutions on) or `plain` (the same services written with aws-cdk-lib L2s by
 * hand, no nag). Prints {"ms": ..., "maxRssMb": ...}.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStacks } from '../bin/config';
import { cdkJsonContext } from '../test/support/app';

const which = process.argv[2];
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
const start = process.hrtime.bigint();
if (which === 'shipped') {
  const app = new App({ outdir, context: { ...cdkJsonContext(), drReplica: 'true' } });
  buildStacks(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} else {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Plain', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, storageEncryptionKey: key, multiAz: true, port: 5433,
    backupRetention: Duration.days(14), deletionProtection: true, iamAuthentication: true, enablePerformanceInsights: true,
    monitoringInterval: Duration.seconds(60), cloudwatchLogsExports: ['postgresql'], parameters: { autovacuum_vacuum_scale_factor: '0.05' },
  });
  db.addRotationSingleUser();
  new rds.DatabaseInstanceReadReplica(stack, 'Replica', { sourceDatabaseInstance: db, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE), storageEncryptionKey: key });
  db.addProxy('Proxy', { secrets: [db.secret!], vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, requireTLS: true, iamAuth: true });
  new s3.Bucket(stack, 'Blobs', { encryptionKey: key, versioned: true, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  const subnets = new elasticache.CfnSubnetGroup(stack, 'CacheSubnets', { description: 'cache', subnetIds: vpc.isolatedSubnets.map((s) => s.subnetId) });
  new elasticache.CfnReplicationGroup(stack, 'Cache', {
    replicationGroupDescription: 'cache', engine: 'redis', cacheNodeType: 'cache.m7g.large', numCacheClusters: 2, cacheSubnetGroupName: subnets.ref,
    transitEncryptionEnabled: true, atRestEncryptionEnabled: true,
  });
  const plan = backup.BackupPlan.daily35DayRetention(stack, 'Plan');
  plan.addSelection('Db', { resources: [backup.BackupResource.fromRdsDatabaseInstance(db)] });
  app.synth();
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
fs.rmSync(outdir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
