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
