import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CrossRegionReplica, DatabaseEvents, DataPlatform, Profile } from '../../lib';
import { stackWithVpc } from '../support/app';

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };

function platform(props: ConstructorParameters<typeof DataPlatform>[2] = {}) {
  const stack = new Stack(new App(), 'Events', { env: { account: '111122223333', region: 'eu-west-1' } });
  const data = new DataPlatform(stack, 'Data', props);
  const template = Template.fromStack(stack);
  const subscriptions = template.findResources('AWS::RDS::EventSubscription') as Record<string, Resource>;
  const bySource = (type: string) => Object.values(subscriptions).filter((s) => s.Properties.SourceType === type);
  return { stack, data, template, subscriptions, bySource };
}

/** This account's RDS resources of the region, as the template writes the ARN. */
const RDS_OF_THIS_ACCOUNT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:eu-west-1:111122223333:*']] };

const refOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });

describe('DataPlatform sends RDS events to its alarm topic', () => {
  const { stack, data, template, subscriptions, bySource } = platform();
  const topicArn = refOf(stack, data.alarms!.topic as sns.Topic);

  test('one subscription per source type: instances, parameter groups, snapshots, DB security groups', () => {
    expect(Object.values(subscriptions).map((s) => s.Properties.SourceType).sort()).toEqual(['db-instance', 'db-parameter-group', 'db-security-group', 'db-snapshot']);
  });

  test('the primary and the replica: availability, configuration change, failover, failure, low storage, maintenance, notification, recovery', () => {
    const [instances] = bySource('db-instance');
    expect(instances.Properties).toEqual({
      SnsTopicArn: topicArn,
      SourceType: 'db-instance',
      SourceIds: [refOf(stack, data.database.instance), refOf(stack, data.readReplicas.replicas[0].instance)],
      EventCategories: ['availability', 'configuration change', 'failover', 'failure', 'low storage', 'maintenance', 'notification', 'recovery'],
      Enabled: true,
    });
  });

  test('the primary\'s and the replicas\' parameter groups: configuration change', () => {
    const [groups] = bySource('db-parameter-group');
    expect(groups.Properties).toEqual({
      SnsTopicArn: topicArn,
      SourceType: 'db-parameter-group',
      // The DBParameterGroup the instances are attached to, found by the instances' own property.
      SourceIds: [data.database.instance, data.readReplicas.replicas[0].instance]
        .map((i) => (template.findResources('AWS::RDS::DBInstance')[stack.getLogicalId(i.node.defaultChild as never)] as Resource).Properties.DBParameterGroupName),
      EventCategories: ['configuration change'],
      Enabled: true,
    });
  });

  test('the region\'s snapshots (RDS cannot filter them by instance): deletion, notification, restoration, not the daily creations', () => {
    const [snapshots] = bySource('db-snapshot');
    expect(snapshots.Properties).toEqual({
      SnsTopicArn: topicArn, SourceType: 'db-snapshot', EventCategories: ['deletion', 'notification', 'restoration'], Enabled: true,
    });
  });

  test('the region\'s DB security groups (EC2-Classic only, silent for an instance in a VPC; account audits ask for it): configuration change, failure', () => {
    const [groups] = bySource('db-security-group');
    expect(groups.Properties).toEqual({
      SnsTopicArn: topicArn, SourceType: 'db-security-group', EventCategories: ['configuration change', 'failure'], Enabled: true,
    });
  });

  test('no subscription has a fixed name: CloudFormation names each after the stack and its logical id, so platforms never collide', () => {
    for (const s of Object.values(subscriptions)) expect(s.Properties.SubscriptionName).toBeUndefined();
  });

  test('the topic lets RDS publish, for this account\'s RDS resources of the region only, and the subscriptions wait for that policy', () => {
    const policies = template.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [topicArn] } });
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId] = Object.keys(policies);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicArn],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'RdsEventsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'events.rds.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topicArn,
          Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: { 'aws:SourceArn': RDS_OF_THIS_ACCOUNT } },
        }]),
      },
    });
    for (const s of Object.values(subscriptions)) expect(s.DependsOn).toContain(policyId);
  });

  test('the topic\'s key lets RDS events encrypt and decrypt, for this account\'s RDS resources of the region only', () => {
    const topic = template.findResources('AWS::SNS::Topic')[topicArn.Ref] as Resource;
    const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = template.findResources('AWS::KMS::Key')[keyId] as Resource;
    expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual({
      Sid: 'RdsEventsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'events.rds.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: { 'aws:SourceArn': RDS_OF_THIS_ACCOUNT } },
    });
  });

  test('exposes the subscriptions', () => {
    expect(data.databaseEvents!.instanceSubscription.sourceType).toBe('db-instance');
    expect(data.databaseEvents!.parameterGroupSubscription!.sourceType).toBe('db-parameter-group');
    expect(data.databaseEvents!.snapshotSubscription!.sourceType).toBe('db-snapshot');
    expect(data.databaseEvents!.securityGroupSubscription!.sourceType).toBe('db-security-group');
  });
});

describe('DataPlatform database events options', () => {
  test('development: the instance (no replicas) and its parameter group', () => {
    const { stack, data, bySource } = platform({ profile: Profile.DEVELOPMENT });
    expect(bySource('db-instance')[0].Properties.SourceIds).toEqual([refOf(stack, data.database.instance)]);
    expect(bySource('db-parameter-group')[0].Properties.SourceIds).toHaveLength(1);
  });

  test('accountWideDatabaseEvents false leaves the region\'s snapshots and DB security groups to another platform of the account', () => {
    const { bySource } = platform({ monitoring: { accountWideDatabaseEvents: false } });
    expect(bySource('db-snapshot')).toEqual([]);
    expect(bySource('db-security-group')).toEqual([]);
    expect(bySource('db-instance')).toHaveLength(1);
  });

  test('enableDatabaseEvents false, or no alarms, creates none', () => {
    expect(Object.keys(platform({ monitoring: { enableDatabaseEvents: false } }).subscriptions)).toEqual([]);
    expect(Object.keys(platform({ monitoring: { enableAlarms: false } }).subscriptions)).toEqual([]);
  });

  test('an existing topic receives them as it is (its policies are the app\'s)', () => {
    const stack = new Stack(new App(), 'Own', { env: { account: '111122223333', region: 'eu-west-1' } });
    const topic = sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111122223333:ops');
    new DataPlatform(stack, 'Data', { monitoring: { topic } });
    const subs = Template.fromStack(stack).findResources('AWS::RDS::EventSubscription') as Record<string, Resource>;
    expect(Object.values(subs).map((s) => s.Properties.SnsTopicArn)).toEqual(Array(4).fill('arn:aws:sns:eu-west-1:111122223333:ops'));
  });
});

describe('DatabaseEvents on its own', () => {
  test('an instance subscription only, when there is no parameter group and no account-wide events', () => {
    const { stack } = stackWithVpc();
    const topic = new sns.Topic(stack, 'T');
    new DatabaseEvents(stack, 'E', { topic, instanceIdentifiers: ['orders'], accountWideEvents: false });
    const subs = Template.fromStack(stack).findResources('AWS::RDS::EventSubscription') as Record<string, Resource>;
    expect(Object.values(subs).map((s) => [s.Properties.SourceType, s.Properties.SourceIds])).toEqual([['db-instance', ['orders']]]);
  });

  test('allowPublishing lets RDS publish to a topic of the app and use its key, for this account\'s RDS resources only', () => {
    const stack = new Stack(new App(), 'Own', { env: { account: '111122223333', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'K');
    const topic = new sns.Topic(stack, 'T', { masterKey: key });
    DatabaseEvents.allowPublishing(topic, key);
    const template = Template.fromStack(stack);
    const statement = {
      Sid: 'RdsEventsOfThisAccount', Effect: 'Allow', Principal: { Service: 'events.rds.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: { 'aws:SourceArn': RDS_OF_THIS_ACCOUNT } },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: [{ ...statement, Action: 'sns:Publish', Resource: { Ref: stack.getLogicalId(topic.node.defaultChild as never) } }] } });
    template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([{ ...statement, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' }]) } });
  });

  test('fails when no instance is named', () => {
    const { stack } = stackWithVpc();
    expect(() => new DatabaseEvents(stack, 'E', { topic: new sns.Topic(stack, 'T'), instanceIdentifiers: [] }))
      .toThrow(/E: instanceIdentifiers must name at least one DB instance \(got an empty list\)/);
  });

  test('fails when an instance is named twice', () => {
    const { stack } = stackWithVpc();
    expect(() => new DatabaseEvents(stack, 'E', { topic: new sns.Topic(stack, 'T'), instanceIdentifiers: ['a', 'a'] }))
      .toThrow(/instanceIdentifiers must be distinct, non-empty names \(got \["a","a"\]\)/);
  });
});

describe('CrossRegionReplica sends its RDS events to a topic of its own region', () => {
  function replica(props: Partial<ConstructorParameters<typeof CrossRegionReplica>[2]> = {}) {
    const stack = new Stack(new App(), 'Dr', { env: { account: '111122223333', region: 'us-west-2' } });
    const key = new kms.Key(stack, 'K');
    const r = new CrossRegionReplica(stack, 'Replica', { sourceInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:orders', sourceRegion: 'us-east-1', encryptionKey: key, ...props });
    return { stack, r, template: Template.fromStack(stack) };
  }

  test('a new encrypted topic RDS may publish to; the replica and its parameter group subscribed, and the DR region\'s snapshots and DB security groups', () => {
    const { stack, r, template } = replica();
    const topicArn = refOf(stack, r.eventTopic as sns.Topic);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicArn],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'RdsEventsOfThisAccount', Principal: { Service: 'events.rds.amazonaws.com' } })]) },
    });
    const subs = Object.values(template.findResources('AWS::RDS::EventSubscription') as Record<string, Resource>);
    expect(subs.map((s) => s.Properties.SourceType).sort()).toEqual(['db-instance', 'db-parameter-group', 'db-security-group', 'db-snapshot']);
    expect(subs.find((s) => s.Properties.SourceType === 'db-instance')!.Properties).toMatchObject({
      SnsTopicArn: topicArn, SourceIds: [refOf(stack, r)], EventCategories: DatabaseEvents.INSTANCE_CATEGORIES,
    });
  });

  test('Database Insights Standard and Extended Support by default, as the production primary; the primary\'s choices when given', () => {
    const instance = (t: Template) => Object.values(t.findResources('AWS::RDS::DBInstance'))[0] as Resource;
    expect(instance(replica().template).Properties).toMatchObject({
      DatabaseInsightsMode: 'standard', PerformanceInsightsRetentionPeriod: 7, EngineLifecycleSupport: 'open-source-rds-extended-support',
    });
    expect(instance(replica({ databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED, engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED }).template).Properties)
      .toMatchObject({ DatabaseInsightsMode: 'advanced', PerformanceInsightsRetentionPeriod: 465, EngineLifecycleSupport: 'open-source-rds-extended-support-disabled' });
  });

  test('an existing topic of the DR region instead of a new one', () => {
    const { template } = replica({ eventTopic: sns.Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:us-west-2:111122223333:dr-ops') });
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([]);
    const subs = Object.values(template.findResources('AWS::RDS::EventSubscription') as Record<string, Resource>);
    expect(new Set(subs.map((s) => s.Properties.SnsTopicArn))).toEqual(new Set(['arn:aws:sns:us-west-2:111122223333:dr-ops']));
  });
});
