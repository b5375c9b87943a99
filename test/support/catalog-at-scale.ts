/**
 * Builds the catalog of issue #19's scenario on a real server: many small tables, each with a
 * primary key and three secondary indexes never scanned (so 4 indexes a table), and one large
 * table (`big`, 200,000 rows) read by sequential scans on an unindexed column. Used by the
 * 3,000-table test (test/cli/inspect-scale.test.ts) and bench/inspect.ts (10,000 tables).
 */
import type { Client } from 'pg';

/** Creates `tables` small tables (t00001 …) in batches of one transaction each (each new relation holds a lock until commit). */
export async function buildSmallTables(c: Client, tables: number, batch = 250): Promise<void> {
  for (let start = 1; start <= tables; start += batch) {
    const end = Math.min(tables, start + batch - 1);
    await c.query(`DO $$
      BEGIN
        FOR i IN ${start}..${end} LOOP
          EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int, b text, c timestamptz)', lpad(i::text, 5, '0'));
          EXECUTE format('CREATE INDEX t%s_a ON t%s (a)', lpad(i::text, 5, '0'), lpad(i::text, 5, '0'));
          EXECUTE format('CREATE INDEX t%s_b ON t%s (b)', lpad(i::text, 5, '0'), lpad(i::text, 5, '0'));
          EXECUTE format('CREATE INDEX t%s_c ON t%s (c)', lpad(i::text, 5, '0'), lpad(i::text, 5, '0'));
        END LOOP;
      END $$`);
  }
}

/** The large table: 200,000 rows, an index never used, filtered `runs` times by its unindexed `ref`. */
export async function buildBigTable(c: Client, runs = 20): Promise<void> {
  await c.query(`CREATE TABLE big (id bigint PRIMARY KEY, ref text NOT NULL, note text);
    INSERT INTO big SELECT g, 'ref-' || (g % 5000), repeat('x', 100) FROM generate_series(1, 200000) g;
    CREATE INDEX big_note_idx ON big (note);`);
  await c.query('SELECT pg_stat_reset()');
  await c.query('ANALYZE');
  for (let i = 0; i < runs; i++) await c.query('SELECT id FROM big WHERE ref = $1', [`ref-${i}`]);
  await c.query('SELECT pg_stat_force_next_flush()');
  await c.query('SELECT 1');
}
