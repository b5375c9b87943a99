/**
 * A real PostgreSQL 17.9 (the harness's, postgres-server.ts) that logs as an RDS for PostgreSQL
 * instance does, and a scenario that makes it log each kind of event `db-playbook logs` reports.
 *
 *   const pg = await startLoggingPostgres();
 *   const events = await runLogScenario(pg);
 *   const lines = pg.logLines();      // the server's own log, RDS's prefix on every line
 *   await pg.stop();
 *
 * What is RDS's and what is changed for the test:
 * - log_line_prefix `%t:%r:%u@%d:[%p]:` and log_timezone UTC: RDS for PostgreSQL's (fixed; AWS's
 *   "Parameters for logging in RDS for PostgreSQL"). The server writes its log to stderr, which
 *   the harness sends to a file: the stderr format RDS writes postgresql.log.* in.
 * - The tuned parameter group's logging settings (shared/playbook-parameters.ts): log_lock_waits on,
 *   auto_explain and pg_stat_statements preloaded. Lowered so the test runs in seconds rather
 *   than minutes: log_min_duration_statement and auto_explain.log_min_duration 500 ms (the
 *   platform's 5000 ms: a pg_sleep of 5 s per statement), log_autovacuum_min_duration 0 (1 s: a
 *   test table vacuums in milliseconds), autovacuum_naptime 1 s, deadlock_timeout 200 ms (RDS's
 *   1 s). The format of each line does not depend on the thresholds.
 * - Lowered or added: log_temp_files 0 (the tuned group's 10240 kB: the test's temporary file is
 *   smaller) and a small work_mem to make one;
 *   log_checkpoints on (PostgreSQL 17's default). A failed password login is logged without any
 *   setting (FATAL is above log_min_messages).
 * - Password logins: scram-sha-256 for every TCP user but the harness's superuser (trust), as
 *   rds-like-postgres.ts sets it up.
 */
import * as fs from 'fs';
import { Client } from 'pg';
import { PostgresServer, startPostgres } from './postgres-server';

/** RDS for PostgreSQL's log_line_prefix. */
export const RDS_LOG_LINE_PREFIX = '%t:%r:%u@%d:[%p]:';

/** The thresholds the test server logs with (see above why they are lower than the platform's). */
export const TEST_LOG_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  log_line_prefix: RDS_LOG_LINE_PREFIX,
  log_timezone: 'UTC',
  log_destination: 'stderr',
  shared_preload_libraries: 'pg_stat_statements,auto_explain',
  log_min_duration_statement: '500',
  'auto_explain.log_min_duration': '500',
  log_lock_waits: 'on',
  deadlock_timeout: '200ms',
  log_autovacuum_min_duration: '0',
  autovacuum_naptime: '1',
  log_temp_files: '0',
  log_checkpoints: 'on',
  password_encryption: 'scram-sha-256',
});

/** A running server that logs as RDS does. */
export interface LoggingPostgres {
  readonly server: PostgresServer;
  /** The server's log so far, as lines (no trailing empty line). */
  logLines(): string[];
  stop(): Promise<void>;
}

export async function startLoggingPostgres(settings: Record<string, string> = {}): Promise<LoggingPostgres> {
  const server = await startPostgres({
    settings: { ...TEST_LOG_SETTINGS, ...settings },
    hba: ['host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256'],
  });
  return {
    server,
    logLines: () => fs.readFileSync(server.logFile, 'utf8').replace(/\n$/, '').split('\n'),
    stop: () => server.stop(),
  };
}

/** What the scenario did, for the assertions. */
export interface LogScenario {
  /** The table the lock wait, the deadlock and autovacuum are on. */
  readonly table: string;
  /** The role whose login failed. */
  readonly failedUser: string;
  /** The pids of the sessions: the holder of the lock, and the waiter. */
  readonly lockHolderPid: number;
  readonly lockWaiterPid: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pidOf(c: Client): Promise<number> {
  return Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

/**
 * Makes the server log one of each: slow statements (two pg_sleep with different literals: one
 * group; one statement over three lines), their auto_explain plans, a lock wait (still waiting / acquired), a deadlock, an
 * autovacuum run, a temporary file, a checkpoint, a failed password login, and two errors
 * (division by zero, a missing table).
 */
export async function runLogScenario(pg: LoggingPostgres): Promise<LogScenario> {
  const { server } = pg;
  const admin = await server.client();
  const a = await server.client();
  const b = await server.client();
  try {
    await admin.query("CREATE ROLE app LOGIN PASSWORD 'right-password'");
    await admin.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    await admin.query('INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 2000) g');

    // Slow statements (and their plans).
    await a.query('SELECT pg_sleep(0.6)');
    await a.query('SELECT pg_sleep(0.7)');
    // A statement over several lines: its continuation lines (and its plan's Query Text) are tab-led.
    await admin.query("SELECT pg_sleep(0.55),\n       'multi-line' AS how -- a comment\n  FROM generate_series(1, 1)");

    // A lock wait: a holds the row, b waits past deadlock_timeout, then gets it.
    const holder = await pidOf(a);
    const waiter = await pidOf(b);
    await a.query('BEGIN');
    await a.query('UPDATE accounts SET balance = balance - 10 WHERE id = 1');
    const waiting = b.query('UPDATE accounts SET balance = balance + 10 WHERE id = 1');
    await sleep(700);
    await a.query('COMMIT');
    await waiting;

    // A deadlock: a locks 1 then 2, b locks 2 then 1.
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE accounts SET balance = balance - 1 WHERE id = 1');
    await b.query('UPDATE accounts SET balance = balance - 1 WHERE id = 2');
    const first = a.query('UPDATE accounts SET balance = balance + 1 WHERE id = 2').then(() => null, (e: Error) => e);
    await sleep(50);
    const second = b.query('UPDATE accounts SET balance = balance + 1 WHERE id = 1').then(() => null, (e: Error) => e);
    const failures = (await Promise.all([first, second])).filter((e) => e !== null);
    if (failures.length !== 1 || !/deadlock detected/.test(String(failures[0]))) throw new Error(`expected one deadlock, got ${failures.map(String).join('; ') || 'none'}`);
    await a.query('ROLLBACK');
    await b.query('ROLLBACK');

    // Autovacuum: enough dead rows to pass the thresholds (scale factor 0.05 of 2000 rows, +50).
    // An earlier run (after the INSERT) may have happened already: wait for the next one.
    const vacuums = async () => Number((await admin.query("SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'accounts'")).rows[0]?.autovacuum_count ?? 0);
    const before = await vacuums();
    await admin.query('DELETE FROM accounts WHERE id > 1000');
    for (let i = 0; i < 150 && await vacuums() <= before; i++) await sleep(200);

    // A temporary file: a sort larger than work_mem.
    await a.query("SET work_mem = '64kB'");
    await a.query('SELECT g FROM generate_series(1, 50000) g ORDER BY g DESC');
    await a.query('RESET work_mem');

    // Errors.
    await a.query('SELECT 1 / 0').catch(() => undefined);
    await a.query('SELECT * FROM no_such_table').catch(() => undefined);

    // A checkpoint.
    await admin.query('CHECKPOINT');

    // A failed login.
    const wrong = new Client({ host: server.host, port: server.port, user: 'app', password: 'wrong-password', database: 'postgres' });
    await wrong.connect().then(() => { throw new Error('the wrong password was accepted'); }, () => undefined);
    await wrong.end().catch(() => undefined);

    // Let the last lines reach the file (the failed login's DETAIL is the last the scenario writes).
    for (let i = 0; i < 50 && !pg.logLines().some((l) => /:app@postgres:\[\d+\]:DETAIL: {2}Connection matched/.test(l)); i++) await sleep(100);
    return { table: 'postgres.public.accounts', failedUser: 'app', lockHolderPid: holder, lockWaiterPid: waiter };
  } finally {
    await Promise.all([admin, a, b].map((c) => c.end().catch(() => undefined)));
  }
}
