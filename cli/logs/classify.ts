/**
 * What one log entry is: the messages PostgreSQL 17 writes for the events `db-playbook logs`
 * reports, read from their fixed English texts (src/backend: postgres.c's `duration: ... ms
 * statement:`, auto_explain's `duration: ... ms  plan:`, proc.c's lock waits, deadlock.c,
 * vacuumlazy.c / analyze.c's autovacuum reports, fd.c's `temporary file:`, xlog.c's checkpoints,
 * auth.c's authentication failures). The formats were checked against a PostgreSQL 17.9 server
 * with RDS's log_line_prefix (test/cli/logs-parse.test.ts reads its log). Anything else is
 * `other` (an error of another kind still counts by its SQL state).
 */
import type { LogEntry } from './entries';

export interface SlowStatement {
  readonly type: 'slow';
  readonly durationMs: number;
  /** `statement`, `execute`, `bind` or `parse` (the extended protocol's steps). */
  readonly step: string;
  readonly statement: string;
}

export interface Plan {
  readonly type: 'plan';
  readonly durationMs: number;
  readonly queryText: string;
  /** The plan's lines as auto_explain wrote them. */
  readonly plan: string;
}

export interface LockWait {
  readonly type: 'lock-wait';
  /** still waiting (past deadlock_timeout), acquired (after waiting), or a deadlock check. */
  readonly state: 'waiting' | 'acquired' | 'deadlock' | 'cancelled';
  readonly lockMode: string;
  /** `transaction 741`, `relation 16384 of database 5`, `tuple (0,1) of relation ...`. */
  readonly lockOn: string;
  readonly afterMs: number;
  /** The pids holding the lock (DETAIL). */
  readonly holders: number[];
  /** The relation named in CONTEXT (`while updating tuple (0,1) in relation "accounts"`), else null. */
  readonly relation: string | null;
  /** The waiting statement (STATEMENT), else null. */
  readonly statement: string | null;
}

export interface Deadlock {
  readonly type: 'deadlock';
  readonly processes: { readonly pid: number; readonly waitsFor: string | null; readonly blockedBy: number | null; readonly statement: string | null }[];
  readonly relation: string | null;
  /** The statement of the process that got the error. */
  readonly statement: string | null;
}

export interface Autovacuum {
  readonly type: 'autovacuum';
  readonly action: 'vacuum' | 'analyze';
  /** `database.schema.table` */
  readonly table: string;
  readonly aggressive: boolean;
  readonly wraparound: boolean;
  readonly indexScans: number | null;
  readonly pagesRemoved: number | null;
  readonly pagesRemain: number | null;
  readonly tuplesRemoved: number | null;
  readonly tuplesRemain: number | null;
  readonly deadNotRemovable: number | null;
  readonly bufferHits: number | null;
  /** `misses` in PostgreSQL 17's wording (reads from outside shared buffers). */
  readonly bufferMisses: number | null;
  readonly bufferDirtied: number | null;
  readonly walBytes: number | null;
  readonly elapsedSeconds: number | null;
}

export interface TempFile {
  readonly type: 'temp-file';
  readonly path: string;
  readonly bytes: number;
  readonly statement: string | null;
}

export interface Checkpoint {
  readonly type: 'checkpoint';
  /** `checkpoint` on a primary, `restartpoint` on a replica. */
  readonly kind: 'checkpoint' | 'restartpoint';
  readonly phase: 'starting' | 'complete' | 'too-frequent';
  /** starting: the flags (`time`, `wal`, `immediate force wait`, `shutdown`). */
  readonly reason: string | null;
  readonly buffers: number | null;
  readonly writeSeconds: number | null;
  readonly syncSeconds: number | null;
  readonly totalSeconds: number | null;
  readonly distanceKb: number | null;
  /** too-frequent: seconds apart. */
  readonly secondsApart: number | null;
}

export interface Other {
  readonly type: 'other';
}

export type LogEvent = SlowStatement | Plan | LockWait | Deadlock | Autovacuum | TempFile | Checkpoint | Other;

const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));

function detail(e: LogEntry, kind: string): string | null {
  return e.details.find((d) => d.kind === kind)?.text ?? null;
}

/** The relation a CONTEXT line names: `while updating tuple (0,1) in relation "accounts"`. */
function contextRelation(e: LogEntry): string | null {
  const context = detail(e, 'CONTEXT');
  const m = context ? /in relation "((?:[^"]|"")*)"/.exec(context) : null;
  return m ? m[1] : null;
}

const DURATION = /^duration: (\d+(?:\.\d+)?) ms {2}(statement|execute [^:]*|bind [^:]*|parse [^:]*|plan):(?: |\n|$)([\s\S]*)$/;
const LOCK = /^process (\d+) (still waiting for|acquired|detected deadlock while waiting for|avoided deadlock for) (\S+) on (.+?) after (\d+(?:\.\d+)?) ms/;
const VACUUM = /^automatic (aggressive )?vacuum (to prevent wraparound )?of table "([^"]+)": index scans: (\d+)/;
const ANALYZE = /^automatic analyze of table "([^"]+)"/;
const TEMP = /^temporary file: path "([^"]+)", size (\d+)/;
const CHECKPOINT_START = /^(checkpoint|restartpoint) starting:(.*)$/;
const CHECKPOINT_DONE = /^(checkpoint|restartpoint) complete: wrote (\d+) buffers[\s\S]*?write=(\d+(?:\.\d+)?) s, sync=(\d+(?:\.\d+)?) s, total=(\d+(?:\.\d+)?) s(?:[\s\S]*?distance=(\d+) kB)?/;
const TOO_FREQUENT = /^checkpoints are occurring too frequently \((\d+) seconds? apart\)/;

/** Splits auto_explain's `Query Text: ...` from the plan: the plan starts at the first line with costs or actual times. */
function splitPlan(body: string): { queryText: string; plan: string } {
  const lines = body.split('\n');
  const first = lines.findIndex((l) => l.startsWith('Query Text:'));
  if (first < 0) return { queryText: '', plan: body };
  let start = lines.findIndex((l, i) => i > first && /\((cost=|actual )/.test(l));
  if (start < 0) start = first + 1;
  const queryText = [lines[first].replace(/^Query Text: ?/, ''), ...lines.slice(first + 1, start)].join('\n');
  return { queryText, plan: lines.slice(start).join('\n') };
}

function autovacuum(e: LogEntry, action: 'vacuum' | 'analyze', table: string, aggressive: boolean, wraparound: boolean, indexScans: number | null): Autovacuum {
  const m = e.message;
  const pages = /pages: (\d+) removed, (\d+) remain/.exec(m);
  const tuples = /tuples: (\d+) removed, (\d+) remain, (\d+) are dead but not yet removable/.exec(m);
  const buffers = /buffer usage: (\d+) hits, (\d+) (?:misses|reads), (\d+) dirtied/.exec(m);
  const wal = /WAL usage: \d+ records, \d+ full page images, (\d+) bytes/.exec(m);
  const elapsed = /elapsed: (\d+(?:\.\d+)?) s/.exec(m);
  return {
    type: 'autovacuum', action, table, aggressive, wraparound, indexScans,
    pagesRemoved: num(pages?.[1]), pagesRemain: num(pages?.[2]),
    tuplesRemoved: num(tuples?.[1]), tuplesRemain: num(tuples?.[2]), deadNotRemovable: num(tuples?.[3]),
    bufferHits: num(buffers?.[1]), bufferMisses: num(buffers?.[2]), bufferDirtied: num(buffers?.[3]),
    walBytes: num(wal?.[1]), elapsedSeconds: num(elapsed?.[1]),
  };
}

/** What `e` is. */
export function classify(e: LogEntry): LogEvent {
  const m = e.message;
  if (e.severity === 'LOG') {
    const d = DURATION.exec(m);
    if (d) {
      const durationMs = Number(d[1]);
      if (d[2] === 'plan') return { type: 'plan', durationMs, ...splitPlan(d[3]) };
      return { type: 'slow', durationMs, step: d[2].split(' ')[0], statement: d[3] };
    }
    const lock = LOCK.exec(m);
    if (lock) {
      const holding = /Process(?:es)? holding the lock: ([\d, ]+)\./.exec(detail(e, 'DETAIL') ?? '');
      const state = lock[2] === 'acquired' ? 'acquired' : lock[2] === 'still waiting for' ? 'waiting' : 'deadlock';
      return {
        type: 'lock-wait', state, lockMode: lock[3], lockOn: lock[4], afterMs: Number(lock[5]),
        holders: holding ? holding[1].split(',').map((p) => Number(p.trim())).filter((p) => p > 0) : [],
        relation: contextRelation(e), statement: detail(e, 'STATEMENT'),
      };
    }
    const vacuum = VACUUM.exec(m);
    if (vacuum) return autovacuum(e, 'vacuum', vacuum[3], Boolean(vacuum[1]), Boolean(vacuum[2]), Number(vacuum[4]));
    const analyze = ANALYZE.exec(m);
    if (analyze) return autovacuum(e, 'analyze', analyze[1], false, false, null);
    const temp = TEMP.exec(m);
    if (temp) return { type: 'temp-file', path: temp[1], bytes: Number(temp[2]), statement: detail(e, 'STATEMENT') };
    const start = CHECKPOINT_START.exec(m);
    if (start) {
      return { type: 'checkpoint', kind: start[1] as Checkpoint['kind'], phase: 'starting', reason: start[2].trim() || null, buffers: null, writeSeconds: null, syncSeconds: null, totalSeconds: null, distanceKb: null, secondsApart: null };
    }
    const done = CHECKPOINT_DONE.exec(m);
    if (done) {
      return {
        type: 'checkpoint', kind: done[1] as Checkpoint['kind'], phase: 'complete', reason: null, buffers: Number(done[2]),
        writeSeconds: Number(done[3]), syncSeconds: Number(done[4]), totalSeconds: Number(done[5]), distanceKb: num(done[6]), secondsApart: null,
      };
    }
    const frequent = TOO_FREQUENT.exec(m);
    if (frequent) {
      return { type: 'checkpoint', kind: 'checkpoint', phase: 'too-frequent', reason: null, buffers: null, writeSeconds: null, syncSeconds: null, totalSeconds: null, distanceKb: null, secondsApart: Number(frequent[1]) };
    }
  }
  if (e.severity === 'ERROR' && /^(?:40P01: )?deadlock detected/.test(m)) {
    const text = detail(e, 'DETAIL') ?? '';
    const processes = new Map<number, { pid: number; waitsFor: string | null; blockedBy: number | null; statement: string | null }>();
    const get = (pid: number) => processes.get(pid) ?? processes.set(pid, { pid, waitsFor: null, blockedBy: null, statement: null }).get(pid)!;
    for (const w of text.matchAll(/Process (\d+) waits for (.+?); blocked by process (\d+)\./g)) {
      Object.assign(get(Number(w[1])), { waitsFor: w[2], blockedBy: Number(w[3]) });
    }
    // Each process's statement is on its own line(s), up to the next `Process N:`.
    const statements = [...text.matchAll(/^Process (\d+): /gm)];
    statements.forEach((s, k) => {
      const end = k + 1 < statements.length ? statements[k + 1].index : text.length;
      get(Number(s[1])).statement = text.slice(s.index + s[0].length, end).replace(/\n$/, '');
    });
    return { type: 'deadlock', processes: [...processes.values()], relation: contextRelation(e), statement: detail(e, 'STATEMENT') };
  }
  if (e.severity === 'ERROR' && /^(?:55P03: )?canceling statement due to lock timeout/.test(m)) {
    return { type: 'lock-wait', state: 'cancelled', lockMode: '?', lockOn: '?', afterMs: 0, holders: [], relation: contextRelation(e), statement: detail(e, 'STATEMENT') };
  }
  return { type: 'other' };
}
