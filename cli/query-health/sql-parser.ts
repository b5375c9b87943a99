/**
 * Reading pg_stat_statements' normalized text with PostgreSQL's own grammar: libpg-query
 * (libpg_query, the parser of PostgreSQL 17 compiled to WASM; the library behind pghero's
 * PgQuery and pganalyze). From the parse tree inspect takes what its rules need: the tables a
 * statement reads or writes (CTE names left out), whether it joins, nests or combines SELECTs,
 * and the AND-ed conditions of its WHERE clauses.
 *
 * The WASM module loads asynchronously, once (loadParser); parsing is then synchronous. A
 * statement the grammar refuses (a statement cut off, another dialect) or a parser that could
 * not load gives `null` and the reason: the rules leave such a statement out and the report
 * counts it, never a crash.
 *
 * In the bundled CLI (assets/cli/db-playbook.js) the module looks for libpg-query.wasm next to
 * the bundle: scripts/bundle-handlers.mjs copies it there.
 */
import type * as PgQuery from 'libpg-query';

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
  /** The column; null when that side is an expression (`lower(email)`, `a + b`, a cast column). */
  readonly column: string | null;
  /**
   * `eq` (=), `range` (<, <=, >, >=, BETWEEN), `in` (IN (...), IN (SELECT ...)), `any` (= ANY(...)),
   * `like`, `is-null`, `is-not-null`, or `other` (OR-ed, negated, <> ...).
   */
  readonly operator: 'eq' | 'range' | 'in' | 'any' | 'like' | 'is-null' | 'is-not-null' | 'other';
  /** The other side: a parameter ($n), a constant, another column, nothing (IS NULL), or other. */
  readonly value: 'param' | 'const' | 'column' | 'none' | 'other';
}

/** What inspect reads from a statement's normalized text. */
export interface ParsedStatement {
  /** The statement's own kind (a `WITH … SELECT` is a select). */
  readonly kind: 'select' | 'insert' | 'update' | 'delete' | 'merge' | 'other';
  /** Tables in FROM, JOIN, USING, UPDATE, INSERT INTO, DELETE FROM, MERGE INTO, CTE bodies and subqueries, in order (CTE names, functions and VALUES left out). */
  readonly relations: RelationRef[];
  /** A JOIN, several tables in one FROM list, UPDATE … FROM or DELETE … USING. */
  readonly joins: boolean;
  /** A SELECT inside the statement: a subquery, a derived table, a CTE. */
  readonly subqueries: boolean;
  /** UNION / INTERSECT / EXCEPT. */
  readonly setOperation: boolean;
  /** The conditions of the statement's own (outermost) WHERE; null when it has none. */
  readonly where: Predicate[] | null;
  /** The conditions of every WHERE, subqueries' and CTEs' included. */
  readonly allConditions: Predicate[];
  /** IN (...) or = ANY(...) in a WHERE: one statement for many keys. */
  readonly batched: boolean;
}

type Node = Record<string, unknown>;

let lib: typeof PgQuery | undefined;
let loadError: string | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the parser's WASM module (once; later calls wait for the first). Never rejects: when it
 * cannot load, parseStatement gives null and parserUnavailable() says why.
 */
export function loadParser(): Promise<void> {
  loading ??= (async () => {
    try {
      // Required here, not imported at the top: the module starts compiling its WASM when
      // loaded, which only inspect needs, not every command of the CLI.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('libpg-query') as typeof PgQuery;
      await mod.loadModule();
      lib = mod;
    } catch (e) {
      loadError = `the SQL parser (libpg-query) did not load: ${(e as Error).message ?? String(e)}`;
    }
  })();
  return loading;
}

/** Why statements cannot be parsed at all: the parser did not load, or loadParser was not awaited; undefined when it is ready. */
export function parserUnavailable(): string | undefined {
  if (lib) return undefined;
  return loadError ?? 'the SQL parser (libpg-query) is not loaded yet (loadParser was not awaited)';
}

/** A statement parsed, or why it could not be. */
export type ParseResult = { readonly ok: true; readonly statement: ParsedStatement } | { readonly ok: false; readonly error: string };

const cache = new Map<string, ParseResult>();
const CACHE_LIMIT = 20_000;

/** Parses one statement (cached: the rules ask for the same statement several times). */
export function tryParse(sql: string): ParseResult {
  const hit = cache.get(sql);
  if (hit) return hit;
  let result: ParseResult;
  const unavailable = parserUnavailable();
  if (unavailable) return { ok: false, error: unavailable };
  try {
    const tree = lib!.parseSync(sql) as { stmts?: { stmt: Node }[] };
    result = { ok: true, statement: readTree(tree.stmts ?? []) };
  } catch (e) {
    result = { ok: false, error: (e as Error).message ?? String(e) };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, result);
  return result;
}

/** The statement's tables, joins, subqueries and conditions; null when it cannot be parsed (tryParse says why). */
export function parseStatement(sql: string): ParsedStatement | null {
  const r = tryParse(sql);
  return r.ok ? r.statement : null;
}

// --- from the parse tree ------------------------------------------------------------------------

const KINDS: Record<string, ParsedStatement['kind']> = {
  SelectStmt: 'select', InsertStmt: 'insert', UpdateStmt: 'update', DeleteStmt: 'delete', MergeStmt: 'merge',
};

interface Walk {
  relations: RelationRef[];
  ctes: Set<string>;
  joins: boolean;
  subqueries: boolean;
  setOperation: boolean;
  allConditions: Predicate[];
  batched: boolean;
}

function readTree(stmts: { stmt: Node }[]): ParsedStatement {
  const w: Walk = { relations: [], ctes: new Set(), joins: false, subqueries: false, setOperation: false, allConditions: [], batched: false };
  let kind: ParsedStatement['kind'] = 'other';
  let where: Predicate[] | null = null;
  stmts.forEach(({ stmt }, k) => {
    const [type, body] = Object.entries(stmt)[0] ?? [];
    if (k === 0) kind = KINDS[type] ?? 'other';
    if (!body) return;
    const top = walkStatement(type, body as Node, w, 0);
    if (k === 0) where = top;
  });
  return { kind, relations: w.relations, joins: w.joins, subqueries: w.subqueries, setOperation: w.setOperation, where, allConditions: w.allConditions, batched: w.batched };
}

function list(v: unknown): Node[] {
  return Array.isArray(v) ? (v as Node[]) : [];
}

/** Walks one statement; resolves to the conditions of its own WHERE (null when none). */
function walkStatement(type: string, s: Node, w: Walk, depth: number): Predicate[] | null {
  if (depth > 0) w.subqueries ||= type === 'SelectStmt';
  const withClause = s.withClause as Node | undefined;
  for (const cte of list(withClause?.ctes)) {
    const c = cte.CommonTableExpr as Node | undefined;
    if (!c) continue;
    w.ctes.add(String(c.ctename));
    w.subqueries = true;
    walkAny(c.ctequery, w, depth + 1);
  }
  if (type === 'SelectStmt') {
    if (s.op && s.op !== 'SETOP_NONE') {
      w.setOperation = true;
      walkStatement('SelectStmt', s.larg as Node, w, depth);
      walkStatement('SelectStmt', s.rarg as Node, w, depth);
      return null;
    }
    const from = list(s.fromClause);
    if (from.length > 1) w.joins = true;
    for (const item of from) walkFrom(item, w, depth);
    walkExpressions(s.targetList, w, depth);
    return walkWhere(s.whereClause, w, depth);
  }
  if (type === 'InsertStmt') {
    addRelation(s.relation as Node, w);
    if (s.selectStmt) walkAny(s.selectStmt, w, depth + 1);
    const conflict = s.onConflictClause as Node | undefined;
    if (conflict?.whereClause) walkWhere(conflict.whereClause, w, depth + 1);
    return null;
  }
  if (type === 'UpdateStmt' || type === 'DeleteStmt') {
    addRelation(s.relation as Node, w);
    const from = list(type === 'UpdateStmt' ? s.fromClause : s.usingClause);
    if (from.length > 0) w.joins = true;
    for (const item of from) walkFrom(item, w, depth);
    walkExpressions(s.targetList, w, depth);
    return walkWhere(s.whereClause, w, depth);
  }
  if (type === 'MergeStmt') {
    addRelation(s.relation as Node, w);
    w.joins = true;
    walkFrom(s.sourceRelation as Node, w, depth);
    return null;
  }
  return null;
}

/** A node wrapping a statement (`{ SelectStmt: … }`), walked as a nested one. */
function walkAny(node: unknown, w: Walk, depth: number): void {
  if (!node || typeof node !== 'object') return;
  const [type, body] = Object.entries(node as Node)[0] ?? [];
  if (type && KINDS[type]) walkStatement(type, body as Node, w, depth);
}

function addRelation(rv: Node | undefined, w: Walk): void {
  if (!rv || typeof rv.relname !== 'string') return;
  const schema = typeof rv.schemaname === 'string' ? rv.schemaname : null;
  if (schema === null && w.ctes.has(rv.relname)) return; // a CTE, not a table
  const alias = (rv.alias as Node | undefined)?.aliasname;
  w.relations.push({ schema, name: rv.relname, alias: typeof alias === 'string' ? alias : null });
}

function walkFrom(item: Node | undefined, w: Walk, depth: number): void {
  if (!item) return;
  if (item.RangeVar) addRelation(item.RangeVar as Node, w);
  else if (item.JoinExpr) {
    const j = item.JoinExpr as Node;
    w.joins = true;
    walkFrom(j.larg as Node, w, depth);
    walkFrom(j.rarg as Node, w, depth);
    if (j.quals) walkExpressions([j.quals], w, depth);
  } else if (item.RangeSubselect) {
    w.subqueries = true;
    walkAny((item.RangeSubselect as Node).subquery, w, depth + 1);
  } else {
    walkExpressions([item], w, depth);
  }
}

/** Finds subqueries (SubLinks) anywhere in expressions. */
function walkExpressions(v: unknown, w: Walk, depth: number): void {
  if (!v || typeof v !== 'object') return;
  if (Array.isArray(v)) { for (const x of v) walkExpressions(x, w, depth); return; }
  const node = v as Node;
  if (node.SubLink) {
    const sl = node.SubLink as Node;
    w.subqueries = true;
    walkAny(sl.subselect, w, depth + 1);
    walkExpressions(sl.testexpr, w, depth);
    return;
  }
  for (const child of Object.values(node)) walkExpressions(child, w, depth);
}

/** The conditions of a WHERE, split on its top-level ANDs; subqueries inside are walked. */
function walkWhere(clause: unknown, w: Walk, depth: number): Predicate[] | null {
  if (!clause) return null;
  const conjuncts: Node[] = [];
  const split = (n: Node) => {
    const b = n.BoolExpr as Node | undefined;
    if (b && b.boolop === 'AND_EXPR') list(b.args).forEach(split);
    else conjuncts.push(n);
  };
  split(clause as Node);
  const predicates = conjuncts.map((c) => readPredicate(c, w));
  w.allConditions.push(...predicates);
  walkExpressions(clause, w, depth);
  return predicates;
}

const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);
const OTHER: Predicate = { qualifier: null, column: null, operator: 'other', value: 'other' };

function column(n: unknown): { qualifier: string | null; column: string } | undefined {
  const ref = (n as Node | undefined)?.ColumnRef as Node | undefined;
  if (!ref) return undefined;
  const names = list(ref.fields).map((f) => (f.String as Node | undefined)?.sval);
  if (names.some((x) => typeof x !== 'string')) return undefined; // `t.*`
  const parts = names as string[];
  return { qualifier: parts.length >= 2 ? parts[parts.length - 2] : null, column: parts[parts.length - 1] };
}

function uncast(n: unknown): Node | undefined {
  let node = n as Node | undefined;
  while (node?.TypeCast) node = (node.TypeCast as Node).arg as Node;
  return node;
}

const CONSTANT_FUNCTIONS = new Set(['now', 'current_timestamp', 'current_date', 'localtimestamp', 'statement_timestamp', 'transaction_timestamp', 'clock_timestamp']);

function valueOf(n: unknown): Predicate['value'] {
  const node = uncast(n);
  if (!node) return 'other';
  if (node.ParamRef) return 'param';
  if (node.A_Const || node.SQLValueFunction) return 'const';
  if (node.FuncCall) {
    const f = node.FuncCall as Node;
    const name = list(f.funcname).map((x) => (x.String as Node | undefined)?.sval).pop();
    return list(f.args).length === 0 && typeof name === 'string' && CONSTANT_FUNCTIONS.has(name) ? 'const' : 'other';
  }
  if (node.ColumnRef) return column(node) ? 'column' : 'other';
  return 'other';
}

const FLIPPED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=' };

function operatorName(e: Node): string {
  return String((list(e.name)[0]?.String as Node | undefined)?.sval ?? '');
}

/** One condition: `[q.]column <op> <value>` (or `<value> <op> column`); anything else is `other`. */
function readPredicate(n: Node, w: Walk): Predicate {
  if (n.NullTest) {
    const t = n.NullTest as Node;
    const c = column(t.arg);
    if (!c) return OTHER;
    return { ...c, operator: t.nulltesttype === 'IS_NULL' ? 'is-null' : 'is-not-null', value: 'none' };
  }
  if (n.SubLink) {
    const sl = n.SubLink as Node;
    const c = column(sl.testexpr);
    if (sl.subLinkType === 'ANY_SUBLINK' && c && (sl.operName === undefined || list(sl.operName).every((x) => (x.String as Node | undefined)?.sval === '='))) {
      w.batched = true;
      return { ...c, operator: 'in', value: 'param' };
    }
    return OTHER;
  }
  const e = n.A_Expr as Node | undefined;
  if (!e) return OTHER;
  const op = operatorName(e);
  let left = column(e.lexpr);
  let right: unknown = e.rexpr;
  let effectiveOp = op;
  if (!left && e.kind === 'AEXPR_OP' && column(e.rexpr) && FLIPPED[op] && valueOf(e.lexpr) !== 'column') {
    // `$1 = col`, `$1 < col`: the same condition written the other way round.
    left = column(e.rexpr);
    right = e.lexpr;
    effectiveOp = FLIPPED[op];
  }
  switch (e.kind) {
    case 'AEXPR_IN':
      w.batched = true;
      return left && op === '=' ? { ...left, operator: 'in', value: 'param' } : OTHER;
    case 'AEXPR_OP_ANY':
      w.batched = true;
      return left && op === '=' ? { ...left, operator: 'any', value: 'param' } : OTHER;
    case 'AEXPR_BETWEEN':
      return left ? { ...left, operator: 'range', value: 'param' } : OTHER;
    case 'AEXPR_LIKE': case 'AEXPR_ILIKE':
      return left && (op === '~~' || op === '~~*') ? { ...left, operator: 'like', value: valueOf(right) } : OTHER;
    case 'AEXPR_OP':
      if (!left) return { ...OTHER, operator: op === '=' ? 'eq' : 'other' };
      if (effectiveOp === '=') return { ...left, operator: 'eq', value: valueOf(right) };
      if (RANGE_OPERATORS.has(effectiveOp)) return { ...left, operator: 'range', value: valueOf(right) };
      if (effectiveOp === '~~' || effectiveOp === '~~*') return { ...left, operator: 'like', value: valueOf(right) };
      return { ...left, operator: 'other', value: valueOf(right) };
    default:
      return OTHER;
  }
}
