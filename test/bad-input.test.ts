/**
 * The bad-input battery: one row per invalid configuration, across every construct and the
 * shipped app's context keys. Each must fail at synth with a message naming the prop (or key).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { appConfigFromContext } from '../bin/config';
import {
  BlobBucket, CachePurpose, ConnectionPool, CrossRegionBackup, CrossRegionReplica, DatabaseEndpoints, DatabaseEvents, DataPlatform, DisasterRecoveryVault,
  PlatformAlarms, PostgresDatabase, Profile, ReadReplicas, RedisCache, RestoreTesting, TunedParameterGroup,
} from '../lib';
import { proxiedUser } from './support/app';

function world() {
  const stack = new Stack(new App(), 'Bad', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = () => new PostgresDatabase(stack, `Db${stack.node.children.length}`, { vpc });
  return { stack, vpc, db };
}
const key = (s: Stack) => kms.Key.fromKeyArn(s, `K${s.node.children.length}`, 'arn:aws:kms:us-west-2:111122223333:key/abcd');
const vault = (s: Stack) => backup.BackupVault.fromBackupVaultArn(s, `V${s.node.children.length}`, 'arn:aws:backup:us-west-2:111122223333:backup-vault:dr');
const topic = (s: Stack) => sns.Topic.fromTopicArn(s, `T${s.node.children.length}`, 'arn:aws:sns:us-east-1:111122223333:alarms');
const ctx = (c: Record<string, unknown>) => () => appConfigFromContext((k) => ({ drRegion: 'us-west-2', ...c } as Record<string, unknown>)[k]);

const CASES: Array<[string, () => unknown, RegExp]> = [
  // PostgresDatabase
  ['database backupRetention 0 in production', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, backupRetention: Duration.days(0) }); }, /backupRetention/],
  ['database backupRetention 36 days', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, backupRetention: Duration.days(36) }); }, /backupRetention/],
  ['database port 80', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, port: 80 }); }, /port/],
  ['database allocatedStorage > maxAllocatedStorage', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, allocatedStorage: 300, maxAllocatedStorage: 200 }); }, /allocatedStorage/],
  ['database allocatedStorage 5 GiB', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, allocatedStorage: 5 }); }, /allocatedStorage/],
  ['database monitoringInterval 7 s', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, monitoringInterval: Duration.seconds(7) }); }, /monitoringInterval/],
  ['database secretRotation 0 days', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, secretRotation: Duration.days(0) }); }, /secretRotation/],
  ['database securityGroups empty', () => { const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, securityGroups: [] }); }, /securityGroups/],
  ['database Database Insights ADVANCED with 7 days of retention', () => {
    const w = world();
    new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED, performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT });
  }, /performanceInsightRetention must be 465 days .* databaseInsightsMode ADVANCED.*\(got 7 days\)/],
  ['database databaseInsightsMode unknown', () => {
    const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, databaseInsightsMode: 'premium' as rds.DatabaseInsightsMode });
  }, /databaseInsightsMode must be one of 'standard', 'advanced' \(got 'premium'\)/],
  ['database performanceInsightRetention 10 days', () => {
    const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, performanceInsightRetention: 10 as rds.PerformanceInsightRetention });
  }, /performanceInsightRetention must be .*\(got 10 days\)/],
  ['database engineLifecycleSupport unknown', () => {
    const w = world(); new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, engineLifecycleSupport: 'open-source-rds-extended-support-forever' as rds.EngineLifecycleSupport });
  }, /engineLifecycleSupport must be one of .*open-source-rds-extended-support-disabled.*\(got 'open-source-rds-extended-support-forever'\)/],
  // TunedParameterGroup
  ['parameter group removes a non-default', () => new TunedParameterGroup(world().stack, 'P', { removeDefaults: ['work_mem'] }), /removeDefaults/],
  ['parameter group malformed name', () => new TunedParameterGroup(world().stack, 'P', { parameters: { 'Bad Name': '1' } }), /parameters/],
  // ReadReplicas
  ['replicas count 16', () => { const w = world(); new ReadReplicas(w.stack, 'R', { source: w.db(), count: 16 }); }, /count/],
  ['replicas of a source without backups', () => {
    const w = world();
    new ReadReplicas(w.stack, 'R', { source: new PostgresDatabase(w.stack, 'D', { vpc: w.vpc, profile: Profile.DEVELOPMENT, backupRetention: Duration.days(0) }), count: 1 });
  }, /count|backupRetention/],
  // ConnectionPool
  ['pool maxConnectionsPercent 0', () => { const w = world(); { const db = w.db(); new ConnectionPool(w.stack, 'P', { database: db, users: [proxiedUser(db)], maxConnectionsPercent: 0 }); }; }, /maxConnectionsPercent/],
  ['pool idle above max', () => { const w = world(); { const db = w.db(); new ConnectionPool(w.stack, 'P', { database: db, users: [proxiedUser(db)], maxConnectionsPercent: 20, maxIdleConnectionsPercent: 30 }); }; }, /maxIdleConnectionsPercent/],
  ['pool borrowTimeout 2 h', () => { const w = world(); { const db = w.db(); new ConnectionPool(w.stack, 'P', { database: db, users: [proxiedUser(db)], borrowTimeout: Duration.hours(2) }); }; }, /borrowTimeout/],
  ['pool idleClientTimeout 9 h', () => { const w = world(); { const db = w.db(); new ConnectionPool(w.stack, 'P', { database: db, users: [proxiedUser(db)], idleClientTimeout: Duration.hours(9) }); }; }, /idleClientTimeout/],
  // DatabaseEndpoints
  ['endpoints zoneName with one label', () => { const w = world(); { const db = w.db(); new DatabaseEndpoints(w.stack, 'E', { database: db, writerUser: proxiedUser(db), zoneName: 'internal' }); }; }, /zoneName/],
  ['endpoints ttl 0', () => { const w = world(); { const db = w.db(); new DatabaseEndpoints(w.stack, 'E', { database: db, writerUser: proxiedUser(db), ttl: Duration.seconds(0) }); }; }, /ttl/],
  ['endpoints parameterPrefix without slash', () => { const w = world(); { const db = w.db(); new DatabaseEndpoints(w.stack, 'E', { database: db, writerUser: proxiedUser(db), parameterPrefix: 'db' }); }; }, /parameterPrefix/],
  // DR
  ['DR vault changeableFor 1 day', () => new DisasterRecoveryVault(world().stack, 'V', { changeableFor: Duration.days(1) }), /changeableFor/],
  ['DR vault minRetention 3 days', () => new DisasterRecoveryVault(world().stack, 'V', { minRetention: Duration.days(3) }), /minRetention/],
  ['backup drRegion equal to the primary', () => { const w = world(); new CrossRegionBackup(w.stack, 'B', { database: w.db(), drVault: vault(w.stack), drKey: key(w.stack), drRegion: 'us-east-1' }); }, /drRegion/],
  ['backup dailyRetention 400 days', () => {
    const w = world(); new CrossRegionBackup(w.stack, 'B', { database: w.db(), drVault: vault(w.stack), drKey: key(w.stack), drRegion: 'us-west-2', dailyRetention: Duration.days(400) });
  }, /dailyRetention/],
  ['restore testing selectionWindowDays 0', () => {
    const w = world(); new RestoreTesting(w.stack, 'T', { database: w.db(), backupVaults: [vault(w.stack)], selectionWindowDays: 0 });
  }, /selectionWindowDays/],
  ['restore testing with no vault', () => { const w = world(); new RestoreTesting(w.stack, 'T', { database: w.db(), backupVaults: [] }); }, /backupVaults/],
  ['cross-region replica port 22', () => {
    const w = world(); new CrossRegionReplica(w.stack, 'X', { sourceInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:x', sourceRegion: 'us-east-1', encryptionKey: key(w.stack), port: 22 });
  }, /port/],
  // Blobs and cache
  ['bucket CORS wildcard in production', () => new BlobBucket(world().stack, 'B', { corsAllowedOrigins: ['*'] }), /corsAllowedOrigins/],
  ['bucket noncurrent expiration 0 days', () => new BlobBucket(world().stack, 'B', { noncurrentVersionExpirationDays: 0 }), /noncurrentVersionExpirationDays/],
  ['cache node type without cache.', () => { const w = world(); new RedisCache(w.stack, 'C', { vpc: w.vpc, nodeType: 'r7g.large' }); }, /nodeType/],
  ['cache 6 replicas', () => { const w = world(); new RedisCache(w.stack, 'C', { vpc: w.vpc, replicas: 6 }); }, /replicas/],
  ['cache Multi-AZ with one node', () => { const w = world(); new RedisCache(w.stack, 'C', { vpc: w.vpc, replicas: 0, multiAz: true }); }, /multiAz/],
  ['cache unknown purpose', () => { const w = world(); new RedisCache(w.stack, 'C', { vpc: w.vpc, purpose: 'QUEUE' as CachePurpose }); }, /purpose/],
  ['cache default port 6379', () => { const w = world(); new RedisCache(w.stack, 'C', { vpc: w.vpc, port: 6379 }); }, /port/],
  // Alarms and platform
  ['DR replica Database Insights ADVANCED with 31 days of retention', () => {
    const w = world();
    new CrossRegionReplica(w.stack, 'X', {
      sourceInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:x', sourceRegion: 'us-east-1', encryptionKey: key(w.stack),
      databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED, performanceInsightRetention: rds.PerformanceInsightRetention.MONTHS_1,
    });
  }, /performanceInsightRetention must be 465 days .*\(got 31 days\)/],
  ['database events without instances', () => new DatabaseEvents(world().stack, 'E', { topic: topic(world().stack), instanceIdentifiers: [] }), /instanceIdentifiers/],
  ['database events with a repeated parameter group', () => new DatabaseEvents(world().stack, 'E', { topic: topic(world().stack), instanceIdentifiers: ['db'], parameterGroupNames: ['pg', 'pg'] }), /parameterGroupNames must be distinct/],
  ['platform database events without alarms', () => new DataPlatform(world().stack, 'P', { monitoring: { enableAlarms: false, enableDatabaseEvents: true } }), /enableDatabaseEvents is true but monitoring.enableAlarms is false/],
  ['platform accountWideDatabaseEvents without database events', () => new DataPlatform(world().stack, 'P', { monitoring: { enableDatabaseEvents: false, accountWideDatabaseEvents: true } }), /accountWideDatabaseEvents was given/],
  ['alarm threshold negative', () => { const w = world(); new PlatformAlarms(w.stack, 'A', { database: w.db(), overrides: { DatabaseCpu: { threshold: -5 } } }); }, /threshold/],
  ['alarm percent above 100', () => { const w = world(); new PlatformAlarms(w.stack, 'A', { database: w.db(), overrides: { DatabaseCpu: { threshold: 120 } } }); }, /threshold/],
  ['platform vpc with vpcCidr', () => { const w = world(); new DataPlatform(w.stack, 'P', { vpc: w.vpc, vpcCidr: '10.0.0.0/16' }); }, /vpcCidr/],
  ['platform bucket name upper case', () => new DataPlatform(world().stack, 'P', { blobBuckets: { Uploads: {} }, monitoring: { enablePostgresMetrics: false } }), /blobBuckets/],
  // Context keys of the shipped app
  ['context profile unknown', ctx({ profile: 'staging' }), /'profile'/],
  ['context account malformed', ctx({ account: '12345' }), /'account'/],
  ['context region malformed', ctx({ region: 'east' }), /'region'/],
  ['context drRegion equal to region', ctx({ region: 'us-west-2' }), /'drRegion'/],
  ['context backupRetentionDays not a number', ctx({ backupRetentionDays: 'two weeks' }), /'backupRetentionDays'/],
  ['context multiAz not a boolean', ctx({ multiAz: 'maybe' }), /'multiAz'/],
  ['context cachePurpose unknown', ctx({ cachePurpose: 'queue' }), /'cachePurpose'/],
];

test('the battery holds at least 30 invalid configurations', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
});

test.each(CASES)('fails: %s', (_name, make, names) => {
  let error: Error | undefined;
  try { make(); } catch (e) { error = e as Error; }
  expect(error).toBeDefined();
  expect(error!.message).toMatch(names);
  // The value and what is allowed are in the message too, not only the name.
  expect(error!.message.length).toBeGreaterThan(30);
});
