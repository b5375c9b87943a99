/**
 * The SQL inspect runs besides shared/pg-health.ts's (which the PostgresMetrics collector
 * shares): one function per query, each a read of the statistics views or the catalog, plus a
 * small post-process.
 */
import type { QueryFunction } from '../../shared/pg-health';
import type { RelationSpace } from './bloat';
import type { AutovacuumSettings, TableVacuumStats } from './vacuum';

/** Write counters, autovacuum runs and per-table settings of the tables of at least $1 live rows. */
export const TABLE_VACUUM_SQL = `SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd,
  s.autovacuum_count, pg_table_size(s.relid) AS table_bytes, c.reloptions
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.n_live_tup >= $1`;

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** TABLE_VACUUM_SQL's rows. */
export async function tableVacuumStats(db: QueryFunction, minRows: number): Promise<TableVacuumStats[]> {
  const { rows } = await db(TABLE_VACUUM_SQL, [minRows]);
  return rows.map((r) => ({
    schema: String(r.schemaname),
    table: String(r.relname),
    liveTuples: num(r.n_live_tup),
    deadTuples: num(r.n_dead_tup),
    updates: num(r.n_tup_upd),
    deletes: num(r.n_tup_del),
    hotUpdates: num(r.n_tup_hot_upd),
    autovacuumCount: num(r.autovacuum_count),
    tableBytes: r.table_bytes === null ? null : num(r.table_bytes),
    options: Object.fromEntries(((r.reloptions as string[] | null) ?? []).map((o) => {
      const i = o.indexOf('=');
      return [o.slice(0, i), o.slice(i + 1)];
    })),
  }));
}

export const AUTOVACUUM_SETTINGS_SQL = `SELECT current_setting('autovacuum_vacuum_scale_factor')::float8 AS scale_factor,
  current_setting('autovacuum_vacuum_threshold')::int AS threshold,
  extract(epoch FROM current_setting('autovacuum_naptime')::interval) AS naptime`;

/** The server's autovacuum thresholds. */
export async function autovacuumSettings(db: QueryFunction): Promise<AutovacuumSettings> {
  const r = (await db(AUTOVACUUM_SETTINGS_SQL)).rows[0];
  return { scaleFactor: num(r.scale_factor), threshold: num(r.threshold), naptimeSeconds: num(r.naptime) };
}

/** The schema of hypopg in the connected database; null when it is not installed. */
export async function hypopgSchema(db: QueryFunction): Promise<string | null> {
  const { rows } = await db("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'");
  return rows.length > 0 ? String(rows[0].nspname) : null;
}

/** Each user index's scan count on the connected instance, with when its statistics were reset (a --replica's read). */
export const INDEX_SCANS_SQL = `SELECT schemaname, indexrelname, idx_scan FROM pg_stat_user_indexes`;

/** Scan counts by `schema.index`. */
export async function indexScans(db: QueryFunction): Promise<Map<string, number>> {
  const { rows } = await db(INDEX_SCANS_SQL);
  return new Map(rows.map((r) => [`${r.schemaname}.${r.indexrelname}`, num(r.idx_scan)]));
}

/** Tables of at least $1 pages: their row count, pages and the average width of a row (pg_stats). */
export const TABLE_SPACE_SQL = `SELECT n.nspname, c.relname, c.reltuples::float8 AS tuples, c.relpages::float8 AS pages,
  current_setting('block_size')::int AS block_size,
  coalesce(substring(array_to_string(c.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 100) AS fillfactor,
  (SELECT sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) FROM pg_stats s
    WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited)::float8 AS data_width
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  AND c.relpages >= $1 AND c.reltuples > 0`;

/** Btree indexes (on columns, not partial) of at least $1 pages: entries, pages and the average width of their key columns. */
export const INDEX_SPACE_SQL = `SELECT n.nspname, ic.relname AS index, c.relname AS table, ic.reltuples::float8 AS tuples, ic.relpages::float8 AS pages,
  current_setting('block_size')::int AS block_size,
  coalesce(substring(array_to_string(ic.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 90) AS fillfactor,
  (SELECT sum(coalesce(s.avg_width, 0)) FROM pg_attribute a
    JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited
    WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey::int2[]))::float8 AS data_width
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE am.amname = 'btree' AND NOT (0 = ANY (i.indkey::int2[])) AND i.indpred IS NULL AND i.indisvalid
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND ic.relpages >= $1`;

/** Relations under 1 MB are not estimated: nothing to gain. */
const MIN_PAGES = 128;

/** Tables and btree indexes of at least 1 MB with what their rows need (cli/query-health/bloat.ts estimates). */
export async function relationSpace(db: QueryFunction): Promise<RelationSpace[]> {
  const tables = (await db(TABLE_SPACE_SQL, [MIN_PAGES])).rows.map((r): RelationSpace => ({
    kind: 'table', schema: String(r.nspname), name: String(r.relname), table: String(r.relname), tuples: num(r.tuples), pages: num(r.pages),
    blockSize: num(r.block_size), dataWidth: num(r.data_width), fillfactor: num(r.fillfactor),
  }));
  const indexes = (await db(INDEX_SPACE_SQL, [MIN_PAGES])).rows.map((r): RelationSpace => ({
    kind: 'index', schema: String(r.nspname), name: String(r.index), table: String(r.table), tuples: num(r.tuples), pages: num(r.pages),
    blockSize: num(r.block_size), dataWidth: num(r.data_width), fillfactor: num(r.fillfactor),
  }));
  return [...tables, ...indexes];
}
