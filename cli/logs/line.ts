/**
 * One line of an RDS for PostgreSQL log, as RDS writes postgresql.log.* (stderr format) with its
 * fixed log_line_prefix `%t:%r:%u@%d:[%p]:` (AWS, "Parameters for logging in RDS for PostgreSQL"):
 *
 *   2026-03-14 13:44:59 UTC:10.0.1.5(53422):app@shop:[4242]:LOG:  duration: 5012.113 ms  statement: SELECT ...
 *   2026-03-14 13:44:59 UTC::@:[3831]:LOG:  checkpoint starting: time          (a background process)
 *   \tQuery Text: SELECT ...                                                   (a continuation: PostgreSQL
 *                                                                               puts a tab after each newline)
 *
 * `%t` is the time without milliseconds in log_timezone (UTC on RDS), `%r` the client's address
 * and port (`[local]` over a socket, empty for background processes), `%u` / `%d` the user and
 * database (empty, or `[unknown]` before authentication), `%p` the pid. After the prefix comes the
 * severity, a colon and two spaces. With log_error_verbosity = verbose the message starts with the
 * SQLSTATE (`ERROR:  42P01: relation ...`); RDS's prefix has no `%e`.
 *
 * Exported to CloudWatch Logs, each event's message is one entry as the file holds it (its
 * continuation lines included). An export of the group to S3, or a download of its events, puts the
 * event's own timestamp in front (`2026-03-14T13:44:59.000Z 2026-03-14 13:44:59 UTC:...`,
 * darold/pgbadger#521 and #609): that stamp is taken off here, so the rest is the file's line.
 */

/** The severities PostgreSQL writes. */
export const SEVERITIES = ['DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'DEBUG5', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'LOG', 'FATAL', 'PANIC'] as const;
/** The lines that belong to the entry before them (same pid). */
export const DETAIL_KINDS = ['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT'] as const;

export type Severity = typeof SEVERITIES[number];
export type DetailKind = typeof DETAIL_KINDS[number];

/** A line that starts with the prefix. */
export interface PrefixedLine {
  readonly kind: 'prefixed';
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** `10.0.1.5(53422)`, `[local]` or empty. */
  readonly remote: string;
  readonly user: string;
  readonly database: string;
  readonly pid: number;
  /** LOG, ERROR, ... or DETAIL, HINT, QUERY, CONTEXT, LOCATION, STATEMENT. */
  readonly level: Severity | DetailKind;
  /** The text after `LEVEL:  `. */
  readonly text: string;
  /** The line as the log file holds it (a CloudWatch export's leading stamp taken off). */
  readonly raw: string;
}

/** A continuation of the line before: the text after its leading tab. */
export interface ContinuationLine {
  readonly kind: 'continuation';
  readonly text: string;
  readonly raw: string;
}

/** A line that is neither: truncated, garbled, or not a PostgreSQL log. */
export interface MalformedLine {
  readonly kind: 'malformed';
  readonly raw: string;
}

export type LogLine = PrefixedLine | ContinuationLine | MalformedLine;

const LEVELS = new Set<string>([...SEVERITIES, ...DETAIL_KINDS]);

/**
 * `%t` then `:%r:%u@%d:[%p]:LEVEL:  `. %r is an IPv4 or IPv6 address (colons) or a host name with
 * `(port)`, `[local]`, or empty; %u cannot hold `@` here (a role name with `@` makes the database
 * the part after its last `@`: the user is read as far as the first).
 */
const PREFIX = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) ([A-Za-z]{1,5}|[+-]\d\d(?::?\d\d)?):((?:[^():[\] ]|:(?=[^()[\] ]*\(\d+\)))*\(\d+\)|\[local\]|):([^@]*)@(.*?):\[(\d+)\]:([A-Z0-9]+):  ?(.*)$/;
/** The event time CloudWatch's export (or an event download) puts in front of each entry. */
const CLOUDWATCH_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (?=\d{4}-\d\d-\d\d )/;

/** The zone offsets, in minutes, of the %t zones parseLine accepts; RDS writes UTC. */
function offsetMinutes(zone: string): number | undefined {
  if (/^(UTC|GMT|Z)$/i.test(zone)) return 0;
  const m = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
  if (!m) return undefined;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** Reads one line of the log (without its newline). */
export function parseLine(line: string): LogLine {
  const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (raw.startsWith('\t')) return { kind: 'continuation', text: raw.slice(1), raw };
  const unstamped = raw.replace(CLOUDWATCH_STAMP, '');
  const m = PREFIX.exec(unstamped);
  if (!m || !LEVELS.has(m[12])) return { kind: 'malformed', raw };
  const [, y, mo, d, h, mi, s, zone] = m;
  const offset = offsetMinutes(zone);
  if (offset === undefined) return { kind: 'malformed', raw };
  const time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offset * 60_000;
  if (!Number.isFinite(time) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23) return { kind: 'malformed', raw };
  return {
    kind: 'prefixed',
    time,
    remote: m[8],
    user: m[9],
    database: m[10],
    pid: Number(m[11]),
    level: m[12] as Severity | DetailKind,
    text: m[13],
    raw: unstamped,
  };
}

/** Whether a level is a DETAIL-like line that belongs to the entry before it. */
export function isDetail(level: string): level is DetailKind {
  return (DETAIL_KINDS as readonly string[]).includes(level);
}
