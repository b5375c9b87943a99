/**
 * Waiting for an RDS resource with a live progress line: on a terminal one line rewritten in
 * place (`\r`), elsewhere (CI logs, pipes) a line per state change and, while the state stays
 * the same, one at least every HEARTBEAT_MS, so that a log is not silent for the hour a large
 * restore takes (and a CI job's no-output timeout does not kill it).
 */
import type { Io } from '../context';
import { formatDuration } from './format';

/** DB instance states a restore never leaves on its own: waiting longer cannot help. */
export const FAILED_INSTANCE_STATES: readonly string[] = [
  'failed', 'incompatible-restore', 'incompatible-parameters', 'incompatible-network', 'incompatible-option-group',
  'storage-full', 'inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable',
  'restore-error', 'deleting', 'deleted', 'stopped', 'stopping',
];

/** Polled every 15 s by default: RDS state changes take minutes. */
export const DEFAULT_POLL_MS = 15_000;

/** Without a terminal, the longest time between two progress lines. */
export const HEARTBEAT_MS = 30_000;

/** Thrown when the wait ran out of time; the operation goes on in AWS. */
export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeout';
  }
}

/** Options of waitFor. */
export interface WaitOptions<T> {
  readonly io: Io;
  /** Where progress goes (stdout normally; stderr when stdout carries JSON). */
  readonly write: (text: string) => void;
  /** Rewrite one line with `\r` (a terminal) or print a line per state change and every HEARTBEAT_MS. */
  readonly tty: boolean;
  /** What is waited for, e.g. `prod-restored`. */
  readonly label: string;
  /** Reads the current state; `state` is what the progress line shows. */
  readonly poll: () => Promise<{ state: string; value: T; detail?: string }>;
  readonly isDone: (state: string) => boolean;
  /** A state that will not get better: throw instead of waiting. */
  readonly isFailed?: (state: string) => boolean;
  /** When the operation started (elapsed is measured from it), in io.now() milliseconds. */
  readonly startedAt: number;
  /** How long this wait may take. */
  readonly timeoutMs: number;
  /** What to tell the operator when the wait times out or fails (e.g. how to resume). */
  readonly resumeHint: string;
  readonly pollMs?: number;
  /** Ends the wait (rejecting with the signal's reason) when it aborts, e.g. on Ctrl-C. */
  readonly signal?: AbortSignal;
}

/** Polls until isDone (resolves to the last value), isFailed (throws), or the timeout (WaitTimeoutError). */
export async function waitFor<T>(opts: WaitOptions<T>): Promise<T> {
  const { io, write, tty, label } = opts;
  const waitStart = io.now();
  let lastState: string | undefined;
  let lastLineLength = 0;
  let lastLineAt = Number.NEGATIVE_INFINITY;
  const show = (state: string, detail?: string, final = false) => {
    const line = `${label}: ${state}${detail ? ` ${detail}` : ''} (elapsed ${formatDuration(io.now() - opts.startedAt)})`;
    if (tty) {
      write(`\r${line}${' '.repeat(Math.max(0, lastLineLength - line.length))}${final ? '\n' : ''}`);
      lastLineLength = line.length;
    } else if (state !== lastState || final || io.now() - lastLineAt >= HEARTBEAT_MS) {
      write(`${line}\n`);
      lastLineAt = io.now();
    }
    lastState = state;
  };
  const { signal } = opts;
  for (;;) {
    signal?.throwIfAborted();
    const { state, value, detail } = await opts.poll();
    if (opts.isDone(state)) {
      if (tty || state !== lastState) show(state, detail, true);
      return value;
    }
    if (opts.isFailed?.(state)) {
      show(state, detail, true);
      throw new Error(`${label} is '${state}': waiting will not make it available. ${opts.resumeHint}`);
    }
    show(state, detail);
    if (io.now() - waitStart >= opts.timeoutMs) {
      if (tty) write('\n');
      throw new WaitTimeoutError(`timed out after ${formatDuration(opts.timeoutMs)} waiting for ${label} (state: ${state}). ${opts.resumeHint}`);
    }
    // Without a terminal, wake up at least every HEARTBEAT_MS to print the line, whatever the poll interval.
    const pollMs = tty ? opts.pollMs ?? DEFAULT_POLL_MS : Math.min(opts.pollMs ?? DEFAULT_POLL_MS, HEARTBEAT_MS);
    await io.sleep(Math.min(pollMs, Math.max(1, opts.timeoutMs - (io.now() - waitStart))), signal);
  }
}
