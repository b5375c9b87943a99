/**
 * `db-playbook logs` at scale: a generated RDS for PostgreSQL log of 1,000,000 lines (and one of
 * 100,000, to show memory does not grow with the log) read with `logs --file`, each in a fresh
 * process; prints lines per second and peak memory (resourceUsage().maxRSS, the largest heapUsed
 * sampled every 50 ms, garbage included) and the heap still held after a full GC at the end (the
 * aggregation's own state and the report: what grows with distinct groups, not with lines).
 *
 *   npx tsx bench/logs.ts [--lines 1000000]
 *
 * The log is RDS's format (the prefix `%t:%r:%u@%d:[%p]:`, tab continuation lines) with the
 * entries of a busy instance in the shapes PostgreSQL 17.9 writes them (test/cli/logs.test.ts reads
 * a real server's): slow statements with their auto_explain plans (2,000 statement shapes over 200
 * tables, every execution with other literals), lock waits, autovacuum runs over 500 tables,
 * temporary files, errors, failed logins, checkpoints, connection lines, and a malformed line every
 * 100,000. Distinct groups are bounded by the shapes, not by the number of lines: that is what
 * keeps the aggregation's memory flat.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runLogs } from '../cli/commands/logs';
import type { Io } from '../cli/context';

const START = Date.UTC(2026, 2, 14, 0, 0, 0);

function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Writes a log of at least `lines` lines to `file`, 1 MB at a time. */
export function generate(file: string, lines: number): number {
  const fd = fs.openSync(file, 'w');
  let buffer: string[] = [];
  let size = 0;
  let written = 0;
  const put = (line: string) => {
    buffer.push(line);
    size += line.length + 1;
    written++;
    if (written % 100_000 === 0) { buffer.push('2026-03-14 13:44:5'); written++; }
    if (size > 1 << 20) { fs.writeSync(fd, `${buffer.join('\n')}\n`); buffer = []; size = 0; }
  };
  for (let i = 0; written < lines; i++) {
    const t = stamp(START + i * 50);
    const pid = 10_000 + (i % 400);
    const p = `${t}:10.0.${i % 250}.${i % 200}(${40_000 + (i % 20_000)}):app@shop:[${pid}]:`;
    const table = `orders_${i % 200}`;
    const shape = i % 2000;
    const statement = `SELECT o.id, o.total FROM ${table} o WHERE o.customer_id = ${i * 7 % 100_000} AND o.status = 'open-${i % 13}' ${shape >= 200 ? `AND o.col_${Math.floor(shape / 200)} = ${shape}` : ''} ORDER BY o.created DESC LIMIT ${10 + (i % 5)}`;
    put(`${p}LOG:  duration: ${5000 + (i % 3000)}.${i % 1000} ms  plan:`);
    put(`\tQuery Text: ${statement}`);
    put(`\tLimit  (cost=0.43..${i % 900}.50 rows=10 width=16)`);
    put(`\t  ->  Index Scan Backward using ${table}_created_idx on ${table} o  (cost=0.43..88123.00 rows=2100 width=16)`);
    put(`\t        Filter: ((customer_id = ${i * 7 % 100_000}) AND (status = 'open-${i % 13}'::text))`);
    put(`${p}LOG:  duration: ${5000 + (i % 3000)}.${(i + 7) % 1000} ms  statement: ${statement}`);
    put(`${p}LOG:  connection received: host=10.0.${i % 250}.${i % 200} port=${40_000 + (i % 20_000)}`);
    if (i % 4 === 0) {
      put(`${p}LOG:  process ${pid} still waiting for ShareLock on transaction ${i} after 1000.${i % 1000} ms`);
      put(`${p}DETAIL:  Process holding the lock: ${pid + 1}. Wait queue: ${pid}.`);
      put(`${p}CONTEXT:  while updating tuple (0,${i % 90}) in relation "${table}"`);
      put(`${p}STATEMENT:  UPDATE ${table} SET total = total + ${i % 100} WHERE id = ${i}`);
    }
    if (i % 5 === 0) {
      const vacuum = `${t}::@:[${900 + (i % 3)}]:LOG:  automatic vacuum of table "shop.public.items_${(i / 5) % 500}": index scans: 1`;
      put(vacuum);
      put(`\tpages: 0 removed, ${i % 9000} remain, ${i % 9000} scanned (100.00% of total)`);
      put(`\ttuples: ${i % 5000} removed, ${i % 90_000} remain, 0 are dead but not yet removable`);
      put(`\tremovable cutoff: ${i}, which was 0 XIDs old when operation ended`);
      put(`\tindex scan needed: ${i % 90} pages from table (66.67% of total) had ${i % 5000} dead item identifiers removed`);
      put('\tavg read rate: 0.000 MB/s, avg write rate: 12.545 MB/s');
      put(`\tbuffer usage: ${i % 800} hits, ${i % 30} misses, ${i % 40} dirtied`);
      put(`\tWAL usage: ${i % 300} records, 1 full page images, ${i % 90_000} bytes`);
      put(`\tsystem usage: CPU: user: 0.0${i % 9} s, system: 0.00 s, elapsed: 1.${i % 99} s`);
    }
    if (i % 7 === 0) {
      put(`${p}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp${pid}.${i % 9}", size ${1_048_576 + i}`);
      put(`${p}STATEMENT:  SELECT * FROM ${table} ORDER BY created`);
    }
    if (i % 11 === 0) {
      put(`${p}ERROR:  duplicate key value violates unique constraint "${table}_pkey"`);
      put(`${p}DETAIL:  Key (id)=(${i}) already exists.`);
      put(`${p}STATEMENT:  INSERT INTO ${table} (id, total) VALUES (${i}, ${i % 100})`);
    }
    if (i % 13 === 0) {
      put(`${t}:10.9.${i % 250}.1(${50_000 + (i % 9000)}):app${i % 20}@shop:[${pid + 5000}]:FATAL:  password authentication failed for user "app${i % 20}"`);
      put(`${t}:10.9.${i % 250}.1(${50_000 + (i % 9000)}):app${i % 20}@shop:[${pid + 5000}]:DETAIL:  Connection matched file "/rdsdbdata/config/pg_hba.conf" line 13: "host all all 0.0.0.0/0 scram-sha-256"`);
    }
    if (i % 3000 === 0) {
      put(`${t}::@:[901]:LOG:  checkpoint starting: time`);
      put(`${t}::@:[901]:LOG:  checkpoint complete: wrote ${i % 9000} buffers (0.7%); 0 WAL file(s) added, 0 removed, 1 recycled; write=26.9 s, sync=0.01 s, total=27.0 s; sync files=40, longest=0.003 s, average=0.001 s; distance=${i % 90_000} kB, estimate=90000 kB; lsn=0/1000000, redo lsn=0/1000000`);
    }
  }
  fs.writeSync(fd, `${buffer.join('\n')}\n`);
  fs.closeSync(fd);
  return written;
}

/** In the child: reads `file` with `logs --file` and prints one JSON line of figures. */
async function child(file: string): Promise<void> {
  let peakHeap = 0;
  const timer = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed); }, 50);
  let out = '';
  const io: Io = {
    stdout: (text) => { out += text; }, stderr: () => undefined, env: {}, isTty: false, columns: 100,
    now: () => START + 86_400_000, sleep: async () => undefined, onInterrupt: () => () => undefined,
  };
  const started = process.hrtime.bigint();
  const report = await runLogs({ file, from: new Date(START).toISOString(), to: new Date(START + 86_400_000).toISOString(), tempFileMin: '0', top: 10 },
    { io, globals: () => ({}), setCode: () => undefined });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeap = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({
    lines: report.counts.lines, entries: report.counts.entries, malformed: report.counts.malformed, ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024, peakHeapMb: peakHeap / 2 ** 20, retainedHeapMb: retainedHeap / 2 ** 20, groups: report.slowStatements.length, tables: report.autovacuum.length, reportChars: out.length,
  })}\n`);
}

async function parent(): Promise<void> {
  const arg = process.argv.indexOf('--lines');
  const big = arg > 0 ? Number(process.argv[arg + 1]) : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-logs-'));
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  try {
    process.stdout.write(`db-playbook logs benchmark, node ${process.version}, ${os.cpus().length} cores\n`);
    process.stdout.write('lines       entries     malformed  MB on disk  seconds  lines/s    peak RSS MB  peak heap MB  heap after GC MB  statement groups  tables\n');
    for (const lines of [Math.round(big / 10), big]) {
      const file = path.join(dir, `postgresql.log.${lines}`);
      generate(file, lines);
      const mb = fs.statSync(file).size / 2 ** 20;
      const r = JSON.parse(execFileSync(tsx, [__filename, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, NODE_OPTIONS: '--expose-gc' } }).trim()) as {
        lines: number; entries: number; malformed: number; ms: number; maxRssMb: number; peakHeapMb: number; retainedHeapMb: number; groups: number; tables: number;
      };
      process.stdout.write(`${r.lines.toLocaleString('en-US').padEnd(12)}${r.entries.toLocaleString('en-US').padEnd(12)}${String(r.malformed).padEnd(11)}${mb.toFixed(0).padEnd(12)}`
        + `${(r.ms / 1000).toFixed(1).padEnd(9)}${Math.round(r.lines / (r.ms / 1000)).toLocaleString('en-US').padEnd(11)}${r.maxRssMb.toFixed(0).padEnd(13)}${r.peakHeapMb.toFixed(0).padEnd(14)}${r.retainedHeapMb.toFixed(1).padEnd(18)}${String(r.groups).padEnd(18)}${r.tables}\n`);
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const childArg = process.argv.indexOf('--child');
  (childArg > 0 ? child(process.argv[childArg + 1]) : parent()).catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
