/**
 * The n-plus-one rule: a SELECT called very often with a tiny mean, reading one table by a
 * single `column = $n` equality (no IN / ANY batching, no JOIN, no subquery): the shape of an
 * ORM loading one row per parent row.
 */
import type { StatementStats, TableActivity } from '../../shared/pg-health';
import { DEFAULT_THRESHOLDS, Thresholds } from './rules';
import { ParsedStatement, parseStatement, RelationRef } from './sql-parser';

export function isSystemRelation(r: RelationRef): boolean {
  return r.name.startsWith('pg_') || r.schema === 'pg_catalog' || r.schema === 'information_schema';
}

/** Whether a relation of a statement is `table` (schema checked when the statement names one). */
export function refersTo(r: RelationRef, table: Pick<TableActivity, 'schema' | 'table'>): boolean {
  return r.name === table.table && (r.schema === null || r.schema === table.schema);
}

/**
 * The column of a single-key lookup: a SELECT of one table (no JOIN, no subquery, no UNION)
 * whose WHERE is exactly one `column = $n`, give or take IS [NOT] NULL conditions (soft deletes),
 * and nothing batched (IN, ANY). Undefined for anything else.
 */
export function singleKeyLookup(parsed: ParsedStatement): { relation: RelationRef; column: string } | undefined {
  if (parsed.kind !== 'select' || parsed.relations.length !== 1 || parsed.joins || parsed.subqueries || parsed.setOperation) return undefined;
  if (parsed.where === null || parsed.batched) return undefined;
  const relation = parsed.relations[0];
  if (isSystemRelation(relation)) return undefined;
  const keys = parsed.where.filter((p) => p.operator === 'eq' && p.value === 'param' && p.column !== null);
  const others = parsed.where.filter((p) => !keys.includes(p));
  if (keys.length !== 1 || !others.every((p) => p.operator === 'is-null' || p.operator === 'is-not-null')) return undefined;
  return { relation, column: keys[0].column! };
}

/** The pg_stat_statements figures a finding quotes for a statement. */
export type StatementFigures = Pick<StatementStats, 'queryId' | 'query' | 'calls' | 'meanMs' | 'totalMs' | 'rows'>;

/** A statement that looks like an N+1 query. */
export interface NPlusOneSuspect extends StatementFigures {
  /** The table it reads, as written in the statement. */
  readonly table: string;
  /** The key column it looks up. */
  readonly column: string;
}

/**
 * Statements called at least n1MinCalls times with a mean below n1MaxMeanMs that are single-key
 * lookups (singleKeyLookup), most calls first. When `userTables` is given (`schema.table` or
 * `table` names), only lookups of those tables count. Statements the parser cannot read are left out.
 */
export function nPlusOneSuspects(statements: readonly StatementStats[], thresholds: Pick<Thresholds, 'n1MinCalls' | 'n1MaxMeanMs'> = DEFAULT_THRESHOLDS, userTables?: readonly TableActivity[]): NPlusOneSuspect[] {
  const suspects: NPlusOneSuspect[] = [];
  const names = userTables ? new Set(userTables.flatMap((t) => [t.table, t.name])) : undefined;
  for (const s of statements) {
    if (s.calls < thresholds.n1MinCalls || !(s.meanMs < thresholds.n1MaxMeanMs)) continue;
    const parsed = parseStatement(s.query);
    const lookup = parsed ? singleKeyLookup(parsed) : undefined;
    if (!lookup) continue;
    if (names && !names.has(lookup.relation.schema ? `${lookup.relation.schema}.${lookup.relation.name}` : lookup.relation.name)) continue;
    const table = lookup.relation.schema ? `${lookup.relation.schema}.${lookup.relation.name}` : lookup.relation.name;
    suspects.push({ queryId: s.queryId, query: s.query, calls: s.calls, meanMs: s.meanMs, totalMs: s.totalMs, rows: s.rows, table, column: lookup.column });
  }
  return suspects.sort((a, b) => b.calls - a.calls || a.queryId.localeCompare(b.queryId));
}
