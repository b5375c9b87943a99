/**
 * shared/roles-sql.ts on a REAL PostgreSQL 17.9 set up like RDS (test/support/rds-like-postgres.ts):
 * every call runs as the master user, a CREATEROLE CREATEDB non-superuser, as on RDS. The
 * superuser connection only reads catalogs and plays other sessions.
 *
 * `password` is roles-sql's own callback (the provider passes one that reads Secrets Manager);
 * here it returns fixed passwords, so a test can log in with them.
 */
import { Client } from 'pg';
import {
  ApplyContext, Connect, createObject, deleteObject, ObjectError, ROLES_LOCK_KEY, updateObject,
} from '../../shared/roles-sql';
import { DatabaseSpec, ExtensionSpec, ObjectSpec, RoleSpec, SchemaGrantSpec, SchemaSpec } from '../../shared/roles-spec';
import { RdsLikePostgres, startRdsLikePostgres } from '../support/rds-like-postgres';

jest.setTimeout(120_000);

let rds: RdsLikePostgres;

const PASSWORDS: Record<string, string> = {
  'arn:secret:shop_owner': 'Owner-Passw0rd-1',
  'arn:secret:shop_app': 'App-Passw0rd-1',
  'arn:secret:shop_analyst': 'Analyst-Passw0rd-1',
  'arn:secret:shop_monitor': 'Monitor-Passw0rd-1',
  'arn:secret:err_user': 'Never-Sh0wn-Passw0rd',
  // Not ASCII, with a quote and a backslash: sent as a literal, hashed by PostgreSQL.
  'arn:secret:odd_user': 'Pässwörd\'s \\ "odd"',
};
const passwordCalls: string[] = [];

function ctx(): ApplyContext {
  return {
    masterUser: rds.masterUser,
    defaultDatabase: rds.database,
    password: async (arn) => {
      passwordCalls.push(arn);
      const password = PASSWORDS[arn];
      if (password === undefined) throw new Error(`no test secret ${arn}`);
      return password;
    },
  };
}
const connect: Connect = (database) => rds.connect(database);

function role(name: string, props: Partial<Omit<RoleSpec, 'kind' | 'name'>> = {}): RoleSpec {
  return { kind: 'role', name, login: false, iam: false, clone: false, memberOf: [], connectionLimit: -1, ...props };
}
function loginRole(name: string, props: Partial<Omit<RoleSpec, 'kind' | 'name'>> = {}): RoleSpec {
  return role(name, { login: true, secretArn: `arn:secret:${name}`, ...props });
}
const database = (name: string, owner: string): DatabaseSpec => ({ kind: 'database', name, owner });
const schema = (db: string, name: string, owner: string): SchemaSpec => ({ kind: 'schema', database: db, name, owner });
const grant = (db: string, s: string, r: string, privilege: 'READ_ONLY' | 'READ_WRITE', defaultFor: string[]): SchemaGrantSpec =>
  ({ kind: 'grant', database: db, schema: s, role: r, privilege, defaultFor });
const extension = (db: string, name: string): ExtensionSpec => ({ kind: 'extension', database: db, name });

async function applyAll(specs: ObjectSpec[]): Promise<void> {
  for (const spec of specs) await createObject(connect, spec, ctx());
}

/** Runs `fn` with a superuser client to `db` (catalog reads, other sessions), then ends it. */
async function asSuperuser<T>(db: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await rds.server.client(db);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs `fn` logged in as `user` with `password` (over TCP, SCRAM), then ends the client. */
async function as<T>(db: string, user: string, password: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await rds.connect(db, user, password);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SQLSTATE `promise` fails with. */
async function sqlStateOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  throw new Error('expected the statement to fail');
}

/**
 * Everything roles-sql may change, from every database that takes connections: roles (with their
 * password verifiers), memberships, database/schema/relation/routine ACLs, default privileges,
 * extensions. Oids are left out: they are not what a re-run must keep.
 */
async function snapshot(): Promise<Record<string, unknown>> {
  const shared = await asSuperuser('postgres', async (c) => ({
    roles: (await c.query(`SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, rolpassword
                             FROM pg_authid ORDER BY rolname`)).rows,
    members: (await c.query(`SELECT roleid::regrole::text AS role, member::regrole::text AS member, grantor::regrole::text AS grantor,
                                    admin_option, inherit_option, set_option
                               FROM pg_auth_members ORDER BY 1, 2, 3`)).rows,
    databases: (await c.query(`SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text, datconnlimit, datallowconn
                                 FROM pg_database ORDER BY datname`)).rows,
  }));
  const dbs = (shared.databases as Array<{ datname: string; datallowconn: boolean }>).filter((d) => d.datallowconn).map((d) => d.datname);
  const perDb: Record<string, unknown> = {};
  for (const db of dbs) {
    perDb[db] = await asSuperuser(db, async (c) => ({
      namespaces: (await c.query(`SELECT nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text FROM pg_namespace
                                   WHERE nspname !~ '^pg_(toast|temp)' ORDER BY 1`)).rows,
      relations: (await c.query(`SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relacl::text
                                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' ORDER BY 1, 2`)).rows,
      routines: (await c.query(`SELECT p.oid::regprocedure::text AS routine, pg_get_userbyid(p.proowner) AS owner, p.proacl::text
                                  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)).rows,
      defaultAcl: (await c.query(`SELECT pg_get_userbyid(defaclrole) AS role, defaclnamespace::regnamespace::text AS schema,
                                         defaclobjtype, defaclacl::text
                                    FROM pg_default_acl ORDER BY 1, 2, 3`)).rows,
      extensions: (await c.query('SELECT extname, pg_get_userbyid(extowner) AS owner, extversion FROM pg_extension ORDER BY 1')).rows,
    }));
  }
  return { ...shared, perDb };
}

/** The master's memberships in roles other than the ones the harness gave it. */
async function masterMemberships(): Promise<Array<Record<string, unknown>>> {
  return asSuperuser('postgres', async (c) => (await c.query(
    `SELECT roleid::regrole::text AS role, grantor::regrole::text AS grantor, admin_option, inherit_option, set_option
       FROM pg_auth_members
      WHERE member = $1::regrole AND roleid::regrole::text NOT LIKE 'pg\\_%' AND roleid::regrole::text NOT LIKE 'rds\\_%'
      ORDER BY 1, 2`, [rds.masterUser])).rows);
}

beforeAll(async () => {
  rds = await startRdsLikePostgres();
});

afterAll(async () => {
  await rds?.stop();
});

test('the master user roles-sql runs as is not a superuser', async () => {
  const { rows } = await as(rds.database, rds.masterUser, rds.masterPassword, (c) =>
    c.query<{ rolsuper: boolean; rolcreaterole: boolean }>('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user'));
  expect(rows).toEqual([{ rolsuper: false, rolcreaterole: true }]);
});

describe('a shop: roles, a database owned by a role, a schema, grants and an extension', () => {
  const STACK: ObjectSpec[] = [
    loginRole('shop_owner'),
    role('shop_readers'),
    role('shop_writers'),
    loginRole('shop_app', { clone: true, memberOf: ['shop_writers'], connectionLimit: 20 }),
    loginRole('shop_analyst', { memberOf: ['shop_readers'] }),
    loginRole('shop_monitor', { memberOf: ['pg_monitor', 'pg_read_all_stats'] }),
    role('shop_iam', { login: true, iam: true, memberOf: ['shop_readers'] }),
    database('shop', 'shop_owner'),
    schema('shop', 'sales', 'shop_owner'),
    grant('shop', 'sales', 'shop_readers', 'READ_ONLY', ['shop_owner']),
    grant('shop', 'sales', 'shop_writers', 'READ_WRITE', ['shop_owner']),
    extension('shop', 'pgcrypto'),
  ];
  let first: Record<string, unknown>;

  beforeAll(async () => {
    await applyAll(STACK);
    first = await snapshot();
  });

  test('creates what the specs ask for', async () => {
    const roles = await asSuperuser('postgres', async (c) => (await c.query(
      `SELECT r.rolname, r.rolcanlogin, r.rolconnlimit, r.rolpassword IS NOT NULL AS has_password,
              ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1)::text[] AS member_of
         FROM pg_authid r WHERE r.rolname LIKE 'shop\\_%' ORDER BY 1`)).rows);
    expect(roles).toEqual([
      { rolname: 'shop_analyst', rolcanlogin: true, rolconnlimit: -1, has_password: true, member_of: ['shop_readers'] },
      { rolname: 'shop_app', rolcanlogin: true, rolconnlimit: 20, has_password: true, member_of: ['shop_writers'] },
      { rolname: 'shop_app_clone', rolcanlogin: true, rolconnlimit: 20, has_password: false, member_of: ['shop_app', 'shop_writers'] },
      { rolname: 'shop_iam', rolcanlogin: true, rolconnlimit: -1, has_password: false, member_of: ['rds_iam', 'shop_readers'] },
      { rolname: 'shop_monitor', rolcanlogin: true, rolconnlimit: -1, has_password: true, member_of: ['pg_monitor', 'pg_read_all_stats'] },
      { rolname: 'shop_owner', rolcanlogin: true, rolconnlimit: -1, has_password: true, member_of: [] },
      { rolname: 'shop_readers', rolcanlogin: false, rolconnlimit: -1, has_password: false, member_of: [] },
      { rolname: 'shop_writers', rolcanlogin: false, rolconnlimit: -1, has_password: false, member_of: [] },
    ]);
    const owners = await asSuperuser('shop', async (c) => (await c.query(
      `SELECT (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop') AS db,
              (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'sales') AS schema,
              (SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'pgcrypto') AS ext`)).rows[0]);
    expect(owners).toEqual({ db: 'shop_owner', schema: 'shop_owner', ext: rds.masterUser });
  });

  test('leaves the master with only the ADMIN OPTION PostgreSQL gave it on the roles it created', async () => {
    const rows = await masterMemberships();
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) {
      expect(row).toMatchObject({ grantor: 'postgres', admin_option: true, inherit_option: false, set_option: false });
    }
  });

  test('a second createObject, and updateObject with the same spec, change nothing', async () => {
    await applyAll(STACK);
    expect(await snapshot()).toEqual(first);
    for (const spec of STACK) await updateObject(connect, spec, spec, ctx());
    expect(await snapshot()).toEqual(first);
  });

  test('asks for a password only for the roles it creates', async () => {
    passwordCalls.length = 0;
    await applyAll(STACK);
    expect(passwordCalls).toEqual([]);
  });

  test('a login role logs in with the password from its secret', async () => {
    const user = await as('shop', 'shop_analyst', PASSWORDS['arn:secret:shop_analyst'], async (c) =>
      (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0].u);
    expect(user).toBe('shop_analyst');
    expect(await sqlStateOf(as('shop', 'shop_analyst', 'not-the-password', async () => undefined))).toBe('28P01');
  });

  test('default privileges give a READ_ONLY role a table its defaultFor role creates after the grant, without INSERT', async () => {
    // GIVEN a table the schema owner creates after the grants
    await as('shop', 'shop_owner', PASSWORDS['arn:secret:shop_owner'], async (c) => {
      await c.query('CREATE TABLE sales.orders (id bigserial PRIMARY KEY, item text NOT NULL)');
      await c.query("INSERT INTO sales.orders (item) VALUES ('first')");
    });
    // THEN a member of the READ_ONLY group reads it and cannot write it
    await as('shop', 'shop_analyst', PASSWORDS['arn:secret:shop_analyst'], async (c) => {
      expect((await c.query('SELECT item FROM sales.orders')).rows).toEqual([{ item: 'first' }]);
      expect(await sqlStateOf(c.query("INSERT INTO sales.orders (item) VALUES ('nope')"))).toBe('42501');
      expect(await sqlStateOf(c.query('DELETE FROM sales.orders'))).toBe('42501');
    });
  });

  test('a READ_WRITE role can INSERT, UPDATE and DELETE (and use the sequence) on a table created after the grant', async () => {
    await as('shop', 'shop_app', PASSWORDS['arn:secret:shop_app'], async (c) => {
      await c.query("INSERT INTO sales.orders (item) VALUES ('second')");
      await c.query("UPDATE sales.orders SET item = 'second!' WHERE item = 'second'");
      await c.query("DELETE FROM sales.orders WHERE item = 'second!'");
      expect((await c.query('SELECT count(*)::int AS n FROM sales.orders')).rows).toEqual([{ n: 1 }]);
    });
  });

  test('the clone gets the memberships: once rotation sets its password it writes as the role does', async () => {
    // AWS's rotation only ALTERs the clone's password once it exists.
    await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query("ALTER ROLE shop_app_clone PASSWORD 'Clone-Passw0rd-1'"));
    await as('shop', 'shop_app_clone', 'Clone-Passw0rd-1', async (c) => {
      await c.query("INSERT INTO sales.orders (item) VALUES ('by clone')");
      await c.query("DELETE FROM sales.orders WHERE item = 'by clone'");
    });
  });

  test('the clone has what is granted to the role itself (a schema grant), not only its groups\' privileges', async () => {
    // GIVEN a user whose password alternates, granted READ_ONLY directly (the restore validation user's case)
    const direct = loginRole('shop_checker', { clone: true, secretArn: 'arn:secret:shop_analyst' });
    await createObject(connect, direct, ctx());
    await createObject(connect, grant('shop', 'sales', 'shop_checker', 'READ_ONLY', ['shop_owner']), ctx());
    // WHEN the rotation has moved the secret to the clone
    await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query("ALTER ROLE shop_checker_clone PASSWORD 'Clone-Passw0rd-2'"));
    // THEN the clone reads the schema, and still cannot write it
    await as('shop', 'shop_checker_clone', 'Clone-Passw0rd-2', async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM sales.orders')).rows).toEqual([{ n: 1 }]);
      expect(await sqlStateOf(c.query("INSERT INTO sales.orders (item) VALUES ('nope')"))).toBe('42501');
    });
    await deleteObject(connect, grant('shop', 'sales', 'shop_checker', 'READ_ONLY', ['shop_owner']), ctx());
    await deleteObject(connect, direct, ctx());
  });

  test('a re-run never resets a password the rotation changed', async () => {
    await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query("ALTER ROLE shop_analyst PASSWORD 'Rotated-Passw0rd-2'"));
    await createObject(connect, STACK[4], ctx());
    await as('shop', 'shop_analyst', 'Rotated-Passw0rd-2', async () => undefined);
    expect(await sqlStateOf(as('shop', 'shop_analyst', PASSWORDS['arn:secret:shop_analyst'], async () => undefined))).toBe('28P01');
  });

  test('a pg_monitor + pg_read_all_stats role reads other users\' statements in pg_stat_statements, and no table data', async () => {
    await as('shop', 'shop_app', PASSWORDS['arn:secret:shop_app'], (c) => c.query('SELECT count(*) AS marker_of_shop_app FROM sales.orders'));
    await as(rds.database, 'shop_monitor', PASSWORDS['arn:secret:shop_monitor'], async (c) => {
      const { rows } = await c.query<{ who: string; query: string }>(
        "SELECT userid::regrole::text AS who, query FROM pg_stat_statements WHERE query LIKE '%marker_of_shop_app%' AND query NOT LIKE '%pg_stat_statements%'");
      expect(rows).toEqual([{ who: 'shop_app', query: 'SELECT count(*) AS marker_of_shop_app FROM sales.orders' }]);
    });
    await as('shop', 'shop_monitor', PASSWORDS['arn:secret:shop_monitor'], async (c) => {
      expect(await sqlStateOf(c.query('SELECT * FROM sales.orders'))).toBe('42501');
    });
  });

  test('a grant covers the tables that existed before it', async () => {
    await as('shop', 'shop_owner', PASSWORDS['arn:secret:shop_owner'], async (c) => {
      await c.query('CREATE SCHEMA history');
      await c.query("CREATE TABLE history.old_orders AS SELECT 'old' AS item");
    });
    await createObject(connect, grant('shop', 'history', 'shop_readers', 'READ_ONLY', []), ctx());
    await as('shop', 'shop_analyst', 'Rotated-Passw0rd-2', async (c) => {
      expect((await c.query('SELECT item FROM history.old_orders')).rows).toEqual([{ item: 'old' }]);
    });
  });

  test('fails when asked to drop a role that owns a table, naming the role and what it owns; the table survives', async () => {
    const error = await deleteObject(connect, STACK[0], ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectError);
    expect((error as ObjectError).objectId).toBe('role:shop_owner');
    expect((error as ObjectError).message).toMatch(/role 'shop_owner' owns objects, so it is not dropped/);
    expect((error as ObjectError).message).toMatch(/object\(s\) in database 'shop' \(.*table sales\.orders/);
    expect((error as ObjectError).message).toMatch(/database shop/);
    expect((error as ObjectError).message).toMatch(/REASSIGN OWNED BY "shop_owner" TO "dbadmin"/);
    const left = await asSuperuser('shop', async (c) => (await c.query(
      "SELECT (SELECT count(*)::int FROM sales.orders) AS rows, (SELECT count(*)::int FROM pg_roles WHERE rolname = 'shop_owner') AS role")).rows[0]);
    expect(left).toEqual({ rows: 1, role: 1 });
  });

  test('fails when asked to drop a schema that is not empty; the table survives', async () => {
    const error = await deleteObject(connect, STACK[8], ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectError);
    expect((error as ObjectError).sqlState).toBe('2BP01');
    expect((error as ObjectError).message).toMatch(/schema 'sales' in database 'shop' is not empty/);
    expect((error as ObjectError).message).toMatch(/table sales\.orders/);
    expect(await asSuperuser('shop', async (c) => (await c.query('SELECT count(*)::int AS n FROM sales.orders')).rows[0].n)).toBe(1);
  });

  test('fails when asked to drop a database that holds a table, and leaves it open', async () => {
    const error = await deleteObject(connect, STACK[7], ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectError);
    expect((error as ObjectError).objectId).toBe('database:shop');
    expect((error as ObjectError).message).toMatch(/database 'shop' holds \d+ object\(s\) \(.*relation history\.old_orders/);
    expect((error as ObjectError).message).toMatch(/not dropped \(that would lose them\)/);
    const db = await asSuperuser('postgres', async (c) => (await c.query(
      "SELECT datconnlimit FROM pg_database WHERE datname = 'shop'")).rows);
    expect(db).toEqual([{ datconnlimit: -1 }]);
  });

  test('fails when asked to drop an extension the master does not own, with its SQLSTATE', async () => {
    const error = await deleteObject(connect, extension(rds.database, 'pg_stat_statements'), ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectError);
    expect((error as ObjectError).sqlState).toBe('42501');
    expect((error as ObjectError).message).toMatch(/^extension 'pg_stat_statements' in database 'app': must be owner of extension pg_stat_statements \(SQLSTATE 42501\)/);
  });
});

describe('updates in place', () => {
  beforeAll(async () => {
    await applyAll([
      role('upd_owner'), role('upd_group_a'), role('upd_group_b'),
      loginRole('upd_user', { memberOf: ['upd_group_a'], secretArn: 'arn:secret:shop_app' }),
      schema(rds.database, 'upd', 'upd_owner'),
      grant(rds.database, 'upd', 'upd_group_a', 'READ_WRITE', ['upd_owner']),
    ]);
  });

  test('a role: new memberships granted, old ones revoked, others kept; attributes altered; clone added then dropped', async () => {
    // A membership granted by hand is no spec's business.
    await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query('GRANT pg_read_all_settings TO upd_user'));
    const before = loginRole('upd_user', { memberOf: ['upd_group_a'], secretArn: 'arn:secret:shop_app' });
    const after = loginRole('upd_user', { memberOf: ['upd_group_b'], secretArn: 'arn:secret:shop_app', connectionLimit: 5, iam: true, clone: true });
    await updateObject(connect, before, after, ctx());
    const memberOf = async (name: string) => asSuperuser('postgres', async (c) => (await c.query<{ g: string }>(
      `SELECT g.rolname AS g FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1`, [name])).rows.map((r) => r.g));
    expect(await memberOf('upd_user')).toEqual(['pg_read_all_settings', 'rds_iam', 'upd_group_b']);
    expect(await memberOf('upd_user_clone')).toEqual(['rds_iam', 'upd_group_b', 'upd_user']);
    const limit = await asSuperuser('postgres', async (c) => (await c.query(
      "SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname LIKE 'upd\\_user%' ORDER BY 1")).rows);
    expect(limit).toEqual([{ rolname: 'upd_user', rolconnlimit: 5 }, { rolname: 'upd_user_clone', rolconnlimit: 5 }]);

    await updateObject(connect, after, { ...after, clone: false }, ctx());
    expect(await memberOf('upd_user_clone')).toEqual([]);
    expect(await asSuperuser('postgres', async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = 'upd_user_clone'")).rowCount)).toBe(0);
  });

  test('a grant: READ_WRITE to READ_ONLY takes back writing, now and by default; defaultFor removed takes back the defaults', async () => {
    const tablePrivileges = (table: string) => asSuperuser(rds.database, async (c) => (await c.query<{ p: string }>(
      `SELECT privilege_type AS p FROM information_schema.role_table_grants
        WHERE grantee = 'upd_group_a' AND table_schema = 'upd' AND table_name = $1 ORDER BY 1`, [table])).rows.map((r) => r.p));
    const defaults = () => asSuperuser(rds.database, async (c) => (await c.query(
      `SELECT pg_get_userbyid(defaclrole) AS role, defaclobjtype, defaclacl::text FROM pg_default_acl
        WHERE defaclnamespace = 'upd'::regnamespace ORDER BY 1, 2`)).rows);
    await asSuperuser(rds.database, async (c) => {
      await c.query('SET ROLE upd_owner');
      await c.query('CREATE TABLE upd.before_change (id int)');
    });
    expect(await tablePrivileges('before_change')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);

    const rw = grant(rds.database, 'upd', 'upd_group_a', 'READ_WRITE', ['upd_owner']);
    const ro = grant(rds.database, 'upd', 'upd_group_a', 'READ_ONLY', ['upd_owner']);
    await updateObject(connect, rw, ro, ctx());
    expect(await tablePrivileges('before_change')).toEqual(['SELECT']);
    expect(await defaults()).toEqual([
      { role: 'upd_owner', defaclobjtype: 'S', defaclacl: '{upd_group_a=r/upd_owner}' },
      { role: 'upd_owner', defaclobjtype: 'r', defaclacl: '{upd_group_a=r/upd_owner}' },
    ]);

    await updateObject(connect, ro, { ...ro, defaultFor: [] }, ctx());
    expect(await defaults()).toEqual([]);
    expect(await tablePrivileges('before_change')).toEqual(['SELECT']);
  });

  test('fails when an update changes the object\'s identity', async () => {
    await expect(updateObject(connect, role('upd_owner'), role('upd_other'), ctx())).rejects.toThrow(/role:upd_owner -> role:upd_other is a replacement/);
  });
});

test('deletes grants, schema, extension, database and roles, leaving the catalogs as before', async () => {
  // A database's ACL, once written, stays written (as the default's entries) when a grant is revoked.
  await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query('GRANT CONNECT ON DATABASE app TO PUBLIC'));
  const before = await snapshot();
  const specs: ObjectSpec[] = [
    loginRole('tmp_owner', { secretArn: 'arn:secret:shop_owner' }),
    role('tmp_readers'),
    loginRole('tmp_user', { memberOf: ['tmp_readers'], clone: true, iam: true, secretArn: 'arn:secret:shop_app' }),
    database('tmpdb', 'tmp_owner'),
    schema('tmpdb', 'data', 'tmp_owner'),
    grant('tmpdb', 'data', 'tmp_readers', 'READ_WRITE', ['tmp_owner']),
    extension('tmpdb', 'citext'),
  ];
  await applyAll(specs);
  // The role's privileges reach other databases too: CONNECT on app, a grant in app.
  await as(rds.database, rds.masterUser, rds.masterPassword, async (c) => {
    await c.query('GRANT CONNECT ON DATABASE app TO tmp_user');
    await c.query('CREATE TABLE public.tmp_visible (id int)');
    await c.query('GRANT SELECT ON public.tmp_visible TO tmp_user');
  });
  expect(await snapshot()).not.toEqual(before);

  for (const spec of [...specs].reverse()) await deleteObject(connect, spec, ctx());
  await as(rds.database, rds.masterUser, rds.masterPassword, (c) => c.query('DROP TABLE public.tmp_visible'));
  expect(await snapshot()).toEqual(before);
  // A second delete finds nothing to do.
  for (const spec of [...specs].reverse()) await deleteObject(connect, spec, ctx());
});

test('fails with the SQLSTATE and the object\'s name, never the password, and rolls back', async () => {
  const error = await createObject(connect, loginRole('err_user', { memberOf: ['no_such_group'] }), ctx()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ObjectError);
  const e = error as ObjectError;
  expect(e.objectId).toBe('role:err_user');
  expect(e.sqlState).toBe('42704');
  expect(e.message).toBe('role \'err_user\': role "no_such_group" does not exist (SQLSTATE 42704)');
  expect(e.message).not.toContain(PASSWORDS['arn:secret:err_user']);
  expect(e.message).not.toMatch(/SCRAM-SHA-256|CREATE ROLE|PASSWORD/);
  expect(await asSuperuser('postgres', async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = 'err_user'")).rowCount)).toBe(0);
});

test('a password that is not ASCII, with quotes and a backslash, logs in', async () => {
  await createObject(connect, loginRole('odd_user'), ctx());
  const user = await as(rds.database, 'odd_user', PASSWORDS['arn:secret:odd_user'], async (c) =>
    (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0].u);
  expect(user).toBe('odd_user');
});

test('fails before any SQL when a name is not allowed', async () => {
  await expect(createObject(connect, role('app_admin', { memberOf: ['rds_superuser'] }), ctx()))
    .rejects.toThrow(/role 'app_admin': memberOf 'rds_superuser': a name PostgreSQL or RDS reserves/);
  await expect(createObject(connect, extension(rds.database, 'pgvector'), ctx()))
    .rejects.toThrow(/extension 'pgvector' in database 'app': extension 'pgvector': RDS for PostgreSQL names this extension 'vector'/);
  expect(await asSuperuser('postgres', async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = 'app_admin'")).rowCount)).toBe(0);
});

test('waits for the advisory lock another session holds in the default database, even for work in another database', async () => {
  await createObject(connect, database('lockdb', rds.masterUser), ctx());
  const exists = (c: Client) => c.query("SELECT 1 FROM pg_namespace WHERE nspname = 'lock_waiter'").then((r) => r.rowCount);
  const holder = await rds.server.client(rds.database);
  const inLockdb = await rds.server.client('lockdb');
  try {
    await holder.query('SELECT pg_advisory_lock($1)', [ROLES_LOCK_KEY]);
    let done = false;
    const call = createObject(connect, schema('lockdb', 'lock_waiter', rds.masterUser), ctx()).then(() => { done = true; });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(done).toBe(false);
    expect(await exists(inLockdb)).toBe(0);
    await holder.query('SELECT pg_advisory_unlock($1)', [ROLES_LOCK_KEY]);
    await call;
    expect(await exists(inLockdb)).toBe(1);
  } finally {
    await holder.end();
    await inLockdb.end();
  }
});

test('concurrent calls on one group and one schema all succeed', async () => {
  await applyAll([role('conc_owner'), role('conc_group'), schema(rds.database, 'conc', 'conc_owner')]);
  const names = Array.from({ length: 8 }, (_, i) => `conc_user_${i}`);
  await Promise.all(names.flatMap((n) => [
    createObject(connect, role(n, { memberOf: ['conc_group'] }), ctx()),
    createObject(connect, grant(rds.database, 'conc', 'conc_group', 'READ_ONLY', ['conc_owner']), ctx()),
  ]));
  const members = await asSuperuser('postgres', async (c) => (await c.query(
    "SELECT count(*)::int AS n FROM pg_auth_members WHERE roleid = 'conc_group'::regrole")).rows[0].n);
  expect(members).toBe(8 + 1); // and the master's ADMIN OPTION from creating it
});
