/**
 * Autovacuum benchmark: PostgreSQL's defaults vs the tuned parameter group's values.
 *
 *   npx tsx bench/autovacuum.ts [--seconds 180] [--rows 200000] [--clients 4]
 *
 * Two real PostgreSQL 17.9 servers (the engine the library deploys, from the test bed's npm
 * package) run the same update-heavy workload side by side: one with PostgreSQL's defaults, one
 * with every value the synthesized TunedParameterGroup sets (except rds.* and
 * shared_preload_libraries, which do not change vacuuming). The workload is pgbench's "update one
 * random row" transaction, driven by `--clients` connections of node-postgres (the npm package
 * ships no pgbench). Every 10 s it samples the table's dead-tuple ratio, table and index size and
 * autovacuum runs, then prints both series and the ratios. A benchmark, not a test: it prints
 * figures and asserts nothing.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TunedParameterGroup } from '../lib';
import { pgServerVersion } from '../test/support/postgres-binaries';
import { PostgresServer, startPostgres } from '../test/support/postgres-server';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SECONDS = arg('seconds', 180);
const ROWS = arg('rows', 200_000);
const CLIENTS = arg('clients', 4);
const SAMPLE_EVERY = 10;

/** The parameters the synthesized template sets that PostgreSQL itself knows and that vacuuming reads. */
function tunedSettings(): Record<string, string> {
  const stack = new Stack(new App(), 'Bench');
  new TunedParameterGroup(stack, 'Group').bindToInstance({});
  const params = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBParameterGroup'))[0].Properties.Parameters as Record<string, string>;
  return Object.fromEntries(Object.entries(params).filter(([k]) => !k.startsWith('rds.') && k !== 'shared_preload_libraries' && !k.startsWith('auto_explain.')));
}

interface Sample { t: number; deadRatio: number; tableMb: number; indexMb: number; autovacuums: number }

async function sample(server: PostgresServer, t: number): Promise<Sample> {
  const c = await server.client();
  try {
    const r = await c.query(`SELECT n_dead_tup::float / greatest(n_live_tup + n_dead_tup, 1) AS dead,
        pg_table_size('accounts') / 1048576.0 AS table_mb, pg_indexes_size('accounts') / 1048576.0 AS index_mb,
        autovacuum_count FROM pg_stat_user_tables WHERE relname = 'accounts'`);
    const row = r.rows[0];
    return { t, deadRatio: Number(row.dead), tableMb: Number(row.table_mb), indexMb: Number(row.index_mb), autovacuums: Number(row.autovacuum_count) };
  } finally {
    await c.end();
  }
}

async function prepare(server: PostgresServer): Promise<void> {
  const c = await server.client();
  await c.query('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())');
  await c.query('CREATE INDEX accounts_updated_at ON accounts (updated_at)');
  await c.query(`INSERT INTO accounts SELECT g, 0, repeat('x', 80), now() FROM generate_series(1, ${ROWS}) g`);
  await c.query('ANALYZE accounts');
  await c.end();
}

/**
 * `CLIENTS` connections, each updating one random row per transaction (autocommit, a prepared
 * statement) until `SECONDS` have passed. Resolves to the transactions per second of all of them.
 */
async function runWorkload(server: PostgresServer): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  const counts = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const c = await server.client();
    let n = 0;
    try {
      while (Date.now() < deadline) {
        await c.query({ name: 'update', text: 'UPDATE accounts SET balance = balance + 1, updated_at = now() WHERE id = $1', values: [1 + Math.floor(Math.random() * ROWS)] });
        n++;
      }
    } finally {
      await c.end();
    }
    return n;
  }));
  return counts.reduce((a, b) => a + b, 0) / SECONDS;
}

async function main(): Promise<void> {
  const tuned = tunedSettings();
  process.stdout.write(`autovacuum benchmark: ${ROWS} rows, ${CLIENTS} clients, ${SECONDS} s, PostgreSQL ${pgServerVersion()}, node ${process.version}\n`);
  process.stdout.write(`tuned settings: ${Object.entries(tuned).map(([k, v]) => `${k}=${v}`).join(' ')}\n\n`);
  const servers: Record<string, PostgresServer> = {
    default: await startPostgres({ settings: { fsync: 'off' } }),
    tuned: await startPostgres({ settings: { ...tuned, fsync: 'off' } }),
  };
  try {
    await Promise.all(Object.values(servers).map(prepare));
    const series: Record<string, Sample[]> = { default: [], tuned: [] };
    const runs = Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, runWorkload(s)]));
    for (let t = SAMPLE_EVERY; t <= SECONDS; t += SAMPLE_EVERY) {
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY * 1000));
      for (const [name, s] of Object.entries(servers)) series[name].push(await sample(s, t));
    }
    const outputs = Object.fromEntries(await Promise.all(Object.entries(runs).map(async ([n, p]) => [n, await p] as const)));
    process.stdout.write('   t |  dead % default  tuned | table MB default  tuned | index MB default  tuned | autovacuums default  tuned\n');
    series.default.forEach((d, i) => {
      const u = series.tuned[i];
      process.stdout.write(`${String(d.t).padStart(4)} | ${(d.deadRatio * 100).toFixed(2).padStart(14)} ${(u.deadRatio * 100).toFixed(2).padStart(6)} | `
        + `${d.tableMb.toFixed(1).padStart(16)} ${u.tableMb.toFixed(1).padStart(6)} | ${d.indexMb.toFixed(1).padStart(16)} ${u.indexMb.toFixed(1).padStart(6)} | `
        + `${String(d.autovacuums).padStart(19)} ${String(u.autovacuums).padStart(6)}\n`);
    });
    const mean = (xs: Sample[], f: (s: Sample) => number) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    const last = (xs: Sample[]) => xs[xs.length - 1];
    const [d, u] = [series.default, series.tuned];
    process.stdout.write('\nsummary                      default      tuned   tuned/default\n');
    const row = (label: string, a: number, b: number, digits = 2) =>
      process.stdout.write(`${label.padEnd(26)} ${a.toFixed(digits).padStart(10)} ${b.toFixed(digits).padStart(10)} ${(b / a).toFixed(2).padStart(14)}\n`);
    row('mean dead tuples %', mean(d, (s) => s.deadRatio * 100), mean(u, (s) => s.deadRatio * 100));
    row('max dead tuples %', Math.max(...d.map((s) => s.deadRatio * 100)), Math.max(...u.map((s) => s.deadRatio * 100)));
    row('final table MB', last(d).tableMb, last(u).tableMb, 1);
    row('final index MB', last(d).indexMb, last(u).indexMb, 1);
    row('autovacuum runs', last(d).autovacuums, last(u).autovacuums, 0);
    row('throughput (tps)', outputs.default, outputs.tuned, 0);
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

main().catch((e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exitCode = 1; });
