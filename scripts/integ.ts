/**
 * The integration test on a real account (README "Verify on your account"):
 *
 *   CDK_INTEG_ACCOUNT=123456789012 CDK_INTEG_REGION=eu-west-1 npx tsx scripts/integ.ts
 *
 * 1. `cdk deploy --all` of test/integ/integ.platform.ts: the platform stack, then the
 *    DeployAssert stack, whose custom resources run the assertions (a failed one fails the deploy);
 * 2. `db-playbook doctor --json` against the deployed primary: any FAIL but the development
 *    profile's by-design ones (test/integ/doctor-expectations.ts) fails the run;
 * 3. always, whatever failed: delete what the assertions created outside CloudFormation (the
 *    restored instances, the test vault's recovery points), then `cdk destroy --all --force`.
 *
 * Exit code 0 only when every step passed and the destroy succeeded. Uses the AWS CLI's
 * credentials chain (AWS_PROFILE etc.) for cdk and the CLI alike.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { DEVELOPMENT_PROFILE_FAILS } from '../test/integ/doctor-expectations';
import { PLATFORM_STACK, RESTORED_INSTANCES } from '../test/integ/integ.platform';

const ROOT = path.resolve(__dirname, '..');
const APP = 'npx tsx test/integ/integ.platform.ts';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, capture = false): { status: number; stdout: string } {
  process.stdout.write(`integ: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '' };
}

/** The AWS CLI v2, for the clean-up calls (no SDK client of CloudFormation here). */
function aws(args: string[], env: NodeJS.ProcessEnv): { status: number; stdout: string } {
  return run('aws', [...args, '--output', 'json'], env, true);
}

function main(): number {
  const account = process.env.CDK_INTEG_ACCOUNT;
  const region = process.env.CDK_INTEG_REGION ?? process.env.AWS_REGION ?? 'us-east-1';
  if (!account || !/^\d{12}$/.test(account)) {
    process.stderr.write('integ: CDK_INTEG_ACCOUNT must be the 12-digit account to deploy the integration test to\n');
    return 2;
  }
  const env = { ...process.env, CDK_DEFAULT_ACCOUNT: account, CDK_DEFAULT_REGION: region, AWS_REGION: region, AWS_DEFAULT_REGION: region };
  const caller = aws(['sts', 'get-caller-identity', '--query', 'Account'], env);
  const callerAccount = caller.status === 0 ? (JSON.parse(caller.stdout || 'null') as string | null) : null;
  if (callerAccount !== account) {
    process.stderr.write(`integ: the credentials are for account ${callerAccount ?? '(none: aws sts get-caller-identity failed)'}, not CDK_INTEG_ACCOUNT ${account}: nothing deployed\n`);
    return 2;
  }
  const failures: string[] = [];
  try {
    const deploy = run('npx', ['cdk', 'deploy', '--app', APP, '--all', '--require-approval', 'never', '--output', 'cdk.out.integ'], env);
    if (deploy.status !== 0) failures.push(`cdk deploy failed (exit ${deploy.status}): an assertion or a resource failed; see above`);
    const out = aws(['cloudformation', 'describe-stacks', '--stack-name', PLATFORM_STACK, '--query', "Stacks[0].Outputs[?OutputKey=='InstanceIdentifier'].OutputValue | [0]"], env);
    const instance = out.status === 0 ? (JSON.parse(out.stdout || 'null') as string | null) : null;
    if (instance) {
      const doctor = run('node', ['assets/cli/db-playbook.js', 'doctor', '--instance', instance, '--region', region, '--json'], env, true);
      const report = JSON.parse(doctor.stdout || '{}') as { findings?: Array<{ rule: string; severity: string; message: string }> };
      const unexpected = (report.findings ?? []).filter((f) => f.severity === 'FAIL' && !(f.rule in DEVELOPMENT_PROFILE_FAILS));
      for (const f of unexpected) failures.push(`doctor FAIL ${f.rule}: ${f.message}`);
      if (!report.findings) failures.push(`doctor gave no JSON report (exit ${doctor.status})`);
    } else if (deploy.status === 0) {
      failures.push(`no InstanceIdentifier output on ${PLATFORM_STACK}: doctor not run`);
    }
  } finally {
    cleanUp(env, failures);
  }
  for (const f of failures) process.stderr.write(`integ: FAILED: ${f}\n`);
  process.stdout.write(failures.length === 0 ? 'integ: PASSED (deployed, asserted, doctor clean, destroyed)\n' : '');
  return failures.length === 0 ? 0 : 1;
}

/** What the assertions made outside CloudFormation, then the stacks. Never throws. */
function cleanUp(env: NodeJS.ProcessEnv, failures: string[]): void {
  for (const id of Object.values(RESTORED_INSTANCES)) {
    aws(['rds', 'delete-db-instance', '--db-instance-identifier', id, '--skip-final-snapshot', '--delete-automated-backups'], env);
    aws(['rds', 'wait', 'db-instance-deleted', '--db-instance-identifier', id], env);
  }
  const vault = aws(['cloudformation', 'describe-stacks', '--stack-name', PLATFORM_STACK, '--query', "Stacks[0].Outputs[?OutputKey=='IntegVaultName'].OutputValue | [0]"], env);
  const vaultName = vault.status === 0 ? (JSON.parse(vault.stdout || 'null') as string | null) : null;
  if (vaultName) {
    const points = aws(['backup', 'list-recovery-points-by-backup-vault', '--backup-vault-name', vaultName, '--query', 'RecoveryPoints[].RecoveryPointArn'], env);
    for (const arn of (JSON.parse(points.stdout || '[]') as string[] | null) ?? []) {
      aws(['backup', 'delete-recovery-point', '--backup-vault-name', vaultName, '--recovery-point-arn', arn], env);
    }
  }
  const destroy = run('npx', ['cdk', 'destroy', '--app', APP, '--all', '--force', '--output', 'cdk.out.integ'], env);
  if (destroy.status !== 0) failures.push(`cdk destroy failed (exit ${destroy.status}): delete ${PLATFORM_STACK} and its DeployAssert stack by hand`);
}

process.exitCode = main();
