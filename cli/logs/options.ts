/**
 * The values `db-playbook logs` takes: the time window (`--since 24h`, or `--from` / `--to` in the
 * spellings of cli/rds/time.ts) and sizes (`--temp-file-min 10MB`). Each refusal names the flag,
 * the value and what is allowed.
 */
import { UsageError } from '../errors';
import { parseTime } from '../rds/time';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `24h`, `7d`, `2w` in milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2]] : NaN;
  if (!m || !(ms > 0)) throw new UsageError(`${flag} must be a duration such as 30m, 24h or 7d (a number > 0 and one of s, m, h, d, w; got '${value}')`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { '': 1, 'b': 1, 'kb': 1024, 'mb': 1024 ** 2, 'gb': 1024 ** 3, 'tb': 1024 ** 4 };

/** `0`, `500kB`, `10MB`, `1GB` (PostgreSQL's units, powers of 1024) in bytes. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?[bB]?)$/.exec(value.trim());
  const bytes = m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : NaN;
  if (!m || !Number.isSafeInteger(bytes)) throw new UsageError(`${flag} must be a size such as 0, 512kB, 10MB or 1GB (got '${value}')`);
  return bytes;
}

/** The window [from, to] in ms, from --since or --from / --to, at `now`. */
export function parseWindow(opts: { since?: string; from?: string; to?: string }, now: number): { from: number; to: number } {
  if (opts.since !== undefined && opts.from !== undefined) throw new UsageError('give --since or --from (with --to), not both');
  const time = (flag: string, value: string): number => {
    const t = parseTime(value);
    if (typeof t === 'string') throw new UsageError(`${flag} ${t}`);
    return t.getTime();
  };
  const to = opts.to !== undefined ? time('--to', opts.to) : now;
  if (opts.to !== undefined && opts.from === undefined && opts.since === undefined) throw new UsageError('--to needs --from (or --since, counted back from --to)');
  const from = opts.from !== undefined ? time('--from', opts.from) : to - parseDuration('--since', opts.since ?? '24h');
  if (from >= to) throw new UsageError(`--from ${new Date(from).toISOString()} is not before --to ${new Date(to).toISOString()}`);
  return { from, to };
}
