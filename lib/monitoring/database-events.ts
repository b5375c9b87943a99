import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { grantRdsEvents } from './alarm-topic';
import { PlaybookValidationError } from '../private/validation';

/**
 * Properties of DatabaseEvents.
 */
export interface DatabaseEventsProps {
  /**
   * The topic the events go to, in the region of the instances (RDS sends to a topic of its own
   * region). Its policy, and its key's when it is encrypted, must let `events.rds.amazonaws.com`
   * publish: PlatformAlarms' and CrossRegionReplica's topics do; `DatabaseEvents.allowPublishing`
   * adds that to a topic of your own.
   */
  readonly topic: sns.ITopic;

  /** Identifiers of the DB instances whose events are sent (the primary, its replicas). */
  readonly instanceIdentifiers: string[];

  /**
   * Names of the DB parameter groups whose changes are sent.
   *
   * @default - none
   */
  readonly parameterGroupNames?: string[];

  /**
   * Also subscribe to the account-wide sources of the region: the DB snapshots (a snapshot
   * deleted, copied, exported or restored from: RDS cannot filter them by instance, a snapshot's
   * identifier not being known beforehand) and the DB security groups (EC2-Classic only, so none
   * fire for an instance in a VPC; the subscription is what AWS Control Tower's CT.RDS.PR.19,
   * AWS Config's rds-sg-event-notifications-configured and Security Hub's RDS.22 look for).
   * With several platforms in one account and region, one of them is enough.
   *
   * @default true
   */
  readonly accountWideEvents?: boolean;
}

/**
 * RDS event notifications to the platform's topic: what an alarm on a metric does not say — a
 * failover, a failure, storage running out, maintenance scheduled or applied, a configuration or
 * parameter group change, a recovery, a deleted snapshot. One subscription per source type
 * (AWS::RDS::EventSubscription), each named by CloudFormation after the stack and its logical ID,
 * so that several platforms in one stack or account never collide.
 *
 * DB security groups exist on EC2-Classic only (retired 15 August 2022): an instance in a VPC has
 * VPC security groups, whose changes are EC2's events (CloudTrail), not RDS's. Their subscription
 * (failure, configuration change) is made all the same, account-wide, because account audits ask
 * for it; it costs nothing and stays silent.
 *
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
 */
export class DatabaseEvents extends Construct {
  /**
   * Lets RDS publish its events to a topic of this app encrypted with `key`: a statement for
   * `events.rds.amazonaws.com` in the topic's policy and in the key's, each for this account's
   * RDS resources of the region only. PlatformAlarms' and CrossRegionReplica's topics have it.
   */
  public static allowPublishing(topic: sns.Topic, key: kms.IKey): void {
    grantRdsEvents(topic, key);
  }

  /**
   * The DB instance categories sent: those that ask for an operator (AWS Control Tower's
   * CT.RDS.PR.17 asks for maintenance, failure and configuration change). Backup, creation,
   * deletion, read replica, restoration and security patching are left to the console.
   */
  public static readonly INSTANCE_CATEGORIES: string[] = [
    'availability', 'configuration change', 'failover', 'failure', 'low storage', 'maintenance', 'notification', 'recovery',
  ];

  /** The DB parameter group category sent (the only one RDS has; CT.RDS.PR.18). */
  public static readonly PARAMETER_GROUP_CATEGORIES: string[] = ['configuration change'];

  /**
   * The DB snapshot categories sent: deletion, notification (copies and exports started,
   * finished, failed or canceled) and restoration; not creation, which every daily automated
   * snapshot raises.
   */
  public static readonly SNAPSHOT_CATEGORIES: string[] = ['deletion', 'notification', 'restoration'];

  /** The subscription of the instances' events. */
  public readonly instanceSubscription: rds.CfnEventSubscription;
  /** The subscription of the parameter groups' changes, when there are parameter groups. */
  public readonly parameterGroupSubscription?: rds.CfnEventSubscription;
  /**
   * The DB security group categories (the only two RDS has; CT.RDS.PR.19 asks for both). None
   * fire for an instance in a VPC.
   */
  public static readonly SECURITY_GROUP_CATEGORIES: string[] = ['configuration change', 'failure'];

  /** The subscription of the region's snapshot events, when account-wide events are on. */
  public readonly snapshotSubscription?: rds.CfnEventSubscription;
  /** The subscription of the region's DB security group events, when account-wide events are on. */
  public readonly securityGroupSubscription?: rds.CfnEventSubscription;

  constructor(scope: Construct, id: string, props: DatabaseEventsProps) {
    super(scope, id);
    if (props.instanceIdentifiers.length === 0) {
      throw new PlaybookValidationError(this, 'instanceIdentifiers must name at least one DB instance (got an empty list)');
    }
    for (const [prop, ids] of [['instanceIdentifiers', props.instanceIdentifiers], ['parameterGroupNames', props.parameterGroupNames ?? []]] as const) {
      const literal = ids.filter((i) => !Token.isUnresolved(i));
      if (literal.some((i) => i === '') || new Set(literal).size !== literal.length) {
        throw new PlaybookValidationError(this, `${prop} must be distinct, non-empty names (got ${JSON.stringify(ids)})`);
      }
    }
    // The topic's policy (which lets RDS publish) before the subscriptions that publish to it.
    const topicPolicy = props.topic.node.tryFindChild('Policy');
    const subscription = (subId: string, sourceType: string, eventCategories: string[], sourceIds?: string[]) => {
      const sub = new rds.CfnEventSubscription(this, subId, {
        snsTopicArn: props.topic.topicArn,
        sourceType,
        sourceIds,
        eventCategories,
        enabled: true,
      });
      if (topicPolicy) sub.node.addDependency(topicPolicy);
      return sub;
    };
    this.instanceSubscription = subscription('Instances', 'db-instance', DatabaseEvents.INSTANCE_CATEGORIES, props.instanceIdentifiers);
    if ((props.parameterGroupNames ?? []).length > 0) {
      this.parameterGroupSubscription = subscription('ParameterGroups', 'db-parameter-group', DatabaseEvents.PARAMETER_GROUP_CATEGORIES, props.parameterGroupNames);
    }
    if (props.accountWideEvents ?? true) {
      this.snapshotSubscription = subscription('Snapshots', 'db-snapshot', DatabaseEvents.SNAPSHOT_CATEGORIES);
      this.securityGroupSubscription = subscription('SecurityGroups', 'db-security-group', DatabaseEvents.SECURITY_GROUP_CATEGORIES);
    }
  }
}
