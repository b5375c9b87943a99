/**
 * The SQL inspect runs besides shared/pg-health.ts's (which the PostgresMetrics collector
 * shares): one function per query, each a read of the statistics views or the catalog, plus a
 * small post-process.
 */
import type { QueryFunction } from '../../shared/pg-health';
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
