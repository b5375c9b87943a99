/**
 * Asking the operator, on a terminal, to confirm a step that moves production traffic (the
 * cutover of `restore --cutover-proxy`) by typing a name: a habit of pressing `y` confirms
 * nothing, the name of what is about to change does. Without a terminal on stdin nobody can
 * answer, so such a step needs --yes instead (restore refuses before restoring anything).
 */
import * as readline from 'readline';
import type { Io } from '../context';

/**
 * Reading the operator's answer from stdin. Io (cli/context.ts) has no stdin: an Io may carry
 * these two fields (tests do), else the process's stdin is used.
 */
export interface PromptIo {
  /** Whether stdin is a terminal someone can type into. */
  readonly stdinIsTty: boolean;
  /** Reads one line from stdin: undefined at its end, or once `signal` aborts. */
  readonly readLine: (signal: AbortSignal) => Promise<string | undefined>;
}

/** `io`'s stdin, or the process's. */
export function promptIo(io: Io): PromptIo {
  const given = io as Io & Partial<PromptIo>;
  return {
    stdinIsTty: given.stdinIsTty ?? Boolean(process.stdin.isTTY),
    readLine: given.readLine ?? processReadLine,
  };
}

function processReadLine(signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    // No output and no terminal mode: the terminal stays cooked, so Ctrl-C is still SIGINT (cli/interrupt.ts).
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    let settled = false;
    const done = (answer: string | undefined) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    };
    const onAbort = () => done(undefined);
    rl.once('line', (line) => done(line));
    rl.once('close', () => done(undefined));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Prints `question` on stderr (stdout may carry --json), asks to type `name` (`what` says what
 * it is) and resolves to whether the answer is exactly that name (blanks around it aside).
 */
export async function confirmByName(io: Io, prompt: PromptIo, question: string, what: string, name: string, signal: AbortSignal): Promise<boolean> {
  io.stderr(`${question}Type ${what} (${name}) to confirm, anything else to stop: `);
  const answer = await prompt.readLine(signal);
  const confirmed = answer?.trim() === name;
  io.stderr(confirmed ? '' : `${answer === undefined ? '\n' : ''}Not confirmed${answer === undefined ? ' (no answer)' : ''}.\n`);
  return confirmed;
}
