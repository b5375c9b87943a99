/**
 * `restore --verify-sql` is read-only (cli/rds/verify-sql.ts), against a real PostgreSQL: one
 * statement (counted before connecting, and the extended protocol, so that PostgreSQL refuses a
 * second one itself), a session with default_transaction_read_only=on, a READ ONLY transaction.
 * The attacks are the security issue's: a `SET TRANSACTION READ WRITE;` or a `COMMIT;` before a
 * write, which through the simple query protocol lifted the write out of the read-only
 * transaction. Each test checks the database afterwards, not only the result.
 */
import { Client } from 'pg';
import { sqlStatements } from '../../cli/rds/sql-statements';
import { runVerifySql, verifySqlProblem, VerifyTarget } from '../../cli/rds/verify-sql';
import { verifyTarget } from '../../cli/rds/verify-sql';
import { PostgresServer, startPostgres } from '../support/postgres-server';

let pg: PostgresServer;

/** A database whose strings take backslash escapes (standard_conforming_strings off), as an old application's may. */
const LEGACY = 'legacy';

beforeAll(async () => {
  pg = await startPostgres();
  const admin = await pg.client();
  await admin.query('CREATE TABLE t (i int)');
  await admin.query('INSERT INTO t VALUES (1)');
  await admin.query(`CREATE DATABASE ${LEGACY}`);
  await admin.query(`ALTER DATABASE ${LEGACY} SET standard_conforming_strings = off`);
  await admin.end();
  const legacy = await pg.client(LEGACY);
  await legacy.query('CREATE TABLE t (i int)');
  await legacy.end();
});

afterAll(async () => {
  await pg?.stop();
});

const target = (database = 'postgres'): VerifyTarget => ({ user: 'postgres', database, sslmode: 'disable' });
const endpoint = () => ({ address: '127.0.0.1', port: pg.port });

/** The tables of schema public in `database`. */
async function tables(database = 'postgres'): Promise<string[]> {
  const client: Client = await pg.client(database);
  try {
    const { rows } = await client.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1");
    return rows.map((r) => r.relname);
  } finally {
    await client.end();
  }
}

// --- the attacks -------------------------------------------------------------------------------------

describe('the issue\'s attacks change nothing and fail clearly', () => {
  test('fails when the SQL is SET TRANSACTION READ WRITE; CREATE TABLE x(); COMMIT: no table x', async () => {
    const result = await runVerifySql('SET TRANSACTION READ WRITE; CREATE TABLE x(); COMMIT', target(), endpoint());
    expect(result).toMatchObject({ ok: false, target: `127.0.0.1:${pg.port}/postgres` });
    expect(result.error).toMatch(/^--verify-sql must be one SQL statement, and it holds 3: "SET TRANSACTION READ WRITE", "CREATE TABLE x\(\)", "COMMIT"\. Each would run, and a COMMIT or SET TRANSACTION READ WRITE among them would let the next write/);
    expect(await tables()).toEqual(['t']);
  });

  test('fails when the SQL is COMMIT; DROP TABLE t: t is still there, with its row', async () => {
    const result = await runVerifySql('COMMIT; DROP TABLE t', target(), endpoint());
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^--verify-sql must be one SQL statement, and it holds 2: "COMMIT", "DROP TABLE t"/);
    const client = await pg.client();
    expect((await client.query('SELECT i FROM t')).rows).toEqual([{ i: 1 }]);
    await client.end();
  });

  test('fails when PostgreSQL sees a second statement where db-playbook counted one (backslash escapes on): PostgreSQL refuses it, t is still there', async () => {
    // With standard_conforming_strings off, 'x\'' is the string x' and "; COMMIT; DROP TABLE t" follows it;
    // read as the standard says (backslashes literal), the string runs to the last quote: one statement.
    const sql = "SELECT 'x\\''; COMMIT; DROP TABLE t; --'";
    expect(sqlStatements(sql)).toHaveLength(1);
    const result = await runVerifySql(sql, target(LEGACY), endpoint());
    expect(result).toMatchObject({ ok: false, error: '42601: cannot insert multiple commands into a prepared statement (--verify-sql runs one statement)' });
    expect(await tables(LEGACY)).toEqual(['t']);
  });
});

// --- what stays possible -----------------------------------------------------------------------------

test('runs one statement and returns its first row; a trailing semicolon and comments are one statement', async () => {
  expect(await runVerifySql('SELECT count(*)::int AS n FROM t', target(), endpoint())).toEqual({ ok: true, target: `127.0.0.1:${pg.port}/postgres`, rowCount: 1, firstRow: { n: 1 } });
  expect(await runVerifySql("SELECT ';' AS semicolon; -- the check\n", target(), endpoint())).toMatchObject({ ok: true, firstRow: { semicolon: ';' } });
});

test('the session is read-only by default (default_transaction_read_only=on), inside a READ ONLY transaction', async () => {
  expect(await runVerifySql('SHOW default_transaction_read_only', target(), endpoint())).toMatchObject({ ok: true, firstRow: { default_transaction_read_only: 'on' } });
  expect(await runVerifySql('SHOW transaction_read_only', target(), endpoint())).toMatchObject({ ok: true, firstRow: { transaction_read_only: 'on' } });
});

test('fails when the one statement writes: 25006, nothing created', async () => {
  const result = await runVerifySql('CREATE TABLE y (i int)', target(), endpoint());
  expect(result).toMatchObject({ ok: false, error: '25006: cannot execute CREATE TABLE in a read-only transaction' });
  expect(await tables()).toEqual(['t']);
});

// --- counting statements -----------------------------------------------------------------------------

describe('sqlStatements counts statements as PostgreSQL splits them', () => {
  test.each([
    ['SELECT 1', 1],
    ['SELECT 1;', 1],
    ['SELECT 1;;  ; -- nothing after\n', 1],
    ['', 0],
    ['  -- only a comment\n /* and another */ ;', 0],
    ["SELECT 'a;b'", 1],
    ["SELECT 'it''s; fine'", 1],
    ['SELECT "odd;name" FROM t', 1],
    ['SELECT "a""; b" FROM t', 1],
    ["SELECT E'\\'; still the string'", 1],
    ["SELECT e'\\\\'; SELECT 2", 2],
    ['SELECT $$ ; $$', 1],
    ['SELECT $body$ ; $x$ ; $body$', 1],
    ['SELECT $1::int; SELECT 2', 2],
    ['SELECT 1 /* ; /* nested ; */ still ; */', 1],
    ['SELECT 1 -- ; \nFROM t', 1],
    ['SELECT a$b$c FROM t; SELECT 2', 2],
    ['COMMIT; DROP TABLE t', 2],
    ['SET TRANSACTION READ WRITE; CREATE TABLE x(); COMMIT', 3],
  ])('%j: %i', (sql, count) => {
    expect(sqlStatements(sql)).toHaveLength(count);
  });

  test('gives each statement\'s text without the semicolon and the blanks around it', () => {
    const sql = ' COMMIT ;\n DROP TABLE t -- gone\n';
    expect(sqlStatements(sql).map((s) => sql.slice(s.start, s.end))).toEqual(['COMMIT', 'DROP TABLE t']);
  });
});

test('verifySqlProblem refuses an empty query and several statements, not one', () => {
  expect(verifySqlProblem('SELECT count(*) FROM orders')).toBeUndefined();
  expect(verifySqlProblem(' -- nothing\n')).toMatch(/^is empty: give the one query to run/);
  expect(verifySqlProblem(`SELECT 1; SELECT '${'x'.repeat(60)}'`)).toMatch(/holds 2: "SELECT 1", "SELECT 'x{31}…"/);
});

describe('verifyTarget: which CAs check the restored instance', () => {
  test('fails when sslrootcert=system (Node\'s public CAs) comes with verify-ca: any publicly trusted certificate would pass, as libpq refuses', () => {
    expect(() => verifyTarget('postgresql://app:pw@RESTORED/app?sslmode=verify-ca&sslrootcert=system', {}))
      .toThrow(/sslrootcert=system \(Node's public CAs\) is only allowed with sslmode=verify-full, as in libpq \(got sslmode verify-ca\)/);
    expect(() => verifyTarget('postgresql://app:pw@RESTORED/app?sslmode=verify-full&sslrootcert=system', {})).not.toThrow();
  });
});
