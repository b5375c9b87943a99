/**
 * The autovacuum-settings rule: the playbook's "Autovacuum handles this, but you must tune it for
 * high-volume apps". The global scale factors make a large table wait for millions of dead
 * tuples (20 % of 500 million rows with PostgreSQL's default 0.2); a table written to heavily
 * fills up between two runs. For such a table inspect gives the per-table settings that make
 * autovacuum start at about 1 % of it (at least 1,000 rows, at most 1 million) and, for a
 * table under 1 GB, run without cost-based sleeps.
 */
import { formatCount } from './format';
import { quoteIdent } from './format';

/** A table's write counters and its own autovacuum settings (cli/query-health/queries.ts reads them). */
export interface TableVacuumStats {
  readonly schema: string;
  readonly table: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  /** Rows updated and deleted since the statistics were reset (each leaves a dead tuple, but HOT updates are cleaned up without vacuum). */
  readonly updates: number;
  readonly deletes: number;
  readonly hotUpdates: number;
  readonly tableBytes: number | null;
  readonly autovacuumCount: number;
  /** The table's own settings (`pg_class.reloptions`), by name. */
  readonly options: Readonly<Record<string, string>>;
}

/** The server's autovacuum settings. */
export interface AutovacuumSettings {
  readonly scaleFactor: number;
  readonly threshold: number;
  readonly naptimeSeconds: number;
}

/** What inspect advises for one table. */
export interface AutovacuumAdvice {
  readonly table: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  /** Dead tuples at which autovacuum starts now: threshold + scale factor × rows (the table's own settings when it has them). */
  readonly triggerNow: number;
  /** Dead tuples per second since the statistics were reset (updates − HOT updates + deletes). */
  readonly deadPerSecond: number;
  /** The settings to give it. */
  readonly settings: Readonly<Record<string, string>>;
  /** Dead tuples at which autovacuum starts with them. */
  readonly triggerAdvised: number;
  /** `ALTER TABLE … SET (…);` */
  readonly sql: string;
}

/** Writes since the reset that make a table "written to heavily": its trigger passed this many times. */
const TURNOVERS = 10;
const ONE_GB = 1024 ** 3;

/** The per-table settings that start autovacuum at ~1 % of the table (1,000 to 1 million dead tuples). */
export function advisedSettings(liveTuples: number, tableBytes: number | null): Record<string, string> {
  const target = Math.min(1_000_000, Math.max(1000, liveTuples * 0.01));
  const scale = Number((Math.max(0, target - 1000) / Math.max(liveTuples, 1)).toPrecision(2));
  const settings: Record<string, string> = {
    autovacuum_vacuum_scale_factor: String(scale),
    autovacuum_vacuum_threshold: '1000',
  };
  // Vacuuming a small, hot table at full speed takes seconds; a large one is left to the throttle.
  if (tableBytes !== null && tableBytes < ONE_GB) settings.autovacuum_vacuum_cost_delay = '0';
  return settings;
}

/**
 * Tables of at least `minRows` rows whose dead tuples are past the trigger autovacuum has now, or
 * that produced dead tuples at least TURNOVERS times that trigger since the reset: each with
 * advisedSettings when they start vacuum earlier than what it has. Most dead tuples per second first.
 */
export function autovacuumAdvice(tables: readonly TableVacuumStats[], global: AutovacuumSettings, secondsSinceReset: number | null, minRows: number): AutovacuumAdvice[] {
  const advice: AutovacuumAdvice[] = [];
  for (const t of tables) {
    if (t.liveTuples < minRows) continue;
    const sf = Number(t.options.autovacuum_vacuum_scale_factor ?? global.scaleFactor);
    const th = Number(t.options.autovacuum_vacuum_threshold ?? global.threshold);
    const triggerNow = th + sf * t.liveTuples;
    const produced = Math.max(0, t.updates - t.hotUpdates) + t.deletes;
    const behind = t.deadTuples > triggerNow;
    const hot = produced >= TURNOVERS * triggerNow;
    if (!behind && !hot) continue;
    const settings = advisedSettings(t.liveTuples, t.tableBytes);
    const triggerAdvised = Number(settings.autovacuum_vacuum_threshold) + Number(settings.autovacuum_vacuum_scale_factor) * t.liveTuples;
    if (triggerAdvised >= triggerNow * 0.9) continue; // what it has is as good
    const name = `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
    advice.push({
      table: `${t.schema}.${t.table}`,
      liveTuples: t.liveTuples,
      deadTuples: t.deadTuples,
      triggerNow,
      deadPerSecond: secondsSinceReset && secondsSinceReset > 0 ? produced / secondsSinceReset : 0,
      settings,
      triggerAdvised,
      sql: `ALTER TABLE ${name} SET (${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(', ')});`,
    });
  }
  return advice.sort((a, b) => b.deadPerSecond - a.deadPerSecond || b.deadTuples - a.deadTuples || a.table.localeCompare(b.table));
}

/** The message of an autovacuum-settings finding. */
export function adviceMessage(a: AutovacuumAdvice): string {
  return `${formatCount(a.liveTuples)} rows, ${formatCount(a.deadTuples)} dead now, ${formatCount(Math.round(a.deadPerSecond))} dead tuples/s since the reset; `
    + `autovacuum starts at ${formatCount(Math.round(a.triggerNow))} dead tuples with its settings now, at ${formatCount(Math.round(a.triggerAdvised))} with these`;
}
