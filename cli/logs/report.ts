/**
 * The report for people: each section ranked by impact and cut at --top (`--all` lists
 * everything; --json always holds everything), statements normalized, every line printable
 * (cli/terminal.ts: the log holds what clients sent). The layout follows inspect's.
 */
import { printable } from '../terminal';
import type { LogsAnalysis } from './aggregate';

/** What the report says about where the log came from. */
export interface LogsSource {
  /** `cloudwatch`, `log-files` (the instance's own files) or `file` (a local file). */
  readonly kind: 'cloudwatch' | 'log-files' | 'file';
  readonly instance: string | null;
  readonly region: string | null;
  /** The instance a read replica replicates (its log is its own). */
  readonly replicaOf: string | null;
  readonly logGroup: string | null;
  readonly files: string[];
}

/** Everything --json prints after the envelope. */
export interface LogsReport extends LogsAnalysis {
  readonly source: LogsSource;
  readonly window: { readonly from: string; readonly to: string };
  readonly thresholds: { readonly tempFileMinBytes: number };
  /** Whether examples hold statements as logged (--include-query-text); else normalized. */
  readonly queryText: boolean;
  readonly pgbadger: { readonly file: string; readonly lines: number; readonly command: string } | null;
  /** What the log cannot show with the instance's settings, and other remarks. */
  readonly notes: string[];
}

const n = (v: number) => v.toLocaleString('en-US');
/** A time as the report shows it: ISO 8601 UTC, without milliseconds (the log has none). */
const t = (iso: string | null) => (iso === null ? '-' : iso.replace(/\.000Z$/, 'Z'));
const ms = (v: number) => (v >= 100 ? n(Math.round(v)) : v.toFixed(1));
const s = (v: number) => `${v.toFixed(v >= 10 ? 0 : 2)} s`;
const plural = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function table(header: string[], rows: string[][], right: number[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}

/** The text report; `top` rows per section (Infinity with --all). */
export function renderLogsText(r: LogsReport, top: number): string {
  const out: string[] = [];
  const more = (total: number, shown: number) => { if (total > shown) out.push(`  … ${n(total - shown)} more (--all or --json lists them)`); };
  const src = r.source;
  const from = src.kind === 'cloudwatch' ? `CloudWatch Logs ${src.logGroup}` : src.kind === 'log-files' ? `${plural(src.files.length, 'log file')} of the instance` : src.files[0];
  out.push(`db-playbook logs: ${src.instance ?? src.files[0]}${src.region ? ` (${src.region})` : ''}${src.replicaOf ? `, a read replica of ${src.replicaOf}: its own log` : ''}, from ${from}`);
  out.push(`window ${t(r.window.from)} .. ${t(r.window.to)}; entries ${t(r.first)} .. ${t(r.last)}`);
  const c = r.counts;
  out.push(`read ${plural(c.lines, 'line')}, ${plural(c.entries, 'entry', 'entries')}; skipped ${plural(c.malformed, 'malformed line')}, ${plural(c.orphans, 'orphan line')} (no entry before them)${c.truncated ? `, ${plural(c.truncated, 'line')} past the entry bound` : ''}${c.outsideWindow ? `, ${plural(c.outsideWindow, 'entry', 'entries')} outside the window` : ''}`);
  for (const ex of c.malformedExamples.slice(0, 2)) out.push(`  malformed: ${oneLine(ex, 100)}`);

  out.push('', 'Slow statements (log_min_duration_statement), by total time');
  if (r.slowStatements.length === 0) out.push('  none');
  else {
    const rows = r.slowStatements.slice(0, top);
    out.push(...table(['count', 'total ms', 'max ms', 'statement'], rows.map((g) => [n(g.count), ms(g.totalMs), ms(g.maxMs), oneLine(g.statement, 100)]), [0, 1, 2]));
    more(r.slowStatements.length, rows.length);
    for (const [k, g] of rows.slice(0, Math.min(3, top)).entries()) {
      const e = g.example;
      out.push(`  #${k + 1} slowest: ${t(e.time)} ${e.user}@${e.database} pid ${e.pid}, ${ms(e.durationMs)} ms${e.plan === null ? ' (no auto_explain plan logged)' : ', plan:'}`);
      if (r.queryText) out.push(`      ${oneLine(e.text, 110)}`);
      if (e.plan !== null) {
        const lines = e.plan.split('\n');
        out.push(...lines.slice(0, 12).map((l) => `      ${l}`));
        if (lines.length > 12) out.push(`      … ${n(lines.length - 12)} more plan lines (--json)`);
      }
    }
  }

  out.push('', 'Lock waits (log_lock_waits: waits longer than deadlock_timeout), most first');
  if (r.lockWaits.length === 0) out.push('  none');
  for (const g of r.lockWaits.slice(0, top)) {
    out.push(`  ${g.on} ${g.lockMode}: ${plural(g.waits, 'wait')}, ${n(g.acquired)} acquired (max ${ms(g.maxWaitMs)} ms)${g.deadlocks ? `, ${n(g.deadlocks)} ended in a deadlock` : ''}${g.cancelled ? `, ${n(g.cancelled)} cancelled by lock_timeout` : ''}`);
    for (const w of g.waiting.slice(0, 3)) out.push(`    waiting (${n(w.count)}): ${oneLine(w.statement, 100)}`);
    for (const b of g.blocking.slice(0, 3)) out.push(`    held by pid ${b.pid} (${n(b.count)}); ${b.lastLoggedStatement === null ? 'no statement of it in the log' : `its last logged statement: ${oneLine(b.lastLoggedStatement, 80)}`}`);
  }
  more(r.lockWaits.length, Math.min(top, r.lockWaits.length));
  out.push('', `Deadlocks: ${n(r.deadlocks.count)}`);
  for (const d of r.deadlocks.details.slice(0, top)) {
    out.push(`  ${t(d.time)} ${d.user}@${d.database}${d.relation ? ` on ${d.relation}` : ''}:`);
    for (const p of d.processes) out.push(`    pid ${p.pid}${p.waitsFor ? ` waits for ${p.waitsFor}, blocked by ${p.blockedBy}` : ''}: ${p.statement === null ? '-' : oneLine(p.statement, 90)}`);
  }
  more(r.deadlocks.count, Math.min(top, r.deadlocks.details.length));

  out.push('', 'Autovacuum per table (log_autovacuum_min_duration), by time spent');
  if (r.autovacuum.length === 0) out.push('  none');
  else {
    const rows = r.autovacuum.slice(0, top);
    out.push(...table(['vacuums', 'analyzes', 'total', 'max', 'tuples removed', 'buffers hit/miss/dirtied', 'table'],
      rows.map((t) => [n(t.vacuums), n(t.analyzes), s(t.totalSeconds), s(t.maxSeconds), n(t.tuplesRemoved), `${n(t.bufferHits)}/${n(t.bufferMisses)}/${n(t.bufferDirtied)}`,
        `${t.table}${t.wraparound ? ` (${n(t.wraparound)} to prevent wraparound)` : t.aggressive ? ` (${n(t.aggressive)} aggressive)` : ''}`]), [0, 1, 2, 3, 4]));
    more(r.autovacuum.length, rows.length);
  }

  const tf = r.tempFiles;
  out.push('', `Temporary files (log_temp_files): ${plural(tf.count, 'file')}, ${formatBytes(tf.totalBytes)}${r.thresholds.tempFileMinBytes > 0 ? `; ${n(tf.overThreshold)} of >= ${formatBytes(r.thresholds.tempFileMinBytes)}` : ''}`);
  if (tf.groups.length > 0) {
    const rows = tf.groups.slice(0, top);
    out.push(...table(['files', 'total', 'largest', 'statement'], rows.map((g) => [n(g.count), formatBytes(g.totalBytes), formatBytes(g.maxBytes), oneLine(g.statement, 100)]), [0, 1, 2]));
    more(tf.groups.length, rows.length);
  }

  const cp = r.checkpoints;
  out.push('', `Checkpoints (log_checkpoints): ${plural(cp.completed, 'checkpoint')}${cp.restartpoints ? `, ${plural(cp.restartpoints, 'restartpoint')}` : ''}`);
  if (cp.completed + cp.restartpoints > 0) {
    out.push(`  by reason: ${Object.entries(cp.byReason).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
    out.push(`  ${n(cp.buffersWritten)} buffers written; total ${s(cp.totalSeconds)} (write ${s(cp.writeSeconds)}, sync ${s(cp.syncSeconds)}), longest ${s(cp.maxSeconds)}, max distance ${formatBytes(cp.maxDistanceKb * 1024)}`);
  }
  if (cp.tooFrequent > 0) out.push(`  "checkpoints are occurring too frequently": ${n(cp.tooFrequent)}, as little as ${cp.minSecondsApart} s apart (raise max_wal_size)`);

  out.push('', 'Connection errors and authentication failures');
  if (r.connectionProblems.length === 0) out.push('  none');
  else {
    const rows = r.connectionProblems.slice(0, top);
    out.push(...table(['count', 'kind', 'sqlstate', 'user', 'from', 'message'], rows.map((g) => [n(g.count), g.kind, g.sqlState ?? '?', g.user || '-', g.host || '-', oneLine(g.message, 80)]), [0]));
    more(r.connectionProblems.length, rows.length);
  }

  out.push('', 'Errors by SQL state (derived from the message text unless log_error_verbosity is verbose)');
  if (r.errors.length === 0) out.push('  none');
  else {
    const rows = r.errors.slice(0, top);
    out.push(...table(['count', 'sqlstate', 'severity', 'condition', 'message'], rows.map((g) => [
      n(g.count), g.sqlState ?? '?', Object.entries(g.bySeverity).map(([k, v]) => `${k} ${n(v)}`).join(' '), g.condition ?? '-', oneLine(g.messages[0]?.message ?? '', 70),
    ]), [0]));
    more(r.errors.length, rows.length);
  }
  const overflow = Object.entries(r.overflow);
  if (overflow.length > 0) out.push('', `Not grouped (more distinct groups than kept): ${overflow.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  if (r.pgbadger) out.push('', `pgbadger: ${plural(r.pgbadger.lines, 'line')} in ${r.pgbadger.file}`, `  ${r.pgbadger.command}`);
  if (r.notes.length > 0) out.push('', 'Notes', ...r.notes.map((x) => `  - ${x}`));
  return `${out.map(printable).join('\n')}\n`;
}
