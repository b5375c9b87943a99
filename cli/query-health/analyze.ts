/**
 * Applies every rule to what inspect gathered: pure, no I/O (cli/commands/inspect.ts gathers,
 * the modules of this directory judge).
 */
import type {
  CacheHitRatio,
  DeadTupleRatio,
  IndexUsage,
  PgStatStatementsStatus,
  SessionInfo,
  StatementStats,
  TableActivity,
} from '../../shared/pg-health';
import { formatBytes, formatCount, formatMs, quoteIdent, readableStatement } from './format';
import { invalidIndexes, missingIndexes, MissingIndex, RedundantIndex, redundantIndexes, SuggestionCheck, unusedIndexes } from './indexes';
import { NPlusOneSuspect, nPlusOneSuspects } from './n-plus-one';
import { DEFAULT_THRESHOLDS, Finding, Thresholds } from './rules';
import { tryParse } from './sql-parser';
import { BloatEstimate, bloatEstimates, bloatFinding, RelationSpace } from './bloat';
import { adviceMessage, AutovacuumAdvice, autovacuumAdvice, AutovacuumSettings, TableVacuumStats } from './vacuum';

/** Everything inspect gathered. */
export interface HealthInput {
  readonly database: string;
  readonly tables: readonly TableActivity[];
  readonly indexes: readonly IndexUsage[];
  /** Column names of (at least the large) tables, by `schema.table`. */
  readonly columns?: Readonly<Record<string, readonly string[]>>;
  /** null when pg_stat_statements could not be read. */
  readonly statements: readonly StatementStats[] | null;
  readonly pgStatStatements: PgStatStatementsStatus;
  /** Why the statements could not be read although the extension exists (e.g. not preloaded). */
  readonly statementsError?: string;
  readonly cacheHit: CacheHitRatio;
  readonly deadTuples: readonly DeadTupleRatio[];
  readonly longRunning: readonly SessionInfo[];
  readonly idleInTransaction: readonly SessionInfo[];
  /** Write counters and per-table settings of the tables (for autovacuum-settings); none: the rule does not run. */
  readonly vacuumStats?: readonly TableVacuumStats[];
  readonly autovacuum?: AutovacuumSettings;
  /** Seconds since the statistics were reset (null: never reset). */
  readonly secondsSinceReset?: number | null;
  /**
   * hypopg's verdicts on the missing-index suggestions, by their CREATE INDEX statement
   * (cli/query-health/hypopg.ts); absent: not checked, the suggestions are heuristics.
   */
  readonly suggestionChecks?: Readonly<Record<string, SuggestionCheck>>;
  /** Whether hypopg is installed in the database; absent or false: the report says how to enable it. */
  readonly hypopg?: boolean;
  /** Tables' and btree indexes' pages and what their rows need (table-bloat, index-bloat); absent: the rules do not run. */
  readonly space?: readonly RelationSpace[];
  /** How many instances' scan counts `indexes` adds up (the primary and its --replica ones); absent: one. */
  readonly instances?: number;
}

/** Statements the SQL parser could not read: left out of the statement rules, counted here. */
export interface UnparsableStatements {
  readonly count: number;
  /** The first few, by queryid, with the parser's message. */
  readonly examples: { readonly queryId: string; readonly error: string }[];
}

/** The findings and what they were computed from. */
export interface HealthAnalysis {
  readonly findings: Finding[];
  readonly missingIndexes: MissingIndex[];
  readonly unusedIndexes: IndexUsage[];
  readonly redundantIndexes: RedundantIndex[];
  readonly invalidIndexes: IndexUsage[];
  readonly nPlusOne: NPlusOneSuspect[];
  readonly autovacuumAdvice: AutovacuumAdvice[];
  readonly bloat: BloatEstimate[];
  readonly unparsable: UnparsableStatements;
  /** How to get statement statistics; null when pg_stat_statements answered. */
  readonly pgStatStatementsAdvice: string | null;
}

/** How many unparsable statements the report names. */
const UNPARSABLE_EXAMPLES = 5;

/** Why pg_stat_statements gave nothing, and how to get it; null when it answered. */
export function pgStatStatementsAdvice(status: PgStatStatementsStatus, error?: string): string | null {
  const create = 'then, in this database: CREATE EXTENSION pg_stat_statements;';
  const preload = "add pg_stat_statements to shared_preload_libraries (the library's TunedParameterGroup preloads it: "
    + "a static parameter, so attach the group and reboot the instance)";
  if (status.preloaded === false) return `pg_stat_statements is not loaded: ${preload}; ${status.schema === null ? create : 'the extension already exists here.'}`;
  if (status.schema === null) {
    return `pg_stat_statements is ${status.preloaded ? 'preloaded but ' : ''}not created in this database: CREATE EXTENSION pg_stat_statements;`
      + (status.preloaded === null ? ` (and if that fails: ${preload})` : '');
  }
  if (error) return `pg_stat_statements could not be read: ${error} (it needs ${preload}; to see other roles' statements, GRANT pg_read_all_stats)`;
  return null;
}

function sessionMessage(s: SessionInfo, seconds: number | null, what: string): string {
  const who = [s.user && `user ${s.user}`, s.database && `database ${s.database}`, s.applicationName && `application '${s.applicationName}'`, s.clientAddress && `from ${s.clientAddress}`]
    .filter(Boolean).join(', ');
  return `${what} for ${seconds === null ? '?' : seconds.toFixed(1)} s (${who})`;
}

/** The session's statement for a finding, literals redacted; none when it has none. */
function sessionStatement(s: SessionInfo): string | undefined {
  return s.query ? readableStatement(s.query, 120) : undefined;
}

/** Applies every rule. */
export function analyze(input: HealthInput, thresholds: Thresholds = DEFAULT_THRESHOLDS): HealthAnalysis {
  const findings: Finding[] = [];
  const statements = input.statements ?? [];

  const checks = input.suggestionChecks ?? {};
  const missing = missingIndexes(input.tables, statements, { minRows: thresholds.minRows, indexes: input.indexes, columns: input.columns })
    .map((m) => (m.suggestion && checks[m.suggestion.sql] ? { ...m, suggestion: { ...m.suggestion, check: checks[m.suggestion.sql] } } : m));
  for (const m of missing) {
    const sug = m.suggestion;
    let fix: string;
    if (sug?.coveredBy) {
      fix = `${sug.coveredBy} already starts with (${sug.columns.join(', ')}) and the planner still scans the table: ANALYZE ${m.table}; `
        + 'then EXPLAIN (ANALYZE, BUFFERS) the statement (a type mismatch, a function on the column or low selectivity keeps an index unused)';
    } else if (sug?.check && !sug.check.halved) {
      fix = `withheld: hypopg planned the statement with ${sug.sql.replace(/;$/, '')} and its cost went from ${sug.check.costBefore.toFixed(0)} only to ${sug.check.costAfter.toFixed(0)} `
        + '(under the 50 % drop a suggestion needs); EXPLAIN (ANALYZE, BUFFERS) the statement';
    } else if (sug?.check) {
      fix = `${sug.sql} (verified with hypopg: plan cost ${sug.check.costBefore.toFixed(0)} → ${sug.check.costAfter.toFixed(0)}; `
        + 'CONCURRENTLY does not block writes; run it outside a transaction and check it is not left INVALID)';
    } else if (sug) {
      fix = `${sug.sql} (unverified: a heuristic from the statement's WHERE; ${input.hypopg ? 'hypopg could not plan the statement' : HYPOPG_ADVICE}; `
        + 'CONCURRENTLY does not block writes; run it outside a transaction and check it is not left INVALID)';
    } else if (input.statements === null) {
      fix = 'enable pg_stat_statements to see which statements scan it, then index the columns of their WHERE';
    } else {
      fix = `find the statements that scan it (EXPLAIN them; auto_explain logs the plans of statements over 5 s) and index the columns of their WHERE`;
    }
    findings.push({
      rule: 'missing-index',
      target: m.table,
      message: `${formatCount(m.liveRows)} live rows, indexes used in ${(m.indexScanShare * 100).toFixed(1)} % of scans `
        + `(${formatCount(m.seqScans)} sequential, ${formatCount(m.indexScans)} index), ${formatCount(m.seqTuplesRead)} rows read sequentially`
        + `${m.unindexedStatementMs > 0 ? `, ${formatMs(m.unindexedStatementMs)} ms in statements no index serves` : ''}, ${formatBytes(m.tableBytes)}`,
      fix,
      impact: m.seqTuplesRead,
      bytes: m.tableBytes,
    });
  }

  const unused = unusedIndexes(input.indexes);
  for (const ix of unused) {
    findings.push({
      rule: 'unused-index',
      target: `${ix.schema}.${ix.index}`,
      message: `never scanned${input.instances && input.instances > 1 ? ` on any of the ${input.instances} instances read` : ''}, ${formatBytes(ix.bytes)}, on ${ix.schema}.${ix.table} (${ix.keyColumns.join(', ')}); every write still maintains it`,
      fix: `DROP INDEX CONCURRENTLY ${quoteIdent(ix.schema)}.${quoteIdent(ix.index)}; once the statistics cover a full business cycle `
        + (input.instances && input.instances > 1 ? '(each instance counts its own scans: every instance that serves reads must be among those read)' : 'and no read replica uses it (each instance counts its own scans: --replica reads them)'),
      impact: ix.bytes ?? 0,
      bytes: ix.bytes,
    });
  }

  const invalid = invalidIndexes(input.indexes);
  for (const ix of invalid) {
    const name = `${quoteIdent(ix.schema)}.${quoteIdent(ix.index)}`;
    findings.push({
      rule: 'invalid-index',
      target: `${ix.schema}.${ix.index}`,
      message: `INVALID (a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed): no query uses it, every write still maintains it; ${formatBytes(ix.bytes)}, on ${ix.schema}.${ix.table} (${ix.keyColumns.join(', ')})`,
      fix: `REINDEX INDEX CONCURRENTLY ${name}; to build it again (after fixing why it failed: a duplicate key for a unique index, a deadlock, a cancel), or DROP INDEX CONCURRENTLY ${name}; if it is not wanted`,
      impact: ix.bytes ?? 0,
      bytes: ix.bytes,
    });
  }

  const redundant = redundantIndexes(input.indexes);
  for (const r of redundant) {
    const cols = (ix: IndexUsage) => `(${ix.keyColumns.join(', ')})`;
    findings.push({
      rule: 'duplicate-index',
      target: `${r.index.schema}.${r.index.index}`,
      message: `${cols(r.index)} ${r.kind === 'duplicate' ? 'duplicates' : 'is a prefix of'} ${r.coveredBy.index} ${cols(r.coveredBy)} `
        + `on ${r.index.schema}.${r.index.table}; ${formatBytes(r.index.bytes)}, ${r.index.scans.toLocaleString('en-US')} scans`,
      fix: `DROP INDEX CONCURRENTLY ${quoteIdent(r.index.schema)}.${quoteIdent(r.index.index)}; (${r.coveredBy.index} serves the same queries)`,
      impact: r.index.bytes ?? 0,
      bytes: r.index.bytes,
    });
  }

  const nPlusOne = input.statements === null ? [] : nPlusOneSuspects(statements, thresholds, input.tables);
  for (const s of nPlusOne) {
    findings.push({
      rule: 'n-plus-one',
      target: `queryid ${s.queryId}`,
      message: `${s.calls.toLocaleString('en-US')} calls, mean ${formatMs(s.meanMs)} ms, one ${s.table} row per call by ${s.column}`,
      statement: readableStatement(s.query, 120),
      fix: `load them in one query: WHERE ${s.column} = ANY($1) (or IN (...)), or JOIN; in the ORM, eager-load the association `
        + '(Rails includes/preload, Django select_related/prefetch_related, SQLAlchemy selectinload, Hibernate JOIN FETCH / @BatchSize, Prisma include)',
      impact: s.calls,
    });
  }

  for (const s of input.longRunning) {
    findings.push({
      rule: 'long-running',
      target: `pid ${s.pid}`,
      message: sessionMessage(s, s.querySeconds, 'running'),
      statement: sessionStatement(s),
      fix: `EXPLAIN the statement (a missing index? ${s.waitEventType ? `it waits on ${s.waitEventType}: ${s.waitEvent ?? ''}` : 'it is not waiting'}); `
        + `to stop it: SELECT pg_cancel_backend(${s.pid}); statement_timeout bounds such statements`,
    });
  }

  for (const s of input.idleInTransaction) {
    findings.push({
      rule: 'idle-in-transaction',
      target: `pid ${s.pid}`,
      message: sessionMessage(s, s.stateSeconds, `${s.state ?? 'idle in transaction'}`),
      statement: sessionStatement(s),
      fix: `the application left a transaction open (it holds locks and holds back vacuum): commit or roll back in that code path; `
        + `to end it now: SELECT pg_terminate_backend(${s.pid}); the playbook's idle_in_transaction_session_timeout (5 min) ends such sessions`,
    });
  }

  const ratio = input.cacheHit.ratio;
  if (ratio !== null && ratio < thresholds.minCacheHitRatio) {
    findings.push({
      rule: 'low-cache-hit',
      target: input.database,
      message: `buffer cache hit ratio ${(ratio * 100).toFixed(2)} % (${input.cacheHit.heapHit.toLocaleString('en-US')} hits, ${input.cacheHit.heapRead.toLocaleString('en-US')} reads); the playbook wants > ${(thresholds.minCacheHitRatio * 100).toFixed(0)} %`,
      fix: 'the working set does not fit in shared_buffers: index the sequential scans (missing-index), then size the instance class up (shared_buffers is 25 % of its memory)',
    });
  }

  for (const t of input.deadTuples) {
    if (t.ratio === null || t.ratio <= thresholds.maxDeadRatio || t.deadTuples < thresholds.minDeadTuples) continue;
    const last = [t.lastVacuum, t.lastAutovacuum].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
    findings.push({
      rule: 'dead-tuples',
      target: t.name,
      message: `${(t.ratio * 100).toFixed(1)} % dead tuples (${t.deadTuples.toLocaleString('en-US')} dead, ${t.liveTuples.toLocaleString('en-US')} live); last vacuum ${last ? last.toISOString() : 'never'}`,
      fix: `VACUUM (ANALYZE) ${t.name}; then find what holds autovacuum back (long transactions, idle-in-transaction sessions, replication slots) `
        + 'or give the table its own autovacuum_vacuum_scale_factor',
    });
  }

  const advice = input.statements === null || input.statementsError ? pgStatStatementsAdvice(input.pgStatStatements, input.statementsError) : null;
  if (advice) {
    findings.push({ rule: 'pg-stat-statements-missing', target: input.database, message: 'no statement statistics: top statements, N+1 suspects and the statements behind missing indexes are not reported', fix: advice });
  }

  const advised = input.vacuumStats && input.autovacuum
    ? autovacuumAdvice(input.vacuumStats, input.autovacuum, input.secondsSinceReset ?? null, thresholds.minRows) : [];
  for (const a of advised) {
    findings.push({
      rule: 'autovacuum-settings',
      target: a.table,
      message: adviceMessage(a),
      fix: `${a.sql} (per-table settings take effect at autovacuum's next look; no lock beyond a brief SHARE UPDATE EXCLUSIVE)`,
      impact: a.deadPerSecond,
    });
  }

  const bloat = bloatEstimates(input.space ?? []);
  for (const b of bloat) {
    const { message, fix } = bloatFinding(b);
    findings.push({ rule: b.kind === 'table' ? 'table-bloat' : 'index-bloat', target: b.relation, message, fix, impact: b.wastedBytes, bytes: b.wastedBytes });
  }

  return {
    findings, missingIndexes: missing, unusedIndexes: unused, redundantIndexes: redundant, invalidIndexes: invalid, nPlusOne,
    autovacuumAdvice: advised, bloat, unparsable: unparsableStatements(statements), pgStatStatementsAdvice: advice,
  };
}

/** How to get verified index suggestions. */
export const HYPOPG_ADVICE = "to verify suggestions, CREATE EXTENSION hypopg; (RDS for PostgreSQL supports it; PostgresDatabase's extensions: ['hypopg'] creates it)";

/** The statements the parser could not read. */
export function unparsableStatements(statements: readonly StatementStats[]): UnparsableStatements {
  const examples: UnparsableStatements['examples'] = [];
  let count = 0;
  for (const s of statements) {
    const r = tryParse(s.query);
    if (r.ok) continue;
    count++;
    if (examples.length < UNPARSABLE_EXAMPLES) examples.push({ queryId: s.queryId, error: r.error });
  }
  return { count, examples };
}

/** The `limit` statements with the most total time, or the highest mean time. */
export function topStatements(statements: readonly StatementStats[], by: 'total' | 'mean', limit: number): StatementStats[] {
  const key = by === 'total' ? (s: StatementStats) => s.totalMs : (s: StatementStats) => s.meanMs;
  return [...statements].sort((a, b) => key(b) - key(a) || a.queryId.localeCompare(b.queryId)).slice(0, limit);
}
