/**
 * The rule ids of `db-playbook inspect` (`--fail-on` takes them), what a finding is, and the
 * thresholds the rules judge by.
 */
import { LONG_RUNNING_SECONDS } from '../../shared/pg-health';
import { UsageError } from '../errors';

/** What each rule finds, by id (the ids `--fail-on` takes). */
export const RULES = {
  'missing-index': 'a large table whose indexes serve under 95 % of its scans (pghero\'s rule): rows read sequentially',
  'unused-index': 'an index no instance read scanned, that enforces nothing',
  'duplicate-index': 'an index duplicating, or a prefix of, another index on the same table',
  'n-plus-one': 'a single-row lookup called very often with a tiny mean time (N+1 queries)',
  'long-running': `a statement running longer than ${LONG_RUNNING_SECONDS} s now`,
  'idle-in-transaction': 'a session idle inside an open transaction now',
  'low-cache-hit': 'the buffer cache hit ratio below 99 %',
  'dead-tuples': 'a table with a high share of dead tuples (autovacuum behind)',
  'pg-stat-statements-missing': 'pg_stat_statements not preloaded or not created: no statement statistics',
  'invalid-index': 'an index left INVALID (a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY)',
  'autovacuum-settings': 'a large table whose dead tuples outgrow the global autovacuum thresholds: give it its own',
  'table-bloat': 'a table an estimated 2x or more the size its rows need (at least 10 MB to gain)',
  'index-bloat': 'a btree index an estimated 2x or more the size its entries need (at least 10 MB to gain)',
} as const;

export type RuleId = keyof typeof RULES;

export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** One thing to fix. */
export interface Finding {
  readonly rule: RuleId;
  /** What it is about: `schema.table`, `schema.index`, `pid 1234`, `queryid 5678`, the database. */
  readonly target: string;
  /** What was seen, with the numbers. */
  readonly message: string;
  /**
   * The statement it is about, literals replaced by `$n`, on one line (readableStatement): the
   * text report prints it after the message, `--json` only with --include-query-text.
   */
  readonly statement?: string;
  /** What to do about it. */
  readonly fix: string;
  /**
   * How much it matters, in the rule's own unit (bytes of an index or table, rows read
   * sequentially, calls): the text report lists the largest first and folds the small ones.
   */
  readonly impact?: number;
  /** Bytes the finding is about (an index, a table), for the folded line's total. */
  readonly bytes?: number | null;
}

/**
 * Reads `--fail-on`: comma-separated rule ids, or `all`. Throws a UsageError naming the unknown ones.
 */
export function parseFailOn(value: string | undefined): RuleId[] {
  if (value === undefined) return [];
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new UsageError(`--fail-on needs at least one rule id: ${RULE_IDS.join(', ')} (or all)`);
  if (ids.includes('all')) return [...RULE_IDS];
  const unknown = ids.filter((id) => !(id in RULES));
  if (unknown.length > 0) {
    throw new UsageError(`--fail-on: unknown rule ${unknown.map((u) => `'${u}'`).join(', ')}; the rules are ${RULE_IDS.join(', ')} (or all)`);
  }
  return [...new Set(ids as RuleId[])];
}

/** The rules of `failOn` that have at least one finding. */
export function failedRules(findings: readonly Finding[], failOn: readonly RuleId[]): RuleId[] {
  return failOn.filter((rule) => findings.some((f) => f.rule === rule));
}

/** The thresholds of the rules. */
export interface Thresholds {
  /** missing-index: live rows a table needs to count as large. */
  readonly minRows: number;
  /** n-plus-one: calls a statement needs. */
  readonly n1MinCalls: number;
  /** n-plus-one: its mean execution time must be below this, in ms. */
  readonly n1MaxMeanMs: number;
  /** low-cache-hit: the ratio (0-1) below which it is low. */
  readonly minCacheHitRatio: number;
  /** dead-tuples: dead / (live + dead) above which a table is flagged (0-1). */
  readonly maxDeadRatio: number;
  /** dead-tuples: and at least this many dead tuples. */
  readonly minDeadTuples: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  minRows: 10_000,
  n1MinCalls: 500,
  n1MaxMeanMs: 1,
  // The playbook: "ideally > 99 %".
  minCacheHitRatio: 0.99,
  // Twice the playbook's autovacuum_vacuum_scale_factor (0.05): autovacuum should have run by then.
  maxDeadRatio: 0.1,
  minDeadTuples: 1000,
};

/** missing-index: sequential scans a table needs before its share of index scans means anything. */
export const MIN_SEQ_SCANS = 10;

/** missing-index (pghero's rule): a table is a suspect when its indexes serve under this share of its scans. */
export const MIN_INDEX_SCAN_SHARE = 0.95;
