/**
 * AWS region names as the operator types them (--region, --dr-region, --to-region, --regions,
 * AWS_REGION): one check, so every flag refuses a typo with the same clear message before any
 * AWS call (an SDK client would otherwise build a host name such as `rds.useast1.amazonaws.com`
 * and fail with a DNS error, or retry for a minute). Without --region or AWS_REGION, the region
 * is the profile's, as the AWS CLI takes it (requireRegion).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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

/** Where the AWS CLI and SDKs read profiles from: AWS_CONFIG_FILE, else ~/.aws/config. */
export function configFile(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || path.join(env.HOME || env.USERPROFILE || os.homedir(), '.aws', 'config');
}

/**
 * The `region` of `profile` in the shared config file `text` (`[default]`, `[profile <name>]`),
 * or undefined when the profile or its region is not there.
 */
export function regionOfProfile(text: string, profile: string): string | undefined {
  const header = profile === 'default' ? /^\[\s*(profile\s+)?default\s*\]$/ : new RegExp(`^\\[\\s*profile\\s+${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]$`);
  let inProfile = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s[#;].*$/, '').trim();
    if (line.startsWith('[')) inProfile = header.test(line);
    else if (inProfile) {
      const match = /^region\s*=\s*(\S*)$/.exec(line);
      if (match) return match[1] || undefined;
    }
  }
  return undefined;
}

/**
 * The region a command runs in: `configured` (--region, else AWS_REGION / AWS_DEFAULT_REGION:
 * context.ts configuredRegion), else the `region` of the profile (--profile, else AWS_PROFILE,
 * else `default`) in the shared config file, as the AWS CLI and SDKs take it. A UsageError when
 * there is none, or when the profile's is not a region name.
 */
export function requireRegion(configured: string | undefined, profile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (configured !== undefined) return configured;
  const name = profile ?? (env.AWS_PROFILE || 'default');
  const file = configFile(env);
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // No config file: no profile region.
  }
  const region = regionOfProfile(text, name);
  if (region === undefined) {
    throw new UsageError(`no AWS region: pass --region, set AWS_REGION, or set region in profile '${name}' (${file})`);
  }
  return checkRegion(`the region of profile '${name}' (${file})`, region);
}
