/**
 * The playbook's PostgreSQL parameter values, with no dependency: the library's parameter
 * groups (lib/private/defaults.ts re-exports these) and the CLI's doctor rules read the same
 * tables, and the CLI bundle must not pull in aws-cdk-lib to get them.
 */

/**
 * The playbook's parameters (section 5 "Automated Vacuuming" and "Long-Running Queries"),
 * in the units RDS uses for each parameter (which are PostgreSQL's base units).
 */
export const PLAYBOOK_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  // The playbook's postgresql.conf: vacuum after 5 % of a table changed, analyze after 2 %
  // (PostgreSQL's defaults of 20 % / 10 % let big tables bloat).
  autovacuum_vacuum_scale_factor: '0.05',
  autovacuum_analyze_scale_factor: '0.02',
  // Insert-only tables (logs, events) get vacuumed (visibility map, freezing) at the same 5 %.
  autovacuum_vacuum_insert_scale_factor: '0.05',
  // Let autovacuum do 10x the default work per cost cycle: gp3 handles it, bloat does not wait.
  autovacuum_vacuum_cost_limit: '2000',
  // Seconds between autovacuum launcher runs per database (default 60).
  autovacuum_naptime: '15',
  // Milliseconds: log every autovacuum run that takes longer than 1 s.
  log_autovacuum_min_duration: '1000',
  // Milliseconds: "any query running longer than 5 seconds" is logged (and alarmed on).
  log_min_duration_statement: '5000',
  // Static: takes effect after a reboot. pg_stat_statements finds missing indexes and
  // N+1 queries; auto_explain logs the plan of every slow statement.
  shared_preload_libraries: 'pg_stat_statements,auto_explain',
  // Milliseconds: plans of statements slower than 5 s.
  'auto_explain.log_min_duration': '5000',
  // Off: pg_stat_statements keeps utility statements verbatim, and AWS's secret-rotation functions
  // run `ALTER USER ... WITH PASSWORD '<new password>'`, which the monitoring user (pg_read_all_stats)
  // could then read. Utility statements (DDL, VACUUM) are not what inspect looks for.
  'pg_stat_statements.track_utility': '0',
  // I/O timing in EXPLAIN (ANALYZE, BUFFERS) and pg_stat_statements; cheap on Graviton.
  track_io_timing: '1',
  // SSD storage: random reads cost almost what sequential ones do, so indexes get used.
  random_page_cost: '1.1',
  // Log waits on locks longer than deadlock_timeout (1 s).
  log_lock_waits: '1',
  // Kilobytes: log every temporary file of 10 MB or more (RDS's default -1 logs none): a sort or
  // hash spilling past work_mem shows in `db-playbook logs` with its statement.
  log_temp_files: '10240',
  // Milliseconds: end sessions idle inside a transaction for 5 min (they block vacuum).
  idle_in_transaction_session_timeout: '300000',
  // Megabytes: a stuck replication slot may hold at most 20 GiB of WAL, not the whole disk.
  max_slot_wal_keep_size: '20480',
  // RDS only: refuse connections that are not TLS.
  'rds.force_ssl': '1',
});

/**
 * Parameters of PLAYBOOK_PARAMETERS that only take effect after the instance reboots.
 */
export const STATIC_PARAMETERS: readonly string[] = ['shared_preload_libraries'];

/**
 * Parameters a read replica adds over the playbook's: a replica serves reads without
 * harming the primary, and never falls far behind it.
 */
export const REPLICA_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  // Off: with feedback on, a long query on a replica holds back vacuum on the primary
  // (the primary keeps dead tuples the replica might still read): replica reads bloat the primary.
  hot_standby_feedback: '0',
  // Milliseconds: a replica query that conflicts with WAL replay is cancelled after 30 s
  // instead of letting replay (and so ReplicaLag) wait without bound.
  max_standby_streaming_delay: '30000',
  max_standby_archive_delay: '30000',
});
