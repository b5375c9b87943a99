/**
 * Autovacuum benchmark: PostgreSQL's defaults vs the tuned parameter group's values vs those
 * values plus the per-table settings `db-playbook inspect` recommends for the hot table.
 *
 *   npx tsx bench/autovacuum.ts [--seconds 180] [--rows 200000] [--clients 4]
 *
 * Three real PostgreSQL 17.9 servers (the engine the library deploys, from the test bed's npm
 * package) run the same update-heavy workload side by side: one with PostgreSQL's defaults, one
 * with every value the synthesized TunedParameterGroup sets (except rds.* and
 * shared_preload_libraries, which do not change vacuuming), and a third with the tuned values
 * whose hot table got the `ALTER TABLE … SET (…)` of inspect's autovacuum-settings finding: before
 * the measured run the third server gets a warm-up of the same workload, then the committed bin
 * (`assets/cli/db-playbook.js inspect --json`) reads it and its advice is applied as printed. The
 * workload is pgbench's "update one random row" transaction, driven by `--clients` connections of
 * node-postgres (the npm package ships no pgbench). Every 10 s it samples the table's dead-tuple
 * ratio, table and index size and autovacuum runs, then prints the three series and the ratios,
 * and writes the dead-tuple series as an SVG chart (bench/autovacuum-dead-tuples.svg, which
 * README shows). A benchmark, not a test: it prints figures and asserts nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
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
const WARMUP_SECONDS = arg('warmup', 40);
const BIN = path.join(__dirname, '..', 'assets', 'cli', 'db-playbook.js');
const SVG = path.join(__dirname, 'autovacuum-dead-tuples.svg');
const NAMES = ['default', 'tuned', 'per-table'] as const;
type Name = typeof NAMES[number];

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
async function runWorkload(server: PostgresServer, seconds = SECONDS): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
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
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

/**
 * Warms `server` up with the workload, asks `db-playbook inspect --json` (the committed bin) for
 * its autovacuum-settings advice on accounts and applies it; resolves to the statement applied.
 */
async function applyInspectAdvice(server: PostgresServer): Promise<string> {
  const c = await server.client();
  await c.query('SELECT pg_stat_reset()');
  await c.end();
  await runWorkload(server, WARMUP_SECONDS);
  const r = spawnSync(process.execPath, [BIN, 'inspect', '--url', `${server.connectionString()}?sslmode=disable`, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`inspect exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { autovacuumAdvice: { table: string; sql: string }[] };
  const advice = report.autovacuumAdvice.find((a) => a.table === 'public.accounts');
  if (!advice) throw new Error(`inspect gave no autovacuum-settings advice for public.accounts after ${WARMUP_SECONDS} s: ${JSON.stringify(report.autovacuumAdvice)}`);
  const a = await server.client();
  try {
    await a.query(advice.sql);
    // The measured run starts from a vacuumed table, as the other servers' (their tables are fresh).
    await a.query('VACUUM accounts');
  } finally {
    await a.end();
  }
  return advice.sql;
}

/** The dead-tuple series as an SVG line chart (no dependency: a few lines of SVG). */
function svgChart(series: Record<Name, Sample[]>, title: string): string {
  const [w, h, left, bottom, top, right] = [720, 360, 56, 40, 36, 150];
  const maxT = Math.max(...Object.values(series).flatMap((xs) => xs.map((x) => x.t)));
  const maxY = Math.max(10, Math.ceil(Math.max(...Object.values(series).flatMap((xs) => xs.map((x) => x.deadRatio * 100))) / 10) * 10);
  const x = (t: number) => left + ((w - left - right) * t) / maxT;
  const y = (v: number) => h - bottom - ((h - bottom - top) * v) / maxY;
  const colors: Record<Name, string> = { default: '#d62728', tuned: '#1f77b4', 'per-table': '#2ca02c' };
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`, `<text x="${left}" y="20" font-size="14">${title}</text>`];
  for (let v = 0; v <= maxY; v += 10) {
    out.push(`<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v} %</text>`);
  }
  for (let t = 0; t <= maxT; t += 30) out.push(`<text x="${x(t)}" y="${h - bottom + 16}" text-anchor="middle">${t} s</text>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${h - bottom}" stroke="#333"/>`, `<line x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}" stroke="#333"/>`);
  NAMES.forEach((name, k) => {
    const points = series[name].map((s) => `${x(s.t).toFixed(1)},${y(s.deadRatio * 100).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${colors[name]}" stroke-width="2" points="${points}"/>`,
      `<line x1="${w - right + 12}" x2="${w - right + 32}" y1="${top + 10 + k * 20}" y2="${top + 10 + k * 20}" stroke="${colors[name]}" stroke-width="2"/>`,
      `<text x="${w - right + 38}" y="${top + 14 + k * 20}">${name}</text>`);
  });
  out.push(`<text x="${(left + w - right) / 2}" y="${h - 6}" text-anchor="middle">dead tuples / (live + dead) of the updated table, sampled every ${SAMPLE_EVERY} s</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const tuned = tunedSettings();
  process.stdout.write(`autovacuum benchmark: ${ROWS} rows, ${CLIENTS} clients, ${SECONDS} s, PostgreSQL ${pgServerVersion()}, node ${process.version}\n`);
  process.stdout.write(`tuned settings: ${Object.entries(tuned).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const servers: Record<Name, PostgresServer> = {
    'default': await startPostgres({ settings: { fsync: 'off' } }),
    'tuned': await startPostgres({ settings: { ...tuned, fsync: 'off' } }),
    'per-table': await startPostgres({ settings: { ...tuned, fsync: 'off' } }),
  };
  try {
    await Promise.all(Object.values(servers).map(prepare));
    const applied = await applyInspectAdvice(servers['per-table']);
    process.stdout.write(`per-table: the tuned settings, and after a ${WARMUP_SECONDS} s warm-up, inspect's advice: ${applied}\n\n`);
    const series: Record<Name, Sample[]> = { 'default': [], 'tuned': [], 'per-table': [] };
    const runs = Object.fromEntries(NAMES.map((name) => [name, runWorkload(servers[name])])) as Record<Name, Promise<number>>;
    for (let t = SAMPLE_EVERY; t <= SECONDS; t += SAMPLE_EVERY) {
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY * 1000));
      for (const name of NAMES) series[name].push(await sample(servers[name], t));
    }
    const outputs = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await runs[n]] as const))) as Record<Name, number>;
    process.stdout.write('   t | dead %  default  tuned  per-table | table MB default  tuned  per-table | index MB default  tuned  per-table | autovacuums default  tuned  per-table\n');
    series.default.forEach((d, i) => {
      const [u, p] = [series.tuned[i], series['per-table'][i]];
      const cols = (f: (s: Sample) => string, width: number) => `${f(d).padStart(width)} ${f(u).padStart(6)} ${f(p).padStart(10)}`;
      process.stdout.write(`${String(d.t).padStart(4)} | ${cols((s) => (s.deadRatio * 100).toFixed(2), 15)} | ${cols((s) => s.tableMb.toFixed(1), 16)} | `
        + `${cols((s) => s.indexMb.toFixed(1), 16)} | ${cols((s) => String(s.autovacuums), 19)}\n`);
    });
    const mean = (xs: Sample[], f: (s: Sample) => number) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    const last = (xs: Sample[]) => xs[xs.length - 1];
    const [d, u, p] = [series.default, series.tuned, series['per-table']];
    process.stdout.write('\nsummary                      default      tuned  per-table   tuned/default  per-table/default\n');
    const row = (label: string, a: number, b: number, c: number, digits = 2) =>
      process.stdout.write(`${label.padEnd(26)} ${a.toFixed(digits).padStart(10)} ${b.toFixed(digits).padStart(10)} ${c.toFixed(digits).padStart(10)} ${(b / a).toFixed(2).padStart(15)} ${(c / a).toFixed(2).padStart(18)}\n`);
    row('mean dead tuples %', mean(d, (s) => s.deadRatio * 100), mean(u, (s) => s.deadRatio * 100), mean(p, (s) => s.deadRatio * 100));
    row('max dead tuples %', Math.max(...d.map((s) => s.deadRatio * 100)), Math.max(...u.map((s) => s.deadRatio * 100)), Math.max(...p.map((s) => s.deadRatio * 100)));
    row('final table MB', last(d).tableMb, last(u).tableMb, last(p).tableMb, 1);
    row('final index MB', last(d).indexMb, last(u).indexMb, last(p).indexMb, 1);
    row('autovacuum runs', last(d).autovacuums, last(u).autovacuums, last(p).autovacuums, 0);
    row('throughput (tps)', outputs.default, outputs.tuned, outputs['per-table'], 0);
    fs.writeFileSync(SVG, svgChart(series, `Dead tuples, ${ROWS.toLocaleString('en-US')} rows, ${CLIENTS} clients updating at random, PostgreSQL ${pgServerVersion()}`));
    process.stdout.write(`\nchart: ${path.relative(process.cwd(), SVG)}\n`);
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

main().catch((e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exitCode = 1; });
