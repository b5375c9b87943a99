import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { buildStacks } from '../bin/config';
import { shippedApp } from './support/app';
import { acknowledgments, rawFindings, violations } from './support/nag';

/** The shipped app as `npx cdk synth` builds it from cdk.json, in each variant. */
const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ['production', {}],
  ['production-with-dr-replica', { drReplica: 'true' }],
  ['development', { profile: 'development' }],
];

function stacksOf(context: Record<string, unknown>): Stack[] {
  const { primary, dr, drReplica } = buildStacks(shippedApp(context));
  return [dr, primary, drReplica].filter((s): s is NonNullable<typeof s> => s !== undefined);
}

describe.each(VARIANTS)('shipped app, %s', (variant, context) => {
  test('has the expected stacks', () => {
    const names = stacksOf(context).map((s) => s.stackName);
    const expected = {
      'production': ['DataPlatform-DR', 'DataPlatform'],
      'production-with-dr-replica': ['DataPlatform-DR', 'DataPlatform', 'DataPlatform-DR-Replica'],
      'development': ['DataPlatform'],
    }[variant];
    expect(names).toEqual(expected);
  });

  test('has zero unacknowledged AwsSolutions findings', () => {
    for (const stack of stacksOf(context)) {
      expect({ stack: stack.stackName, violations: violations(new AwsSolutionsChecks(stack.node.root), stack) })
        .toEqual({ stack: stack.stackName, violations: [] });
    }
  });

  test('acknowledges findings on the narrowest construct, each with a specific reason and a real finding', () => {
    const all: Array<{ reason: string }> = [];
    for (const stack of stacksOf(context)) {
      const acks = acknowledgments(stack, 'AwsSolutions-');
      const raw = rawFindings(new AwsSolutionsChecks(stack.node.root), stack);
      for (const ack of acks) {
        expect({ ack, onStack: ack.onStack }).toEqual({ ack, onStack: false });
        expect(ack.reason.length).toBeGreaterThanOrEqual(40);
        // No stale acknowledgment: each one hides a finding under the construct it sits on.
        const hidden = raw.filter((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
        expect({ ack, hides: hidden.length > 0 }).toEqual({ ack, hides: true });
      }
      all.push(...acks);
    }
    expect(all.length).toBeGreaterThan(0);
  });

  test('matches the reviewed snapshots (asset hashes stripped)', () => {
    for (const stack of stacksOf(context)) {
      expect(Template.fromStack(stack).toJSON()).toMatchSnapshot(stack.stackName);
    }
  });
});

describe('stateful resources keep their logical IDs', () => {
  // A renamed construct ID gives a new logical ID, and CloudFormation then REPLACES the
  // resource: a new empty database, a new key (old backups unreadable), a new secret, a new vault.
  // If this test fails, do not update the list: restore the construct IDs.
  const PRIMARY_COMMON: Record<string, string[]> = {
    'AWS::RDS::DBInstance': ['DataDatabase0D65E61D'],
    'AWS::KMS::Key': ['DataAlarmsTopicKeyA7517838', 'DataBlobuploadsKeyB1D6A9D6', 'DataCacheKey016C0323', 'DataDatabaseKeyB8979787', 'DataFlowLogsKey6C1BE062'],
    'AWS::SecretsManager::Secret': ['DataCacheAuthTokenEA966268', 'DataDatabaseApplicationUserSecret77E2FB69', 'DataDatabaseMonitoringUserSecretC13E4991',
      'DataDatabaseReadOnlyUserSecret7A336564', 'DataDatabaseSecret56D68720'],
    // A role's or schema's custom resource with a new logical ID creates it again and deletes the
    // old one, which a role that owns tables refuses (and the application's secret changes).
    'Custom::PostgresRole': ['DataDatabaseApplicationUser05C6E85B', 'DataDatabaseMonitoringUserABE40405', 'DataDatabaseReadOnlyGroupAD77B869', 'DataDatabaseReadOnlyUserCB955E85'],
    'Custom::PostgresSchema': ['DataDatabaseApplicationSchema1B8831C5'],
    // A replaced bucket is a new, empty bucket; a replaced cache loses its data and endpoint.
    'AWS::S3::Bucket': ['DataBlobAccessLogs0C60BA0F', 'DataBlobuploads92B8F1CF'],
    'AWS::ElastiCache::ReplicationGroup': ['DataCache3513A55E'],
    'AWS::RDS::DBParameterGroup': ['DataDatabaseParameterGroupD38767B7'],
    'AWS::RDS::DBSubnetGroup': ['DataDatabaseSubnetGroup803E997C'],
    'AWS::EC2::VPC': ['DataVpcEE187D0A'],
    // A replaced zone of the same name cannot be associated with the VPC while the old one is.
    'AWS::Route53::HostedZone': ['DataEndpointsZone6BD9FFD1'],
    'AWS::RDS::DBProxy': [],
    'AWS::Backup::BackupVault': [],
    'AWS::Backup::BackupPlan': [],
    'AWS::Backup::RestoreTestingPlan': [],
  };
  const EXPECTED: Record<string, Record<string, Record<string, string[]>>> = {
    development: { DataPlatform: PRIMARY_COMMON },
    production: {
      'DataPlatform': {
        ...PRIMARY_COMMON,
        'AWS::RDS::DBInstance': ['DataDatabase0D65E61D', 'DataReplicasReplica16E5CFF9A'],
        'AWS::KMS::Key': ['DataAlarmsTopicKeyA7517838', 'DataBackupVaultKey820DFED0', 'DataBlobuploadsKeyB1D6A9D6', 'DataCacheKey016C0323', 'DataDatabaseKeyB8979787', 'DataFlowLogsKey6C1BE062'],
        'AWS::RDS::DBParameterGroup': ['DataDatabaseParameterGroupD38767B7', 'DataReplicasParameterGroup3F7DDFDB'],
        'AWS::RDS::DBSubnetGroup': ['DataDatabaseSubnetGroup803E997C', 'DataReplicasReplica1SubnetGroupA0D5549C'],
        // A replaced proxy drops every pooled connection and gets a new endpoint.
        'AWS::RDS::DBProxy': ['DataPool580D1334'],
        'AWS::Backup::BackupVault': ['DataBackupVault7EE20BF7'],
        'AWS::Backup::BackupPlan': ['DataBackupPlanF354EE45'],
        'AWS::Backup::RestoreTestingPlan': ['DataRestoreTestingPlan1977306F'],
        'AWS::SecretsManager::Secret': [...PRIMARY_COMMON['AWS::SecretsManager::Secret'], 'DataRestoreTestingValidationUserSecret9219B0C6'].sort(),
        'Custom::PostgresRole': [...PRIMARY_COMMON['Custom::PostgresRole'], 'DataRestoreTestingValidationUser5186CEF2'].sort(),
      },
      'DataPlatform-DR': {
        // The DR key encrypts every offsite copy; the vault is locked.
        'AWS::KMS::Key': ['RecoveryKeyF0CE256A'],
        'AWS::Backup::BackupVault': ['RecoveryVault36CA333C'],
        'AWS::S3::Bucket': ['BlobReplicaAccessLogs975B042B', 'BlobReplicauploadsFD027C8A'],
      },
    },
    'production-with-dr-replica': {
      'DataPlatform-DR-Replica': {
        'AWS::RDS::DBInstance': ['ReplicaDDFB2A87'],
        'AWS::RDS::DBSubnetGroup': ['ReplicaSubnetGroupDCB8F807'],
        'AWS::RDS::DBParameterGroup': ['ReplicaParameterGroupBF013B3D'],
        'AWS::EC2::VPC': ['ReplicaVpc64C777BA'],
      },
    },
  };

  test.each(Object.keys(EXPECTED))('in the %s variant', (variant) => {
    const context = Object.fromEntries(VARIANTS)[variant];
    const actual: Record<string, Record<string, string[]>> = {};
    for (const stack of stacksOf(context)) {
      const expected = EXPECTED[variant][stack.stackName];
      if (!expected) continue;
      const template = Template.fromStack(stack);
      actual[stack.stackName] = Object.fromEntries(Object.keys(expected).map((type) => [type, Object.keys(template.findResources(type)).sort()]));
    }
    expect(actual).toEqual(EXPECTED[variant]);
  });
});

describe.each([
  ['HIPAA Security', 'HIPAA.Security-', HIPAASecurityChecks],
  ['NIST 800-53 R5', 'NIST.800.53.R5-', NIST80053R5Checks],
  ['PCI DSS 3.2.1', 'PCI.DSS.321-', PCIDSS321Checks],
] as const)('compliance pack %s on the shipped production app', (_name, prefix, Pack) => {
  test('has zero unacknowledged findings in every stack', () => {
    for (const stack of stacksOf({ drReplica: 'true' })) {
      expect({ stack: stack.stackName, violations: violations(new Pack(stack.node.root), stack) }).toEqual({ stack: stack.stackName, violations: [] });
    }
  });

  test('acknowledges on the narrowest construct, with a specific reason, only real findings', () => {
    let count = 0;
    for (const stack of stacksOf({ drReplica: 'true' })) {
      const raw = rawFindings(new Pack(stack.node.root), stack);
      for (const ack of acknowledgments(stack, prefix)) {
        expect({ ack, onStack: ack.onStack }).toEqual({ ack, onStack: false });
        expect(ack.reason.length).toBeGreaterThanOrEqual(40);
        count++;
      }
      // Every finding the pack would report is hidden by an acknowledgment in this stack.
      const hiddenRules = new Set(acknowledgments(stack, prefix).map((a) => a.rule));
      for (const f of raw) expect({ finding: f, acknowledged: hiddenRules.has(f.rule) }).toEqual({ finding: f, acknowledged: true });
    }
    expect(count).toBeGreaterThan(0);
  });
});

describe('HIPAA and NIST 800-53 R5 backup rule (RDSInBackupPlan)', () => {
  test.each([['HIPAA', HIPAASecurityChecks], ['NIST 800-53 R5', NIST80053R5Checks]] as const)('%s: every database is in a backup plan', (_name, Pack) => {
    for (const stack of stacksOf({ drReplica: 'true' })) {
      const pack = new Pack(stack.node.root);
      const findings = violations(pack, stack).filter((f) => f.rule.endsWith('RDSInBackupPlan'));
      expect({ stack: stack.stackName, findings }).toEqual({ stack: stack.stackName, findings: [] });
    }
  });

  test('the rule really fires without the backup plan (development profile)', () => {
    const [stack] = stacksOf({ profile: 'development' });
    const findings = violations(new HIPAASecurityChecks(stack.node.root), stack).filter((f) => f.rule.endsWith('RDSInBackupPlan'));
    expect(findings.map((f) => f.path)).toEqual(['DataPlatform/Data/Database/Resource/Resource']);
  });
});
