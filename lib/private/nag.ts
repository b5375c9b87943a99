import { Names, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A value as cdk-nag writes it in a finding id: pseudo parameters as `<AWS::Name>`, other
 * references as `<LogicalId>` / `<LogicalId.Attribute>`, joins concatenated.
 */
export function nagResource(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return `<${String(o.Ref)}>`;
      if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(render).join(sep);
      }
    }
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

/** The opt-in cdk-nag packs' rule-id prefixes. */
export const COMPLIANCE_PACKS = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'] as const;

/**
 * Acknowledges `rule` (e.g. 'IAMNoInlinePolicy') of every opt-in compliance pack on `scope`
 * (a rule a pack does not have is simply never reported).
 */
export function acknowledgeCompliance(scope: IConstruct, rule: string, reason: string): void {
  for (const pack of COMPLIANCE_PACKS) Validations.of(scope).acknowledge({ id: `${pack}-${rule}`, reason });
}

/**
 * IAMNoInlinePolicy on a role: aws-cdk-lib writes a role's grants as an AWS::IAM::Policy
 * attached to that role alone.
 */
export function acknowledgeInlinePolicy(role: IConstruct, purpose: string): void {
  acknowledgeCompliance(role, 'IAMNoInlinePolicy',
    `${purpose}: the least-privilege grants aws-cdk-lib writes as a policy attached to this one role; a customer-managed policy would hold the same statements in another resource.`);
}

/**
 * EC2RestrictedCommonPorts / EC2RestrictedSSH on the database ingress rules aws-cdk-lib writes
 * from `source` with the port as the instance's Endpoint.Port attribute (the rules cannot
 * resolve it, and report it): the rule admits that one security group, on the database port.
 */
export function acknowledgeDatabaseIngress(databaseGroups: IConstruct[], source: IConstruct, who: string): void {
  const sourceId = Names.uniqueId(source);
  for (const group of databaseGroups) {
    for (const rule of group.node.children.filter((c) => c.node.id.includes(sourceId))) {
      for (const check of ['EC2RestrictedCommonPorts', 'EC2RestrictedSSH']) {
        acknowledgeCompliance(rule, check,
          `Ingress from the ${who} security group only, on the database port that aws-cdk-lib writes as the instance's Endpoint.Port attribute (5433), not SSH and not from any CIDR.`);
      }
    }
  }
}


/**
 * AwsSolutions-IAM4 on the role of a function of this library that runs in the VPC: the
 * basic-execution and VPC-access managed policies AWS documents for such functions.
 */
export function acknowledgeVpcFunctionRole(role: IConstruct, purpose: string): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: `${purpose}: writes its own log group only (basic execution role).`,
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    reason: `${purpose} runs in the VPC to reach the database: the ENI management policy AWS documents for VPC functions.`,
  });
}
