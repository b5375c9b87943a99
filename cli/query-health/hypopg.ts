/**
 * dexter's check (ankane/dexter `lib/dexter/indexer.rb`) of a suggested index: the statement is
 * planned without it and with it created hypothetically by hypopg (an index only the planner of
 * this session sees: nothing is built, nothing written), and the suggestion stands only when the
 * plan's cost at least halves.
 *
 * pg_stat_statements' text has `$n` parameters: the statement is PREPAREd (PostgreSQL infers the
 * parameters' types) and explained with plan_cache_mode = force_generic_plan, so the plan is the
 * one for any value (with NULLs as values a custom plan would fold `col = NULL` away). It runs
 * inside inspect's READ ONLY transaction, under a savepoint: a statement that cannot be prepared
 * (an ambiguous parameter type, a table gone) leaves the suggestion unverified, never a failure.
 */
import type { QueryFunction } from '../../shared/pg-health';
import type { SuggestionCheck } from './indexes';

/** A suggestion stands when the plan cost with the index is at most this share of the cost without it. */
export const MAX_COST_SHARE = 0.5;

const PREPARED = 'db_playbook_hypo';

function highestParameter(sql: string): number {
  return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

async function planCost(db: QueryFunction, statement: string): Promise<number> {
  await db(`PREPARE ${PREPARED} AS ${statement}`);
  const n = highestParameter(statement);
  const args = n > 0 ? `(${Array(n).fill('NULL').join(', ')})` : '';
  const { rows } = await db(`EXPLAIN (FORMAT JSON) EXECUTE ${PREPARED}${args}`);
  // Prepared statements are not transactional: deallocated here, or after the savepoint's rollback.
  await db(`DEALLOCATE ${PREPARED}`);
  const plan = (Object.values(rows[0])[0] as { Plan: { 'Total Cost': number } }[])[0].Plan;
  return plan['Total Cost'];
}

/**
 * The statement's plan cost without and with `createIndex` as a hypothetical index (hypopg in
 * schema `schema`); null when the statement could not be planned.
 */
export async function checkSuggestion(db: QueryFunction, schema: string, statement: string, createIndex: string): Promise<SuggestionCheck | null> {
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  await db('SAVEPOINT db_playbook_hypo');
  let result: SuggestionCheck | null;
  try {
    await db("SET LOCAL plan_cache_mode = 'force_generic_plan'");
    const costBefore = await planCost(db, statement);
    // hypopg takes a CREATE INDEX without CONCURRENTLY.
    await db(`SELECT * FROM ${q(schema)}.hypopg_create_index($1)`, [createIndex.replace(/\s+CONCURRENTLY\b/i, '').replace(/;\s*$/, '')]);
    const costAfter = await planCost(db, statement);
    result = { costBefore, costAfter, halved: costAfter <= costBefore * MAX_COST_SHARE };
  } catch {
    result = null;
  }
  // Every statement below runs in a transaction that is not aborted: none of them may fail.
  await db('ROLLBACK TO SAVEPOINT db_playbook_hypo');
  await db('RELEASE SAVEPOINT db_playbook_hypo');
  await db(`SELECT ${q(schema)}.hypopg_reset()`);
  if ((await db('SELECT 1 FROM pg_prepared_statements WHERE name = $1', [PREPARED])).rows.length > 0) await db(`DEALLOCATE ${PREPARED}`);
  return result;
}
