/**
 * `--pgbadger <dir>`: the log's entries written back as RDS writes postgresql.log.* (the stderr
 * format with RDS's prefix), for `pgbadger -f stderr -p '%t:%r:%u@%d:[%p]:' <file>` when a user
 * wants pgbadger's HTML report. AWS's RDS guide names that command for RDS's log files; what
 * CloudWatch adds (the event time in front of an exported line, darold/pgbadger#521 and #609,
 * which pgbadger reads as an unknown line) is taken off (line.ts), and lines that are not the
 * log's (malformed, orphans) are left out. Each entry's lines are written as read.
 *
 * Written through a 64 KiB buffer: memory stays bounded for a log of any length.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import type { LogEntry } from './entries';

/** The prefix to pass to pgbadger (`-p`). */
export const PGBADGER_PREFIX = '%t:%r:%u@%d:[%p]:';

/** Writes entries to one file under `dir`. */
export class PgbadgerWriter {
  public readonly file: string;
  public lines = 0;
  private fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(dir: string, name: string) {
    let stat: fs.Stats | undefined;
    try { stat = fs.statSync(dir); } catch { /* created below */ }
    if (stat && !stat.isDirectory()) throw new UsageError(`--pgbadger ${dir} is not a directory`);
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, name);
    try {
      // wx: an earlier run's file is not overwritten.
      this.fd = fs.openSync(this.file, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'EEXIST' ? `--pgbadger: ${this.file} exists already (remove it or give another directory)` : `--pgbadger: cannot write ${this.file} (${code ?? String(e)})`);
    }
  }

  public write(entry: LogEntry): void {
    for (const line of entry.raw ?? []) {
      this.buffer.push(line, '\n');
      this.size += line.length + 1;
      this.lines++;
    }
    if (this.size >= 64 * 1024) this.drain();
  }

  private drain(): void {
    if (this.buffer.length === 0) return;
    fs.writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  public close(): void {
    this.drain();
    fs.closeSync(this.fd);
  }
}

/** The file name for an instance and a window: `postgresql.log.<instance>.<from>` (pgbadger takes any name). */
export function pgbadgerFileName(source: string, from: number): string {
  const stamp = new Date(from).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `postgresql.log.${source.replace(/[^A-Za-z0-9._-]/g, '_')}.${stamp}`;
}
