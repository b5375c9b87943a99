/**
 * A function in a VPC reaches an AWS API only through a route the VPC gives it: an interface
 * endpoint of that service with private DNS (its security group open to the function on 443, the
 * function's open to it), a gateway endpoint on the function's route tables, or a default route
 * (NAT). For every in-VPC function of the shipped app and the examples, each endpoint service its
 * table (shared/aws-calls.ts) names must have one. The services come from the tables, the routes
 * from the synthesized templates, so a call added to a handler without a route fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { PostgresMetrics, RestoreTesting } from '../../lib';
import { RolesProvider } from '../../lib/database/roles/roles-provider';
import { AwsCall, databaseRolesProviderCalls, endpointServices, postgresMetricsCalls, restoreValidatorCalls, secretRotationCalls } from '../../shared/aws-calls';
import { SynthesizedApp, synthesizedApps } from '../support/synthesized-apps';
import type { StackTemplate } from '../support/template-resolver';

/** The example apps' own functions: they call no AWS API (their tables would be the app's). */
const APP_OWN_FUNCTIONS = [/^ExistingApp\/Api$/, /^ReadWriteSplit\/Notes$/];

interface VpcFunction { name: string; subnets: string[]; securityGroups: string[]; calls?: AwsCall[] }

const ipv4 = (cidr: string) => {
  const [addr, bits] = cidr.split('/');
  const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  return { n, bits: Number(bits) };
};
/** Whether the block `outer` contains the block `inner`. */
function contains(outer: string, inner: string): boolean {
  const o = ipv4(outer);
  const i = ipv4(inner);
  if (i.bits < o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(o.n / size) === Math.floor(i.n / size);
}

class Network {
  constructor(private readonly app: SynthesizedApp, private readonly stack: StackTemplate) {}

  private resolve(value: unknown): unknown { return this.app.resolver.resolve(this.stack, value); }
  private resources(type: string) { return Object.entries(this.stack.template.Resources).filter(([, r]) => r.Type === type); }
  private props(id: string) { return (this.stack.template.Resources[id].Properties ?? {}) as Record<string, unknown>; }

  /** The logical id of the resource of `type` whose Ref (or GetAtt `attribute`) resolves to `value`. */
  private idOf(type: string, value: string, attribute?: string): string | undefined {
    return this.resources(type).find(([id]) => this.resolve(attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id }) === value)?.[0];
  }

  /** Every in-VPC function: Lambda functions with a VpcConfig, and the secret-rotation applications. */
  public functions(tables: Map<string, AwsCall[]>): VpcFunction[] {
    const out: VpcFunction[] = [];
    for (const [id, r] of this.resources('AWS::Lambda::Function')) {
      const vpc = r.Properties?.VpcConfig as { SubnetIds: unknown; SecurityGroupIds: unknown } | undefined;
      if (!vpc) continue;
      out.push({ name: `${this.stack.stackName}/${id}`, subnets: this.resolve(vpc.SubnetIds) as string[], securityGroups: this.resolve(vpc.SecurityGroupIds) as string[], calls: tables.get(id) });
    }
    for (const [id, r] of this.resources('AWS::Serverless::Application')) {
      const p = r.Properties?.Parameters as Record<string, unknown>;
      if (!p?.vpcSubnetIds) continue;
      out.push({
        name: `${this.stack.stackName}/${id} (secret rotation)`,
        subnets: String(this.resolve(p.vpcSubnetIds)).split(','),
        securityGroups: String(this.resolve(p.vpcSecurityGroupIds)).split(','),
        calls: secretRotationCalls(this.stack.region),
      });
    }
    return out;
  }

  /** Why `fn` has no route to `service`, or undefined when it has one. */
  public noRoute(fn: VpcFunction, service: string): string | undefined {
    const serviceName = `com.amazonaws.${this.stack.region}.${service}`;
    const subnetIds = fn.subnets.map((s) => this.idOf('AWS::EC2::Subnet', s));
    if (subnetIds.some((s) => !s)) return `subnets ${fn.subnets.join(', ')} are not in this template`;
    const vpcs = new Set(subnetIds.map((s) => this.resolve(this.props(s!).VpcId)));
    if (vpcs.size !== 1) return `subnets in ${vpcs.size} VPCs`;
    const [vpc] = vpcs;
    const routeTables = subnetIds.map((s) => {
      const assoc = this.resources('AWS::EC2::SubnetRouteTableAssociation').find(([, a]) => this.resolve(a.Properties?.SubnetId) === this.resolve({ Ref: s }));
      return assoc ? String(this.resolve(assoc[1].Properties?.RouteTableId)) : undefined;
    });
    const defaultRoute = routeTables.every((rt) => this.resources('AWS::EC2::Route').some(([, r]) =>
      this.resolve(r.Properties?.RouteTableId) === rt && r.Properties?.DestinationCidrBlock === '0.0.0.0/0'
      && (r.Properties?.NatGatewayId !== undefined || r.Properties?.GatewayId !== undefined)));
    if (defaultRoute) return undefined;
    const endpoints = this.resources('AWS::EC2::VPCEndpoint').filter(([, e]) => this.resolve(e.Properties?.VpcId) === vpc && this.resolve(e.Properties?.ServiceName) === serviceName);
    if (endpoints.length === 0) return `no endpoint ${serviceName} in ${vpc} and no default route`;
    const reasons: string[] = [];
    for (const [id, e] of endpoints) {
      const p = e.Properties!;
      if (p.VpcEndpointType === 'Gateway') {
        const tables = (this.resolve(p.RouteTableIds) as string[]) ?? [];
        if (routeTables.every((rt) => rt && tables.includes(rt))) return undefined;
        reasons.push(`${id}: not on the function's route tables`);
        continue;
      }
      if (p.PrivateDnsEnabled !== true) { reasons.push(`${id}: no private DNS (the SDK calls ${service}.${this.stack.region}.amazonaws.com)`); continue; }
      const subnetCidrs = subnetIds.map((s) => String(this.props(s!).CidrBlock));
      const endpointGroups = this.resolve(p.SecurityGroupIds) as string[];
      const endpointSubnetCidrs = (this.resolve(p.SubnetIds) as string[]).map((s) => String(this.props(this.idOf('AWS::EC2::Subnet', s)!).CidrBlock));
      const inbound = endpointGroups.some((g) => this.allows(g, 'ingress', subnetCidrs, fn.securityGroups));
      const outbound = fn.securityGroups.some((g) => this.allows(g, 'egress', endpointSubnetCidrs, endpointGroups));
      if (inbound && outbound) return undefined;
      reasons.push(`${id}: ${inbound ? '' : 'its security groups let the function in on 443 from nowhere it is; '}${outbound ? '' : 'the function\'s security groups do not let it out on 443 to the endpoint'}`);
    }
    return reasons.join('; ');
  }

  /**
   * Whether security group `group` (a resolved id) lets TCP 443 in (from, or out to) every one
   * of `cidrs` or one of `peers`' groups: its inline rules and the separate ingress/egress resources.
   */
  private allows(group: string, direction: 'ingress' | 'egress', cidrs: string[], peers: string[]): boolean {
    const id = this.idOf('AWS::EC2::SecurityGroup', group, 'GroupId');
    if (!id) return false;
    const inline = (this.resolve(this.props(id)[direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress']) ?? []) as Array<Record<string, unknown>>;
    const separate = this.resources(direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress')
      .filter(([, r]) => this.resolve(r.Properties?.GroupId) === group).map(([, r]) => this.resolve(r.Properties) as Record<string, unknown>);
    // No egress rule at all: EC2's default allows all outbound.
    if (direction === 'egress' && inline.length === 0 && separate.length === 0 && this.props(id).SecurityGroupEgress === undefined) return true;
    return [...inline, ...separate].some((rule) => {
      const ports = rule.IpProtocol === '-1' || (rule.IpProtocol === 'tcp' && Number(rule.FromPort) <= 443 && Number(rule.ToPort) >= 443);
      if (!ports) return false;
      const peer = rule.SourceSecurityGroupId ?? rule.DestinationSecurityGroupId;
      if (peer !== undefined) return peers.includes(String(peer));
      return typeof rule.CidrIp === 'string' && cidrs.every((c) => contains(String(rule.CidrIp), c));
    });
  }
}

/** The tables of the app's functions, by the logical id of the function. */
function tables(app: SynthesizedApp): Map<string, AwsCall[]> {
  const out = new Map<string, AwsCall[]>();
  for (const s of app.stacks) {
    for (const c of s.node.findAll()) {
      if (c instanceof RestoreTesting) out.set(Stack.of(c).getLogicalId(c.validator.node.defaultChild as never), restoreValidatorCalls(s.region));
      if (c instanceof PostgresMetrics) out.set(Stack.of(c).getLogicalId(c.collector.node.defaultChild as never), postgresMetricsCalls(s.region));
      if (c instanceof RolesProvider) out.set(Stack.of(c).getLogicalId(c.function.node.defaultChild as never), providerRoutes(s.region));
    }
  }
  return out;
}

/**
 * The roles provider's table, and its answer to CloudFormation: a PUT to the request's presigned
 * S3 URL (no IAM call, so not in the table; but a route to S3 all the same).
 */
function providerRoutes(region: string): AwsCall[] {
  return [...databaseRolesProviderCalls(region), { action: 's3:PutObject', resource: '*', endpoint: 's3', why: 'the response to CloudFormation (presigned URL)' }];
}

const FUNCTIONS = synthesizedApps().flatMap((app) => {
  const byId = tables(app);
  return app.templates.flatMap((stack) => {
    const network = new Network(app, stack);
    return network.functions(byId).map((fn) => ({ app: app.name, network, fn, path: pathOf(app, stack, fn.name) }));
  });
});

/** A function's construct path (aws:cdk:path metadata is off in tests: the stack's construct tree). */
function pathOf(app: SynthesizedApp, stack: StackTemplate, name: string): string {
  const id = name.split('/')[1].split(' ')[0];
  const s = app.stacks.find((x) => x.stackName === stack.stackName)!;
  const found = s.node.findAll().find((c) => c.node.defaultChild !== undefined && s.getLogicalId(c.node.defaultChild as never) === id);
  return found?.node.path ?? name;
}

test('the apps have in-VPC functions of every table', () => {
  const names = FUNCTIONS.filter((f) => f.fn.calls).map((f) => `${f.app}: ${f.path}`);
  expect(names).toEqual(expect.arrayContaining([
    'shipped app, production with the DR replica: DataPlatform/Data/RestoreTesting/Validator',
    'shipped app, production with the DR replica: DataPlatform/Data/PostgresMetrics/Collector',
    'shipped app, development: DataPlatform/Data/PostgresMetrics/Collector',
  ]));
  expect(FUNCTIONS.filter((f) => f.fn.name.endsWith('(secret rotation)')).length).toBeGreaterThanOrEqual(6);
});

test('every in-VPC function of the library has a table; the examples\' own are listed', () => {
  const untabled = FUNCTIONS.filter((f) => !f.fn.calls && !APP_OWN_FUNCTIONS.some((p) => p.test(f.path))).map((f) => f.path);
  expect(untabled).toEqual([]);
});

test.each(FUNCTIONS.filter((f) => f.fn.calls).map((f) => [f.app, f.path, f] as const))('%s: %s reaches every API of its table', (_app, _path, { network, fn }) => {
  const missing = endpointServices(fn.calls!).flatMap((service) => {
    const why = network.noRoute(fn, service);
    return why ? [`${service}: ${why}`] : [];
  });
  expect(missing).toEqual([]);
});

test('README lists the endpoints an imported VPC needs, by the tables', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**An imported VPC**'));
  const rows = [...section.matchAll(/^\| `com\.amazonaws\.<region>\.([a-z0-9-]+)` \| ([^|]+) \|/gm)].map((m) => m[1]).sort();
  const region = 'us-east-1';
  expect(rows).toEqual(endpointServices([...secretRotationCalls(region), ...postgresMetricsCalls(region), ...restoreValidatorCalls(region), ...providerRoutes(region)]));
});

test('the check catches what it is for: the validator without an rds endpoint', () => {
  const validator = FUNCTIONS.find((f) => f.path === 'DataPlatform/Data/RestoreTesting/Validator')!;
  expect(validator.network.noRoute(validator.fn, 'rds')).toBeUndefined();
  expect(validator.network.noRoute(validator.fn, 'sqs')).toMatch(/^no endpoint com\.amazonaws\.us-east-1\.sqs in .* and no default route$/);
});
