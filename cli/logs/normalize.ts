/**
 * A statement from the log made into its group's key, the way pg_stat_statements shows one:
 * every literal replaced by `$n` (numbered from 1 in order of appearance, so the same statement
 * with other values gets the same key), comments dropped, whitespace collapsed, and a list of
 * placeholders (`IN ($1, $2, $3)`, `VALUES ($1, $2), ($3, $4)`) written once, so a
 * statement does not make a new group for each list length.
 *
 * A lexer, not a parser: it knows PostgreSQL's literals (strings, E'' escapes, U&'' and B''/X'',
 * dollar quotes, numbers), quoted names, `$n` parameters and comments, and copies everything
 * else. It never fails: a statement cut off in the log (the entry bound, a broken line) is
 * normalized as far as it goes. libpg-query 17.7.4 (PostgreSQL's own parser, as WASM) exposes
 * only parse / parseSync, no normalize or fingerprint, and a truncated statement does not parse.
 *
 * The literals are what the log must not repeat in a report: personal data, passwords of
 * `ALTER ROLE ... PASSWORD`. The text report and --json show only normalized statements.
 */

/** Character classes by code: letters, `_` and non-ASCII start a word; digits and `$` continue one. */
function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}
function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** The end (exclusive) of a quoted run starting at `i` (the opening quote), doubled quotes kept in; `escapes` for E''. */
function quotedEnd(sql: string, i: number, quote: number, escapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (escapes && c === 92) { j += 2; continue; }
    if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** The end of a number starting at `i`: 42, 1.5, .5, 1e3, 1_000, 0x1F, 0o17, 0b101. */
function numberEnd(sql: string, i: number): number {
  let j = i;
  const c1 = sql.charCodeAt(j + 1) | 32;
  if (sql.charCodeAt(j) === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) {
    j += 2;
    while (j < sql.length && (isWordChar(sql.charCodeAt(j)))) j++;
    return j;
  }
  while (j < sql.length && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++;
  if (sql.charCodeAt(j) === 46) {
    j++;
    while (j < sql.length && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++;
  }
  if ((sql.charCodeAt(j) | 32) === 101) {
    let k = j + 1;
    if (sql.charCodeAt(k) === 43 || sql.charCodeAt(k) === 45) k++;
    if (isDigit(sql.charCodeAt(k))) {
      j = k;
      while (j < sql.length && isDigit(sql.charCodeAt(j))) j++;
    }
  }
  return j;
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** The literals of `sql` replaced by $1, $2, ..., comments dropped, whitespace collapsed. */
export function normalizeStatement(sql: string): string {
  const out: string[] = [];
  let last = 40; // `(`: no space before the first token
  let n = 0;
  let i = 0;
  let space = false;
  const emit = (text: string) => {
    const first = text.charCodeAt(0);
    if (space && out.length > 0 && last !== 40 && first !== 41 && first !== 44) out.push(' ');
    space = false;
    out.push(text);
    last = text.charCodeAt(text.length - 1);
  };
  const literal = () => emit(`$${++n}`);
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    const prefixable = i === 0 || !isWordChar(sql.charCodeAt(i - 1));
    const next = sql.charCodeAt(i + 1);
    if (isSpace(c)) { space = true; i++; continue; }
    if (c === 45 && next === 45) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      space = true;
      continue;
    }
    if (c === 47 && next === 42) {
      let j = i + 2;
      for (let depth = 1; j < sql.length && depth > 0;) {
        if (sql.charCodeAt(j) === 47 && sql.charCodeAt(j + 1) === 42) { depth++; j += 2; } else if (sql.charCodeAt(j) === 42 && sql.charCodeAt(j + 1) === 47) { depth--; j += 2; } else j++;
      }
      i = j;
      space = true;
      continue;
    }
    if (c === 34) {
      const end = quotedEnd(sql, i, 34, false);
      emit(sql.slice(i, end));
      i = end;
      continue;
    }
    if (c === 39) { i = quotedEnd(sql, i, 39, false); literal(); continue; }
    if (prefixable && next === 39) {
      const lower = c | 32;
      if (lower === 101) { i = quotedEnd(sql, i + 1, 39, true); literal(); continue; }
      if (lower === 98 || lower === 120 || lower === 110) { i = quotedEnd(sql, i + 1, 39, false); literal(); continue; }
    }
    if (prefixable && (c | 32) === 117 && next === 38 && sql.charCodeAt(i + 2) === 39) { i = quotedEnd(sql, i + 2, 39, false); literal(); continue; }
    if (c === 36) {
      if (isDigit(next)) {
        let j = i + 1;
        while (j < sql.length && isDigit(sql.charCodeAt(j))) j++;
        i = j;
        literal();
        continue;
      }
      if (prefixable) {
        DOLLAR_TAG.lastIndex = i;
        const tag = DOLLAR_TAG.exec(sql);
        if (tag) {
          const end = sql.indexOf(tag[0], i + tag[0].length);
          i = end < 0 ? sql.length : end + tag[0].length;
          literal();
          continue;
        }
      }
    }
    if (prefixable && (isDigit(c) || (c === 46 && isDigit(next)))) {
      i = numberEnd(sql, i);
      literal();
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < sql.length && isWordChar(sql.charCodeAt(j))) j++;
      emit(sql.slice(i, j));
      i = j;
      continue;
    }
    emit(sql[i]);
    i++;
  }
  return collapseLists(out.join(''));
}

/** `IN ($1, $2, $3)` → `IN ($1, ...)`; `VALUES ($1, $2), ($3, $4)` → `VALUES ($1, $2), ...`; then renumbers from $1. */
function collapseLists(sql: string): string {
  let s = sql.replace(/\b(IN|in|In) \((\$\d+)(?:, ?\$\d+)+\)/g, '$1 ($2, ...)');
  s = s.replace(/\b(VALUES|values|Values) (\((?:\$\d+)(?:, ?\$\d+)*\))(?:, ?\((?:\$\d+)(?:, ?\$\d+)*\))+/g, '$1 $2, ...');
  let k = 0;
  return s.replace(/\$\d+/g, () => `$${++k}`);
}
