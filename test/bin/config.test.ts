import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, CONTEXT_KEYS, stackPropsFromContext } from '../../bin/config';
import { Profile } from '../../lib';
import { ROOT, shippedApp } from '../support/app';

const read = (ctx: Record<string, unknown>) => (key: string) => ctx[key];

describe('stackPropsFromContext', () => {
  test('defaults to a production stack named DataPlatform in us-east-1 with no account', () => {
    const props = stackPropsFromContext(read({}));
    expect(props).toMatchObject({ stackName: 'DataPlatform', profile: Profile.PRODUCTION, env: { account: undefined, region: 'us-east-1' } });
  });

  test('reads every key, from strings as -c key=value gives them', () => {
    const props = stackPropsFromContext(read({
      profile: 'development', account: '123456789012', region: 'eu-west-1', stackName: 'Orders-Db',
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
    const db = stackPropsFromContext(read({ allocatedStorage: 30, multiAz: false })).database!;
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
  ])('fails when %s is malformed (%s)', (key, value, message) => {
    expect(() => stackPropsFromContext(read({ [key]: value }))).toThrow(message);
  });
});

describe('buildApp', () => {
  test('fails at synth when a context value is out of range for the construct', () => {
    expect(() => buildApp(shippedApp({ backupRetentionDays: '0' }))).toThrow(/backupRetention must be 1-35 days in production/);
    expect(() => buildApp(shippedApp({ port: '80' }))).toThrow(/port must be an integer from 1150 to 65535 \(got 80\)/);
    expect(() => buildApp(shippedApp({ readReplicas: '16' }))).toThrow(/count must be an integer from 0 to 15 \(got 16\)/);
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

test('App builds from a fresh App without cdk.json context too', () => {
  expect(() => buildApp(new App())).not.toThrow();
});
