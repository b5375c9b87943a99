import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CrossRegionReplica, CrossRegionReplicaProps } from './backup/cross-region-replica';
import { DisasterRecoveryVault, DisasterRecoveryVaultProps } from './backup/disaster-recovery-vault';
import { createAccessLogsBucket } from './private/access-logs';
import { replicaBucketName } from './private/naming';
import { Profile } from './profile';
import { BlobBucket } from './storage/blob-bucket';

/**
 * Where the offsite copies of the 3-2-1 rule go: a vault, a key and their region.
 */
export interface DisasterRecoveryTarget {
  /** The locked AWS Backup vault in the DR region. */
  readonly vault: backup.IBackupVault;
  /** The KMS key in the DR region. */
  readonly encryptionKey: kms.IKey;
  /** The DR region. */
  readonly region: string;
  /**
   * Names of the replica buckets in the DR region, by the name of the blob bucket they copy.
   *
   * @default - none
   */
  readonly blobReplicaBucketNames?: { [name: string]: string };
}

/**
 * Properties of a DisasterRecoveryStack.
 */
export interface DisasterRecoveryStackProps extends StackProps, DisasterRecoveryVaultProps {
  /**
   * Names of the primary's blob buckets: each gets a replica bucket here, encrypted with the DR key.
   *
   * @default - none
   */
  readonly blobBucketNames?: string[];
}

/**
 * The stack in the DR region: a DisasterRecoveryVault (KMS key + locked vault). Deploy it
 * first; the primary stack reads its key and vault through cross-region references
 * (`crossRegionReferences: true` on both stacks).
 */
export class DisasterRecoveryStack extends Stack {
  /** The key and locked vault. */
  public readonly drVault: DisasterRecoveryVault;
  /** The vault, key and region to hand the primary stack's DataPlatform. */
  public readonly target: DisasterRecoveryTarget;

  constructor(scope: Construct, id: string, props: DisasterRecoveryStackProps = {}) {
    super(scope, id, props);
    this.drVault = new DisasterRecoveryVault(this, 'Recovery', props);
    const blobReplicaBucketNames: { [name: string]: string } = {};
    const names = props.blobBucketNames ?? [];
    const accessLogs = names.length > 0 ? createAccessLogsBucket(this, 'BlobReplicaAccessLogs', (props.profile ?? Profile.PRODUCTION) === Profile.PRODUCTION) : undefined;
    for (const name of names) {
      const bucketName = replicaBucketName(this.stackName, this.region, name);
      new BlobBucket(this, `BlobReplica-${name}`, {
        profile: props.profile,
        bucketName,
        encryptionKey: this.drVault.encryptionKey,
        accessLogsBucket: accessLogs,
        isReplica: true,
      });
      blobReplicaBucketNames[name] = bucketName;
    }
    this.target = { vault: this.drVault.vault, encryptionKey: this.drVault.encryptionKey, region: this.region, blobReplicaBucketNames };
  }
}

/**
 * Properties of a CrossRegionReplicaStack.
 */
export interface CrossRegionReplicaStackProps extends StackProps, CrossRegionReplicaProps {}

/**
 * A stack in the DR region holding a CrossRegionReplica of the primary. Deploy it after the
 * primary stack (it reads the primary's ARN through a cross-region reference).
 */
export class CrossRegionReplicaStack extends Stack {
  /** The replica. */
  public readonly replica: CrossRegionReplica;

  constructor(scope: Construct, id: string, props: CrossRegionReplicaStackProps) {
    super(scope, id, props);
    this.replica = new CrossRegionReplica(this, 'Replica', props);
    new CfnOutput(this, 'EventTopicArn', { value: this.replica.eventTopic.topicArn, description: 'SNS topic of the replica\'s RDS events (subscribe to it)' });
  }
}
