/**
 * scripts/integ.ts and .ci/run's integration line, without an account: nothing is deployed unless
 * CDK_INTEG_ACCOUNT names the account the credentials are for, and .ci/run says it skipped.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/app';

/** The environment without AWS or CDK settings: no credentials, no account. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')));
  return { ...env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

function runner(env: NodeJS.ProcessEnv) {
  return spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/integ.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
}

test('fails when CDK_INTEG_ACCOUNT is unset: exit 2, nothing deployed', () => {
  const r = runner(offlineEnv());
  expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 2, stderr: 'integ: CDK_INTEG_ACCOUNT must be the 12-digit account to deploy the integration test to' });
  expect(r.stdout).not.toMatch(/cdk deploy/);
});

test('fails when the credentials are not for CDK_INTEG_ACCOUNT: exit 2, nothing deployed', () => {
  const r = runner(offlineEnv({ CDK_INTEG_ACCOUNT: '111122223333' }));
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/not CDK_INTEG_ACCOUNT 111122223333: nothing deployed/);
  expect(r.stdout).not.toMatch(/cdk deploy/);
});

test('.ci/run skips the deploy mode without CDK_INTEG_ACCOUNT, in one line, and runs scripts/integ.ts with it', () => {
  const line = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').split('\n').find((l) => l.includes('CDK_INTEG_ACCOUNT') && l.startsWith('if '));
  expect(line).toBeDefined();
  // `npx` stubbed: the line is judged by what it would run.
  const stub = `npx() { echo "would run: npx $*"; }; ${line}`;
  const skipped = spawnSync('bash', ['-c', stub], { cwd: ROOT, env: offlineEnv(), encoding: 'utf8' });
  expect(skipped.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\.ci\/run: integration tests on AWS skipped: CDK_INTEG_ACCOUNT is not set/)]);
  const ran = spawnSync('bash', ['-c', stub], { cwd: ROOT, env: offlineEnv({ CDK_INTEG_ACCOUNT: '111122223333' }), encoding: 'utf8' });
  expect(ran.stdout.trim()).toBe('would run: npx tsx scripts/integ.ts');
});
