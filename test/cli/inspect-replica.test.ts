/**
 * `inspect --replica` on a primary and its physical streaming replica, both real PostgreSQL 17.9
 * servers (test/support/postgres-server.ts's standbyOf: a low-level base backup, then streaming).
 * Each instance counts its own index scans: `orders_ref_idx` is scanned only on the replica
 * (the reports run there), so inspect of the primary alone calls it unused, and dropping it on
 * the primary would drop it on the replica too. With --replica its scans count: not unused.
 */
import type { Client } from 'pg';
import type { inspectJson as inspectDocument } from '../../cli/commands/inspect';
import { EXIT } from '../../cli/errors';
import type { JsonEnvelope } from '../../cli/json-output';
import { main } from '../../cli/program';
import { fakeIo } from '../support/fake-io';
import { PostgresServer, startPostgres } from '../support/postgres-server';

type InspectJson = JsonEnvelope & ReturnType<typeof inspectDocument>;
let primary: PostgresServer;
let replica: PostgresServer;

const url = (s: PostgresServer) => `${s.connectionString()}?sslmode=disable`;

async function inspect(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({});
  const code = await main(['inspect', ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

async function waitForReplay(c: Client, table: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await c.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0].ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the replica never replayed ${table}`);
}

beforeAll(async () => {
  primary = await startPostgres({ settings: { wal_keep_size: '512MB' } });
  replica = await startPostgres({ standbyOf: primary });
  const p = await primary.client();
  await p.query(`CREATE TABLE orders (id int PRIMARY KEY, ref text NOT NULL);
    INSERT INTO orders SELECT g, 'ref-' || g FROM generate_series(1, 20000) g;
    CREATE INDEX orders_ref_idx ON orders (ref);
    CREATE INDEX orders_never_idx ON orders (lower(ref));
    ANALYZE orders;`);
  await p.query('SELECT pg_stat_reset()');
  await p.end();
  const r = await replica.client();
  await waitForReplay(r, 'public.orders_never_idx');
  for (let i = 0; i < 5; i++) await r.query('SELECT id FROM orders WHERE ref = $1', [`ref-${i}`]);
  await r.query('SELECT pg_stat_force_next_flush()');
  await r.query('SELECT 1');
  await r.end();
}, 120_000);

afterAll(async () => {
  await replica?.stop();
  await primary?.stop();
}, 60_000);

test('the replica is a standby of the primary: the test bed is what it says', async () => {
  const r = await replica.client();
  try {
    expect((await r.query('SELECT pg_is_in_recovery() AS s')).rows[0].s).toBe(true);
    expect((await r.query("SELECT idx_scan::int AS n FROM pg_stat_user_indexes WHERE indexrelname = 'orders_ref_idx'")).rows[0].n).toBeGreaterThanOrEqual(5);
  } finally {
    await r.end();
  }
});

test('the primary alone calls the index the replica reads unused', async () => {
  const { code, out } = await inspect(['--url', url(primary), '--json']);
  expect(code).toBe(EXIT.OK);
  const report = JSON.parse(out) as InspectJson;
  expect(report.unusedIndexes.map((i) => i.index).sort()).toEqual(['orders_never_idx', 'orders_ref_idx']);
});

test('with --replica an index is unused only if no instance scanned it; the report names the instances and their reset times', async () => {
  const { code, out } = await inspect(['--url', url(primary), '--replica', url(replica), '--json']);
  expect(code).toBe(EXIT.OK);
  const report = JSON.parse(out) as InspectJson;
  expect(report.unusedIndexes.map((i) => i.index)).toEqual(['orders_never_idx']);
  expect(report.instances).toEqual([
    { target: expect.stringContaining(`:${primary.port}/postgres`), inRecovery: false, statsReset: expect.any(String) },
    { target: expect.stringContaining(`:${replica.port}/postgres`), inRecovery: true, statsReset: null },
  ]);
  const text = await inspect(['--url', url(primary), '--replica', url(replica)]);
  expect(text.out).toMatch(/scans added up over 2 instances: .*:\d+\/postgres \(statistics since 20\d\d-.*\), .*:\d+\/postgres \(statistics since never reset\)/);
  expect(text.out).toMatch(/\[unused-index\] public\.orders_never_idx: never scanned on any of the 2 instances read/);
});

test('fails when --replica is empty: exit 2, naming it', async () => {
  const { code, err, out } = await inspect(['--url', url(primary), '--replica', '']);
  expect(code).toBe(EXIT.USAGE);
  expect(err).toMatch(/--replica '' names no instance/);
  expect(out).toBe('');
});
