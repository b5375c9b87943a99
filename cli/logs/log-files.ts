/**
 * The instance's PostgreSQL log files on RDS itself (`error/postgresql.log.YYYY-MM-DD-HH`, one per
 * hour by default, kept rds.log_retention_period minutes: 3 days by default): listed with
 * DescribeDBLogFiles, read with DownloadDBLogFilePortion from the start (Marker `0`) page by
 * page until AdditionalDataPending is false. The alternative when the log is not exported to
 * CloudWatch Logs, or for times CloudWatch no longer keeps but the instance does.
 *
 * Files are chosen by the hour in their name (a file of hour H holds H:00 to H:59, UTC), else
 * by LastWritten; entries outside the window are skipped by the aggregation. Read-only; the calls
 * are in shared/calls-cli.ts (`logs --log-files`).
 */
import { DescribeDBLogFilesCommand, DescribeDBLogFilesDetails, DownloadDBLogFilePortionCommand, RDSClient } from '@aws-sdk/client-rds';
import type { LogPage } from './cloudwatch';

const NAME_TIME = /postgresql\.log\.(\d{4})-(\d\d)-(\d\d)(?:-(\d\d)(\d\d)?)?$/;

/** The [start, end) a log file's name says it holds, or undefined when its name has no time. */
export function fileSpan(name: string): { start: number; end: number } | undefined {
  const m = NAME_TIME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m;
  const start = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0));
  const length = h === undefined ? 86_400_000 : mi === undefined ? 3_600_000 : 60_000;
  return { start, end: start + length };
}

/** The instance's PostgreSQL log files that may hold entries of [from, to], oldest first. */
export async function logFilesFor(rds: RDSClient, instanceId: string, from: number, to: number): Promise<DescribeDBLogFilesDetails[]> {
  const files: DescribeDBLogFilesDetails[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBLogFilesCommand({ DBInstanceIdentifier: instanceId, Marker: marker }));
    files.push(...(page.DescribeDBLogFiles ?? []));
    marker = page.Marker;
  } while (marker);
  return files
    .filter((f) => /postgresql\.log/.test(f.LogFileName ?? ''))
    .filter((f) => {
      const span = fileSpan(f.LogFileName ?? '');
      // Hourly files can be written a little after their hour ends (the last entries).
      if (span) return span.end > from && span.start <= to;
      return f.LastWritten === undefined || f.LastWritten >= from;
    })
    .sort((a, b) => (fileSpan(a.LogFileName ?? '')?.start ?? a.LastWritten ?? 0) - (fileSpan(b.LogFileName ?? '')?.start ?? b.LastWritten ?? 0));
}

/** The lines of the files, one DownloadDBLogFilePortion page at a time. */
export async function* logFileLines(rds: RDSClient, instanceId: string, files: readonly DescribeDBLogFilesDetails[], signal?: AbortSignal): AsyncGenerator<LogPage> {
  let bytes = 0;
  for (const [k, f] of files.entries()) {
    let marker = '0';
    // A line cut between two portions is joined with the next portion's start.
    let carry = '';
    for (;;) {
      const page = await rds.send(new DownloadDBLogFilePortionCommand({ DBInstanceIdentifier: instanceId, LogFileName: f.LogFileName, Marker: marker }), { abortSignal: signal });
      const data = carry + (page.LogFileData ?? '');
      bytes += (page.LogFileData ?? '').length;
      const more = page.AdditionalDataPending === true && page.Marker !== undefined && page.Marker !== marker;
      const lines = data.split('\n');
      carry = more ? lines.pop() ?? '' : '';
      if (!more && lines[lines.length - 1] === '') lines.pop();
      yield { lines, progress: `file ${k + 1}/${files.length} (${f.LogFileName}), ${bytes.toLocaleString('en-US')} characters` };
      if (!more || signal?.aborted) break;
      marker = page.Marker!;
    }
    if (signal?.aborted) break;
  }
}
