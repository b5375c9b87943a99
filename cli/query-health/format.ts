/**
 * How the report writes numbers, sizes and statements: pure formatting, and redactLiterals,
 * which keeps the literals of a statement (personal data, a password) out of any report.
 */

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

/** A count as people read it: 12,000. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A statement on one line, cut at `max` characters. */
export function oneLine(query: string, max = 160): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
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

