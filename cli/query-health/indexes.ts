/**
 * The index rules: missing-index (pghero's rule, ranked by rows read sequentially and the time of
 * the statements behind them), the CREATE INDEX each calls for (composite and partial), and
 * unused, duplicate and invalid indexes.
 */
import type { IndexUsage, StatementStats, TableActivity } from '../../shared/pg-health';
import { quoteIdent } from './format';
import { refersTo, StatementFigures } from './n-plus-one';
import { DEFAULT_THRESHOLDS, MIN_INDEX_SCAN_SHARE, MIN_SEQ_SCANS } from './rules';
import { ParsedStatement, parseStatement, Predicate } from './sql-parser';

// --- missing indexes --------------------------------------------------------------------------

/** The columns of a statement's conditions that belong to `table`. */
export function conditionsOn(parsed: ParsedStatement, table: Pick<TableActivity, 'schema' | 'table'>, columns?: readonly string[]): Predicate[] {
  const own = parsed.relations.filter((r) => refersTo(r, table));
  if (own.length === 0) return [];
  const names = new Set(own.flatMap((r) => [r.name, ...(r.alias ? [r.alias] : [])]));
  const others = new Set(parsed.relations.filter((r) => !refersTo(r, table)).flatMap((r) => [r.name, ...(r.alias ? [r.alias] : [])]));
  return parsed.allConditions.filter((p) => {
    if (p.column === null) return false;
    if (p.qualifier !== null) return names.has(p.qualifier) && !others.has(p.qualifier);
    if (columns) return columns.includes(p.column);
    return parsed.relations.length === 1;
  });
}

/** What hypopg said of a suggestion: the statement's plan cost without and with the hypothetical index. */
export interface SuggestionCheck {
  readonly costBefore: number;
  readonly costAfter: number;
  /** costAfter <= costBefore / 2: the suggestion is reported; otherwise withheld. */
  readonly halved: boolean;
}

/** The CREATE INDEX to consider for a table, from the statements that read it. */
export interface IndexSuggestion {
  /** Equality columns first (in the order the statement names them), then one range column. */
  readonly columns: string[];
  /** The predicate of a partial index (`deleted_at IS NULL`); null for a full index. */
  readonly predicate: string | null;
  /** `CREATE INDEX CONCURRENTLY name ON schema.table (columns) [WHERE predicate];` */
  readonly sql: string;
  /** The statement it is for. */
  readonly queryId: string;
  /** An existing valid index whose key columns already start with `columns` (with a matching predicate), if any. */
  readonly coveredBy: string | null;
  /**
   * hypopg's plan costs for the statement (dexter's check), when hypopg is installed and the
   * statement could be planned; null when not checked: the suggestion is then a heuristic, unverified.
   */
  readonly check: SuggestionCheck | null;
}

/** An identifier as pg_get_indexdef prints it (maybe quoted), unquoted for comparing. */
function unquote(name: string): string {
  return /^".*"$/.test(name) ? name.slice(1, -1).replace(/""/g, '"') : name;
}

/** `table_col1_col2_idx`, cut to PostgreSQL's 63 bytes. */
function indexName(table: string, columns: readonly string[]): string {
  const name = `${table}_${columns.join('_')}_idx`;
  return Buffer.byteLength(name) <= 63 ? name : `${Buffer.from(name).subarray(0, 59).toString().replace(/\uFFFD$/, '')}_idx`;
}

/** How many key columns a suggested composite index gets at most. */
const MAX_INDEX_COLUMNS = 4;

/**
 * The index a statement's conditions on `table` call for: its equality columns (=, IN, ANY)
 * first, then one range column (<, >, BETWEEN, LIKE), as a composite index; IS [NOT] NULL
 * conditions become the predicate of a partial index. Undefined when no condition is on a
 * column of the table.
 */
export function suggestIndex(table: Pick<TableActivity, 'schema' | 'table'>, statement: Pick<StatementStats, 'queryId' | 'query'>, options: {
  /** The table's columns, to tell which unqualified columns are its own. */
  readonly columns?: readonly string[];
  /** The existing indexes (of any table: only the table's own are looked at). */
  readonly indexes?: readonly IndexUsage[];
} = {}): IndexSuggestion | undefined {
  const parsed = parseStatement(statement.query);
  if (!parsed) return undefined;
  const conditions = conditionsOn(parsed, table, options.columns);
  const equality: string[] = [];
  const range: string[] = [];
  const partial: string[] = [];
  for (const p of conditions) {
    const column = p.column!;
    if ((p.operator === 'eq' && (p.value === 'param' || p.value === 'const')) || p.operator === 'in' || p.operator === 'any') {
      if (!equality.includes(column)) equality.push(column);
    } else if ((p.operator === 'range' || p.operator === 'like') && p.value !== 'column' && p.value !== 'other') {
      if (!range.includes(column)) range.push(column);
    } else if (p.operator === 'is-null' || p.operator === 'is-not-null') {
      const condition = `${quoteIdent(column)} IS ${p.operator === 'is-null' ? '' : 'NOT '}NULL`;
      if (!partial.includes(condition)) partial.push(condition);
    }
  }
  const firstRange = range.find((c) => !equality.includes(c));
  const columns = [...equality, ...(firstRange ? [firstRange] : [])].slice(0, MAX_INDEX_COLUMNS);
  if (columns.length === 0) return undefined;
  const predicate = partial.length > 0 ? partial.join(' AND ') : null;
  const covering = (options.indexes ?? []).find((ix) => ix.schema === table.schema && ix.table === table.table && ix.valid
    && columns.every((c, k) => unquote(ix.keyColumns[k] ?? '') === c)
    && (ix.predicate === null || ix.predicate === predicate));
  const sql = `CREATE INDEX CONCURRENTLY ${quoteIdent(indexName(table.table, columns))} ON ${quoteIdent(table.schema)}.${quoteIdent(table.table)} `
    + `(${columns.map(quoteIdent).join(', ')})${predicate ? ` WHERE ${predicate}` : ''};`;
  return { columns, predicate, sql, queryId: statement.queryId, coveredBy: covering ? `${covering.schema}.${covering.index}` : null, check: null };
}

/** A statement that reads a table flagged missing-index. */
export interface TableStatement extends StatementFigures {
  /** The columns of its WHERE conditions that are the table's. */
  readonly whereColumns: string[];
  /** Its conditions call for an index the table lacks (no existing index starts with those columns). */
  readonly unindexed: boolean;
}

/** A large table whose indexes serve under 95 % of its scans. */
export interface MissingIndex {
  readonly table: string;
  readonly liveRows: number;
  readonly seqScans: number;
  readonly indexScans: number;
  /** indexScans / (seqScans + indexScans). */
  readonly indexScanShare: number;
  readonly seqTuplesRead: number;
  readonly tableBytes: number | null;
  /** Total execution time of the statements reading it whose conditions no index serves (ms; 0 without pg_stat_statements). */
  readonly unindexedStatementMs: number;
  /** The pg_stat_statements statements that read it: those no index serves first, then most total time (at most 5). */
  readonly statements: TableStatement[];
  /** The index to consider; null without statements whose conditions could be read. */
  readonly suggestion: IndexSuggestion | null;
}

/** How many statements a missing-index finding lists. */
const STATEMENTS_PER_TABLE = 5;

/**
 * pghero's rule: tables with at least minRows live rows whose indexes serve under 95 % of their
 * scans (MIN_INDEX_SCAN_SHARE; no index at all is 0 %), with at least MIN_SEQ_SCANS sequential
 * scans. Ranked by rows read sequentially, then by the time of the statements that read them by
 * conditions no index serves: a few expensive statements among many cheap index lookups still
 * come first. With the statements that read each and the index their conditions call for.
 */
export function missingIndexes(tables: readonly TableActivity[], statements: readonly StatementStats[], options: {
  readonly minRows?: number;
  readonly indexes?: readonly IndexUsage[];
  /** Column names by `schema.table`. */
  readonly columns?: Readonly<Record<string, readonly string[]>>;
} = {}): MissingIndex[] {
  const minRows = options.minRows ?? DEFAULT_THRESHOLDS.minRows;
  const suspects = tables.filter((t) => {
    const idx = t.indexScans ?? 0;
    return t.liveTuples >= minRows && t.seqScans >= MIN_SEQ_SCANS && idx / (t.seqScans + idx) < MIN_INDEX_SCAN_SHARE;
  });
  if (suspects.length === 0) return [];
  const parsed = statements.flatMap((s) => {
    const p = parseStatement(s.query);
    return p ? [{ s, parsed: p }] : [];
  });
  return suspects
    .map((t): MissingIndex => {
      const columns = options.columns?.[t.name];
      const reading = parsed
        .filter((p) => p.parsed.relations.some((r) => refersTo(r, t)))
        .map(({ s, parsed: p }) => {
          const suggestion = suggestIndex(t, s, { columns, indexes: options.indexes });
          return { s, p, suggestion, unindexed: suggestion !== undefined && suggestion.coveredBy === null };
        })
        .sort((a, b) => Number(b.unindexed) - Number(a.unindexed) || b.s.totalMs - a.s.totalMs);
      const suggestion = reading.find((r) => r.suggestion)?.suggestion ?? null;
      const idx = t.indexScans ?? 0;
      return {
        table: t.name,
        liveRows: t.liveTuples,
        seqScans: t.seqScans,
        indexScans: idx,
        indexScanShare: idx / (t.seqScans + idx),
        seqTuplesRead: t.seqTuplesRead,
        tableBytes: t.tableBytes,
        unindexedStatementMs: reading.filter((r) => r.unindexed).reduce((sum, r) => sum + r.s.totalMs, 0),
        statements: reading.slice(0, STATEMENTS_PER_TABLE).map(({ s, p, unindexed }) => ({
          queryId: s.queryId, query: s.query, calls: s.calls, meanMs: s.meanMs, totalMs: s.totalMs, rows: s.rows,
          whereColumns: [...new Set(conditionsOn(p, t, columns).map((c) => c.column!))],
          unindexed,
        })),
        suggestion,
      };
    })
    .sort((a, b) => b.seqTuplesRead - a.seqTuplesRead || b.unindexedStatementMs - a.unindexedStatementMs || a.table.localeCompare(b.table));
}

/** Whether dropping the index would drop a guarantee (a constraint, uniqueness, replica identity). */
export function enforcesSomething(ix: IndexUsage): boolean {
  return ix.constraintType !== null || ix.unique || ix.primary || ix.replicaIdentity;
}

/**
 * Indexes never scanned that enforce nothing and are valid (an invalid one is invalid-index),
 * largest first. `scans` is what every instance read counted together (mergeScans): an index
 * only a replica reads is used.
 */
export function unusedIndexes(indexes: readonly IndexUsage[]): IndexUsage[] {
  return indexes
    .filter((ix) => ix.scans === 0 && ix.valid && !enforcesSomething(ix))
    .sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0) || `${a.schema}.${a.index}`.localeCompare(`${b.schema}.${b.index}`));
}

/** An index another one makes unnecessary. */
export interface RedundantIndex {
  readonly index: IndexUsage;
  /** The index that serves its queries. */
  readonly coveredBy: IndexUsage;
  /** `duplicate` (same key columns) or `prefix` (its key columns start the other's). */
  readonly kind: 'duplicate' | 'prefix';
}

function words(value: string): string[] {
  return value.trim() === '' ? [] : value.trim().split(/\s+/);
}

/** Which of two equal indexes to keep: the one enforcing something, then the most used, then the first by name. */
function keepRank(ix: IndexUsage): [number, number, string] {
  return [(ix.constraintType !== null ? 4 : 0) + (ix.primary ? 2 : 0) + (ix.unique ? 1 : 0), ix.scans, ix.index];
}

function keepsBetter(a: IndexUsage, b: IndexUsage): boolean {
  const [ra, sa, na] = keepRank(a);
  const [rb, sb, nb] = keepRank(b);
  return ra !== rb ? ra > rb : sa !== sb ? sa > sb : na < nb;
}

/**
 * Whether `covering` serves every query `ix` serves: same table, method and predicate; `ix`'s
 * key columns (with their operator classes, collations and orderings) are the first ones of
 * `covering` (for a btree; the same key columns for other methods), its INCLUDE columns among
 * `covering`'s columns; and `ix` enforces nothing `covering` does not.
 */
export function covers(covering: IndexUsage, ix: IndexUsage): boolean {
  if (covering === ix || !covering.valid) return false;
  if (covering.schema !== ix.schema || covering.table !== ix.table || covering.method !== ix.method) return false;
  if ((covering.predicate ?? '') !== (ix.predicate ?? '')) return false;
  const n = ix.keyColumns.length;
  if (n > covering.keyColumns.length || (ix.method !== 'btree' && n !== covering.keyColumns.length)) return false;
  const prefix = (list: string, k: number) => words(list).slice(0, k).join(' ');
  if (ix.keyColumns.some((c, k) => covering.keyColumns[k] !== c)) return false;
  for (const list of ['opclasses', 'collations', 'options'] as const) {
    if (prefix(ix[list], n) !== prefix(covering[list], n)) return false;
  }
  const coveringColumns = [...covering.keyColumns, ...covering.includeColumns];
  if (!ix.includeColumns.every((c) => coveringColumns.includes(c))) return false;
  // A unique index is redundant only next to one unique on exactly the same columns.
  if (ix.unique && !(covering.unique && n === covering.keyColumns.length)) return false;
  if (ix.constraintType !== null || ix.replicaIdentity) return false;
  return true;
}

/**
 * Duplicate and prefix-redundant indexes: for each index some other valid index covers, the
 * covering index with the most key columns (of two equal ones, the one to keep: enforcing
 * something, most used, first by name).
 */
export function redundantIndexes(indexes: readonly IndexUsage[]): RedundantIndex[] {
  const result: RedundantIndex[] = [];
  // Only indexes of the same table can cover each other: compare within each table, not all pairs.
  const byTable = new Map<string, IndexUsage[]>();
  for (const ix of indexes) {
    const key = `${ix.schema}.${ix.table}`;
    const list = byTable.get(key);
    if (list) list.push(ix); else byTable.set(key, [ix]);
  }
  for (const ix of indexes) {
    const sameTable = byTable.get(`${ix.schema}.${ix.table}`)!;
    if (sameTable.length < 2) continue;
    const candidates = sameTable.filter((other) => covers(other, ix)
      // Of two equal indexes only one is redundant.
      && !(other.keyColumns.length === ix.keyColumns.length && other.includeColumns.length === ix.includeColumns.length && covers(ix, other) && keepsBetter(ix, other)));
    if (candidates.length === 0) continue;
    const coveredBy = candidates.sort((a, b) => b.keyColumns.length - a.keyColumns.length || (keepsBetter(a, b) ? -1 : 1))[0];
    result.push({ index: ix, coveredBy, kind: coveredBy.keyColumns.length === ix.keyColumns.length ? 'duplicate' : 'prefix' });
  }
  return result;
}

/** Indexes left INVALID: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed; every write still maintains them and no query uses them. */
export function invalidIndexes(indexes: readonly IndexUsage[]): IndexUsage[] {
  return indexes.filter((ix) => !ix.valid).sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0) || `${a.schema}.${a.index}`.localeCompare(`${b.schema}.${b.index}`));
}
