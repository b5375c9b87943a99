/**
 * One JSON shape for every `--json` output (cli/json-output.ts): each command's document is
 * checked against a schema written here (field names and types, exact key sets; not copied
 * output), on real runs against moto, a seeded deployment and a real PostgreSQL. Also: doctor's
 * and inspect's findings have the same fields, a dry run has the keys of the real run, and
 * errors are JSON documents on stdout with the exit code they have without --json.
 */
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { main } from '../../cli/program';
import { startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

// --- a small schema language --------------------------------------------------------------------

/** A schema: a type name, a literal set, an array of one schema, an object with exactly these keys, or nullable. */
type Schema = 'string' | 'number' | 'boolean' | 'object' | 'iso-time' | { oneOf: readonly unknown[] } | { nullable: Schema } | [Schema] | { [key: string]: Schema };

const nullable = (s: Schema): Schema => ({ nullable: s });
const oneOf = (...values: unknown[]): Schema => ({ oneOf: values });

/** Where `value` does not match `schema` (empty: it matches). */
function violations(value: unknown, schema: Schema, at = '$'): string[] {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'iso-time': return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) ? [] : [`${at}: ${JSON.stringify(value)} is not an ISO 8601 UTC time`];
      case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value) ? [] : [`${at}: not an object`];
      default: return typeof value === schema ? [] : [`${at}: ${JSON.stringify(value)} is not a ${schema}`];
    }
  }
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) return [`${at}: not an array`];
    return value.flatMap((v, i) => violations(v, schema[0], `${at}[${i}]`));
  }
  if ('nullable' in schema && Object.keys(schema).length === 1) return value === null ? [] : violations(value, schema.nullable as Schema, at);
  if ('oneOf' in schema && Object.keys(schema).length === 1) return (schema.oneOf as unknown[]).includes(value) ? [] : [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.oneOf)}`];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
  const keys = Object.keys(value);
  const expected = Object.keys(schema);
  const problems = [
    ...expected.filter((k) => !keys.includes(k)).map((k) => `${at}.${k}: missing`),
    ...keys.filter((k) => !expected.includes(k)).map((k) => `${at}.${k}: not in the schema`),
  ];
  return [...problems, ...expected.filter((k) => keys.includes(k)).flatMap((k) => violations((value as Record<string, unknown>)[k], (schema as Record<string, Schema>)[k], `${at}.${k}`))];
}

test('the schema check finds a missing key, an extra key, a wrong type and a null where none is allowed', () => {
  expect(violations({ a: 1, b: 'x', c: null, d: [1, 'two'] }, { a: 'string', c: 'string', d: ['number'], e: nullable('number') })).toEqual([
    '$.e: missing', '$.b: not in the schema', '$.a: 1 is not a string', '$.c: null is not a string', '$.d[1]: "two" is not a number',
  ]);
});

const envelope = (command: string | null) => ({ schemaVersion: oneOf(1), command: oneOf(command), generatedAt: 'iso-time' }) as const;

const SEVERITY = oneOf('FAIL', 'WARN', 'INFO', 'PASS');
const FINDING: Schema = { rule: 'string', severity: SEVERITY, resource: 'string', title: 'string', message: 'string', fix: 'string' };
const SUMMARY: Schema = { FAIL: 'number', WARN: 'number', INFO: 'number', PASS: 'number' };
const ERROR = (command: string | null): Schema => ({
  ...envelope(command),
  error: {
    code: oneOf('usage', 'no-credentials', 'credentials-rejected', 'timeout', 'interrupted', 'aws', 'failure'),
    message: 'string',
    hint: nullable('string'),
    exitCode: 'number',
  },
});

const RESTORE: Schema = {
  ...envelope('restore'),
  dryRun: 'boolean',
  action: oneOf('restore', 'resume'),
  resumed: nullable({ instance: 'string', state: 'string', tags: 'object', message: 'string' }),
  region: 'string',
  source: { id: 'string', arn: nullable('string'), engine: nullable('string'), engineVersion: nullable('string'), status: nullable('string') },
  replicatedBackups: nullable({ arn: 'string', sourceRegion: nullable('string'), status: nullable('string'), retentionDays: nullable('number') }),
  target: 'string',
  restoreTime: 'string',
  window: nullable({ earliest: nullable('string'), latest: nullable('string'), earliestFrom: 'string', latestFrom: 'string' }),
  kmsKeyId: nullable('string'),
  request: nullable('object'),
  notCarried: ['string'],
  status: nullable('string'),
  endpoint: nullable({ address: 'string', port: 'number' }),
  restoreSeconds: nullable('number'),
  verify: nullable({ sql: 'string', target: nullable('string'), ok: nullable('boolean'), rowCount: nullable('number'), firstRow: nullable('object'), error: nullable('string') }),
  cutover: nullable({ proxy: 'string', before: ['string'], after: nullable(['string']), done: 'boolean' }),
  followUp: ['string'],
};

const RECOVERY_POINTS: Schema = {
  ...envelope('recovery-points'),
  source: { id: 'string', arn: nullable('string'), region: 'string' },
  regions: ['string'],
  recoveryPoints: [{
    type: oneOf('automated-backup', 'replicated-automated-backup', 'automated-snapshot', 'manual-snapshot', 'aws-backup', 'cross-region-copy'),
    id: 'string', arn: nullable('string'), region: 'string', created: nullable('iso-time'), ageSeconds: nullable('number'), age: 'string',
    encrypted: 'boolean', kmsKeyId: nullable('string'), status: nullable('string'),
    restoreWindow: nullable({ earliest: nullable('iso-time'), latest: nullable('iso-time'), from: 'string' }), vault: nullable('string'),
  }],
  warnings: ['string'],
};

const COPY: Schema = {
  ...envelope('copy'),
  source: { arn: nullable('string'), region: 'string', encrypted: 'boolean', kmsKeyId: nullable('string') },
  copy: { id: 'string', arn: nullable('string'), region: 'string', status: nullable('string'), encrypted: 'boolean', kmsKeyId: 'string' },
  kmsKeyFrom: 'string',
};

const DOCTOR: Schema = { ...envelope('doctor'), instance: 'string', region: 'string', drRegion: nullable('string'), summary: SUMMARY, findings: [FINDING] };

const INSPECT: Schema = {
  ...envelope('inspect'),
  target: 'string', database: 'string', user: 'string', serverVersion: 'string', inRecovery: 'boolean', readAt: 'iso-time', statisticsSince: nullable('iso-time'),
  // The instances whose index scans were added up (the one connected to, then each --replica).
  instances: [{ target: 'string', inRecovery: 'boolean', statsReset: nullable('iso-time') }],
  thresholds: 'object', failOn: ['string'], failed: ['string'],
  missingIndexes: ['object'], unusedIndexes: ['object'], duplicateIndexes: ['object'], nPlusOne: ['object'],
  invalidIndexes: ['object'], autovacuumAdvice: ['object'], bloat: ['object'],
  suggestions: { verified: 'boolean', advice: nullable('string') },
  unparsableStatements: { count: 'number', examples: [{ queryId: 'string', error: 'string' }], parser: nullable('string') },
  pgStatStatements: 'object', topStatements: nullable('object'), largeTables: ['object'],
  health: { cacheHitRatio: 'object', deadTuples: ['object'], longRunning: ['object'], idleInTransaction: ['object'] },
  // Whether the document holds statement text (--include-query-text); without it every query is null.
  queryText: 'boolean',
  summary: SUMMARY,
  findings: [FINDING],
};

const WHERE = { time: 'iso-time', user: 'string', database: 'string', pid: 'number' } as const;
const COUNTED_STATEMENT: Schema = { statement: 'string', count: 'number' };
const LOGS: Schema = {
  ...envelope('logs'),
  source: { kind: oneOf('cloudwatch', 'log-files', 'file'), instance: nullable('string'), region: nullable('string'), replicaOf: nullable('string'), logGroup: nullable('string'), files: ['string'] },
  window: { from: 'iso-time', to: 'iso-time' },
  thresholds: { tempFileMinBytes: 'number' },
  queryText: 'boolean',
  pgbadger: nullable({ file: 'string', lines: 'number', command: 'string' }),
  first: nullable('iso-time'),
  last: nullable('iso-time'),
  counts: { lines: 'number', entries: 'number', malformed: 'number', orphans: 'number', truncated: 'number', malformedExamples: ['string'], namedZones: 'object', bySeverity: 'object', outsideWindow: 'number' },
  slowStatements: [{ statement: 'string', count: 'number', totalMs: 'number', maxMs: 'number', example: { ...WHERE, durationMs: 'number', text: 'string', plan: nullable('string') } }],
  lockWaits: [{
    on: 'string', lockMode: 'string', waits: 'number', acquired: 'number', deadlocks: 'number', cancelled: 'number', maxWaitMs: 'number', totalWaitMs: 'number',
    waiting: [COUNTED_STATEMENT], blocking: [{ pid: 'number', lastLoggedStatement: nullable('string'), count: 'number' }], example: { ...WHERE, afterMs: 'number' },
  }],
  deadlocks: { count: 'number', details: [{ ...WHERE, relation: nullable('string'), processes: [{ pid: 'number', waitsFor: nullable('string'), blockedBy: nullable('number'), statement: nullable('string') }] }] },
  autovacuum: [{
    table: 'string', vacuums: 'number', analyzes: 'number', aggressive: 'number', wraparound: 'number', totalSeconds: 'number', maxSeconds: 'number', tuplesRemoved: 'number',
    pagesRemoved: 'number', deadNotRemovable: 'number', bufferHits: 'number', bufferMisses: 'number', bufferDirtied: 'number', walBytes: 'number', last: 'iso-time',
  }],
  tempFiles: { count: 'number', totalBytes: 'number', overThreshold: 'number', groups: [{ statement: 'string', count: 'number', totalBytes: 'number', maxBytes: 'number', example: { ...WHERE, bytes: 'number', text: 'string' } }] },
  checkpoints: {
    completed: 'number', restartpoints: 'number', byReason: 'object', buffersWritten: 'number', totalSeconds: 'number', maxSeconds: 'number', writeSeconds: 'number',
    syncSeconds: 'number', maxDistanceKb: 'number', tooFrequent: 'number', minSecondsApart: nullable('number'),
  },
  connectionProblems: [{ kind: oneOf('authentication', 'connection'), sqlState: nullable('string'), message: 'string', user: 'string', host: 'string', count: 'number', first: 'iso-time', last: 'iso-time' }],
  errors: [{ sqlState: nullable('string'), condition: nullable('string'), count: 'number', exact: 'number', bySeverity: 'object', messages: [{ message: 'string', count: 'number' }], statements: [COUNTED_STATEMENT] }],
  overflow: 'object',
  notes: ['string'],
};

const UPGRADE: Schema = {
  ...envelope('upgrade'),
  instance: 'string', region: 'string', sourceVersion: 'string', targetVersion: 'string', major: 'boolean', targetFamily: nullable('string'), dryRun: 'boolean',
  targetParameterGroup: nullable({ name: 'string', created: 'boolean' }),
  deployment: nullable({ id: 'string', name: nullable('string'), status: 'string' }),
  green: nullable({ id: 'string', endpoint: nullable('string') }),
  verify: nullable({ sql: 'string', target: 'string', ok: 'boolean', rowCount: nullable('number'), firstRow: nullable('object'), error: nullable('string') }),
  switchover: { requested: 'boolean', done: 'boolean', status: nullable('string') },
  greenDeleted: 'boolean',
  cdkChange: ['string'],
  summary: SUMMARY,
  findings: [FINDING],
};

// --- the test bed -------------------------------------------------------------------------------

let moto: MotoServer;
let seeded: SeededDeployment;
let pg: PostgresServer;

beforeAll(async () => {
  [moto, pg] = await Promise.all([startMoto(), startPostgres()]);
  seeded = await seedDeployment(moto.endpoint, { database: { multiAz: false } });
}, 90_000);

afterAll(async () => {
  await Promise.all([moto?.stop(), pg?.stop()]);
});

afterEach(() => jest.restoreAllMocks());

async function run(argv: string[], io: FakeIo = fakeIo(motoEnv(moto.endpoint))): Promise<{ code: number; doc: Record<string, unknown>; io: FakeIo }> {
  const code = await main(argv, io);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(io.out()) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${code}):\n${io.out()}\nstderr: ${io.err()}`);
  }
  return { code, doc, io };
}

// --- each command -------------------------------------------------------------------------------

describe('every command\'s --json document has the envelope and its own schema', () => {
  test('restore --dry-run and restore: one shape, the dry run with dryRun true and null outcomes', async () => {
    const verify = ['--verify-sql', 'SELECT 1 AS one', '--verify-url', `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`];
    const argv = ['restore', '--source', seeded.primary.id, '--latest', '--target', 'json-restored', ...verify, '--cutover-proxy', seeded.proxy!.name, '--yes', '--json'];
    const dry = await run([...argv, '--dry-run']);
    const real = await run(argv);
    expect({ dry: dry.code, real: real.code }).toEqual({ dry: 0, real: 0 });
    expect(violations(dry.doc, RESTORE)).toEqual([]);
    expect(violations(real.doc, RESTORE)).toEqual([]);
    expect(Object.keys(dry.doc)).toEqual(Object.keys(real.doc));
    expect(dry.doc).toMatchObject({ dryRun: true, status: null, endpoint: null, restoreSeconds: null, verify: { ok: null, rowCount: null }, cutover: { done: false, after: null } });
    expect(real.doc).toMatchObject({ dryRun: false, status: 'available', verify: { ok: true, rowCount: 1 }, cutover: { done: true, after: ['json-restored'] } });
  });

  test('restore --from-replicated-backups (in the DR region): the same shape, replicatedBackups filled in', async () => {
    // moto has no replicated automated backups and no restore from them: the stand-in proxy serves both (test/support/aws-gaps-proxy.ts).
    const gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(Date.now() - 86_400_000) });
    try {
      const dr = seeded.drNetwork!;
      const argv = ['restore', '--region', 'us-west-2', '--from-replicated-backups', '--source', seeded.primary.id, '--latest', '--target', 'json-dr',
        '--db-subnet-group', dr.dbSubnetGroupName, '--vpc-security-group-ids', dr.securityGroupId, '--db-parameter-group', dr.parameterGroupName, '--json'];
      const dry = await run([...argv, '--dry-run'], fakeIo(motoEnv(gaps.url)));
      const real = await run(argv, fakeIo(motoEnv(gaps.url)));
      expect({ dry: dry.code, real: real.code }).toEqual({ dry: 0, real: 0 });
      expect(violations(dry.doc, RESTORE)).toEqual([]);
      expect(violations(real.doc, RESTORE)).toEqual([]);
      expect(Object.keys(dry.doc)).toEqual(Object.keys(real.doc));
      expect(dry.doc).toMatchObject({ region: 'us-west-2', replicatedBackups: { arn: seeded.replicatedBackup!.arn, sourceRegion: 'us-east-1', status: 'replicating', retentionDays: 7 }, source: { id: seeded.primary.id, status: null } });
      expect(real.doc).toMatchObject({ dryRun: false, status: 'available', kmsKeyId: seeded.kms.dr.arn });
    } finally {
      await gaps.close();
    }
  });

  test('restore without --verify-sql and --cutover-proxy: those are null, not left out', async () => {
    const { code, doc } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'json-plain', '--dry-run', '--json']);
    expect(code).toBe(0);
    expect(violations(doc, RESTORE)).toEqual([]);
    expect(doc).toMatchObject({ verify: null, cutover: null });
  });

  test('recovery-points', async () => {
    const { code, doc } = await run(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2', '--json']);
    expect(code).toBe(0);
    expect(violations(doc, RECOVERY_POINTS)).toEqual([]);
    expect((doc.recoveryPoints as unknown[]).length).toBeGreaterThan(2);
  });

  test('copy', async () => {
    const { code, doc } = await run(['copy', '--snapshot', seeded.manualSnapshots[0].id, '--to-region', 'us-west-2', '--target-id', 'json-copy', '--kms-key', seeded.kms.dr.arn, '--json']);
    expect(code).toBe(0);
    expect(violations(doc, COPY)).toEqual([]);
  });

  test('doctor and inspect: their findings have the same fields, last in the document after the summary', async () => {
    // doctor's support-date, maintenance and certificate calls are not in moto: the gaps proxy answers them (test/support/aws-gaps-proxy.ts).
    const gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(Date.now() - 86_400_000) });
    const doctor = await run(['doctor', '--instance', seeded.primary.id, '--buckets', seeded.buckets.primary.name, '--json'], fakeIo(motoEnv(gaps.url))).finally(() => gaps.close());
    // A local server without TLS: plaintext only when asked for (inspect's default is verify-full).
    const inspect = await run(['inspect', '--url', `${pg.connectionString()}?sslmode=disable`, '--fail-on', 'pg-stat-statements-missing', '--json']);
    expect({ doctor: doctor.code, inspect: inspect.code }).toEqual({ doctor: 3, inspect: 3 });
    expect(violations(doctor.doc, DOCTOR)).toEqual([]);
    expect(violations(inspect.doc, INSPECT)).toEqual([]);
    for (const doc of [doctor.doc, inspect.doc]) {
      expect(Object.keys(doc).slice(-2)).toEqual(['summary', 'findings']);
      const findings = doc.findings as { severity: string }[];
      expect(findings.length).toBeGreaterThan(0);
      // The summary counts the findings.
      expect(doc.summary).toEqual(Object.fromEntries(['FAIL', 'WARN', 'INFO', 'PASS'].map((s) => [s, findings.filter((f) => f.severity === s).length])));
    }
    // FAIL means "makes the command exit 3" in both.
    expect((doctor.doc.findings as { rule: string; severity: string }[]).find((f) => f.rule === 'instance.multi-az')?.severity).toBe('FAIL');
    expect((inspect.doc.findings as { rule: string; severity: string }[]).find((f) => f.rule === 'pg-stat-statements-missing')?.severity).toBe('FAIL');
  });

  test('logs: the exported postgresql log of the instance, every section with its fields', async () => {
    const group = `/aws/rds/instance/${seeded.primary.id}/postgresql`;
    const logs = new CloudWatchLogsClient(awsClientConfig(moto.endpoint));
    const at = Date.now() - 60_000;
    const stamp = new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    const p = `${stamp}:10.0.1.5(50000):app@shop:[4242]:`;
    const events = [
      `${p}LOG:  duration: 5001.5 ms  plan:\n\tQuery Text: SELECT pg_sleep(5)\n\tResult  (cost=0.00..0.01 rows=1 width=4)`,
      `${p}LOG:  duration: 5002.0 ms  statement: SELECT pg_sleep(5)`,
      `${p}LOG:  process 4242 still waiting for ShareLock on transaction 7 after 1000.1 ms`, `${p}DETAIL:  Process holding the lock: 4243. Wait queue: 4242.`,
      `${p}CONTEXT:  while updating tuple (0,1) in relation "accounts"`, `${p}STATEMENT:  UPDATE accounts SET balance = 0 WHERE id = 1`,
      `${p}ERROR:  deadlock detected`, `${p}DETAIL:  Process 4242 waits for ShareLock on transaction 7; blocked by process 4243.\n\tProcess 4243 waits for ShareLock on transaction 8; blocked by process 4242.\n\tProcess 4242: UPDATE a\n\tProcess 4243: UPDATE b`,
      `${stamp}::@:[99]:LOG:  automatic vacuum of table "shop.public.accounts": index scans: 0\n\tpages: 0 removed, 9 remain, 9 scanned (100.00% of total)\n\ttuples: 10 removed, 90 remain, 0 are dead but not yet removable\n\tbuffer usage: 5 hits, 1 misses, 2 dirtied\n\tsystem usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 1.50 s`,
      `${p}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp4242.0", size 1048576`, `${p}STATEMENT:  SELECT * FROM orders ORDER BY created`,
      `${stamp}::@:[98]:LOG:  checkpoint starting: time`, `${stamp}::@:[98]:LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.101 s, sync=0.002 s, total=0.110 s; sync files=2, longest=0.001 s, average=0.001 s; distance=9 kB, estimate=9 kB; lsn=0/1000000, redo lsn=0/1000000`,
      `${stamp}:10.0.1.9(50001):app@shop:[4250]:FATAL:  password authentication failed for user "app"`,
    ].map((message) => ({ timestamp: at, message }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: seeded.primary.id }));
    await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: seeded.primary.id, logEvents: events }));
    logs.destroy();
    const { code, doc } = await run(['logs', '--instance', seeded.primary.id, '--since', '1h', '--json']);
    expect(code).toBe(0);
    expect(violations(doc, LOGS)).toEqual([]);
    // Every array section has a row, so their rows' fields were checked too.
    for (const key of ['slowStatements', 'lockWaits', 'autovacuum', 'connectionProblems', 'errors']) expect({ key, rows: (doc[key] as unknown[]).length > 0 }).toEqual({ key, rows: true });
    expect(doc).toMatchObject({ deadlocks: { count: 1 }, tempFiles: { count: 1 }, checkpoints: { completed: 1 } });
  });

  test('upgrade --dry-run and upgrade --switchover: one shape, the prechecks last as findings', async () => {
    // DescribeDBEngineVersions is not in moto: the gaps proxy answers it (test/support/aws-gaps-proxy.ts).
    const gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime: new Date(Date.now() - 86_400_000) });
    try {
      const d = await seedDeployment(moto.endpoint, { prefix: 'json-upgrade', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
      const argv = ['upgrade', '--instance', d.primary.id, '--target-version', '18.1', '--db-url', `${pg.connectionString()}?sslmode=disable`, '--json'];
      const dry = await run([...argv, '--dry-run'], fakeIo(motoEnv(gaps.url)));
      const real = await run([...argv, '--verify-sql', 'SELECT 1 AS one', '--switchover', '--yes'], fakeIo(motoEnv(gaps.url)));
      expect({ dry: dry.code, real: real.code }).toEqual({ dry: 0, real: 0 });
      expect(violations(dry.doc, UPGRADE)).toEqual([]);
      expect(violations(real.doc, UPGRADE)).toEqual([]);
      expect(Object.keys(dry.doc)).toEqual(Object.keys(real.doc));
      expect(Object.keys(real.doc).slice(-2)).toEqual(['summary', 'findings']);
      expect(dry.doc).toMatchObject({ dryRun: true, deployment: null, green: null, verify: null, switchover: { done: false }, cdkChange: [] });
      expect(real.doc).toMatchObject({ dryRun: false, verify: { ok: true, rowCount: 1 }, switchover: { done: true, status: 'SWITCHOVER_COMPLETED' } });
    } finally {
      await gaps.close();
    }
  });

  test('inspect without --fail-on: advice is INFO, nothing is FAIL', async () => {
    const { code, doc } = await run(['inspect', '--url', `${pg.connectionString()}?sslmode=disable`, '--json']);
    expect(code).toBe(0);
    expect(violations(doc, INSPECT)).toEqual([]);
    expect((doc.findings as { rule: string; severity: string }[]).map((f) => `${f.severity} ${f.rule}`)).toContain('INFO pg-stat-statements-missing');
    expect(doc.summary).toMatchObject({ FAIL: 0 });
  });
});

// --- errors -------------------------------------------------------------------------------------

/** A local endpoint answering every AWS request with AccessDenied, as AWS does without the permission (moto does not enforce IAM). */
async function accessDeniedEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(403, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
      + '<Message>User: arn:aws:iam::123456789012:user/ops is not authorized to perform: rds:DescribeDBInstances</Message></Error><RequestId>0</RequestId></ErrorResponse>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('with --json, a failure is a JSON error document on stdout, with the exit code it has without --json', () => {
  test.each([
    ['bad input', ['restore', '--source', 'playbook-db', '--to', 'yesterday', '--target', 'x-json'], 'restore', 'usage', 2],
    ['a refused check', ['recovery-points', '--source', 'no-such-db'], 'recovery-points', 'usage', 2],
    ['an unknown option', ['doctor', '--instance', 'playbook-db', '--bogus'], 'doctor', 'usage', 2],
    ['an unknown command', ['nosuch'], null, 'usage', 2],
    ['a bad --region', ['--region', 'mars', 'copy', '--snapshot', 's', '--to-region', 'us-west-2'], 'copy', 'usage', 2],
    ['a bad window', ['logs', '--instance', 'playbook-db', '--since', 'yesterday'], 'logs', 'usage', 2],
  ])('%s', async (_name, argv, command, errorCode, exitCode) => {
    const plain = fakeIo(motoEnv(moto.endpoint));
    expect(await main(argv, plain)).toBe(exitCode);
    const { code, doc, io } = await run([...argv, '--json']);
    expect(code).toBe(exitCode);
    expect(violations(doc, ERROR(command))).toEqual([]);
    expect(doc.error).toMatchObject({ code: errorCode, exitCode });
    // The message for people is on stderr still, and says the same.
    expect(io.err()).toContain((doc.error as { message: string }).message);
  });

  test('an AWS error', async () => {
    const endpoint = await accessDeniedEndpoint();
    try {
      const env = { ...motoEnv(endpoint.url) };
      const { code, doc } = await run(['doctor', '--instance', 'playbook-db', '--json'], fakeIo(env));
      expect(code).toBe(1);
      expect(violations(doc, ERROR('doctor'))).toEqual([]);
      expect(doc.error).toMatchObject({ code: 'aws', exitCode: 1, hint: null, message: expect.stringMatching(/^AccessDenied: DescribeDBInstances playbook-db in us-east-1: User: .* is not authorized/) });
    } finally {
      await endpoint.close();
    }
  });

  test('Ctrl-C during restore: the hint is the command that resumes it, exit 130', async () => {
    const io = fakeIo(motoEnv(moto.endpoint));
    // moto makes the restored instance available at once: report it 'creating', and press Ctrl-C at the first poll.
    const original = RDSClient.prototype.send;
    jest.spyOn(RDSClient.prototype, 'send').mockImplementation(async function (this: RDSClient, command: unknown, ...rest: unknown[]) {
      const result = await (original as (...a: unknown[]) => Promise<{ DBInstances?: DBInstance[] }>).call(this, command, ...rest);
      if (command instanceof DescribeDBInstancesCommand && command.input.DBInstanceIdentifier === 'json-interrupted' && result.DBInstances) {
        io.interrupt();
        return { ...result, DBInstances: result.DBInstances.map((i) => ({ ...i, DBInstanceStatus: 'creating' })) };
      }
      return result;
    } as never);
    const { code, doc } = await run(['restore', '--source', seeded.primary.id, '--latest', '--target', 'json-interrupted', '--json'], io);
    expect(code).toBe(130);
    expect(violations(doc, ERROR('restore'))).toEqual([]);
    expect(doc.error).toMatchObject({
      code: 'interrupted',
      exitCode: 130,
      hint: expect.stringMatching(new RegExp(`^to resume waiting for it, run:\n  db-playbook --region us-east-1 restore --source ${seeded.primary.id} --to \\S+Z --target json-interrupted --resume json-interrupted --json$`)),
    });
  });
});
