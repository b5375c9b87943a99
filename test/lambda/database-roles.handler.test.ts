/**
 * The roles provider's handler (lambda/database-roles) end to end, with real parts only: an
 * RDS-like PostgreSQL 17.9 with TLS (a non-superuser master, test/support/rds-like-postgres.ts)
 * verified under verify-full against its own CA through DB_CA_FILE, moto holding the master secret
 * and a role secret (read by the real SecretsManagerClient), and a local HTTP server on 127.0.0.1
 * as the ResponseURL, capturing each answer as CloudFormation's presigned S3 URL would receive it.
 *
 * The handler's log goes to console.log as in Lambda; every line written to the console or to
 * process.stdout/stderr during the file is captured, and no password may appear in it or in any
 * answer.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as http from 'http';
import * as net from 'net';
import { Client } from 'pg';
import { createHandler, HandlerDeps, InvocationContext } from '../../lambda/database-roles/index';
import { responseBody } from '../../lambda/database-roles/response';
import { ObjectSpec } from '../../shared/roles-spec';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { RdsLikePostgres, startRdsLikePostgres } from '../support/rds-like-postgres';
import { TlsPostgres, startTlsPostgres } from '../support/tls-postgres';

const MASTER_PASSWORD = 'Master-Pw-7c1e0a9b';
const ROLE_PASSWORD = 'Role-Pw-4f2d8e61';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop/5b3f2f43-0000-4000-8000-000000000001';
const SERVICE_TOKEN = 'arn:aws:lambda:us-east-1:123456789012:function:shop-RolesProvider';
/** What a presigned S3 URL's path and query look like: percent-encoded, which the PUT must keep as is. */
const PRESIGNED_QUERY = '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123';

// --- the response URL ------------------------------------------------------------------------

interface Answer {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: {
    Status: string;
    Reason: string;
    PhysicalResourceId: string;
    StackId: string;
    RequestId: string;
    LogicalResourceId: string;
    Data: Record<string, unknown>;
  };
}

interface Responder {
  readonly base: string;
  /** Every PUT received, in order. */
  readonly answers: Answer[];
  /** HTTP statuses to answer the next PUTs with (then 200). */
  failNext: number[];
  stop(): Promise<void>;
}

async function startResponder(): Promise<Responder> {
  const state = { answers: [] as Answer[], failNext: [] as number[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = state.failNext.shift();
      if (status) {
        res.writeHead(status).end('try again');
        return;
      }
      state.answers.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return Object.assign(state, {
    base: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// --- fixtures --------------------------------------------------------------------------------

let rds: RdsLikePostgres;
let otherCa: TlsPostgres;
let moto: MotoServer;
let responder: Responder;
let secrets: SecretsManagerClient;
let masterSecretArn: string;
let roleSecretArn: string;
/** Everything written to the console and to stdout/stderr while the handler ran. */
const output: string[] = [];
let requestCounter = 0;

beforeAll(async () => {
  [rds, otherCa, moto, responder] = await Promise.all([
    startRdsLikePostgres({ tls: true, masterPassword: MASTER_PASSWORD }),
    startTlsPostgres(),
    startMoto(),
    startResponder(),
  ]);
  secrets = new SecretsManagerClient(awsClientConfig(moto.endpoint));
  // As RDS writes a master secret: the endpoint is the instance's name (DB_HOST overrides it, as the construct sets it).
  masterSecretArn = (await secrets.send(new CreateSecretCommand({
    Name: 'rds!db-0123',
    SecretString: JSON.stringify({ username: rds.masterUser, password: MASTER_PASSWORD, engine: 'postgres', host: 'shop.abcdefghij.us-east-1.rds.amazonaws.com', port: 5432, dbname: 'app' }),
  }))).ARN!;
  roleSecretArn = (await secrets.send(new CreateSecretCommand({
    Name: 'shop/app_user',
    SecretString: JSON.stringify({ username: 'app_user', password: ROLE_PASSWORD, engine: 'postgres', host: 'shop.abcdefghij.us-east-1.rds.amazonaws.com', port: 5432, dbname: 'app' }),
  }))).ARN!;
}, 90_000);

afterAll(async () => {
  secrets?.destroy();
  await Promise.all([rds?.stop(), otherCa?.stop(), moto?.stop(), responder?.stop()]);
}, 60_000);

// --- helpers ---------------------------------------------------------------------------------

/** The environment the construct gives the function, pointed at the local server and its CA. */
function providerEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    MASTER_SECRET_ARN: masterSecretArn,
    DB_HOST: rds.host,
    DB_PORT: String(rds.port),
    DB_NAME: 'app',
    DB_CA_FILE: rds.caFile,
    ...overrides,
  };
}

interface RequestOptions {
  physicalResourceId?: string;
  oldSpec?: ObjectSpec | string;
  logicalResourceId?: string;
  env?: Record<string, string | undefined>;
  context?: InvocationContext;
  deps?: Partial<HandlerDeps>;
  /** Overrides of the event's fields. */
  event?: Record<string, unknown>;
}

interface Invocation {
  answer: Answer;
  /** The handler's log lines during this invocation, parsed. */
  logs: Array<Record<string, unknown>>;
  requestId: string;
}

/**
 * Invokes a fresh handler (as a new execution environment) with a custom resource request for
 * `spec` (or a raw Spec string); resolves to the answer the response URL received.
 */
async function request(requestType: 'Create' | 'Update' | 'Delete', spec: ObjectSpec | string, opts: RequestOptions = {}): Promise<Invocation> {
  const requestId = `7bd3c9f0-0000-4000-8000-${String(++requestCounter).padStart(12, '0')}`;
  const before = responder.answers.length;
  const lines: string[] = [];
  const handler = createHandler({ secrets, env: providerEnv(opts.env), ...opts.deps });
  const restore = captureOutput(lines);
  try {
    await handler({
      RequestType: requestType,
      ServiceToken: SERVICE_TOKEN,
      ResponseURL: `${responder.base}/cloudformation-custom-resource-response-useast1/${encodeURIComponent(STACK_ID)}%7C${opts.logicalResourceId ?? 'Role'}%7C${requestId}${PRESIGNED_QUERY}`,
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: opts.logicalResourceId ?? 'Role',
      ResourceType: 'Custom::PostgresRole',
      ...(opts.physicalResourceId ? { PhysicalResourceId: opts.physicalResourceId } : {}),
      ResourceProperties: { ServiceToken: SERVICE_TOKEN, Spec: typeof spec === 'string' ? spec : JSON.stringify(spec) },
      ...(opts.oldSpec ? { OldResourceProperties: { ServiceToken: SERVICE_TOKEN, Spec: typeof opts.oldSpec === 'string' ? opts.oldSpec : JSON.stringify(opts.oldSpec) } } : {}),
      ...opts.event,
    }, opts.context ?? { getRemainingTimeInMillis: () => 60_000, logStreamName: '2026/11/24/[$LATEST]abcdef' });
  } finally {
    restore();
  }
  expect(responder.answers.length).toBe(before + 1);
  const answer = responder.answers[responder.answers.length - 1];
  expect(answer.body.RequestId).toBe(requestId);
  return { answer, logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>), requestId };
}

/** Captures console.* and process.stdout/stderr writes into `lines` (and `output`) until the returned function is called. */
function captureOutput(lines: string[]): () => void {
  const take = (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    lines.push(line);
    output.push(line);
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(take));
  const write = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  return () => {
    for (const s of [...spies, out, err]) s.mockRestore();
  };
}

/** A superuser session on `db`, for looking at the catalogs. */
async function inspect<T>(db: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await rds.server.client(db);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function roleRow(name: string): Promise<Record<string, unknown> | undefined> {
  return inspect('postgres', async (c) => (await c.query(`SELECT rolcanlogin, rolconnlimit, rolsuper, rolcreaterole,
      array(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
    FROM pg_roles r WHERE rolname = $1`, [name])).rows[0]);
}

function role(name: string, overrides: Partial<Extract<ObjectSpec, { kind: 'role' }>> = {}): ObjectSpec {
  return { kind: 'role', name, login: false, iam: false, clone: false, memberOf: [], connectionLimit: -1, ...overrides };
}

function expectSuccess(run: Invocation, physicalResourceId: string): void {
  // The reason is in the message when it is not SUCCESS.
  expect(`${run.answer.body.Status}: ${run.answer.body.Reason}`).toMatch(/^SUCCESS: /);
  expect(run.answer.body.PhysicalResourceId).toBe(physicalResourceId);
}

// --- tests -----------------------------------------------------------------------------------

describe('the answer', () => {
  test('is a PUT of cfn-response\'s body to the presigned URL as given, with an empty content-type and its content-length', async () => {
    const run = await request('Create', role('answer_probe'), { logicalResourceId: 'AnswerProbe' });

    expect(run.answer.method).toBe('PUT');
    expect(run.answer.url).toBe(`/cloudformation-custom-resource-response-useast1/${encodeURIComponent(STACK_ID)}%7CAnswerProbe%7C${run.requestId}${PRESIGNED_QUERY}`);
    expect(run.answer.headers['content-type']).toBe('');
    expect(Number(run.answer.headers['content-length'])).toBe(Buffer.byteLength(run.answer.raw));
    expect(run.answer.body).toEqual({
      Status: 'SUCCESS',
      Reason: expect.stringMatching(/^created role 'answer_probe'; see CloudWatch Logs stream 2026\/11\/24\/\[\$LATEST\]abcdef$/),
      PhysicalResourceId: 'role:answer_probe',
      StackId: STACK_ID,
      RequestId: run.requestId,
      LogicalResourceId: 'AnswerProbe',
      Data: {},
    });
    // One log line: what was asked, of which resource, and how it ended; not the presigned URL.
    expect(run.logs).toEqual([expect.objectContaining({
      level: 'INFO', requestType: 'Create', logicalResourceId: 'AnswerProbe', physicalResourceId: 'role:answer_probe', outcome: 'SUCCESS',
    })]);
    expect(JSON.stringify(run.logs)).not.toMatch(/X-Amz|cloudformation-custom-resource-response|127\.0\.0\.1:\d+\/cloud/);
  });

  test('is retried when S3 answers 503, and sent once it is taken', async () => {
    responder.failNext = [503, 500];
    const run = await request('Create', role('answer_probe'), { logicalResourceId: 'AnswerProbe' });
    expectSuccess(run, 'role:answer_probe');
    expect(run.logs[0]).toMatchObject({ answer: { sent: true, attempts: 3 } });
  });

  test('that cannot be sent fails the invocation after its retries, so that Lambda retries the event', async () => {
    responder.failNext = [503, 503, 503, 503];
    const lines: string[] = [];
    const handler = createHandler({ secrets, env: providerEnv(), log: (l) => lines.push(l) });
    await expect(handler({
      RequestType: 'Create', ResponseURL: `${responder.base}/presigned${PRESIGNED_QUERY}`, StackId: STACK_ID, RequestId: 'r-unsent',
      LogicalResourceId: 'Role', ResourceProperties: { Spec: JSON.stringify(role('unsent_probe')) },
    }, { getRemainingTimeInMillis: () => 30_000 })).rejects.toThrow(/^the answer to CloudFormation was not sent \(4 attempt\(s\): HTTP 503\)$/);
    expect(responder.failNext).toEqual([]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ outcome: 'SUCCESS', answer: { sent: false, attempts: 4, error: 'HTTP 503' } })]);
    // the role was created: the retried event finds it and answers SUCCESS
    expect(await roleRow('unsent_probe')).toBeDefined();
  });

  test('stays within CloudFormation\'s 4096 bytes, the reason shortened', () => {
    const body = responseBody({
      Status: 'FAILED', Reason: `role 'x': ${'ä'.repeat(5000)}`, PhysicalResourceId: 'failed:r', StackId: STACK_ID, RequestId: 'r', LogicalResourceId: 'Role', Data: {},
    });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(body)).toBeGreaterThan(4000);
    expect(JSON.parse(body).Reason).toMatch(/^role 'x': ä+…$/);
  });

  test('is not sent to a ResponseURL that is not https (nor http to 127.0.0.1), and nothing is done', async () => {
    const lines: string[] = [];
    const handler = createHandler({ secrets, env: providerEnv(), log: (l) => lines.push(l) });
    const result = await handler({
      RequestType: 'Create', ResponseURL: 'http://example.com/presigned?X-Amz-Signature=abc', StackId: STACK_ID, RequestId: 'r-1',
      LogicalResourceId: 'Role', ResourceProperties: { Spec: JSON.stringify(role('never_created')) },
    });
    expect(result).toEqual({ sent: false });
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ outcome: 'NOT_ANSWERED', reason: expect.stringMatching(/not https/) })]);
    expect(lines.join('\n')).not.toContain('X-Amz-Signature');
    expect(await roleRow('never_created')).toBeUndefined();
  });
});

describe('a role', () => {
  test('Create, Update in place, Create again (a re-run), Delete', async () => {
    // GIVEN a group role to be a member of
    expectSuccess(await request('Create', role('app_readers'), { logicalResourceId: 'Readers' }), 'role:app_readers');

    // WHEN a login role with a password from its secret is created
    const user = role('app_user', { login: true, secretArn: roleSecretArn, memberOf: ['pg_monitor'], connectionLimit: 5 });
    const created = await request('Create', user, { logicalResourceId: 'AppUser' });

    // THEN it exists as asked, not a superuser, and logs in with the secret's password over verified TLS
    expectSuccess(created, 'role:app_user');
    expect(await roleRow('app_user')).toEqual({ rolcanlogin: true, rolconnlimit: 5, rolsuper: false, rolcreaterole: false, member_of: ['pg_monitor'] });
    const session = await rds.connect('app', 'app_user', ROLE_PASSWORD);
    await session.end();

    // WHEN it is updated in place (same name: same physical id)
    const updatedSpec = role('app_user', { login: true, secretArn: roleSecretArn, memberOf: ['app_readers'], connectionLimit: 10 });
    const updated = await request('Update', updatedSpec, { physicalResourceId: 'role:app_user', oldSpec: user, logicalResourceId: 'AppUser' });
    expectSuccess(updated, 'role:app_user');
    expect(updated.answer.body.Reason).toMatch(/^updated role 'app_user'/);
    expect(await roleRow('app_user')).toMatchObject({ rolcanlogin: true, rolconnlimit: 10, member_of: ['app_readers'] });

    // WHEN the Create runs again (a retried invocation): it succeeds and changes nothing
    expectSuccess(await request('Create', updatedSpec, { logicalResourceId: 'AppUser' }), 'role:app_user');
    expect(await roleRow('app_user')).toMatchObject({ rolcanlogin: true, rolconnlimit: 10, member_of: ['app_readers'] });

    // WHEN it is deleted THEN it is gone
    expectSuccess(await request('Delete', updatedSpec, { physicalResourceId: 'role:app_user', logicalResourceId: 'AppUser' }), 'role:app_user');
    expect(await roleRow('app_user')).toBeUndefined();
  });

  test('a new name is a replacement: the new role and its id, and the old one goes with CloudFormation\'s Delete', async () => {
    const before = role('report_v1', { memberOf: ['pg_read_all_stats'] });
    expectSuccess(await request('Create', before, { logicalResourceId: 'Report' }), 'role:report_v1');

    const after = role('report_v2', { memberOf: ['pg_read_all_stats'] });
    const replaced = await request('Update', after, { physicalResourceId: 'role:report_v1', oldSpec: before, logicalResourceId: 'Report' });

    expectSuccess(replaced, 'role:report_v2');
    expect(replaced.answer.body.Reason).toMatch(/^created role 'report_v2' \(replacing role:report_v1\)/);
    expect(await roleRow('report_v2')).toMatchObject({ member_of: ['pg_read_all_stats'] });
    // the old role stays until CloudFormation's clean-up Delete of the old id, with the old properties
    expect(await roleRow('report_v1')).toBeDefined();
    expectSuccess(await request('Delete', before, { physicalResourceId: 'role:report_v1', logicalResourceId: 'Report' }), 'role:report_v1');
    expect(await roleRow('report_v1')).toBeUndefined();
    expect(await roleRow('report_v2')).toBeDefined();
  });

  test('an Update whose old Spec does not read (back from a refused update) makes the new spec so in place', async () => {
    const spec = role('rollback_user', { connectionLimit: 3 });
    expectSuccess(await request('Create', spec), 'role:rollback_user');
    const back = await request('Update', role('rollback_user', { connectionLimit: 4 }), { physicalResourceId: 'role:rollback_user', oldSpec: '{"kind": "role", "name": "Rollback"}' });
    expectSuccess(back, 'role:rollback_user');
    expect(await roleRow('rollback_user')).toMatchObject({ rolconnlimit: 4 });
  });
});

describe('a failed Create', () => {
  test('answers FAILED with a placeholder id, naming the role and the SQLSTATE; its Delete touches nothing', async () => {
    // WHEN a role is to be a member of a group role that does not exist
    const spec = role('orphan_user', { memberOf: ['missing_group'] });
    const failed = await request('Create', spec, { logicalResourceId: 'Orphan' });

    // THEN FAILED, with a PhysicalResourceId that no object has
    expect(failed.answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `failed:${failed.requestId}` });
    expect(failed.answer.body.Reason).toMatch(/^role 'orphan_user': .*missing_group.* \(SQLSTATE 42704\)$/);
    expect(failed.logs).toEqual([expect.objectContaining({ level: 'ERROR', outcome: 'FAILED', physicalResourceId: `failed:${failed.requestId}` })]);

    // WHEN the rollback deletes it: SUCCESS without connecting (the database here is unreachable)
    const deleted = await request('Delete', spec, {
      physicalResourceId: `failed:${failed.requestId}`,
      logicalResourceId: 'Orphan',
      env: { DB_PORT: '1', MASTER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nothing-AbCdEf' },
    });
    expectSuccess(deleted, `failed:${failed.requestId}`);
    expect(deleted.answer.body.Reason).toMatch(/nothing to delete/);
  });

  test('a Delete of a PhysicalResourceId that is not the spec\'s succeeds without touching the database', async () => {
    const deleted = await request('Delete', role('somebody'), { physicalResourceId: 'role:somebody_else', env: { DB_PORT: '1' } });
    expectSuccess(deleted, 'role:somebody_else');
    expect(deleted.answer.body.Reason).toMatch(/^nothing deleted: the resource is role:somebody_else, not role 'somebody'/);
  });

  test('a failed Update answers FAILED with the resource\'s own id', async () => {
    const spec = role('stays_user');
    expectSuccess(await request('Create', spec), 'role:stays_user');
    const failed = await request('Update', role('stays_user', { memberOf: ['missing_group'] }), { physicalResourceId: 'role:stays_user', oldSpec: spec });
    expect(failed.answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'role:stays_user' });
    expect(failed.answer.body.Reason).toMatch(/^role 'stays_user': .*\(SQLSTATE 42704\)$/);
  });
});

describe('a bad Spec', () => {
  test.each([
    ['not JSON', '{"kind": "role", "name": ', /^ResourceProperties\.Spec is not valid JSON: /],
    ['an unknown kind', JSON.stringify({ kind: 'table', name: 'x' }), /^ResourceProperties\.Spec: 'kind' must be one of role, database, schema, grant, extension \(got "table"\)$/],
    ['a role name that is not an identifier', JSON.stringify(role('x"; DROP ROLE dbadmin; --')), /^ResourceProperties\.Spec \(role\): role name 'x"; DROP ROLE dbadmin; --': lower-case letters/],
    ['a reserved role name', JSON.stringify(role('rds_superuser')), /^ResourceProperties\.Spec \(role\): role name 'rds_superuser': a name PostgreSQL or RDS reserves$/],
    ['a missing field', JSON.stringify({ kind: 'schema', database: 'app', name: 'sales' }), /^ResourceProperties\.Spec \(schema\): missing 'owner'$/],
    ['an unknown field', JSON.stringify({ kind: 'extension', database: 'app', name: 'citext', schema: 'public' }), /unknown field "schema"/],
    ['a mistyped field', JSON.stringify({ ...role('typed'), login: 'yes' }), /'login' must be true or false \(got "yes"\)/],
    ['membership of a role no construct creates', JSON.stringify(role('climber', { memberOf: ['rds_superuser'] })), /^ResourceProperties\.Spec \(role\): memberOf 'rds_superuser': a name PostgreSQL or RDS reserves$/],
    ['a grant to PUBLIC', JSON.stringify({ kind: 'grant', database: 'app', schema: 'public', role: 'public', privilege: 'READ_ONLY', defaultFor: [] }), /^ResourceProperties\.Spec \(grant\): 'role' names role 'public': a word SQL does not read as a role name$/],
    ['a privilege that is no privilege', JSON.stringify({ kind: 'grant', database: 'app', schema: 'public', role: 'app_user', privilege: 'constructor', defaultFor: [] }), /'privilege' must be READ_ONLY or READ_WRITE \(got "constructor"\)$/],
    ['an extension RDS does not have', JSON.stringify({ kind: 'extension', database: 'app', name: 'plpython3u' }), /^ResourceProperties\.Spec \(extension\): extension 'plpython3u': not an extension RDS for PostgreSQL 17 supports/],
  ])('fails when the Spec is %s: FAILED naming the problem, nothing done', async (_what, spec, reason) => {
    const run = await request('Create', spec, { env: { DB_PORT: '1' } });
    expect(run.answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `failed:${run.requestId}` });
    expect(run.answer.body.Reason).toMatch(reason);
  });

  test('fails when there is no Spec, or the RequestType is unknown', async () => {
    const none = await request('Create', '', { event: { ResourceProperties: { ServiceToken: SERVICE_TOKEN } } });
    expect(none.answer.body).toMatchObject({ Status: 'FAILED', Reason: 'ResourceProperties.Spec must be a JSON string of one object spec (got nothing)' });
    const odd = await request('Create', role('odd'), { event: { RequestType: 'Upsert' } });
    expect(odd.answer.body).toMatchObject({ Status: 'FAILED', Reason: 'RequestType must be Create, Update or Delete (got "Upsert")' });
  });
});

describe('TLS (verify-full)', () => {
  test('fails when the server\'s certificate is signed by another CA: FAILED with the reason, no crash', async () => {
    // GIVEN a server whose certificate is from another CA than DB_CA_FILE's
    const run = await request('Create', role('tls_probe'), { env: { DB_PORT: String(otherCa.server.port) } });
    expect(run.answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `failed:${run.requestId}` });
    expect(run.answer.body.Reason).toMatch(new RegExp(`^role 'tls_probe': cannot connect to 127\\.0\\.0\\.1:${otherCa.server.port}/app as dbadmin: `
      + `TLS certificate not accepted: .*\\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY); verify-full accepts only a certificate for 127\\.0\\.0\\.1 from a CA in ${rds.caFile!.replace(/[.]/g, '\\.')}\\)$`));
    // and with that server's own CA, the same handler gets through TLS (the login is what fails there)
    const own = await request('Create', role('tls_probe'), { env: { DB_PORT: String(otherCa.server.port), DB_CA_FILE: otherCa.caFile } });
    expect(own.answer.body.Reason).not.toMatch(/TLS certificate not accepted/);
  });

  (process.platform === 'linux' ? test : test.skip)('fails when the certificate does not name the host connected to', async () => {
    // GIVEN the right server and CA, reached at 127.0.0.2 (Linux routes all of 127/8 to lo), which its certificate does not name
    const relay = net.createServer((socket) => {
      const upstream = net.connect(rds.port, rds.host);
      socket.pipe(upstream).pipe(socket);
      const close = () => { socket.destroy(); upstream.destroy(); };
      socket.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve));
    try {
      const run = await request('Create', role('name_probe'), { env: { DB_HOST: '127.0.0.2', DB_PORT: String((relay.address() as net.AddressInfo).port) } });
      expect(run.answer.body.Status).toBe('FAILED');
      expect(run.answer.body.Reason).toMatch(/TLS certificate not accepted: .*IP: 127\.0\.0\.2 is not in the cert's list.*\(ERR_TLS_CERT_ALTNAME_INVALID;/);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  test('fails when DB_CA_FILE cannot be read, naming it', async () => {
    const run = await request('Create', role('ca_probe'), { env: { DB_CA_FILE: '/nonexistent/ca.pem' } });
    expect(run.answer.body).toMatchObject({ Status: 'FAILED', Reason: 'role \'ca_probe\': cannot read the CA bundle DB_CA_FILE /nonexistent/ca.pem: ENOENT' });
  });
});

describe('time', () => {
  test('a database that never answers: FAILED before the invocation\'s time is up', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const deadline = started + 4000;
      const run = await request('Create', role('slow_probe'), {
        env: { DB_PORT: String((silent.address() as net.AddressInfo).port) },
        context: { getRemainingTimeInMillis: () => deadline - Date.now() },
      });
      expect(Date.now()).toBeLessThan(deadline);
      expect(run.answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `failed:${run.requestId}` });
      expect(run.answer.body.Reason).toMatch(/^role 'slow_probe': cannot connect to .*: no connection within \d+ ms$|did not finish within/);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('configuration', () => {
  test('fails when MASTER_SECRET_ARN is missing or unreadable, or DB_SSL is unknown, naming the setting', async () => {
    const missing = await request('Create', role('config_probe'), { env: { MASTER_SECRET_ARN: undefined } });
    expect(missing.answer.body).toMatchObject({ Status: 'FAILED', Reason: 'role \'config_probe\': MASTER_SECRET_ARN is not set: the provider needs the master user\'s secret' });
    const unknown = await request('Create', role('config_probe'), { env: { MASTER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nothing-AbCdEf' } });
    expect(unknown.answer.body.Reason).toMatch(/^role 'config_probe': cannot read secret arn:aws:secretsmanager:us-east-1:123456789012:secret:nothing-AbCdEf: /);
    const ssl = await request('Create', role('config_probe'), { env: { DB_SSL: 'require' } });
    expect(ssl.answer.body.Reason).toBe('role \'config_probe\': DB_SSL must be \'verify-full\' or \'disable\' (got \'require\')');
  });
});

describe('a schema, a grant, an extension', () => {
  test('schema: Create, Update (owner) in place, Create again, Delete', async () => {
    expectSuccess(await request('Create', role('shop_owner')), 'role:shop_owner');
    expectSuccess(await request('Create', role('shop_admin')), 'role:shop_admin');
    const schema: ObjectSpec = { kind: 'schema', database: 'app', name: 'sales', owner: 'shop_owner' };
    const owner = () => inspect('app', async (c) => (await c.query("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'sales'")).rows[0]?.owner);

    expectSuccess(await request('Create', schema, { logicalResourceId: 'Sales' }), 'schema:app/sales');
    expect(await owner()).toBe('shop_owner');

    const moved: ObjectSpec = { ...schema, owner: 'shop_admin' };
    expectSuccess(await request('Update', moved, { physicalResourceId: 'schema:app/sales', oldSpec: schema, logicalResourceId: 'Sales' }), 'schema:app/sales');
    expect(await owner()).toBe('shop_admin');

    expectSuccess(await request('Create', moved, { logicalResourceId: 'Sales' }), 'schema:app/sales');
    expect(await owner()).toBe('shop_admin');

    expectSuccess(await request('Delete', moved, { physicalResourceId: 'schema:app/sales', logicalResourceId: 'Sales' }), 'schema:app/sales');
    expect(await owner()).toBeUndefined();
  });

  test('grant: READ_ONLY, Update to READ_WRITE in place, Create again, Delete', async () => {
    // GIVEN a schema with a table, and the role to grant to
    expectSuccess(await request('Create', role('ledger_owner')), 'role:ledger_owner');
    expectSuccess(await request('Create', role('ledger_reader')), 'role:ledger_reader');
    expectSuccess(await request('Create', { kind: 'schema', database: 'app', name: 'ledger', owner: 'ledger_owner' }), 'schema:app/ledger');
    await inspect('app', (c) => c.query('CREATE TABLE ledger.entries (id int); ALTER TABLE ledger.entries OWNER TO ledger_owner'));
    const can = (privilege: string) => inspect('app', async (c) =>
      (await c.query('SELECT has_schema_privilege($1, \'ledger\', \'USAGE\') AND has_table_privilege($1, \'ledger.entries\', $2) AS ok', ['ledger_reader', privilege])).rows[0].ok);

    const readOnly: ObjectSpec = { kind: 'grant', database: 'app', schema: 'ledger', role: 'ledger_reader', privilege: 'READ_ONLY', defaultFor: ['ledger_owner'] };
    expectSuccess(await request('Create', readOnly, { logicalResourceId: 'Grant' }), 'grant:app/ledger/ledger_reader');
    expect({ select: await can('SELECT'), insert: await can('INSERT') }).toEqual({ select: true, insert: false });

    const readWrite: ObjectSpec = { ...readOnly, privilege: 'READ_WRITE' };
    expectSuccess(await request('Update', readWrite, { physicalResourceId: 'grant:app/ledger/ledger_reader', oldSpec: readOnly, logicalResourceId: 'Grant' }), 'grant:app/ledger/ledger_reader');
    expect({ select: await can('SELECT'), insert: await can('INSERT') }).toEqual({ select: true, insert: true });

    expectSuccess(await request('Create', readWrite, { logicalResourceId: 'Grant' }), 'grant:app/ledger/ledger_reader');
    expect(await can('INSERT')).toBe(true);

    expectSuccess(await request('Delete', readWrite, { physicalResourceId: 'grant:app/ledger/ledger_reader', logicalResourceId: 'Grant' }), 'grant:app/ledger/ledger_reader');
    expect({ select: await can('SELECT'), insert: await can('INSERT') }).toEqual({ select: false, insert: false });
  });

  test('extension pg_stat_statements: Create, Update in place, Create again, Delete', async () => {
    const extension: ObjectSpec = { kind: 'extension', database: 'app', name: 'pg_stat_statements' };
    const id = 'extension:app/pg_stat_statements';
    const owner = () => inspect('app', async (c) => (await c.query("SELECT pg_get_userbyid(extowner) AS owner FROM pg_extension WHERE extname = 'pg_stat_statements'")).rows[0]?.owner);
    // GIVEN the extension RDS's parameter group preloads, already created (the harness did, as superuser: vanilla
    // PostgreSQL lets only a superuser create this untrusted extension, RDS lets rds_superuser)
    expect(await owner()).toBe('postgres');

    expectSuccess(await request('Create', extension, { logicalResourceId: 'Statements' }), id);
    expectSuccess(await request('Update', extension, { physicalResourceId: id, oldSpec: extension, logicalResourceId: 'Statements' }), id);
    expectSuccess(await request('Create', extension, { logicalResourceId: 'Statements' }), id);
    expect(await owner()).toBe('postgres');

    // On RDS the master owns what it created through rds_superuser: the harness gives the extension to the master
    // (a catalog update only a superuser can make), then the Delete drops it as its owner.
    await inspect('app', (c) => c.query(`UPDATE pg_extension SET extowner = $1::regrole WHERE extname = 'pg_stat_statements'`, [rds.masterUser]));
    expectSuccess(await request('Delete', extension, { physicalResourceId: id, logicalResourceId: 'Statements' }), id);
    expect(await owner()).toBeUndefined();
    // and a Delete of a missing extension succeeds (CloudFormation may repeat one)
    expectSuccess(await request('Delete', extension, { physicalResourceId: id, logicalResourceId: 'Statements' }), id);
  });

  test('extension citext (trusted, created by the master): Create, Update in place, Create again, Delete', async () => {
    const extension: ObjectSpec = { kind: 'extension', database: 'app', name: 'citext' };
    const id = 'extension:app/citext';
    const owner = () => inspect('app', async (c) => (await c.query("SELECT pg_get_userbyid(extowner) AS owner FROM pg_extension WHERE extname = 'citext'")).rows[0]?.owner);
    expect(await owner()).toBeUndefined();

    expectSuccess(await request('Create', extension, { logicalResourceId: 'Citext' }), id);
    expect(await owner()).toBe(rds.masterUser);
    expectSuccess(await request('Update', extension, { physicalResourceId: id, oldSpec: extension, logicalResourceId: 'Citext' }), id);
    expectSuccess(await request('Create', extension, { logicalResourceId: 'Citext' }), id);
    expect(await owner()).toBe(rds.masterUser);
    expectSuccess(await request('Delete', extension, { physicalResourceId: id, logicalResourceId: 'Citext' }), id);
    expect(await owner()).toBeUndefined();
  });
});

describe('secrets', () => {
  test('no password appears in any answer or in anything written to the console, stdout or stderr', async () => {
    // GIVEN failures with the passwords at hand: a login role from its secret whose Create fails, and the master's
    // login refused without TLS (the server demands it, as rds.force_ssl=1 does)
    const refused = await request('Create', role('leak_probe', { login: true, secretArn: roleSecretArn, memberOf: ['missing_group'] }));
    expect(refused.answer.body.Status).toBe('FAILED');
    const plain = await request('Create', role('leak_probe'), { env: { DB_SSL: 'disable' } });
    expect(plain.answer.body.Status).toBe('FAILED');

    // THEN, over every invocation of this file
    expect(responder.answers.length).toBeGreaterThan(20);
    expect(output.length).toBeGreaterThan(20);
    for (const secret of [MASTER_PASSWORD, ROLE_PASSWORD]) {
      for (const answer of responder.answers) expect(answer.raw).not.toContain(secret);
      for (const line of output) expect(line).not.toContain(secret);
    }
    for (const answer of responder.answers) expect(answer.body.Data).toEqual({});
  });
});
