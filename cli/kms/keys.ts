/** Reading KMS keys: which key an id, ARN or alias names, and its state. Read-only. */
import { DescribeKeyCommand, KeyMetadata, KMSClient } from '@aws-sdk/client-kms';

/**
 * The key `key` (a key ARN or id, an alias ARN or `alias/<name>`) names in `kms`'s region, or
 * undefined when there is none (NotFoundException). Calls: kms:DescribeKey (shared/calls-cli.ts).
 */
export async function describeKey(kms: KMSClient, key: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata;
  } catch (e) {
    if ((e as { name?: string }).name === 'NotFoundException') return undefined;
    throw e;
  }
}
