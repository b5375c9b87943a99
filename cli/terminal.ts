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
