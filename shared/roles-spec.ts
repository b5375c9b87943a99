/**
 * The contract between the roles constructs (lib/database/roles), the provider function
 * (lambda/database-roles) and the SQL that makes the database so (shared/roles-sql.ts): what one
 * custom resource asks for, as JSON in its `Spec` property. Pure data and checks; no `pg`, no AWS
 * SDK: lib/ imports this file.
 *
 * Every object is identified by its kind and names (`physicalId`): a change of identity is a
 * replacement (the provider creates the new object and CloudFormation then deletes the old one);
 * any other change is an update in place.
 */

/** A role: a login role (user) or a group role (no login). */
export interface RoleSpec {
  readonly kind: 'role';
  /** The role's name: a lower-case identifier (see `roleNameProblem`). */
  readonly name: string;
  /** LOGIN (a user) or NOLOGIN (a group role). */
  readonly login: boolean;
  /** Member of `rds_iam`: logs in with an IAM authentication token. */
  readonly iam: boolean;
  /**
   * The Secrets Manager secret whose AWSCURRENT `password` the role gets when the provider creates
   * it (a login role with a password). Absent for IAM-only and group roles.
   */
  readonly secretArn?: string;
  /**
   * The secret is rotated by the alternating-users strategy: the provider also creates
   * `<name>_clone` (LOGIN, no password until the first rotation sets one) with the same
   * memberships, so that grants made to the role's groups and default privileges cover both users.
   */
  readonly clone: boolean;
  /** Roles granted to this one (group roles, predefined roles such as pg_monitor). */
  readonly memberOf: string[];
  /** CONNECTION LIMIT; -1 for none. */
  readonly connectionLimit: number;
}

/** A database with an owner. */
export interface DatabaseSpec {
  readonly kind: 'database';
  readonly name: string;
  readonly owner: string;
}

/** A schema with an owner, in a database. */
export interface SchemaSpec {
  readonly kind: 'schema';
  /** The database it is in. */
  readonly database: string;
  readonly name: string;
  readonly owner: string;
}

/** What a schema grant gives. */
export type SchemaPrivilegeName = 'READ_WRITE' | 'READ_ONLY';

/**
 * Privileges on a schema's tables, sequences and functions for a role, on the objects there now
 * and, by ALTER DEFAULT PRIVILEGES FOR ROLE each of `defaultFor`, on those created later.
 *
 * READ_ONLY: USAGE on the schema; SELECT on tables; SELECT on sequences.
 * READ_WRITE: USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on tables; USAGE, SELECT,
 * UPDATE on sequences; EXECUTE on functions.
 */
export interface SchemaGrantSpec {
  readonly kind: 'grant';
  readonly database: string;
  readonly schema: string;
  /** The role the privileges are granted to. */
  readonly role: string;
  readonly privilege: SchemaPrivilegeName;
  /** The roles whose future objects in the schema are covered (they create the tables). */
  readonly defaultFor: string[];
}

/** An extension in a database. */
export interface ExtensionSpec {
  readonly kind: 'extension';
  readonly database: string;
  readonly name: string;
}

/** What one custom resource of the provider asks for. */
export type ObjectSpec = RoleSpec | DatabaseSpec | SchemaSpec | SchemaGrantSpec | ExtensionSpec;

/** The physical id of an object: its kind and names. A different id means another object. */
export function physicalId(spec: ObjectSpec): string {
  switch (spec.kind) {
    case 'role': return `role:${spec.name}`;
    case 'database': return `database:${spec.name}`;
    case 'schema': return `schema:${spec.database}/${spec.name}`;
    case 'grant': return `grant:${spec.database}/${spec.schema}/${spec.role}`;
    case 'extension': return `extension:${spec.database}/${spec.name}`;
  }
}

/** PostgreSQL's limit on an identifier (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_LENGTH = 63;
/** The suffix of the alternating-users rotation's second user. */
export const CLONE_SUFFIX = '_clone';

/** The identifiers this library writes: lower case, unquoted, within PostgreSQL's limit. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Role names no construct may create: PostgreSQL's and RDS's own roles and prefixes, and the
 * words SQL gives a meaning in a role's place.
 */
export const RESERVED_ROLE_NAMES = ['public', 'none', 'current_user', 'current_role', 'session_user', 'user', 'all',
  'postgres', 'rdsadmin', 'rdsrepladmin', 'rdstopmgr', 'rds_superuser', 'rds_iam', 'rds_replication', 'rds_password'];
/** Reserved prefixes: `pg_` (PostgreSQL's predefined roles), `rds_` and `rds` admin roles (RDS's). */
export const RESERVED_ROLE_PREFIXES = ['pg_', 'rds_'];

/**
 * Predefined roles a role may be a member of (`memberOf`), besides roles the constructs create.
 * @see https://www.postgresql.org/docs/17/predefined-roles.html
 */
export const PREDEFINED_ROLES = ['pg_monitor', 'pg_read_all_stats', 'pg_read_all_settings', 'pg_stat_scan_tables',
  'pg_read_all_data', 'pg_write_all_data', 'pg_signal_backend', 'pg_maintain', 'pg_checkpoint', 'pg_use_reserved_connections',
  'pg_create_subscription'];

/** Why `name` cannot be an identifier this library writes, or undefined when it can. */
export function identifierProblem(name: string, maxLength = MAX_IDENTIFIER_LENGTH): string | undefined {
  if (!IDENTIFIER.test(name)) return 'lower-case letters, digits and underscores only, not starting with a digit';
  if (name.length > maxLength) return `at most ${maxLength} characters`;
  return undefined;
}

/**
 * Why `name` cannot be the name of a role a construct creates, or undefined when it can.
 * `clone`: the alternating-users rotation adds `_clone`, which must fit too.
 */
export function roleNameProblem(name: string, clone = false): string | undefined {
  const max = clone ? MAX_IDENTIFIER_LENGTH - CLONE_SUFFIX.length : MAX_IDENTIFIER_LENGTH;
  const problem = identifierProblem(name, max);
  if (problem) return clone ? `${problem} (the alternating-users rotation adds '${CLONE_SUFFIX}')` : problem;
  if (RESERVED_ROLE_NAMES.includes(name)) return 'a name PostgreSQL or RDS reserves';
  const prefix = RESERVED_ROLE_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `the prefix '${prefix}' is reserved for PostgreSQL's and RDS's own roles`;
  return undefined;
}
