import { App, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DataPlatformStack, DataPlatformStackProps, Profile } from '../lib';

/**
 * Every context key the shipped app reads (`cdk.json` "context", or `-c key=value`).
 * README.md documents each with its default; test/bin/config.test.ts checks the two agree.
 */
export const CONTEXT_KEYS = [
  'profile', 'account', 'region', 'stackName', 'instanceClass', 'allocatedStorage',
  'maxAllocatedStorage', 'backupRetentionDays', 'multiAz', 'deletionProtection', 'port',
  'vpcCidr', 'maxAzs', 'readReplicas', 'connectionPool', 'zoneName', 'removeLaggingReplicas',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Reads one context value; `undefined` when the key is not set. */
export type ContextReader = (key: ContextKey) => unknown;

export class ContextError extends Error {
  constructor(key: string, value: unknown, allowed: string) {
    super(`context key '${key}' ${allowed} (got ${JSON.stringify(value)})`);
    this.name = 'ContextError';
  }
}

const PROFILES: Record<string, Profile> = { production: Profile.PRODUCTION, development: Profile.DEVELOPMENT };

function str(read: ContextReader, key: ContextKey, pattern: RegExp, allowed: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new ContextError(key, value, allowed);
  return value;
}

function int(read: ContextReader, key: ContextKey): number | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new ContextError(key, value, 'must be a whole number');
  return n;
}

function bool(read: ContextReader, key: ContextKey): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(key, value, "must be 'true' or 'false'");
}

/**
 * Turns the app's context into the stack's props. Malformed values throw a ContextError
 * naming the key, the value and what is allowed; range checks happen in the constructs.
 */
export function stackPropsFromContext(read: ContextReader): DataPlatformStackProps & { stackName: string } {
  const profileName = read('profile') ?? 'production';
  const profile = typeof profileName === 'string' ? PROFILES[profileName] : undefined;
  if (!profile) throw new ContextError('profile', profileName, `must be one of ${Object.keys(PROFILES).join(', ')}`);

  const account = str(read, 'account', /^\d{12}$/, 'must be a 12-digit AWS account id');
  const region = str(read, 'region', /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region name such as us-east-1') ?? 'us-east-1';
  const stackName = str(read, 'stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    'must start with a letter and hold only letters, digits and hyphens (at most 128)') ?? 'DataPlatform';
  const instanceClass = str(read, 'instanceClass', /^(db\.)?[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    "must be an RDS instance class such as 'm7g.large' or 'db.r7g.xlarge'");
  const backupRetentionDays = int(read, 'backupRetentionDays');
  const zoneName = str(read, 'zoneName', /^[a-z0-9.-]+$/, "must be a lower-case DNS name such as 'db.internal'");
  const replicaCount = int(read, 'readReplicas');
  const removeLaggingReplicas = bool(read, 'removeLaggingReplicas');
  const vpcCidr = str(read, 'vpcCidr', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR block such as '10.40.0.0/16'");

  return {
    stackName,
    env: { account, region },
    description: `cdk-db-playbook data platform (${profileName})`,
    profile,
    vpcCidr,
    maxAzs: int(read, 'maxAzs'),
    readReplicas: replicaCount === undefined ? undefined : { count: replicaCount },
    enableConnectionPool: bool(read, 'connectionPool'),
    endpoints: zoneName === undefined && removeLaggingReplicas === undefined ? undefined : { zoneName, removeLaggingReplicas },
    database: {
      instanceType: instanceClass ? new ec2.InstanceType(instanceClass.replace(/^db\./, '')) : undefined,
      allocatedStorage: int(read, 'allocatedStorage'),
      maxAllocatedStorage: int(read, 'maxAllocatedStorage'),
      backupRetention: backupRetentionDays === undefined ? undefined : Duration.days(backupRetentionDays),
      multiAz: bool(read, 'multiAz'),
      deletionProtection: bool(read, 'deletionProtection'),
      port: int(read, 'port'),
    },
  };
}

/**
 * Adds the shipped stacks to `app`, configured from its context.
 */
export function buildApp(app: App): DataPlatformStack {
  const props = stackPropsFromContext((key) => app.node.tryGetContext(key));
  return new DataPlatformStack(app, props.stackName, props);
}
