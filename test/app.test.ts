import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../bin/config';
import { shippedApp } from './support/app';
import { acknowledgments, rawFindings, violations } from './support/nag';

/** The shipped app as `npx cdk synth` builds it from cdk.json, in each profile. */
const PROFILES = ['production', 'development'];

describe.each(PROFILES)('shipped app, %s profile', (profile) => {
  function build(): { stack: Stack } {
    const app = shippedApp({ profile });
    return { stack: buildApp(app) };
  }

  test('has zero unacknowledged AwsSolutions findings', () => {
    const { stack } = build();
    expect(violations(new AwsSolutionsChecks(stack.node.root), stack)).toEqual([]);
  });

  test('acknowledges findings on the narrowest construct, each with a specific reason and a real finding', () => {
    const { stack } = build();
    const acks = acknowledgments(stack, 'AwsSolutions-');
    const raw = rawFindings(new AwsSolutionsChecks(stack.node.root), stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect({ ack, onStack: ack.onStack }).toEqual({ ack, onStack: false });
      expect(ack.reason.length).toBeGreaterThanOrEqual(40);
      // No stale acknowledgment: each one hides a finding under the construct it sits on.
      const hidden = raw.filter((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect({ ack, hides: hidden.length > 0 }).toEqual({ ack, hides: true });
    }
    // Reasons are specific to their resource, not one blanket sentence.
    expect(new Set(acks.map((a) => a.reason)).size).toBe(acks.length);
  });

  test('matches the reviewed snapshot (asset hashes stripped)', () => {
    const { stack } = build();
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

describe('stateful resources keep their logical IDs', () => {
  // A renamed construct ID gives a new logical ID, and CloudFormation then REPLACES the
  // resource: a new empty database, a new key (old backups unreadable), a new secret.
  // If this test fails, do not update the list: restore the construct IDs.
  const COMMON: Record<string, string[]> = {
    'AWS::RDS::DBInstance': ['DataDatabase0D65E61D'],
    'AWS::KMS::Key': ['DataDatabaseKeyB8979787'],
    'AWS::SecretsManager::Secret': ['DataDatabaseSecret56D68720'],
    'AWS::RDS::DBParameterGroup': ['DataDatabaseParameterGroupD38767B7'],
    'AWS::RDS::DBSubnetGroup': ['DataDatabaseSubnetGroup803E997C'],
    'AWS::EC2::VPC': ['DataVpcEE187D0A'],
    // A replaced zone of the same name cannot be associated with the VPC while the old one is.
    'AWS::Route53::HostedZone': ['DataEndpointsZone6BD9FFD1'],
    'AWS::RDS::DBProxy': [],
  };
  const EXPECTED: Record<string, Record<string, string[]>> = {
    development: COMMON,
    production: {
      ...COMMON,
      'AWS::RDS::DBInstance': ['DataDatabase0D65E61D', 'DataReplicasReplica16E5CFF9A'],
      'AWS::RDS::DBParameterGroup': ['DataDatabaseParameterGroupD38767B7', 'DataReplicasParameterGroup3F7DDFDB'],
      'AWS::RDS::DBSubnetGroup': ['DataDatabaseSubnetGroup803E997C', 'DataReplicasReplica1SubnetGroupA0D5549C'],
      // A replaced proxy drops every pooled connection and gets a new endpoint.
      'AWS::RDS::DBProxy': ['DataPool580D1334'],
    },
  };

  test.each(PROFILES)('in the %s profile', (profile) => {
    const template = Template.fromStack(buildApp(shippedApp({ profile })));
    const actual: Record<string, string[]> = {};
    for (const type of Object.keys(EXPECTED[profile])) actual[type] = Object.keys(template.findResources(type)).sort();
    expect(actual).toEqual(EXPECTED[profile]);
  });
});
