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

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

/** The end (exclusive) of a quoted run starting at `i` (the opening quote), `'`-doubling aware; `escapes` for E''. */
function quotedEnd(sql: string, i: number, quote: string, escapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (escapes && c === '\\') { j += 2; continue; }
    if (c === quote) {
      if (sql[j + 1] === quote) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** The literals of `sql` replaced by $1, $2, ..., comments dropped, whitespace collapsed. */
export function normalizeStatement(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  let space = false;
  const emit = (text: string) => {
    if (space && out !== '' && !/[(\s]$/.test(out) && !/^[),]/.test(text)) out += ' ';
    space = false;
    out += text;
  };
  while (i < sql.length) {
    const c = sql[i];
    const prev = i > 0 ? sql[i - 1] : ' ';
    if (/\s/.test(c)) { space = true; i++; continue; }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      space = true;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let j = i + 2;
      for (let depth = 1; j < sql.length && depth > 0;) {
        if (sql.startsWith('/*', j)) { depth++; j += 2; } else if (sql.startsWith('*/', j)) { depth--; j += 2; } else j++;
      }
      i = j;
      space = true;
      continue;
    }
    if (c === '"') {
      const end = quotedEnd(sql, i, '"', false);
      emit(sql.slice(i, end));
      i = end;
      continue;
    }
    if (c === "'") {
      i = quotedEnd(sql, i, "'", false);
      emit(`$${++n}`);
      continue;
    }
    const prefixable = !WORD_CHAR.test(prev);
    if (prefixable && /[eE]/.test(c) && sql[i + 1] === "'") {
      i = quotedEnd(sql, i + 1, "'", true);
      emit(`$${++n}`);
      continue;
    }
    if (prefixable && /[bBxXnN]/.test(c) && sql[i + 1] === "'") {
      i = quotedEnd(sql, i + 1, "'", false);
      emit(`$${++n}`);
      continue;
    }
    if (prefixable && /[uU]/.test(c) && sql[i + 1] === '&' && sql[i + 2] === "'") {
      i = quotedEnd(sql, i + 2, "'", false);
      emit(`$${++n}`);
      continue;
    }
    if (c === '$') {
      const param = /^\$\d+/.exec(sql.slice(i, i + 12));
      if (param) {
        i += param[0].length;
        emit(`$${++n}`);
        continue;
      }
      const tag = prefixable ? /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64)) : null;
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? sql.length : end + tag[0].length;
        emit(`$${++n}`);
        continue;
      }
    }
    if (prefixable && (DIGIT.test(c) || (c === '.' && DIGIT.test(sql[i + 1] ?? '')))) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(sql.slice(i, i + 400));
      const length = m ? m[0].length : 1;
      i += length;
      emit(`$${++n}`);
      continue;
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql[j])) j++;
      emit(sql.slice(i, j));
      i = j;
      continue;
    }
    emit(c);
    i++;
  }
  return collapseLists(out);
}

/** `IN ($1, $2, $3)` → `IN ($1, ...)`; `VALUES ($1, $2), ($3, $4)` → `VALUES ($1, $2), ...`; then renumbers from $1. */
function collapseLists(sql: string): string {
  let s = sql.replace(/\b(IN|in|In) \((\$\d+)(?:, ?\$\d+)+\)/g, '$1 ($2, ...)');
  s = s.replace(/\b(VALUES|values|Values) (\((?:\$\d+)(?:, ?\$\d+)*\))(?:, ?\((?:\$\d+)(?:, ?\$\d+)*\))+/g, '$1 $2, ...');
  let k = 0;
  return s.replace(/\$\d+/g, () => `$${++k}`);
}
