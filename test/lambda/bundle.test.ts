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

test('the restore validator bundle carries @aws-sdk/client-backup and leaves the runtime\'s SDK clients external', () => {
  const code = fs.readFileSync(VALIDATOR, 'utf8');
  const required = [...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]).sort();
  // @aws-sdk/signature-v4-crt is an optional require inside a try block of the bundled SDK core.
  expect(required.filter((r) => r !== '@aws-sdk/signature-v4-crt')).toEqual(['@aws-sdk/client-rds', '@aws-sdk/client-secrets-manager']);
  // The bundled client serializes PutRestoreValidationResult itself.
  expect(code).toContain('/validations');
});
