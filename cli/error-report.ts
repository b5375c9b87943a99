/**
 * How a failed command ends: every error becomes one report (a stable code, the exit code, the
 * message and, where there is one, what to do), printed for people on stderr and, with --json,
 * as JSON on stdout too (cli/json-output.ts).
 */
import { CommanderError } from 'commander';
import { credentialProblem } from './credential-errors';
import { EXIT, InterruptedError, UsageError } from './errors';
import { WaitTimeoutError } from './rds/wait';

/**
 * What went wrong, for scripts: `usage` (bad input or a refused check, exit 2), `no-credentials`
 * and `credentials-rejected` (exit 1), `timeout` (a wait ran out, exit 1), `interrupted`
 * (Ctrl-C, exit 130), `aws` (an AWS call failed, exit 1), `failure` (anything else, e.g. the
 * database, exit 1).
 */
export type ErrorCode = 'usage' | 'no-credentials' | 'credentials-rejected' | 'timeout' | 'interrupted' | 'aws' | 'failure';

/** A failed command's outcome. */
export interface ErrorReport {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly message: string;
  /** What to do about it; null when the message says it all. */
  readonly hint: string | null;
}

/** Whether `e` (or what it wraps) came back from an AWS API. */
function fromAws(e: unknown): boolean {
  for (let x = e as { $metadata?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 5; x = x.cause as typeof x, depth++) {
    if (x.$metadata !== undefined) return true;
  }
  return false;
}

/** The report of `e`; `env` and `profile` (--profile) shape the credential hints. */
export function reportError(e: unknown, env: NodeJS.ProcessEnv, profile?: string): ErrorReport {
  if (e instanceof CommanderError) return { code: 'usage', exitCode: EXIT.USAGE, message: e.message.replace(/^error: /, ''), hint: null };
  if (e instanceof UsageError) return { code: 'usage', exitCode: EXIT.USAGE, message: e.message, hint: null };
  if (e instanceof InterruptedError) return { code: 'interrupted', exitCode: EXIT.INTERRUPTED, message: e.message, hint: e.hint };
  const credentials = credentialProblem(e, env, profile);
  if (credentials) return { ...credentials, exitCode: EXIT.FAILURE };
  const err = e as Error;
  const message = `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`;
  if (e instanceof WaitTimeoutError) return { code: 'timeout', exitCode: EXIT.FAILURE, message, hint: null };
  return { code: fromAws(e) ? 'aws' : 'failure', exitCode: EXIT.FAILURE, message, hint: null };
}

/** The report for people: `db-playbook: <message>`, then the hint. */
export function renderError(r: ErrorReport): string {
  return `db-playbook: ${r.message}\n${r.hint ? `hint: ${r.hint}\n` : ''}`;
}
