/**
 * Writing to stdout and stderr when the reader may go away: `db-playbook ... | head -1` closes
 * the pipe after one line, and Node reports the next write as an 'error' event (EPIPE) that,
 * unhandled, ends the process with a stack trace. Here the writer stops writing instead, quietly,
 * and the command goes on to its own end and exit code: what it was asked to do (a restore, a
 * cutover) does not depend on whether someone still reads its output.
 */

/** Error codes that mean the reader is gone. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** A write function for `stream` that turns into a no-op once its reader has gone. */
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
    if (!gone && !stream.destroyed) stream.write(text);
  };
}
