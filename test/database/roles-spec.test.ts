/**
 * The pure checks of the roles contract (shared/roles-spec.ts), of the extension list
 * (shared/rds-extensions.ts) and the pure helpers of shared/roles-sql.ts: no database here
 * (roles-sql.postgres.test.ts runs the SQL on PostgreSQL 17.9).
 */
import { extensionProblem, RDS_POSTGRES_17_EXTENSIONS } from '../../shared/rds-extensions';
import { passwordForCreateRole, quoteIdent, quoteLiteral, specProblem } from '../../shared/roles-sql';
import { identifierProblem, physicalId, RoleSpec, roleNameProblem } from '../../shared/roles-spec';

describe('roleNameProblem', () => {
  test.each(['app_writer', 'reader2', '_private', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(roleNameProblem(name)).toBeUndefined();
  });

  test.each(['rds_superuser', 'rds_iam', 'rdsadmin', 'postgres', 'public', 'current_user', 'none'])('fails when the name is reserved: %s', (name) => {
    expect(roleNameProblem(name)).toMatch(/reserves|prefix 'rds_'/);
  });

  test('fails when the name is a predefined role (pg_ prefix)', () => {
    expect(roleNameProblem('pg_monitor')).toBe("the prefix 'pg_' is reserved for PostgreSQL's and RDS's own roles");
  });

  test('fails when the name has the rds_ prefix', () => {
    expect(roleNameProblem('rds_custom')).toBe("the prefix 'rds_' is reserved for PostgreSQL's and RDS's own roles");
  });

  test.each(['Bad-Name', 'BadName', 'bad name', '9lives', '', 'app"x', 'app;drop'])('fails when the name is not a lower-case identifier: %j', (name) => {
    expect(roleNameProblem(name)).toBe('lower-case letters, digits and underscores only, not starting with a digit');
  });

  test('fails when the name is longer than 63 characters', () => {
    expect(roleNameProblem('a'.repeat(64))).toBe('at most 63 characters');
  });

  test('fails when a 60-character name gets a clone (the rotation adds _clone)', () => {
    const name = 'a'.repeat(60);
    expect(roleNameProblem(name)).toBeUndefined();
    expect(roleNameProblem(name, true)).toBe("at most 57 characters (the alternating-users rotation adds '_clone')");
    expect(roleNameProblem('a'.repeat(57), true)).toBeUndefined();
  });
});

test('identifierProblem takes a shorter limit', () => {
  expect(identifierProblem('abcdef', 5)).toBe('at most 5 characters');
  expect(identifierProblem('abcde', 5)).toBeUndefined();
});

test('physicalId names each kind of object by its identity only', () => {
  expect(physicalId({ kind: 'role', name: 'app', login: true, iam: false, clone: false, memberOf: ['x'], connectionLimit: 3 })).toBe('role:app');
  expect(physicalId({ kind: 'database', name: 'shop', owner: 'o' })).toBe('database:shop');
  expect(physicalId({ kind: 'schema', database: 'shop', name: 'sales', owner: 'o' })).toBe('schema:shop/sales');
  expect(physicalId({ kind: 'grant', database: 'shop', schema: 'sales', role: 'r', privilege: 'READ_ONLY', defaultFor: [] })).toBe('grant:shop/sales/r');
  expect(physicalId({ kind: 'extension', database: 'shop', name: 'pgcrypto' })).toBe('extension:shop/pgcrypto');
});

describe('specProblem (roles-sql checks every name it writes into SQL)', () => {
  const role = (props: Partial<RoleSpec>): RoleSpec =>
    ({ kind: 'role', name: 'app', login: true, iam: false, clone: false, memberOf: [], connectionLimit: -1, ...props });

  test('accepts predefined roles in memberOf', () => {
    expect(specProblem(role({ memberOf: ['pg_monitor', 'pg_read_all_stats', 'app_readers'] }))).toBeUndefined();
  });

  test('fails when memberOf holds rds_superuser (or rds_iam, which iam grants)', () => {
    expect(specProblem(role({ memberOf: ['rds_superuser'] }))).toBe("memberOf 'rds_superuser': a name PostgreSQL or RDS reserves");
    expect(specProblem(role({ memberOf: ['rds_iam'] }))).toBe("memberOf 'rds_iam': a name PostgreSQL or RDS reserves");
  });

  test('fails when the role name does not fit with its clone', () => {
    expect(specProblem(role({ name: 'a'.repeat(60), clone: true }))).toMatch(/^role name 'a{60}': at most 57 characters/);
  });

  test('fails when the connection limit is not -1 or a whole number', () => {
    expect(specProblem(role({ connectionLimit: -2 }))).toMatch(/connectionLimit must be -1/);
    expect(specProblem(role({ connectionLimit: 1.5 }))).toMatch(/got 1.5/);
  });

  test('fails when an owner, schema or grantee is not an identifier', () => {
    expect(specProblem({ kind: 'database', name: 'shop', owner: 'Shop Owner' })).toMatch(/^owner 'Shop Owner': lower-case/);
    expect(specProblem({ kind: 'schema', database: 'shop', name: 'sales"; drop', owner: 'o' })).toMatch(/^schema name/);
    expect(specProblem({ kind: 'grant', database: 'shop', schema: 'sales', role: 'r', privilege: 'READ_ONLY', defaultFor: ['X'] })).toMatch(/^defaultFor 'X'/);
  });

  test('fails when the privilege is neither READ_ONLY nor READ_WRITE (nor an Object property name)', () => {
    const grant = (privilege: string) => ({ kind: 'grant', database: 'shop', schema: 'sales', role: 'r', privilege, defaultFor: [] }) as unknown as Parameters<typeof specProblem>[0];
    expect(specProblem(grant('ALL'))).toBe('privilege must be READ_ONLY or READ_WRITE (got ALL)');
    expect(specProblem(grant('constructor'))).toBe('privilege must be READ_ONLY or READ_WRITE (got constructor)');
  });

  test('fails when a grantee, owner or creator is an SQL keyword (TO public grants to every role)', () => {
    expect(specProblem({ kind: 'grant', database: 'shop', schema: 'sales', role: 'public', privilege: 'READ_ONLY', defaultFor: [] })).toMatch(/^role 'public': an SQL keyword, not a role/);
    expect(specProblem({ kind: 'grant', database: 'shop', schema: 'sales', role: 'r', privilege: 'READ_ONLY', defaultFor: ['current_user'] })).toMatch(/^defaultFor 'current_user': an SQL keyword/);
    expect(specProblem({ kind: 'schema', database: 'shop', name: 'sales', owner: 'public' })).toMatch(/^owner 'public': an SQL keyword/);
    expect(specProblem({ kind: 'database', name: 'shop', owner: 'session_user' })).toMatch(/^owner 'session_user': an SQL keyword/);
  });

  test('fails when the extension is not one RDS for PostgreSQL 17 supports', () => {
    expect(specProblem({ kind: 'extension', database: 'shop', name: 'pgcrypto' })).toBeUndefined();
    expect(specProblem({ kind: 'extension', database: 'shop', name: 'timescaledb' })).toMatch(/^extension 'timescaledb': not an extension RDS for PostgreSQL 17 supports/);
  });
});

describe('extensionProblem', () => {
  test.each(['vector', 'uuid-ossp', 'pg_stat_statements', 'postgis', 'pgcrypto', 'citext', 'hstore'])('accepts %s', (name) => {
    expect(extensionProblem(name)).toBeUndefined();
  });

  test('fails when the name is spelled as the project, not the extension', () => {
    expect(extensionProblem('pgvector')).toBe("RDS for PostgreSQL names this extension 'vector'");
  });

  test('fails when the extension is not on RDS for PostgreSQL 17 (adminpack and old_snapshot left PostgreSQL in 17)', () => {
    for (const name of ['timescaledb', 'adminpack', 'old_snapshot']) {
      expect(extensionProblem(name)).toMatch(/not an extension RDS for PostgreSQL 17 supports .*postgresql-extensions\.html/);
    }
  });

  test.each(['Bad Ext', 'drop;', '', 'x'.repeat(64), '"vector"'])('fails when the name cannot be an extension name: %j', (name) => {
    expect(extensionProblem(name)).toMatch(/lower-case letters, digits, underscores and hyphens only/);
  });

  test('the list is sorted and has no duplicates', () => {
    expect([...RDS_POSTGRES_17_EXTENSIONS].sort()).toEqual(RDS_POSTGRES_17_EXTENSIONS);
    expect(new Set(RDS_POSTGRES_17_EXTENSIONS).size).toBe(RDS_POSTGRES_17_EXTENSIONS.length);
  });
});

describe('quoting', () => {
  test('quoteIdent doubles double quotes', () => {
    expect(quoteIdent('app')).toBe('"app"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });

  test('quoteLiteral doubles quotes, and backslashes in an E string', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b\'c')).toBe(" E'a\\\\b''c'");
  });

  test('fails when a value holds a NUL character', () => {
    expect(() => quoteLiteral('a\0b')).toThrow(/NUL/);
    expect(() => quoteIdent('a\0b')).toThrow(/NUL/);
  });
});

describe('passwordForCreateRole', () => {
  test('an ASCII password becomes a SCRAM-SHA-256 verifier with a fresh salt, and does not appear in it', () => {
    const password = 'Passw0rd-Example!';
    const a = passwordForCreateRole(password);
    const b = passwordForCreateRole(password);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toEqual(b);
    expect(a).not.toContain(password);
  });

  test('a password that is not ASCII is left to PostgreSQL to normalize and hash', () => {
    expect(passwordForCreateRole('Pässwörd')).toBe('Pässwörd');
  });
});
