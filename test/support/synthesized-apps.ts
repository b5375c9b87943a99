/**
 * The shipped app and every example as deployed (an explicit account and region, so ARNs are
 * literals), synthesized once per test file, with their templates resolved (template-resolver.ts):
 * what the tests that judge IAM, routes and metrics by AWS's data look at.
 */
import { App, Stack } from 'aws-cdk-lib';
import { buildStacks } from '../../bin/config';
import { ExistingAppStack } from '../../examples/existing-app/app';
import { MinimalDevStack } from '../../examples/minimal-dev/app';
import { productionApp } from '../../examples/production-dr/app';
import { ReadWriteSplitStack } from '../../examples/read-write-split/app';
import { shippedApp } from './app';
import { StackTemplate, TemplateResolver } from './template-resolver';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const DR_REGION = 'us-west-2';

const zones = (region: string) => ({ [`availability-zones:account=${ACCOUNT}:region=${region}`]: ['a', 'b', 'c'].map((z) => `${region}${z}`) });
const located = () => ({ ...zones(REGION), ...zones(DR_REGION) });

/** One synthesized app: its stacks (the constructs, for what a test needs by reference) and their templates. */
export interface SynthesizedApp {
  readonly name: string;
  readonly stacks: Stack[];
  readonly templates: StackTemplate[];
  readonly resolver: TemplateResolver;
}

function synthesized(name: string, build: () => Stack[]): SynthesizedApp {
  const stacks = build();
  const assembly = (stacks[0].node.root as App).synth();
  const templates = stacks.map((s) => ({
    stackName: s.stackName,
    account: s.account,
    region: s.region,
    template: assembly.getStackByName(s.stackName).template,
  }));
  return { name, stacks, templates, resolver: new TemplateResolver(templates) };
}

const BUILDERS: Record<string, () => Stack[]> = {
  'shipped app, production with the DR replica': () => {
    const s = buildStacks(shippedApp({ account: ACCOUNT, region: REGION, drRegion: DR_REGION, drReplica: 'true', ...located() }));
    return [s.dr!, s.primary, s.drReplica!];
  },
  'shipped app, development': () => [buildStacks(shippedApp({ profile: 'development', account: ACCOUNT, region: REGION, ...located() })).primary],
  'examples/existing-app': () => [new ExistingAppStack(new App({ context: located() }), 'ExistingApp', { env: { account: ACCOUNT, region: REGION } })],
  'examples/minimal-dev': () => [new MinimalDevStack(new App({ context: located() }), 'MinimalDev', { env: { account: ACCOUNT, region: REGION } })],
  'examples/production-dr': () => { const { dr, primary } = productionApp(new App({ context: located() }), ACCOUNT); return [dr, primary]; },
  'examples/read-write-split': () => [new ReadWriteSplitStack(new App({ context: located() }), 'ReadWriteSplit', { env: { account: ACCOUNT, region: REGION } })],
};

let cache: SynthesizedApp[] | undefined;

/** Every app, synthesized on first use. */
export function synthesizedApps(): SynthesizedApp[] {
  cache ??= Object.entries(BUILDERS).map(([name, build]) => synthesized(name, build));
  return cache;
}
