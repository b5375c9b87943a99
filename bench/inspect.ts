/**
 * inspect at scale: the catalog of issue #19 (many small tables, 4 indexes each, one large table
 * read by sequential scans) on a real PostgreSQL 17.9 server, then `db-playbook inspect` (the
 * committed bin, assets/cli/db-playbook.js, in its own process) timed, with the line count of
 * its text report and the size of its --json.
 *
 *   npx tsx bench/inspect.ts [--tables 10000]
 *
 * Goal (#19): at most ~150 lines of text and at most 10 s on 10,000 tables / 40,000 indexes.
 * A benchmark, not a test: it prints figures and asserts nothing.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { buildBigTable, buildSmallTables } from '../test/support/catalog-at-scale';
import { pgServerVersion } from '../test/support/postgres-binaries';
import { startPostgres } from '../test/support/postgres-server';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const TABLES = arg('tables', 10_000);
const BIN = path.join(__dirname, '..', 'assets', 'cli', 'db-playbook.js');

async function main(): Promise<void> {
  process.stdout.write(`inspect benchmark: ${TABLES} small tables (${TABLES * 4} indexes) + 1 large, PostgreSQL ${pgServerVersion()}, node ${process.version}\n`);
  const server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  try {
    const c = await server.client();
    const built = Date.now();
    await c.query('CREATE EXTENSION pg_stat_statements');
    await buildSmallTables(c, TABLES);
    await buildBigTable(c);
    await c.end();
    process.stdout.write(`catalog built in ${((Date.now() - built) / 1000).toFixed(1)} s\n`);
    const url = `${server.connectionString()}?sslmode=disable`;
    for (const [label, extra] of [['text', []], ['--json', ['--json']], ['text --all', ['--all']]] as const) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [BIN, 'inspect', '--url', url, '--statement-timeout', '60000', ...extra], { encoding: 'utf8', maxBuffer: 1024 ** 3 });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (r.status !== 0) process.stdout.write(`${label}: exit ${r.status}: ${r.stderr.slice(0, 500)}\n`);
      const lines = r.stdout.split('\n').length - 1;
      process.stdout.write(`${label.padEnd(12)} ${seconds.toFixed(2).padStart(7)} s  ${String(lines).padStart(7)} lines  ${(r.stdout.length / 1024).toFixed(0).padStart(7)} KiB\n`);
      if (label === 'text') process.stdout.write(`${r.stdout.split('\n').filter((l) => /more|missing-index\]|^\d+ finding/.test(l)).map((l) => `    ${l.slice(0, 160)}`).join('\n')}\n`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exitCode = 1; });
