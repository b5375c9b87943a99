/**
 * The committed Lambda bundles (assets/<name>/index.js, built by scripts/bundle-handlers.mjs)
 * are what `cdk synth` packages: they must match their sources and load.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const VALIDATOR = path.join(ROOT, 'assets', 'restore-validator', 'index.js');

test('the committed bundles are up to date (npm run bundle, then commit assets/)', () => {
  const run = spawnSync(process.execPath, ['scripts/bundle-handlers.mjs', '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toContain('assets/restore-validator/index.js');
});

test('the restore validator bundle loads and exports handler', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundle = require(VALIDATOR) as { handler?: unknown };
  expect(typeof bundle.handler).toBe('function');
  // No AWS call is needed to ignore an event that is not a restore job.
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await expect((bundle.handler as (e: unknown) => Promise<unknown>)({ source: 'aws.ec2' })).resolves.toEqual({
      reported: false,
      reason: 'source is "aws.ec2", not "aws.backup"',
    });
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual([
      { level: 'INFO', message: 'ignored: source is "aws.ec2", not "aws.backup"' },
    ]);
  } finally {
    log.mockRestore();
  }
});

/** The AWS SDK clients each handler calls, all from the runtime (scripts/bundle-handlers.mjs says why). */
const RUNTIME_SDK_CLIENTS: Record<string, string[]> = {
  'restore-validator': ['@aws-sdk/client-backup', '@aws-sdk/client-rds', '@aws-sdk/client-secrets-manager'],
  'postgres-metrics': ['@aws-sdk/client-secrets-manager'],
  'database-roles': ['@aws-sdk/client-secrets-manager'],
};

test('every handler bundle is listed here', () => {
  const bundles = fs.readdirSync(path.join(ROOT, 'assets')).filter((d) => d !== 'cli').sort();
  expect(bundles).toEqual(Object.keys(RUNTIME_SDK_CLIENTS).sort());
});

test.each(Object.entries(RUNTIME_SDK_CLIENTS))('the %s bundle takes the AWS SDK from the runtime and bundles none of it', (name, clients) => {
  const code = fs.readFileSync(path.join(ROOT, 'assets', name, 'index.js'), 'utf8');
  const required = [...code.matchAll(/require\("(@aws-sdk\/[^"]+|@smithy\/[^"]+)"\)/g)].map((m) => m[1]);
  expect([...new Set(required)].sort()).toEqual(clients);
  // Code of a bundled SDK client would carry its user agent and smithy's serde.
  expect(code).not.toMatch(/x-amz-user-agent|aws-sdk-js/);
});

// pg and its dependencies are ~84 KB of each; the roles provider adds its SQL (~18 KB) to that.
test.each(Object.keys(RUNTIME_SDK_CLIENTS))('the %s bundle is at most 128 KiB (the goal of a lean handler)', (name) => {
  expect(fs.statSync(path.join(ROOT, 'assets', name, 'index.js')).size).toBeLessThanOrEqual(128 * 1024);
});
