/**
 * The FAILs `db-playbook doctor` reports for the development profile by design: scripts/integ.ts
 * fails the run on any other FAIL. Each is a choice of Profile.DEVELOPMENT (lib/profile.ts:
 * "single-AZ, small burstable instance, 1 day of backups, no deletion protection, destroyed with
 * the stack"; DataPlatform: "no DR" in development), not a defect; production makes the opposite
 * choice.
 */
export const DEVELOPMENT_PROFILE_FAILS: Readonly<Record<string, string>> = {
  'instance.multi-az': 'the development profile is single-AZ',
  'instance.deletion-protection': 'the development profile is destroyed with the stack: deletion protection would block that',
  'dr.backup-replication': 'the development profile has no DR stack: automated backups stay in the region',
  'dr.recovery-point-age': 'the development profile has no DR stack: no offsite copy to be recent',
};
