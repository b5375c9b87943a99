/**
 * RDS names and ARNs: what RDS accepts, checked before any call so a typo is refused with a
 * clear message instead of an API error halfway through.
 */

/**
 * Why `id` is not a valid DB instance identifier, or undefined when it is. RDS: 1-63 letters,
 * digits or hyphens, starting with a letter, no two consecutive hyphens, not ending with one.
 * (RDS stores identifiers in lower case; compare them lower-cased.)
 */
export function instanceIdentifierProblem(id: string): string | undefined {
  return identifierProblem(id, 63);
}

/** Like instanceIdentifierProblem, for a DB snapshot identifier (1-255 characters). */
export function snapshotIdentifierProblem(id: string): string | undefined {
  return identifierProblem(id, 255);
}

function identifierProblem(id: string, max: number): string | undefined {
  if (id.length < 1 || id.length > max) return `must be 1-${max} characters (got ${id.length})`;
  if (!/^[A-Za-z]/.test(id)) return 'must start with a letter';
  if (!/^[A-Za-z0-9-]+$/.test(id)) return 'may contain only letters, digits and hyphens';
  if (id.includes('--')) return 'must not contain two consecutive hyphens';
  if (id.endsWith('-')) return 'must not end with a hyphen';
  return undefined;
}

/** The parts of an ARN. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** The part after the account, e.g. `snapshot:my-snap` or `key/1234`. */
  readonly resource: string;
}

/** Parses `arn:<partition>:<service>:<region>:<account>:<resource>`; undefined if `text` is not an ARN. */
export function parseArn(text: string): Arn | undefined {
  const match = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(text);
  if (!match) return undefined;
  return { partition: match[1], service: match[2], region: match[3], account: match[4], resource: match[5] };
}

/**
 * Why `name` is not a valid DB subnet group name, or undefined when it is. RDS: 1-255 letters,
 * digits, periods, underscores, spaces or hyphens, and not `default` (the default VPC's group,
 * which puts the instance in public subnets).
 */
export function subnetGroupNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 255) return `must be 1-255 characters (got ${name.length})`;
  if (!/^[A-Za-z0-9._ -]+$/.test(name)) return 'may contain only letters, digits, periods, underscores, spaces and hyphens';
  if (name.toLowerCase() === 'default') return 'must not be "default" (the default VPC\'s subnet group)';
  return undefined;
}

/** Like instanceIdentifierProblem, for a DB parameter group name (1-255 characters). */
export function parameterGroupNameProblem(name: string): string | undefined {
  return identifierProblem(name, 255);
}

/** Why `id` is not a VPC security group id (`sg-` and 8 or 17 hexadecimal digits), or undefined. */
export function securityGroupIdProblem(id: string): string | undefined {
  return /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id) ? undefined : 'is not a security group id (sg- and 8 or 17 hexadecimal digits, e.g. sg-0123456789abcdef0)';
}

/** Why `value` is not a DB instance class (`db.<family>.<size>`, e.g. db.m7g.large), or undefined. */
export function instanceClassProblem(value: string): string | undefined {
  return /^db\.[a-z0-9]+\.[a-z0-9-]+$/.test(value) ? undefined : 'is not a DB instance class (db.<family>.<size>, e.g. db.m7g.large)';
}

/**
 * Why `value` is not a way to name a KMS key (a key ARN, a key id, an alias ARN or
 * `alias/<name>`), or undefined when it is one.
 */
export function kmsKeyProblem(value: string): string | undefined {
  const arn = parseArn(value);
  if (arn) {
    return arn.service === 'kms' && /^(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/.test(arn.resource) ? undefined
      : 'is not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id> or :alias/<name>)';
  }
  if (/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(value)) return undefined;
  if (/^alias\/[A-Za-z0-9/_-]+$/.test(value)) return undefined;
  return 'is not a KMS key: give a key ARN, a key id (1234abcd-12ab-34cd-56ef-1234567890ab), an alias ARN or alias/<name>';
}

/** Why `value` is not the ARN of automated backups (`arn:aws:rds:<region>:<account>:auto-backup:ab-…`), or undefined. */
export function automatedBackupsArnProblem(value: string): string | undefined {
  const arn = parseArn(value);
  return arn && arn.service === 'rds' && /^auto-backup:ab-[A-Za-z0-9]+$/.test(arn.resource) ? undefined
    : 'is not the ARN of automated backups (arn:aws:rds:<region>:<account>:auto-backup:ab-<id>, as recovery-points and describe-db-instance-automated-backups list it)';
}
