import { ChildProcess, execFileSync, spawn } from 'child_process';
import { freePort } from './postgres-server';

/** A real redis-server on 127.0.0.1, started by a test and stopped by it. */
export interface RedisServer {
  readonly port: number;
  /** Runs one command with redis-cli and returns its raw output lines. */
  cli(...args: string[]): string[];
  /** Runs many commands (one per line, space-separated words) in one redis-cli; returns the output lines. */
  pipe(commands: string[]): string[];
  stop(): Promise<void>;
}

/**
 * Starts redis-server with `config` as command-line directives (`--name value`). Rejects with
 * redis-server's own message when it refuses a directive (it exits at once).
 */
export async function startRedis(config: Record<string, string> = {}): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
  for (const [name, value] of Object.entries(config)) args.push(`--${name}`, value);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const cli = (...cmd: string[]) =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...cmd], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] })
      .trim().split('\n');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server refused to start (exit ${child.exitCode}): ${output.trim().split('\n').slice(-6).join('\n')}`);
    try {
      if (cli('PING')[0] === 'PONG') break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`redis-server did not answer PING: ${output}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pipe = (commands: string[]) =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], { input: commands.join('\n') + '\n', encoding: 'utf8', timeout: 30_000 })
      .trim().split('\n');
  return {
    port,
    cli,
    pipe,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
