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

/** Exit codes of db-playbook. */
export const EXIT = {
  OK: 0,
  /** An AWS call or the database failed. */
  FAILURE: 1,
  /** Bad input or a refused precondition: nothing was changed. */
  USAGE: 2,
  /** doctor found at least one FAIL. */
  CHECK_FAILED: 3,
} as const;
