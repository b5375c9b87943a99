/**
 * The SQLSTATE `logs` derives from an error's message text (cli/logs/sqlstate.ts: RDS's prefix has
 * no %e) is the one PostgreSQL 17.9 raises it with: the server runs with log_error_verbosity =
 * verbose, which writes the code in each line (`ERROR:  23505: duplicate key ...`), and for every
 * error the scenario provokes, the code derived from the text alone must be the line's.
 */
import { Client } from 'pg';
import { EntryAssembler, LogEntry } from '../../cli/logs/entries';
import { sqlStateOf } from '../../cli/logs/sqlstate';
import { LoggingPostgres, startLoggingPostgres } from '../support/logging-postgres';

jest.setTimeout(120_000);

let pg: LoggingPostgres;
let errors: { code: string; message: string }[];

/** Statements that fail, each with a different SQLSTATE of the table. */
const FAILING = [
  'INSERT INTO parent VALUES (1)',
  'INSERT INTO child VALUES (1, 42)',
  'INSERT INTO child VALUES (2, NULL)',
  'INSERT INTO child VALUES (3, 1, -1)',
  'DELETE FROM parent',
  'SELECT 1 / 0',
  "SELECT 'x'::int",
  "INSERT INTO short VALUES ('toolong')",
  'SELECT 2147483647::int + 1',
  'SELEC 1',
  'SELECT (1',
  'SELECT * FROM no_such_table',
  'SELECT no_such_column FROM parent',
  'SELECT no_such_function()',
  'SELECT * FROM no_such_schema.t',
  'CREATE TABLE no_such_schema.t (id int)',
  'CREATE TEMP TABLE tt (id int); CREATE TEMP TABLE tt (id int)',
  'SELECT id FROM parent, child',
  'EXECUTE no_such_statement',
  'SELECT * FROM secret',
  'SET statement_timeout = 50; SELECT pg_sleep(1)',
  "SELECT convert_from('\\xff'::bytea, 'UTF8')",
  'BEGIN READ ONLY; INSERT INTO parent VALUES (9)',
];

beforeAll(async () => {
  pg = await startLoggingPostgres({ log_error_verbosity: 'verbose' });
  const admin = await pg.server.client();
  await admin.query('CREATE TABLE parent (id int PRIMARY KEY)');
  await admin.query('INSERT INTO parent VALUES (1)');
  await admin.query('CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent, qty int CHECK (qty > 0))');
  await admin.query('INSERT INTO child VALUES (10, 1, 1)');
  await admin.query('CREATE TABLE secret (id int)');
  await admin.query("CREATE ROLE app LOGIN PASSWORD 'right-password'");
  await admin.query('CREATE TABLE short (v varchar(3))');
  await admin.query('GRANT ALL ON parent, child, short TO app');
  await admin.query('REVOKE ALL ON secret FROM PUBLIC');
  await admin.end();
  const app = new Client({ host: pg.server.host, port: pg.server.port, user: 'app', password: 'right-password', database: 'postgres' });
  await app.connect();
  for (const sql of FAILING) await app.query(sql).catch(() => app.query('ROLLBACK').catch(() => undefined));
  // In a failed transaction.
  await app.query('BEGIN');
  await app.query('SELECT 1 / 0').catch(() => undefined);
  await app.query('SELECT 1').catch(() => undefined);
  await app.query('ROLLBACK');
  await app.end();
  // Failed logins: a wrong password, an unknown role (scram reports it as a wrong password: 28P01), an unknown database.
  for (const [user, password, database] of [['app', 'wrong', 'postgres'], ['nobody', 'x', 'postgres'], ['app', 'right-password', 'no_such_db']]) {
    const c = new Client({ host: pg.server.host, port: pg.server.port, user, password, database });
    await c.connect().then(() => c.end(), () => undefined);
  }
  await new Promise((r) => setTimeout(r, 200));
  const entries: LogEntry[] = [];
  const assembler = new EntryAssembler((e) => entries.push(e));
  for (const line of pg.logLines()) assembler.push(line);
  assembler.flush();
  errors = entries.filter((e) => e.severity === 'ERROR' || e.severity === 'FATAL').map((e) => {
    const m = /^([0-9A-Z]{5}): ([\s\S]*)$/.exec(e.message);
    if (!m) throw new Error(`no SQLSTATE in a verbose line: ${e.message}`);
    return { code: m[1], message: m[2] };
  });
});

afterAll(async () => {
  await pg?.stop();
});

test('every error the scenario provoked was logged with its code', () => {
  // 57P03 (starting up) comes, or not, from the harness's own connection attempts while the server starts.
  expect([...new Set(errors.map((e) => e.code))].filter((c) => c !== '57P03').sort()).toEqual([
    '22001', '22003', '22012', '22021', '22P02', '23502', '23503', '23505', '23514', '25006', '25P02', '26000', '28P01',
    '3D000', '3F000', '42501', '42601', '42702', '42703', '42883', '42P01', '42P07', '57014',
  ]);
});

test('the SQLSTATE derived from the text alone is the one the server wrote', () => {
  const wrong = errors.map((e) => ({ ...e, derived: sqlStateOf(e.message).code })).filter((e) => e.derived !== e.code);
  expect(wrong).toEqual([]);
});

test('a verbose line gives its code exactly', () => {
  const e = errors.find((x) => x.code === '23505')!;
  expect(sqlStateOf(`${e.code}: ${e.message}`)).toEqual({ code: '23505', condition: 'unique_violation', exact: true, message: e.message });
});
