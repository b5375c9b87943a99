import { Names, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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

/**
 * AwsSolutions-IAM5 on `scope` for one wildcard resource of its policy, named exactly as
 * cdk-nag renders that resource: from the ARN the policy uses, so the id stays right whether the
 * account, region and partition are tokens or literals (an explicit account, the
 * `@aws-cdk/core:enablePartitionLiterals` flag).
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagResource(Stack.of(scope), resourceArn)}]`, reason });
}

/**
 * AwsSolutions-IAM4 on `scope` for the AWS managed policy `policyName` (e.g.
 * 'service-role/AWSLambdaBasicExecutionRole'), named as cdk-nag renders that policy's ARN in
 * this stack, whatever the partition renders as.
 */
export function acknowledgeManagedPolicy(scope: IConstruct, policyName: string, reason: string): void {
  const arn = iam.ManagedPolicy.fromAwsManagedPolicyName(policyName).managedPolicyArn;
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM4[Policy::${nagResource(Stack.of(scope), arn)}]`, reason });
}

/** The name AWS Control Tower's proactive controls report under (@cdklabs/cdk-validator-cfnguard). */
const CONTROL_TOWER = 'cdk-validator-cfnguard';

/**
 * Acknowledges an AWS Control Tower proactive control on `scope`, by the cfn-guard rule name its
 * finding gives (e.g. 'cloudwatch_log_group_retention_period_check' for CT.CLOUDWATCH.PR.2).
 */
export function acknowledgeControlTower(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${CONTROL_TOWER}::${rule}`, reason });
}

/**
 * aws-cdk-lib's own deploy-time providers that a stack of this library gets: their Lambda
 * functions are singletons aws-cdk-lib adds at the stack's top level, with no setting to put them
 * in a VPC.
 */
const AWS_CDK_PROVIDERS: Array<{ match: (id: string) => boolean; what: string }> = [
  { match: (id) => id === 'Custom::VpcRestrictDefaultSGCustomResourceProvider', what: 'removes the rules of the VPC\'s default security group (restrictDefaultSecurityGroup)' },
  { match: (id) => id === 'Custom::CrossRegionExportWriterCustomResourceProvider', what: 'writes the DR stack\'s key and vault ARNs to SSM for the primary region (crossRegionReferences)' },
  { match: (id) => id === 'Custom::CrossRegionExportReaderCustomResourceProvider', what: 'reads the DR stack\'s exported ARNs from SSM (crossRegionReferences)' },
  { match: (id) => id.startsWith('LogRetention'), what: 'sets the retention of the log groups RDS creates for the exported PostgreSQL logs' },
  { match: (id) => id === 'Custom::S3AutoDeleteObjectsCustomResourceProvider', what: 'empties a development bucket when the stack is deleted (autoDeleteObjects)' },
];
const PROVIDERS_ACKNOWLEDGED = new WeakSet<Stack>();

/**
 * CT.LAMBDA.PR.3 (a function in a customer-managed VPC) on aws-cdk-lib's deploy-time providers
 * of `stack`. They are added while the app is prepared for synthesis, after every constructor
 * ran (the cross-region export providers), so the acknowledgment is made from a validation of
 * the stack, which runs after that and before the policy plugins. Once per stack.
 */
export function acknowledgeAwsCdkProviders(stack: Stack): void {
  if (PROVIDERS_ACKNOWLEDGED.has(stack)) return;
  PROVIDERS_ACKNOWLEDGED.add(stack);
  stack.node.addValidation({
    validate: () => {
      for (const child of stack.node.children) {
        const provider = AWS_CDK_PROVIDERS.find((p) => p.match(child.node.id));
        if (provider) {
          acknowledgeControlTower(child, 'lambda_inside_vpc_check',
            `aws-cdk-lib's own provider function, run by CloudFormation during deployment only: it ${provider.what}, holds no data, and aws-cdk-lib offers no VPC setting for it.`);
        }
      }
      return [];
    },
  });
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
  acknowledgeManagedPolicy(role, 'service-role/AWSLambdaBasicExecutionRole', `${purpose}: writes its own log group only (basic execution role).`);
  acknowledgeManagedPolicy(role, 'service-role/AWSLambdaVPCAccessExecutionRole', `${purpose} runs in the VPC to reach the database: the ENI management policy AWS documents for VPC functions.`);
}
