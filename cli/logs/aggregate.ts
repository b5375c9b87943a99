/**
 * The log's entries summed up as `db-playbook logs` reports them, in memory bounded by what the
 * log holds distinct (statements, tables, error kinds), not by its length: each section keeps at
 * most MAX_GROUPS groups (a group beyond it is counted in `overflow`), one example per group,
 * and the deadlocks' details up to MAX_DEADLOCKS (all of them counted).
 *
 * Statements are grouped by their normalized text (normalize.ts): literals never reach a group's
 * key. The example of a group is its slowest execution; its text and plan are kept as logged only
 * with `includeText` (--include-query-text), else normalized (the plan with its quoted literals
 * masked).
 */
import { classify, Deadlock, LockWait } from './classify';
import type { LineCounts, LogEntry } from './entries';
import { normalizeStatement } from './normalize';
import { messagePattern, sqlStateOf } from './sqlstate';

export const MAX_GROUPS = 5000;
export const MAX_DEADLOCKS = 200;
/** The pids whose last logged statement is remembered (to name what held a lock). */
const MAX_PIDS = 10_000;

/** Where an event happened. */
export interface Where {
  readonly time: string;
  readonly user: string;
  readonly database: string;
  readonly pid: number;
}

export interface SlowStatementGroup {
  /** The normalized statement. */
  readonly statement: string;
  count: number;
  totalMs: number;
  maxMs: number;
  /** The slowest execution: when, who, its text (normalized without --include-query-text) and auto_explain's plan (null when none was logged). */
  example: Where & { durationMs: number; text: string; plan: string | null };
}

export interface LockWaitGroup {
  /** The relation (CONTEXT) or what the lock is on. */
  readonly on: string;
  readonly lockMode: string;
  /** Waits past deadlock_timeout (`still waiting`). */
  waits: number;
  /** How many were granted after waiting, and how many ended in a deadlock check or lock_timeout. */
  acquired: number;
  deadlocks: number;
  cancelled: number;
  maxWaitMs: number;
  totalWaitMs: number;
  /** Waiting statements, normalized, with how often. */
  waiting: { statement: string; count: number }[];
  /**
   * What held the lock: the holder's pid, and the last statement the log has of that pid before
   * the wait (else its next one). The log holds only statements that were slow, failed or waited:
   * the one that took the lock may be another of the holder's transaction, not logged.
   */
  blocking: { pid: number; lastLoggedStatement: string | null; count: number }[];
  example: Where & { afterMs: number };
}

export interface DeadlockReport extends Where {
  readonly relation: string | null;
  readonly processes: { pid: number; waitsFor: string | null; blockedBy: number | null; statement: string | null }[];
}

export interface AutovacuumTable {
  readonly table: string;
  vacuums: number;
  analyzes: number;
  aggressive: number;
  wraparound: number;
  totalSeconds: number;
  maxSeconds: number;
  tuplesRemoved: number;
  pagesRemoved: number;
  deadNotRemovable: number;
  bufferHits: number;
  bufferMisses: number;
  bufferDirtied: number;
  walBytes: number;
  last: string;
}

export interface TempFileGroup {
  readonly statement: string;
  count: number;
  totalBytes: number;
  maxBytes: number;
  example: Where & { bytes: number; text: string };
}

export interface Checkpoints {
  /** Completed checkpoints (restartpoints on a replica), by the reason their start logged. */
  completed: number;
  restartpoints: number;
  byReason: Record<string, number>;
  buffersWritten: number;
  totalSeconds: number;
  maxSeconds: number;
  writeSeconds: number;
  syncSeconds: number;
  maxDistanceKb: number;
  /** `checkpoints are occurring too frequently` warnings, and the shortest gap they name. */
  tooFrequent: number;
  minSecondsApart: number | null;
}

export interface ConnectionProblemGroup {
  /** `authentication` (SQLSTATE class 28: a wrong password, IAM/PAM, no pg_hba.conf entry, an unknown role) or `connection`. */
  readonly kind: 'authentication' | 'connection';
  readonly sqlState: string | null;
  readonly message: string;
  readonly user: string;
  /** The client's address without its port. */
  readonly host: string;
  count: number;
  first: string;
  last: string;
}

export interface ErrorGroup {
  /** null: not derivable from the text (see sqlstate.ts). */
  readonly sqlState: string | null;
  readonly condition: string | null;
  count: number;
  /** Whether the code came from the line itself (log_error_verbosity verbose) for all, some or none of them. */
  exact: number;
  bySeverity: Record<string, number>;
  /** The messages, values masked, with how often (at most 20 per state). */
  messages: { message: string; count: number }[];
  /** The statements (STATEMENT lines, normalized) that failed most, at most 20. */
  statements: { statement: string; count: number }[];
}

/** Everything `logs` found; `--json` prints it after the envelope. */
export interface LogsAnalysis {
  /** The first and last entry's times. */
  first: string | null;
  last: string | null;
  counts: LineCounts & { bySeverity: Record<string, number>; outsideWindow: number };
  slowStatements: SlowStatementGroup[];
  lockWaits: LockWaitGroup[];
  deadlocks: { count: number; details: DeadlockReport[] };
  autovacuum: AutovacuumTable[];
  tempFiles: { count: number; totalBytes: number; overThreshold: number; groups: TempFileGroup[] };
  checkpoints: Checkpoints;
  connectionProblems: ConnectionProblemGroup[];
  errors: ErrorGroup[];
  /** Groups not kept because a section reached MAX_GROUPS, by section. */
  overflow: Record<string, number>;
}

/** Options of the aggregation. */
export interface AggregateOptions {
  /** Keep the example statements and plans as logged (literals included). */
  readonly includeText: boolean;
  /** Temporary files of at least this many bytes are grouped (all are counted). */
  readonly tempFileMinBytes: number;
  /** Entries outside [from, to] (ms) are skipped and counted. */
  readonly from?: number;
  readonly to?: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function host(remote: string): string {
  return remote.replace(/\(\d+\)$/, '');
}

/** A plan with its quoted literals masked (numbers stay: they are costs and row counts). */
function maskPlan(plan: string): string {
  return plan.replace(/'(?:[^']|'')*'/g, "'…'");
}

function bump<T extends { count: number }>(list: T[], match: (t: T) => boolean, make: () => T, max: number): void {
  const found = list.find(match);
  if (found) found.count++;
  else if (list.length < max) list.push(make());
}

/** Sums up entries one at a time (`add`), then `result()`. */
export class LogAggregator {
  private readonly slow = new Map<string, SlowStatementGroup>();
  private readonly pendingPlans = new Map<number, { key: string; plan: string; text: string; durationMs: number }>();
  private readonly locks = new Map<string, LockWaitGroup>();
  private readonly deadlockDetails: DeadlockReport[] = [];
  private deadlockCount = 0;
  private readonly vacuum = new Map<string, AutovacuumTable>();
  private readonly temp = new Map<string, TempFileGroup>();
  private tempCount = 0;
  private tempBytes = 0;
  private tempOver = 0;
  private readonly checkpoints: Checkpoints = {
    completed: 0, restartpoints: 0, byReason: {}, buffersWritten: 0, totalSeconds: 0, maxSeconds: 0, writeSeconds: 0, syncSeconds: 0, maxDistanceKb: 0, tooFrequent: 0, minSecondsApart: null,
  };
  private readonly checkpointReason = new Map<number, string>();
  private readonly connections = new Map<string, ConnectionProblemGroup>();
  private readonly errors = new Map<string, ErrorGroup>();
  private readonly bySeverity: Record<string, number> = {};
  private readonly lastStatement = new Map<number, string>();
  /** Lock waits whose holder had logged no statement yet: filled from the holder's next one. */
  private readonly unresolved = new Map<number, { pid: number; lastLoggedStatement: string | null; count: number }[]>();
  private readonly overflow: Record<string, number> = {};
  private first: number | null = null;
  private last: number | null = null;
  private outside = 0;

  /** The last statement normalized and its key: an entry's statement is asked for more than once. */
  private memo: { text: string; key: string } = { text: '', key: '' };

  constructor(private readonly options: AggregateOptions) {}

  private norm(statement: string): string {
    if (statement !== this.memo.text) this.memo = { text: statement, key: normalizeStatement(statement) };
    return this.memo.key;
  }

  private full(section: string, size: number): boolean {
    if (size < MAX_GROUPS) return false;
    this.overflow[section] = (this.overflow[section] ?? 0) + 1;
    return true;
  }

  private where(e: LogEntry): Where {
    return { time: iso(e.time), user: e.user, database: e.database, pid: e.pid };
  }

  private text(statement: string): string {
    return this.options.includeText ? statement : this.norm(statement);
  }

  /** Remembers `pid`'s statement (normalized) and resolves lock waits that wait for it. */
  private remember(pid: number, statement: string): void {
    const key = this.norm(statement);
    if (this.lastStatement.size >= MAX_PIDS && !this.lastStatement.has(pid)) this.lastStatement.delete(this.lastStatement.keys().next().value!);
    this.lastStatement.set(pid, key);
    const waiting = this.unresolved.get(pid);
    if (waiting) {
      for (const w of waiting) w.lastLoggedStatement = key;
      this.unresolved.delete(pid);
    }
  }

  public add(e: LogEntry): void {
    const { from, to } = this.options;
    if ((from !== undefined && e.time < from) || (to !== undefined && e.time > to)) { this.outside++; return; }
    this.first = this.first === null ? e.time : Math.min(this.first, e.time);
    this.last = this.last === null ? e.time : Math.max(this.last, e.time);
    this.bySeverity[e.severity] = (this.bySeverity[e.severity] ?? 0) + 1;
    const ev = classify(e);
    switch (ev.type) {
      case 'plan': {
        const key = this.norm(ev.queryText);
        // auto_explain logs at executor end, before the statement's own duration line: kept for it.
        this.pendingPlans.set(e.pid, { key, plan: this.options.includeText ? ev.plan : maskPlan(ev.plan), text: ev.queryText, durationMs: ev.durationMs });
        if (this.pendingPlans.size > MAX_PIDS) this.pendingPlans.delete(this.pendingPlans.keys().next().value!);
        break;
      }
      case 'slow': this.addSlow(e, ev.statement, ev.durationMs); break;
      case 'lock-wait': this.addLock(e, ev); break;
      case 'deadlock': this.addDeadlock(e, ev); break;
      case 'autovacuum': {
        let t = this.vacuum.get(ev.table);
        if (!t) {
          if (this.full('autovacuum', this.vacuum.size)) break;
          t = { table: ev.table, vacuums: 0, analyzes: 0, aggressive: 0, wraparound: 0, totalSeconds: 0, maxSeconds: 0, tuplesRemoved: 0, pagesRemoved: 0, deadNotRemovable: 0, bufferHits: 0, bufferMisses: 0, bufferDirtied: 0, walBytes: 0, last: '' };
          this.vacuum.set(ev.table, t);
        }
        if (ev.action === 'vacuum') t.vacuums++; else t.analyzes++;
        if (ev.aggressive) t.aggressive++;
        if (ev.wraparound) t.wraparound++;
        const s = ev.elapsedSeconds ?? 0;
        t.totalSeconds += s;
        t.maxSeconds = Math.max(t.maxSeconds, s);
        t.tuplesRemoved += ev.tuplesRemoved ?? 0;
        t.pagesRemoved += ev.pagesRemoved ?? 0;
        t.deadNotRemovable += ev.deadNotRemovable ?? 0;
        t.bufferHits += ev.bufferHits ?? 0;
        t.bufferMisses += ev.bufferMisses ?? 0;
        t.bufferDirtied += ev.bufferDirtied ?? 0;
        t.walBytes += ev.walBytes ?? 0;
        t.last = iso(e.time);
        break;
      }
      case 'temp-file': {
        this.tempCount++;
        this.tempBytes += ev.bytes;
        if (ev.statement) this.remember(e.pid, ev.statement);
        if (ev.bytes < this.options.tempFileMinBytes) break;
        this.tempOver++;
        const key = ev.statement ? this.norm(ev.statement) : '(no statement logged)';
        let g = this.temp.get(key);
        if (!g) {
          if (this.full('tempFiles', this.temp.size)) break;
          g = { statement: key, count: 0, totalBytes: 0, maxBytes: 0, example: { ...this.where(e), bytes: ev.bytes, text: ev.statement ? this.text(ev.statement) : key } };
          this.temp.set(key, g);
        }
        g.count++;
        g.totalBytes += ev.bytes;
        if (ev.bytes > g.maxBytes) {
          g.maxBytes = ev.bytes;
          g.example = { ...this.where(e), bytes: ev.bytes, text: ev.statement ? this.text(ev.statement) : key };
        }
        break;
      }
      case 'checkpoint': {
        const c = this.checkpoints;
        if (ev.phase === 'starting') this.checkpointReason.set(e.pid, ev.reason ?? 'unknown');
        else if (ev.phase === 'too-frequent') {
          c.tooFrequent++;
          c.minSecondsApart = c.minSecondsApart === null ? ev.secondsApart : Math.min(c.minSecondsApart, ev.secondsApart ?? Infinity);
        } else {
          if (ev.kind === 'restartpoint') c.restartpoints++; else c.completed++;
          const reason = this.checkpointReason.get(e.pid) ?? 'start not in the log';
          this.checkpointReason.delete(e.pid);
          c.byReason[reason] = (c.byReason[reason] ?? 0) + 1;
          c.buffersWritten += ev.buffers ?? 0;
          c.totalSeconds += ev.totalSeconds ?? 0;
          c.maxSeconds = Math.max(c.maxSeconds, ev.totalSeconds ?? 0);
          c.writeSeconds += ev.writeSeconds ?? 0;
          c.syncSeconds += ev.syncSeconds ?? 0;
          c.maxDistanceKb = Math.max(c.maxDistanceKb, ev.distanceKb ?? 0);
        }
        break;
      }
      default: break;
    }
    const statement = e.details.find((d) => d.kind === 'STATEMENT')?.text;
    if (statement && ev.type !== 'temp-file') this.remember(e.pid, statement);
    if (e.severity === 'ERROR' || e.severity === 'FATAL' || e.severity === 'PANIC') this.addError(e, statement);
    // A client gone mid-session is a LOG line (`could not receive data from client`, `unexpected EOF`): a connection problem, not an error.
    else if (e.severity === 'LOG' && ev.type === 'other' && /^(could not receive data from client|unexpected EOF on client connection|connection to client lost|could not accept SSL connection|invalid length of startup packet|unsupported frontend protocol)/.test(e.message)) {
      this.addConnection(sqlStateOf(e.message), e);
    }
  }

  private addSlow(e: LogEntry, statement: string, durationMs: number): void {
    const key = this.norm(statement);
    this.remember(e.pid, statement);
    const pending = this.pendingPlans.get(e.pid);
    const plan = pending && pending.key === key ? pending.plan : null;
    if (plan !== null) this.pendingPlans.delete(e.pid);
    let g = this.slow.get(key);
    if (!g) {
      if (this.full('slowStatements', this.slow.size)) return;
      g = { statement: key, count: 0, totalMs: 0, maxMs: 0, example: { ...this.where(e), durationMs, text: this.text(statement), plan } };
      this.slow.set(key, g);
    }
    g.count++;
    g.totalMs += durationMs;
    g.maxMs = Math.max(g.maxMs, durationMs);
    // The example: the slowest execution with a plan, else the slowest.
    const better = plan !== null ? g.example.plan === null || durationMs > g.example.durationMs : g.example.plan === null && durationMs > g.example.durationMs;
    if (better) g.example = { ...this.where(e), durationMs, text: this.text(statement), plan };
  }

  private addLock(e: LogEntry, ev: LockWait): void {
    const on = ev.relation ?? ev.lockOn;
    const key = `${on}\u0000${ev.lockMode}`;
    let g = this.locks.get(key);
    if (!g) {
      if (this.full('lockWaits', this.locks.size)) return;
      g = { on, lockMode: ev.lockMode, waits: 0, acquired: 0, deadlocks: 0, cancelled: 0, maxWaitMs: 0, totalWaitMs: 0, waiting: [], blocking: [], example: { ...this.where(e), afterMs: ev.afterMs } };
      this.locks.set(key, g);
    }
    if (ev.state === 'waiting') g.waits++;
    else if (ev.state === 'acquired') { g.acquired++; g.totalWaitMs += ev.afterMs; } else if (ev.state === 'deadlock') g.deadlocks++;
    else g.cancelled++;
    if (ev.afterMs > g.maxWaitMs) { g.maxWaitMs = ev.afterMs; g.example = { ...this.where(e), afterMs: ev.afterMs }; }
    if (ev.state === 'waiting' && ev.statement) {
      const s = this.norm(ev.statement);
      bump(g.waiting, (w) => w.statement === s, () => ({ statement: s, count: 1 }), 20);
    }
    if (ev.state === 'waiting') {
      for (const pid of ev.holders) {
        const known = this.lastStatement.get(pid) ?? null;
        const existing = g.blocking.find((b) => b.pid === pid && b.lastLoggedStatement === known);
        if (existing) existing.count++;
        else if (g.blocking.length < 20) {
          const row = { pid, lastLoggedStatement: known, count: 1 };
          g.blocking.push(row);
          if (known === null) this.unresolved.set(pid, [...(this.unresolved.get(pid) ?? []), row]);
        }
      }
    }
  }

  private addDeadlock(e: LogEntry, ev: Deadlock): void {
    this.deadlockCount++;
    if (this.deadlockDetails.length >= MAX_DEADLOCKS) return;
    this.deadlockDetails.push({
      ...this.where(e),
      relation: ev.relation,
      processes: ev.processes.map((p) => ({ ...p, statement: p.statement === null ? null : this.text(p.statement) })),
    });
  }

  private addConnection(state: ReturnType<typeof sqlStateOf>, e: LogEntry): void {
    const kind = state.code?.startsWith('28') ? 'authentication' : 'connection';
    const pattern = messagePattern(state.message);
    const key = [kind, state.code, pattern, e.user, host(e.remote)].join('\u0000');
    const g = this.connections.get(key);
    if (g) { g.count++; g.last = iso(e.time); } else if (!this.full('connectionProblems', this.connections.size)) {
      this.connections.set(key, { kind, sqlState: state.code, message: pattern, user: e.user, host: host(e.remote), count: 1, first: iso(e.time), last: iso(e.time) });
    }
  }

  private addError(e: LogEntry, statement: string | undefined): void {
    const state = sqlStateOf(e.message);
    const pattern = messagePattern(state.message);
    const cls = state.code?.slice(0, 2);
    if (cls === '28' || cls === '08' || state.code === '53300' || state.code === '57P03' || state.code === '3D000') this.addConnection(state, e);
    const key = state.code ?? `?${pattern}`;
    let g = this.errors.get(key);
    if (!g) {
      if (this.full('errors', this.errors.size)) return;
      g = { sqlState: state.code, condition: state.condition, count: 0, exact: 0, bySeverity: {}, messages: [], statements: [] };
      this.errors.set(key, g);
    }
    g.count++;
    if (state.exact) g.exact++;
    g.bySeverity[e.severity] = (g.bySeverity[e.severity] ?? 0) + 1;
    bump(g.messages, (m) => m.message === pattern, () => ({ message: pattern, count: 1 }), 20);
    if (statement) {
      const s = this.norm(statement);
      bump(g.statements, (x) => x.statement === s, () => ({ statement: s, count: 1 }), 20);
    }
  }

  /** The analysis, each section ranked by impact: total time, waits, vacuum time, bytes, count. */
  public result(counts: LineCounts): LogsAnalysis {
    const byCount = <T extends { count: number }>(list: T[]) => list.sort((a, b) => b.count - a.count);
    return {
      first: this.first === null ? null : iso(this.first),
      last: this.last === null ? null : iso(this.last),
      counts: { ...counts, bySeverity: { ...this.bySeverity }, outsideWindow: this.outside },
      slowStatements: [...this.slow.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count),
      lockWaits: [...this.locks.values()].map((g) => ({ ...g, waiting: byCount(g.waiting), blocking: byCount(g.blocking) }))
        .sort((a, b) => (b.waits + b.deadlocks + b.cancelled) - (a.waits + a.deadlocks + a.cancelled) || b.maxWaitMs - a.maxWaitMs),
      deadlocks: { count: this.deadlockCount, details: this.deadlockDetails },
      autovacuum: [...this.vacuum.values()].sort((a, b) => b.totalSeconds - a.totalSeconds || b.vacuums - a.vacuums || b.tuplesRemoved - a.tuplesRemoved),
      tempFiles: { count: this.tempCount, totalBytes: this.tempBytes, overThreshold: this.tempOver, groups: [...this.temp.values()].sort((a, b) => b.totalBytes - a.totalBytes) },
      checkpoints: { ...this.checkpoints },
      connectionProblems: byCount([...this.connections.values()]),
      errors: [...this.errors.values()].map((g) => ({ ...g, messages: byCount(g.messages), statements: byCount(g.statements) })).sort((a, b) => b.count - a.count),
      overflow: { ...this.overflow },
    };
  }
}
