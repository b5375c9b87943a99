/**
 * Writing to stdout and stderr when the reader may go away: `db-playbook ... | head -1` closes
 * the pipe after one line, and Node reports the next write as an 'error' event (EPIPE) that,
 * unhandled, ends the process with a stack trace. Here the writer stops writing instead, quietly,
 * and the command goes on to its own end and exit code: what it was asked to do (a restore, a
 * cutover) does not depend on whether someone still reads its output.
 *
 * It is also the last guard against terminal escape sequences: what the commands print can hold
 * text from a database or an AWS resource (a session's application_name, a statement, a
 * server's error message, a tag), and any control character in it is written as its `\uXXXX`
 * escape (cli/terminal.ts terminalSafe); the commands' own newlines, progress lines and colours
 * pass.
 */
import { terminalSafe } from './terminal';

/** Error codes that mean the reader is gone. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** A write function for `stream` that shows control characters as escapes and turns into a no-op once its reader has gone. */
export function quietWriter(stream: NodeJS.WritableStream & { destroyed?: boolean }): (text: string) => void {
  let gone = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (READER_GONE.has(e.code ?? '')) {
      gone = true;
      return;
    }
    throw e;
  });
  return (text) => {
    if (!gone && !stream.destroyed) stream.write(terminalSafe(text));
  };
}
