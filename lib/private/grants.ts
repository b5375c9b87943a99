import * as iam from 'aws-cdk-lib/aws-iam';
import type { AwsCall } from '../../shared/aws-calls';
import { acknowledgeWildcardResource } from './nag';

/**
 * Grants `grantee` the calls of its table (shared/aws-calls.ts): one statement per resource (and
 * condition), with the actions on it. `resources` binds each resource name of the table to an
 * ARN, or to `'grant'` for a resource whose own grant covers the calls on it (`secret.grantRead`
 * gives GetSecretValue and, through the key policy, kms:Decrypt via Secrets Manager); `*` (an
 * action AWS lists without a resource type) needs no binding.
 *
 * Wildcard resources are acknowledged for cdk-nag on the grantee's policy, with `why` of each
 * call, since the table is where they are justified.
 */
export function grantCalls(grantee: iam.IGrantable & { readonly role?: iam.IRole }, calls: readonly AwsCall[], resources: { [name: string]: string }): void {
  const statements = new Map<string, { arn: string; condition?: AwsCall['condition']; calls: AwsCall[] }>();
  for (const call of calls) {
    const arn = call.resource === '*' ? '*' : resources[call.resource];
    if (arn === undefined) throw new Error(`grantCalls: no ARN bound to '${call.resource}' (${call.action})`);
    if (arn === 'grant') continue;
    const key = `${arn} ${JSON.stringify(call.condition ?? {})}`;
    const statement = statements.get(key) ?? { arn, condition: call.condition, calls: [] };
    statement.calls.push(call);
    statements.set(key, statement);
  }
  const role = grantee.role;
  for (const { arn, condition, calls: onIt } of statements.values()) {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: [...new Set(onIt.map((c) => c.action))].sort(),
      resources: [arn],
      conditions: condition as { [operator: string]: { [key: string]: string } } | undefined,
    }));
    if (arn.includes('*') && role) acknowledgeWildcardResource(role, arn, [...new Set(onIt.map((c) => `${c.action}: ${c.why}`))].join('; '));
  }
}
