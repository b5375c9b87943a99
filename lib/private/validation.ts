import { Token } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';

/**
 * Raised for a prop or context value that cannot work. The message always names the
 * prop, the value received and what is allowed.
 */
export class PlaybookValidationError extends Error {
  constructor(scope: IConstruct | undefined, message: string) {
    super(scope ? `${scope.node.path}: ${message}` : message);
    this.name = 'PlaybookValidationError';
  }
}

/** An AWS region name: `us-east-1`, `us-gov-west-1`, `us-iso-east-1`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Throws unless `value` is an integer in [min, max]. Unresolved tokens pass. */
export function validateIntegerRange(
  scope: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  unit = '',
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const suffix = unit ? ` ${unit}` : '';
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PlaybookValidationError(
      scope,
      `${prop} must be an integer from ${min} to ${max}${suffix} (got ${value}${suffix})`,
    );
  }
}

/**
 * The addresses a VPC needs for `azs` subnets of each mask in `masks`, allocated the way
 * aws-cdk-lib's `IpAddresses.cidr` does: group after group, each subnet at the next address
 * aligned to its own size.
 */
export function vpcAddressesNeeded(azs: number, masks: number[]): number {
  let next = 0;
  for (const mask of masks) {
    const size = 2 ** (32 - mask);
    for (let i = 0; i < azs; i++) next = Math.ceil(next / size) * size + size;
  }
  return next;
}

/**
 * Throws unless `cidr` is an IPv4 block large enough for `azs` subnets of each of `masks`
 * (instead of aws-cdk-lib's SubnetCountExceedsRemainingSpace). Unresolved tokens pass.
 */
export function validateVpcCidr(scope: IConstruct, cidr: string, azs: number, masks: number[]): void {
  if (Token.isUnresolved(cidr) || Token.isUnresolved(azs)) return;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) < 16 || Number(m[5]) > 28) {
    throw new PlaybookValidationError(scope, `vpcCidr must be an IPv4 CIDR block from /16 to /28 such as '10.40.0.0/16' (got '${cidr}')`);
  }
  const needed = vpcAddressesNeeded(azs, masks);
  const prefix = Number(m[5]);
  if (2 ** (32 - prefix) < needed) {
    const largest = 32 - Math.ceil(Math.log2(needed));
    throw new PlaybookValidationError(scope,
      `vpcCidr must be /${largest} or larger for ${azs} Availability Zones: each gets a /${masks.join(' and a /')} subnet, ${needed} addresses in all (got '${cidr}', ${2 ** (32 - prefix)} addresses)`);
  }
}

/** Performance Insights' retention Database Insights' Advanced mode needs: 15 months. */
const ADVANCED_RETENTION = rds.PerformanceInsightRetention.MONTHS_15;

/**
 * The Performance Insights retention for `mode`, checked together with it: Advanced mode keeps 15
 * months (465 days; the RDS console and aws-cdk-lib take exactly that), so it is the default there
 * and any other retention is refused; Standard keeps what is asked (7 days, the free tier, unless
 * told). Throws naming both props, the value and what is allowed.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Considerations.html
 */
export function databaseInsightsRetention(
  scope: IConstruct,
  mode: rds.DatabaseInsightsMode,
  retention: rds.PerformanceInsightRetention | undefined,
): rds.PerformanceInsightRetention {
  const modes = Object.values(rds.DatabaseInsightsMode) as string[];
  if (!modes.includes(mode)) {
    throw new PlaybookValidationError(scope, `databaseInsightsMode must be one of ${modes.map((m) => `'${m}'`).join(', ')} (got '${mode}')`);
  }
  const retentions = Object.values(rds.PerformanceInsightRetention).filter((v): v is number => typeof v === 'number');
  if (retention !== undefined && !Token.isUnresolved(retention) && !retentions.includes(retention)) {
    throw new PlaybookValidationError(scope,
      `performanceInsightRetention must be a rds.PerformanceInsightRetention: 7 days or a whole number of months, 31 to 731 days (got ${retention} days)`);
  }
  if (mode !== rds.DatabaseInsightsMode.ADVANCED) return retention ?? rds.PerformanceInsightRetention.DEFAULT;
  if (retention !== undefined && !Token.isUnresolved(retention) && retention !== ADVANCED_RETENTION) {
    throw new PlaybookValidationError(scope,
      `performanceInsightRetention must be ${ADVANCED_RETENTION} days (rds.PerformanceInsightRetention.MONTHS_15) with databaseInsightsMode ADVANCED, `
      + `which keeps 15 months of database load (got ${retention} days); leave it unset to get 15 months, or use databaseInsightsMode STANDARD`);
  }
  return ADVANCED_RETENTION;
}

/** Throws unless `value` is one of rds.EngineLifecycleSupport's values. */
export function validateEngineLifecycleSupport(scope: IConstruct, value: rds.EngineLifecycleSupport): void {
  const allowed = Object.values(rds.EngineLifecycleSupport) as string[];
  if (!allowed.includes(value)) {
    throw new PlaybookValidationError(scope, `engineLifecycleSupport must be one of ${allowed.map((v) => `'${v}'`).join(', ')} (got '${value}')`);
  }
}
