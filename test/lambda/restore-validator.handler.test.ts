/**
 * The restore validator's handler end to end: real SDK clients, moto for RDS
 * (DescribeDBInstances) and Secrets Manager (GetSecretValue, AWSCURRENT / AWSPREVIOUS), and a
 * real PostgreSQL server that requires a password (SCRAM) standing in for the restored instance.
 *
 * AWS Backup: moto 5.2 implements backup plans, vaults and tags, but no restore jobs, so neither
 * DescribeRestoreJob nor PutRestoreValidationResult. Those two calls go to a small fake of the
 * Backup REST API in this file (GET /restore-jobs/{id}, PUT /restore-jobs/{id}/validations), so
 * the real BackupClient still serializes each request exactly as it would for AWS.
 *
 * moto reports a made-up endpoint for the DB instance; the handler's resolveEndpoint test hook
 * maps it to the local server (and the tests check it was handed moto's endpoint).
 */
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BackupClient } from '@aws-sdk/client-backup';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { createHandler, DbEndpoint, DEFAULT_METRIC_NAMESPACE, HandlerDeps } from '../../lambda/restore-validator/index';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { PostgresServer, startPostgres } from '../support/postgres-server';

const DB_PASSWORD = 'snapshot-time-password';
const PLAN_ARN = 'arn:aws:backup:us-east-1:123456789012:restore-testing-plan:monthly_restore_test-5b3f2f43';

// --- a fake of the two Backup operations moto lacks ------------------------------------------

interface BackupRequest { method: string; path: string; body: string }

interface FakeBackupApi {
  readonly endpoint: string;
  readonly requests: BackupRequest[];
  /** DescribeRestoreJob answers, by restore job id. */
  readonly jobs: Map<string, Record<string, unknown>>;
  /** When set, PutRestoreValidationResult answers HTTP 503 ServiceUnavailableException. */
  failPuts: boolean;
  stop(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(JSON.stringify(body));
}

async function startFakeBackupApi(): Promise<FakeBackupApi> {
  const api = { requests: [] as BackupRequest[], jobs: new Map<string, Record<string, unknown>>(), failPuts: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      api.requests.push({ method: req.method ?? '', path: url.pathname, body: Buffer.concat(chunks).toString('utf8') });
      const validation = /^\/restore-jobs\/([^/]+)\/validations$/.exec(url.pathname);
      const describe = /^\/restore-jobs\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'PUT' && validation) {
        if (api.failPuts) return json(res, 503, { message: 'try again later' }, 'ServiceUnavailableException');
        res.writeHead(204).end();
      } else if (req.method === 'GET' && describe && api.jobs.has(decodeURIComponent(describe[1]))) {
        json(res, 200, api.jobs.get(decodeURIComponent(describe[1])));
      } else if (req.method === 'GET' && describe) {
        json(res, 404, { message: `no restore job ${describe[1]}` }, 'ResourceNotFoundException');
      } else {
        json(res, 400, { message: `the fake Backup API does not implement ${req.method} ${url.pathname}` }, 'InvalidRequestException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(api, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// --- fixtures --------------------------------------------------------------------------------

let fixtures: string;
let db: PostgresServer;
let moto: MotoServer;
let backupApi: FakeBackupApi;
let rds: RDSClient;
let secrets: SecretsManagerClient;
let instanceArn: string;
/** Secret ARNs by purpose. */
const secretArns: Record<string, string> = {};
/** Every endpoint the handler asked resolveEndpoint to map. */
const endpointsSeen: DbEndpoint[] = [];

/** pg_hba.conf: trust for the harness's superuser, SCRAM passwords for everybody else (the `app` role). */
function writeHba(): string {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-validator-'));
  const file = path.join(fixtures, 'pg_hba.conf');
  fs.writeFileSync(file, [
    'local all all trust',
    'host all postgres 127.0.0.1/32 trust',
    'host all all 127.0.0.1/32 scram-sha-256',
    '',
  ].join('\n'));
  // The server runs as the `postgres` OS user when the tests run as root: it must read the file.
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of [fixtures, file]) fs.chownSync(f, uid, gid);
  }
  return file;
}

async function createSecret(name: string, ...passwords: string[]): Promise<string> {
  const value = (password: string) => JSON.stringify({ username: 'app', password, engine: 'postgres', host: 'primary.example.invalid', port: 5433, dbname: 'shop' });
  const { ARN } = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value(passwords[0]) }));
  // Each later value is a rotation: it becomes AWSCURRENT and the one before it AWSPREVIOUS.
  for (const password of passwords.slice(1)) {
    await secrets.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: value(password) }));
  }
  return ARN!;
}

beforeAll(async () => {
  [db, moto, backupApi] = await Promise.all([
    startPostgres({ settings: { hba_file: writeHba() } }),
    startMoto(),
    startFakeBackupApi(),
  ]);
  const client = await db.client();
  try {
    await client.query('CREATE DATABASE shop');
    await client.query(`CREATE ROLE app LOGIN PASSWORD '${DB_PASSWORD}'`);
  } finally {
    await client.end();
  }
  const shop = await db.client('shop');
  try {
    await shop.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY);
      INSERT INTO public.orders SELECT generate_series(1, 5);
      GRANT SELECT ON public.orders TO app;
      CREATE VIEW public.slow AS SELECT 1 AS n FROM pg_sleep(10);
      GRANT SELECT ON public.slow TO app;
    `);
  } finally {
    await shop.end();
  }

  rds = new RDSClient(awsClientConfig(moto.endpoint));
  secrets = new SecretsManagerClient(awsClientConfig(moto.endpoint));
  const { DBInstance } = await rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: 'shop-restore-test-1',
    Engine: 'postgres',
    DBInstanceClass: 'db.m7g.large',
    AllocatedStorage: 100,
    MasterUsername: 'app',
    MasterUserPassword: DB_PASSWORD,
    DBName: 'shop',
    Port: 5433,
  }));
  instanceArn = DBInstance!.DBInstanceArn!;

  secretArns.current = await createSecret('db/current', DB_PASSWORD);
  secretArns.rotated = await createSecret('db/rotated', DB_PASSWORD, 'password-after-rotation');
  secretArns.neverRotatedWrong = await createSecret('db/never-rotated-wrong', 'not-the-password');
  secretArns.bothWrong = await createSecret('db/both-wrong', 'wrong-1', 'wrong-2');
}, 60_000);

afterAll(async () => {
  rds?.destroy();
  secrets?.destroy();
  await Promise.all([db?.stop(), moto?.stop(), backupApi?.stop()]);
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  backupApi.requests.length = 0;
  backupApi.jobs.clear();
  backupApi.failPuts = false;
  endpointsSeen.length = 0;
});

// --- helpers ---------------------------------------------------------------------------------

/** A COMPLETED restore-testing event, shaped like AWS Backup's `Restore Job State Change` example. */
function restoreEvent(detail: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '45553104-c15f-39e3-a3ed-0b8c2f58de87',
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    account: '123456789012',
    time: '2026-11-01T05:30:58Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      restoreJobId: 'D59196C8-8951-4C80-E71E-8F41E6D364E5',
      backupSizeInBytes: '107374182400',
      creationDate: '2026-11-01T05:02:39.032Z',
      iamRoleArn: 'arn:aws:iam::123456789012:role/RestoreTestingRole',
      percentDone: 0.0,
      resourceType: 'RDS',
      status: 'COMPLETED',
      createdResourceArn: instanceArn,
      completionDate: '2026-11-01T05:29:55.681Z',
      restoreTestingPlanArn: PLAN_ARN,
      ...detail,
    },
    ...top,
  };
}

interface Run {
  lines: string[];
  handler: ReturnType<typeof createHandler>;
}

function handlerWith(env: Record<string, string>, overrides: Partial<HandlerDeps> = {}): Run {
  const lines: string[] = [];
  const handler = createHandler({
    backup: new BackupClient(awsClientConfig(backupApi.endpoint)),
    rds,
    secrets,
    env: { SECRET_ARN: secretArns.current, DB_SSL: 'disable', ...env },
    log: (line) => lines.push(line),
    resolveEndpoint: (reported) => {
      endpointsSeen.push(reported);
      return { host: db.host, port: db.port };
    },
    ...overrides,
  });
  return { lines, handler };
}

/** The PutRestoreValidationResult calls the fake Backup API received. */
function reports(): Array<{ restoreJobId: string; ValidationStatus: string; ValidationStatusMessage?: string }> {
  return backupApi.requests
    .filter((r) => r.method === 'PUT')
    .map((r) => ({ restoreJobId: decodeURIComponent(r.path.split('/')[2]), ...JSON.parse(r.body) }));
}

/** The EMF lines among the logged ones. */
function metricLines(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => '_aws' in l);
}

const ORDERS_CHECK = '{"tables":[{"name":"public.orders","minRows":5}]}';

// --- tests -----------------------------------------------------------------------------------

describe('a COMPLETED restore-testing job', () => {
  test('is validated on the restored instance and reported SUCCESSFUL, with a success metric', async () => {
    const { handler, lines } = handlerWith({ CHECKS: ORDERS_CHECK });

    const result = await handler(restoreEvent());

    expect(result).toMatchObject({ reported: true, restoreJobId: 'D59196C8-8951-4C80-E71E-8F41E6D364E5', status: 'SUCCESSFUL' });
    expect(reports()).toEqual([{
      restoreJobId: 'D59196C8-8951-4C80-E71E-8F41E6D364E5',
      ValidationStatus: 'SUCCESSFUL',
      ValidationStatusMessage: `all 3 checks passed on 127.0.0.1:${db.port}/shop: connect; select 1; public.orders has 5 rows (at least 5 expected)`,
    }]);
    // The endpoint came from DescribeDBInstances (moto's made-up address and the instance's port).
    expect(endpointsSeen).toEqual([{ host: expect.stringMatching(/^shop-restore-test-1\..+\.rds\.amazonaws\.com$/), port: 5433 }]);
    // Nothing was missing from the event: no DescribeRestoreJob.
    expect(backupApi.requests.map((r) => r.method)).toEqual(['PUT']);

    const [metric, ...more] = metricLines(lines);
    expect(more).toEqual([]);
    expect(metric).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [{
          Namespace: DEFAULT_METRIC_NAMESPACE,
          Dimensions: [[]],
          Metrics: [{ Name: 'ValidationFailed', Unit: 'Count' }, { Name: 'ValidationSucceeded', Unit: 'Count' }],
        }],
      },
      ValidationFailed: 0,
      ValidationSucceeded: 1,
      restoreJobId: 'D59196C8-8951-4C80-E71E-8F41E6D364E5',
      restoreTestingPlanArn: PLAN_ARN,
      createdResourceArn: instanceArn,
      validationStatus: 'SUCCESSFUL',
      validationMessage: reports()[0].ValidationStatusMessage,
    });
    expect(Math.abs((metric._aws as { Timestamp: number }).Timestamp - Date.now())).toBeLessThan(60_000);
  });

  test('fails when a check fails: FAILED with the reason, and a failure metric in METRIC_NAMESPACE', async () => {
    const { handler, lines } = handlerWith({
      CHECKS: '{"tables":[{"name":"public.orders","minRows":10},{"name":"public.invoices"}]}',
      METRIC_NAMESPACE: 'Shop/RestoreTests',
    });

    const result = await handler(restoreEvent());

    expect(result).toMatchObject({ reported: true, status: 'FAILED' });
    expect(reports()).toEqual([{
      restoreJobId: 'D59196C8-8951-4C80-E71E-8F41E6D364E5',
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: `2 of 4 checks failed on 127.0.0.1:${db.port}/shop: public.orders has 5 rows, expected at least 10; table public.invoices does not exist`,
    }]);
    const [metric] = metricLines(lines);
    expect(metric).toMatchObject({ ValidationFailed: 1, ValidationSucceeded: 0, validationStatus: 'FAILED' });
    expect((metric._aws as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0].Namespace).toBe('Shop/RestoreTests');
  });

  test('without resourceType / createdResourceArn in the event, asks DescribeRestoreJob', async () => {
    backupApi.jobs.set('job-2', { RestoreJobId: 'job-2', Status: 'COMPLETED', ResourceType: 'RDS', CreatedResourceArn: instanceArn, CreatedBy: { RestoreTestingPlanArn: PLAN_ARN } });
    const { handler } = handlerWith({ CHECKS: ORDERS_CHECK });

    const result = await handler(restoreEvent({ restoreJobId: 'job-2', resourceType: undefined, createdResourceArn: undefined }));

    expect(result).toMatchObject({ reported: true, status: 'SUCCESSFUL' });
    expect(backupApi.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /restore-jobs/job-2', 'PUT /restore-jobs/job-2/validations']);
  });

  test('DB_NAME overrides the secret\'s dbname', async () => {
    const { handler } = handlerWith({ DB_NAME: 'postgres' });
    const result = await handler(restoreEvent());
    expect(result).toMatchObject({ status: 'SUCCESSFUL', message: expect.stringContaining(`127.0.0.1:${db.port}/postgres`) });
  });
});

describe('the password of the snapshot\'s time', () => {
  test('when AWSCURRENT is refused, AWSPREVIOUS is tried and the job reported SUCCESSFUL', async () => {
    const { handler, lines } = handlerWith({ SECRET_ARN: secretArns.rotated, CHECKS: ORDERS_CHECK });

    const result = await handler(restoreEvent());

    expect(result).toMatchObject({ reported: true, status: 'SUCCESSFUL' });
    expect(reports()[0].ValidationStatusMessage).toMatch(/^all 3 checks passed on .* \(with the AWSPREVIOUS password\)$/);
    expect(lines.some((l) => l.includes('trying the AWSPREVIOUS secret version'))).toBe(true);
  });

  test('fails when both AWSCURRENT and AWSPREVIOUS are refused', async () => {
    const { handler } = handlerWith({ SECRET_ARN: secretArns.bothWrong });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: `cannot connect to 127.0.0.1:${db.port}: password authentication failed for user "app" (28P01) (AWSCURRENT and AWSPREVIOUS passwords both refused)`,
    })]);
  });

  test('fails when AWSCURRENT is refused and the secret has no AWSPREVIOUS version', async () => {
    const { handler } = handlerWith({ SECRET_ARN: secretArns.neverRotatedWrong });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringMatching(/^cannot connect to .*password authentication failed for user "app" \(28P01\) \(no usable AWSPREVIOUS secret version: .+\)$/),
    })]);
  });
});

describe('failures before the checks are reported FAILED, never thrown', () => {
  test('fails when the restored instance is not found', async () => {
    const { handler } = handlerWith({});
    const missing = instanceArn.replace('shop-restore-test-1', 'gone-already');
    await handler(restoreEvent({ createdResourceArn: missing }));
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringMatching(/^cannot validate restore job D59196C8-8951-4C80-E71E-8F41E6D364E5: .*gone-already/),
    })]);
  });

  test.each([
    [{ CHECKS: '{"tables":[{"name":"orders","minRows":-1}]}' }, 'CHECKS.tables[0].minRows must be an integer >= 0 (got number -1)'],
    [{ SECRET_ARN: '' }, 'SECRET_ARN is not set: the validator needs the database credentials secret'],
    [{ DB_SSL: 'require' }, "DB_SSL must be 'verify-full' or 'disable' (got 'require')"],
    [{ CHECK_TIMEOUT_MS: '30s' }, "CHECK_TIMEOUT_MS must be an integer >= 100 (got '30s')"],
  ])('fails when the configuration is refused: %j', async (env, reason) => {
    const { handler } = handlerWith(env);
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: `cannot validate restore job D59196C8-8951-4C80-E71E-8F41E6D364E5: ${reason}`,
    })]);
  });

  test('fails when the created resource is not a DB instance ARN', async () => {
    const { handler } = handlerWith({});
    await handler(restoreEvent({ createdResourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop' }));
    expect(reports()[0]).toMatchObject({ ValidationStatus: 'FAILED', ValidationStatusMessage: expect.stringContaining('is not an RDS DB instance ARN') });
  });

  test('a check is cut short so that the result is reported before the invocation times out', async () => {
    const { handler } = handlerWith({ CHECKS: '{"tables":[{"name":"public.slow"}]}', CHECK_TIMEOUT_MS: '60000' });
    const started = Date.now();
    // 11 s left: the checks get 1 s, the other 10 s are kept for reporting.
    const result = await handler(restoreEvent(), { getRemainingTimeInMillis: () => 11_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ reported: true, status: 'FAILED', message: 'public.slow: timed out after 1000 ms (statement_timeout)' });
  });

  test('DB_SSL=verify-full against a server without TLS is FAILED with the reason', async () => {
    const { handler } = handlerWith({ DB_SSL: 'verify-full' });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({ ValidationStatus: 'FAILED', ValidationStatusMessage: expect.stringMatching(/^cannot connect to .*SSL/i) })]);
  });
});

describe('events that are not a completed restore test', () => {
  test.each([
    ['a restore job outside restore testing', restoreEvent({ restoreTestingPlanArn: undefined }), 'not a restore testing job'],
    ['a RUNNING restore job', restoreEvent({ status: 'RUNNING' }), 'status is "RUNNING"'],
    ['a FAILED restore job', restoreEvent({ status: 'FAILED' }), 'status is "FAILED"'],
    ['a backup job', restoreEvent({}, { 'detail-type': 'Backup Job State Change' }), 'detail-type is "Backup Job State Change"'],
    ['another source', restoreEvent({}, { source: 'aws.rds' }), 'source is "aws.rds"'],
    ['a restored EBS volume', restoreEvent({ resourceType: 'EBS', createdResourceArn: 'arn:aws:ec2:us-east-1:123456789012:volume/vol-1' }), 'resource type "EBS"'],
    ['not an event', 'ping', 'not an EventBridge event'],
  ])('%s is ignored: nothing reported, no metric', async (_name, event, reason) => {
    const { handler, lines } = handlerWith({});
    const result = await handler(event);
    expect(result).toEqual({ reported: false, reason: expect.stringContaining(reason) });
    expect(backupApi.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(metricLines(lines)).toEqual([]);
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ level: 'INFO', message: `ignored: ${result.reported ? '' : result.reason}` }));
  });
});

describe('throws, so that Lambda retries, only when nothing could be reported', () => {
  test('fails when PutRestoreValidationResult fails, and still counts a failed validation for the alarm', async () => {
    backupApi.failPuts = true;
    const { handler, lines } = handlerWith({ CHECKS: ORDERS_CHECK, DB_INSTANCE_ID: 'shop-db' });
    await expect(handler(restoreEvent())).rejects.toThrow('try again later');
    // The checks passed, but AWS Backup has no result: a failure, with this platform's dimension.
    const [metric, ...more] = metricLines(lines);
    expect(more).toEqual([]);
    expect(metric).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['DBInstanceIdentifier']] }] },
      DBInstanceIdentifier: 'shop-db',
      ValidationFailed: 1,
      ValidationSucceeded: 0,
      validationStatus: 'SUCCESSFUL',
      reportError: expect.stringMatching(/^PutRestoreValidationResult failed: .*try again later/),
    });
  });

  test('names the platform in the metrics: DBInstanceIdentifier from DB_INSTANCE_ID', async () => {
    const { handler, lines } = handlerWith({ CHECKS: ORDERS_CHECK, DB_INSTANCE_ID: 'shop-db' });
    await handler(restoreEvent());
    expect(metricLines(lines)).toEqual([expect.objectContaining({
      _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Dimensions: [['DBInstanceIdentifier']] })] }),
      DBInstanceIdentifier: 'shop-db',
      ValidationFailed: 0,
    })]);
  });

  test('fails when a completed restore-testing event has no restoreJobId', async () => {
    const { handler } = handlerWith({});
    await expect(handler(restoreEvent({ restoreJobId: undefined }))).rejects.toThrow(/has no detail\.restoreJobId/);
    expect(backupApi.requests).toEqual([]);
  });
});
