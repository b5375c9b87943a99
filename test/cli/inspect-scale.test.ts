/**
 * `db-playbook inspect` on issue #19's scenario, on a real PostgreSQL 17.9 server: 3,000 small
 * tables with 4 indexes each (12,000 indexes, 9,000 of them never scanned) and one large table
 * read by sequential scans on an unindexed column. The default text report must stay readable
 * (at most ~150 lines, the one finding that matters first, the small ones folded with their
 * count and total size); --all and --json stay complete. Sized for CI time; bench/inspect.ts
 * measures 10,000 tables (the wall time is a benchmark's figure, not a timed test).
 */
import { EXIT } from '../../cli/errors';
import type { JsonEnvelope } from '../../cli/json-output';
import type { inspectJson as inspectDocument } from '../../cli/commands/inspect';
import { main } from '../../cli/program';
import { buildBigTable, buildSmallTables } from '../support/catalog-at-scale';
import { fakeIo } from '../support/fake-io';
import { PostgresServer, startPostgres } from '../support/postgres-server';

const TABLES = 3_000;
let server: PostgresServer;

async function inspect(extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({});
  const code = await main(['inspect', '--url', `${server.connectionString()}?sslmode=disable`, '--statement-timeout', '60000', ...extra], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  const c = await server.client();
  try {
    await c.query('CREATE EXTENSION pg_stat_statements');
    await buildSmallTables(c, TABLES);
    await buildBigTable(c);
  } finally {
    await c.end();
  }
}, 240_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

describe(`${TABLES.toLocaleString('en-US')} tables, ${(TABLES * 4).toLocaleString('en-US')} indexes`, () => {
  let text: string;
  let json: JsonEnvelope & ReturnType<typeof inspectDocument>;

  beforeAll(async () => {
    const t = await inspect([]);
    expect(t).toMatchObject({ code: EXIT.OK, err: '' });
    text = t.out;
    const j = await inspect(['--json']);
    json = JSON.parse(j.out);
  }, 180_000);

  test('the text report is at most 150 lines, the large table\'s missing index first', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(150);
    const findings = lines.filter((l) => /^\s+\[/.test(l));
    // Live rows are the statistics' estimate (n_live_tup), not a count: a CI run read 400,000 for the
    // 200,000 rows, an autovacuum ANALYZE having raced the insert's own count. The order is what matters.
    expect(findings[0]).toMatch(/^\s+\[missing-index\] public\.big: [\d,]+ live rows, indexes used in 0\.0 % of scans/);
    expect(text).toContain('CREATE INDEX CONCURRENTLY big_ref_idx ON public.big (ref);');
  });

  test('folds the small unused indexes into one line with their count and total size', () => {
    // 9,000 secondary indexes of the small tables and big_note_idx are never scanned; 10 are listed.
    expect(text).toMatch(/^ {2}… and 8,991 more unused indexes, \d+ MB in all: --all to list$/m);
    // The largest comes first: the large table's index, not an 8 kB one of an empty table.
    expect(text).toMatch(/\[unused-index\] public\.big_note_idx: never scanned, [\d.]+ MB/);
    expect(text.match(/\[unused-index\]/g)).toHaveLength(10);
  });

  test('--json lists every finding; --all prints every one', async () => {
    expect(json.unusedIndexes).toHaveLength(TABLES * 3 + 1);
    expect(json.findings.filter((f) => f.rule === 'unused-index')).toHaveLength(TABLES * 3 + 1);
    const all = await inspect(['--all']);
    expect(all.out.match(/\[unused-index\]/g)).toHaveLength(TABLES * 3 + 1);
    expect(all.out).not.toMatch(/--all to list/);
  }, 120_000);
});
