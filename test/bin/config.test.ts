import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { appConfigFromContext, buildApp, buildStacks, CONTEXT_KEYS, ContextError, contextErrorMessage, controlTowerFromContext, stackPropsFromContext } from '../../bin/config';
import { CacheEngine, CachePurpose, Profile } from '../../lib';
import { cdkJsonContext, ROOT, shippedApp } from '../support/app';
import { violations } from '../support/nag';

const read = (ctx: Record<string, unknown>) => (key: string) => ctx[key];

describe('stackPropsFromContext', () => {
  test('defaults to a production stack named DataPlatform in us-east-1 with no account', () => {
    const props = stackPropsFromContext(read({ drRegion: 'us-west-2' }));
    expect(props).toMatchObject({ stackName: 'DataPlatform', profile: Profile.PRODUCTION, env: { account: undefined, region: 'us-east-1' } });
  });

  test('production has a DR stack in drRegion with cross-region references; development has none', () => {
    const prod = appConfigFromContext(read({ drRegion: 'eu-west-1', region: 'eu-central-1' }));
    expect(prod.dr).toMatchObject({ stackName: 'DataPlatform-DR', env: { region: 'eu-west-1' }, crossRegionReferences: true });
    expect(prod.primary.crossRegionReferences).toBe(true);
    expect(prod.drReplica).toBeUndefined();
    const dev = appConfigFromContext(read({ profile: 'development', drRegion: 'eu-west-1' }));
    expect(dev.dr).toBeUndefined();
    expect(dev.primary.backup).toBeUndefined();
  });

  test('DR settings come from context', () => {
    const config = appConfigFromContext(read({
      drRegion: 'us-west-2', drStackName: 'Offsite', replicatedBackupRetentionDays: '14', dailyBackupRetentionDays: '30',
      monthlyBackupRetentionDays: '730', vaultLockMinRetentionDays: '14', vaultLockChangeableDays: '7', restoreTesting: 'false', drReplica: 'true',
    }));
    expect(config.dr!.stackName).toBe('Offsite');
    expect(config.dr!.minRetention!.toDays()).toBe(14);
    expect(config.dr!.changeableFor!.toDays()).toBe(7);
    expect(config.primary.backup!.replicatedBackupRetention!.toDays()).toBe(14);
    expect(config.primary.backup!.dailyRetention!.toDays()).toBe(30);
    expect(config.primary.backup!.monthlyRetention!.toDays()).toBe(730);
    expect(config.primary.enableRestoreTesting).toBe(false);
    expect(config.drReplica).toEqual({ stackName: 'Offsite-Replica', env: { account: undefined, region: 'us-west-2' } });
  });

  test('blob buckets and the cache come from context', () => {
    const config = appConfigFromContext(read({
      drRegion: 'us-west-2', blobBuckets: 'uploads, avatars', corsAllowedOrigins: 'https://app.example.com',
      cachePurpose: 'rate-limits', cacheEngine: 'valkey', cacheNodeType: 'cache.r7g.large',
    }));
    expect(config.dr!.blobBucketNames).toEqual(['uploads', 'avatars']);
    expect(config.primary.blobBuckets).toEqual({
      uploads: { corsAllowedOrigins: ['https://app.example.com'] }, avatars: { corsAllowedOrigins: ['https://app.example.com'] },
    });
    expect(config.primary.cache).toEqual({ purpose: CachePurpose.RATE_LIMITS, engine: CacheEngine.VALKEY, nodeType: 'cache.r7g.large' });
    expect(appConfigFromContext(read({ drRegion: 'us-west-2', cachePurpose: 'none' })).primary.cache).toBeUndefined();
    expect(appConfigFromContext(read({ drRegion: 'us-west-2', alarmEmails: 'a@example.com,b@example.com' })).primary.monitoring)
      .toEqual({ emails: ['a@example.com', 'b@example.com'] });
  });

  test('fails when production has no drRegion', () => {
    expect(() => appConfigFromContext(read({}))).toThrow(/context key 'drRegion' is required in production/);
  });

  test('fails when drRegion equals region', () => {
    expect(() => appConfigFromContext(read({ region: 'us-west-2', drRegion: 'us-west-2' })))
      .toThrow(/context key 'drRegion' must differ from region us-west-2: the offsite copy needs another region \(got "us-west-2"\)/);
  });

  test('reads every key, from strings as -c key=value gives them', () => {
    const props = stackPropsFromContext(read({
      profile: 'development', drRegion: 'us-west-2', account: '123456789012', region: 'eu-west-1', stackName: 'Orders-Db',
      instanceClass: 'db.r7g.large', allocatedStorage: '50', maxAllocatedStorage: '500', backupRetentionDays: '7',
      multiAz: 'true', deletionProtection: 'false', port: '6000', vpcCidr: '10.1.0.0/16', maxAzs: '2',
      readReplicas: '3', connectionPool: 'false', zoneName: 'orders.internal', removeLaggingReplicas: 'true',
    }));
    expect(props.readReplicas).toEqual({ count: 3 });
    expect(props.enableConnectionPool).toBe(false);
    expect(props.endpoints).toEqual({ zoneName: 'orders.internal', removeLaggingReplicas: true });
    expect(props.profile).toBe(Profile.DEVELOPMENT);
    expect(props.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
    expect(props.stackName).toBe('Orders-Db');
    expect(props.vpcCidr).toBe('10.1.0.0/16');
    expect(props.maxAzs).toBe(2);
    const db = props.database!;
    expect(db.instanceType!.toString()).toBe('r7g.large');
    expect([db.allocatedStorage, db.maxAllocatedStorage, db.port]).toEqual([50, 500, 6000]);
    expect(db.backupRetention!.toDays()).toBe(7);
    expect([db.multiAz, db.deletionProtection]).toEqual([true, false]);
  });

  test('reads numbers and booleans as cdk.json gives them', () => {
    const db = stackPropsFromContext(read({ allocatedStorage: 30, multiAz: false, drRegion: 'us-west-2' })).database!;
    expect([db.allocatedStorage, db.multiAz]).toEqual([30, false]);
  });

  test.each([
    ['profile', 'prod', /context key 'profile' must be one of production, development \(got "prod"\)/],
    ['account', '1234', /context key 'account' must be a 12-digit AWS account id \(got "1234"\)/],
    ['region', 'useast1', /context key 'region' must be an AWS region name such as us-east-1 \(got "useast1"\)/],
    ['allocatedStorage', '100GB', /context key 'allocatedStorage' must be a whole number \(got "100GB"\)/],
    ['backupRetentionDays', '-1', /context key 'backupRetentionDays' must be a whole number \(got "-1"\)/],
    ['port', 'abc', /context key 'port' must be a whole number \(got "abc"\)/],
    ['multiAz', 'yes', /context key 'multiAz' must be 'true' or 'false' \(got "yes"\)/],
    ['instanceClass', 'large', /context key 'instanceClass' must be an RDS instance class/],
    ['vpcCidr', '10.0.0.0', /context key 'vpcCidr' must be an IPv4 CIDR block/],
    ['stackName', '1stack', /context key 'stackName' must start with a letter/],
    ['readReplicas', 'two', /context key 'readReplicas' must be a whole number \(got "two"\)/],
    ['connectionPool', 'on', /context key 'connectionPool' must be 'true' or 'false' \(got "on"\)/],
    ['zoneName', 'DB_Internal', /context key 'zoneName' must be a lower-case DNS name/],
    ['drRegion', 'west', /context key 'drRegion' must be an AWS region name/],
    ['vaultLockChangeableDays', 'three', /context key 'vaultLockChangeableDays' must be a whole number/],
    ['drReplica', 'yes', /context key 'drReplica' must be 'true' or 'false'/],
    ['blobBuckets', 'Uploads', /context key 'blobBuckets' must be a comma-separated list of bucket names/],
    ['corsAllowedOrigins', 'app.example.com', /context key 'corsAllowedOrigins' must be a comma-separated list of origins/],
    ['cachePurpose', 'queue', /context key 'cachePurpose' must be one of cache, sessions, rate-limits, none \(got "queue"\)/],
    ['cacheEngine', 'memcached', /context key 'cacheEngine' must be one of redis, valkey \(got "memcached"\)/],
    ['cacheNodeType', 'm7g.large', /context key 'cacheNodeType' must be a cache node type/],
    ['alarmEmails', 'oncall', /context key 'alarmEmails' must be a comma-separated list of e-mail addresses/],
  ])('fails when %s is malformed (%s)', (key, value, message) => {
    expect(() => stackPropsFromContext(read({ drRegion: 'us-west-2', [key]: value }))).toThrow(message);
  });
});

describe('buildApp', () => {
  test('fails at synth when a context value is out of range for the construct', () => {
    expect(() => buildApp(shippedApp({ backupRetentionDays: '0' }))).toThrow(/backupRetention must be 1-35 days in production/);
    expect(() => buildApp(shippedApp({ port: '80' }))).toThrow(/port must be an integer from 1150 to 65535 \(got 80\)/);
    expect(() => buildApp(shippedApp({ readReplicas: '16' }))).toThrow(/count must be an integer from 0 to 15 \(got 16\)/);
    expect(() => buildApp(shippedApp({ vaultLockChangeableDays: '2' }))).toThrow(/changeableFor must be 3 to 36500 days.*\(got 2 days\)/);
    expect(() => buildApp(shippedApp({ dailyBackupRetentionDays: '400' }))).toThrow(/dailyRetention must be an integer from 7 to 365 days \(got 400 days\)/);
    expect(() => buildApp(shippedApp({ corsAllowedOrigins: '*' }))).toThrow(/corsAllowedOrigins must name origins in production, not wildcards/);
  });

  test('configures the stack from context', () => {
    const stack = buildApp(shippedApp({ instanceClass: 'm7g.xlarge', backupRetentionDays: 21 }));
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.m7g.xlarge', BackupRetentionPeriod: 21 });
  });

  test('synthesizes with an explicit account from the committed availability zones, offline', () => {
    const app = shippedApp({ account: '123456789012' });
    const stack = buildApp(app);
    expect(stack.availabilityZones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const assembly = app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });
});

describe('README documents every context key', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  test.each(CONTEXT_KEYS.map((k) => [k]))('%s', (key) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${key}\` \\|.+\\|.+\\|`, 'm'));
  });
});

test('a fresh App without cdk.json context is refused until drRegion is given', () => {
  expect(() => buildApp(new App())).toThrow(/context key 'drRegion' is required in production/);
  expect(() => buildApp(new App({ context: { profile: 'development' } }))).not.toThrow();
});

test('the DR stack deploys before the primary, the replica stack after it', () => {
  const app = shippedApp({ drReplica: 'true' });
  const { primary, dr, drReplica } = buildStacks(app);
  const assembly = app.synth();
  const dependsOn = (name: string) => assembly.getStackByName(name).dependencies.map((d) => d.id);
  expect(dependsOn(primary.stackName)).toContain(dr!.artifactId);
  expect(dependsOn(drReplica!.stackName)).toContain(primary.artifactId);
});

test('README has no unfilled placeholders', () => {
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).not.toMatch(/\b[A-Z]+_RESULTS\b/);
});

describe('the development profile', () => {
  test('ignores drRegion, even one equal to region (cdk.json sets it for production)', () => {
    const config = appConfigFromContext(read({ profile: 'development', region: 'us-west-2', drRegion: 'us-west-2' }));
    expect(config.dr).toBeUndefined();
    expect(config.primary.env).toEqual({ account: undefined, region: 'us-west-2' });
    expect(() => buildApp(shippedApp({ profile: 'development', region: 'us-west-2' }))).not.toThrow();
  });

  test('is destroyable: nothing retained or snapshotted, buckets emptied, automated backups deleted with the instance', () => {
    const stack = buildApp(shippedApp({ profile: 'development', blobBuckets: 'uploads', cachePurpose: 'cache' }));
    const template = Template.fromStack(stack);
    const resources = Object.entries(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>);
    // The database's roles and schema are retained by their custom resources: they live in the
    // instance, which is destroyed with the stack; a refused drop of the tables' owner would stop it.
    const insideTheInstance = (type: string) => type === 'Custom::PostgresRole' || type === 'Custom::PostgresSchema';
    expect(resources.filter(([, r]) => !insideTheInstance(r.Type) && [r.DeletionPolicy, r.UpdateReplacePolicy].some((p) => p !== undefined && p !== 'Delete'))
      .map(([id, r]) => `${id} ${r.Type} ${r.DeletionPolicy}/${r.UpdateReplacePolicy}`)).toEqual([]);
    // Every bucket is emptied on delete (S3 refuses to delete a bucket with objects).
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket')).sort();
    expect(buckets.length).toBe(2);
    const emptied = Object.values(template.findResources('Custom::S3AutoDeleteObjects')).map((r) => r.Properties.BucketName.Ref).sort();
    expect(emptied).toEqual(buckets);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DeleteAutomatedBackups: true, DeletionProtection: false });
  });

  test('accepts backupRetentionDays=0 with zero AwsSolutions findings', () => {
    const app = shippedApp({ profile: 'development', backupRetentionDays: '0' });
    const stack = buildApp(app);
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 0 });
    expect(violations(new AwsSolutionsChecks(app), stack)).toEqual([]);
  });

  test('production keeps the automated backups of a deleted instance', () => {
    Template.fromStack(buildApp(shippedApp())).hasResourceProperties('AWS::RDS::DBInstance', { DeleteAutomatedBackups: false, DeletionProtection: true });
  });
});

describe('context errors name the context key', () => {
  test.each([
    [{ backupRetentionDays: '0' }, /^context key 'backupRetentionDays' must be 1-35 days in production .*\(-c backupRetentionDays=0; checked by DataPlatform\/Data\/Database\)$/],
    [{ readReplicas: '16' }, /^context key 'readReplicas' must be an integer from 0 to 15 .*\(-c readReplicas=16; checked by DataPlatform\/Data\/Replicas\)$/],
    [{ vpcCidr: '10.0.0.0/22' }, /^context key 'vpcCidr' must be \/20 or larger for 3 Availability Zones.*\(-c vpcCidr=10\.0\.0\.0\/22;/],
    [{ allocatedStorage: '5' }, /^context key 'allocatedStorage' must /],
  ])('%j', (context, expected) => {
    const app = shippedApp({ account: '123456789012', ...context });
    let error: unknown;
    try { buildApp(app); } catch (e) { error = e; }
    expect(contextErrorMessage(error, (k) => app.node.tryGetContext(k))).toMatch(expected);
  });

  test('a malformed value is a ContextError already; an error that is not about input is left to surface', () => {
    expect(contextErrorMessage(new ContextError('port', 'x', 'must be a whole number'), () => undefined)).toBe(`context key 'port' must be a whole number (got "x")`);
    expect(contextErrorMessage(new TypeError('x is undefined'), () => undefined)).toBeUndefined();
  });

  test('the shipped app prints one line naming the key, no stack trace, and exits 1', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-context-'));
    try {
      // What `npx cdk synth -c backupRetentionDays=0` runs: the app, with the context in CDK_CONTEXT_JSON.
      const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
        cwd: ROOT, encoding: 'utf8', timeout: 60_000,
        env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), backupRetentionDays: '0' }) },
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({
        status: 1,
        stderr: expect.stringMatching(/^cdk-db-playbook: context key 'backupRetentionDays' must be 1-35 days[^\n]*\n$/),
      });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('controlTower', () => {
  test('runs on Linux and macOS (x64, arm64) unless -c controlTower=false', () => {
    expect(controlTowerFromContext(read({}), 'linux', 'x64')).toEqual({ run: true });
    expect(controlTowerFromContext(read({}), 'darwin', 'arm64')).toEqual({ run: true });
    expect(controlTowerFromContext(read({ controlTower: 'false' }), 'linux', 'x64')).toEqual({ run: false });
  });

  test('is skipped with a reason where cfn-guard has no binary', () => {
    expect(controlTowerFromContext(read({}), 'win32', 'x64')).toEqual({ run: false, why: expect.stringMatching(/do not run on win32-x64/) });
    expect(controlTowerFromContext(read({ controlTower: 'false' }), 'win32', 'x64')).toEqual({ run: false });
  });

  test('fails when controlTower is not a boolean', () => {
    expect(() => controlTowerFromContext(read({ controlTower: 'yes' }), 'linux', 'x64')).toThrow(/context key 'controlTower' must be 'true' or 'false'/);
  });
});
