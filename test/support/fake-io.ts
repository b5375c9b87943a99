/**
 * A fake Io for running db-playbook commands in-process (`main(argv, io)`): captures stdout and
 * stderr, takes an injected environment, and a clock that only moves when the command sleeps
 * (so waits are instant and elapsed times are exact).
 *
 *   const io = fakeIo(motoEnv(moto.endpoint));
 *   expect(await main(['recovery-points', '--source', 'db'], io)).toBe(0);
 *   expect(io.out()).toContain('manual-snapshot');
 */
import type { Io } from '../../cli/context';

/** A fake Io and what the command wrote. */
export interface FakeIo extends Io {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
  /** Every sleep the command asked for, in milliseconds. */
  readonly sleeps: number[];
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Presses Ctrl-C: calls the listeners registered with onInterrupt (false when there are none: SIGINT would end the process). */
  interrupt(): boolean;
}

/** Options of fakeIo. */
export interface FakeIoOptions {
  /** @default false */
  readonly isTty?: boolean;
  /** The width text is wrapped to. @default 100 (what the CLI uses without a terminal) */
  readonly columns?: number;
  /** The clock's start, in ms since the epoch. @default Date.now() */
  readonly now?: number;
}

/** The environment of a command pointed at a moto server (moto's dummy credentials). */
export function motoEnv(endpoint: string, region = 'us-east-1'): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
}

export function fakeIo(env: NodeJS.ProcessEnv = {}, options: FakeIoOptions = {}): FakeIo {
  let stdout = '';
  let stderr = '';
  let clock = options.now ?? Date.now();
  const sleeps: number[] = [];
  const interruptListeners = new Set<() => void>();
  return {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    env,
    isTty: options.isTty ?? false,
    columns: options.columns ?? 100,
    now: () => clock,
    // Yields a macrotask, so a loop that never stops waiting still lets jest's timeout fire.
    sleep: async (ms) => { sleeps.push(ms); clock += ms; await new Promise((r) => setImmediate(r)); },
    onInterrupt: (listener) => {
      interruptListeners.add(listener);
      return () => { interruptListeners.delete(listener); };
    },
    interrupt: () => {
      const listeners = [...interruptListeners];
      for (const listener of listeners) listener();
      return listeners.length > 0;
    },
    out: () => stdout,
    err: () => stderr,
    sleeps,
    advance: (ms) => { clock += ms; },
  };
}
