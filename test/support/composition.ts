/**
 * What must hold when several platforms share an account, a stack or a VPC, judged on a cloud
 * assembly on disk (a user's app synthesized outside this repository): no physical name twice
 * where AWS wants it unique, and every alarm on its own platform's metrics.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StackTemplate, TemplateResolver } from './template-resolver';
import { watched } from './watched-metrics';

/** The stacks of a cloud assembly directory, with where they deploy. */
export function readAssembly(outdir: string): StackTemplate[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile: string; stackName?: string } }>;
  };
  return Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([id, a]) => {
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment!)!;
    return {
      stackName: a.properties?.stackName ?? id,
      account,
      region,
      template: JSON.parse(fs.readFileSync(path.join(outdir, a.properties!.templateFile), 'utf8')),
    };
  });
}

/**
 * The properties that name a resource, where AWS wants the name unique: per account and region,
 * or (IAM, S3) per account or partition.
 */
const NAMES: Array<{ type: string; property: string[]; global?: boolean }> = [
  { type: 'AWS::Backup::BackupVault', property: ['BackupVaultName'] },
  { type: 'AWS::Backup::BackupPlan', property: ['BackupPlan', 'BackupPlanName'] },
  { type: 'AWS::Backup::RestoreTestingPlan', property: ['RestoreTestingPlanName'] },
  { type: 'AWS::CloudWatch::Alarm', property: ['AlarmName'] },
  { type: 'AWS::CloudWatch::Dashboard', property: ['DashboardName'] },
  { type: 'AWS::ElastiCache::ReplicationGroup', property: ['ReplicationGroupId'] },
  { type: 'AWS::ElastiCache::SubnetGroup', property: ['CacheSubnetGroupName'] },
  { type: 'AWS::ElastiCache::ParameterGroup', property: ['CacheParameterGroupName'] },
  { type: 'AWS::ElastiCache::User', property: ['UserId'] },
  { type: 'AWS::ElastiCache::UserGroup', property: ['UserGroupId'] },
  { type: 'AWS::Events::Rule', property: ['Name'] },
  { type: 'AWS::IAM::Role', property: ['RoleName'], global: true },
  { type: 'AWS::KMS::Alias', property: ['AliasName'] },
  { type: 'AWS::Lambda::Function', property: ['FunctionName'] },
  { type: 'AWS::Serverless::Application', property: ['Parameters', 'functionName'] },
  { type: 'AWS::Logs::LogGroup', property: ['LogGroupName'] },
  { type: 'AWS::RDS::DBInstance', property: ['DBInstanceIdentifier'] },
  { type: 'AWS::RDS::DBProxy', property: ['DBProxyName'] },
  { type: 'AWS::RDS::DBSubnetGroup', property: ['DBSubnetGroupName'] },
  { type: 'AWS::RDS::DBParameterGroup', property: ['DBParameterGroupName'] },
  { type: 'AWS::S3::Bucket', property: ['BucketName'], global: true },
  { type: 'AWS::SNS::Topic', property: ['TopicName'] },
  { type: 'AWS::SSM::Parameter', property: ['Name'] },
  { type: 'AWS::SecretsManager::Secret', property: ['Name'] },
];

/**
 * Whether a name is fixed at synth: a literal, or a join of literals and the stack's own pseudo
 * parameters. A name holding a Ref or GetAtt of a resource is as unique as that resource.
 */
function fixedName(resolver: TemplateResolver, stack: StackTemplate, value: unknown): string | undefined {
  const refs = JSON.stringify(value).match(/"(Ref|Fn::GetAtt)":\s*"?\[?"?([^"\]]+)/g) ?? [];
  if (refs.some((r) => !/"Ref":\s*"AWS::/.test(r))) return undefined;
  const resolved = resolver.resolve(stack, value);
  return typeof resolved === 'string' ? resolved : undefined;
}

/** Physical names that two resources of the app would both take. */
export function physicalNameClashes(stacks: StackTemplate[]): string[] {
  const resolver = new TemplateResolver(stacks);
  const seen = new Map<string, string[]>();
  const add = (key: string, where: string) => seen.set(key, [...(seen.get(key) ?? []), where]);
  for (const stack of stacks) {
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      for (const spec of NAMES.filter((n) => n.type === r.Type)) {
        const value = spec.property.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r.Properties);
        const name = value === undefined ? undefined : fixedName(resolver, stack, value);
        if (name === undefined) continue;
        add(`${r.Type} ${spec.property.join('.')} '${name}' in ${spec.global ? stack.account : `${stack.account}/${stack.region}`}`, `${stack.stackName}/${id}`);
      }
      // A VPC holds one private zone per name.
      if (r.Type === 'AWS::Route53::HostedZone') {
        const p = resolver.resolve(stack, r.Properties) as { Name: string; VPCs?: Array<{ VPCId: string }> };
        for (const vpc of p.VPCs ?? []) add(`private zone '${p.Name}' in ${vpc.VPCId}`, `${stack.stackName}/${id}`);
      }
    }
  }
  return [...seen].filter(([, where]) => where.length > 1).map(([key, where]) => `${key}: ${where.join(', ')}`);
}

/** The construct path of a resource (aws:cdk:path metadata). */
function pathOf(stack: StackTemplate, id: string): string {
  const metadata = (stack.template.Resources[id] as { Metadata?: Record<string, string> }).Metadata;
  const p = metadata?.['aws:cdk:path'];
  if (!p) throw new Error(`${stack.stackName}/${id} has no aws:cdk:path metadata: synthesize with path metadata on`);
  return p;
}

/** The logical ids an alarm's definition refers to. */
function referencedIds(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::')) out.push(o.Ref);
    if (Array.isArray(o['Fn::GetAtt'])) out.push(String((o['Fn::GetAtt'] as unknown[])[0]));
    Object.values(o).forEach(walk);
  };
  walk(value);
  return out;
}

/**
 * Every alarm watches its own platform only: each resource its metrics and actions name belongs
 * to the alarm's platform (`platformOf` maps a construct path to its platform), a cache node id
 * to a replication group of that platform; and no two platforms' alarms watch one metric.
 */
export function foreignAlarms(stacks: StackTemplate[], platformOf: (constructPath: string) => string): string[] {
  const resolver = new TemplateResolver(stacks);
  const out: string[] = [];
  const owners = new Map<string, Set<string>>();
  for (const stack of stacks) {
    const groups = Object.entries(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::ElastiCache::ReplicationGroup')
      .map(([id, r]) => ({ id, groupId: String((r.Properties as { ReplicationGroupId: string }).ReplicationGroupId) }));
    const metrics = watched({ resolver }, stack);
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
      const platform = platformOf(pathOf(stack, id));
      const ids = referencedIds(r.Properties);
      for (const m of metrics.filter((w) => w.logicalId === id)) {
        const node = m.dimensions.CacheClusterId;
        if (node) {
          const group = groups.find((g) => node.startsWith(`${g.groupId}-`));
          if (group) ids.push(group.id); else out.push(`${stack.stackName}/${id}: cache node ${node} of no replication group here`);
        }
        const key = `${stack.account}/${stack.region} ${m.namespace} ${m.metricName} ${JSON.stringify(Object.entries(m.dimensions).sort())}`;
        owners.set(key, new Set([...(owners.get(key) ?? []), platform]));
      }
      for (const ref of new Set(ids)) {
        const owner = platformOf(pathOf(stack, ref));
        if (owner !== platform) out.push(`${stack.stackName}/${id} (${platform}) watches ${ref} of ${owner}`);
      }
    }
  }
  for (const [key, platforms] of owners) if (platforms.size > 1) out.push(`${[...platforms].join(', ')}: alarms of each watch ${key}`);
  return out;
}
