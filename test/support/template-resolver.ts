/**
 * Synthesized CloudFormation templates, with their intrinsic functions resolved to the strings
 * AWS would put there: what a test needs to judge a policy by AWS's data (an ARN has to look like
 * an ARN). Every resource gets a made-up physical identity of the shape its type has on AWS
 * (a secret's ARN ends in `-AbCdEf`, a key's ARN names `key/<id>`, a bucket's is `arn:aws:s3:::<name>`);
 * cross-region references (aws-cdk-lib's export writer/reader) resolve to the value the other
 * stack exports.
 */

/** A template and where its stack deploys. */
export interface StackTemplate {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: { Resources: Record<string, CfnResource>; Outputs?: Record<string, unknown> };
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const PARTITION = 'aws';

/** The property that names a resource of each type, when the template sets it. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBProxy': 'DBProxyName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SNS::Topic': 'TopicName',
};

/**
 * The physical name of a resource: the literal name the template gives it, else the one
 * CloudFormation generates, which starts with the stack's name (so the same logical id in two
 * stacks names two resources), in lower case, as names on AWS usually are.
 */
function physicalName(stack: StackTemplate, logicalId: string): string {
  const resource = stack.template.Resources[logicalId];
  const property = resource && NAME_PROPERTY[resource.Type];
  const named = property ? resource.Properties?.[property] : undefined;
  return typeof named === 'string' ? named : `${stack.stackName}-${logicalId}`.toLowerCase();
}

/** What `Ref` returns for a resource of `type` (per the CloudFormation docs of each type). */
function refOf(stack: StackTemplate, logicalId: string, type: string): string {
  const { region, account } = stack;
  const name = physicalName(stack, logicalId);
  switch (type) {
    case 'AWS::SecretsManager::Secret': return `arn:${PARTITION}:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
    // Ref of an attachment is the attached secret's ARN.
    case 'AWS::SecretsManager::SecretTargetAttachment': {
      const secret = (stack.template.Resources[logicalId].Properties?.SecretId as { Ref?: string } | undefined)?.Ref;
      return secret ? refOf(stack, secret, 'AWS::SecretsManager::Secret') : name;
    }
    case 'AWS::SNS::Topic': return `arn:${PARTITION}:sns:${region}:${account}:${name}`;
    case 'AWS::KMS::Key': return `${name}-0000-4000-8000-000000000000`;
    default: return name;
  }
}

/** What `Fn::GetAtt [logicalId, attribute]` returns (the attributes the templates use). */
function getAttOf(stack: StackTemplate, logicalId: string, type: string, attribute: string): string {
  const { region, account } = stack;
  const name = physicalName(stack, logicalId);
  if (attribute === 'Arn' || attribute.endsWith('Arn')) {
    switch (type) {
      case 'AWS::KMS::Key': return `arn:${PARTITION}:kms:${region}:${account}:key/${refOf(stack, logicalId, type)}`;
      case 'AWS::IAM::Role': return `arn:${PARTITION}:iam::${account}:role/${name}`;
      case 'AWS::S3::Bucket': return `arn:${PARTITION}:s3:::${name}`;
      case 'AWS::Lambda::Function': return `arn:${PARTITION}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::Logs::LogGroup': return `arn:${PARTITION}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Backup::BackupVault': return `arn:${PARTITION}:backup:${region}:${account}:backup-vault:${name}`;
      case 'AWS::Backup::BackupPlan': return `arn:${PARTITION}:backup:${region}:${account}:backup-plan:${name}`;
      case 'AWS::RDS::DBProxy': return `arn:${PARTITION}:rds:${region}:${account}:db-proxy:prx-${name}`;
      case 'AWS::RDS::DBInstance': return `arn:${PARTITION}:rds:${region}:${account}:db:${name}`;
      case 'AWS::SecretsManager::Secret': return refOf(stack, logicalId, type);
      case 'AWS::SNS::Topic': return refOf(stack, logicalId, type);
      case 'AWS::Events::Rule': return `arn:${PARTITION}:events:${region}:${account}:rule/${name}`;
      default: return `arn:${PARTITION}:${type.split('::')[1].toLowerCase()}:${region}:${account}:${name}`;
    }
  }
  if (type === 'AWS::RDS::DBInstance' && attribute === 'DbiResourceId') return `db-${logicalId.toUpperCase().slice(0, 26)}`;
  if (type === 'AWS::RDS::DBInstance' && attribute === 'Endpoint.Address') return `${name}.aaaaaaaaaa.${region}.rds.amazonaws.com`;
  if (type === 'AWS::RDS::DBInstance' && attribute === 'Endpoint.Port') return '5433';
  if (type === 'AWS::RDS::DBProxy' && attribute === 'Endpoint') return `${name}.proxy-aaaaaaaaaa.${region}.rds.amazonaws.com`;
  if (type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return `sg-${name}`;
  if (type === 'AWS::KMS::Key' && attribute === 'KeyId') return refOf(stack, logicalId, type);
  if (type === 'AWS::Backup::BackupVault' && attribute === 'BackupVaultName') return name;
  if (type === 'AWS::EC2::VPC' && attribute === 'CidrBlock') {
    const cidr = stack.template.Resources[logicalId].Properties?.CidrBlock;
    if (typeof cidr === 'string') return cidr;
  }
  if (type === 'AWS::Backup::BackupPlan' && attribute === 'BackupPlanId') return `${name}-plan-id`;
  return `${name}.${attribute}`;
}

/** Resolves the intrinsic functions of the templates of one app (one or more stacks). */
export class TemplateResolver {
  private readonly byName: Map<string, StackTemplate>;

  constructor(stacks: StackTemplate[]) {
    this.byName = new Map(stacks.map((s) => [s.stackName, s]));
  }

  public stack(name: string): StackTemplate {
    const stack = this.byName.get(name);
    if (!stack) throw new Error(`no stack ${name} among ${[...this.byName.keys()].join(', ')}`);
    return stack;
  }

  /** `value` with every intrinsic of `stack` resolved; what cannot be resolved throws, naming it. */
  public resolve(stack: StackTemplate, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'Ref') return this.ref(stack, String(o.Ref));
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [id, attribute] = o['Fn::GetAtt'] as [string, string];
      return this.getAtt(stack, id, attribute);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (this.resolve(stack, parts) as unknown[]).map(String).join(sep);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Select') {
      const [index, list] = o['Fn::Select'] as [number, unknown];
      return (this.resolve(stack, list) as unknown[])[Number(index)];
    }
    if (keys.length === 1 && keys[0] === 'Fn::Split') {
      const [sep, text] = o['Fn::Split'] as [string, unknown];
      return String(this.resolve(stack, text)).split(sep);
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAZs') return ['a', 'b', 'c'].map((z) => `${stack.region}${z}`);
    if (keys.length === 1 && keys[0].startsWith('Fn::')) throw new Error(`cannot resolve ${keys[0]} in ${stack.stackName}: ${JSON.stringify(o)}`);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  private ref(stack: StackTemplate, id: string): string {
    switch (id) {
      case 'AWS::Partition': return PARTITION;
      case 'AWS::Region': return stack.region;
      case 'AWS::AccountId': return stack.account;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return stack.stackName;
      case 'AWS::NoValue': return '';
      default: {
        const resource = stack.template.Resources[id];
        if (!resource) {
          // A parameter (the bootstrap version, an asset parameter): its name stands in.
          return id;
        }
        return refOf(stack, id, resource.Type);
      }
    }
  }

  private getAtt(stack: StackTemplate, id: string, attribute: string): string {
    const resource = stack.template.Resources[id];
    if (!resource) throw new Error(`Fn::GetAtt of ${id}, which ${stack.stackName} does not have`);
    if (resource.Type === 'Custom::CrossRegionExportReader') return this.exported(attribute);
    return getAttOf(stack, id, resource.Type, attribute);
  }

  /** A value another stack exports through aws-cdk-lib's cross-region export writer, resolved there. */
  private exported(exportName: string): string {
    for (const producer of this.byName.values()) {
      for (const r of Object.values(producer.template.Resources)) {
        if (r.Type !== 'Custom::CrossRegionExportWriter') continue;
        const exports = ((r.Properties?.WriterProps as Record<string, unknown>)?.exports ?? {}) as Record<string, unknown>;
        if (exportName in exports) return String(this.resolve(producer, exports[exportName]));
      }
    }
    throw new Error(`no stack exports ${exportName}`);
  }
}
