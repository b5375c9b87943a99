/**
 * The SQL that makes an RDS for PostgreSQL database hold what a roles custom resource asks for
 * (shared/roles-spec.ts): create, update in place and delete a role, database, schema, schema
 * grant or extension, as the instance's master user, which is NOT a superuser.
 *
 * Every function is idempotent: running createObject twice, or createObject then updateObject with
 * the same spec, leaves the catalogs as they were after the first run. Deletes never lose data: a
 * role that owns objects, a database that holds objects and a schema that is not empty are
 * refused with an ObjectError that says why and what to do.
 *
 * Clients: `connect(database)` gives a connected client as the master user; this module ends
 * every client it opens, on success and on failure.
 *
 * Serialization: custom resources run concurrently, and concurrent GRANTs on one object fail with
 * "tuple concurrently updated". Each call holds the session advisory lock ROLES_LOCK_KEY on a
 * client to the default database for its whole run, and every transaction it opens takes
 * pg_advisory_xact_lock(ROLES_LOCK_KEY) in its database (advisory locks are per database; the
 * session lock in the default database is what orders calls across databases).
 *
 * PostgreSQL 16+ and the master: a CREATEROLE non-superuser gets only ADMIN OPTION on the roles it
 * creates (createrole_self_grant is empty), neither SET nor INHERIT. SET is needed to make a role
 * an owner (CREATE SCHEMA ... AUTHORIZATION, ALTER ... OWNER TO); INHERIT (the role's
 * privileges) is needed for ALTER DEFAULT PRIVILEGES FOR ROLE, DROP OWNED BY, to alter or drop an
 * object the role owns, and for GRANT/REVOKE on its objects to act as their owner. So a
 * transaction that needs them grants the role to the master WITH INHERIT TRUE, SET TRUE and puts
 * the master's membership back as it was before it commits (only DROP DATABASE, which cannot run
 * in a transaction, holds the borrowed rights across that one statement). At rest the master
 * holds what PostgreSQL gave it: ADMIN OPTION only. That also keeps the master out of the roles
 * that are members of rds_iam, which RDS reserves for IAM authentication.
 *
 * Passwords: a role gets `ctx.password(secretArn)` only when this module creates it; an existing
 * role's password is never reset (the secret's rotation owns it). The password travels as a
 * SCRAM-SHA-256 verifier computed here, so the statement (which PostgreSQL may log) does not hold
 * it; a password that is not ASCII is sent as it is (see passwordForCreateRole). No error message
 * holds a statement's text or a password.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'crypto';
import type { Client } from 'pg';
import { extensionProblem } from './rds-extensions';
import {
  CLONE_SUFFIX, DatabaseSpec, ExtensionSpec, identifierProblem, ObjectSpec, physicalId, PREDEFINED_ROLES,
  RoleSpec, roleNameProblem, SchemaGrantSpec, SchemaPrivilegeName, SchemaSpec,
} from './roles-spec';

/** A connected client to `database` as the master user. roles-sql ends every client it gets. */
export type Connect = (database: string) => Promise<Client>;

/** What the provider knows besides the spec. */
export interface ApplyContext {
  /** The instance's master user (the user `connect` logs in as). */
  readonly masterUser: string;
  /** The database roles are managed from and the session lock is held in (RDS's DBName). */
  readonly defaultDatabase: string;
  /** The `password` of a secret's AWSCURRENT version. Called only when a role is created. */
  readonly password: (secretArn: string) => Promise<string>;
}

/**
 * An object could not be made so. The message names the object, and PostgreSQL's SQLSTATE and
 * message when PostgreSQL refused; never a statement's text, never a password.
 */
export class ObjectError extends Error {
  /** The object's physical id (`role:app_writer`). */
  public readonly objectId: string;
  /** PostgreSQL's SQLSTATE, when PostgreSQL refused a statement. */
  public readonly sqlState?: string;

  constructor(objectId: string, message: string, sqlState?: string) {
    super(message);
    this.name = 'ObjectError';
    this.objectId = objectId;
    this.sqlState = sqlState;
  }
}

/** The advisory lock key every call holds (an arbitrary constant: "roles" in the playbook). */
export const ROLES_LOCK_KEY = 7_346_110_201;

// --- quoting ---------------------------------------------------------------------------------

/** A quoted identifier. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('an identifier cannot hold a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal that means `value` whatever standard_conforming_strings is (pg's escapeLiteral). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a string literal cannot hold a NUL character');
  const quotes = value.replace(/'/g, "''");
  return value.includes('\\') ? ` E'${quotes.replace(/\\/g, '\\\\')}'` : `'${quotes}'`;
}

/**
 * What `CREATE ROLE ... PASSWORD` gets for `password`: a SCRAM-SHA-256 verifier (RFC 5802/7677, as
 * PostgreSQL stores it) when the password is ASCII, for which SASLprep changes nothing; otherwise
 * the password itself, which PostgreSQL normalizes and hashes (a verifier made here could then
 * differ from what a login computes).
 */
export function passwordForCreateRole(password: string, iterations = 4096): string {
  if (!/^[\x20-\x7e]*$/.test(password)) return password;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

// --- validation ------------------------------------------------------------------------------

/** Why a role may not be in `memberOf`, or undefined when it may. */
function memberOfProblem(name: string): string | undefined {
  if (PREDEFINED_ROLES.includes(name)) return undefined;
  return roleNameProblem(name);
}

/** Words SQL reads as something else where a role name goes (`TO public` grants to everyone). */
const ROLE_KEYWORDS = ['public', 'none', 'current_user', 'current_role', 'session_user', 'user', 'all'];

/** Why `name` cannot name an existing role an object is owned by or granted to. */
function roleReferenceProblem(name: string): string | undefined {
  return identifierProblem(name) ?? (ROLE_KEYWORDS.includes(name) ? 'an SQL keyword, not a role (TO public would grant to every role)' : undefined);
}

/** Why `spec` cannot be applied (names this module would write into SQL), or undefined when it can. */
export function specProblem(spec: ObjectSpec): string | undefined {
  const check = (what: string, name: string, problem: string | undefined) =>
    problem ? `${what} '${name}': ${problem}` : undefined;
  switch (spec.kind) {
    case 'role':
      return check('role name', spec.name, roleNameProblem(spec.name, spec.clone))
        ?? spec.memberOf.map((m) => check('memberOf', m, memberOfProblem(m))).find((p) => p)
        ?? (Number.isInteger(spec.connectionLimit) && spec.connectionLimit >= -1 ? undefined
          : `connectionLimit must be -1 (none) or a whole number of connections (got ${spec.connectionLimit})`);
    case 'database':
      return check('database name', spec.name, identifierProblem(spec.name))
        ?? check('owner', spec.owner, roleReferenceProblem(spec.owner));
    case 'schema':
      return check('database name', spec.database, identifierProblem(spec.database))
        ?? check('schema name', spec.name, identifierProblem(spec.name))
        ?? check('owner', spec.owner, roleReferenceProblem(spec.owner));
    case 'grant':
      return check('database name', spec.database, identifierProblem(spec.database))
        ?? check('schema name', spec.schema, identifierProblem(spec.schema))
        ?? check('role', spec.role, roleReferenceProblem(spec.role))
        ?? spec.defaultFor.map((r) => check('defaultFor', r, roleReferenceProblem(r))).find((p) => p)
        ?? (Object.hasOwn(PRIVILEGES, spec.privilege) ? undefined : `privilege must be READ_ONLY or READ_WRITE (got ${String(spec.privilege)})`);
    case 'extension':
      return check('database name', spec.database, identifierProblem(spec.database))
        ?? check('extension', spec.name, extensionProblem(spec.name));
  }
}

/** How an error message names the object. */
export function describeObject(spec: ObjectSpec): string {
  switch (spec.kind) {
    case 'role': return `role '${spec.name}'`;
    case 'database': return `database '${spec.name}'`;
    case 'schema': return `schema '${spec.name}' in database '${spec.database}'`;
    case 'grant': return `${spec.privilege} grant on schema '${spec.schema}' in database '${spec.database}' to role '${spec.role}'`;
    case 'extension': return `extension '${spec.name}' in database '${spec.database}'`;
  }
}

// --- errors ----------------------------------------------------------------------------------

interface PgErrorLike { message?: string; code?: string; detail?: string; hint?: string }

/** `err` as an ObjectError for `spec`, with every secret in `secrets` masked. */
function toObjectError(spec: ObjectSpec, err: unknown, secrets: string[]): ObjectError {
  if (err instanceof ObjectError) return err;
  const e = (err ?? {}) as PgErrorLike;
  const sqlState = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  let text = `${describeObject(spec)}: ${e.message ?? String(err)}`;
  if (sqlState) text += ` (SQLSTATE ${sqlState})`;
  if (e.detail) text += `. ${e.detail}`;
  if (e.hint) text += ` Hint: ${e.hint}`;
  for (const secret of secrets) if (secret) text = text.split(secret).join('********');
  return new ObjectError(physicalId(spec), text, sqlState);
}

// --- sessions, transactions, borrowed rights -------------------------------------------------

/** One call's clients (one per database), the session lock, and transactions that take the lock. */
class Session {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly connectTo: Connect, public readonly ctx: ApplyContext) {}

  /** Opens the default database's client and takes the session lock there. */
  public async open(): Promise<void> {
    const c = await this.client(this.ctx.defaultDatabase);
    await c.query('SELECT pg_advisory_lock($1)', [ROLES_LOCK_KEY]);
  }

  public async client(database: string): Promise<Client> {
    let c = this.clients.get(database);
    if (!c) {
      c = await this.connectTo(database);
      this.clients.set(database, c);
    }
    return c;
  }

  /** Ends the client of `database` (e.g. before DROP DATABASE). */
  public async release(database: string): Promise<void> {
    const c = this.clients.get(database);
    if (c && database !== this.ctx.defaultDatabase) {
      this.clients.delete(database);
      await c.end().catch(() => undefined);
    }
  }

  /** `fn` in a transaction in `database` that holds pg_advisory_xact_lock(ROLES_LOCK_KEY). */
  public async tx<T>(database: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.client(database);
    await c.query('BEGIN');
    try {
      await c.query('SELECT pg_advisory_xact_lock($1)', [ROLES_LOCK_KEY]);
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Releases the session lock and ends every client. */
  public async close(): Promise<void> {
    const main = this.clients.get(this.ctx.defaultDatabase);
    if (main) await main.query('SELECT pg_advisory_unlock($1)', [ROLES_LOCK_KEY]).catch(() => undefined);
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.end().catch(() => undefined)));
  }
}

/** Runs `fn` in a Session, turning every failure into an ObjectError for `spec`. */
async function run(connect: Connect, spec: ObjectSpec, ctx: ApplyContext, fn: (s: Session, secrets: string[]) => Promise<void>): Promise<void> {
  const problem = specProblem(spec);
  if (problem) throw new ObjectError(physicalId(spec), `${describeObject(spec)}: ${problem}`);
  const secrets: string[] = [];
  const session = new Session(connect, ctx);
  try {
    await session.open();
    await fn(session, secrets);
  } catch (e) {
    throw toObjectError(spec, e, secrets);
  } finally {
    await session.close();
  }
}

/** Puts the master's memberships back as borrowRights found them (run on any client, in a transaction). */
type Restore = (c: Client) => Promise<void>;

/**
 * Gives the master INHERIT and SET on each of `roles` that it lacks them on (and holds ADMIN
 * OPTION on), in the current transaction; returns the function that puts its memberships back
 * as they were, to run before the transaction commits. Roles that do not exist, the master itself
 * and roles the master already has both rights on are left alone. `strict`: a role the master
 * has no ADMIN OPTION on is an error rather than left to PostgreSQL's own refusal.
 */
async function borrowRights(c: Client, master: string, roles: Iterable<string>, strict = false): Promise<Restore> {
  const wanted = [...new Set(roles)].filter((r) => r !== master);
  if (wanted.length === 0) return async () => undefined;
  const { rows } = await c.query<{ rolname: string; usage: boolean; set: boolean; admin: boolean; own_row: boolean; own_inherit: boolean | null; own_set: boolean | null }>(
    `SELECT r.rolname,
            pg_has_role($1, r.oid, 'USAGE') AS usage,
            pg_has_role($1, r.oid, 'SET') AS set,
            pg_has_role($1, r.oid, 'MEMBER WITH ADMIN OPTION') AS admin,
            m.roleid IS NOT NULL AS own_row, m.inherit_option AS own_inherit, m.set_option AS own_set
       FROM pg_roles r
       LEFT JOIN pg_auth_members m
         ON m.roleid = r.oid AND m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) AND m.grantor = m.member
      WHERE r.rolname = ANY($2::text[])
      ORDER BY r.rolname`,
    [master, wanted]);
  const restores: Array<{ role: string; statement: string }> = [];
  const refused: string[] = [];
  for (const row of rows) {
    if (row.usage && row.set) continue;
    if (!row.admin) {
      refused.push(row.rolname);
      continue;
    }
    await c.query(`GRANT ${quoteIdent(row.rolname)} TO ${quoteIdent(master)} WITH INHERIT TRUE, SET TRUE`);
    restores.push({
      role: row.rolname,
      statement: row.own_row
        ? `GRANT ${quoteIdent(row.rolname)} TO ${quoteIdent(master)} WITH INHERIT ${row.own_inherit ? 'TRUE' : 'FALSE'}, SET ${row.own_set ? 'TRUE' : 'FALSE'}`
        : `REVOKE ${quoteIdent(row.rolname)} FROM ${quoteIdent(master)}`,
    });
  }
  if (strict && refused.length > 0) {
    throw new Error(`the master user '${master}' cannot act for role(s) ${refused.map((r) => `'${r}'`).join(', ')} `
      + '(it holds no ADMIN OPTION on them): make the master user or one of the provider\'s roles their owner');
  }
  return async (on) => {
    for (const { role, statement } of restores) {
      // A role dropped meanwhile took the master's membership with it.
      if (await roleExists(on, role)) await on.query(statement);
    }
  };
}

/** `fn` with borrowed rights on `roles`, put back afterwards (in the current transaction). */
async function actingFor<T>(c: Client, master: string, roles: Iterable<string>, fn: () => Promise<T>, strict = false): Promise<T> {
  const restore = await borrowRights(c, master, roles, strict);
  const result = await fn();
  await restore(c);
  return result;
}

async function roleExists(c: Client, name: string): Promise<boolean> {
  const { rowCount } = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

async function databaseOwner(c: Client, name: string): Promise<string | undefined> {
  const { rows } = await c.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [name]);
  return rows[0]?.owner;
}

/** The current database's owner. */
async function currentDatabaseOwner(c: Client): Promise<string> {
  const { rows } = await c.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()');
  return rows[0].owner;
}

async function schemaOwner(c: Client, name: string): Promise<string | undefined> {
  const { rows } = await c.query<{ owner: string }>(
    'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1', [name]);
  return rows[0]?.owner;
}

// --- roles -----------------------------------------------------------------------------------

/** The roles `spec` makes the role (and its clone) a member of. */
function memberships(spec: RoleSpec): string[] {
  return [...new Set([...spec.memberOf, ...(spec.iam ? ['rds_iam'] : [])])];
}

function cloneName(name: string): string {
  return `${name}${CLONE_SUFFIX}`;
}

interface RoleRow { rolcanlogin: boolean; rolconnlimit: number }

async function roleRow(c: Client, name: string): Promise<RoleRow | undefined> {
  const { rows } = await c.query<RoleRow>('SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1', [name]);
  return rows[0];
}

/** Roles `member` is directly a member of, among `candidates`. */
async function grantedAmong(c: Client, member: string, candidates: string[]): Promise<Set<string>> {
  const { rows } = await c.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) AND r.rolname = ANY($2::text[])`,
    [member, candidates]);
  return new Set(rows.map((r) => r.rolname));
}

/**
 * Creates `name` if missing (with `password`, fetched only then) or alters it to `login` and
 * `connectionLimit`; grants it `wanted` and revokes `unwanted` (the master's grants only).
 */
async function reconcileRole(c: Client, name: string, login: boolean, connectionLimit: number,
  wanted: string[], unwanted: string[], password: (() => Promise<string | undefined>) | undefined): Promise<void> {
  const row = await roleRow(c, name);
  const attrs = `${login ? 'LOGIN' : 'NOLOGIN'} CONNECTION LIMIT ${connectionLimit}`;
  if (!row) {
    const secret = password ? await password() : undefined;
    const pw = secret === undefined ? '' : ` PASSWORD ${quoteLiteral(passwordForCreateRole(secret))}`;
    await c.query(`CREATE ROLE ${quoteIdent(name)} WITH ${attrs}${pw}`);
  } else if (row.rolcanlogin !== login || row.rolconnlimit !== connectionLimit) {
    await c.query(`ALTER ROLE ${quoteIdent(name)} WITH ${attrs}`);
  }
  const has = await grantedAmong(c, name, [...wanted, ...unwanted]);
  for (const group of wanted) {
    if (!has.has(group)) await c.query(`GRANT ${quoteIdent(group)} TO ${quoteIdent(name)}`);
  }
  for (const group of unwanted) {
    if (has.has(group) && !wanted.includes(group)) await c.query(`REVOKE ${quoteIdent(group)} FROM ${quoteIdent(name)}`);
  }
}

async function applyRole(s: Session, spec: RoleSpec, old: RoleSpec | undefined, secrets: string[]): Promise<void> {
  const wanted = memberships(spec);
  const unwanted = old ? memberships(old).filter((g) => !wanted.includes(g)) : [];
  const password = spec.login && spec.secretArn
    ? async () => {
      const secret = await s.ctx.password(spec.secretArn!);
      secrets.push(secret);
      return secret;
    }
    : undefined;
  await s.tx(s.ctx.defaultDatabase, async (c) => {
    await reconcileRole(c, spec.name, spec.login, spec.connectionLimit, wanted, unwanted, password);
    if (spec.clone) {
      // AWS's alternating-users rotation creates the clone only when it is missing; from then on it
      // only sets its password. So the clone is made here, without a password, in the same groups,
      // and a member of the role itself: what is granted to the role (a schema grant, what it owns)
      // reaches the clone too, whichever of the two the secret holds.
      await reconcileRole(c, cloneName(spec.name), true, spec.connectionLimit, [...wanted, spec.name], unwanted, undefined);
    }
  });
  if (old?.clone && !spec.clone) await dropRole(s, physicalId(spec), cloneName(spec.name));
}

interface OwnedRow { dbid: number; datname: string | null; datallowconn: boolean | null; owned: string; entries: string }

/** The role's pg_shdepend entries per database (dbid 0: shared objects), and how many are ownerships. */
async function dependencies(c: Client, role: string): Promise<OwnedRow[]> {
  const { rows } = await c.query<OwnedRow>(
    `SELECT d.dbid::int AS dbid, db.datname, db.datallowconn,
            count(*) FILTER (WHERE d.deptype = 'o' AND d.classid <> 'pg_default_acl'::regclass) AS owned,
            count(*) AS entries
       FROM pg_shdepend d LEFT JOIN pg_database db ON db.oid = d.dbid
      WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
      GROUP BY 1, 2, 3 ORDER BY 2 NULLS FIRST`,
    [role]);
  return rows;
}

/**
 * A few of the objects `role` owns in the client's database (and, with `shared`, the databases and
 * other shared objects it owns), as PostgreSQL describes them. Default privileges the role set
 * (pg_default_acl) are privileges, not objects: DROP OWNED removes them.
 */
async function ownedObjects(c: Client, role: string, shared: boolean, limit = 5): Promise<{ names: string[]; count: number }> {
  const { rows } = await c.query<{ name: string; total: string }>(
    `SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS name, count(*) OVER () AS total
       FROM pg_shdepend d
      WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
        AND d.deptype = 'o' AND d.classid <> 'pg_default_acl'::regclass
        AND d.dbid = CASE WHEN $2 THEN 0 ELSE (SELECT oid FROM pg_database WHERE datname = current_database()) END
      ORDER BY 1 LIMIT $3`,
    [role, shared, limit]);
  return { names: rows.map((r) => r.name), count: rows.length ? Number(rows[0].total) : 0 };
}

/** What `role` owns, as a sentence, or undefined when it owns nothing. */
async function ownershipReport(s: Session, role: string): Promise<string | undefined> {
  const main = await s.client(s.ctx.defaultDatabase);
  const deps = await dependencies(main, role);
  const parts: string[] = [];
  const databases: string[] = [];
  for (const dep of deps.filter((d) => Number(d.owned) > 0)) {
    if (dep.dbid === 0) {
      const { names } = await ownedObjects(main, role, true, 50);
      parts.push(...names);
      continue;
    }
    const db = dep.datname ?? `#${dep.dbid}`;
    databases.push(db);
    if (!dep.datallowconn) {
      parts.push(`${dep.owned} object(s) in database '${db}'`);
      continue;
    }
    const { names, count } = await ownedObjects(await s.client(db), role, false);
    parts.push(`${count} object(s) in database '${db}' (${names.join(', ')}${count > names.length ? ', ...' : ''})`);
  }
  // Databases are also recorded in pg_database.datdba (pinned owners have no pg_shdepend entry).
  const { rows } = await main.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1', [role]);
  for (const { datname } of rows) {
    if (!parts.includes(`database ${datname}`)) parts.push(`database ${datname}`);
  }
  if (parts.length === 0) return undefined;
  const where = databases.length ? ` in ${databases.map((d) => `'${d}'`).join(', ')}` : '';
  return `role '${role}' owns objects, so it is not dropped: ${parts.join('; ')}. `
    + `Give them another owner first (REASSIGN OWNED BY ${quoteIdent(role)} TO ${quoteIdent(s.ctx.masterUser)}`
    + `${where ? `, run${where}` : ''}) or drop them, then delete again`;
}

/**
 * Drops `role` unless it owns objects: revokes its privileges in every database where it holds
 * any (DROP OWNED BY, safe because it owns nothing there, checked again in the same transaction),
 * then DROP ROLE. A missing role is already deleted.
 */
async function dropRole(s: Session, id: string, role: string): Promise<void> {
  const main = await s.client(s.ctx.defaultDatabase);
  if (!await roleExists(main, role)) return;
  const report = await ownershipReport(s, role);
  if (report) throw new ObjectError(id, report);
  const deps = await dependencies(main, role);
  // Privileges on shared objects (databases) are revoked by DROP OWNED in any database.
  const databases = new Set(deps.filter((d) => d.dbid !== 0 && d.datallowconn).map((d) => d.datname!));
  if (deps.some((d) => d.dbid === 0)) databases.add(s.ctx.defaultDatabase);
  for (const db of databases) {
    await s.tx(db, async (c) => {
      const { count } = await ownedObjects(c, role, false, 1);
      if (count > 0) throw new ObjectError(id, (await ownershipReport(s, role)) ?? `role '${role}' owns objects in database '${db}', so it is not dropped`);
      await actingFor(c, s.ctx.masterUser, [role], () => c.query(`DROP OWNED BY ${quoteIdent(role)} RESTRICT`));
    });
  }
  await s.tx(s.ctx.defaultDatabase, async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  });
}

// --- databases -------------------------------------------------------------------------------

/**
 * Objects a database holds besides what CREATE DATABASE puts there (an empty `public`), the
 * objects of its extensions counted as the extension.
 */
const USER_OBJECTS_SQL = `
  WITH user_ns AS (
    SELECT oid, nspname FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
  ), members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
  )
  SELECT kind, name, count(*) OVER () AS total FROM (
    SELECT 1 AS rank, 'relation' AS kind, format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
     WHERE (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM members)
    UNION ALL SELECT 2, 'schema', nspname FROM user_ns WHERE nspname <> 'public'
    UNION ALL SELECT 3, 'extension', extname FROM pg_extension WHERE extname <> 'plpgsql'
    UNION ALL SELECT 4, 'function', p.oid::regprocedure::text
      FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
     WHERE (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM members)
    UNION ALL SELECT 5, 'type', format('%I.%I', n.nspname, t.typname)
      FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
     WHERE t.typrelid = 0 AND t.typcategory <> 'A' AND (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM members)
    UNION ALL SELECT 6, 'large object', oid::text FROM pg_largeobject_metadata
  ) o ORDER BY rank, name LIMIT 5`;

async function applyDatabase(s: Session, spec: DatabaseSpec): Promise<void> {
  const main = await s.client(s.ctx.defaultDatabase);
  const master = s.ctx.masterUser;
  if (!await databaseOwner(main, spec.name)) {
    // CREATE DATABASE cannot run in a transaction; the session lock orders it. It is created as the
    // master's and given to its owner in a transaction (a failure in between converges on retry).
    await main.query(`CREATE DATABASE ${quoteIdent(spec.name)}`);
  }
  await s.tx(s.ctx.defaultDatabase, async (c) => {
    const owner = await databaseOwner(c, spec.name);
    if (owner === undefined || owner === spec.owner) return;
    await actingFor(c, master, [owner, spec.owner], () =>
      c.query(`ALTER DATABASE ${quoteIdent(spec.name)} OWNER TO ${quoteIdent(spec.owner)}`));
  });
}

async function dropDatabase(s: Session, spec: DatabaseSpec): Promise<void> {
  const id = physicalId(spec);
  if (spec.name === s.ctx.defaultDatabase) {
    throw new ObjectError(id, `${describeObject(spec)}: it is the provider's default database (the instance's DBName) and is not dropped`);
  }
  const main = await s.client(s.ctx.defaultDatabase);
  const master = s.ctx.masterUser;
  const { rows: [db] } = await main.query<{ owner: string; datconnlimit: number }>(
    'SELECT pg_get_userbyid(datdba) AS owner, datconnlimit FROM pg_database WHERE datname = $1', [spec.name]);
  if (!db) return;
  const setLimit = (limit: number) => s.tx(s.ctx.defaultDatabase, (c) => actingFor(c, master, [db.owner], () =>
    c.query(`ALTER DATABASE ${quoteIdent(spec.name)} CONNECTION LIMIT ${limit}`)));

  // Connect first, then close the database to new sessions (CONNECTION LIMIT 0; superusers are
  // exempt), so nothing is created between the check and DROP DATABASE.
  const inside = await s.client(spec.name);
  await setLimit(0);
  let dropped = false;
  try {
    const { rows: others } = await inside.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    if (Number(others[0].n) > 0) {
      throw new ObjectError(id, `${describeObject(spec)} is not dropped: ${others[0].n} other session(s) are connected to it`);
    }
    const { rows: objects } = await inside.query<{ kind: string; name: string; total: string }>(USER_OBJECTS_SQL);
    if (objects.length > 0) {
      const list = objects.map((o) => `${o.kind} ${o.name}`).join(', ');
      throw new ObjectError(id, `${describeObject(spec)} holds ${objects[0].total} object(s) (${list}${Number(objects[0].total) > objects.length ? ', ...' : ''}), `
        + 'so it is not dropped (that would lose them): drop or move them first, or keep the database');
    }
    await s.release(spec.name);
    // DROP DATABASE cannot run in a transaction: the owner's rights it needs are borrowed in a
    // transaction that commits, and put back in another whatever DROP DATABASE did.
    const restore = await s.tx(s.ctx.defaultDatabase, (c) => borrowRights(c, master, [db.owner]));
    try {
      await main.query(`DROP DATABASE ${quoteIdent(spec.name)}`);
      dropped = true;
    } finally {
      await s.tx(s.ctx.defaultDatabase, restore);
    }
  } finally {
    if (!dropped) await setLimit(db.datconnlimit).catch(() => undefined);
  }
}

// --- schemas ---------------------------------------------------------------------------------

async function applySchema(s: Session, spec: SchemaSpec): Promise<void> {
  await s.tx(spec.database, async (c) => {
    const master = s.ctx.masterUser;
    const dbOwner = await currentDatabaseOwner(c);
    const owner = await schemaOwner(c, spec.name);
    if (owner === undefined) {
      // CREATE SCHEMA needs CREATE on the database (its owner's) and SET on the new owner.
      await actingFor(c, master, [dbOwner, spec.owner], () =>
        c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(spec.name)} AUTHORIZATION ${quoteIdent(spec.owner)}`));
    } else if (owner !== spec.owner) {
      await actingFor(c, master, [dbOwner, owner, spec.owner], () =>
        c.query(`ALTER SCHEMA ${quoteIdent(spec.name)} OWNER TO ${quoteIdent(spec.owner)}`));
    }
  });
}

async function dropSchema(s: Session, spec: SchemaSpec): Promise<void> {
  const main = await s.client(s.ctx.defaultDatabase);
  if (!await databaseOwner(main, spec.database)) return;
  await s.tx(spec.database, async (c) => {
    const owner = await schemaOwner(c, spec.name);
    if (owner === undefined) return;
    try {
      await actingFor(c, s.ctx.masterUser, [owner], () => c.query(`DROP SCHEMA ${quoteIdent(spec.name)} RESTRICT`));
    } catch (e) {
      const err = e as PgErrorLike;
      if (err.code === '2BP01') {
        throw new ObjectError(physicalId(spec), `${describeObject(spec)} is not empty, so it is not dropped (that would lose its objects): `
          + `${err.detail ?? err.message} (SQLSTATE 2BP01). Drop or move its objects first, or keep the schema`, '2BP01');
      }
      throw e;
    }
  });
}

// --- schema grants ---------------------------------------------------------------------------

type ObjectClass = 'TABLES' | 'SEQUENCES' | 'FUNCTIONS';

/** What each privilege gives, per class of object (see SchemaGrantSpec). USAGE on the schema besides. */
const PRIVILEGES: Readonly<Record<SchemaPrivilegeName, Readonly<Record<ObjectClass, readonly string[]>>>> = {
  READ_ONLY: { TABLES: ['SELECT'], SEQUENCES: ['SELECT'], FUNCTIONS: [] },
  READ_WRITE: { TABLES: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], SEQUENCES: ['USAGE', 'SELECT', 'UPDATE'], FUNCTIONS: ['EXECUTE'] },
};
const CLASSES: ObjectClass[] = ['TABLES', 'SEQUENCES', 'FUNCTIONS'];
/** GRANT ... ON ALL <x> IN SCHEMA: ROUTINES so procedures get EXECUTE too (default privileges' FUNCTIONS cover both). */
const ALL_OF: Readonly<Record<ObjectClass, string>> = { TABLES: 'TABLES', SEQUENCES: 'SEQUENCES', FUNCTIONS: 'ROUTINES' };

/** The owners of the schema and of its tables, sequences and routines. */
async function schemaObjectOwners(c: Client, schema: string): Promise<string[]> {
  const { rows } = await c.query<{ owner: string }>(
    `WITH ns AS (SELECT oid, nspowner FROM pg_namespace WHERE nspname = $1)
     SELECT DISTINCT pg_get_userbyid(o) AS owner FROM (
       SELECT nspowner AS o FROM ns
       UNION SELECT relowner FROM pg_class WHERE relnamespace = (SELECT oid FROM ns) AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       UNION SELECT proowner FROM pg_proc WHERE pronamespace = (SELECT oid FROM ns)
     ) x ORDER BY 1`,
    [schema]);
  return rows.map((r) => r.owner);
}

/** The existing roles among `names`. */
async function existingRoles(c: Client, names: string[]): Promise<string[]> {
  const { rows } = await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])', [names]);
  return rows.map((r) => r.rolname);
}

/** REVOKE, per class, `remove[class]` on the schema's objects now and by default for each of `defaultFor`. */
async function revokeGrant(c: Client, spec: SchemaGrantSpec, remove: Record<ObjectClass, string[]>, defaultFor: Record<string, Record<ObjectClass, string[]>>): Promise<void> {
  const schema = quoteIdent(spec.schema);
  const role = quoteIdent(spec.role);
  for (const cls of CLASSES) {
    if (remove[cls].length) await c.query(`REVOKE ${remove[cls].join(', ')} ON ALL ${ALL_OF[cls]} IN SCHEMA ${schema} FROM ${role}`);
  }
  for (const [forRole, classes] of Object.entries(defaultFor)) {
    for (const cls of CLASSES) {
      if (classes[cls].length) {
        await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(forRole)} IN SCHEMA ${schema} REVOKE ${classes[cls].join(', ')} ON ${cls} FROM ${role}`);
      }
    }
  }
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

async function applyGrant(s: Session, spec: SchemaGrantSpec, old: SchemaGrantSpec | undefined): Promise<void> {
  await s.tx(spec.database, async (c) => {
    if (await schemaOwner(c, spec.schema) === undefined) {
      throw new ObjectError(physicalId(spec), `${describeObject(spec)}: schema '${spec.schema}' does not exist in database '${spec.database}'`);
    }
    const owners = await schemaObjectOwners(c, spec.schema);
    const oldDefaultFor = old ? await existingRoles(c, old.defaultFor) : [];
    // Acting as the objects' owners records the grants as theirs, as if they had made them.
    await actingFor(c, s.ctx.masterUser, [...owners, ...spec.defaultFor, ...oldDefaultFor], async () => {
      if (old) {
        const gave = PRIVILEGES[old.privilege];
        const gives = PRIVILEGES[spec.privilege];
        const remove = { TABLES: minus(gave.TABLES, gives.TABLES), SEQUENCES: minus(gave.SEQUENCES, gives.SEQUENCES), FUNCTIONS: minus(gave.FUNCTIONS, gives.FUNCTIONS) };
        const defaults: Record<string, Record<ObjectClass, string[]>> = {};
        for (const forRole of oldDefaultFor) {
          const keep = spec.defaultFor.includes(forRole) ? gives : { TABLES: [], SEQUENCES: [], FUNCTIONS: [] };
          defaults[forRole] = { TABLES: minus(gave.TABLES, keep.TABLES), SEQUENCES: minus(gave.SEQUENCES, keep.SEQUENCES), FUNCTIONS: minus(gave.FUNCTIONS, keep.FUNCTIONS) };
        }
        await revokeGrant(c, spec, remove, defaults);
      }
      const schema = quoteIdent(spec.schema);
      const role = quoteIdent(spec.role);
      const gives = PRIVILEGES[spec.privilege];
      await c.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
      for (const cls of CLASSES) {
        if (!gives[cls].length) continue;
        await c.query(`GRANT ${gives[cls].join(', ')} ON ALL ${ALL_OF[cls]} IN SCHEMA ${schema} TO ${role}`);
        for (const forRole of spec.defaultFor) {
          await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(forRole)} IN SCHEMA ${schema} GRANT ${gives[cls].join(', ')} ON ${cls} TO ${role}`);
        }
      }
    }, true);
  });
}

async function dropGrant(s: Session, spec: SchemaGrantSpec): Promise<void> {
  const main = await s.client(s.ctx.defaultDatabase);
  if (!await databaseOwner(main, spec.database)) return;
  await s.tx(spec.database, async (c) => {
    if (await schemaOwner(c, spec.schema) === undefined || !await roleExists(c, spec.role)) return;
    const owners = await schemaObjectOwners(c, spec.schema);
    const defaultFor = await existingRoles(c, spec.defaultFor);
    const gave = PRIVILEGES[spec.privilege];
    await actingFor(c, s.ctx.masterUser, [...owners, ...defaultFor], async () => {
      await revokeGrant(c, spec, { TABLES: [...gave.TABLES], SEQUENCES: [...gave.SEQUENCES], FUNCTIONS: [...gave.FUNCTIONS] },
        Object.fromEntries(defaultFor.map((r) => [r, { TABLES: [...gave.TABLES], SEQUENCES: [...gave.SEQUENCES], FUNCTIONS: [...gave.FUNCTIONS] }])));
      await c.query(`REVOKE USAGE ON SCHEMA ${quoteIdent(spec.schema)} FROM ${quoteIdent(spec.role)}`);
    });
  });
}

// --- extensions ------------------------------------------------------------------------------

async function applyExtension(s: Session, spec: ExtensionSpec): Promise<void> {
  await s.tx(spec.database, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_extension WHERE extname = $1', [spec.name]);
    if (rowCount) return;
    // A trusted extension needs CREATE on the database: its owner's.
    await actingFor(c, s.ctx.masterUser, [await currentDatabaseOwner(c)], () =>
      c.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(spec.name)}`));
  });
}

async function dropExtension(s: Session, spec: ExtensionSpec): Promise<void> {
  const main = await s.client(s.ctx.defaultDatabase);
  if (!await databaseOwner(main, spec.database)) return;
  await s.tx(spec.database, async (c) => {
    const { rows } = await c.query<{ owner: string }>(
      'SELECT pg_get_userbyid(extowner) AS owner FROM pg_extension WHERE extname = $1', [spec.name]);
    if (!rows[0]) return;
    await actingFor(c, s.ctx.masterUser, [rows[0].owner], () => c.query(`DROP EXTENSION ${quoteIdent(spec.name)} RESTRICT`));
  });
}

// --- the API ---------------------------------------------------------------------------------

/** Makes the object `spec` asks for exist as asked (creating what is missing). Idempotent. */
export async function createObject(connect: Connect, spec: ObjectSpec, ctx: ApplyContext): Promise<void> {
  await run(connect, spec, ctx, (s, secrets) => apply(s, spec, undefined, secrets));
}

/**
 * Reconciles the object in place from `oldSpec` to `newSpec` (same physical id): what the old spec
 * gave that the new one does not is taken back (memberships, privileges, the clone), the rest is
 * made as in createObject.
 */
export async function updateObject(connect: Connect, oldSpec: ObjectSpec, newSpec: ObjectSpec, ctx: ApplyContext): Promise<void> {
  if (oldSpec.kind !== newSpec.kind || physicalId(oldSpec) !== physicalId(newSpec)) {
    throw new ObjectError(physicalId(newSpec), `${describeObject(newSpec)}: an update keeps the object (${physicalId(oldSpec)} -> ${physicalId(newSpec)} is a replacement)`);
  }
  await run(connect, newSpec, ctx, (s, secrets) => apply(s, newSpec, oldSpec, secrets));
}

/** Deletes the object, unless that would lose data (see the file comment). A missing object is deleted. */
export async function deleteObject(connect: Connect, spec: ObjectSpec, ctx: ApplyContext): Promise<void> {
  await run(connect, spec, ctx, async (s) => {
    switch (spec.kind) {
      case 'role':
        if (spec.clone) await dropRole(s, physicalId(spec), cloneName(spec.name));
        await dropRole(s, physicalId(spec), spec.name);
        return;
      case 'database': return dropDatabase(s, spec);
      case 'schema': return dropSchema(s, spec);
      case 'grant': return dropGrant(s, spec);
      case 'extension': return dropExtension(s, spec);
    }
  });
}

async function apply(s: Session, spec: ObjectSpec, old: ObjectSpec | undefined, secrets: string[]): Promise<void> {
  switch (spec.kind) {
    case 'role': return applyRole(s, spec, old as RoleSpec | undefined, secrets);
    case 'database': return applyDatabase(s, spec);
    case 'schema': return applySchema(s, spec);
    case 'grant': return applyGrant(s, spec, old as SchemaGrantSpec | undefined);
    case 'extension': return applyExtension(s, spec);
  }
}
