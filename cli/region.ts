/**
 * AWS region names as the operator types them (--region, --dr-region, --to-region, --regions,
 * AWS_REGION): one check, so every flag refuses a typo with the same clear message before any
 * AWS call (an SDK client would otherwise build a host name such as `rds.useast1.amazonaws.com`
 * and fail with a DNS error, or retry for a minute).
 */
import { UsageError } from './errors';

/**
 * `us-east-1`, `eu-central-2`, `ap-southeast-5`, `us-gov-west-1`, `cn-north-1`, `us-iso-east-1`:
 * two lower-case letters, one or more lower-case words, a number, joined by hyphens.
 */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** What a region name looks like, for messages. */
export const REGION_SHAPE = 'an AWS region name: lower case, <area>-<direction>-<number>, such as us-west-2, eu-central-1 or ap-southeast-2';

/** Why `value` given as `flag` is not a region name, or undefined when it is one. */
export function regionProblem(flag: string, value: string): string | undefined {
  if (REGION_PATTERN.test(value)) return undefined;
  return `${flag} must be ${REGION_SHAPE} (got "${value}")`;
}

/** `value` when it is a region name; a UsageError naming `flag`, the value and the shape otherwise. */
export function checkRegion(flag: string, value: string): string {
  const problem = regionProblem(flag, value);
  if (problem) throw new UsageError(problem);
  return value;
}
