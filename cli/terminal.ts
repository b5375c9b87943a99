/**
 * Text for a terminal: wrapping to its width and colour, only where a person reads it.
 * Colour follows https://no-color.org: never when NO_COLOR is set (to anything but the empty
 * string), never when stdout is not a terminal (a pipe, a file, a CI log).
 */
import type { Io } from './context';

/** The width text is wrapped to when stdout is not a terminal (and COLUMNS is not set). */
export const DEFAULT_COLUMNS = 100;

/** Whether to colour what goes to stdout. */
export function colorEnabled(io: Pick<Io, 'isTty' | 'env'>): boolean {
  return io.isTty && !io.env.NO_COLOR;
}

const ANSI = { red: '\u001b[31m', yellow: '\u001b[33m', reset: '\u001b[0m' } as const;

/** `text` in `color` when `enabled`, else unchanged. */
export function paint(text: string, color: 'red' | 'yellow', enabled: boolean): string {
  return enabled ? `${ANSI[color]}${text}${ANSI.reset}` : text;
}

/**
 * What a terminal acts on instead of showing: the C0 controls (ESC starts the sequences that
 * move the cursor, clear the screen, retitle the window or write the clipboard; CR and BS
 * overwrite what was printed), DEL, the C1 controls (U+009B is an 8-bit CSI to some terminals),
 * and the invisible format characters that reorder or hide text (bidi overrides and isolates,
 * zero-width characters, the line and paragraph separators, the BOM, tag characters).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

/** `\uXXXX` for each UTF-16 unit of `ch`: visible text, and in a JSON string the same character again. */
function escapeUnits(ch: string): string {
  return Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
}

/**
 * `text` (from a database: a name, application_name, a statement, a server's message) made safe
 * to print: every character of CONTROL, newlines and tabs included, shown as its `\uXXXX`
 * escape, so that what a database user wrote prints as text on one line and cannot move the
 * cursor, hide or rewrite a line, or send the terminal a command.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeUnits);
}

/** The escape sequences db-playbook writes itself (paint's colours), which the writer lets through. */
const OWN_SEQUENCES = new Set<string>(Object.values(ANSI));
const OWN_OR_CONTROL = new RegExp(`${[...OWN_SEQUENCES].map((s) => s.replace(/[[\]]/g, '\\$&')).join('|')}|${CONTROL.source}`, 'g');

/**
 * What goes to stdout and stderr, as the last guard (cli/output.ts): newlines, tabs, carriage
 * returns (the live progress line) and paint's colours pass; any other character of CONTROL is
 * shown as its `\uXXXX` escape. In JSON output such a character can only stand inside a string,
 * where the escape decodes to the same character: the document stays valid and says the same.
 */
export function terminalSafe(text: string): string {
  return text.replace(OWN_OR_CONTROL, (m) => (OWN_SEQUENCES.has(m) || m === '\n' || m === '\t' || m === '\r' ? m : escapeUnits(m)));
}

/**
 * Word-wraps `text` to `width` columns: the first line starts with `first`, the others with
 * `rest` (both count towards the width). Breaks only at spaces; a word longer than the line
 * keeps a line of its own.
 */
export function wrapText(text: string, width: number, first = '', rest = first): string {
  const words = text.split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** The columns to wrap to: the terminal's width on a TTY, else COLUMNS when set, else DEFAULT_COLUMNS. */
export function terminalColumns(isTty: boolean, ttyColumns: number | undefined, env: NodeJS.ProcessEnv): number {
  if (isTty && ttyColumns && ttyColumns > 0) return ttyColumns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_COLUMNS;
}

/** Splits at spaces outside quotes that open a word ('...', "..."; an apostrophe inside a word is not one). */
function shellishWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if ((ch === '\'' || ch === '"') && word === '') {
      quote = ch;
    } else if (ch === ' ') {
      if (word) words.push(word);
      word = '';
      continue;
    }
    word += ch;
  }
  if (word) words.push(word);
  return words;
}

/**
 * Wraps prose that may hold AWS CLI commands (a finding's fix) so that a command still pastes
 * into a shell: inside a command (from `aws` to a word ending in a backtick or a comma, or
 * before a word starting with `(`) lines break only before an option (`--x`) or a quoted
 * argument, and end with ` \`; nothing breaks inside quotes. What cannot break (a long JSON
 * argument) overflows the width.
 */
export function wrapCommandText(text: string, width: number, first = '', rest = first): string {
  // Chunks: runs of words that must stay on one line; `continues` marks a chunk inside a command after its first word.
  const chunks: { text: string; continues: boolean }[] = [];
  let inCommand = false;
  for (const word of shellishWords(text)) {
    if (inCommand && word.startsWith('(')) inCommand = false;
    const starts = !inCommand && (word === 'aws' || word === '`aws');
    const breakable = !inCommand || starts || word.startsWith('--') || word.startsWith('"') || word.startsWith('\'');
    if (breakable || chunks.length === 0) chunks.push({ text: word, continues: inCommand && !starts });
    else chunks[chunks.length - 1].text += ` ${word}`;
    if (starts) inCommand = true;
    if (inCommand && !starts && (word.endsWith('`') || word.endsWith(','))) inCommand = false;
    else if (starts && (word.length > 4 && word.endsWith('`'))) inCommand = false;
  }
  // An option with its value that does not fit even on a line of its own breaks between them too.
  const room = width - Math.max(first.length, rest.length) - 2;
  const fitted = chunks.flatMap((chunk) => chunk.text.length <= room || !chunk.text.includes(' ')
    ? [chunk]
    : shellishWords(chunk.text).map((word, k) => ({ text: word, continues: chunk.continues || k > 0 })));
  const lines: string[] = [];
  let line = first;
  let empty = true;
  fitted.forEach((chunk, i) => {
    const reserve = fitted[i + 1]?.continues ? 2 : 0;
    if (!empty && line.length + 1 + chunk.text.length + reserve > width) {
      lines.push(chunk.continues ? `${line} \\` : line);
      line = rest;
      empty = true;
    }
    line += empty ? chunk.text : ` ${chunk.text}`;
    empty = false;
  });
  lines.push(line);
  return lines.join('\n');
}
