/**
 * The PostgresMetrics collector (lambda/postgres-metrics, on the shared queries of
 * shared/pg-health.ts) against a real PostgreSQL server under load: four sessions keep
 * updating and reading a table in a database of their own (`load`) for the whole file, while
 * the tests build each situation the collector must see in the `app` database. The load lives
 * in its own database so that the table-level figures the tests compare exactly (cache hit
 * ratio, dead tuples: per-database statistics) do not move under them; the session-level ones
 * (pg_stat_activity, pg_database, replication slots) are cluster-wide and see the load.
 *
 * The collector logs in as `monitor`, a password (SCRAM) role with only LOGIN and pg_monitor,
 * as a production monitoring role would. The secret reader is injected (the secret's JSON as
 * RDS writes it), the clock too.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Client } from 'pg';
import { createHandler, DbSecret, HandlerDeps, InvocationContext } from '../../lambda/postgres-metrics/index';
import { cacheHitRatio, connectionsByState, longRunningQueries } from '../../shared/pg-health';
import { freePort, PostgresServer, startPostgres } from '../support/postgres-server';
import { startTlsPostgres, TlsPostgres } from '../support/tls-postgres';

const MONITOR_PASSWORD = 'monitor-password-1';
const INSTANCE_ID = 'shop-primary';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';
const NOW = Date.UTC(2026, 10, 24, 3, 0, 0);
const MAX_CONNECTIONS = 40;
/** Every metric of a successful collection (the hit ratio only once there were heap accesses), with its CloudWatch unit. */
const UNITS = {
  CollectorError: 'Count',
  BufferCacheHitRatio: 'Percent',
  LongRunningQueries: 'Count',
  IdleInTransactionSessions: 'Count',
  IdleInTransactionMaxSeconds: 'Seconds',
  ConnectionsActive: 'Count',
  ConnectionsIdle: 'Count',
  ConnectionsIdleInTransaction: 'Count',
  ConnectionsTotal: 'Count',
  ConnectionsUsedPercent: 'Percent',
  OldestXidAge: 'Count',
  MaxDeadTupleRatio: 'Percent',
  ReplicationSlotMaxLagBytes: 'Bytes',
};
/** The playbook's query, verbatim (the collector's own copy lives in shared/pg-health.ts). */
const PLAYBOOK_HIT_RATIO = `SELECT 
    sum(heap_blks_read) as heap_read, 
    sum(heap_blks_hit) as heap_hit, 
    sum(heap_blks_hit) / (sum(heap_blks_hit) + sum(heap_blks_read)) as ratio
    FROM pg_statio_user_tables;`;

let fixtures: string;
let server: PostgresServer;
/** A superuser session on `app`, for setting up and for the independent measurements. */
let app: Client;
const load = { stop: false, loops: [] as Promise<void>[], clients: [] as Client[], statements: 0 };

// --- fixtures --------------------------------------------------------------------------------

/** pg_hba.conf: trust for the harness's superuser, SCRAM passwords for everybody else. */
function writeHba(): string {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'postgres-metrics-'));
  const file = path.join(fixtures, 'pg_hba.conf');
  fs.writeFileSync(file, ['local all all trust', 'host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  // The server runs as the `postgres` OS user when the tests run as root: it must read the file.
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of [fixtures, file]) fs.chownSync(f, uid, gid);
  }
  return file;
}

/** Four sessions updating and reading `load.accounts` until afterAll. */
async function startLoad(): Promise<void> {
  const setup = await server.client('load');
  await setup.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
    INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 10000) g;`);
  await setup.end();
  for (let i = 0; i < 4; i++) {
    const client = await server.client('load');
    client.on('error', () => undefined);
    load.clients.push(client);
    load.loops.push((async () => {
      while (!load.stop) {
        try {
          const id = 1 + Math.floor(Math.random() * 10000);
          await client.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [id]);
          await client.query('SELECT sum(balance) FROM accounts WHERE id BETWEEN $1 AND $1 + 500', [id]);
          load.statements += 2;
        } catch {
          // A statement caught by a test's catalog lock or the shutdown: keep going / stop.
        }
      }
    })());
  }
}

beforeAll(async () => {
  server = await startPostgres({
    settings: {
      hba_file: writeHba(),
      max_connections: String(MAX_CONNECTIONS),
      // Small shared buffers, so that reading a few MB misses them (heap_blks_read > 0).
      shared_buffers: '1MB',
    },
  });
  const admin = await server.client();
  await admin.query('CREATE DATABASE app');
  await admin.query('CREATE DATABASE load');
  await admin.query('CREATE DATABASE empty');
  await admin.query(`CREATE ROLE monitor LOGIN PASSWORD '${MONITOR_PASSWORD}' IN ROLE pg_monitor`);
  await admin.end();
  app = await server.client('app');
  await startLoad();
}, 60_000);

afterAll(async () => {
  load.stop = true;
  await Promise.all(load.loops);
  await Promise.all(load.clients.map((c) => c.end().catch(() => undefined)));
  await app?.end().catch(() => undefined);
  await server?.stop();
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
}, 60_000);

// --- helpers ---------------------------------------------------------------------------------

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }>;
  };
  [member: string]: unknown;
}

interface Invocation {
  /** Every line the handler logged. */
  lines: string[];
  emf: EmfLine;
  /** The value of one metric; fails the test unless it is declared in the directive and a number. */
  metric(name: string): number;
  secretReads: number;
}

function secretOf(overrides: Partial<DbSecret> = {}): DbSecret {
  return { username: 'monitor', password: MONITOR_PASSWORD, host: server.host, port: server.port, dbname: 'app', ...overrides };
}

/** Builds a handler (env on top of a working one, the secret as RDS writes it) and invokes it once. */
async function collect(env: Record<string, string | undefined> = {}, deps: Partial<HandlerDeps> = {}, context?: InvocationContext): Promise<Invocation> {
  const run = invoker(env, deps);
  return run(context);
}

/** A handler kept between invocations (as an execution environment keeps it). */
function invoker(env: Record<string, string | undefined> = {}, deps: Partial<HandlerDeps> = {}, secret: () => DbSecret = () => secretOf()) {
  let lines: string[] = [];
  let secretReads = 0;
  const handler = createHandler({
    env: { SECRET_ARN, DB_SSL: 'disable', DB_INSTANCE_ID: INSTANCE_ID, ...env },
    readSecret: async () => { secretReads++; return secret(); },
    log: (line) => lines.push(line),
    now: () => NOW,
    ...deps,
  });
  return async (context?: InvocationContext): Promise<Invocation> => {
    lines = [];
    await expect(handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, context)).resolves.toBeDefined();
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]) as EmfLine;
    const metric = (name: string): number => {
      expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).toContain(name);
      expect(typeof emf[name]).toBe('number');
      return emf[name] as number;
    };
    return { lines, emf, metric, secretReads };
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A new superuser session on `app`, with a swallowed 'error' event (tests end sessions abruptly). */
async function session(db = 'app'): Promise<Client> {
  const client = await server.client(db);
  client.on('error', () => undefined);
  return client;
}

/** Makes this session's pending statistics visible to others now (PostgreSQL 15 and later flush them lazily). */
async function flushStats(client: Client): Promise<void> {
  await client.query('SELECT pg_stat_force_next_flush()');
  await client.query('SELECT 1');
}

/** Client backends in pg_stat_activity, once the number stops changing (ended sessions leave with a delay). */
async function steadyClientBackends(): Promise<number> {
  const count = async () => (await app.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")).rows[0].n;
  let previous = await count();
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const current = await count();
    if (current === previous) return current;
    previous = current;
  }
  throw new Error('the number of client backends did not settle');
}

// --- tests -----------------------------------------------------------------------------------

describe('buffer cache hit ratio', () => {
  test('equals the playbook query\'s value, computed independently', async () => {
    // GIVEN a table of ~6 MB (shared_buffers is 1 MB), read several times: some blocks miss the buffers, index probes hit them
    await app.query(`CREATE TABLE reads (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
      INSERT INTO reads SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 40000) g;`);
    for (let i = 0; i < 3; i++) await app.query('SELECT count(*), max(payload) FROM reads');
    for (let i = 0; i < 200; i++) await app.query('SELECT payload FROM reads WHERE id = $1', [1 + i * 7]);
    await flushStats(app);
    const expected = (await app.query<{ heap_read: string; heap_hit: string; ratio: string }>(PLAYBOOK_HIT_RATIO)).rows[0];
    expect(Number(expected.heap_read)).toBeGreaterThan(0);
    expect(Number(expected.heap_hit)).toBeGreaterThan(0);

    // WHEN
    const run = await collect();

    // THEN the collector's percentage is the playbook's ratio × 100
    expect(run.metric('BufferCacheHitRatio')).toBeCloseTo(Number(expected.ratio) * 100, 10);
    expect(run.emf).toMatchObject({ HeapBlocksRead: Number(expected.heap_read), HeapBlocksHit: Number(expected.heap_hit) });
    expect(run.metric('BufferCacheHitRatio')).toBeLessThan(100);
    // and nothing touched the table meanwhile: the playbook's value is unchanged
    expect((await app.query(PLAYBOOK_HIT_RATIO)).rows[0]).toEqual(expected);
  });

  test('is null, and left out of the metric line, when no user table has been accessed', async () => {
    // GIVEN a database with a table whose statistics were just reset
    const fresh = await session('empty');
    try {
      await fresh.query('CREATE TABLE t (id int) WITH (autovacuum_enabled = false); INSERT INTO t VALUES (1)');
      await flushStats(fresh);
      await fresh.query('SELECT pg_stat_reset()');
      // the playbook's query divides by zero there
      await expect(fresh.query(PLAYBOOK_HIT_RATIO)).rejects.toMatchObject({ code: '22012' });

      // WHEN
      const shared = await cacheHitRatio(fresh);
      const run = await collect({ DB_NAME: 'empty' });

      // THEN
      expect(shared).toEqual({ heapRead: 0, heapHit: 0, ratio: null });
      expect(run.emf.CollectorError).toBe(0);
      expect(run.emf._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).not.toContain('BufferCacheHitRatio');
      expect(run.emf).not.toHaveProperty('BufferCacheHitRatio');
      expect(run.emf.BufferCacheHitRatioNote).toMatch(/no heap block accesses/);
    } finally {
      await fresh.end();
    }
  });
});

describe('sessions', () => {
  test('a pg_sleep(6) statement counts as long-running once it has run for more than 5 s', async () => {
    // GIVEN a session idle since its last statement, which must never count
    const idler = await session();
    await idler.query('SELECT 1');
    // AND a statement that runs for 6 s in another session (not awaited until the end)
    const sleeper = await session();
    const sleeperPid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const sleeping = sleeper.query('SELECT pg_sleep(6)');
    try {
      await sleep(1000);
      // WHEN it has run for about a second THEN the 5 s threshold does not count it, a 0.5 s one does
      expect((await collect()).metric('LongRunningQueries')).toBe(0);
      expect((await longRunningQueries(app, 0.5)).map((q) => q.pid)).toEqual([sleeperPid]);
      expect(await longRunningQueries(app)).toEqual([]);

      // WHEN it has run for more than 5 s
      await sleep(4600);
      const run = await collect();

      // THEN it is counted, and named by pid (no query text in the line)
      expect(run.metric('LongRunningQueries')).toBe(1);
      expect(run.emf.LongRunningSessions).toEqual([expect.objectContaining({ pid: sleeperPid, database: 'app', user: 'postgres' })]);
      expect((run.emf.LongRunningSessions as Array<{ seconds: number }>)[0].seconds).toBeGreaterThan(5);
      expect(JSON.stringify(run.emf)).not.toContain('pg_sleep');
      const [shared] = await longRunningQueries(app);
      expect(shared).toMatchObject({ pid: sleeperPid, state: 'active', waitEventType: 'Timeout', waitEvent: 'PgSleep', query: 'SELECT pg_sleep(6)' });
    } finally {
      await sleeping;
      await sleeper.end();
      await idler.end();
    }
  });

  test('idle-in-transaction sessions are counted, with how long they have been idle', async () => {
    // GIVEN a session that began a transaction, ran a statement and holds it open
    const holder = await session();
    const failed = await session();
    try {
      await holder.query('BEGIN');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await sleep(1200);
      // AND, a second later, one whose transaction failed and was left open
      const failedPid = (await failed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await failed.query('BEGIN');
      await expect(failed.query('SELECT 1 / 0')).rejects.toMatchObject({ code: '22012' });

      // WHEN
      const run = await collect();

      // THEN both are counted, the longest idle time is the first one's
      expect(run.metric('IdleInTransactionSessions')).toBe(2);
      expect(run.metric('ConnectionsIdleInTransaction')).toBe(2);
      expect(run.metric('IdleInTransactionMaxSeconds')).toBeGreaterThanOrEqual(1.1);
      expect(run.metric('IdleInTransactionMaxSeconds')).toBeLessThan(30);
      expect(run.emf.IdleInTransactionPids).toEqual([pid, failedPid]);
      expect(run.emf.ConnectionsByState).toMatchObject({ 'idle in transaction': 1, 'idle in transaction (aborted)': 1 });

      // and once they end their transactions, they are not
      await holder.query('COMMIT');
      await failed.query('ROLLBACK');
      const after = await collect();
      expect(after.metric('IdleInTransactionSessions')).toBe(0);
      expect(after.metric('IdleInTransactionMaxSeconds')).toBe(0);
      expect(after.metric('ConnectionsIdleInTransaction')).toBe(0);
    } finally {
      await holder.end();
      await failed.end();
    }
  });

  test('connections by state add up, and their share of max_connections is reported', async () => {
    // GIVEN three more idle sessions
    const idle = await Promise.all([session(), session(), session()]);
    try {
      const before = await steadyClientBackends();

      // WHEN
      const run = await collect();

      // THEN every client backend is counted (the collector's own one too), idle ones as idle
      const total = run.metric('ConnectionsTotal');
      expect(total).toBe(before + 1);
      expect(run.metric('ConnectionsIdle')).toBeGreaterThanOrEqual(3);
      expect(run.metric('ConnectionsActive')).toBeGreaterThanOrEqual(1); // the collector's own session
      expect(run.metric('ConnectionsActive') + run.metric('ConnectionsIdle') + run.metric('ConnectionsIdleInTransaction')).toBe(total);
      expect(run.emf.MaxConnections).toBe(MAX_CONNECTIONS);
      expect((await app.query('SHOW max_connections')).rows[0].max_connections).toBe(String(MAX_CONNECTIONS));
      expect(run.metric('ConnectionsUsedPercent')).toBeCloseTo((total / MAX_CONNECTIONS) * 100, 10);
      // the shared function sees the same sessions from a superuser connection
      const shared = await connectionsByState(app);
      expect(shared.total).toBe(before);
      expect(shared.byState.idle).toBeGreaterThanOrEqual(3);
    } finally {
      await Promise.all(idle.map((c) => c.end()));
    }
  });
});

describe('vacuum and wraparound', () => {
  test('dead tuples appear after updates, and the worst table is named', async () => {
    // GIVEN two tables autovacuum leaves alone: every row of one updated, a tenth of the other's
    await app.query(`CREATE TABLE bloated (id int PRIMARY KEY, n int) WITH (autovacuum_enabled = false);
      CREATE TABLE mildly_bloated (id int PRIMARY KEY, n int) WITH (autovacuum_enabled = false);
      INSERT INTO bloated SELECT g, 0 FROM generate_series(1, 2000) g;
      INSERT INTO mildly_bloated SELECT g, 0 FROM generate_series(1, 2000) g;`);
    await flushStats(app);
    const clean = await collect();
    const before = clean.metric('MaxDeadTupleRatio');
    expect(before).toBe(0);

    await app.query('UPDATE bloated SET n = n + 1');
    await app.query('UPDATE mildly_bloated SET n = n + 1 WHERE id % 10 = 0');
    await flushStats(app);
    const expected = (await app.query<{ ratio: number }>(`SELECT n_dead_tup::float8 / (n_live_tup + n_dead_tup) AS ratio
      FROM pg_stat_user_tables WHERE relname = 'bloated'`)).rows[0].ratio;

    // WHEN
    const run = await collect();

    // THEN
    expect(expected).toBeCloseTo(0.5, 2);
    expect(run.metric('MaxDeadTupleRatio')).toBeCloseTo(expected * 100, 10);
    expect(run.emf.DeadTupleWorstTable).toBe('public.bloated');
    const top = run.emf.DeadTupleTopTables as Array<{ table: string; deadTupleRatioPercent: number; deadTuples: number }>;
    expect(top.map((t) => t.table).slice(0, 2)).toEqual(['public.bloated', 'public.mildly_bloated']);
    expect(top[0].deadTuples).toBe(2000);
    expect(top[1].deadTupleRatioPercent).toBeCloseTo((200 / 2200) * 100, 1);
    expect(top.length).toBeLessThanOrEqual(5);
  });

  test('the oldest transaction-id age is max(age(datfrozenxid)) at the time of the collection', async () => {
    // GIVEN one database frozen just now: its age is small, the others' are not
    const frozen = await session('empty');
    await frozen.query('VACUUM (FREEZE)');
    await frozen.end();
    const ages = (await app.query<{ datname: string; age: number }>('SELECT datname, age(datfrozenxid) AS age FROM pg_database')).rows;
    expect(Math.min(...ages.map((a) => a.age))).toBeLessThan(Math.max(...ages.map((a) => a.age)));

    const query = 'SELECT max(age(datfrozenxid))::int AS age FROM pg_database';
    const before = (await app.query<{ age: number }>(query)).rows[0].age;
    const run = await collect();
    const after = (await app.query<{ age: number }>(query)).rows[0].age;

    // The load keeps consuming transaction ids, so the value is bracketed, not fixed.
    expect(before).toBeGreaterThan(0);
    expect(run.metric('OldestXidAge')).toBeGreaterThanOrEqual(before);
    expect(run.metric('OldestXidAge')).toBeLessThanOrEqual(after);
    expect(run.emf.OldestXidDatabase).not.toBe('empty');
    expect(ages.map((a) => a.datname)).toContain(run.emf.OldestXidDatabase);
  });
});

describe('replication slots', () => {
  test('a slot shows the WAL it holds back; none once it is dropped', async () => {
    // GIVEN a physical slot reserving WAL from now, and WAL written after it
    const { rows: [slot] } = await app.query<{ lsn: string }>("SELECT lsn FROM pg_create_physical_replication_slot('s1', true)");
    try {
      await app.query('CREATE TABLE wal_writer AS SELECT g FROM generate_series(1, 20000) g');
      const written = Number((await app.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes', [slot.lsn])).rows[0].bytes);
      expect(written).toBeGreaterThan(100_000);

      // WHEN
      const run = await collect();

      // THEN
      expect(run.metric('ReplicationSlotMaxLagBytes')).toBeGreaterThanOrEqual(written);
      expect(run.emf.ReplicationSlots).toEqual([expect.objectContaining({ name: 's1', type: 'physical', active: false, walStatus: 'reserved' })]);
    } finally {
      await app.query("SELECT pg_drop_replication_slot('s1')");
    }
    const after = await collect();
    expect(after.metric('ReplicationSlotMaxLagBytes')).toBe(0);
    expect(after.emf.ReplicationSlots).toEqual([]);
  });
});

describe('the metric line', () => {
  test('is one valid EMF document with every metric, its unit and the instance dimension', async () => {
    const run = await collect({ METRIC_NAMESPACE: undefined });

    expect(run.lines).toHaveLength(1);
    expect(run.emf._aws.Timestamp).toBe(NOW);
    expect(run.emf._aws.CloudWatchMetrics).toHaveLength(1);
    const [directive] = run.emf._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe('CdkDbPlaybook/PostgreSQL');
    expect(directive.Dimensions).toEqual([['DBInstanceIdentifier']]);
    expect(run.emf.DBInstanceIdentifier).toBe(INSTANCE_ID);
    expect(Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]))).toEqual(UNITS);
    for (const { Name } of directive.Metrics) expect(Number.isFinite(run.emf[Name])).toBe(true);
    expect(run.metric('CollectorError')).toBe(0);
    for (const percent of ['BufferCacheHitRatio', 'ConnectionsUsedPercent', 'MaxDeadTupleRatio']) {
      expect(run.metric(percent)).toBeGreaterThanOrEqual(0);
      expect(run.metric(percent)).toBeLessThanOrEqual(100);
    }
    expect(run.emf.DatabaseName).toBe('app');
    // the load was running all along
    expect(load.statements).toBeGreaterThan(100);
  });

  test('takes the namespace from METRIC_NAMESPACE, and has no dimension without DB_INSTANCE_ID', async () => {
    const run = await collect({ METRIC_NAMESPACE: 'Custom/Pg', DB_INSTANCE_ID: undefined });
    expect(run.emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Custom/Pg', Dimensions: [[]] });
    expect(run.emf).not.toHaveProperty('DBInstanceIdentifier');
    expect(run.metric('CollectorError')).toBe(0);
  });
});

describe('connection settings', () => {
  test('DB_HOST, DB_PORT and DB_NAME override the secret\'s endpoint', async () => {
    const run = await invoker(
      { DB_HOST: server.host, DB_PORT: String(server.port), DB_NAME: 'app' },
      {},
      () => secretOf({ host: 'primary.example.invalid', port: 6543, dbname: 'elsewhere' }),
    )();
    expect(run.metric('CollectorError')).toBe(0);
    expect(run.emf.DatabaseName).toBe('app');
  });

  test('the secret is read once per execution environment, and again when the password is refused (rotation)', async () => {
    let password = MONITOR_PASSWORD;
    const run = invoker({}, {}, () => secretOf({ password }));
    expect((await run()).metric('CollectorError')).toBe(0);
    expect((await run())).toMatchObject({ secretReads: 1 });

    // WHEN the password is rotated
    await app.query("ALTER ROLE monitor PASSWORD 'monitor-password-2'");
    password = 'monitor-password-2';
    try {
      const rotated = await run();
      // THEN the kept password is refused, the secret read again, and the collection succeeds
      expect(rotated.metric('CollectorError')).toBe(0);
      expect(rotated.secretReads).toBe(2);
    } finally {
      await app.query(`ALTER ROLE monitor PASSWORD '${MONITOR_PASSWORD}'`);
    }
  });
});

describe('when it cannot collect', () => {
  /** The line of a failed collection: CollectorError 1 and nothing else, with the reason. */
  function expectError(run: Invocation, reason: RegExp): void {
    expect(run.emf._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'CdkDbPlaybook/PostgreSQL',
      Dimensions: [['DBInstanceIdentifier']],
      Metrics: [{ Name: 'CollectorError', Unit: 'Count' }],
    });
    expect(run.metric('CollectorError')).toBe(1);
    expect(run.emf.DBInstanceIdentifier).toBe(INSTANCE_ID);
    expect(run.emf.CollectorErrorReason).toMatch(reason);
  }

  test('a database it cannot reach (closed port) yields CollectorError 1, not a throw', async () => {
    const port = await freePort();
    expectError(await collect({ DB_PORT: String(port) }), new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}/app: .*ECONNREFUSED`));
  });

  test('a host that never answers yields CollectorError 1 after QUERY_TIMEOUT_MS', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const run = await collect({ DB_PORT: String((silent.address() as net.AddressInfo).port), QUERY_TIMEOUT_MS: '300' });
      expectError(run, /cannot connect to .*: no connection within 300 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('a refused login yields CollectorError 1 with the reason', async () => {
    expectError(await invoker({}, {}, () => secretOf({ password: 'wrong' }))(), /password authentication failed for user "monitor" \(28P01\)/);
    expectError(await collect({ DB_NAME: 'missing' }), /database "missing" does not exist \(3D000\)/);
  });

  test('a query that times out yields CollectorError 1 naming the query', async () => {
    // GIVEN a catalog the health queries need, locked: the first of them waits on it
    const locker = await session();
    try {
      await locker.query('BEGIN; LOCK TABLE pg_catalog.pg_namespace IN ACCESS EXCLUSIVE MODE');
      const run = await collect({ QUERY_TIMEOUT_MS: '500' });
      expectError(run, /^cache hit ratio failed on 127\.0\.0\.1:\d+\/app: statement timed out within 500 ms \(statement_timeout, 57014\)$/);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  test('an unreadable secret, a secret that never comes, or a bad setting yield CollectorError 1', async () => {
    const denied = await collect({}, { readSecret: () => Promise.reject(new Error('AccessDeniedException: not authorized')) });
    expectError(denied, /^cannot read secret arn:aws:secretsmanager:.*: AccessDeniedException: not authorized$/);

    // Secrets Manager unreachable from the VPC: the invocation still logs before Lambda's timeout.
    const started = Date.now();
    const hanging = await collect({}, { readSecret: () => new Promise<never>(() => undefined) }, { getRemainingTimeInMillis: () => 1600 });
    expectError(hanging, /did not finish within 600 ms/);
    expect(Date.now() - started).toBeLessThan(2000);

    expectError(await collect({ SECRET_ARN: '' }), /SECRET_ARN is not set/);
    expectError(await collect({ DB_SSL: 'require' }), /DB_SSL must be 'verify-full' or 'disable' \(got 'require'\)/);
    expectError(await collect({ QUERY_TIMEOUT_MS: 'soon' }), /QUERY_TIMEOUT_MS must be an integer >= 100/);
  });
});

// --- TLS --------------------------------------------------------------------------------------

const ROOT = path.resolve(__dirname, '..', '..');

/** What a collection in a child Node.js saw (collectInChild). */
interface ChildCollection {
  /** How a connection with Node's default roots, as the collector made before DB_CA_FILE, went: 'accepted' or 'refused: <code>'. */
  defaultRoots: string;
  /** The collector's metric line. */
  emf: EmfLine;
}

/**
 * Runs the collector once in a child Node.js (this one's binary, with tsx) started with
 * NODE_EXTRA_CA_CERTS=`extraCaFile`: Node reads that variable only when it starts, so it cannot
 * be set for this process. The child first connects to the server with Node's default roots
 * (`ssl: { rejectUnauthorized: true }`, what the collector did before DB_CA_FILE), which shows
 * that the child's roots do trust the server's CA; then the handler runs with `env`.
 */
async function collectInChild(extraCaFile: string, target: { host: string; port: number }, env: Record<string, string>): Promise<ChildCollection> {
  const script = path.join(fixtures, `collect-in-child-${Date.now()}.ts`);
  fs.writeFileSync(script, `
import { Client } from ${JSON.stringify(require.resolve('pg'))};
import { createHandler } from ${JSON.stringify(path.join(ROOT, 'lambda', 'postgres-metrics', 'index'))};

async function main(): Promise<void> {
  const input = JSON.parse(process.env.CHILD_INPUT ?? '{}');
  const control = new Client({ host: input.host, port: input.port, user: 'postgres', database: 'postgres', ssl: { rejectUnauthorized: true }, connectionTimeoutMillis: 10000 });
  let defaultRoots = 'accepted';
  try {
    await control.connect();
  } catch (e) {
    defaultRoots = 'refused: ' + ((e as { code?: string }).code ?? String(e));
  } finally {
    await control.end().catch(() => undefined);
  }
  const lines: string[] = [];
  await createHandler({ env: input.env, readSecret: async () => input.secret, log: (line) => lines.push(line) })();
  process.stdout.write(JSON.stringify({ defaultRoots, emf: JSON.parse(lines[0]) }));
}
main().catch((e) => { process.stderr.write(String(e?.stack ?? e)); process.exitCode = 1; });
`);
  const secret: DbSecret = { username: 'postgres', password: 'unused (trust)', host: target.host, port: target.port, dbname: 'postgres' };
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: extraCaFile, CHILD_INPUT: JSON.stringify({ ...target, secret, env: { SECRET_ARN, ...env } }) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // stderr is shown only when the child failed (it may carry the SDK's Node.js version warning).
  expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(stdout) as ChildCollection;
}

/** A TCP relay on 127.0.0.2 (Linux routes all of 127/8 to lo) to `port` on 127.0.0.1. */
async function relayTo(port: number): Promise<net.Server> {
  const relay = net.createServer((socket) => {
    const upstream = net.connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const close = () => { socket.destroy(); upstream.destroy(); };
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve));
  return relay;
}

describe('TLS (verify-full) trusts DB_CA_FILE only', () => {
  /** A server whose certificate DB_CA_FILE's CA signed. */
  let trusted: TlsPostgres;
  /** A server whose certificate is from another CA, not in DB_CA_FILE. */
  let other: TlsPostgres;

  beforeAll(async () => {
    [trusted, other] = await Promise.all([startTlsPostgres(), startTlsPostgres()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([trusted?.stop(), other?.stop()]);
  }, 60_000);

  /** verify-full against `tls` (superuser, trust: any password), with DB_CA_FILE `caFile`. */
  function tlsEnv(tls: TlsPostgres, caFile: string, host = '127.0.0.1'): Record<string, string> {
    return { DB_SSL: 'verify-full', DB_CA_FILE: caFile, DB_HOST: host, DB_PORT: String(tls.server.port), DB_NAME: 'postgres' };
  }
  const superuser = () => secretOf({ username: 'postgres', password: 'unused (trust)' });

  /** The line of a failed collection, with the reason. */
  function expectRefused(run: Invocation, reason: RegExp): void {
    expect(run.metric('CollectorError')).toBe(1);
    expect(run.emf._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'CollectorError', Unit: 'Count' }]);
    expect(run.emf.CollectorErrorReason).toMatch(reason);
  }

  test('collects over TLS when the server\'s certificate is from DB_CA_FILE\'s CA, by IP address and by DNS name', async () => {
    const byIp = await invoker(tlsEnv(trusted, trusted.caFile), {}, superuser)();
    expect(byIp.metric('CollectorError')).toBe(0);
    // A DNS name is sent as SNI and checked against the certificate's DNS names (it has localhost).
    const byName = await invoker(tlsEnv(trusted, trusted.caFile, 'localhost'), {}, superuser)();
    expect(byName.metric('CollectorError')).toBe(0);
    expect(byName.emf.DatabaseName).toBe('postgres');
  });

  test('fails when the certificate is from a CA that NODE_EXTRA_CA_CERTS trusts but DB_CA_FILE does not have', async () => {
    // GIVEN a Node.js whose default roots include the other server's CA (NODE_EXTRA_CA_CERTS)
    const run = await collectInChild(other.caFile, { host: '127.0.0.1', port: other.server.port }, tlsEnv(other, trusted.caFile));

    // THEN Node's roots accept that server, and the collector, pinned to DB_CA_FILE, refuses it
    expect(run.defaultRoots).toBe('accepted');
    expect(run.emf.CollectorError).toBe(1);
    expect(run.emf.CollectorErrorReason).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${other.server.port}/postgres: TLS certificate not accepted: `
      + `verify-full accepts only a certificate for 127\\.0\\.0\\.1 from a CA in ${trusted.caFile.replace(/[.]/g, '\\.')} `
      + '\\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY): .+\\)$'));
  }, 60_000);

  test('fails when the server\'s certificate is from another CA (no NODE_EXTRA_CA_CERTS)', async () => {
    expectRefused(await invoker(tlsEnv(other, trusted.caFile), {}, superuser)(),
      /TLS certificate not accepted: verify-full accepts only a certificate for 127\.0\.0\.1 from a CA in /);
  });

  (process.platform === 'linux' ? test : test.skip)('fails when the certificate does not name the host connected to', async () => {
    // GIVEN the trusted server and its CA, reached at 127.0.0.2, which its certificate does not name
    const relay = await relayTo(trusted.server.port);
    try {
      const env = { ...tlsEnv(trusted, trusted.caFile, '127.0.0.2'), DB_PORT: String((relay.address() as net.AddressInfo).port) };
      expectRefused(await invoker(env, {}, superuser)(), /TLS certificate not accepted: verify-full accepts only a certificate for 127\.0\.0\.2 from a CA in .* \(ERR_TLS_CERT_ALTNAME_INVALID: .*IP: 127\.0\.0\.2 is not in the cert's list/);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  test('fails when DB_CA_FILE cannot be read, naming it, before reading the secret', async () => {
    const run = await invoker(tlsEnv(trusted, '/nonexistent/ca.pem'), {}, superuser)();
    expectRefused(run, /^cannot read the CA bundle DB_CA_FILE \/nonexistent\/ca\.pem: ENOENT$/);
    expect(run.secretReads).toBe(0);
  });

  test('fails when DB_CA_FILE holds no certificate (an empty `ca` would be Node\'s default roots)', async () => {
    const empty = path.join(fixtures, 'empty-ca.pem');
    fs.writeFileSync(empty, '');
    const garbled = path.join(fixtures, 'garbled-ca.pem');
    fs.writeFileSync(garbled, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    expectRefused(await invoker(tlsEnv(trusted, empty), {}, superuser)(), /^the CA bundle DB_CA_FILE .*empty-ca\.pem holds no PEM certificate/);
    expectRefused(await invoker(tlsEnv(trusted, garbled), {}, superuser)(), /^the CA bundle DB_CA_FILE .*garbled-ca\.pem: certificate 1 of 1 does not parse/);
  });

  test('verify-full is the default, with the Lambda runtime\'s bundle as DB_CA_FILE', async () => {
    const runtimeBundle = '/var/runtime/ca-cert.pem';
    if (!fs.existsSync(runtimeBundle)) {
      // Not in Lambda: the default bundle is absent, and that is the failure, naming it.
      const run = await collect({ DB_SSL: undefined, DB_CA_FILE: undefined });
      expectRefused(run, /^cannot read the CA bundle DB_CA_FILE \/var\/runtime\/ca-cert\.pem: ENOENT$/);
    }
    // With a CA bundle, a server without TLS is refused.
    expectRefused(await collect({ DB_SSL: undefined, DB_CA_FILE: trusted.caFile }), /cannot connect to .*: The server does not support SSL connections/);
  });

  test('DB_CA_FILE is read once per execution environment', async () => {
    const caFile = path.join(fixtures, 'kept-ca.pem');
    fs.copyFileSync(trusted.caFile, caFile);
    const run = invoker(tlsEnv(trusted, caFile), {}, superuser);
    expect((await run()).metric('CollectorError')).toBe(0);
    // WHEN the file goes away THEN the environment still has its certificates
    fs.rmSync(caFile);
    expect((await run()).metric('CollectorError')).toBe(0);
    // while a new environment reports it
    expectRefused(await invoker(tlsEnv(trusted, caFile), {}, superuser)(), /^cannot read the CA bundle DB_CA_FILE .*kept-ca\.pem: ENOENT$/);
  });
});
