/**
 * The set of defaults a construct starts from.
 *
 * Every default that a profile chooses can still be overridden by a prop.
 */
export enum Profile {
  /**
   * Multi-AZ, encrypted, deletion-protected, retained on stack deletion, 14 days of
   * point-in-time recovery, replicas and cross-region backups where a construct offers them.
   */
  PRODUCTION = 'PRODUCTION',

  /**
   * The cheapest configuration that still works: single-AZ, small burstable instance,
   * 1 day of backups, no deletion protection, destroyed with the stack.
   */
  DEVELOPMENT = 'DEVELOPMENT',
}
