/**
 * The restore validator's handler end to end: real SDK clients, moto for RDS
 * (DescribeDBInstances) and Secrets Manager (GetSecretValue by stage and by version id,
 * PutSecretValue's rotations, ListSecretVersionIds), and a real PostgreSQL server that requires
 * a password (SCRAM) standing in for the restored instance.
 *
 * Secrets Manager ListSecretVersionIds: moto 5.2.1 answers it with every version and the staging
 * labels PutSecretValue moved, but it ignores IncludeDeprecated (it always lists the versions
 * without labels, which AWS lists only with IncludeDeprecated: true), ignores MaxResults and
 * NextToken (one page), and gives every version the time of the listing as CreatedDate (its
 * list_secret_version_ids writes int(time.time())), so the newest-first order cannot be read from
 * its answer. That one call goes through a small proxy in this file: moto's answer, with each
 * version's CreatedDate as recorded when the test put it, the unlabelled versions dropped unless
 * IncludeDeprecated is true, and pages of at most VERSION_PAGE_SIZE with a NextToken. Every other
 * Secrets Manager call passes through to moto unchanged.
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
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { createHandler, DbEndpoint, DEFAULT_METRIC_NAMESPACE, HandlerDeps, MAX_SECRET_VERSIONS_TRIED, versionsToTry } from '../../lambda/restore-validator/index';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { startTlsPostgres, TlsPostgres } from '../support/tls-postgres';

const DB_PASSWORD = 'snapshot-time-password';
/** The restore-validation role and its clone, as the alternating-users rotation names them. */
const CHECK_ROLE = 'playbook_restore_check';
const CHECK_CLONE = 'playbook_restore_check_clone';
/** The check role's password when the snapshot was taken: that of its secret's oldest version. */
const CHECK_PASSWORD_AT_SNAPSHOT = 'check-password-1';
/** Largest ListSecretVersionIds page the proxy answers, so that 4 versions take two pages. */
const VERSION_PAGE_SIZE = 3;
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

// --- ListSecretVersionIds as AWS answers it (see the file comment) -----------------------------

interface SecretsProxy {
  readonly endpoint: string;
  /** Each version's CreatedDate, by VersionId, as recorded when the test put it. */
  readonly created: Map<string, Date>;
  /** The JSON bodies of the ListSecretVersionIds requests received. */
  readonly listRequests: Array<Record<string, unknown>>;
  /** When set, ListSecretVersionIds answers AccessDeniedException, as for a role without the grant. */
  denyList: boolean;
  stop(): Promise<void>;
}

interface MotoVersion { VersionId: string; VersionStages?: string[]; CreatedDate?: number }

async function startSecretsProxy(upstream: string): Promise<SecretsProxy> {
  const target = new URL(upstream);
  const proxy = { created: new Map<string, Date>(), listRequests: [] as Array<Record<string, unknown>>, denyList: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isList = req.headers['x-amz-target'] === 'secretsmanager.ListSecretVersionIds';
      const request = isList ? JSON.parse(body.toString('utf8')) as Record<string, unknown> : {};
      if (isList) proxy.listRequests.push(request);
      if (isList && proxy.denyList) {
        return json(res, 400, { __type: 'AccessDeniedException', Message: 'not authorized to perform: secretsmanager:ListSecretVersionIds' }, 'AccessDeniedException');
      }
      const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        const parts: Buffer[] = [];
        reply.on('data', (c: Buffer) => parts.push(c));
        reply.on('end', () => {
          let out = Buffer.concat(parts);
          if (isList && reply.statusCode === 200) {
            const answer = JSON.parse(out.toString('utf8')) as { ARN: string; Name: string; Versions: MotoVersion[] };
            const listed = answer.Versions
              .filter((v) => request.IncludeDeprecated === true || (v.VersionStages ?? []).length > 0)
              .map((v) => ({ ...v, CreatedDate: proxy.created.has(v.VersionId) ? proxy.created.get(v.VersionId)!.getTime() / 1000 : v.CreatedDate }));
            const start = typeof request.NextToken === 'string' ? Number(Buffer.from(request.NextToken, 'base64url').toString()) : 0;
            const size = Math.min(typeof request.MaxResults === 'number' ? request.MaxResults : VERSION_PAGE_SIZE, VERSION_PAGE_SIZE);
            const next = start + size < listed.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
            out = Buffer.from(JSON.stringify({ ARN: answer.ARN, Name: answer.Name, Versions: listed.slice(start, start + size), ...(next ? { NextToken: next } : {}) }));
          }
          res.writeHead(reply.statusCode ?? 502, { ...reply.headers, 'content-length': String(out.length) }).end(out);
        });
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}

// --- fixtures --------------------------------------------------------------------------------

let fixtures: string;
let db: PostgresServer;
/** TLS servers (trust authentication), for verify-full: one whose CA is DB_CA_FILE's, one of another CA. */
let trusted: TlsPostgres;
let other: TlsPostgres;
let moto: MotoServer;
let backupApi: FakeBackupApi;
let secretsProxy: SecretsProxy;
let rds: RDSClient;
let secrets: SecretsManagerClient;
let instanceArn: string;
/** Secret ARNs by purpose. */
const secretArns: Record<string, string> = {};
/** The version ids of some of them, oldest first. */
const versionIds: Record<string, string[]> = {};
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

interface Credential { username: string; password: string }

/**
 * A secret whose first version holds `values[0]`, then one PutSecretValue per later value (a
 * rotation: it becomes AWSCURRENT, the one before it AWSPREVIOUS, older ones lose their labels).
 * Each version's CreatedDate is recorded for the ListSecretVersionIds proxy.
 */
async function putSecret(name: string, values: Credential[]): Promise<{ arn: string; versionIds: string[] }> {
  const value = (c: Credential) => JSON.stringify({ ...c, engine: 'postgres', host: 'primary.example.invalid', port: 5433, dbname: 'shop' });
  const created = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value(values[0]) }));
  const ids = [created.VersionId!];
  secretsProxy.created.set(created.VersionId!, new Date());
  for (const c of values.slice(1)) {
    await new Promise((resolve) => setTimeout(resolve, 5)); // distinct CreatedDates
    const { VersionId } = await secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: value(c) }));
    ids.push(VersionId!);
    secretsProxy.created.set(VersionId!, new Date());
  }
  return { arn: created.ARN!, versionIds: ids };
}

async function createSecret(name: string, ...passwords: string[]): Promise<string> {
  return (await putSecret(name, passwords.map((password) => ({ username: 'app', password })))).arn;
}

/** Alternating users: each rotation changes the other role's password and moves AWSCURRENT to it. */
function alternating(passwords: string[]): Credential[] {
  return passwords.map((password, i) => ({ username: i % 2 === 0 ? CHECK_ROLE : CHECK_CLONE, password }));
}

beforeAll(async () => {
  [db, moto, backupApi, trusted, other] = await Promise.all([
    startPostgres({ settings: { hba_file: writeHba() } }),
    startMoto(),
    startFakeBackupApi(),
    startTlsPostgres(),
    startTlsPostgres(),
  ]);
  const client = await db.client();
  try {
    await client.query('CREATE DATABASE shop');
    await client.query(`CREATE ROLE app LOGIN PASSWORD '${DB_PASSWORD}'`);
    // The restore-check role as it was when the snapshot was taken, before the first rotation:
    // its first password, and no clone yet (PostgreSQL refuses an unknown role with 28P01 too).
    await client.query(`CREATE ROLE ${CHECK_ROLE} LOGIN PASSWORD '${CHECK_PASSWORD_AT_SNAPSHOT}'`);
  } finally {
    await client.end();
  }
  const shop = await db.client('shop');
  try {
    await shop.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY);
      INSERT INTO public.orders SELECT generate_series(1, 5);
      GRANT SELECT ON public.orders TO app;
      GRANT SELECT ON public.orders TO ${CHECK_ROLE};
      CREATE VIEW public.slow AS SELECT 1 AS n FROM pg_sleep(10);
      GRANT SELECT ON public.slow TO app;
    `);
  } finally {
    await shop.end();
  }

  rds = new RDSClient(awsClientConfig(moto.endpoint));
  secretsProxy = await startSecretsProxy(moto.endpoint);
  secrets = new SecretsManagerClient(awsClientConfig(secretsProxy.endpoint));
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
  // For the TLS servers (trust: any password, but the role must exist).
  secretArns.superuser = (await putSecret('db/tls-superuser', [{ username: 'postgres', password: 'unused (trust)' }])).arn;
  secretArns.rotated = await createSecret('db/rotated', DB_PASSWORD, 'password-after-rotation');
  secretArns.neverRotatedWrong = await createSecret('db/never-rotated-wrong', 'not-the-password');
  secretArns.bothWrong = await createSecret('db/both-wrong', 'wrong-1', 'wrong-2');
  // Rotated three times since the snapshot: its password is in the oldest, unlabelled version.
  const rotated3 = await putSecret('restore-check/rotated-3-times', alternating([CHECK_PASSWORD_AT_SNAPSHOT, 'check-password-2', 'check-password-3', 'check-password-4']));
  secretArns.rotated3 = rotated3.arn;
  versionIds.rotated3 = rotated3.versionIds;
  secretArns.noneMatch = (await putSecret('restore-check/none-match', alternating(['other-1', 'other-2', 'other-3', 'other-4']))).arn;
  secretArns.manyVersions = (await putSecret('restore-check/26-versions', alternating(Array.from({ length: 26 }, (_, i) => `other-${i + 1}`)))).arn;
}, 60_000);

afterAll(async () => {
  rds?.destroy();
  secrets?.destroy();
  await Promise.all([db?.stop(), moto?.stop(), backupApi?.stop(), secretsProxy?.stop(), trusted?.stop(), other?.stop()]);
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  backupApi.requests.length = 0;
  backupApi.jobs.clear();
  backupApi.failPuts = false;
  endpointsSeen.length = 0;
  secretsProxy.listRequests.length = 0;
  secretsProxy.denyList = false;
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
      ValidationStatusMessage: `cannot connect to 127.0.0.1:${db.port}: password authentication failed for user "app" (28P01) (passwords refused for 2 secret versions tried; the role's password at the snapshot's time is not in the secret)`,
    })]);
  });

  test('fails when AWSCURRENT is refused and the secret has no AWSPREVIOUS version', async () => {
    const { handler } = handlerWith({ SECRET_ARN: secretArns.neverRotatedWrong });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringMatching(/^cannot connect to .*password authentication failed for user "app" \(28P01\) \(password refused for 1 secret version tried; the role's password at the snapshot's time is not in the secret\)$/),
    })]);
  });
});

describe('a secret rotated several times since the snapshot (alternating users)', () => {
  /** The log lines of the versions tried after AWSCURRENT, in order. */
  const attempts = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.message === 'string' && l.message.startsWith('trying the '))
    .map((l) => ({ message: l.message, versionId: l.versionId, versionStages: l.versionStages, username: l.username }));
  const passwordsIn = (lines: string[]) => [CHECK_PASSWORD_AT_SNAPSHOT, 'check-password-2', 'check-password-3', 'check-password-4']
    .filter((p) => lines.some((l) => l.includes(p)));

  test('finds the oldest, unlabelled version whose password the restored role has: SUCCESSFUL', async () => {
    // GIVEN four versions: v1 (check role, the snapshot's password), v2 (clone), v3 (check, AWSPREVIOUS), v4 (clone, AWSCURRENT)
    const [v1, v2, v3, v4] = versionIds.rotated3;
    const { handler, lines } = handlerWith({ SECRET_ARN: secretArns.rotated3, CHECKS: ORDERS_CHECK });

    // WHEN
    const result = await handler(restoreEvent());

    // THEN the checks ran as the role of v1, with v1's own username
    expect(result).toMatchObject({ reported: true, status: 'SUCCESSFUL' });
    expect(reports()[0].ValidationStatusMessage).toMatch(new RegExp(
      `^all 3 checks passed on 127\\.0\\.0\\.1:${db.port}/shop: connect; select 1; public\\.orders has 5 rows \\(at least 5 expected\\) `
      + `\\(with the password of the unlabelled \\(deprecated\\) secret version ${v1}, created \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`));
    // AWSCURRENT first, then AWSPREVIOUS, then the others newest first, one log line each
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({
      message: 'the AWSCURRENT password was refused: trying the secret\'s other versions', versionId: v4, versionStages: ['AWSCURRENT'], username: CHECK_CLONE, versionsToTry: 3,
    }));
    expect(attempts(lines)).toEqual([
      { message: 'trying the AWSPREVIOUS secret version', versionId: v3, versionStages: ['AWSPREVIOUS'], username: CHECK_ROLE },
      { message: 'trying the unlabelled (deprecated) secret version', versionId: v2, versionStages: [], username: CHECK_CLONE },
      { message: 'trying the unlabelled (deprecated) secret version', versionId: v1, versionStages: [], username: CHECK_ROLE },
    ]);
    // The deprecated versions were asked for, page by page
    expect(secretsProxy.listRequests).toEqual([
      expect.objectContaining({ SecretId: secretArns.rotated3, IncludeDeprecated: true }),
      expect.objectContaining({ SecretId: secretArns.rotated3, IncludeDeprecated: true, NextToken: expect.any(String) }),
    ]);
    expect(passwordsIn(lines)).toEqual([]);
    expect(metricLines(lines)).toEqual([expect.objectContaining({ ValidationSucceeded: 1, ValidationFailed: 0 })]);
  });

  test('fails when no version\'s password logs in, naming how many were tried', async () => {
    const { handler, lines } = handlerWith({ SECRET_ARN: secretArns.noneMatch });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: `cannot connect to 127.0.0.1:${db.port}: password authentication failed for user "${CHECK_ROLE}" (28P01) `
        + '(passwords refused for 4 secret versions tried; the role\'s password at the snapshot\'s time is not in the secret)',
    })]);
    expect(attempts(lines)).toHaveLength(3);
    expect(metricLines(lines)).toEqual([expect.objectContaining({ ValidationFailed: 1 })]);
  });

  test(`fails after ${MAX_SECRET_VERSIONS_TRIED} versions, naming the ones not tried`, async () => {
    const { handler, lines } = handlerWith({ SECRET_ARN: secretArns.manyVersions });
    await handler(restoreEvent());
    expect(reports()[0]).toMatchObject({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringMatching(/\(passwords refused for 24 secret versions tried; 2 older versions not tried \(at most 24 are\)\)$/),
    });
    expect(attempts(lines)).toHaveLength(MAX_SECRET_VERSIONS_TRIED - 1);
  });

  test('fails when the invocation\'s time runs out before the snapshot\'s version is reached', async () => {
    const { handler, lines } = handlerWith({ SECRET_ARN: secretArns.rotated3 });
    const started = Date.now();
    // 10.5 s left: 10 s are kept for reporting, too little to try another version after AWSCURRENT.
    const result = await handler(restoreEvent(), { getRemainingTimeInMillis: () => 10_500 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({
      reported: true,
      status: 'FAILED',
      message: expect.stringMatching(/\(password refused for 1 secret version tried; 3 older versions not tried: the invocation's time ran out\)$/),
    });
    expect(attempts(lines)).toEqual([]);
  });

  test('when ListSecretVersionIds is denied, AWSPREVIOUS is still tried, and the report says why no other was', async () => {
    secretsProxy.denyList = true;
    const { handler } = handlerWith({ SECRET_ARN: secretArns.rotated3 });
    await handler(restoreEvent());
    expect(reports()[0]).toMatchObject({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: expect.stringMatching(/\(passwords refused for 2 secret versions tried; ListSecretVersionIds failed \(.*not authorized to perform: secretsmanager:ListSecretVersionIds.*\), so only AWSCURRENT and AWSPREVIOUS were tried\)$/),
    });

    const rotated = handlerWith({ SECRET_ARN: secretArns.rotated });
    expect(await rotated.handler(restoreEvent())).toMatchObject({ status: 'SUCCESSFUL', message: expect.stringMatching(/\(with the AWSPREVIOUS password\)$/) });
  });

  test('versionsToTry: AWSPREVIOUS first, then newest first, undated last, AWSCURRENT left out', () => {
    const at = (day: number) => new Date(Date.UTC(2026, 0, day));
    expect(versionsToTry([
      { versionId: 'a', stages: [], createdDate: at(1) },
      { versionId: 'undated', stages: [] },
      { versionId: 'current', stages: ['AWSCURRENT'], createdDate: at(9) },
      { versionId: 'c', stages: [], createdDate: at(3) },
      { versionId: 'previous', stages: ['AWSPREVIOUS'], createdDate: at(2) },
      { versionId: 'pending', stages: ['AWSPENDING'], createdDate: at(10) },
      { versionId: 'c', stages: [], createdDate: at(3) },
    ], 'current').map((v) => v.versionId)).toEqual(['previous', 'pending', 'c', 'a', 'undated']);
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
    const { handler } = handlerWith({ DB_SSL: 'verify-full', DB_CA_FILE: trusted.caFile });
    await handler(restoreEvent());
    expect(reports()).toEqual([expect.objectContaining({ ValidationStatus: 'FAILED', ValidationStatusMessage: expect.stringMatching(/^cannot connect to .*SSL/i) })]);
  });
});

// --- TLS --------------------------------------------------------------------------------------

const ROOT = path.resolve(__dirname, '..', '..');

/** What a validation in a child Node.js saw (validateInChild). */
interface ChildValidation {
  /** How a connection with Node's default roots, as the validator made before DB_CA_FILE, went: 'accepted' or 'refused: <code>'. */
  defaultRoots: string;
  result: Record<string, unknown>;
}

/**
 * Runs the validator once in a child Node.js (this one's binary, with tsx) started with
 * NODE_EXTRA_CA_CERTS=`extraCaFile`: Node reads that variable only when it starts, so it cannot
 * be set for this process. The child's SDK clients call this file's moto, Secrets Manager proxy
 * and fake Backup API; its resolveEndpoint maps moto's endpoint to `target`. It first connects to
 * `target` with Node's default roots (`ssl: { rejectUnauthorized: true }`, what the validator did
 * before DB_CA_FILE), which shows that the child's roots do trust the server's CA.
 */
async function validateInChild(extraCaFile: string, target: DbEndpoint, env: Record<string, string>): Promise<ChildValidation> {
  const script = path.join(fixtures, `validate-in-child-${Date.now()}.ts`);
  const from = (module: string) => JSON.stringify(require.resolve(module));
  fs.writeFileSync(script, `
import { BackupClient } from ${from('@aws-sdk/client-backup')};
import { RDSClient } from ${from('@aws-sdk/client-rds')};
import { SecretsManagerClient } from ${from('@aws-sdk/client-secrets-manager')};
import { Client } from ${from('pg')};
import { createHandler } from ${JSON.stringify(path.join(ROOT, 'lambda', 'restore-validator', 'index'))};

async function main(): Promise<void> {
  const input = JSON.parse(process.env.CHILD_INPUT ?? '{}');
  const aws = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const control = new Client({ ...input.target, user: 'postgres', database: 'postgres', ssl: { rejectUnauthorized: true }, connectionTimeoutMillis: 10000 });
  let defaultRoots = 'accepted';
  try {
    await control.connect();
  } catch (e) {
    defaultRoots = 'refused: ' + ((e as { code?: string }).code ?? String(e));
  } finally {
    await control.end().catch(() => undefined);
  }
  const handler = createHandler({
    backup: new BackupClient(aws(input.backup)),
    rds: new RDSClient(aws(input.rds)),
    secrets: new SecretsManagerClient(aws(input.secrets)),
    env: input.env,
    log: () => undefined,
    resolveEndpoint: () => input.target,
  });
  const result = await handler(input.event);
  process.stdout.write(JSON.stringify({ defaultRoots, result }));
}
main().catch((e) => { process.stderr.write(String(e?.stack ?? e)); process.exitCode = 1; });
`);
  const input = {
    target,
    backup: backupApi.endpoint,
    rds: moto.endpoint,
    secrets: secretsProxy.endpoint,
    env,
    event: restoreEvent(),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: extraCaFile, CHILD_INPUT: JSON.stringify(input) } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // stderr is shown only when the child failed (it may carry the SDK's Node.js version warning).
  expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(stdout) as ChildValidation;
}

describe('TLS (verify-full) trusts DB_CA_FILE only', () => {
  /** verify-full with DB_CA_FILE `caFile`, connecting to `tls` (trust: the secret's password is not checked). */
  function tlsHandler(tls: TlsPostgres, caFile: string, host = '127.0.0.1', port = tls.server.port): Run {
    return handlerWith({ SECRET_ARN: secretArns.superuser, DB_SSL: 'verify-full', DB_CA_FILE: caFile, DB_NAME: 'postgres' }, {
      resolveEndpoint: (reported) => {
        endpointsSeen.push(reported);
        return { host, port };
      },
    });
  }
  const JOB = 'D59196C8-8951-4C80-E71E-8F41E6D364E5';

  test('is SUCCESSFUL when the certificate is from DB_CA_FILE\'s CA, by IP address and by DNS name', async () => {
    expect(await tlsHandler(trusted, trusted.caFile).handler(restoreEvent())).toMatchObject({ reported: true, status: 'SUCCESSFUL' });
    // A DNS name (as DescribeDBInstances reports) is sent as SNI and checked against the certificate's DNS names (it has localhost).
    expect(await tlsHandler(trusted, trusted.caFile, 'localhost').handler(restoreEvent())).toMatchObject({
      reported: true, status: 'SUCCESSFUL', message: expect.stringContaining(`localhost:${trusted.server.port}/postgres`),
    });
    expect(reports().map((r) => r.ValidationStatus)).toEqual(['SUCCESSFUL', 'SUCCESSFUL']);
  });

  test('fails when the certificate is from a CA that NODE_EXTRA_CA_CERTS trusts but DB_CA_FILE does not have', async () => {
    // GIVEN a Node.js whose default roots include the other server's CA (NODE_EXTRA_CA_CERTS)
    const run = await validateInChild(other.caFile, { host: '127.0.0.1', port: other.server.port },
      { SECRET_ARN: secretArns.superuser, DB_SSL: 'verify-full', DB_CA_FILE: trusted.caFile, DB_NAME: 'postgres' });

    // THEN Node's roots accept that server, and the validator, pinned to DB_CA_FILE, reports FAILED
    expect(run.defaultRoots).toBe('accepted');
    // (the summary cuts each failure to 300 characters: Node's message may not end within them)
    const expected = new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${other.server.port}: TLS certificate not accepted: `
      + `verify-full accepts only a certificate for 127\\.0\\.0\\.1 from a CA in ${trusted.caFile.replace(/[.]/g, '\\.')} `
      + '\\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY): ');
    expect(run.result).toMatchObject({ reported: true, status: 'FAILED', message: expect.stringMatching(expected) });
    expect(reports()).toEqual([expect.objectContaining({ restoreJobId: JOB, ValidationStatus: 'FAILED', ValidationStatusMessage: expect.stringMatching(expected) })]);
  }, 60_000);

  test('fails when the server\'s certificate is from another CA (no NODE_EXTRA_CA_CERTS)', async () => {
    expect(await tlsHandler(other, trusted.caFile).handler(restoreEvent())).toMatchObject({
      status: 'FAILED',
      message: expect.stringMatching(/^cannot connect to 127\.0\.0\.1:\d+: TLS certificate not accepted: verify-full accepts only a certificate for 127\.0\.0\.1 from a CA in /),
    });
  });

  (process.platform === 'linux' ? test : test.skip)('fails when the certificate does not name the host connected to', async () => {
    // GIVEN the trusted server and its CA, reached at 127.0.0.2 (Linux routes all of 127/8 to lo), which its certificate does not name
    const relay = net.createServer((socket) => {
      const upstream = net.connect(trusted.server.port, trusted.server.host);
      socket.pipe(upstream).pipe(socket);
      const close = () => { socket.destroy(); upstream.destroy(); };
      socket.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve));
    try {
      const { handler } = tlsHandler(trusted, trusted.caFile, '127.0.0.2', (relay.address() as net.AddressInfo).port);
      expect(await handler(restoreEvent())).toMatchObject({
        status: 'FAILED',
        message: expect.stringMatching(/TLS certificate not accepted: verify-full accepts only a certificate for 127\.0\.0\.2 from a CA in .* \(ERR_TLS_CERT_ALTNAME_INVALID: .*IP: 127\.0\.0\.2 is not in the cert's list/),
      });
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  test('fails when DB_CA_FILE cannot be read: FAILED naming it, before the restored instance is looked up', async () => {
    const { handler, lines } = tlsHandler(trusted, '/nonexistent/ca.pem');
    expect(await handler(restoreEvent())).toMatchObject({ reported: true, status: 'FAILED' });
    expect(reports()).toEqual([{
      restoreJobId: JOB,
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: `cannot validate restore job ${JOB}: cannot read the CA bundle DB_CA_FILE /nonexistent/ca.pem: ENOENT`,
    }]);
    expect(endpointsSeen).toEqual([]);
    expect(metricLines(lines)).toEqual([expect.objectContaining({ ValidationFailed: 1 })]);
  });

  test('fails when DB_CA_FILE holds no certificate (an empty `ca` would be Node\'s default roots)', async () => {
    const empty = path.join(fixtures, 'empty-ca.pem');
    fs.writeFileSync(empty, '');
    expect(await tlsHandler(trusted, empty).handler(restoreEvent())).toMatchObject({
      status: 'FAILED',
      message: expect.stringMatching(/^cannot validate restore job .*: the CA bundle DB_CA_FILE .*empty-ca\.pem holds no PEM certificate/),
    });
  });

  test('verify-full is the default, with the Lambda runtime\'s bundle as DB_CA_FILE', async () => {
    if (fs.existsSync('/var/runtime/ca-cert.pem')) return; // in Lambda: the bundle is there
    const { handler } = handlerWith({ DB_SSL: '' });
    expect(await handler(restoreEvent())).toMatchObject({
      status: 'FAILED',
      message: `cannot validate restore job ${JOB}: cannot read the CA bundle DB_CA_FILE /var/runtime/ca-cert.pem: ENOENT`,
    });
  });

  test('DB_CA_FILE is read once per execution environment', async () => {
    const caFile = path.join(fixtures, 'kept-ca.pem');
    fs.copyFileSync(trusted.caFile, caFile);
    const { handler } = tlsHandler(trusted, caFile);
    expect(await handler(restoreEvent())).toMatchObject({ status: 'SUCCESSFUL' });
    // WHEN the file goes away THEN the environment still has its certificates, while a new one reports it
    fs.rmSync(caFile);
    expect(await handler(restoreEvent())).toMatchObject({ status: 'SUCCESSFUL' });
    expect(await tlsHandler(trusted, caFile).handler(restoreEvent())).toMatchObject({
      status: 'FAILED', message: expect.stringContaining(`cannot read the CA bundle DB_CA_FILE ${caFile}: ENOENT`),
    });
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
