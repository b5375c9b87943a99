import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PlaybookValidationError } from '../private/validation';
import { Profile } from '../profile';
import { createKey } from '../private/keys';
import { acknowledgeAwsCdkProviders } from '../private/nag';

/**
 * Properties of a DisasterRecoveryVault.
 */
export interface DisasterRecoveryVaultProps {
  /**
   * The profile the defaults come from.
   *
   * @default Profile.PRODUCTION
   */
  readonly profile?: Profile;

  /**
   * The shortest time Vault Lock lets any recovery point in the vault be kept (at least 7 days):
   * no one, not even the account root, can delete a copy earlier.
   *
   * @default Duration.days(7)
   * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
   */
  readonly minRetention?: Duration;

  /**
   * The longest retention Vault Lock allows.
   *
   * @default - no maximum
   */
  readonly maxRetention?: Duration;

  /**
   * How long the lock stays changeable (governance) before it becomes immutable (compliance
   * mode); at least 3 days. After that the lock, and the vault while it holds recovery
   * points, cannot be removed.
   *
   * @default Duration.days(3)
   */
  readonly changeableFor?: Duration;

  /**
   * An existing KMS key in this region for everything copied here.
   *
   * @default - a new key with rotation, retained on deletion
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The offsite copy of the 3-2-1 rule, in a second region: a KMS key for everything copied
 * there (replicated automated backups, AWS Backup copies, a cross-region replica) and an AWS
 * Backup vault under Vault Lock. Deploy it in the DR region, before the primary stack.
 */
export class DisasterRecoveryVault extends Construct {
  /** The key for everything copied to this region. */
  public readonly encryptionKey: kms.IKey;
  /** The locked vault the primary region's copies land in. */
  public readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: DisasterRecoveryVaultProps = {}) {
    super(scope, id);
    acknowledgeAwsCdkProviders(Stack.of(this));
    const production = (props.profile ?? Profile.PRODUCTION) === Profile.PRODUCTION;
    const minRetention = props.minRetention ?? Duration.days(7);
    const changeableFor = props.changeableFor ?? Duration.days(3);
    const days = (d: Duration) => d.toDays({ integral: false });
    if (!minRetention.isUnresolved() && days(minRetention) < 7) {
      throw new PlaybookValidationError(this, `minRetention must be at least 7 days (got ${days(minRetention)} days)`);
    }
    if (!changeableFor.isUnresolved() && (days(changeableFor) < 3 || days(changeableFor) > 36500)) {
      throw new PlaybookValidationError(this, `changeableFor must be 3 to 36500 days: AWS needs at least 3 days before a lock becomes immutable (got ${days(changeableFor)} days)`);
    }
    if (props.maxRetention && !props.maxRetention.isUnresolved() && !minRetention.isUnresolved()
      && days(props.maxRetention) < days(minRetention)) {
      throw new PlaybookValidationError(this,
        `maxRetention must be at least minRetention (got maxRetention ${days(props.maxRetention)} days < minRetention ${days(minRetention)} days)`);
    }

    this.encryptionKey = props.encryptionKey ?? createKey(this, 'Key', {
      description: `Encrypts the disaster-recovery copies of ${this.node.path}`,
      enableKeyRotation: true,
      // Copies encrypted with a deleted key are lost: the key outlives the stack in production.
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: this.encryptionKey,
      lockConfiguration: { minRetention, maxRetention: props.maxRetention, changeableFor },
      // A locked vault with recovery points cannot be deleted anyway; never try.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
