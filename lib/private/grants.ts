import * as iam from 'aws-cdk-lib/aws-iam';
import type { AwsCall } from '../../shared/aws-calls';
import { acknowledgeWildcardResource } from './nag';

/**
 * Grants `grantee` the calls of its table (shared/aws-calls.ts) that it makes itself: one
 * statement per resource, with the actions on it. `resources` binds each resource name of the
 * table to an ARN; `*` (an action AWS lists without a resource type) needs no binding. Calls made
 * through another service (kms:Decrypt as Secrets Manager reads a secret) are left to that
 * resource's own grant (`secret.grantRead`), which the key policy honours.
 *
 * Wildcard resources are acknowledged for cdk-nag on the grantee's policy, with `why` of each
 * call, since the table is where they are justified.
 */
export function grantCalls(grantee: iam.IGrantable & { readonly role?: iam.IRole }, calls: readonly AwsCall[], resources: { [name: string]: string }): void {
  const byResource = new Map<string, AwsCall[]>();
  for (const call of calls) {
    if (call.context) continue;
    const arn = call.resource === '*' ? '*' : resources[call.resource];
    if (arn === undefined) throw new Error(`grantCalls: no ARN bound to '${call.resource}' (${call.action})`);
    if (arn === 'grant') continue;
    byResource.set(arn, [...(byResource.get(arn) ?? []), call]);
  }
  for (const [arn, onIt] of byResource) {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...new Set(onIt.map((c) => c.action))].sort(), resources: [arn] }));
    if (arn.includes('*') && grantee.role) acknowledgeWildcardResource(grantee.role, arn, onIt.map((c) => `${c.action}: ${c.why}`).join('; '));
  }
}
