/**
 * The instance's PostgreSQL log as RDS exports it to CloudWatch Logs: the log group
 * `/aws/rds/instance/<instance id>/postgresql` (a read replica, in its own region for a
 * cross-region one, has its own group under its own id), one log stream per instance, one event
 * per log entry (its continuation lines in the event's message). Read with FilterLogEvents over
 * the time window, page by page (nextToken), in event-time order within each stream.
 *
 * Read-only; the call is in shared/calls-cli.ts (`logs`).
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';

/** The log group RDS exports an instance's `postgresql` log to. */
export function postgresLogGroup(instanceId: string): string {
  return `/aws/rds/instance/${instanceId}/postgresql`;
}

/** One page of the log: its lines, and how far the reading got. */
export interface LogPage {
  readonly lines: string[];
  /** Events (CloudWatch) or bytes (log files) read so far. */
  readonly progress: string;
}

/**
 * The group's events from `from` to `to` (ms, inclusive), as lines, one page at a time: each
 * event's message split at its newlines. Stops (and says so) when `signal` aborts.
 */
export async function* cloudWatchLines(logs: CloudWatchLogsClient, group: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<LogPage> {
  let nextToken: string | undefined;
  let events = 0;
  let pages = 0;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: group, startTime: from, endTime: to, nextToken }), { abortSignal: signal });
    pages++;
    const lines: string[] = [];
    for (const e of page.events ?? []) {
      events++;
      for (const line of (e.message ?? '').replace(/\n$/, '').split('\n')) lines.push(line);
    }
    yield { lines, progress: `${events.toLocaleString('en-US')} events, ${pages} page${pages === 1 ? '' : 's'}` };
    nextToken = page.nextToken;
  } while (nextToken && !signal?.aborted);
}
