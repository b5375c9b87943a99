/**
 * A throw-away moto server (AWS APIs over HTTP on 127.0.0.1) for tests that call real AWS SDK
 * v3 clients:
 *
 *   const moto = await startMoto();
 *   const rds = new RDSClient(awsClientConfig(moto.endpoint));
 *   ...
 *   await resetMoto(moto.endpoint); // between tests, if they must not see each other's resources
 *   await moto.stop();
 *
 * Each test file starts its own server (`moto_server -H 127.0.0.1 -p <free port>`, moto 5.x on
 * PATH; see DESIGN.md "Verification with real parts"), so files can run in parallel. moto does
 * not implement every API: a test that needs a missing one mocks exactly that call and says why.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './postgres-server';

/** A running moto server started by startMoto. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the `endpoint` of every SDK client. */
  readonly endpoint: string;
  readonly port: number;
  /** The last `lines` lines of the server's output. */
  logTail(lines?: number): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its log. Idempotent. */
  stop(): Promise<void>;
}

/** Options of startMoto. */
export interface StartMotoOptions {
  /** How long to wait for the server to answer. @default 30000 ms */
  readonly startTimeoutMs?: number;
  /** The account moto answers for (MOTO_ACCOUNT_ID). @default moto's, 123456789012 */
  readonly accountId?: string;
}

/** SDK v3 client settings for a moto server: its endpoint, a region and moto's dummy credentials. */
export function awsClientConfig(endpoint: string, region = 'us-east-1') {
  return {
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

const HOST = '127.0.0.1';
const INSTALL_HINT = 'moto_server not found on PATH: install moto[server] 5.x (pip install "moto[server]")';

function request(method: string, url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** Forgets every resource of every service (`POST /moto-api/reset`). */
export async function resetMoto(endpoint: string): Promise<void> {
  const status = await request('POST', `${endpoint}/moto-api/reset`, 10_000);
  if (status !== 200) throw new Error(`moto reset at ${endpoint} answered HTTP ${status}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

const live = new Set<MotoHandle>();
let exitHookInstalled = false;

/** If a test run ends without stop(), leave no server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of live) server.killNow();
  });
}

class MotoHandle implements MotoServer {
  public readonly endpoint: string;
  private exited = false;
  private stopped = false;
  /** Set when the process could not be started at all (e.g. ENOENT: moto_server not on PATH). */
  public spawnError?: Error;
  private readonly exitPromise: Promise<void>;

  constructor(public readonly port: number, private readonly child: ChildProcess, private readonly logFile: string) {
    this.endpoint = `http://${HOST}:${port}`;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', () => { this.exited = true; resolve(); });
      child.once('error', (e) => { this.spawnError = e; this.exited = true; resolve(); });
    });
  }

  get hasExited(): boolean { return this.exited; }

  public logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server output)';
    }
  }

  public async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.spawnError) throw new Error(`${INSTALL_HINT} (${this.spawnError.message})`, { cause: this.spawnError });
      if (this.exited) throw new Error(`moto_server exited before answering; its output:\n${this.logTail()}`);
      try {
        const status = await request('GET', `${this.endpoint}/moto-api/`, 2_000);
        if (status === 200) return;
        lastError = new Error(`HTTP ${status}`);
      } catch (e) {
        lastError = e;
      }
      await Promise.race([sleep(50), this.exitPromise]);
    }
    throw new Error(`moto_server did not answer on ${this.endpoint} within ${timeoutMs} ms (last error: ${(lastError as Error)?.message}); its output:\n${this.logTail()}`);
  }

  /** Signals the server's process group (moto_server may be a shim that starts python). */
  private signal(sig: NodeJS.Signals): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try { this.child.kill(sig); } catch { /* already gone */ }
    }
  }

  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    this.signal('SIGTERM');
    const ended = await Promise.race([this.exitPromise.then(() => true), sleep(5_000).then(() => false)]);
    if (!ended) {
      this.signal('SIGKILL');
      await this.exitPromise;
    }
    fs.rmSync(path.dirname(this.logFile), { recursive: true, force: true });
  }

  /** For the process 'exit' hook: synchronous. */
  public killNow(): void {
    this.signal('SIGKILL');
    try { fs.rmSync(path.dirname(this.logFile), { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/**
 * Starts `moto_server -H 127.0.0.1 -p <free port>` and resolves once `GET /moto-api/` answers.
 * Rejects with the server's output if it exits first or does not answer in time.
 */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  installExitHook();
  // The port is free when asked but could be taken before moto binds it: retry then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-'));
    const logFile = path.join(dir, 'moto.log');
    const log = fs.openSync(logFile, 'w');
    let child: ChildProcess;
    try {
      // Its own process group, so stop() ends the server and any child it started.
      const env = opts.accountId ? { ...process.env, MOTO_ACCOUNT_ID: opts.accountId } : process.env;
      child = spawn('moto_server', ['-H', HOST, '-p', String(port)], { stdio: ['ignore', log, log], detached: true, env });
    } finally {
      fs.closeSync(log);
    }
    const server = new MotoHandle(port, child, logFile);
    live.add(server);
    try {
      await server.waitUntilReady(timeoutMs);
      return server;
    } catch (e) {
      const output = server.logTail(50);
      await server.stop();
      if (server.hasExited && /Address already in use/i.test(output) && attempt < 3) continue;
      throw e;
    }
  }
}
