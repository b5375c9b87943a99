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
