/**
 * The playbook's query-health rules (section 2, "Indexing"; section 5 for vacuum and sessions):
 * pure functions from what PostgreSQL's statistics say (shared/pg-health.ts results) to findings,
 * each with a rule id and the fix. No I/O: `db-playbook inspect` gathers, these modules judge.
 * One module per concern, re-exported here:
 * - query-health/rules.ts: the rule ids (`--fail-on` takes them), findings, thresholds;
 * - query-health/sql-parser.ts: pg_stat_statements' text read with PostgreSQL's own grammar
 *   (libpg-query); a statement it cannot read is counted and left out, never a crash;
 * - query-health/indexes.ts: missing-index (pghero's rule: indexes serving under 95 % of the scans
 *   of a table of >= 10,000 rows, ranked by rows read sequentially and the time of the statements
 *   no index serves) with the CREATE INDEX to consider (composite, partial), unused-index (scanned
 *   on no instance read), duplicate-index, invalid-index;
 * - query-health/n-plus-one.ts: single-row lookups called very often;
 * - query-health/vacuum.ts: autovacuum-settings, per-table settings for tables the global
 *   thresholds do not fit;
 * - query-health/bloat.ts: table-bloat and index-bloat, estimated from row counts and pg_stats;
 * - query-health/hypopg.ts: dexter's check of a suggested index with a hypothetical one;
 * - query-health/analyze.ts: every rule applied, the findings with their fixes;
 * - query-health/rank.ts: the text report's ranking and folding;
 * - query-health/format.ts: sizes, times, and statements with their literals redacted;
 * - query-health/queries.ts: the SQL inspect runs besides shared/pg-health.ts's.
 *
 * A statement a finding or a report shows has its literals replaced by `$n` (redactLiterals):
 * pg_stat_activity holds statements as they were sent, and pg_stat_statements normalizes only
 * planned statements (SELECT, INSERT, UPDATE, DELETE, MERGE), not utility ones: both can hold
 * personal data or an `ALTER ROLE … PASSWORD '…'`.
 */
export * from './query-health/rules';
export * from './query-health/format';
export * from './query-health/sql-parser';
export * from './query-health/n-plus-one';
export * from './query-health/indexes';
export * from './query-health/vacuum';
export * from './query-health/bloat';
export * from './query-health/analyze';
export * from './query-health/rank';

