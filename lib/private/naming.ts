import * as crypto from 'crypto';
import { Aws, Token } from 'aws-cdk-lib';

/**
 * The name of the DR-region replica of a blob bucket, known to both stacks without a
 * cross-stack reference (which would make the DR stack depend on the primary through the
 * replication role): `dbp-<hash of DR stack, region and name>-<name>-<account>`, at most 58
 * characters.
 */
export function replicaBucketName(drStackName: string, drRegion: string, name: string): string {
  if (Token.isUnresolved(drStackName) || Token.isUnresolved(drRegion)) {
    throw new Error('replicaBucketName needs the DR stack name and region as literals');
  }
  const hash = crypto.createHash('sha256').update(`${drStackName}/${drRegion}/${name}`).digest('hex').slice(0, 8);
  return `dbp-${hash}-${name}-${Aws.ACCOUNT_ID}`;
}
