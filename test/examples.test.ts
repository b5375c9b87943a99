import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { ExistingAppStack } from '../examples/existing-app/app';
import { MinimalDevStack } from '../examples/minimal-dev/app';
import { productionApp } from '../examples/production-dr/app';
import { ReadWriteSplitStack } from '../examples/read-write-split/app';
import { ROOT } from './support/app';

/** The lines between `// <readme:NAME>` and `// </readme:NAME>`, without their indentation. */
function markedSnippet(file: string, name: string): string {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const match = text.match(new RegExp(`// <readme:${name}>\\n([\\s\\S]*?)\\n\\s*// </readme:${name}>`));
  if (!match) throw new Error(`${file} has no readme:${name} markers`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Every example's stacks, each app built once for this file: the tests only read templates. */
const BUILDERS: Record<string, () => Stack[]> = {
  'existing-app': () => [new ExistingAppStack(new App(), 'ExistingApp')],
  'minimal-dev': () => [new MinimalDevStack(new App(), 'MinimalDev')],
  'production-dr': () => { const { dr, primary } = productionApp(new App()); return [dr, primary]; },
  'read-write-split': () => [new ReadWriteSplitStack(new App(), 'ReadWriteSplit')],
};
const built = new Map<string, Stack[]>();
function example(name: string): Stack[] {
  if (!built.has(name)) built.set(name, BUILDERS[name]());
  return built.get(name)!;
}
const stackOf = <T extends Stack>(name: string, index = 0) => example(name)[index] as T;

describe('examples/existing-app', () => {
  test('README shows exactly the type-checked snippet of the example', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/existing-app/app.ts', 'existing-app') + '\n```');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/existing-app/app.ts', 'building-blocks') + '\n```');
  });

  test('synthesizes with the app\'s own VPC and key, and wires the function in', () => {
    const template = Template.fromStack(stackOf('existing-app'));
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBName: 'orders', Port: '5433', StorageEncrypted: true });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5433, ToPort: 5433 });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DB_PORT: '5433' }) } });
    template.resourceCountIs('AWS::RDS::DBProxy', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DB_REPLICA_URL: 'postgresql://orders_app@reader.db.internal:5433/orders?sslmode=verify-full', DB_USER: 'orders_app' }) },
    });
  });
});

describe('examples/read-write-split', () => {
  test('README shows exactly the type-checked snippet of the example', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/read-write-split/app.ts', 'read-write-split') + '\n```');
  });

  test('the function gets the writer and reader URLs through the platform, and two replicas back the reader', () => {
    const stack = stackOf<ReadWriteSplitStack>('read-write-split');
    const template = Template.fromStack(stack);
    const fnId = stack.getLogicalId(stack.notes.node.defaultChild as never);
    const variables = template.findResources('AWS::Lambda::Function')[fnId].Properties.Environment.Variables;
    // The platform's own users, never the master (README: "Roles and users").
    expect(variables.DB_PRIMARY_URL).toBe('postgresql://app_writer@writer.db.internal:5432/app?sslmode=verify-full');
    expect(variables.DB_REPLICA_URL).toBe('postgresql://app_reader@reader.db.internal:5433/app?sslmode=verify-full');
    expect(Object.keys(template.findResources('AWS::Route53::RecordSet', { Properties: { Name: 'reader.db.internal.' } }))).toHaveLength(2);
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });
});

describe('examples/production-dr', () => {
  test('README shows exactly the type-checked snippet of the example', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/production-dr/app.ts', 'production-dr') + '\n```');
  });

  test('copies to the DR region and tests restores with the table checks', () => {
    const [dr, primary] = example('production-dr');
    const template = Template.fromStack(primary);
    expect((primary.node.root as App).synth().getStackByName(primary.stackName).dependencies.map((d) => d.id)).toContain(dr.artifactId);
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
    template.resourceCountIs('AWS::Backup::RestoreTestingPlan', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { AutomaticBackupReplicationRegion: 'us-west-2' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHECKS: JSON.stringify({ tables: [{ name: 'public.orders', minRows: 1000 }] }) }) },
    });
  });
});

describe('examples/minimal-dev', () => {
  test('README shows exactly the type-checked snippet of the example', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/minimal-dev/app.ts', 'minimal-dev') + '\n```');
  });

  test('is the cheapest thing that works: one micro instance, no replica, proxy or copies, destroyable', () => {
    const template = Template.fromStack(stackOf('minimal-dev'));
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResource('AWS::RDS::DBInstance', { Properties: Match.objectLike({ DBInstanceClass: 'db.t4g.micro', MultiAZ: false }), DeletionPolicy: 'Delete' });
    for (const type of ['AWS::RDS::DBProxy', 'AWS::Backup::BackupPlan', 'AWS::CloudWatch::Dashboard', 'AWS::ElastiCache::ReplicationGroup']) {
      template.resourceCountIs(type, 0);
    }
  });

  test('creates no interface endpoint it never uses: Secrets Manager only, for the secret rotation', () => {
    // An interface endpoint costs per AZ and hour (2 ENIs here): more than the micro instance when unused.
    const endpoints = Template.fromStack(stackOf('minimal-dev')).findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    expect(Object.values(endpoints).map((e) => JSON.stringify(e.Properties.ServiceName))).toEqual([expect.stringContaining('.secretsmanager')]);
  });
});

describe('every example', () => {
  // Zero unacknowledged cdk-nag (and Control Tower) findings: test/policy-packs.test.ts, in both synth modes.
  test.each(Object.keys(BUILDERS))('%s matches its reviewed snapshot (asset hashes stripped)', (name) => {
    for (const stack of example(name)) expect(Template.fromStack(stack).toJSON()).toMatchSnapshot(stack.stackName);
  });
});

describe('stateful resources of the examples keep their logical IDs', () => {
  // Listed when each example was written. If this fails, restore the construct IDs: a new
  // logical ID replaces the database, key, secret, bucket or cache of everyone who copied it
  // (and a role's or schema's custom resource: a new one creates the role again under its
  // new resource and deletes the old, which a role owning tables refuses).
  const EXPECTED: Record<string, Record<string, string[]>> = {
    'ExistingApp': {
      'AWS::RDS::DBInstance': [
        'Orders2A43276C',
        'OrdersReadersReplica1F9A45BDC',
        'OrdersReadersReplica2BCC2E6D0'
      ],
      'AWS::KMS::Key': [
        'AppKey51DFC408'
      ],
      'AWS::SecretsManager::Secret': [
        'OrdersOrdersAppSecret5A1D14CD',
        'OrdersSecret93AA201F'
      ],
      'AWS::RDS::DBParameterGroup': [
        'OrdersParameterGroup6F967BFE',
        'OrdersReadersParameterGroup6DC2B093'
      ],
      'AWS::RDS::DBSubnetGroup': [
        'OrdersReadersReplica1SubnetGroupFA607450',
        'OrdersReadersReplica2SubnetGroupC9826B28',
        'OrdersSubnetGroup47519492'
      ],
      'AWS::EC2::VPC': [
        'AppVpc80F1F7F9'
      ],
      'AWS::Route53::HostedZone': [
        'NamesZone7D60C791'
      ],
      'AWS::RDS::DBProxy': [
        'OrdersPool37B5512A'
      ],
      'Custom::PostgresRole': [
        'OrdersOrdersAppE80C7475'
      ],
      'Custom::PostgresSchema': [
        'OrdersOrdersSchema24631319'
      ]
    },
    'MinimalDev': {
      'AWS::RDS::DBInstance': [
        'DataDatabase0D65E61D'
      ],
      'AWS::KMS::Key': [
        'DataAlarmsTopicKeyA7517838',
        'DataDatabaseKeyB8979787',
        'DataFlowLogsKey6C1BE062'
      ],
      'AWS::SecretsManager::Secret': [
        'DataDatabaseApplicationUserSecret77E2FB69',
        'DataDatabaseMonitoringUserSecretC13E4991',
        'DataDatabaseReadOnlyUserSecret7A336564',
        'DataDatabaseSecret56D68720'
      ],
      'AWS::RDS::DBParameterGroup': [
        'DataDatabaseParameterGroupD38767B7'
      ],
      'AWS::RDS::DBSubnetGroup': [
        'DataDatabaseSubnetGroup803E997C'
      ],
      'AWS::EC2::VPC': [
        'DataVpcEE187D0A'
      ],
      'AWS::Route53::HostedZone': [
        'DataEndpointsZone6BD9FFD1'
      ],
      'Custom::PostgresRole': [
        'DataDatabaseApplicationUser05C6E85B',
        'DataDatabaseMonitoringUserABE40405',
        'DataDatabaseReadOnlyGroupAD77B869',
        'DataDatabaseReadOnlyUserCB955E85'
      ],
      'Custom::PostgresSchema': [
        'DataDatabaseApplicationSchema1B8831C5'
      ]
    },
    'ProductionDr': {
      'AWS::KMS::Key': [
        'RecoveryKeyF0CE256A'
      ],
      'AWS::Backup::BackupVault': [
        'RecoveryVault36CA333C'
      ]
    },
    'Production': {
      'AWS::RDS::DBInstance': [
        'DataDatabase0D65E61D',
        'DataReplicasReplica16E5CFF9A'
      ],
      'AWS::KMS::Key': [
        'DataAlarmsTopicKeyA7517838',
        'DataBackupVaultKey820DFED0',
        'DataDatabaseKeyB8979787',
        'DataFlowLogsKey6C1BE062'
      ],
      'AWS::SecretsManager::Secret': [
        'DataDatabaseApplicationUserSecret77E2FB69',
        'DataDatabaseMonitoringUserSecretC13E4991',
        'DataDatabaseReadOnlyUserSecret7A336564',
        'DataDatabaseSecret56D68720',
        'DataRestoreTestingValidationUserSecret9219B0C6'
      ],
      'AWS::RDS::DBParameterGroup': [
        'DataDatabaseParameterGroupD38767B7',
        'DataReplicasParameterGroup3F7DDFDB'
      ],
      'AWS::RDS::DBSubnetGroup': [
        'DataDatabaseSubnetGroup803E997C',
        'DataReplicasReplica1SubnetGroupA0D5549C'
      ],
      'AWS::EC2::VPC': [
        'DataVpcEE187D0A'
      ],
      'AWS::Route53::HostedZone': [
        'DataEndpointsZone6BD9FFD1'
      ],
      'AWS::RDS::DBProxy': [
        'DataPool580D1334'
      ],
      'AWS::Backup::BackupVault': [
        'DataBackupVault7EE20BF7'
      ],
      'Custom::PostgresRole': [
        'DataDatabaseApplicationUser05C6E85B',
        'DataDatabaseMonitoringUserABE40405',
        'DataDatabaseReadOnlyGroupAD77B869',
        'DataDatabaseReadOnlyUserCB955E85',
        'DataRestoreTestingValidationUser5186CEF2'
      ],
      'Custom::PostgresSchema': [
        'DataDatabaseApplicationSchema1B8831C5'
      ]
    },
    'ReadWriteSplit': {
      'AWS::RDS::DBInstance': [
        'DataDatabase0D65E61D',
        'DataReplicasReplica16E5CFF9A',
        'DataReplicasReplica221114A18'
      ],
      'AWS::KMS::Key': [
        'DataAlarmsTopicKeyA7517838',
        'DataDatabaseKeyB8979787',
        'DataFlowLogsKey6C1BE062'
      ],
      'AWS::SecretsManager::Secret': [
        'DataDatabaseApplicationUserSecret77E2FB69',
        'DataDatabaseMonitoringUserSecretC13E4991',
        'DataDatabaseReadOnlyUserSecret7A336564',
        'DataDatabaseSecret56D68720'
      ],
      'AWS::RDS::DBParameterGroup': [
        'DataDatabaseParameterGroupD38767B7',
        'DataReplicasParameterGroup3F7DDFDB'
      ],
      'AWS::RDS::DBSubnetGroup': [
        'DataDatabaseSubnetGroup803E997C',
        'DataReplicasReplica1SubnetGroupA0D5549C',
        'DataReplicasReplica2SubnetGroup03688FFB'
      ],
      'AWS::EC2::VPC': [
        'DataVpcEE187D0A'
      ],
      'AWS::Route53::HostedZone': [
        'DataEndpointsZone6BD9FFD1'
      ],
      'AWS::RDS::DBProxy': [
        'DataPool580D1334'
      ],
      'Custom::PostgresRole': [
        'DataDatabaseApplicationUser05C6E85B',
        'DataDatabaseMonitoringUserABE40405',
        'DataDatabaseReadOnlyGroupAD77B869',
        'DataDatabaseReadOnlyUserCB955E85'
      ],
      'Custom::PostgresSchema': [
        'DataDatabaseApplicationSchema1B8831C5'
      ]
    }
  };;
  const TYPES = [...new Set(Object.values(EXPECTED).flatMap((byType) => Object.keys(byType)))];
  test.each(Object.keys(EXPECTED))('%s', (name) => {
    const stack = Object.keys(BUILDERS).flatMap(example).find((s) => s.stackName === name)!;
    const template = Template.fromStack(stack);
    const actual: Record<string, string[]> = {};
    for (const type of TYPES) {
      const found = Object.keys(template.findResources(type)).sort();
      if (found.length) actual[type] = found;
    }
    expect(actual).toEqual(EXPECTED[name]);
  });
});
