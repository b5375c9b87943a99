/**
 * Ctrl-C (SIGINT) while a command waits on AWS: what goes on in AWS goes on regardless, so the
 * command says so, prints how to pick up where it stopped, and ends with exit code 130 at once
 * instead of dying mid-line. A step that must not stop half-way (re-pointing a proxy) is
 * shielded: Ctrl-C then says it finishes that step first. A second Ctrl-C ends the process as usual.
 */
import type { Io } from './context';
import { InterruptedError } from './errors';

/** Ctrl-C handling for one command run; dispose() when the command ends. */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly stopListening: () => void;
  private shieldNotice: string | undefined;
  private stopped = false;

  constructor(private readonly io: Io) {
    this.stopListening = io.onInterrupt(() => this.onInterrupt());
  }

  /** Aborts at the first Ctrl-C outside a shielded step (for waitFor and sleeps). */
  public get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * `work`, or a rejection with `interrupted()` as soon as Ctrl-C is pressed (at once: an HTTP
   * call or a sleep in flight is not waited for; its own outcome is then ignored).
   */
  public race<T>(work: Promise<T>, interrupted: () => InterruptedError): Promise<T> {
    work.catch(() => undefined);
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(interrupted());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
        (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
      );
    });
  }

  /** Runs `step` to its end even when Ctrl-C is pressed meanwhile (printing `notice` then). */
  public async shield<T>(notice: string, step: () => Promise<T>): Promise<T> {
    this.shieldNotice = notice;
    try {
      return await step();
    } finally {
      this.shieldNotice = undefined;
    }
  }

  /** Stops listening for Ctrl-C. */
  public dispose(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopListening();
  }

  private onInterrupt(): void {
    // One Ctrl-C is handled here; the next one ends the process (the default), should this hang.
    this.dispose();
    if (this.shieldNotice !== undefined) {
      this.io.stderr(`\n${this.shieldNotice}\n`);
      return;
    }
    this.controller.abort();
  }
}
