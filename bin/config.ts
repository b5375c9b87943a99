import { App, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  CacheEngine, CachePurpose, CrossRegionReplicaStack, DataPlatformStack, DataPlatformStackProps, DisasterRecoveryStack, DisasterRecoveryStackProps, Profile,
} from '../lib';
import { AWS_REGION_PATTERN } from '../lib/private/validation';

/**
 * Every context key the shipped app reads (`cdk.json` "context", or `-c key=value`).
 * README.md documents each with its default; test/bin/config.test.ts checks the two agree.
 */
export const CONTEXT_KEYS = [
  'profile', 'account', 'region', 'stackName', 'instanceClass', 'allocatedStorage',
  'maxAllocatedStorage', 'backupRetentionDays', 'multiAz', 'deletionProtection', 'port',
  'vpcCidr', 'maxAzs', 'readReplicas', 'connectionPool', 'zoneName', 'removeLaggingReplicas',
  'drRegion', 'drStackName', 'replicatedBackupRetentionDays', 'dailyBackupRetentionDays', 'monthlyBackupRetentionDays',
  'vaultLockMinRetentionDays', 'vaultLockChangeableDays', 'restoreTesting', 'drReplica',
  'blobBuckets', 'corsAllowedOrigins', 'cachePurpose', 'cacheEngine', 'cacheNodeType', 'alarmEmails', 'compliance',
  'controlTower',
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
const PURPOSES: Record<string, CachePurpose | undefined> = {
  'cache': CachePurpose.CACHE, 'sessions': CachePurpose.SESSIONS, 'rate-limits': CachePurpose.RATE_LIMITS, 'none': undefined,
};
const ENGINES: Record<string, CacheEngine> = { redis: CacheEngine.REDIS, valkey: CacheEngine.VALKEY };

function list(read: ContextReader, key: ContextKey, item: RegExp, allowed: string): string[] {
  const value = read(key);
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') throw new ContextError(key, value, allowed);
  const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  for (const v of items) if (!item.test(v)) throw new ContextError(key, value, allowed);
  return items;
}

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
  return appConfigFromContext(read).primary;
}

/** The shipped app's two stacks, configured. `dr` is absent in development. */
export interface AppConfig {
  readonly primary: DataPlatformStackProps & { stackName: string };
  readonly dr?: DisasterRecoveryStackProps & { stackName: string };
  /** A cross-region read replica stack in the DR region (`drReplica=true`). */
  readonly drReplica?: { stackName: string; env: { account?: string; region: string } };
}

const REGION = AWS_REGION_PATTERN;

/**
 * Turns the app's context into both stacks' props. Malformed values throw a ContextError
 * naming the key, the value and what is allowed; range checks happen in the constructs.
 */
export function appConfigFromContext(read: ContextReader): AppConfig {
  const profileName = read('profile') ?? 'production';
  const profile = typeof profileName === 'string' ? PROFILES[profileName] : undefined;
  if (!profile) throw new ContextError('profile', profileName, `must be one of ${Object.keys(PROFILES).join(', ')}`);

  const account = str(read, 'account', /^\d{12}$/, 'must be a 12-digit AWS account id');
  const region = str(read, 'region', REGION, 'must be an AWS region name such as us-east-1') ?? 'us-east-1';
  const stackName = str(read, 'stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    'must start with a letter and hold only letters, digits and hyphens (at most 128)') ?? 'DataPlatform';
  const instanceClass = str(read, 'instanceClass', /^(db\.)?[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    "must be an RDS instance class such as 'm7g.large' or 'db.r7g.xlarge'");
  const backupRetentionDays = int(read, 'backupRetentionDays');
  const zoneName = str(read, 'zoneName', /^[a-z0-9.-]+$/, "must be a lower-case DNS name such as 'db.internal'");
  const replicaCount = int(read, 'readReplicas');
  const removeLaggingReplicas = bool(read, 'removeLaggingReplicas');
  const vpcCidr = str(read, 'vpcCidr', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR block such as '10.40.0.0/16'");

  const production = profile === Profile.PRODUCTION;
  // Development has no DR stack: drRegion (set in cdk.json for production) is ignored there.
  const drRegion = production ? str(read, 'drRegion', REGION, "must be an AWS region name such as us-west-2, different from 'region'") : undefined;
  if (drRegion === region) throw new ContextError('drRegion', drRegion, `must differ from region ${region}: the offsite copy needs another region`);
  if (production && !drRegion) {
    throw new ContextError('drRegion', drRegion, 'is required in production: the 3-2-1 rule keeps one copy in another region (e.g. -c drRegion=us-west-2)');
  }
  const useDr = production && drRegion !== undefined;
  const drStackName = str(read, 'drStackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    'must start with a letter and hold only letters, digits and hyphens (at most 128)') ?? `${stackName}-DR`;
  const days = (key: ContextKey) => { const n = int(read, key); return n === undefined ? undefined : Duration.days(n); };
  const blobBucketNames = list(read, 'blobBuckets', /^[a-z][a-z0-9-]{0,31}$/,
    "must be a comma-separated list of bucket names (lower-case letters, digits, hyphens), e.g. 'uploads,avatars'");
  const corsAllowedOrigins = list(read, 'corsAllowedOrigins', /^(https?:\/\/[A-Za-z0-9.*-]+(:\d+)?|\*)$/,
    "must be a comma-separated list of origins such as 'https://app.example.com'");
  const purposeName = read('cachePurpose') ?? 'none';
  if (typeof purposeName !== 'string' || !(purposeName in PURPOSES)) {
    throw new ContextError('cachePurpose', purposeName, `must be one of ${Object.keys(PURPOSES).join(', ')}`);
  }
  const engineName = read('cacheEngine');
  if (engineName !== undefined && (typeof engineName !== 'string' || !(engineName in ENGINES))) {
    throw new ContextError('cacheEngine', engineName, `must be one of ${Object.keys(ENGINES).join(', ')}`);
  }
  const cacheNodeType = str(read, 'cacheNodeType', /^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be a cache node type such as 'cache.m7g.large'");
  const purpose = PURPOSES[purposeName];
  const alarmEmails = list(read, 'alarmEmails', /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/, "must be a comma-separated list of e-mail addresses");
  const dr = useDr ? {
    stackName: drStackName,
    blobBucketNames,
    env: { account, region: drRegion },
    crossRegionReferences: true,
    description: `cdk-db-playbook disaster-recovery vault for ${stackName}`,
    profile,
    minRetention: days('vaultLockMinRetentionDays'),
    changeableFor: days('vaultLockChangeableDays'),
  } : undefined;

  const primary = {
    stackName,
    env: { account, region },
    crossRegionReferences: useDr ? true : undefined,
    backup: useDr ? {
      replicatedBackupRetention: days('replicatedBackupRetentionDays'),
      dailyRetention: days('dailyBackupRetentionDays'),
      monthlyRetention: days('monthlyBackupRetentionDays'),
    } : undefined,
    enableRestoreTesting: useDr ? bool(read, 'restoreTesting') : undefined,
    blobBuckets: blobBucketNames.length === 0 ? undefined
      : Object.fromEntries(blobBucketNames.map((n) => [n, { corsAllowedOrigins: corsAllowedOrigins.length ? corsAllowedOrigins : undefined }])),
    monitoring: alarmEmails.length > 0 ? { emails: alarmEmails } : undefined,
    cache: purpose === undefined ? undefined : {
      purpose,
      engine: typeof engineName === 'string' ? ENGINES[engineName] : undefined,
      nodeType: cacheNodeType,
    },
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
  const drReplica = useDr && bool(read, 'drReplica') ? { stackName: `${drStackName}-Replica`, env: { account, region: drRegion! } } : undefined;
  return { primary, dr, drReplica };
}

/**
 * The context key behind each construct prop the shipped app sets from context, so that an
 * error a construct raises about the prop can name the key the user typed.
 */
const CONTEXT_KEY_OF_PROP: Readonly<Record<string, ContextKey>> = {
  instanceClass: 'instanceClass', instanceType: 'instanceClass', allocatedStorage: 'allocatedStorage',
  maxAllocatedStorage: 'maxAllocatedStorage', backupRetention: 'backupRetentionDays', multiAz: 'multiAz',
  deletionProtection: 'deletionProtection', port: 'port', vpcCidr: 'vpcCidr', maxAzs: 'maxAzs', count: 'readReplicas',
  connectionPool: 'connectionPool', zoneName: 'zoneName', replicatedBackupRetention: 'replicatedBackupRetentionDays',
  dailyRetention: 'dailyBackupRetentionDays', monthlyRetention: 'monthlyBackupRetentionDays', minRetention: 'vaultLockMinRetentionDays',
  changeableFor: 'vaultLockChangeableDays', enableRestoreTesting: 'restoreTesting', blobBuckets: 'blobBuckets',
  corsAllowedOrigins: 'corsAllowedOrigins', purpose: 'cachePurpose', engine: 'cacheEngine', nodeType: 'cacheNodeType', emails: 'alarmEmails',
};

/**
 * What to tell the user of the shipped app about an error building it from context, or
 * undefined when it is not about their input (a bug: let it surface with its stack). A
 * ContextError says it already; a construct's PlaybookValidationError about a prop that came
 * from context is restated with the context key (`-c backupRetentionDays=0`, not the
 * construct's `backupRetention`).
 */
export function contextErrorMessage(error: unknown, read: ContextReader): string | undefined {
  if (error instanceof ContextError) return error.message;
  if (!(error instanceof Error) || error.name !== 'PlaybookValidationError') return undefined;
  const m = /^(?<path>[^:\s]+): (?<prop>[A-Za-z]+) (?<rest>[\s\S]*)$/.exec(error.message);
  const key = m ? CONTEXT_KEY_OF_PROP[m.groups!.prop] : undefined;
  const value = key ? read(key) : undefined;
  if (!m || !key || value === undefined) return error.message;
  return `context key '${key}' ${m.groups!.rest} (-c ${key}=${String(value)}; checked by ${m.groups!.path})`;
}

/**
 * Whether the shipped app runs AWS Control Tower's proactive controls (`controlTower`, default
 * true): cfn-guard's binary exists for Linux and macOS on x64 and arm64 only. `why` says why not,
 * when the user did not turn them off.
 */
export function controlTowerFromContext(read: ContextReader, platform: string, arch: string): { run: boolean; why?: string } {
  if (bool(read, 'controlTower') === false) return { run: false };
  if (!['linux', 'darwin'].includes(platform) || !['x64', 'arm64'].includes(arch)) {
    return { run: false, why: `AWS Control Tower's checks (cfn-guard) do not run on ${platform}-${arch}: this synth skipped them (-c controlTower=false to say so)` };
  }
  return { run: true };
}

/** The shipped app's stacks. */
export interface ShippedStacks {
  readonly primary: DataPlatformStack;
  readonly dr?: DisasterRecoveryStack;
  readonly drReplica?: CrossRegionReplicaStack;
}

/**
 * Adds the shipped stacks to `app`, configured from its context: the DR stack (production)
 * and the primary stack that copies to it.
 */
export function buildStacks(app: App): ShippedStacks {
  const config = appConfigFromContext((key) => app.node.tryGetContext(key));
  const dr = config.dr ? new DisasterRecoveryStack(app, config.dr.stackName, config.dr) : undefined;
  const primary = new DataPlatformStack(app, config.primary.stackName, { ...config.primary, disasterRecovery: dr?.target });
  const database = primary.platform.database;
  const drReplica = config.drReplica && dr ? new CrossRegionReplicaStack(app, config.drReplica.stackName, {
    env: config.drReplica.env,
    crossRegionReferences: true,
    description: `cdk-db-playbook cross-region read replica of ${config.primary.stackName}`,
    sourceInstanceArn: database.instance.instanceArn,
    sourceRegion: primary.region,
    encryptionKey: dr.target.encryptionKey,
    instanceType: database.instanceType,
    port: database.port,
    engineVersion: database.engineVersion,
    // Once promoted it is the primary: monitored and supported as the primary is.
    databaseInsightsMode: database.databaseInsightsMode,
    performanceInsightRetention: database.performanceInsightRetention,
    engineLifecycleSupport: database.engineLifecycleSupport,
  }) : undefined;
  return { primary, dr, drReplica };
}

/** Adds the shipped stacks to `app`; returns the primary one. */
export function buildApp(app: App): DataPlatformStack {
  return buildStacks(app).primary;
}
