import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Profile } from '../profile';

export { PLAYBOOK_PARAMETERS, REPLICA_PARAMETERS, STATIC_PARAMETERS } from '../../shared/playbook-parameters';

/**
 * The PostgreSQL engine every construct defaults to: the newest PostgreSQL 17 minor
 * version aws-cdk-lib knows; RDS applies later minors itself (auto minor upgrades are on).
 */
export const DEFAULT_POSTGRES_VERSION = rds.PostgresEngineVersion.VER_17_9;

/** Database defaults per profile. */
export interface DatabaseDefaults {
  readonly instanceType: ec2.InstanceType;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly keyRemovalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly monitoringInterval: Duration;
  readonly secretRotation: Duration;
  /** Database Insights' mode (README "Database Insights"). */
  readonly databaseInsightsMode: rds.DatabaseInsightsMode;
  /** What RDS does at the end of standard support of the major version (README "Engine lifecycle"). */
  readonly engineLifecycleSupport: rds.EngineLifecycleSupport;
}

export function databaseDefaults(profile: Profile): DatabaseDefaults {
  const common = {
    monitoringInterval: Duration.seconds(60),
    secretRotation: Duration.days(30),
    // Standard: free, 7 days of database load; Advanced costs per vCPU-hour for what a team can
    // opt into when it needs it (README "Database Insights").
    databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD,
  };
  if (profile === Profile.DEVELOPMENT) {
    return {
      ...common,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      multiAz: false,
      backupRetentionDays: 1,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      keyRemovalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.ONE_WEEK,
      // A throw-away database is not worth Extended Support's charge: RDS upgrades it instead.
      engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT_DISABLED,
    };
  }
  return {
    ...common,
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1024,
    multiAz: true,
    backupRetentionDays: 14,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    // A deleted key makes every snapshot and backup encrypted with it unreadable.
    keyRemovalPolicy: RemovalPolicy.RETAIN,
    logRetention: logs.RetentionDays.THREE_MONTHS,
    // Paid Extended Support past the end of standard support rather than a major upgrade RDS runs on
    // its own date, outside the stack (README "Engine lifecycle"); doctor warns 180 days before.
    engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT,
  };
}

/** RDS Proxy defaults (DESIGN.md "ConnectionPool"). */
export const POOL_DEFAULTS = Object.freeze({
  maxConnectionsPercent: 70,
  maxIdleConnectionsPercent: 35,
  borrowTimeoutSeconds: 30,
  idleClientTimeoutMinutes: 30,
});

/** PostgreSQL's port on an RDS Proxy: fixed by AWS, whatever port the database uses. */
export const PROXY_POSTGRES_PORT = 5432;
