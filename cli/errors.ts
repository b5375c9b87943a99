/**
 * A problem with what the operator asked for (bad input, a check that refused): the CLI prints
 * the message and exits 2, having changed nothing.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The operator pressed Ctrl-C (SIGINT) while a command waited: what goes on in AWS regardless
 * is the message, how to pick up where it stopped the hint. Exit code 130 (128 + SIGINT).
 */
export class InterruptedError extends Error {
  constructor(message: string, public readonly hint: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

/** Exit codes of db-playbook. */
export const EXIT = {
  OK: 0,
  /** An AWS call or the database failed. */
  FAILURE: 1,
  /** Bad input or a refused precondition: nothing was changed. */
  USAGE: 2,
  /** doctor found at least one FAIL; upgrade: a precheck failed (nothing was changed). */
  CHECK_FAILED: 3,
  /** Interrupted by Ctrl-C (SIGINT), as shells report a command killed by it. */
  INTERRUPTED: 130,
} as const;

/**
 * What the exit codes mean, for `db-playbook --help` (each command's help says which of them it
 * ends with); README's CLI section says the same.
 */
export const EXIT_CODES_HELP = `Exit codes: ${EXIT.OK} done; ${EXIT.FAILURE} an AWS call, the database or a wait failed (also: no, `
  + `expired or refused credentials; throttled or unreachable after the retries); ${EXIT.USAGE} bad input or a refused check `
  + `(an unknown command, option, value, instance, snapshot, proxy or bucket): nothing was changed; ${EXIT.CHECK_FAILED} doctor `
  + `found a FAIL, inspect a finding of a --fail-on rule, or an upgrade precheck failed (nothing was changed); ${EXIT.INTERRUPTED} interrupted by Ctrl-C.`;
