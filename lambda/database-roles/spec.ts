/**
 * Reads a custom resource's `Spec` property (a JSON string of one ObjectSpec, shared/roles-spec.ts)
 * and refuses anything the SQL must not be built from: an unknown kind, a missing, mistyped or
 * unknown field, a name that is not an identifier this library writes (roles-sql's specProblem:
 * roleNameProblem, identifierProblem, extensionProblem), and what those checks let through: a
 * word SQL reads as something else where a role goes (PUBLIC, even quoted), a secret that is not
 * a Secrets Manager ARN, settings that contradict each other. The template is the input here:
 * nothing in it is trusted.
 */
import { ObjectSpec } from '../../shared/roles-spec';
import { specProblem } from '../../shared/roles-sql';

/** A Spec the provider refuses; the message names the property, the field and what it got. */
export class SpecError extends Error {}

/**
 * Words PostgreSQL's grammar reads as something other than a role where a role name goes, quoted
 * or not (`GRANT ... TO "public"` grants to PUBLIC; "none", "current_user", ... are reserved).
 */
const ROLE_KEYWORDS = ['public', 'none', 'current_user', 'current_role', 'session_user', 'user', 'all'];
/** A Secrets Manager secret's ARN, in any partition. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;

type FieldType = 'string' | 'boolean' | 'integer' | 'strings';

/** Each kind's fields and their types; `?` marks an optional one. Any other field is refused. */
const FIELDS: Record<ObjectSpec['kind'], Record<string, FieldType>> = {
  role: { name: 'string', login: 'boolean', iam: 'boolean', 'secretArn?': 'string', clone: 'boolean', memberOf: 'strings', connectionLimit: 'integer' },
  database: { name: 'string', owner: 'string' },
  schema: { database: 'string', name: 'string', owner: 'string' },
  grant: { database: 'string', schema: 'string', role: 'string', privilege: 'string', defaultFor: 'strings' },
  extension: { database: 'string', name: 'string' },
};

const EXPECTED: Record<FieldType, string> = {
  string: 'a non-empty string',
  boolean: 'true or false',
  integer: 'an integer',
  strings: 'a list of at most 100 non-empty strings',
};

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function typed(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string' && value !== '';
    case 'boolean': return typeof value === 'boolean';
    case 'integer': return Number.isSafeInteger(value);
    case 'strings': return Array.isArray(value) && value.length <= 100 && value.every((v) => typed(v, 'string'));
  }
}

/** What roles-sql's specProblem does not check. */
function moreProblems(spec: ObjectSpec): string | undefined {
  const keyword = (field: string, names: string[]) => {
    const found = names.find((n) => ROLE_KEYWORDS.includes(n));
    return found ? `'${field}' names role '${found}': a word SQL does not read as a role name` : undefined;
  };
  switch (spec.kind) {
    case 'role':
      if (spec.secretArn !== undefined && !SECRET_ARN.test(spec.secretArn)) return `'secretArn' must be a Secrets Manager secret ARN (got ${show(spec.secretArn)})`;
      if (spec.secretArn && !spec.login) return `role '${spec.name}' has a secretArn but no login: a password is for a login role`;
      if (spec.clone && !spec.secretArn) return `role '${spec.name}' has clone (alternating-users rotation) but no secretArn`;
      if (spec.memberOf.includes(spec.name)) return `role '${spec.name}' cannot be a member of itself`;
      if (new Set(spec.memberOf).size !== spec.memberOf.length) return `'memberOf' names a role twice (got ${show(spec.memberOf)})`;
      return undefined;
    case 'database':
    case 'schema':
      return keyword('owner', [spec.owner]);
    case 'grant':
      // Not `in` an object: 'constructor' is in every one.
      if (!['READ_ONLY', 'READ_WRITE'].includes(spec.privilege)) return `'privilege' must be READ_ONLY or READ_WRITE (got ${show(spec.privilege)})`;
      return keyword('role', [spec.role]) ?? keyword('defaultFor', spec.defaultFor);
    case 'extension':
      return undefined;
  }
}

/**
 * The ObjectSpec in `value`, the custom resource's `Spec` property (`property` names it in the
 * message: `ResourceProperties.Spec`). Throws a SpecError naming the problem.
 */
export function parseSpec(value: unknown, property = 'Spec'): ObjectSpec {
  const fail = (problem: string): never => {
    throw new SpecError(`${property}${problem}`);
  };
  if (typeof value !== 'string') fail(` must be a JSON string of one object spec (got ${value === undefined ? 'nothing' : typeof value})`);
  let parsed: unknown;
  try {
    // Its length is bounded by Lambda's (256 KB for an asynchronous event).
    parsed = JSON.parse(value as string);
  } catch (e) {
    fail(` is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(` must be a JSON object (got ${show(parsed)})`);
  const obj = parsed as Record<string, unknown>;
  const kinds = Object.keys(FIELDS);
  if (!kinds.includes(obj.kind as string)) fail(`: 'kind' must be one of ${kinds.join(', ')} (got ${show(obj.kind)})`);
  const kind = obj.kind as ObjectSpec['kind'];
  const where = ` (${kind}): `;
  const fields = FIELDS[kind];
  const names = Object.keys(fields).map((f) => f.replace('?', ''));
  const unknown = Object.keys(obj).filter((f) => f !== 'kind' && !names.includes(f));
  if (unknown.length > 0) fail(`${where}unknown field ${unknown.slice(0, 5).map(show).join(', ')} (a ${kind} has ${names.join(', ')})`);
  const missing = Object.keys(fields).filter((f) => !f.endsWith('?') && obj[f] === undefined);
  if (missing.length > 0) fail(`${where}missing ${missing.map((f) => `'${f}'`).join(', ')}`);
  for (const [f, type] of Object.entries(fields)) {
    const field = f.replace('?', '');
    if (obj[field] !== undefined && !typed(obj[field], type)) fail(`${where}'${field}' must be ${EXPECTED[type]} (got ${show(obj[field])})`);
  }
  const spec = obj as unknown as ObjectSpec;
  const problem = moreProblems(spec) ?? specProblem(spec);
  if (problem) fail(`${where}${problem}`);
  return spec;
}
