/**
 * Counting the statements of a piece of SQL, as PostgreSQL's lexer splits them: a `;` ends a
 * statement unless it is inside a string ('…', E'…' with backslash escapes, $tag$…$tag$), a
 * quoted identifier ("…") or a comment (-- to the end of the line, nested /* … *\/). Pure.
 *
 * `--verify-sql` uses it to refuse several statements before anything is restored; PostgreSQL
 * refuses them too (the extended protocol takes one statement), so a miscount can only refuse
 * a query or leave the refusal to the server, never let a second statement run.
 */

/** One statement of the text: where it starts and ends (the `;` excluded), trimmed of blanks and comments around it. */
export interface StatementSpan {
  readonly start: number;
  readonly end: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** The statements of `sql` that hold more than blanks and comments, in order. */
export function sqlStatements(sql: string): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let start: number | undefined;
  let end = 0;
  let i = 0;
  const n = sql.length;
  /** Marks [from, to) as content of the current statement. */
  const content = (from: number, to: number) => {
    if (start === undefined) start = from;
    end = to;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === ';') {
      if (start !== undefined) spans.push({ start, end });
      start = undefined;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; } else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; } else i++;
      }
    } else if (c === '\'') {
      // E'…' (the E just before the quote, not the end of a longer word) takes backslash escapes.
      const prefix = sql[i - 1];
      const escapes = (prefix === 'E' || prefix === 'e') && !IDENT_PART.test(sql[i - 2] ?? ' ');
      const from = i;
      i = quotedEnd(sql, i, '\'', escapes);
      content(from, i);
    } else if (c === '"') {
      const from = i;
      i = quotedEnd(sql, i, '"', false);
      content(from, i);
    } else if (c === '$' && !IDENT_PART.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i))?.[0];
      const from = i;
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      } else {
        i++;
      }
      content(from, i);
    } else {
      const from = i;
      i++;
      if (IDENT_START.test(c)) while (i < n && IDENT_PART.test(sql[i]) && sql[i] !== '\'') i++;
      content(from, i);
    }
  }
  if (start !== undefined) spans.push({ start, end });
  return spans;
}

/** The index just after the quote that closes the one at `open` (a doubled quote, or with `escapes` a backslash, escapes); the end of the text if none does. */
function quotedEnd(sql: string, open: number, quote: string, escapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (escapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}
