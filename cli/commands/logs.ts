/**
 * `db-playbook logs`: the playbook's log analysis (what pgbadger does) for an RDS for PostgreSQL
 * instance. Reads the instance's PostgreSQL log for a time window, from CloudWatch Logs (the
 * `postgresql` export the platform turns on; FilterLogEvents on /aws/rds/instance/<id>/postgresql)
 * or from the instance's own log files (`--log-files`: DescribeDBLogFiles and
 * DownloadDBLogFilePortion), or a log file already downloaded (`--file`), and reports:
 * - slow statements (log_min_duration_statement, 5 s in the tuned parameter group), grouped by
 *   their normalized text: count, total and max duration, the slowest one with the plan
 *   auto_explain logged for it;
 * - lock waits (log_lock_waits) by relation and lock mode, with the waiting statements and the
 *   holders' pids and what the log has of their statements; deadlocks with every process's statement;
 * - autovacuum and autoanalyze runs (log_autovacuum_min_duration, 1 s) per table: runs, time,
 *   removed tuples, buffer usage;
 * - temporary files (log_temp_files) by statement, over --temp-file-min;
 * - checkpoints (log_checkpoints) by reason, and the "too frequently" warnings;
 * - connection errors and authentication failures (always logged: FATAL);
 * - errors by SQL state (cli/logs/sqlstate.ts: RDS's prefix has no %e, so derived from the text
 *   unless log_error_verbosity is verbose).
 * `--pgbadger <dir>` also writes the log back in RDS's file format for pgbadger's HTML report.
 *
 * Streaming: one page of the log at a time goes through the parser (cli/logs/line.ts,
 * entries.ts) into the aggregation (cli/logs/aggregate.ts), whose memory is bounded by the
 * number of distinct groups, not by the log's length (bench/logs.ts measures it).
 *
 * Read-only. The text report shows statements normalized (literals as $n); --json too, unless
 * --include-query-text.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { RDSClient } from '@aws-sdk/client-rds';
import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'fs';
import * as readline from 'readline';
import { clientConfig, configuredRegion } from '../context';
import { InterruptedError, UsageError } from '../errors';
import { Interrupts } from '../interrupt';
import { printJson } from '../json-output';
import { LogAggregator } from '../logs/aggregate';
import { cloudWatchLines, LogPage, postgresLogGroup } from '../logs/cloudwatch';
import { EntryAssembler, LogEntry } from '../logs/entries';
import { logFileLines, logFilesFor } from '../logs/log-files';
import { parseSize, parseWindow } from '../logs/options';
import { PGBADGER_PREFIX, PgbadgerWriter, pgbadgerFileName } from '../logs/pgbadger';
import { LogsReport, LogsSource, renderLogsText } from '../logs/report';
import type { CommandContext } from '../program';
import { instanceIdentifierProblem } from '../rds/identifiers';
import { findInstance } from '../rds/instances';
import { requireRegion } from '../region';

/** Options of `db-playbook logs`. */
export interface LogsOptions {
  readonly instance?: string;
  readonly file?: string;
  readonly logFiles?: boolean;
  readonly since?: string;
  readonly from?: string;
  readonly to?: string;
  readonly tempFileMin: string;
  readonly top: number;
  readonly all?: boolean;
  readonly pgbadger?: string;
  readonly json?: boolean;
  readonly includeQueryText?: boolean;
}

const DEFAULT_TOP = 10;

const HELP_AFTER = `
Source: CloudWatch Logs by default (the instance's exported postgresql log, group
/aws/rds/instance/<id>/postgresql; a read replica has its own: give its id, and for the DR
replica its --region); --log-files reads the instance's own log files instead (RDS keeps them
rds.log_retention_period, 3 days by default); --file reads a log already downloaded (the RDS
console, aws rds download-db-log-file-portion, or a CloudWatch export to S3).
Window: --since 24h (the default; s, m, h, d, w), or --from and --to (ISO 8601 with a zone, or
as a log line's time: 2026-03-14 13:44:59 UTC).
What the log holds depends on the parameter group: the tuned one logs statements slower than
5 s (with their auto_explain plans), lock waits, autovacuum runs longer than 1 s, temporary
files of 10 MB or more; checkpoints need log_checkpoints; failed logins are always logged. RDS's
log_line_prefix has no SQLSTATE: errors are grouped by the SQLSTATE their message text means
(exact with log_error_verbosity = verbose).
--pgbadger <dir> writes the lines in RDS's file format: pgbadger -f stderr -p '${PGBADGER_PREFIX}' <file>.
Output: statements normalized (literals as $n) in the report and --json; --include-query-text
puts examples and plans in --json as logged.

Exit codes: 0 done; 1 an AWS call failed; 2 bad input (a bad duration or time, --from not
before --to, no --instance, an unknown instance, no exported log); 130 interrupted by Ctrl-C
(no report).

Examples:
  db-playbook logs --instance orders-db
  db-playbook logs --instance orders-db-replica-1 --since 2h --json
  db-playbook --region us-west-2 logs --instance orders-db-dr --from 2026-03-14T00:00Z --to 2026-03-14T06:00Z
  db-playbook logs --instance orders-db --pgbadger ./pgbadger && pgbadger -f stderr -p '${PGBADGER_PREFIX}' ./pgbadger/*
`;

function integer(min: number, max: number) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || v < min || v > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max} (got '${value}')`);
    return v;
  };
}

/** Registers `db-playbook logs`. */
export function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command('logs')
    .description('Analyze the PostgreSQL log (pgbadger\'s job): slow statements with their plans, lock waits and deadlocks, autovacuum per table, temporary files, checkpoints, connection and authentication failures, errors by SQL state.')
    .option('--instance <id>', 'the DB instance (a read replica: its own id)')
    .option('--file <path>', 'read this downloaded log file instead of AWS')
    .option('--log-files', 'read the instance\'s log files (DescribeDBLogFiles, DownloadDBLogFilePortion) instead of CloudWatch Logs')
    .option('--since <duration>', 'the window: this long back from --to or now (default 24h)')
    .option('--from <time>', 'the window\'s start')
    .option('--to <time>', 'the window\'s end (default: now)')
    .option('--temp-file-min <size>', 'temporary files of at least this size are listed (0, 512kB, 10MB)', '0')
    .option('--top <n>', 'rows per section in the text report', integer(1, 1000), DEFAULT_TOP)
    .option('--all', 'every row in the text report')
    .option('--pgbadger <dir>', 'also write the log lines for pgbadger into this directory')
    .option('--json', 'print the whole analysis as JSON')
    .option('--include-query-text', 'put example statements and plans in --json as logged (literals: personal data, passwords)')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: LogsOptions) => {
      await runLogs(opts, ctx);
    });
}

/** Reads a local file line by line, a page of lines at a time. */
async function* fileLines(file: string): AsyncGenerator<LogPage> {
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let page: string[] = [];
  let count = 0;
  for await (const line of rl) {
    page.push(line);
    if (page.length >= 10_000) {
      count += page.length;
      yield { lines: page, progress: `${count.toLocaleString('en-US')} lines` };
      page = [];
    }
  }
  count += page.length;
  yield { lines: page, progress: `${count.toLocaleString('en-US')} lines` };
}

function awsName(e: unknown): string {
  return (e as { name?: string }).name ?? '';
}

/** Checks the options, reads the log, prints the report; resolves to it. */
export async function runLogs(opts: LogsOptions, ctx: CommandContext): Promise<LogsReport> {
  const { io } = ctx;
  // Everything typed is checked before anything is read.
  if (opts.instance === undefined && opts.file === undefined) throw new UsageError('give --instance <id> (the DB instance whose log to read) or --file <path>');
  if (opts.instance !== undefined && opts.file !== undefined) throw new UsageError('give --instance or --file, not both');
  if (opts.instance !== undefined) {
    const problem = instanceIdentifierProblem(opts.instance);
    if (problem) throw new UsageError(`--instance '${opts.instance}' is not a DB instance identifier: it ${problem}`);
  }
  if (opts.logFiles && opts.file !== undefined) throw new UsageError('--log-files reads the instance\'s files: give it with --instance, not --file');
  if (opts.includeQueryText && !opts.json) throw new UsageError('--include-query-text is for --json (the text report always shows statements normalized)');
  const window = parseWindow(opts, io.now());
  const tempFileMinBytes = parseSize('--temp-file-min', opts.tempFileMin);
  if (opts.file !== undefined && !fs.existsSync(opts.file)) throw new UsageError(`--file ${opts.file}: no such file`);

  let source: LogsSource;
  let pages: AsyncGenerator<LogPage>;
  if (opts.instance !== undefined) {
    const globals = ctx.globals();
    const region = requireRegion(configuredRegion(globals, io), globals.profile, io.env);
    const rds = new RDSClient(clientConfig(globals, io, region));
    const instance = await findInstance(rds, opts.instance);
    if (!instance) throw new UsageError(`no DB instance '${opts.instance}' in ${region} (a cross-region replica: give its --region)`);
    if (instance.Engine && !/^postgres/.test(instance.Engine)) throw new UsageError(`${opts.instance} runs ${instance.Engine}, not PostgreSQL`);
    const replicaOf = instance.ReadReplicaSourceDBInstanceIdentifier ?? null;
    if (opts.logFiles) {
      const files = await logFilesFor(rds, opts.instance, window.from, window.to);
      source = { kind: 'log-files', instance: opts.instance, region, replicaOf, logGroup: null, files: files.map((f) => f.LogFileName ?? '?') };
      pages = logFileLines(rds, opts.instance, files);
    } else {
      if (!(instance.EnabledCloudwatchLogsExports ?? []).includes('postgresql')) {
        throw new UsageError(`${opts.instance} does not export its postgresql log to CloudWatch Logs (EnabledCloudwatchLogsExports: ${(instance.EnabledCloudwatchLogsExports ?? []).join(', ') || 'none'}): read its log files with --log-files`);
      }
      const group = postgresLogGroup(opts.instance);
      source = { kind: 'cloudwatch', instance: opts.instance, region, replicaOf, logGroup: group, files: [] };
      pages = cloudWatchLines(new CloudWatchLogsClient(clientConfig(globals, io, region)), group, window.from, window.to);
    }
  } else {
    source = { kind: 'file', instance: null, region: null, replicaOf: null, logGroup: null, files: [opts.file!] };
    pages = fileLines(opts.file!);
  }

  const pgbadger = opts.pgbadger !== undefined ? new PgbadgerWriter(opts.pgbadger, pgbadgerFileName(opts.instance ?? 'file', window.from)) : undefined;
  const aggregator = new LogAggregator({ includeText: opts.includeQueryText === true, tempFileMinBytes, from: window.from, to: window.to });
  const onEntry = (e: LogEntry) => {
    aggregator.add(e);
    if (pgbadger && e.time >= window.from && e.time <= window.to) pgbadger.write(e);
  };
  const assembler = new EntryAssembler(onEntry, pgbadger !== undefined);
  let pageCount = 0;
  let progress = '';
  // Ctrl-C ends the read at once (exit 130): a report of part of the window would pass for the whole.
  const interrupts = new Interrupts(io);
  const interrupted = () => new InterruptedError(
    `interrupted while reading the log (${progress || 'nothing read yet'}): no report${pgbadger ? `; ${pgbadger.file} holds the lines read so far` : ''}`,
    'run it again over a shorter window (--since, or --from and --to)',
  );
  try {
    for (;;) {
      const next = await interrupts.race(pages.next(), interrupted);
      if (next.done) break;
      const page = next.value;
      for (const line of page.lines) assembler.push(line);
      pageCount++;
      progress = page.progress;
      if (io.isTty) io.stderr(`\rreading: ${progress}`);
      else if (pageCount % 25 === 0) io.stderr(`reading: ${progress}\n`);
    }
  } catch (e) {
    if (awsName(e) === 'ResourceNotFoundException' && source.logGroup) {
      throw new UsageError(`log group ${source.logGroup} does not exist in ${source.region}: the instance has not exported its postgresql log yet (or it was deleted); try --log-files`);
    }
    throw e;
  } finally {
    interrupts.dispose();
    assembler.flush();
    pgbadger?.close();
  }
  if (pageCount > 0) io.stderr(`${io.isTty ? '\r' : ''}read: ${progress}\n`);

  const analysis = aggregator.result(assembler.counts);
  const report: LogsReport = {
    source,
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    thresholds: { tempFileMinBytes },
    queryText: opts.includeQueryText === true,
    pgbadger: pgbadger ? { file: pgbadger.file, lines: pgbadger.lines, command: `pgbadger -f stderr -p '${PGBADGER_PREFIX}' ${pgbadger.file}` } : null,
    ...analysis,
    notes: notesFor(analysis),
  };
  if (opts.json) printJson(io, 'logs', report);
  else io.stdout(renderLogsText(report, opts.all ? Infinity : opts.top));
  return report;
}

/** What the log could not show with the settings it was written with. */
function notesFor(a: ReturnType<LogAggregator['result']>): string[] {
  const notes: string[] = [];
  if (a.counts.entries === 0) notes.push('no entries in the window: is the window right, and the log exported (or --log-files)?');
  for (const [zone, k] of Object.entries(a.counts.namedZones)) {
    notes.push(`${k.toLocaleString('en-US')} lines have their time in zone ${zone}, which names no offset: they were skipped; set log_timezone to UTC (RDS's default) or an offset`);
  }
  if (a.tempFiles.count === 0) notes.push('no temporary files logged: none reached log_temp_files (the tuned group logs files of 10 MB or more; RDS\'s default -1 logs none; 0 logs every one)');
  if (a.checkpoints.completed + a.checkpoints.restartpoints === 0) notes.push('no checkpoints logged: log_checkpoints must be on (the tuned group does not set it)');
  const errors = a.errors.reduce((k, g) => k + g.count, 0);
  const exact = a.errors.reduce((k, g) => k + g.exact, 0);
  const unknown = a.errors.filter((g) => g.sqlState === null).reduce((k, g) => k + g.count, 0);
  if (errors > exact) notes.push(`SQL states of ${errors - exact} of ${errors} errors derived from their message text${unknown ? ` (${unknown} not derivable: sqlstate ?)` : ''}; log_error_verbosity = verbose writes the code in each line`);
  return notes;
}
