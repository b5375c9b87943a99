/**
 * `db-playbook logs` on real logs: a PostgreSQL 17.9 server logging as RDS does (RDS's prefix,
 * the tuned parameters; test/support/logging-postgres.ts says which thresholds are lowered and
 * why) runs a scenario that makes each kind of event once, and the report must name each one.
 * The numbers are checked against what the server itself counted (pg_stat_database's deadlocks,
 * temp_files and temp_bytes; pg_stat_user_tables' autovacuum_count), not against the parser.
 *
 * The same lines then go through CloudWatch Logs served by moto (PutLogEvents into
 * /aws/rds/instance/<id>/postgresql, one event per entry line with its continuations, as RDS
 * exports them), read back with FilterLogEvents, and through the instance's log files:
 * DescribeDBLogFiles from moto, DownloadDBLogFilePortion from a stub here, because moto 5.2 does
 * not implement it (answered in RDS's XML shape, in portions cut mid-line).
 */
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateDBInstanceCommand, CreateDBInstanceReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../cli/program';
import type { LogsReport } from '../../cli/logs/report';
import { actionsOf, logsCalls, logsLogFilesCalls } from '../../shared/calls-cli';
import { fakeIo, motoEnv } from '../support/fake-io';
import { LogScenario, runLogScenario, startLoggingPostgres } from '../support/logging-postgres';
import { startMotoProxy } from '../support/moto-proxy';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';

jest.setTimeout(180_000);

let dir: string;
let file: string;
let lines: string[];
let scenario: LogScenario;
/** What the server counted itself. */
let stats: { deadlocks: number; tempFiles: number; tempBytes: number; autovacuums: number };
let window: { from: string; to: string };
let moto: MotoServer;

/** The time of a log line as the server wrote it (`2026-03-14 13:44:59 UTC:`), in ms. */
function lineTime(line: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC:/.exec(line);
  if (!m) throw new Error(`not a log line: ${line}`);
  return Date.parse(`${m[1]}T${m[2]}Z`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-test-'));
  const [pg, started] = await Promise.all([startLoggingPostgres(), startMoto()]);
  moto = started;
  try {
    scenario = await runLogScenario(pg);
    const c = await pg.server.client();
    const db = (await c.query("SELECT deadlocks, temp_files, temp_bytes FROM pg_stat_database WHERE datname = 'postgres'")).rows[0];
    const table = (await c.query("SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'accounts'")).rows[0];
    await c.end();
    stats = { deadlocks: Number(db.deadlocks), tempFiles: Number(db.temp_files), tempBytes: Number(db.temp_bytes), autovacuums: Number(table.autovacuum_count) };
    lines = pg.logLines();
  } finally {
    await pg.stop();
  }
  file = path.join(dir, 'postgresql.log');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  // The last line may be a continuation (an autovacuum report ending the log): the last entry line's time.
  const lastEntry = [...lines].reverse().find((l) => !l.startsWith('\t'))!;
  window = { from: new Date(lineTime(lines[0]) - 60_000).toISOString(), to: new Date(lineTime(lastEntry) + 60_000).toISOString() };
});

afterAll(async () => {
  await moto?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo(env);
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

async function json(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<LogsReport> {
  const r = await run([...argv, '--json'], env);
  expect({ code: r.code, err: r.err.replace(/^read: .*\n/m, '') }).toEqual({ code: 0, err: '' });
  return JSON.parse(r.out) as LogsReport;
}

const INTERRUPTED_ERR = 'db-playbook: interrupted while reading the log (nothing read yet): no report\nhint: run it again over a shorter window (--since, or --from and --to)\n';

const fileArgs = () => ['logs', '--file', file, '--from', window.from, '--to', window.to];

/** The sections of a report (what must not depend on where the log was read from). */
function sections(r: LogsReport) {
  const { slowStatements, lockWaits, deadlocks, autovacuum, tempFiles, checkpoints, connectionProblems, errors } = r;
  return { slowStatements, lockWaits, deadlocks, autovacuum, tempFiles, checkpoints, connectionProblems, errors };
}

describe('the log of PostgreSQL 17.9 with RDS\'s prefix and the tuned parameters', () => {
  let report: LogsReport;
  beforeAll(async () => { report = await json(fileArgs()); });

  test('every line is read: none malformed, none orphaned', () => {
    expect(report.counts).toMatchObject({ lines: lines.length, malformed: 0, orphans: 0, truncated: 0 });
    expect(report.counts.entries).toBeGreaterThan(20);
  });

  test('slow statements: both pg_sleep calls in one group, the slowest with the plan auto_explain logged', () => {
    const group = report.slowStatements.find((g) => g.statement === 'SELECT pg_sleep($1)');
    expect(group).toMatchObject({ count: 2 });
    expect(group!.maxMs).toBeGreaterThanOrEqual(700);
    expect(group!.totalMs).toBeGreaterThanOrEqual(1300);
    expect(group!.example.durationMs).toBe(group!.maxMs);
    expect(group!.example.plan).toMatch(/^Result {2}\(cost=/);
    // Without --include-query-text, the example is the normalized statement.
    expect(group!.example.text).toBe('SELECT pg_sleep($1)');
  });

  test('a statement over several lines: one entry, normalized to one line, its plan without the query\'s lines', () => {
    const group = report.slowStatements.find((g) => g.statement.startsWith('SELECT pg_sleep($1), $2 AS how'));
    expect(group).toMatchObject({ count: 1, statement: 'SELECT pg_sleep($1), $2 AS how FROM generate_series($3, $4)' });
    expect(group!.example.plan).toMatch(/^Function Scan on generate_series {2}\(cost=/);
    expect(group!.example.plan).not.toMatch(/multi-line|AS how/);
  });

  test('the lock wait: the relation, the waiting statement and the pid holding the lock', () => {
    const wait = report.lockWaits.find((g) => g.on === 'accounts' && g.waits > 0);
    expect(wait).toMatchObject({ lockMode: 'ShareLock', waits: 1, acquired: 1 });
    expect(wait!.maxWaitMs).toBeGreaterThan(200);
    expect(wait!.waiting).toEqual([{ statement: 'UPDATE accounts SET balance = balance + $1 WHERE id = $2', count: 1 }]);
    // The holder's UPDATE was not logged (fast, not failed): its last logged statement is the slow pg_sleep.
    expect(wait!.blocking).toEqual([{ pid: scenario.lockHolderPid, lastLoggedStatement: 'SELECT pg_sleep($1)', count: 1 }]);
  });

  test('deadlocks: as many as the server counted, each process with its statement', () => {
    expect(report.deadlocks.count).toBe(stats.deadlocks);
    expect(stats.deadlocks).toBe(1);
    const [d] = report.deadlocks.details;
    expect(d.relation).toBe('accounts');
    expect(d.processes.map((p) => p.statement)).toEqual(['UPDATE accounts SET balance = balance + $1 WHERE id = $2', 'UPDATE accounts SET balance = balance + $1 WHERE id = $2']);
    expect(d.processes.every((p) => p.blockedBy !== null && p.waitsFor?.startsWith('ShareLock on transaction'))).toBe(true);
  });

  test('autovacuum per table: the runs the server counted, the removed tuples and the buffer usage', () => {
    const t = report.autovacuum.find((a) => a.table === scenario.table);
    expect(t).toBeDefined();
    expect(t!.vacuums).toBe(stats.autovacuums);
    // The scenario deleted 1000 rows; autovacuum removed them (and the updated rows' old versions).
    expect(t!.tuplesRemoved).toBeGreaterThanOrEqual(1000);
    expect(t!.bufferHits + t!.bufferMisses).toBeGreaterThan(0);
  });

  test('temporary files: as many and as large as the server counted, by statement', () => {
    expect({ count: report.tempFiles.count, totalBytes: report.tempFiles.totalBytes }).toEqual({ count: stats.tempFiles, totalBytes: stats.tempBytes });
    expect(report.tempFiles.groups.map((g) => g.statement)).toEqual(['SELECT g FROM generate_series($1, $2) g ORDER BY g DESC']);
  });

  test('the checkpoint, by the reason its start logged', () => {
    expect(report.checkpoints.completed).toBeGreaterThanOrEqual(1);
    expect(report.checkpoints.byReason['immediate force wait']).toBe(1);
  });

  test('the failed login: an authentication failure of the user, from its address', () => {
    expect(report.connectionProblems).toEqual([expect.objectContaining({ kind: 'authentication', sqlState: '28P01', user: scenario.failedUser, host: '127.0.0.1', count: 1 })]);
  });

  test('errors by SQL state, derived from the message text (RDS\'s prefix has no %e)', () => {
    const states = Object.fromEntries(report.errors.map((g) => [g.sqlState, g.count]));
    expect(states).toEqual({ '40P01': 1, '22012': 1, '42P01': 1, '28P01': 1 });
    expect(report.errors.every((g) => g.exact === 0)).toBe(true);
    expect(report.notes.join('\n')).toMatch(/SQL states of 4 of 4 errors derived from their message text/);
  });

  test('the text report names each event, statements without their literals', async () => {
    const r = await run(fileArgs());
    expect(r.code).toBe(0);
    for (const expected of [
      /^ +2 +1,3\d\d +7\d\d +SELECT pg_sleep\(\$1\)$/m,
      /^ {6}Result {2}\(cost=/m,
      /^ {2}accounts ShareLock: 1 wait, 1 acquired/m,
      /^ {4}held by pid \d+ \(1\); its last logged statement: SELECT pg_sleep\(\$1\)$/m,
      /^Deadlocks: 1$/m,
      /postgres\.public\.accounts$/m,
      /^Temporary files \(log_temp_files\): 2 files/m,
      /^Checkpoints \(log_checkpoints\): 1 checkpoint$/m,
      /^ +1 +authentication +28P01 +app +127\.0\.0\.1 +password authentication failed/m,
      /^ +1 +22012 +ERROR 1 +division_by_zero/m,
    ]) expect(r.out).toMatch(expected);
    expect(r.out).not.toMatch(/pg_sleep\(0\.|balance \+ 10|generate_series\(1, 50000\)/);
  });

  test('--include-query-text: the examples as logged, in --json', async () => {
    const r = await json([...fileArgs(), '--include-query-text']);
    expect(r.slowStatements.find((g) => g.statement === 'SELECT pg_sleep($1)')!.example.text).toBe('SELECT pg_sleep(0.7)');
  });

  test('--pgbadger\'s lines match the pattern pgbadger -f stderr -p \'%t:%r:%u@%d:[%p]:\' parses them with', async () => {
    // pgbadger (darold/pgbadger, `pgbadger`: set_parser_regex) reads a stderr line as
    // '^' . <the prefix as a regex> . '\s*(LOG|WARNING|ERROR|FATAL|PANIC|DETAIL|STATEMENT|HINT|CONTEXT|LOCATION):\s+(?:[0-9A-Z]{5}:\s+)?(.*)',
    // the prefix's escapes from its regex map (%t, %r, %u, %d, %p below, as its source has them) and
    // its other characters literal; a line that does not match is an orphan line of the last pid.
    const prefix = [
      '(\\d{4}-\\d{2}-\\d{2}[\\sT]\\d{2}:\\d{2}:\\d{2})[Z]*(?:[ \\+\\-][A-Z\\+\\-\\d]{3,6})?', ':',
      '([a-zA-Z0-9\\-\\.]+|\\[local\\]|\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|[0-9a-fA-F:]+)?[\\(\\d\\)]*', ':',
      '([0-9a-zA-Z\\_\\[\\]\\-\\.]*)', '@', '([0-9a-zA-Z\\_\\[\\]\\-\\.]*)', ':\\[', '(\\d+)', '\\]:',
    ].join('');
    const pgbadger = new RegExp(`^${prefix}\\s*(LOG|WARNING|ERROR|FATAL|PANIC|DETAIL|STATEMENT|HINT|CONTEXT|LOCATION):\\s+(?:[0-9A-Z]{5}:\\s+)?(.*)`);
    const out = path.join(dir, 'pgbadger-pattern');
    const r = await json([...fileArgs(), '--pgbadger', out]);
    const written = fs.readFileSync(r.pgbadger!.file, 'utf8').replace(/\n$/, '').split('\n');
    const entryLines = written.filter((l) => !l.startsWith('\t'));
    const unmatched = entryLines.filter((l) => !pgbadger.test(l));
    expect(unmatched).toEqual([]);
    // pgbadger reads the pid and the level the way logs does.
    for (const l of entryLines) {
      const m = pgbadger.exec(l)!;
      expect(`${m[5]} ${m[6]}`).toBe(/:\[(\d+)\]:([A-Z]+):/.exec(l)!.slice(1).join(' '));
    }
  });

  test('--pgbadger writes the server\'s own lines back, as RDS\'s log file holds them', async () => {
    const out = path.join(dir, 'pgbadger');
    const r = await json([...fileArgs(), '--pgbadger', out]);
    expect(r.pgbadger).toEqual({ file: expect.stringContaining(out), lines: lines.length, command: `pgbadger -f stderr -p '%t:%r:%u@%d:[%p]:' ${r.pgbadger!.file}` });
    expect(fs.readFileSync(r.pgbadger!.file, 'utf8')).toBe(`${lines.join('\n')}\n`);
    // A second run does not overwrite it.
    const again = await run([...fileArgs(), '--pgbadger', out]);
    expect({ code: again.code, err: again.err }).toEqual({ code: 2, err: `db-playbook: --pgbadger: ${r.pgbadger!.file} exists already (remove it or give another directory)\n` });
  });

  test('malformed and truncated lines are counted and skipped, the rest read as before', async () => {
    const damaged = [...lines];
    const slow = damaged.findIndex((l) => l.includes('statement: SELECT pg_sleep(0.7)'));
    // A line cut inside its prefix (a truncated write), garbage, and a continuation before any entry.
    damaged.splice(slow + 1, 0, damaged[slow].slice(0, 30), 'garbage \u0000 not a log line');
    damaged.unshift('\tQuery Text: a plan whose entry was cut off');
    const broken = path.join(dir, 'damaged.log');
    fs.writeFileSync(broken, `${damaged.join('\n')}\n`);
    const r = await json(['logs', '--file', broken, '--from', window.from, '--to', window.to]);
    expect(r.counts).toMatchObject({ lines: damaged.length, malformed: 2, orphans: 1 });
    expect(r.counts.malformedExamples).toEqual([damaged[slow + 2].slice(0, 30), 'garbage \u0000 not a log line']);
    expect(sections(r)).toEqual(sections(report));
  });

  test('a CloudWatch export to S3: the event time in front of each entry line (pgbadger#521, #609) is taken off', async () => {
    const stamped = lines.map((l) => (l.startsWith('\t') ? l : `${new Date(lineTime(l)).toISOString()} ${l}`));
    const exported = path.join(dir, 'export-000000');
    fs.writeFileSync(exported, `${stamped.join('\n')}\n`);
    const out = path.join(dir, 'pgbadger-export');
    const r = await json(['logs', '--file', exported, '--from', window.from, '--to', window.to, '--pgbadger', out]);
    expect(r.counts).toMatchObject({ malformed: 0, orphans: 0 });
    expect(sections(r)).toEqual(sections(report));
    // pgbadger gets the lines as RDS's file holds them, without the stamp it cannot read.
    expect(fs.readFileSync(r.pgbadger!.file, 'utf8')).toBe(`${lines.join('\n')}\n`);
  });

  test('a log whose times carry a zone name (log_timezone not UTC): its lines skipped and counted, and the note says what to set', async () => {
    const f = path.join(dir, 'cet.log');
    fs.writeFileSync(f, `${lines.slice(0, 5).map((l) => l.replace(/^(\S+ \S+) UTC:/, '$1 CET:')).join('\n')}\n`);
    const r = await json(['logs', '--file', f, '--from', window.from, '--to', window.to]);
    const named = lines.slice(0, 5).filter((l) => !l.startsWith('\t')).length;
    expect(r.counts).toMatchObject({ entries: 0, namedZones: { CET: named } });
    expect(r.notes).toContain(`${named} lines have their time in zone CET, which names no offset: they were skipped; set log_timezone to UTC (RDS's default) or an offset`);
  });

  test('connection problems beyond a wrong password: each by kind, user and address (lines in PostgreSQL 17\'s wording)', async () => {
    // Not produced by the scenario (a full server, a client gone mid-session, RDS's rds.force_ssl refusing plaintext): written here in the messages' fixed texts.
    const p = (pid: number, who = 'app@shop', from = '10.0.1.5(50000)') => `2026-03-14 13:44:59 UTC:${from}:${who}:[${pid}]:`;
    const text = [
      `${p(1)}FATAL:  sorry, too many clients already`,
      `${p(2)}FATAL:  sorry, too many clients already`,
      `${p(3, 'app@shop', '10.0.2.7(41000)')}FATAL:  no pg_hba.conf entry for host "10.0.2.7", user "app", database "shop", no encryption`,
      `${p(4)}LOG:  could not receive data from client: Connection reset by peer`,
      `${p(5, 'app@no_db')}FATAL:  database "no_db" does not exist`,
    ];
    const f = path.join(dir, 'connections.log');
    fs.writeFileSync(f, `${text.join('\n')}\n`);
    const r = await json(['logs', '--file', f, '--from', '2026-03-14T00:00Z', '--to', '2026-03-15T00:00Z']);
    expect(r.connectionProblems.map((g) => [g.kind, g.sqlState, g.user, g.host, g.count])).toEqual([
      ['connection', '53300', 'app', '10.0.1.5', 2],
      ['authentication', '28000', 'app', '10.0.2.7', 1],
      ['connection', '08006', 'app', '10.0.1.5', 1],
      ['connection', '3D000', 'app', '10.0.1.5', 1],
    ]);
    // The LOG line is a connection problem, not an error.
    expect(r.errors.map((g) => g.sqlState).sort()).toEqual(['28000', '3D000', '53300']);
  });

  describe('from CloudWatch Logs (moto)', () => {
    const rds = () => new RDSClient(awsClientConfig(moto.endpoint));
    const cwl = (region = 'us-east-1') => new CloudWatchLogsClient(awsClientConfig(moto.endpoint, region));

    /** The lines as RDS exports them: one event per line that starts an entry line, with its tab continuations. */
    function events(of: readonly string[]): { timestamp: number; message: string }[] {
      const out: { timestamp: number; message: string }[] = [];
      for (const line of of) {
        if (line.startsWith('\t') && out.length > 0) out[out.length - 1].message += `\n${line}`;
        else out.push({ timestamp: lineTime(line), message: line });
      }
      return out;
    }

    async function instance(id: string, region = 'us-east-1', exports = ['postgresql', 'upgrade']): Promise<void> {
      const client = new RDSClient(awsClientConfig(moto.endpoint, region));
      await client.send(new CreateDBInstanceCommand({
        DBInstanceIdentifier: id, Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.m7g.large', AllocatedStorage: 100,
        MasterUsername: 'dbadmin', MasterUserPassword: 'not-used-here-1', EnableCloudwatchLogsExports: exports,
      }));
      client.destroy();
    }

    async function exportLog(id: string, evs: { timestamp: number; message: string }[], region = 'us-east-1'): Promise<void> {
      const client = cwl(region);
      const group = `/aws/rds/instance/${id}/postgresql`;
      await client.send(new CreateLogGroupCommand({ logGroupName: group }));
      await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: id }));
      for (let i = 0; i < evs.length; i += 10_000) await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: id, logEvents: evs.slice(i, i + 10_000) }));
      client.destroy();
    }

    beforeAll(async () => {
      await instance('orders-db');
      const evs = events(lines);
      // A truncated export line in the middle.
      evs.splice(5, 0, { timestamp: evs[5].timestamp, message: lines[0].slice(0, 25) });
      await exportLog('orders-db', evs);
    });

    test('FilterLogEvents on /aws/rds/instance/<id>/postgresql: the same report, the truncated line counted', async () => {
      const r = await json(['logs', '--instance', 'orders-db', '--from', window.from, '--to', window.to], motoEnv(moto.endpoint));
      expect(r.source).toEqual({ kind: 'cloudwatch', instance: 'orders-db', region: 'us-east-1', replicaOf: null, logGroup: '/aws/rds/instance/orders-db/postgresql', files: [] });
      expect(r.counts).toMatchObject({ lines: lines.length + 1, malformed: 1, orphans: 0 });
      expect(sections(r)).toEqual(sections(report));
    });

    test('the calls it sends are its table\'s (shared/calls-cli.ts), every one of them', async () => {
      const sent = await recordActions(() => run(['logs', '--instance', 'orders-db', '--since', '1d'], motoEnv(moto.endpoint)));
      expect([...new Set(sent)].sort()).toEqual(actionsOf(logsCalls()).sort());
    });

    test('a read replica: its own log group, and the report says whose replica it is', async () => {
      const client = rds();
      await client.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'orders-db-replica-1', SourceDBInstanceIdentifier: 'orders-db', EnableCloudwatchLogsExports: ['postgresql'] }));
      client.destroy();
      const slow = lines.filter((l) => l.includes('statement: SELECT pg_sleep(0.6)'));
      await exportLog('orders-db-replica-1', events(slow));
      const r = await json(['logs', '--instance', 'orders-db-replica-1', '--from', window.from, '--to', window.to], motoEnv(moto.endpoint));
      expect(r.source).toMatchObject({ instance: 'orders-db-replica-1', replicaOf: 'orders-db', logGroup: '/aws/rds/instance/orders-db-replica-1/postgresql' });
      expect(r.slowStatements.map((g) => [g.statement, g.count])).toEqual([['SELECT pg_sleep($1)', 1]]);
      const text = await run(['logs', '--instance', 'orders-db-replica-1', '--from', window.from, '--to', window.to], motoEnv(moto.endpoint));
      expect(text.out).toMatch(/^db-playbook logs: orders-db-replica-1 \(us-east-1\), a read replica of orders-db: its own log, from CloudWatch Logs \/aws\/rds\/instance\/orders-db-replica-1\/postgresql$/m);
    });

    test('the DR replica: --region reads its group in its region', async () => {
      await instance('orders-db-dr', 'us-west-2');
      await exportLog('orders-db-dr', events(lines.filter((l) => /FATAL/.test(l))), 'us-west-2');
      const r = await json(['--region', 'us-west-2', 'logs', '--instance', 'orders-db-dr', '--from', window.from, '--to', window.to], motoEnv(moto.endpoint));
      expect(r.source).toMatchObject({ region: 'us-west-2', logGroup: '/aws/rds/instance/orders-db-dr/postgresql' });
      expect(r.connectionProblems.map((g) => g.user)).toEqual([scenario.failedUser]);
      const wrongRegion = await run(['logs', '--instance', 'orders-db-dr', '--since', '1h'], motoEnv(moto.endpoint));
      expect({ code: wrongRegion.code, err: wrongRegion.err }).toEqual({ code: 2, err: "db-playbook: no DB instance 'orders-db-dr' in us-east-1 (a cross-region replica: give its --region)\n" });
    });

    test('pages: 12,000 events come in two FilterLogEvents pages (moto\'s 10,000 a page), all counted', async () => {
      await instance('paged-db');
      const t0 = lineTime(lines[0]);
      const evs = Array.from({ length: 12_000 }, (_, i) => ({
        timestamp: t0 + Math.floor(i / 10),
        message: `${lines[0].slice(0, 24)}10.0.1.5(5000${i % 10}):app@shop:[${1000 + (i % 7)}]:LOG:  duration: ${5000 + i}.5 ms  statement: SELECT * FROM orders WHERE id = ${i}`,
      }));
      await exportLog('paged-db', evs);
      const r = await run(['logs', '--instance', 'paged-db', '--from', window.from, '--to', window.to, '--json'], motoEnv(moto.endpoint));
      expect(r.err).toBe('read: 12,000 events, 2 pages\n');
      const doc = JSON.parse(r.out) as LogsReport;
      expect(doc.slowStatements.map((g) => [g.statement, g.count, g.maxMs])).toEqual([['SELECT * FROM orders WHERE id = $1', 12_000, 16_999.5]]);
    });

    test('Ctrl-C while reading: exit 130 at once, no report, what to do', async () => {
      const io = fakeIo(motoEnv(moto.endpoint));
      // Pressed while the first FilterLogEvents page is on its way.
      const base = Object.getPrototypeOf(RDSClient.prototype) as { send: (...a: unknown[]) => Promise<unknown> };
      const original = base.send;
      jest.spyOn(base, 'send').mockImplementation(function (this: unknown, command: unknown, ...rest: unknown[]) {
        if ((command as object).constructor.name === 'FilterLogEventsCommand') io.interrupt();
        return original.call(this, command, ...rest);
      } as never);
      try {
        const code = await main(['logs', '--instance', 'paged-db', '--from', window.from, '--to', window.to], io);
        expect({ code, out: io.out(), err: io.err() }).toEqual({ code: 130, out: '', err: INTERRUPTED_ERR });
      } finally {
        jest.restoreAllMocks();
      }
    });

    test('fails when the log group is not there (nothing exported yet): exit 2, naming the group', async () => {
      await instance('new-db');
      const r = await run(['logs', '--instance', 'new-db', '--since', '1h'], motoEnv(moto.endpoint));
      expect({ code: r.code, err: r.err, out: r.out }).toEqual({
        code: 2, out: '', err: 'db-playbook: log group /aws/rds/instance/new-db/postgresql does not exist in us-east-1: the instance has not exported its postgresql log yet (or it was deleted); try --log-files\n',
      });
    });

    test('fails when the instance does not export its postgresql log: --log-files is the way', async () => {
      await instance('no-export-db', 'us-east-1', []);
      const r = await run(['logs', '--instance', 'no-export-db'], motoEnv(moto.endpoint));
      expect({ code: r.code, err: r.err, out: r.out }).toEqual({
        code: 2, out: '', err: 'db-playbook: no-export-db does not export its postgresql log to CloudWatch Logs (EnabledCloudwatchLogsExports: none): read its log files with --log-files\n',
      });
    });
  });

  describe('from the instance\'s log files (DescribeDBLogFiles by moto, DownloadDBLogFilePortion stubbed)', () => {
    let proxy: { url: string; portions: number; close: () => Promise<void> };
    beforeAll(async () => { proxy = await downloadStub(moto.endpoint, `${lines.join('\n')}\n`, 1000); });
    afterAll(async () => { await proxy?.close(); });

    test('the file in portions cut mid-line: the same report', async () => {
      // moto names the file of the current hour (error/postgresql.log.YYYY-MM-DD-HH): a window around now.
      const r = await json(['logs', '--instance', 'orders-db', '--log-files', '--since', '3h'], motoEnv(proxy.url));
      expect(r.source.kind).toBe('log-files');
      expect(r.source.files).toEqual([expect.stringMatching(/^error\/postgresql\.log\.\d{4}-\d\d-\d\d-\d\d$/)]);
      expect(proxy.portions).toBeGreaterThan(5);
      expect(r.counts).toMatchObject({ lines: lines.length, malformed: 0, orphans: 0 });
      expect(sections(r)).toEqual(sections(report));
    });

    test('the calls it sends are its table\'s, every one of them', async () => {
      const sent = await recordActions(() => run(['logs', '--instance', 'orders-db', '--log-files', '--since', '3h'], motoEnv(proxy.url)));
      expect([...new Set(sent)].sort()).toEqual(actionsOf(logsLogFilesCalls()).sort());
    });
  });
});

// --- helpers ---------------------------------------------------------------------------------

/** The IAM actions of the SDK commands `fn` sends (a pass-through spy on the SDK's one Client.prototype.send). */
async function recordActions(fn: () => Promise<unknown>): Promise<string[]> {
  const prefix: Record<string, string> = { RDSClient: 'rds', CloudWatchLogsClient: 'logs' };
  const sent: string[] = [];
  const base = Object.getPrototypeOf(RDSClient.prototype) as { send: (...a: unknown[]) => Promise<unknown> };
  const original = base.send;
  jest.spyOn(base, 'send').mockImplementation(function (this: { constructor: { name: string } }, command: unknown, ...rest: unknown[]) {
    sent.push(`${prefix[this.constructor.name] ?? this.constructor.name}:${(command as object).constructor.name.replace(/Command$/, '')}`);
    return original.call(this, command, ...rest);
  } as never);
  try {
    await fn();
  } finally {
    jest.restoreAllMocks();
  }
  return sent;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A proxy to moto that answers DownloadDBLogFilePortion (moto 5.2 answers it with an error: not
 * implemented) with `log` in portions of `size` characters, cut wherever they fall, in RDS's
 * query-protocol XML (LogFileData, Marker, AdditionalDataPending); everything else goes to moto.
 */
async function downloadStub(upstream: string, log: string, size: number): Promise<{ url: string; portions: number; close: () => Promise<void> }> {
  const state = { portions: 0 };
  const proxy = await startMotoProxy(upstream, {
    answer: (req) => {
      if (req.form.get('Action') !== 'DownloadDBLogFilePortion') return undefined;
      state.portions++;
      const start = Number(req.form.get('Marker') ?? '0');
      const end = Math.min(log.length, start + size);
      return `<DownloadDBLogFilePortionResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DownloadDBLogFilePortionResult>`
        + `<LogFileData>${xml(log.slice(start, end))}</LogFileData><Marker>${end}</Marker><AdditionalDataPending>${end < log.length}</AdditionalDataPending>`
        + `</DownloadDBLogFilePortionResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></DownloadDBLogFilePortionResponse>`;
    },
  });
  return { url: proxy.url, get portions() { return state.portions; }, close: () => proxy.close() };
}
