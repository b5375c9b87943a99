/**
 * The playbook's query-health rules (section 2, "Indexing"; section 5 for vacuum and sessions):
 * pure functions from what PostgreSQL's statistics say (shared/pg-health.ts results) to findings,
 * each with a rule id and the fix. No I/O: `db-playbook inspect` gathers, this module judges.
 *
 * Rules (ids are stable: `--fail-on` takes them):
 * - missing-index: a table with at least `minRows` live rows read mostly by sequential scans
 *   (seq_scan > idx_scan, at least MIN_SEQ_SCANS of them); with the pg_stat_statements statements
 *   that read it, their WHERE columns and the CREATE INDEX CONCURRENTLY to consider (equality
 *   columns first, then one range column: a composite index; IS [NOT] NULL conditions as the
 *   predicate of a partial index).
 * - unused-index: never scanned (idx_scan = 0) and enforcing nothing (no primary key, unique or
 *   exclusion constraint, not a unique index, not the replica identity).
 * - duplicate-index: a btree whose key columns are a prefix of (or equal to) another valid index's
 *   on the same table, with the same predicate, operator classes, collations and orderings (an
 *   exact duplicate of any method counts too); an index that enforces something is never the one
 *   to drop, unless the other enforces the same.
 * - n-plus-one: a SELECT called at least `n1MinCalls` times with a mean under `n1MaxMeanMs`,
 *   reading one table by a single `column = $n` equality (no IN / ANY batching, no JOIN, no
 *   subquery): the shape of an ORM loading one row per parent row. Ranked by calls.
 * - long-running: a statement active for more than 5 s now (the playbook's alert threshold).
 * - idle-in-transaction: a session idle inside an open transaction now.
 * - low-cache-hit: the playbook's buffer cache hit ratio below 99 %.
 * - dead-tuples: a table with at least `minDeadTuples` dead tuples making up more than
 *   `maxDeadRatio` of it: autovacuum is behind (or blocked by an old transaction).
 * - pg-stat-statements-missing: pg_stat_statements is not preloaded or not created in the
 *   database, so statement-level rules could not run.
 *
 * The SQL parsing here is a tokenizer plus a few patterns over pg_stat_statements' normalized
 * text, not a SQL parser: what it cannot read it leaves out (no columns, not an N+1 suspect).
 *
 * A statement a finding or a report shows has its literals replaced by `$n` (redactLiterals):
 * pg_stat_activity holds statements as they were sent, and pg_stat_statements normalizes only
 * planned statements (SELECT, INSERT, UPDATE, DELETE, MERGE), not utility ones: both can hold
 * personal data or an `ALTER ROLE … PASSWORD '…'`.
 */
import type {
  CacheHitRatio,
  DeadTupleRatio,
  IndexUsage,
  PgStatStatementsStatus,
  SessionInfo,
  StatementStats,
  TableActivity,
} from '../shared/pg-health';
import { LONG_RUNNING_SECONDS } from '../shared/pg-health';
import { UsageError } from './errors';

// --- rules ------------------------------------------------------------------------------------

/** What each rule finds, by id (the ids `--fail-on` takes). */
export const RULES = {
  'missing-index': 'a large table read mostly by sequential scans',
  'unused-index': 'an index never scanned that enforces nothing',
  'duplicate-index': 'an index duplicating, or a prefix of, another index on the same table',
  'n-plus-one': 'a single-row lookup called very often with a tiny mean time (N+1 queries)',
  'long-running': `a statement running longer than ${LONG_RUNNING_SECONDS} s now`,
  'idle-in-transaction': 'a session idle inside an open transaction now',
  'low-cache-hit': 'the buffer cache hit ratio below 99 %',
  'dead-tuples': 'a table with a high share of dead tuples (autovacuum behind)',
  'pg-stat-statements-missing': 'pg_stat_statements not preloaded or not created: no statement statistics',
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

/** missing-index: sequential scans a table needs before "mostly sequential" means anything. */
export const MIN_SEQ_SCANS = 10;

// --- tokenizing normalized SQL ----------------------------------------------------------------

/** A token of a SQL statement; `depth` is the parenthesis depth (a parenthesis has the outer one). */
export interface Token {
  readonly type: 'word' | 'ident' | 'param' | 'number' | 'string' | 'op' | 'punct';
  /** Words lower-cased; quoted identifiers unquoted, case kept; strings as ''. */
  readonly value: string;
  readonly depth: number;
  /** The word before the `(` that opened the current depth (a function or keyword), '' if none. */
  readonly opener: string;
}

const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?';

/** Splits SQL into tokens, skipping comments and whitespace. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const openers: string[] = [];
  let i = 0;
  const push = (type: Token['type'], value: string) => {
    tokens.push({ type, value, depth: openers.length, opener: openers[openers.length - 1] ?? '' });
  };
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { while (i < sql.length && sql[i] !== '\n') i++; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      i += c === "'" ? 1 : 2;
      while (i < sql.length) {
        if (sql[i] === '\\' && c !== "'") { i += 2; continue; }
        if (sql[i] === "'") { if (sql[i + 1] === "'") { i += 2; continue; } i++; break; }
        i++;
      }
      push('string', '');
      continue;
    }
    if (c === '"') {
      let value = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === '"') { if (sql[i + 1] === '"') { value += '"'; i += 2; continue; } i++; break; }
        value += sql[i++];
      }
      push('ident', value);
      continue;
    }
    if (c === '$') {
      const param = /^\$\d+/.exec(sql.slice(i));
      if (param) { push('param', param[0]); i += param[0].length; continue; }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? sql.length : end + tag[0].length;
        push('string', '');
        continue;
      }
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const num = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(sql.slice(i))!;
      push('number', num[0]);
      i += num[0].length;
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const word = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i))!;
      push('word', word[0].toLowerCase());
      i += word[0].length;
      continue;
    }
    if (c === '(') {
      const prev = tokens[tokens.length - 1];
      push('punct', '(');
      openers.push(prev && (prev.type === 'word' || prev.type === 'ident') ? prev.value : '');
      i++;
      continue;
    }
    if (c === ')') {
      openers.pop();
      push('punct', ')');
      i++;
      continue;
    }
    if (c === ':' && sql[i + 1] === ':') { push('op', '::'); i += 2; continue; }
    if ('.,;[]:'.includes(c)) { push('punct', c); i++; continue; }
    if (OPERATOR_CHARS.includes(c)) {
      let j = i;
      while (j < sql.length && OPERATOR_CHARS.includes(sql[j])) j++;
      push('op', sql.slice(i, j));
      i = j;
      continue;
    }
    i++; // anything else: skip
  }
  return tokens;
}

// --- reading a statement ----------------------------------------------------------------------

/** A table a statement reads or writes. */
export interface RelationRef {
  readonly schema: string | null;
  readonly name: string;
  readonly alias: string | null;
}

/** One AND-ed condition of a WHERE clause. */
export interface Predicate {
  /** The table name or alias before the column (`o` in `o.customer_id`); null when unqualified. */
  readonly qualifier: string | null;
  /** The column; null when the left side is an expression (`lower(email)`, `a + b`). */
  readonly column: string | null;
  /**
   * `eq` (=), `range` (<, <=, >, >=, BETWEEN), `in` (IN (...)), `any` (= ANY(...)), `like`,
   * `is-null`, `is-not-null`, or `other` (OR-ed, negated, <> ...).
   */
  readonly operator: 'eq' | 'range' | 'in' | 'any' | 'like' | 'is-null' | 'is-not-null' | 'other';
  /** The right side: a parameter ($n), a constant, another column, nothing (IS NULL), or other. */
  readonly value: 'param' | 'const' | 'column' | 'none' | 'other';
}

/** What inspect reads from a statement's normalized text. */
export interface ParsedStatement {
  readonly kind: 'select' | 'insert' | 'update' | 'delete' | 'with' | 'other';
  /** Tables after FROM, JOIN, UPDATE, INTO, in order (functions and subqueries left out). */
  readonly relations: RelationRef[];
  /** A JOIN, or several tables in one FROM list. */
  readonly joins: boolean;
  /** A SELECT inside parentheses (a subquery, a derived table, a CTE body). */
  readonly subqueries: boolean;
  /** UNION / INTERSECT / EXCEPT. */
  readonly setOperation: boolean;
  /** The conditions of the statement's own (outermost) WHERE; null when it has none. */
  readonly where: Predicate[] | null;
  /** The conditions of every WHERE, subqueries' included. */
  readonly allConditions: Predicate[];
  /** IN (...) or = ANY(...) in a WHERE: one statement for many keys. */
  readonly batched: boolean;
}

const CLAUSE_END = new Set(['group', 'order', 'limit', 'offset', 'having', 'window', 'for', 'returning', 'union', 'intersect', 'except', 'fetch', 'on', 'do']);
const NOT_ALIAS = new Set([
  'where', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'group', 'order', 'limit', 'offset',
  'having', 'window', 'union', 'intersect', 'except', 'for', 'returning', 'set', 'values', 'lateral', 'tablesample', 'fetch',
  'and', 'or', 'select', 'from', 'into', 'as', 'when', 'then', 'else', 'end', 'default', 'do', 'with', 'only', 'outer',
  'overriding', 'query', 'select',
]);
/** Functions whose arguments use the FROM keyword: `extract(epoch FROM ...)`, `substring(s FROM 2)`. */
const FROM_FUNCTIONS = new Set(['extract', 'substring', 'trim', 'overlay', 'position']);

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.type === 'ident' || t.type === 'word');
}

/** Reads `[schema.]name [[AS] alias]` at tokens[i]; undefined when it is no table (a subquery, a function). */
function readRelation(tokens: Token[], i: number, columnList = false): { relation: RelationRef; next: number } | undefined {
  let j = i;
  while (tokens[j]?.type === 'word' && (tokens[j].value === 'only' || tokens[j].value === 'lateral')) j++;
  if (!isName(tokens[j])) return undefined;
  const parts = [tokens[j].value];
  j++;
  while (tokens[j]?.value === '.' && isName(tokens[j + 1])) {
    parts.push(tokens[j + 1].value);
    j += 2;
  }
  if (tokens[j]?.value === '(' && !columnList) return undefined; // a function in FROM (INSERT INTO t (columns) is a table)
  if (tokens[j]?.value === '*') j++; // `FROM t *` (inheritance)
  let alias: string | null = null;
  if (tokens[j]?.type === 'word' && tokens[j].value === 'as' && isName(tokens[j + 1])) {
    alias = tokens[j + 1].value;
    j += 2;
  } else if (tokens[j]?.type === 'ident' || (tokens[j]?.type === 'word' && !NOT_ALIAS.has(tokens[j].value))) {
    alias = tokens[j].value;
    j++;
  }
  const name = parts[parts.length - 1];
  const schema = parts.length >= 2 ? parts[parts.length - 2] : null;
  return { relation: { schema, name, alias }, next: j };
}

/** The conditions between tokens[start] and the end of that WHERE clause, split on the top-level ANDs. */
function readWhere(tokens: Token[], start: number): { predicates: Predicate[]; batched: boolean } {
  const depth = tokens[start - 1].depth;
  const conjuncts: Token[][] = [[]];
  let batched = false;
  let between = false;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.depth < depth) break; // the `)` closing the subquery
    if (t.depth === depth && (t.value === ';' || (t.type === 'word' && CLAUSE_END.has(t.value)))) break;
    if (t.type === 'word' && (t.value === 'in' || t.value === 'any' || t.value === 'some')) batched = true;
    if (t.depth === depth && t.type === 'word' && t.value === 'between') between = true;
    if (t.depth === depth && t.type === 'word' && t.value === 'and') {
      if (between) { between = false; } else { conjuncts.push([]); continue; }
    }
    conjuncts[conjuncts.length - 1].push(t);
  }
  return { predicates: conjuncts.filter((c) => c.length > 0).map(readPredicate), batched };
}

/** Skips a `::type` cast (with `[]` or a schema-qualified type) at tokens[i]. */
function skipCast(tokens: Token[], i: number): number {
  let j = i;
  while (tokens[j]?.value === '::') {
    j++;
    while (isName(tokens[j]) || tokens[j]?.value === '.') j++;
    if (tokens[j]?.value === '(') { // varchar(20)
      const depth = tokens[j].depth;
      j++;
      while (j < tokens.length && !(tokens[j].value === ')' && tokens[j].depth === depth)) j++;
      j++;
    }
    while (tokens[j]?.value === '[' && tokens[j + 1]?.value === ']') j += 2;
  }
  return j;
}

const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);

/** Reads one condition: `[q.]column <op> <value>`; anything else is `other`. */
function readPredicate(c: Token[]): Predicate {
  const other: Predicate = { qualifier: null, column: null, operator: 'other', value: 'other' };
  let i = 0;
  // The left side: a (qualified) column, or an expression.
  let qualifier: string | null = null;
  let column: string | null = null;
  if (isName(c[0]) && !NOT_ALIAS.has(c[0].value) && c[0].value !== 'not' && c[1]?.value !== '(') {
    if (c[1]?.value === '.' && isName(c[2])) {
      qualifier = c[0].value;
      column = c[2].value;
      i = 3;
      if (c[3]?.value === '.' && isName(c[4])) { // schema.table.column
        qualifier = c[2].value;
        column = c[4].value;
        i = 5;
      }
    } else {
      column = c[0].value;
      i = 1;
    }
    if (c[i]?.value === '::') column = null; // a cast: an index on the column does not serve it
  }
  if (column === null) {
    // An expression on the left: find the operator at the top level to classify it anyway.
    const depth = c[0]?.depth ?? 0;
    const op = c.find((t) => t.depth === depth && (t.type === 'op' || (t.type === 'word' && ['in', 'between', 'like', 'ilike', 'is'].includes(t.value))));
    if (!op || c.some((t) => t.depth === depth && t.type === 'word' && t.value === 'or')) return other;
    return { ...other, operator: op.value === '=' ? 'eq' : 'other' };
  }
  if (c.some((t) => t.depth === c[0].depth && t.type === 'word' && t.value === 'or')) return other;
  const rest = c.slice(i);
  const op = rest[0];
  if (!op) return other;
  const valueOf = (tokens: Token[]): Predicate['value'] => {
    if (tokens.length === 0) return 'other';
    const end = skipCast(tokens, 1);
    const first = tokens[0];
    if (first.type === 'param') return end === tokens.length ? 'param' : 'other';
    if (first.type === 'number' || first.type === 'string') return end === tokens.length ? 'const' : 'other';
    if (first.type === 'word' && ['true', 'false', 'null', 'current_date', 'now', 'current_timestamp'].includes(first.value)) return 'const';
    if (isName(first)) {
      let j = 1;
      while (tokens[j]?.value === '.' && isName(tokens[j + 1])) j += 2;
      return j === tokens.length ? 'column' : 'other';
    }
    return 'other';
  };
  const predicate = (operator: Predicate['operator'], value: Predicate['value']): Predicate => ({ qualifier, column, operator, value });
  if (op.type === 'op') {
    const right = rest.slice(1);
    if (op.value === '=' && right[0]?.type === 'word' && (right[0].value === 'any' || right[0].value === 'some')) return predicate('any', 'param');
    if (op.value === '=') return predicate('eq', valueOf(right));
    if (RANGE_OPERATORS.has(op.value)) return predicate('range', valueOf(right));
    if (op.value === '~~' || op.value === '~~*') return predicate('like', valueOf(right));
    return predicate('other', valueOf(right));
  }
  if (op.type === 'word') {
    const words = rest.filter((t) => t.depth === rest[0].depth && t.type === 'word').map((t) => t.value);
    if (op.value === 'in') return predicate('in', 'param');
    if (op.value === 'between') return predicate('range', 'param');
    if (op.value === 'like' || op.value === 'ilike') return predicate('like', valueOf(rest.slice(1)));
    if (op.value === 'is' && words[1] === 'null') return predicate('is-null', 'none');
    if (op.value === 'is' && words[1] === 'not' && words[2] === 'null') return predicate('is-not-null', 'none');
  }
  return other;
}

/** Reads the tables, joins, subqueries and WHERE conditions of a (normalized) statement. */
export function parseStatement(sql: string): ParsedStatement {
  const tokens = tokenize(sql);
  const first = tokens.find((t) => t.type === 'word');
  const kinds = ['select', 'insert', 'update', 'delete', 'with'] as const;
  const kind = (kinds as readonly string[]).includes(first?.value ?? '') ? first!.value as ParsedStatement['kind'] : 'other';
  const relations: RelationRef[] = [];
  let joins = false;
  let subqueries = false;
  let setOperation = false;
  let batched = false;
  let where: Predicate[] | null = null;
  const allConditions: Predicate[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== 'word') continue;
    const prev = tokens[i - 1];
    switch (t.value) {
      case 'select':
        if (t.depth > 0) subqueries = true;
        break;
      case 'union': case 'intersect': case 'except':
        setOperation = true;
        break;
      case 'join': case 'from': case 'update': case 'into': {
        if (t.value === 'join') joins = true;
        if (t.value === 'from' && (FROM_FUNCTIONS.has(t.opener) || prev?.value === 'distinct')) break;
        if (t.value === 'update' && prev?.value === 'for') break; // SELECT ... FOR UPDATE
        if (t.value === 'update' && prev?.value === 'do') break; // ON CONFLICT DO UPDATE
        let read = readRelation(tokens, i + 1, t.value === 'into');
        while (read) {
          relations.push(read.relation);
          // `FROM a, b`: more tables in the same list.
          if (t.value !== 'from' || tokens[read.next]?.value !== ',' || tokens[read.next].depth !== t.depth) break;
          joins = true;
          read = readRelation(tokens, read.next + 1);
        }
        break;
      }
      case 'where': {
        if (prev?.value === 'current' || tokens[i + 1]?.value === 'current') break; // WHERE CURRENT OF
        const read = readWhere(tokens, i + 1);
        allConditions.push(...read.predicates);
        batched ||= read.batched;
        if (t.depth === 0 && where === null) where = read.predicates;
        break;
      }
      default:
        break;
    }
  }
  return { kind, relations, joins, subqueries, setOperation, where, allConditions, batched };
}

// --- N+1 --------------------------------------------------------------------------------------

function isSystemRelation(r: RelationRef): boolean {
  return r.name.startsWith('pg_') || r.schema === 'pg_catalog' || r.schema === 'information_schema';
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
 * `table` names), only lookups of those tables count.
 */
export function nPlusOneSuspects(statements: readonly StatementStats[], thresholds: Pick<Thresholds, 'n1MinCalls' | 'n1MaxMeanMs'> = DEFAULT_THRESHOLDS, userTables?: readonly TableActivity[]): NPlusOneSuspect[] {
  const suspects: NPlusOneSuspect[] = [];
  for (const s of statements) {
    if (s.calls < thresholds.n1MinCalls || !(s.meanMs < thresholds.n1MaxMeanMs)) continue;
    const lookup = singleKeyLookup(parseStatement(s.query));
    if (!lookup) continue;
    if (userTables && !userTables.some((t) => refersTo(lookup.relation, t))) continue;
    const table = lookup.relation.schema ? `${lookup.relation.schema}.${lookup.relation.name}` : lookup.relation.name;
    suspects.push({ queryId: s.queryId, query: s.query, calls: s.calls, meanMs: s.meanMs, totalMs: s.totalMs, rows: s.rows, table, column: lookup.column });
  }
  return suspects.sort((a, b) => b.calls - a.calls || a.queryId.localeCompare(b.queryId));
}

// --- missing indexes --------------------------------------------------------------------------

/** Whether a relation of a statement is `table` (schema checked when the statement names one). */
function refersTo(r: RelationRef, table: Pick<TableActivity, 'schema' | 'table'>): boolean {
  return r.name === table.table && (r.schema === null || r.schema === table.schema);
}

/** The columns of a statement's conditions that belong to `table`. */
function conditionsOn(parsed: ParsedStatement, table: Pick<TableActivity, 'schema' | 'table'>, columns?: readonly string[]): Predicate[] {
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
}

const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;
const RESERVED = new Set(['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'check', 'collate', 'column', 'constraint',
  'create', 'default', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'for', 'foreign', 'from', 'grant', 'group',
  'having', 'in', 'into', 'limit', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'primary', 'references', 'select',
  'table', 'then', 'to', 'true', 'union', 'unique', 'user', 'using', 'when', 'where', 'with']);

/** An identifier as PostgreSQL needs it written: bare when it can be, double-quoted otherwise. */
export function quoteIdent(name: string): string {
  return SAFE_IDENTIFIER.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
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
  const conditions = conditionsOn(parseStatement(statement.query), table, options.columns);
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
  return { columns, predicate, sql, queryId: statement.queryId, coveredBy: covering ? `${covering.schema}.${covering.index}` : null };
}

/** A statement that reads a table flagged missing-index. */
export interface TableStatement extends StatementFigures {
  /** The columns of its WHERE conditions that are the table's. */
  readonly whereColumns: string[];
}

/** A large table read mostly by sequential scans. */
export interface MissingIndex {
  readonly table: string;
  readonly liveRows: number;
  readonly seqScans: number;
  readonly indexScans: number;
  readonly seqTuplesRead: number;
  readonly tableBytes: number | null;
  /** The pg_stat_statements statements that read it, most total time first (at most 5). */
  readonly statements: TableStatement[];
  /** The index to consider; null without statements whose conditions could be read. */
  readonly suggestion: IndexSuggestion | null;
}

/** How many statements a missing-index finding lists. */
const STATEMENTS_PER_TABLE = 5;

/**
 * Tables with at least minRows live rows, at least MIN_SEQ_SCANS sequential scans and more of
 * them than index scans, most rows read sequentially first; with the statements that read each
 * and the index their conditions call for.
 */
export function missingIndexes(tables: readonly TableActivity[], statements: readonly StatementStats[], options: {
  readonly minRows?: number;
  readonly indexes?: readonly IndexUsage[];
  /** Column names by `schema.table`. */
  readonly columns?: Readonly<Record<string, readonly string[]>>;
} = {}): MissingIndex[] {
  const minRows = options.minRows ?? DEFAULT_THRESHOLDS.minRows;
  const parsed = statements.map((s) => ({ s, parsed: parseStatement(s.query) }));
  return tables
    .filter((t) => t.liveTuples >= minRows && t.seqScans >= MIN_SEQ_SCANS && t.seqScans > (t.indexScans ?? 0))
    .sort((a, b) => b.seqTuplesRead - a.seqTuplesRead || a.name.localeCompare(b.name))
    .map((t) => {
      const columns = options.columns?.[t.name];
      const reading = parsed
        .filter((p) => p.parsed.relations.some((r) => refersTo(r, t)))
        .sort((a, b) => b.s.totalMs - a.s.totalMs);
      let suggestion: IndexSuggestion | null = null;
      for (const { s } of reading) {
        suggestion = suggestIndex(t, s, { columns, indexes: options.indexes }) ?? null;
        if (suggestion) break;
      }
      return {
        table: t.name,
        liveRows: t.liveTuples,
        seqScans: t.seqScans,
        indexScans: t.indexScans ?? 0,
        seqTuplesRead: t.seqTuplesRead,
        tableBytes: t.tableBytes,
        statements: reading.slice(0, STATEMENTS_PER_TABLE).map(({ s, parsed: p }) => ({
          queryId: s.queryId, query: s.query, calls: s.calls, meanMs: s.meanMs, totalMs: s.totalMs, rows: s.rows,
          whereColumns: [...new Set(conditionsOn(p, t, columns).map((c) => c.column!))],
        })),
        suggestion,
      };
    });
}

// --- unused and redundant indexes -------------------------------------------------------------

/** Whether dropping the index would drop a guarantee (a constraint, uniqueness, replica identity). */
export function enforcesSomething(ix: IndexUsage): boolean {
  return ix.constraintType !== null || ix.unique || ix.primary || ix.replicaIdentity;
}

/** Indexes never scanned that enforce nothing, largest first. */
export function unusedIndexes(indexes: readonly IndexUsage[]): IndexUsage[] {
  return indexes
    .filter((ix) => ix.scans === 0 && !enforcesSomething(ix))
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
  for (const ix of indexes) {
    const candidates = indexes.filter((other) => covers(other, ix)
      // Of two equal indexes only one is redundant.
      && !(other.keyColumns.length === ix.keyColumns.length && other.includeColumns.length === ix.includeColumns.length && covers(ix, other) && keepsBetter(ix, other)));
    if (candidates.length === 0) continue;
    const coveredBy = candidates.sort((a, b) => b.keyColumns.length - a.keyColumns.length || (keepsBetter(a, b) ? -1 : 1))[0];
    result.push({ index: ix, coveredBy, kind: coveredBy.keyColumns.length === ix.keyColumns.length ? 'duplicate' : 'prefix' });
  }
  return result;
}

// --- the findings -----------------------------------------------------------------------------

/** Everything inspect gathered. */
export interface HealthInput {
  readonly database: string;
  readonly tables: readonly TableActivity[];
  readonly indexes: readonly IndexUsage[];
  /** Column names of (at least the large) tables, by `schema.table`. */
  readonly columns?: Readonly<Record<string, readonly string[]>>;
  /** null when pg_stat_statements could not be read. */
  readonly statements: readonly StatementStats[] | null;
  readonly pgStatStatements: PgStatStatementsStatus;
  /** Why the statements could not be read although the extension exists (e.g. not preloaded). */
  readonly statementsError?: string;
  readonly cacheHit: CacheHitRatio;
  readonly deadTuples: readonly DeadTupleRatio[];
  readonly longRunning: readonly SessionInfo[];
  readonly idleInTransaction: readonly SessionInfo[];
}

/** The findings and what they were computed from. */
export interface HealthAnalysis {
  readonly findings: Finding[];
  readonly missingIndexes: MissingIndex[];
  readonly unusedIndexes: IndexUsage[];
  readonly redundantIndexes: RedundantIndex[];
  readonly nPlusOne: NPlusOneSuspect[];
  /** How to get statement statistics; null when pg_stat_statements answered. */
  readonly pgStatStatementsAdvice: string | null;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '?';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value >= 10 ? 0 : 1)} ${units[unit]}`;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3);
}

/** A statement on one line, cut at `max` characters. */
export function oneLine(query: string, max = 160): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const LINE_COMMENT = /--[^\n]*/y;
const QUOTED_IDENT = /"(?:[^"]|"")*"?/y;
const ESCAPE_STRING = /[eE]'(?:[^'\\]|\\[\s\S]|'')*'?/y;
const PLAIN_STRING = /(?:[bBxXnN]|[uU]&)?'(?:[^']|'')*'?/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const PARAMETER = /\$\d+/y;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/** The match of sticky `re` at `i`, or undefined. */
function at(re: RegExp, sql: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(sql)?.[0];
}

/**
 * `sql` with every literal replaced by a `$n` placeholder, numbered on from the highest `$n`
 * already in it, as pg_stat_statements normalizes: string constants ('…', E'…', U&'…', B'…',
 * X'…', N'…'), dollar-quoted strings ($$…$$, $tag$…$tag$) and numbers (42, 1.5e3, 0x1F, 1_000).
 * Names (quoted ones too), keywords, operators, parameters and comments stay. A literal cut off
 * (pg_stat_activity keeps the first characters of a statement) is replaced to the end. Strings
 * are read with standard_conforming_strings on, PostgreSQL's default: a backslash escapes only
 * inside E'…'.
 */
export function redactLiterals(sql: string): string {
  let next = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  let out = '';
  let i = 0;
  const literal = (length: number) => {
    out += `$${++next}`;
    i += length;
  };
  const copy = (length: number) => {
    out += sql.slice(i, i + length);
    i += length;
  };
  while (i < sql.length) {
    const c = sql[i];
    const prefixable = i === 0 || !IDENT_CHAR.test(sql[i - 1]);
    let m: string | undefined;
    if (c === '-' && sql[i + 1] === '-') copy(at(LINE_COMMENT, sql, i)!.length);
    else if (c === '/' && sql[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      let j = i + 2;
      for (let depth = 1; j < sql.length && depth > 0;) {
        if (sql.startsWith('/*', j)) { depth++; j += 2; } else if (sql.startsWith('*/', j)) { depth--; j += 2; } else j++;
      }
      copy(j - i);
    } else if (c === '"') copy(at(QUOTED_IDENT, sql, i)!.length);
    else if (c === "'") literal(at(PLAIN_STRING, sql, i)!.length);
    else if (prefixable && (m = at(ESCAPE_STRING, sql, i)) !== undefined) literal(m.length);
    else if (prefixable && /[bBxXnNuU]/.test(c) && (m = at(PLAIN_STRING, sql, i)) !== undefined) literal(m.length);
    else if (c === '$' && (m = at(PARAMETER, sql, i)) !== undefined) copy(m.length);
    else if (c === '$' && prefixable && (m = at(DOLLAR_TAG, sql, i)) !== undefined) {
      const end = sql.indexOf(m, i + m.length);
      literal(end < 0 ? sql.length - i : end + m.length - i);
    } else if (prefixable && (m = at(NUMBER, sql, i)) !== undefined && /[0-9]/.test(m)) literal(m.length);
    else if ((m = at(WORD, sql, i)) !== undefined) copy(m.length);
    else copy(1);
  }
  return out;
}

/** A statement as people read it in a report: literals replaced by `$n` (redactLiterals), on one line, cut at `max` characters. */
export function readableStatement(query: string, max = 160): string {
  return oneLine(redactLiterals(query), max);
}

/** Why pg_stat_statements gave nothing, and how to get it; null when it answered. */
export function pgStatStatementsAdvice(status: PgStatStatementsStatus, error?: string): string | null {
  const create = 'then, in this database: CREATE EXTENSION pg_stat_statements;';
  const preload = "add pg_stat_statements to shared_preload_libraries (the library's TunedParameterGroup preloads it: "
    + "a static parameter, so attach the group and reboot the instance)";
  if (status.preloaded === false) return `pg_stat_statements is not loaded: ${preload}; ${status.schema === null ? create : 'the extension already exists here.'}`;
  if (status.schema === null) {
    return `pg_stat_statements is ${status.preloaded ? 'preloaded but ' : ''}not created in this database: CREATE EXTENSION pg_stat_statements;`
      + (status.preloaded === null ? ` (and if that fails: ${preload})` : '');
  }
  if (error) return `pg_stat_statements could not be read: ${error} (it needs ${preload}; to see other roles' statements, GRANT pg_read_all_stats)`;
  return null;
}

function sessionMessage(s: SessionInfo, seconds: number | null, what: string): string {
  const who = [s.user && `user ${s.user}`, s.database && `database ${s.database}`, s.applicationName && `application '${s.applicationName}'`, s.clientAddress && `from ${s.clientAddress}`]
    .filter(Boolean).join(', ');
  return `${what} for ${seconds === null ? '?' : seconds.toFixed(1)} s (${who})`;
}

/** The session's statement for a finding, literals redacted; none when it has none. */
function sessionStatement(s: SessionInfo): string | undefined {
  return s.query ? readableStatement(s.query, 120) : undefined;
}

/** Applies every rule. */
export function analyze(input: HealthInput, thresholds: Thresholds = DEFAULT_THRESHOLDS): HealthAnalysis {
  const findings: Finding[] = [];
  const statements = input.statements ?? [];

  const missing = missingIndexes(input.tables, statements, { minRows: thresholds.minRows, indexes: input.indexes, columns: input.columns });
  for (const m of missing) {
    const sug = m.suggestion;
    let fix: string;
    if (sug?.coveredBy) {
      fix = `${sug.coveredBy} already starts with (${sug.columns.join(', ')}) and the planner still scans the table: ANALYZE ${m.table}; `
        + 'then EXPLAIN (ANALYZE, BUFFERS) the statement (a type mismatch, a function on the column or low selectivity keeps an index unused)';
    } else if (sug) {
      fix = `${sug.sql} (CONCURRENTLY does not block writes; run it outside a transaction and check it is not left INVALID)`;
    } else if (input.statements === null) {
      fix = 'enable pg_stat_statements to see which statements scan it, then index the columns of their WHERE';
    } else {
      fix = `find the statements that scan it (EXPLAIN them; auto_explain logs the plans of statements over 5 s) and index the columns of their WHERE`;
    }
    findings.push({
      rule: 'missing-index',
      target: m.table,
      message: `${m.liveRows.toLocaleString('en-US')} live rows, ${m.seqScans.toLocaleString('en-US')} sequential scans against ${m.indexScans.toLocaleString('en-US')} index scans `
        + `(${m.seqTuplesRead.toLocaleString('en-US')} rows read sequentially), ${formatBytes(m.tableBytes)}`,
      fix,
    });
  }

  const unused = unusedIndexes(input.indexes);
  for (const ix of unused) {
    findings.push({
      rule: 'unused-index',
      target: `${ix.schema}.${ix.index}`,
      message: `never scanned${ix.valid ? '' : ' (INVALID: a failed CREATE INDEX CONCURRENTLY)'}, ${formatBytes(ix.bytes)}, on ${ix.schema}.${ix.table} (${ix.keyColumns.join(', ')}); every write still maintains it`,
      fix: `DROP INDEX CONCURRENTLY ${quoteIdent(ix.schema)}.${quoteIdent(ix.index)}; once the statistics cover a full business cycle `
        + 'and no read replica uses it (each instance counts its own scans)',
    });
  }

  const redundant = redundantIndexes(input.indexes);
  for (const r of redundant) {
    const cols = (ix: IndexUsage) => `(${ix.keyColumns.join(', ')})`;
    findings.push({
      rule: 'duplicate-index',
      target: `${r.index.schema}.${r.index.index}`,
      message: `${cols(r.index)} ${r.kind === 'duplicate' ? 'duplicates' : 'is a prefix of'} ${r.coveredBy.index} ${cols(r.coveredBy)} `
        + `on ${r.index.schema}.${r.index.table}; ${formatBytes(r.index.bytes)}, ${r.index.scans.toLocaleString('en-US')} scans`,
      fix: `DROP INDEX CONCURRENTLY ${quoteIdent(r.index.schema)}.${quoteIdent(r.index.index)}; (${r.coveredBy.index} serves the same queries)`,
    });
  }

  const nPlusOne = input.statements === null ? [] : nPlusOneSuspects(statements, thresholds, input.tables);
  for (const s of nPlusOne) {
    findings.push({
      rule: 'n-plus-one',
      target: `queryid ${s.queryId}`,
      message: `${s.calls.toLocaleString('en-US')} calls, mean ${formatMs(s.meanMs)} ms, one ${s.table} row per call by ${s.column}`,
      statement: readableStatement(s.query, 120),
      fix: `load them in one query: WHERE ${s.column} = ANY($1) (or IN (...)), or JOIN; in the ORM, eager-load the association `
        + '(Rails includes/preload, Django select_related/prefetch_related, SQLAlchemy selectinload, Hibernate JOIN FETCH / @BatchSize, Prisma include)',
    });
  }

  for (const s of input.longRunning) {
    findings.push({
      rule: 'long-running',
      target: `pid ${s.pid}`,
      message: sessionMessage(s, s.querySeconds, 'running'),
      statement: sessionStatement(s),
      fix: `EXPLAIN the statement (a missing index? ${s.waitEventType ? `it waits on ${s.waitEventType}: ${s.waitEvent ?? ''}` : 'it is not waiting'}); `
        + `to stop it: SELECT pg_cancel_backend(${s.pid}); statement_timeout bounds such statements`,
    });
  }

  for (const s of input.idleInTransaction) {
    findings.push({
      rule: 'idle-in-transaction',
      target: `pid ${s.pid}`,
      message: sessionMessage(s, s.stateSeconds, `${s.state ?? 'idle in transaction'}`),
      statement: sessionStatement(s),
      fix: `the application left a transaction open (it holds locks and holds back vacuum): commit or roll back in that code path; `
        + `to end it now: SELECT pg_terminate_backend(${s.pid}); the playbook's idle_in_transaction_session_timeout (5 min) ends such sessions`,
    });
  }

  const ratio = input.cacheHit.ratio;
  if (ratio !== null && ratio < thresholds.minCacheHitRatio) {
    findings.push({
      rule: 'low-cache-hit',
      target: input.database,
      message: `buffer cache hit ratio ${(ratio * 100).toFixed(2)} % (${input.cacheHit.heapHit.toLocaleString('en-US')} hits, ${input.cacheHit.heapRead.toLocaleString('en-US')} reads); the playbook wants > ${(thresholds.minCacheHitRatio * 100).toFixed(0)} %`,
      fix: 'the working set does not fit in shared_buffers: index the sequential scans (missing-index), then size the instance class up (shared_buffers is 25 % of its memory)',
    });
  }

  for (const t of input.deadTuples) {
    if (t.ratio === null || t.ratio <= thresholds.maxDeadRatio || t.deadTuples < thresholds.minDeadTuples) continue;
    const last = [t.lastVacuum, t.lastAutovacuum].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
    findings.push({
      rule: 'dead-tuples',
      target: t.name,
      message: `${(t.ratio * 100).toFixed(1)} % dead tuples (${t.deadTuples.toLocaleString('en-US')} dead, ${t.liveTuples.toLocaleString('en-US')} live); last vacuum ${last ? last.toISOString() : 'never'}`,
      fix: `VACUUM (ANALYZE) ${t.name}; then find what holds autovacuum back (long transactions, idle-in-transaction sessions, replication slots) `
        + 'or give the table its own autovacuum_vacuum_scale_factor',
    });
  }

  const advice = input.statements === null || input.statementsError ? pgStatStatementsAdvice(input.pgStatStatements, input.statementsError) : null;
  if (advice) {
    findings.push({ rule: 'pg-stat-statements-missing', target: input.database, message: 'no statement statistics: top statements, N+1 suspects and the statements behind missing indexes are not reported', fix: advice });
  }

  return { findings, missingIndexes: missing, unusedIndexes: unused, redundantIndexes: redundant, nPlusOne, pgStatStatementsAdvice: advice };
}

/** The `limit` statements with the most total time, or the highest mean time. */
export function topStatements(statements: readonly StatementStats[], by: 'total' | 'mean', limit: number): StatementStats[] {
  const key = by === 'total' ? (s: StatementStats) => s.totalMs : (s: StatementStats) => s.meanMs;
  return [...statements].sort((a, b) => key(b) - key(a) || a.queryId.localeCompare(b.queryId)).slice(0, limit);
}
