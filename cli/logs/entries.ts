/**
 * Log lines into entries: one message (LOG, ERROR, FATAL, ...) with its continuation lines and
 * the DETAIL, HINT, QUERY, CONTEXT, LOCATION and STATEMENT lines PostgreSQL writes after it for
 * the same process. PostgreSQL writes an entry with one write, so its lines are not interleaved
 * with another process's; an entry ends at the next message line.
 *
 * Streaming: `push` takes one line at a time and hands each finished entry to `onEntry`; only the
 * entry being read is held. A line that cannot be read (no prefix, a truncated one, an unknown
 * severity) is counted and skipped, and so is an orphan: a continuation or DETAIL line with no
 * entry of its process before it (the start of a file cut in the middle of an entry). Entries are
 * bounded: past MAX_ENTRY_LINES lines or MAX_ENTRY_CHARS characters the rest of an entry is
 * dropped and counted (a statement of megabytes stays a few kilobytes here).
 */
import { DetailKind, isDetail, parseLine, PrefixedLine, Severity } from './line';

/** One entry of the log. */
export interface LogEntry {
  readonly time: number;
  readonly remote: string;
  readonly user: string;
  readonly database: string;
  readonly pid: number;
  readonly severity: Severity;
  /** The message: the first line's text and its continuation lines, joined by newlines. */
  readonly message: string;
  /** DETAIL, HINT, STATEMENT, ... with their continuations, in order. */
  readonly details: { readonly kind: DetailKind; readonly text: string }[];
  /** The entry's lines as the log file holds them (for --pgbadger), when kept. */
  readonly raw: string[] | null;
}

/** What a reader counted. */
export interface LineCounts {
  lines: number;
  entries: number;
  /** Lines that are not a PostgreSQL log line with RDS's prefix (truncated, garbled). */
  malformed: number;
  /** Continuation or DETAIL lines with no entry of their process before them. */
  orphans: number;
  /** Lines dropped from entries past the size bound. */
  truncated: number;
  /** A few of the malformed lines, cut to 200 characters, quoted strings masked, to show what they look like. */
  malformedExamples: string[];
  /** Malformed lines whose %t has a zone name (log_timezone not UTC): their times cannot be read. By zone. */
  namedZones: Record<string, number>;
}

export const MAX_ENTRY_LINES = 2000;
export const MAX_ENTRY_CHARS = 64 * 1024;
const MAX_EXAMPLES = 5;
/** A %t with a zone name other than UTC / GMT, then the rest of the prefix. */
const NAMED_ZONE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?!UTC:|GMT:)([A-Za-z]{2,5}):.*:\[\d+\]:[A-Z]+:/;

export function newCounts(): LineCounts {
  return { lines: 0, entries: 0, malformed: 0, orphans: 0, truncated: 0, malformedExamples: [], namedZones: {} };
}

interface Building {
  readonly head: PrefixedLine;
  readonly message: string[];
  readonly details: { kind: DetailKind; text: string[] }[];
  readonly raw: string[] | null;
  lines: number;
  chars: number;
}

/** Assembles entries from lines; `keepRaw` keeps each entry's lines (for --pgbadger). */
export class EntryAssembler {
  public readonly counts: LineCounts = newCounts();
  private current: Building | undefined;

  constructor(private readonly onEntry: (entry: LogEntry) => void, private readonly keepRaw = false) {}

  /** Takes one line (without its newline). */
  public push(text: string): void {
    this.counts.lines++;
    if (text === '' || text === '\r') return;
    const line = parseLine(text);
    if (line.kind === 'malformed') {
      this.counts.malformed++;
      if (this.counts.malformedExamples.length < MAX_EXAMPLES) this.counts.malformedExamples.push(line.raw.slice(0, 200).replace(/'(?:[^']|'')*'?/g, "'…'"));
      const zone = NAMED_ZONE.exec(line.raw)?.[1];
      if (zone && (zone in this.counts.namedZones || Object.keys(this.counts.namedZones).length < MAX_EXAMPLES)) this.counts.namedZones[zone] = (this.counts.namedZones[zone] ?? 0) + 1;
      return;
    }
    const b = this.current;
    if (line.kind === 'continuation') {
      if (!b) { this.counts.orphans++; return; }
      if (!this.fits(b, line.text)) return;
      const last = b.details.length > 0 ? b.details[b.details.length - 1].text : b.message;
      last.push(line.text);
      b.raw?.push(line.raw);
      return;
    }
    if (isDetail(line.level)) {
      if (!b || b.head.pid !== line.pid) { this.counts.orphans++; return; }
      if (!this.fits(b, line.text)) return;
      b.details.push({ kind: line.level, text: [line.text] });
      b.raw?.push(line.raw);
      return;
    }
    this.flush();
    this.current = { head: line, message: [line.text], details: [], raw: this.keepRaw ? [line.raw] : null, lines: 1, chars: line.text.length };
  }

  /** Hands on the entry being read (at the end of the input). */
  public flush(): void {
    const b = this.current;
    if (!b) return;
    this.current = undefined;
    this.counts.entries++;
    const h = b.head;
    this.onEntry({
      time: h.time,
      remote: h.remote,
      user: h.user,
      database: h.database,
      pid: h.pid,
      severity: h.level as Severity,
      message: b.message.join('\n'),
      details: b.details.map((d) => ({ kind: d.kind, text: d.text.join('\n') })),
      raw: b.raw,
    });
  }

  private fits(b: Building, text: string): boolean {
    if (b.lines >= MAX_ENTRY_LINES || b.chars + text.length > MAX_ENTRY_CHARS) {
      this.counts.truncated++;
      return false;
    }
    b.lines++;
    b.chars += text.length;
    return true;
  }
}
