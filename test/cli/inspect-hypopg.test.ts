/**
 * inspect's verified index suggestions (dexter's check), on Debian's PostgreSQL 15 with
 * postgresql-15-hypopg (scripts/install-test-deps.ts installs both): hypopg is not in the npm
 * build of PostgreSQL 17.9 the other tests run on, so this one runs on 15. The check needs
 * nothing of 17 (PREPARE, plan_cache_mode = force_generic_plan and hypopg exist on 15), and RDS
 * for PostgreSQL 17 supports hypopg; that RDS's hypopg plans alike is an assumption (README,
 * "Verified against").
 * Two tables are read by sequential scans: `orders` by a selective `customer_ref` (an index cuts the
 * plan's cost by far more than half: suggested, with the costs) and `events` by `kind`, which
 * has two values (an index does not halve the cost: withheld).
 */
import * as fs from 'fs';
import type { Client } from 'pg';
import type { inspectJson as inspectDocument } from '../../cli/commands/inspect';
import { EXIT } from '../../cli/errors';
import type { JsonEnvelope } from '../../cli/json-output';
import { main } from '../../cli/program';
import { fakeIo } from '../support/fake-io';
import { PostgresServer, startPostgres } from '../support/postgres-server';

const PG15 = '/usr/lib/postgresql/15/bin';
type InspectJson = JsonEnvelope & ReturnType<typeof inspectDocument>;
let server: PostgresServer;
let report: InspectJson;

async function inspect(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({});
  const code = await main(['inspect', '--url', `${server.connectionString('app')}?sslmode=disable`, ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

async function flush(c: Client): Promise<void> {
  await c.query('SELECT pg_stat_force_next_flush()');
  await c.query('SELECT 1');
}

beforeAll(async () => {
  if (!fs.existsSync(`${PG15}/postgres`) || !fs.existsSync('/usr/share/postgresql/15/extension/hypopg.control')) {
    throw new Error('PostgreSQL 15 with hypopg is missing: run `npx tsx scripts/install-test-deps.ts` (apt-get install postgresql-15 postgresql-15-hypopg)');
  }
  server = await startPostgres({ binDir: PG15, settings: { shared_preload_libraries: 'pg_stat_statements' } });
  const admin = await server.client();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  const c = await server.client('app');
  try {
    await c.query(`CREATE EXTENSION pg_stat_statements; CREATE EXTENSION hypopg;
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_ref text NOT NULL, total numeric NOT NULL);
      INSERT INTO orders SELECT g, 'customer-' || (g % 5000), g % 1000 FROM generate_series(1, 100000) g;
      CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, payload text);
      INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'click' ELSE 'view' END, 'x' FROM generate_series(1, 100000) g;`);
    await flush(c);
    await c.query('SELECT pg_stat_reset()');
    await c.query('ANALYZE');
    await c.query('SELECT pg_stat_statements_reset()');
    for (let i = 0; i < 20; i++) {
      await c.query('SELECT id, total FROM orders WHERE customer_ref = $1', [`customer-${i}`]);
      await c.query('SELECT count(*) FROM events WHERE kind = $1', [i % 2 ? 'click' : 'view']);
    }
    await flush(c);
  } finally {
    await c.end();
  }
  const r = await inspect(['--json']);
  if (r.code !== EXIT.OK) throw new Error(`inspect exited ${r.code}: ${r.err}`);
  report = JSON.parse(r.out);
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

test('this server is Debian\'s PostgreSQL 15 with hypopg: what the test says it runs on', () => {
  expect(report.serverVersion).toMatch(/^15\./);
  expect(report.suggestions).toEqual({ verified: true, advice: null });
});

test('a selective filter: the suggestion stands, with hypopg\'s plan cost before and after (at least halved)', () => {
  const m = report.missingIndexes.find((x) => x.table === 'public.orders')!;
  expect(m.suggestion!.sql).toBe('CREATE INDEX CONCURRENTLY orders_customer_ref_idx ON public.orders (customer_ref);');
  const check = m.suggestion!.check!;
  expect(check.halved).toBe(true);
  expect(check.costAfter).toBeLessThanOrEqual(check.costBefore / 2);
  const f = report.findings.find((x) => x.rule === 'missing-index' && x.resource === 'public.orders')!;
  expect(f.fix).toMatch(/^CREATE INDEX CONCURRENTLY orders_customer_ref_idx .* \(verified with hypopg: plan cost \d+ → \d+;/);
});

test('a filter on a two-valued column: the index would not halve the cost, so the suggestion is withheld', () => {
  const m = report.missingIndexes.find((x) => x.table === 'public.events')!;
  const check = m.suggestion!.check!;
  expect(check.halved).toBe(false);
  expect(check.costAfter).toBeGreaterThan(check.costBefore / 2);
  const f = report.findings.find((x) => x.rule === 'missing-index' && x.resource === 'public.events')!;
  expect(f.fix).toMatch(/^withheld: hypopg planned the statement with CREATE INDEX CONCURRENTLY events_kind_idx ON public.events \(kind\) and its cost went from \d+ only to \d+ \(under the 50 % drop/);
});

test('the check leaves nothing behind: no hypothetical index, no prepared statement, no real index', async () => {
  const c = await server.client('app');
  try {
    expect((await c.query("SELECT indexname FROM pg_indexes WHERE tablename IN ('orders', 'events') ORDER BY 1")).rows.map((r) => r.indexname)).toEqual(['events_pkey', 'orders_pkey']);
  } finally {
    await c.end();
  }
  // A second run in a new session gives the same verdicts (nothing carried over).
  const again = JSON.parse((await inspect(['--json'])).out) as InspectJson;
  expect(again.missingIndexes.map((m) => [m.table, m.suggestion?.check?.halved])).toEqual(report.missingIndexes.map((m) => [m.table, m.suggestion?.check?.halved]));
});
