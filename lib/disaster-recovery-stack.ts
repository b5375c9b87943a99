import { Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CrossRegionReplica, CrossRegionReplicaProps } from './backup/cross-region-replica';
import { DisasterRecoveryVault, DisasterRecoveryVaultProps } from './backup/disaster-recovery-vault';

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
}

/**
 * Properties of a DisasterRecoveryStack.
 */
export interface DisasterRecoveryStackProps extends StackProps, DisasterRecoveryVaultProps {}

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
    this.target = { vault: this.drVault.vault, encryptionKey: this.drVault.encryptionKey, region: this.region };
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
  }
}
