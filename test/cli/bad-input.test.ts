/**
 * The CLI's bad-input battery, as test/bad-input.test.ts is the constructs': db-playbook run
 * the way an operator runs it, the bundled bin under plain node in its own process (bundled here
 * from the sources, as `npm run bundle` bundles assets/cli/db-playbook.js, whose freshness
 * cli.test.ts checks), with a wrong instance, region,
 * flag value or command, without or with expired credentials, throttled, with AWS or the
 * database out of reach. Each case asserts:
 * - the exact exit code (cli/errors.ts EXIT; each command's --help documents the ones it ends with),
 * - the whole of stderr: a message naming the flag, the value and what is allowed, or the AWS
 *   problem and what to do; no stack trace, no SDK internals; nothing on stdout (with --json: the
 *   error document only),
 * - nothing changed in AWS: moto's state (instances, snapshots, automated backups, proxies and
 *   their targets, tags, buckets, secrets) is the same after the case as before, and every call
 *   the CLI sent was a read (a recording proxy in front of moto).
 *
 * Real parts: moto with a seeded deployment (test/support/seed-deployment.ts) behind
 * test/support/aws-gaps-proxy.ts (what moto 5.2 lacks: AWS Backup listings, RestoreWindow,
 * replicated backups, and an unreachable region), the AWS SDK's own credential chain and SSO
 * token cache, closed and silent TCP ports for a database out of reach. Stubbed, because moto
 * accepts any credentials and never throttles: AWS's ExpiredToken answer (in each protocol's
 * error shape) and ThrottlingException on every attempt until the SDK's retries run out.
 *
 * A case with a comment above it guards a defect it found (it failed before the fix).
 */
import {
  CreateDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetsCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../cli/program';
import { AwsGapsProxy, startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { fakeIo } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { freePort } from '../support/postgres-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

const ROOT = path.resolve(__dirname, '..', '..');
const REGIONS = ['us-east-1', 'us-west-2'];
const DAY = 24 * 3600_000;

// --- the CLI in its own process ------------------------------------------------------------------

interface Spawned { readonly status: number | null; readonly stdout: string; readonly stderr: string }

/** cli/bin.ts bundled into `outfile` with the settings of scripts/bundle-handlers.mjs (CLI). */
async function bundleCli(outfile: string): Promise<void> {
  await esbuild.build({
    absWorkingDir: ROOT, entryPoints: [path.join('cli', 'bin.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } }, external: ['pg-native'], logLevel: 'silent',
  });
}

/** Runs the bundled db-playbook with exactly `env` (no variable of this process leaks in). */
function spawnCli(bin: string, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

// --- what the CLI sends to AWS -------------------------------------------------------------------

/** A call as the recording proxy saw it: `<service> <operation>` (query Action, JSON target, or REST method and path). */
interface Call { readonly service: string; readonly operation: string; readonly method: string }

/** Whether a call only reads: Describe*, List*, Get* (and REST GET / HEAD). */
function isRead(c: Call): boolean {
  if (c.operation.includes(' ')) return c.method === 'GET' || c.method === 'HEAD';
  return /^(Describe|List|Get|Head)/.test(c.operation.replace(/^[A-Za-z0-9_]+\./, ''));
}

/** A proxy in front of `upstream` recording every call (region and service from the SigV4 credential scope). */
async function recordingProxy(upstream: string): Promise<{ url: string; calls: Call[]; close: () => Promise<void> }> {
  const calls: Call[] = [];
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
      const action = new URLSearchParams(body.toString('utf8')).get('Action');
      const amzTarget = req.headers['x-amz-target'];
      const operation = action ?? (typeof amzTarget === 'string' ? amzTarget : `${req.method} ${new URL(req.url ?? '/', 'http://proxy').pathname}`);
      calls.push({ service: `${scope?.[1] ?? '?'} ${scope?.[2] ?? '?'}`, operation, method: req.method ?? '' });
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      out.on('error', () => req.socket.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * An endpoint answering every AWS request with the error `code`, in the shape of the request's
 * protocol (JSON 1.1 for Secrets Manager and KMS, RDS's query XML otherwise), so the real SDK
 * parses it as it parses AWS's. Counts the requests.
 */
async function errorEndpoint(code: string, status: number, message: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    if (String(req.headers['content-type'] ?? '').includes('x-amz-json')) {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }).end(JSON.stringify({ __type: code, message }));
    } else {
      res.writeHead(status, { 'content-type': 'text/xml' })
        .end(`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>stub</RequestId></ErrorResponse>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// --- moto's state --------------------------------------------------------------------------------

/**
 * Everything a command could change, read from moto directly (not through the proxies), tags
 * included (TagList; ListTagsForResource for proxies). Not LatestRestorableTime: RDS (and moto)
 * move it forward on their own.
 */
async function awsState(moto: MotoServer): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const region of REGIONS) {
    const rds = new RDSClient(awsClientConfig(moto.endpoint, region));
    try {
      const instances = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
      const snapshots = [
        ...(await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [],
        ...(await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'awsbackup' }))).DBSnapshots ?? [],
      ];
      const proxies = (await rds.send(new DescribeDBProxiesCommand({}))).DBProxies ?? [];
      state[`${region} DescribeDBInstances`] = instances.map((i) => ({ ...i, LatestRestorableTime: undefined }));
      state[`${region} DescribeDBSnapshots`] = snapshots;
      state[`${region} DescribeDBInstanceAutomatedBackups`] = (await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({}))).DBInstanceAutomatedBackups;
      state[`${region} DescribeDBProxies`] = proxies;
      for (const p of proxies) {
        state[`${region} DescribeDBProxyTargets ${p.DBProxyName}`] = (await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: p.DBProxyName }))).Targets;
      }
      for (const p of proxies) state[`ListTagsForResource ${p.DBProxyArn}`] = (await rds.send(new ListTagsForResourceCommand({ ResourceName: p.DBProxyArn }))).TagList;
      const sm = new SecretsManagerClient(awsClientConfig(moto.endpoint, region));
      state[`${region} ListSecrets`] = ((await sm.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => ({ ...s, LastAccessedDate: undefined }));
      sm.destroy();
    } finally {
      rds.destroy();
    }
  }
  const s3 = new S3Client({ ...awsClientConfig(moto.endpoint), forcePathStyle: true });
  state.ListBuckets = (await s3.send(new ListBucketsCommand({}))).Buckets;
  s3.destroy();
  return state;
}

// --- the fixtures --------------------------------------------------------------------------------

let moto: MotoServer;
let seeded: SeededDeployment;
let gaps: AwsGapsProxy;
/** The same, with us-west-2 unreachable. */
let westDown: AwsGapsProxy;
let recorder: Awaited<ReturnType<typeof recordingProxy>>;
let westDownRecorder: Awaited<ReturnType<typeof recordingProxy>>;
let expired: Awaited<ReturnType<typeof errorEndpoint>>;
let expiredJson: Awaited<ReturnType<typeof errorEndpoint>>;
let throttled: Awaited<ReturnType<typeof errorEndpoint>>;
let silent: net.Server;
const silentSockets = new Set<net.Socket>();
let home: string;
let bin: string;
/** Values the cases name as `{NAME}`. */
const fixtures: Record<string, string> = {};

/** `text` with each `{NAME}` replaced by its fixture. */
function fill(text: string): string {
  return text.replace(/\{([A-Z_]+)\}/g, (whole, name: string) => fixtures[name] ?? whole);
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-home-'));
  bin = path.join(home, 'db-playbook.js');
  await bundleCli(bin);
  // inspect's SQL parser loads its WebAssembly from beside the bundle, as scripts/bundle-handlers.mjs ships it.
  fs.copyFileSync(path.join(ROOT, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm'), path.join(home, 'libpg-query.wasm'));
  moto = await startMoto();
  seeded = await seedDeployment(moto.endpoint);
  const rds = new RDSClient(seeded.clientConfig());
  await rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: 'nobackup-db', Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.t4g.micro',
    AllocatedStorage: 20, MasterUsername: 'postgres', MasterUserPassword: 'password-0123', BackupRetentionPeriod: 0,
  }));
  rds.destroy();
  const sm = new SecretsManagerClient(seeded.clientConfig());
  const notDb = await sm.send(new CreateSecretCommand({ Name: 'playbook/api-token', SecretString: 'tok_0123456789' }));
  sm.destroy();

  const earliestRestorableTime = new Date(Date.now() - 3 * DAY);
  gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime });
  westDown = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime, unreachableRegions: ['us-west-2'] });
  recorder = await recordingProxy(gaps.url);
  westDownRecorder = await recordingProxy(westDown.url);
  expired = await errorEndpoint('ExpiredToken', 403, 'The security token included in the request is expired');
  expiredJson = await errorEndpoint('ExpiredTokenException', 400, 'The security token included in the request is expired');
  throttled = await errorEndpoint('Throttling', 400, 'Rate exceeded');
  // A database that accepts the connection and never answers.
  silent = net.createServer((socket) => { silentSockets.add(socket); socket.once('close', () => silentSockets.delete(socket)); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));

  // HOME: a config file with an SSO profile whose cached token expired, and a profile whose region is a typo.
  fs.mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
  fs.writeFileSync(path.join(home, '.aws', 'config'), [
    '[profile prod-sso]', 'sso_session = corp', 'sso_account_id = 123456789012', 'sso_role_name = Admin', 'region = us-east-1', '',
    '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1', 'sso_registration_scopes = sso:account:access', '',
    '[profile typo]', 'region = useast1', '',
  ].join('\n'));
  fs.writeFileSync(path.join(home, '.aws', 'credentials'), '');
  // The SDK's SSO token cache: <sha1 of the session name>.json, as `aws sso login` writes it.
  fs.writeFileSync(path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`), JSON.stringify({
    accessToken: 'expired', expiresAt: '2020-01-01T00:00:00Z', region: 'us-east-1', startUrl: 'https://corp.awsapps.com/start',
  }));

  Object.assign(fixtures, {
    HOME: home,
    CLOSED: String(await freePort()),
    SILENT: String((silent.address() as net.AddressInfo).port),
    NOT_A_DB_SECRET: notDb.ARN!,
    MISSING_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:playbook/nosuch-AbCdEf',
    PRIMARY_KEY: seeded.kms.primary.arn,
  });
}, 180_000);

afterAll(async () => {
  for (const close of [recorder?.close, westDownRecorder?.close, gaps?.close, westDown?.close, expired?.close, expiredJson?.close, throttled?.close]) await close?.();
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await moto?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

// --- the cases -----------------------------------------------------------------------------------

/** Where the CLI's AWS requests go. */
type Aws = 'moto' | 'moto, us-west-2 unreachable' | 'ExpiredToken stub' | 'ExpiredTokenException stub' | 'Throttling stub' | 'closed port';

interface Case {
  /** What is wrong: the test is `fails when <when>`. */
  readonly when: string;
  readonly argv: readonly string[];
  /** Changes to the environment (undefined: unset). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default 'moto' */
  readonly aws?: Aws;
  readonly exit: 1 | 2;
  /** The whole of stderr (`{NAME}` filled in), or a pattern for what has a time in it. */
  readonly stderr: string | RegExp;
  /** With --json: the error document's code. */
  readonly jsonCode?: string;
}

/** The environment of every case: moto's credentials and region, nothing of this process. */
function caseEnv(c: Case, endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, '.aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing',
  };
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = fill(v);
  }
  return env;
}

const NO_CREDENTIALS = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
const EXPIRED = { AWS_ACCESS_KEY_ID: 'ASIAEXPIRED', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'old' };
const USAGE = '\n(run with --help for usage)\n';
const REGION_SHAPE = 'an AWS region name: lower case, <area>-<direction>-<number>, such as us-west-2, eu-central-1 or ap-southeast-2';
const TIME_FORMATS = 'ISO 8601 with an offset (2026-03-14T13:44:59Z, 2026-03-14T14:44:59+01:00) '
  + 'or a PostgreSQL log time (2026-03-14 13:44:59 UTC, 2026-03-14 13:44:59.123 UTC, 2026-03-14 13:44:59+00)';
const NO_CREDENTIALS_MESSAGE = 'db-playbook: no AWS credentials found (Could not load credentials from any providers)\n'
  + 'hint: set AWS_PROFILE or pass --profile (for an SSO profile, run `aws sso login --profile <name>` first), '
  + 'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)\n';
const EXPIRED_HINT = 'hint: refresh them: `aws sso login` for an SSO profile, or new temporary credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN '
  + '(the ones in the environment win over the profile: unset them to use the profile)\n';
const THROTTLED_HINT = 'hint: AWS limits the rate of API requests per account and region, shared with everything else calling it there '
  + '(the console, scripts, CloudFormation): wait a minute, then run the command again\n';
const SSO_EXPIRED = 'db-playbook: the AWS SSO session of profile \'prod-sso\' has expired (Value not present for \'clientId\' in SSO Token. Cannot refresh. '
  + 'To refresh this SSO session run \'aws sso login\' with the corresponding profile.)\nhint: run `aws sso login --profile prod-sso`, then the command again\n';

const CASES: readonly Case[] = [
  // --- the program --------------------------------------------------------------------------------
  { when: 'the command is unknown, with --help', argv: ['nosuch', '--help'], exit: 2, stderr: `error: unknown command 'nosuch'${USAGE}` },
  { when: 'help is asked for an unknown command', argv: ['help', 'restroe'], exit: 2, stderr: `error: unknown command 'restroe'\n(Did you mean restore?)${USAGE}` },
  { when: 'the command is unknown, with --json', argv: ['nosuch', '--json'], exit: 2, stderr: `error: unknown command 'nosuch'${USAGE}`, jsonCode: 'usage' },
  { when: '--region is not a region name', argv: ['--region', 'useast1', 'doctor', '--instance', 'playbook-db'], exit: 2, stderr: `db-playbook: --region must be ${REGION_SHAPE} (got "useast1")\n` },

  // --- recovery-points ----------------------------------------------------------------------------
  { when: '--source names no instance', argv: ['recovery-points', '--source', 'nosuch-db'], exit: 2, stderr: "db-playbook: no DB instance 'nosuch-db' in us-east-1: check --source and --region\n" },
  { when: 'the instance is in another region than --region', argv: ['recovery-points', '--source', 'playbook-db', '--region', 'us-west-2'], exit: 2, stderr: "db-playbook: no DB instance 'playbook-db' in us-west-2: check --source and --region\n" },
  { when: '--source is empty (it would list the first instance of the region)', argv: ['recovery-points', '--source', ''], exit: 2, stderr: "db-playbook: --source '' is not a DB instance identifier: it must be 1-63 characters (got 0)\n" },
  { when: '--source is missing', argv: ['recovery-points'], exit: 2, stderr: `error: required option '--source <id>' not specified${USAGE}` },
  { when: '--regions names a region that is not one', argv: ['recovery-points', '--source', 'playbook-db', '--regions', 'us-west-2,mars'], exit: 2, stderr: `db-playbook: --regions must be ${REGION_SHAPE} (got "mars")\n` },
  { when: 'no region is known (no --region, AWS_REGION or profile region)', argv: ['recovery-points', '--source', 'playbook-db'], env: { AWS_REGION: undefined }, exit: 2, stderr: `db-playbook: no AWS region: pass --region, set AWS_REGION, or set region in profile 'default' ({HOME}/.aws/config)\n` },
  { when: 'the profile\'s region is not a region name', argv: ['recovery-points', '--source', 'playbook-db'], env: { AWS_REGION: undefined, AWS_PROFILE: 'typo' }, exit: 2, stderr: `db-playbook: the region of profile 'typo' ({HOME}/.aws/config) must be ${REGION_SHAPE} (got "useast1")\n` },
  { when: 'there are no credentials', argv: ['recovery-points', '--source', 'playbook-db'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE },
  { when: 'the SSO session of --profile has expired (its region from the profile)', argv: ['--profile', 'prod-sso', 'recovery-points', '--source', 'playbook-db'], env: { ...NO_CREDENTIALS, AWS_REGION: undefined }, exit: 1, stderr: SSO_EXPIRED },
  { when: 'AWS answers ExpiredToken', argv: ['recovery-points', '--source', 'playbook-db'], env: EXPIRED, aws: 'ExpiredToken stub', exit: 1, stderr: `db-playbook: AWS refused the credentials as expired (ExpiredToken: The security token included in the request is expired)\n${EXPIRED_HINT}` },
  { when: 'AWS throttles every attempt', argv: ['recovery-points', '--source', 'playbook-db'], aws: 'Throttling stub', exit: 1, stderr: `db-playbook: AWS throttled the request after 3 attempts (Throttling: Rate exceeded)\n${THROTTLED_HINT}` },
  { when: 'AWS cannot be reached', argv: ['recovery-points', '--source', 'playbook-db'], aws: 'closed port', exit: 1, stderr: 'db-playbook: cannot reach AWS at 127.0.0.1:{CLOSED} after 3 attempts (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:{CLOSED})\n'
    + 'hint: check the network (VPN, proxy, firewall) and AWS_ENDPOINT_URL (http://127.0.0.1:{CLOSED}), where every request goes\n' },
  { when: 'a region of --regions cannot be reached', argv: ['recovery-points', '--source', 'playbook-db', '--regions', 'us-west-2'], aws: 'moto, us-west-2 unreachable', exit: 1, stderr: 'db-playbook: cannot reach AWS after 3 attempts (ECONNRESET: socket hang up)\n'
    + 'hint: check the network (VPN, proxy, firewall) and AWS_ENDPOINT_URL ({ENDPOINT}), where every request goes\n' },

  // --- copy ---------------------------------------------------------------------------------------
  { when: '--snapshot names no snapshot', argv: ['copy', '--snapshot', 'nosuch-snap', '--to-region', 'us-west-2'], exit: 2, stderr: "db-playbook: no DB snapshot 'nosuch-snap' in us-east-1: check --snapshot (and --region, or give its ARN)\n" },
  { when: 'the snapshot is in another region than --region', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--region', 'us-west-2', '--to-region', 'eu-west-1'], exit: 2, stderr: "db-playbook: no DB snapshot 'playbook-db-manual-1' in us-west-2: check --snapshot (and --region, or give its ARN)\n" },
  { when: '--snapshot is empty (the first snapshot of the region would be copied)', argv: ['copy', '--snapshot', '', '--to-region', 'us-west-2'], exit: 2, stderr: "db-playbook: --snapshot '' is not a DB snapshot identifier or ARN: it must be 1-255 characters (got 0)\n" },
  { when: '--snapshot is an ARN of something else', argv: ['copy', '--snapshot', 'arn:aws:s3:::playbook-blobs-us-east-1', '--to-region', 'us-west-2'], exit: 2, stderr: 'db-playbook: --snapshot arn:aws:s3:::playbook-blobs-us-east-1 is not a DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>)\n' },
  { when: '--to-region is the snapshot\'s own region', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-east-1'], exit: 2, stderr: "db-playbook: --to-region us-east-1 is the snapshot's own region: copy is for cross-region copies\n" },
  { when: '--to-region is missing', argv: ['copy', '--snapshot', 'playbook-db-manual-1'], exit: 2, stderr: `error: required option '--to-region <region>' not specified${USAGE}` },
  { when: '--kms-key is a key of another region', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', '{PRIMARY_KEY}'], exit: 2, stderr: 'db-playbook: --kms-key {PRIMARY_KEY} is in us-east-1: a copy in us-west-2 must be encrypted with a key of us-west-2\n' },
  { when: '--kms-key names no key', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', 'alias/nosuch'], exit: 2, stderr: 'db-playbook: --kms-key alias/nosuch: no such KMS key in us-west-2\n' },
  { when: '--kms-key is not a way to name a key', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', 'prod-key'], exit: 2, stderr: "db-playbook: --kms-key 'prod-key' is not a KMS key: give a key ARN, a key id (1234abcd-12ab-34cd-56ef-1234567890ab), an alias ARN or alias/<name>\n" },
  { when: '--kms-key is empty (it was ignored, and the copy made with another key)', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--kms-key', ''], exit: 2, stderr: "db-playbook: --kms-key '' is not a KMS key: give a key ARN, a key id (1234abcd-12ab-34cd-56ef-1234567890ab), an alias ARN or alias/<name>\n" },
  { when: '--target-id is taken in the destination region', argv: ['copy', '--snapshot', 'playbook-db-manual-2', '--to-region', 'us-west-2', '--target-id', 'playbook-db-manual-2-us-west-2'], exit: 2, stderr: "db-playbook: a snapshot 'playbook-db-manual-2-us-west-2' already exists in us-west-2: pass another --target-id\n" },
  { when: '--target-id is not a snapshot identifier', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--target-id', 'bad--id'], exit: 2, stderr: "db-playbook: --target-id 'bad--id' is not a valid DB snapshot identifier: it must not contain two consecutive hyphens\n" },
  { when: '--target-id is empty', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--target-id', ''], exit: 2, stderr: "db-playbook: --target-id '' is not a valid DB snapshot identifier: it must be 1-255 characters (got 0)\n" },
  { when: '--timeout is not a number', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2', '--wait', '--timeout', 'abc'], exit: 2, stderr: `error: option '--timeout <minutes>' argument 'abc' is invalid. must be a number of minutes greater than 0${USAGE}` },
  { when: 'AWS answers ExpiredToken', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2'], env: EXPIRED, aws: 'ExpiredToken stub', exit: 1, stderr: `db-playbook: AWS refused the credentials as expired (ExpiredToken: The security token included in the request is expired)\n${EXPIRED_HINT}` },
  { when: 'there are no credentials', argv: ['copy', '--snapshot', 'playbook-db-manual-1', '--to-region', 'us-west-2'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE },

  // --- doctor -------------------------------------------------------------------------------------
  { when: '--instance names no instance', argv: ['doctor', '--instance', 'nosuch-db'], exit: 2, stderr: 'db-playbook: no DB instance "nosuch-db" in us-east-1: check --instance (the DB instance identifier, not a cluster or stack name) and --region\n' },
  { when: '--instance names no instance, with --json', argv: ['doctor', '--instance', 'nosuch-db', '--json'], exit: 2, stderr: 'db-playbook: no DB instance "nosuch-db" in us-east-1: check --instance (the DB instance identifier, not a cluster or stack name) and --region\n', jsonCode: 'usage' },
  { when: 'the instance is in another region than AWS_REGION', argv: ['doctor', '--instance', 'playbook-db'], env: { AWS_REGION: 'us-west-2' }, exit: 2, stderr: 'db-playbook: no DB instance "playbook-db" in us-west-2: check --instance (the DB instance identifier, not a cluster or stack name) and --region\n' },
  { when: '--instance is empty (it would audit the first instance of the region)', argv: ['doctor', '--instance', ''], exit: 2, stderr: "db-playbook: --instance '' is not a DB instance identifier: it must be 1-63 characters (got 0)\n" },
  { when: '--instance has no value', argv: ['doctor', '--instance'], exit: 2, stderr: `error: option '--instance <id>' argument missing${USAGE}` },
  { when: 'an argument is given (doctor takes options only)', argv: ['doctor', 'playbook-db'], exit: 2, stderr: `error: unexpected argument 'playbook-db': 'db-playbook doctor' takes options only${USAGE}` },
  { when: '--proxy names no proxy', argv: ['doctor', '--instance', 'playbook-db', '--proxy', 'nosuch-proxy'], exit: 2, stderr: 'db-playbook: no RDS Proxy "nosuch-proxy" in us-east-1: check --proxy\n' },
  { when: '--proxy is empty (it would check every proxy)', argv: ['doctor', '--instance', 'playbook-db', '--proxy', ''], exit: 2, stderr: "db-playbook: --proxy '' names no RDS Proxy: give the proxy's name, or leave --proxy out to check every proxy that targets the instance\n" },
  { when: '--buckets names no bucket', argv: ['doctor', '--instance', 'playbook-db', '--buckets', 'playbook-blobs-nosuch'], exit: 2, stderr: 'db-playbook: no S3 bucket "playbook-blobs-nosuch": check --buckets\n' },
  { when: '--buckets holds no name', argv: ['doctor', '--instance', 'playbook-db', '--buckets', ','], exit: 2, stderr: 'db-playbook: --buckets needs at least one bucket name (comma-separated)\n' },
  { when: '--dr-region is the instance\'s own region', argv: ['doctor', '--instance', 'playbook-db', '--dr-region', 'us-east-1'], exit: 2, stderr: "db-playbook: --dr-region us-east-1 is the instance's own region: name the region that holds the offsite copies\n" },
  { when: '--dr-region is not a region name', argv: ['doctor', '--instance', 'playbook-db', '--dr-region', 'oregon'], exit: 2, stderr: `db-playbook: --dr-region must be ${REGION_SHAPE} (got "oregon")\n` },
  { when: 'there are no credentials', argv: ['doctor', '--instance', 'playbook-db'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE.replace('(Could', '(DescribeDBInstances playbook-db in us-east-1: Could') },
  { when: 'AWS throttles every attempt', argv: ['doctor', '--instance', 'playbook-db'], aws: 'Throttling stub', exit: 1, stderr: `db-playbook: AWS throttled the request after 3 attempts (Throttling: DescribeDBInstances playbook-db in us-east-1: Rate exceeded)\n${THROTTLED_HINT}` },
  { when: 'the DR region cannot be reached', argv: ['doctor', '--instance', 'playbook-db', '--dr-region', 'us-west-2'], aws: 'moto, us-west-2 unreachable', exit: 1, stderr: /^db-playbook: cannot reach AWS after 3 attempts \(ECONNRESET: (DescribeDBInstanceAutomatedBackups|DescribeDBSnapshots (awsbackup)?|ListBackupVaults) in us-west-2: socket hang up\)\nhint: check the network \(VPN, proxy, firewall\) and AWS_ENDPOINT_URL \(http:\/\/127\.0\.0\.1:\d+\), where every request goes\n$/ },

  // --- restore ------------------------------------------------------------------------------------
  { when: '--source names no instance', argv: ['restore', '--source', 'nosuch-db', '--latest', '--target', 'nosuch-db-restored'], exit: 2, stderr: "db-playbook: no DB instance 'nosuch-db' in us-east-1: check --source and --region\n" },
  // It planned (and without --dry-run restored) the region's first instance: an empty DescribeDBInstances filter lists them all.
  { when: '--source is empty', argv: ['restore', '--source', '', '--latest', '--target', 'playbook-db-restored'], exit: 2, stderr: "db-playbook: no DB instance '' in us-east-1: check --source and --region\n" },
  { when: 'the source is in another region than --region', argv: ['--region', 'us-west-2', 'restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored'], exit: 2, stderr: "db-playbook: no DB instance 'playbook-db' in us-west-2: check --source and --region\n" },
  { when: '--to is not a time', argv: ['restore', '--source', 'playbook-db', '--to', 'yesterday', '--target', 'playbook-db-restored'], exit: 2, stderr: `db-playbook: --to: 'yesterday' is not a time with a time zone; accepted: ${TIME_FORMATS}\n` },
  { when: '--to has no time zone', argv: ['restore', '--source', 'playbook-db', '--to', '2026-03-14 13:44', '--target', 'playbook-db-restored'], exit: 2, stderr: `db-playbook: --to: '2026-03-14 13:44' is not a time with a time zone: it has no time zone (add Z or UTC for UTC, or an offset such as +01:00); accepted: ${TIME_FORMATS}\n` },
  { when: '--to is before the restorable window', argv: ['restore', '--source', 'playbook-db', '--to', '2020-01-01T00:00:00Z', '--target', 'playbook-db-restored'], exit: 2, stderr: /^db-playbook: --to 2020-01-01T00:00:00\.000Z is before the earliest restorable time: the restorable window of 'playbook-db' is \S+Z to \S+Z \(earliest from DescribeDBInstanceAutomatedBackups RestoreWindow\.EarliestTime\)\n$/ },
  { when: '--to and --latest are both given', argv: ['restore', '--source', 'playbook-db', '--to', '2026-03-14T13:44:59Z', '--latest', '--target', 'playbook-db-restored'], exit: 2, stderr: `error: option '--to <time>' cannot be used with option '--latest'${USAGE}` },
  { when: 'neither --to nor --latest is given', argv: ['restore', '--source', 'playbook-db', '--target', 'playbook-db-restored'], exit: 2, stderr: `db-playbook: give the time to restore to: --to <time> (${TIME_FORMATS}) or --latest\n` },
  { when: '--target is not an instance identifier', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', '1bad_id'], exit: 2, stderr: "db-playbook: --target '1bad_id' is not a valid DB instance identifier: it must start with a letter\n" },
  { when: '--target is the source', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db'], exit: 2, stderr: "db-playbook: --target 'playbook-db' is the source itself: a restore always creates a new instance\n" },
  { when: '--target is another instance', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-replica-1'], exit: 2, stderr: /^db-playbook: --target 'playbook-db-replica-1' is taken: an instance with that identifier exists in us-east-1 and is not a db-playbook restore of 'playbook-db'.*\. Choose another --target\n$/ },
  { when: 'the source has automated backups off', argv: ['restore', '--source', 'nobackup-db', '--latest', '--target', 'nobackup-db-restored'], exit: 2, stderr: "db-playbook: automated backups are off on 'nobackup-db' (BackupRetentionPeriod 0): there is no point in time to restore to; list snapshots with db-playbook recovery-points\n" },
  { when: '--timeout is 0', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--timeout', '0'], exit: 2, stderr: `error: option '--timeout <minutes>' argument '0' is invalid. must be a number of minutes greater than 0${USAGE}` },
  { when: '--cutover-proxy names no proxy', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--cutover-proxy', 'nosuch-proxy', '--verify-sql', 'SELECT 1', '--verify-url', 'postgresql://app@RESTORED/app?sslmode=require', '--dry-run'], exit: 2, stderr: "db-playbook: --cutover-proxy: no RDS Proxy 'nosuch-proxy' in us-east-1\n" },
  { when: 'a flag of the DR restore is given to an in-region one', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--db-subnet-group', 'playbook-dr-isolated'], exit: 2, stderr: "db-playbook: --db-subnet-group is only used with --from-replicated-backups (a restore in the DR region): an in-region restore copies the source's settings\n" },
  { when: '--verify-url is given without --verify-sql', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--verify-url', 'postgresql://app@RESTORED/app'], exit: 2, stderr: 'db-playbook: --verify-url is only used with --verify-sql\n' },
  { when: '--verify-sql would check the certificate without a CA bundle', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--verify-sql', 'SELECT 1', '--verify-url', 'postgresql://app@RESTORED/app'], exit: 2, stderr: /^db-playbook: --verify-sql: sslmode verify-full checks the restored instance's certificate, and no CA bundle is given: set PGSSLROOTCERT .*global-bundle\.pem.*\n$/ },
  { when: 'the DR restore names a subnet group the DR region lacks', argv: ['--region', 'us-west-2', 'restore', '--from-replicated-backups', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-dr', '--db-subnet-group', 'nosuch-group', '--vpc-security-group-ids', 'sg-0123456789abcdef0', '--db-parameter-group', 'playbook-dr-postgres17'], exit: 2, stderr: 'db-playbook: --db-subnet-group nosuch-group: no DB subnet group of that name in us-west-2\n' },
  { when: 'AWS answers ExpiredToken', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored'], env: EXPIRED, aws: 'ExpiredToken stub', exit: 1, stderr: `db-playbook: AWS refused the credentials as expired (ExpiredToken: The security token included in the request is expired)\n${EXPIRED_HINT}` },
  { when: 'AWS throttles every attempt', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored'], aws: 'Throttling stub', exit: 1, stderr: `db-playbook: AWS throttled the request after 3 attempts (Throttling: Rate exceeded)\n${THROTTLED_HINT}` },

  // An empty name was no filter (every proxy listed; moto answered HTTP 500, RDS would list them all).
  { when: '--cutover-proxy is empty', argv: ['restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored', '--cutover-proxy', '', '--verify-sql', 'SELECT 1', '--verify-url', 'postgresql://app@RESTORED/app?sslmode=require', '--dry-run'], exit: 2, stderr: "db-playbook: --cutover-proxy '' names no RDS Proxy: give the proxy's name\n" },
  // It said "no AWS region: pass --region or set AWS_REGION", though --help promises the profile's.
  { when: 'the SSO session of --profile has expired (its region from the profile)', argv: ['--profile', 'prod-sso', 'restore', '--source', 'playbook-db', '--latest', '--target', 'playbook-db-restored'], env: { ...NO_CREDENTIALS, AWS_REGION: undefined }, exit: 1, stderr: SSO_EXPIRED },

  // --- inspect ------------------------------------------------------------------------------------
  // An empty --secret-arn was ignored: inspect went to the PG* database instead.
  { when: '--secret-arn is empty', argv: ['inspect', '--secret-arn', ''], exit: 2, stderr: "db-playbook: --secret-arn '' names no secret: give the secret's ARN or name (the MonitoringSecretArn output)\n" },
  { when: 'the database port is closed', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1:{CLOSED}/app'], exit: 1, stderr: 'db-playbook: cannot connect to playbook_monitor@127.0.0.1:{CLOSED}/app: connect ECONNREFUSED 127.0.0.1:{CLOSED}\n' },
  { when: 'the database port is closed, with --json', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1:{CLOSED}/app', '--json'], exit: 1, stderr: 'db-playbook: cannot connect to playbook_monitor@127.0.0.1:{CLOSED}/app: connect ECONNREFUSED 127.0.0.1:{CLOSED}\n', jsonCode: 'failure' },
  { when: 'the database never answers', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1:{SILENT}/app', '--statement-timeout', '500'], exit: 1, stderr: 'db-playbook: cannot connect to playbook_monitor@127.0.0.1:{SILENT}/app: no connection within 500 ms\n' },
  { when: '--url is not a PostgreSQL URL', argv: ['inspect', '--url', 'https://playbook-db.example.com/app'], exit: 2, stderr: 'db-playbook: --url must start with postgresql:// (got https://)\n' },
  { when: '--sslmode is not a mode', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1:{CLOSED}/app', '--sslmode', 'on'], exit: 2, stderr: "db-playbook: --sslmode: sslmode 'on' is not one of disable, allow, prefer, require, verify-ca, verify-full\n" },
  { when: '--port is out of range', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1/app', '--port', '99999'], exit: 2, stderr: `error: option '--port <port>' argument '99999' is invalid. expected an integer from 1 to 65535 (got '99999')${USAGE}` },
  { when: '--min-rows is negative', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1/app', '--min-rows', '-5'], exit: 2, stderr: `error: option '--min-rows <n>' argument '-5' is invalid. expected an integer from 0 (got '-5')${USAGE}` },
  { when: '--fail-on names no rule', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1:{CLOSED}/app', '--fail-on', 'missing-indexes'], exit: 2, stderr: /^db-playbook: --fail-on: unknown rule 'missing-indexes'; the rules are missing-index, .* \(or all\)\n$/ },
  { when: '--url and --secret-arn are both given', argv: ['inspect', '--url', 'postgresql://playbook_monitor@127.0.0.1/app', '--secret-arn', '{MISSING_SECRET}'], exit: 2, stderr: 'db-playbook: give --url or --secret-arn, not both\n' },
  { when: '--secret-arn names no secret', argv: ['inspect', '--secret-arn', '{MISSING_SECRET}'], exit: 2, stderr: "db-playbook: secret {MISSING_SECRET} not found (Secrets Manager can't find the specified secret.)\n" },
  { when: '--secret-arn names a secret that is not a database\'s', argv: ['inspect', '--secret-arn', '{NOT_A_DB_SECRET}'], exit: 2, stderr: 'db-playbook: secret {NOT_A_DB_SECRET} is not a JSON object with username and password\n' },
  { when: 'an argument is given, with --help', argv: ['inspect', 'playbook-db', '--help'], exit: 2, stderr: `error: unexpected argument 'playbook-db': 'db-playbook inspect' takes options only${USAGE}` },
  { when: 'AWS answers ExpiredTokenException (Secrets Manager)', argv: ['inspect', '--secret-arn', '{MISSING_SECRET}'], env: EXPIRED, aws: 'ExpiredTokenException stub', exit: 1, stderr: `db-playbook: AWS refused the credentials as expired (ExpiredTokenException: The security token included in the request is expired)\n${EXPIRED_HINT}` },
  { when: 'there are no credentials for --secret-arn', argv: ['inspect', '--secret-arn', '{MISSING_SECRET}'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE },

  // --- logs ---------------------------------------------------------------------------------------
  { when: 'no --instance is given', argv: ['logs'], exit: 2, stderr: 'db-playbook: give --instance <id> (the DB instance whose log to read) or --file <path>\n' },
  { when: 'no --instance is given, with --json', argv: ['logs', '--since', '1h', '--json'], exit: 2, stderr: 'db-playbook: give --instance <id> (the DB instance whose log to read) or --file <path>\n', jsonCode: 'usage' },
  { when: '--instance is not an identifier', argv: ['logs', '--instance', 'playbook_db'], exit: 2, stderr: "db-playbook: --instance 'playbook_db' is not a DB instance identifier: it may contain only letters, digits and hyphens\n" },
  { when: '--instance names no instance', argv: ['logs', '--instance', 'nosuch-db'], exit: 2, stderr: "db-playbook: no DB instance 'nosuch-db' in us-east-1 (a cross-region replica: give its --region)\n" },
  { when: '--since is not a duration', argv: ['logs', '--instance', 'playbook-db', '--since', '24hours'], exit: 2, stderr: "db-playbook: --since must be a duration such as 30m, 24h or 7d (a number > 0 and one of s, m, h, d, w; got '24hours')\n" },
  { when: '--since is zero', argv: ['logs', '--instance', 'playbook-db', '--since', '0h'], exit: 2, stderr: "db-playbook: --since must be a duration such as 30m, 24h or 7d (a number > 0 and one of s, m, h, d, w; got '0h')\n" },
  { when: '--from is after --to', argv: ['logs', '--instance', 'playbook-db', '--from', '2026-03-14T12:00Z', '--to', '2026-03-14T11:00Z'], exit: 2, stderr: 'db-playbook: --from 2026-03-14T12:00:00.000Z is not before --to 2026-03-14T11:00:00.000Z\n' },
  { when: '--from has no time zone', argv: ['logs', '--instance', 'playbook-db', '--from', '2026-03-14 12:00', '--to', '2026-03-14T13:00Z'], exit: 2, stderr: /^db-playbook: --from '2026-03-14 12:00' is not a time with a time zone: it has no time zone \(add Z or UTC for UTC, or an offset such as \+01:00\); accepted: .*\n$/ },
  { when: '--since and --from are both given', argv: ['logs', '--instance', 'playbook-db', '--since', '2h', '--from', '2026-03-14T12:00Z'], exit: 2, stderr: 'db-playbook: give --since or --from (with --to), not both\n' },
  { when: '--to is given without --from', argv: ['logs', '--instance', 'playbook-db', '--to', '2026-03-14T12:00Z'], exit: 2, stderr: 'db-playbook: --to needs --from (or --since, counted back from --to)\n' },
  { when: '--temp-file-min is not a size', argv: ['logs', '--instance', 'playbook-db', '--temp-file-min', '10XB'], exit: 2, stderr: "db-playbook: --temp-file-min must be a size such as 0, 512kB, 10MB or 1GB (got '10XB')\n" },
  { when: '--top is 0', argv: ['logs', '--instance', 'playbook-db', '--top', '0'], exit: 2, stderr: `error: option '--top <n>' argument '0' is invalid. expected an integer from 1 to 1000 (got '0')${USAGE}` },
  { when: '--include-query-text is given without --json', argv: ['logs', '--instance', 'playbook-db', '--include-query-text'], exit: 2, stderr: 'db-playbook: --include-query-text is for --json (the text report always shows statements normalized)\n' },
  { when: '--file does not exist', argv: ['logs', '--file', '/nonexistent/postgresql.log'], exit: 2, stderr: 'db-playbook: --file /nonexistent/postgresql.log: no such file\n' },
  { when: 'there are no credentials', argv: ['logs', '--instance', 'playbook-db'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE },
  // --- upgrade ------------------------------------------------------------------------------------
  { when: 'no --instance is given', argv: ['upgrade', '--target-version', '18.1'], exit: 2, stderr: `error: required option '--instance <id>' not specified${USAGE}` },
  { when: 'no --target-version is given', argv: ['upgrade', '--instance', 'playbook-db'], exit: 2, stderr: `error: required option '--target-version <version>' not specified${USAGE}` },
  { when: '--instance is not an identifier', argv: ['upgrade', '--instance', 'playbook_db', '--target-version', '18.1'], exit: 2, stderr: "db-playbook: --instance 'playbook_db' is not a DB instance identifier: it may contain only letters, digits and hyphens\n" },
  { when: '--target-version is a major version only', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18'], exit: 2,
    stderr: "db-playbook: --target-version '18' is not an RDS for PostgreSQL version: give <major>.<minor> as RDS lists it, such as 18.1 (aws rds describe-db-engine-versions --engine postgres --engine-version <current version> lists the valid targets)\n" },
  { when: '--target-version is not a version, with --json', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', 'latest', '--json'], exit: 2,
    stderr: "db-playbook: --target-version 'latest' is not an RDS for PostgreSQL version: give <major>.<minor> as RDS lists it, such as 18.1 (aws rds describe-db-engine-versions --engine postgres --engine-version <current version> lists the valid targets)\n", jsonCode: 'usage' },
  { when: 'no database user for the prechecks', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1'], exit: 2,
    stderr: "db-playbook: upgrade's prechecks needs a database user: give --db-url postgresql://user:password@INSTANCE/dbname or set PGUSER (and PGPASSWORD)\n" },
  { when: '--instance names no instance', argv: ['upgrade', '--instance', 'nosuch-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable'], exit: 2, stderr: 'db-playbook: no DB instance "nosuch-db" in us-east-1: check --instance and --region (nothing was changed)\n' },
  { when: '--target-version is the version it runs', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '17.9', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable'], exit: 2, stderr: 'db-playbook: playbook-db runs 17.9 already: give a newer --target-version (nothing was changed)\n' },
  { when: '--switchover is given without --verify-sql or --skip-verify', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable', '--switchover', '--yes'], exit: 2,
    stderr: 'db-playbook: --switchover needs --verify-sql <sql>: production moves to green only after a check of its data passed (e.g. --verify-sql "SELECT count(*) FROM orders"). To switch over unverified, add --skip-verify\n' },
  { when: '--switchover is given without --yes and stdin is not a terminal', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable', '--switchover', '--skip-verify'], exit: 2,
    stderr: "db-playbook: --switchover moves production to the upgraded instance: confirm with --yes (stdin is not a terminal, so the command cannot ask you to type the instance's name). Nothing was changed\n" },
  { when: '--yes is given without --switchover', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable', '--yes'], exit: 2, stderr: 'db-playbook: --yes is only used with --switchover\n' },
  { when: '--switchover-timeout is out of range', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--switchover-timeout', '10'], exit: 2,
    stderr: `error: option '--switchover-timeout <seconds>' argument '10' is invalid. must be a whole number of seconds from 30 to 3600 (SwitchoverBlueGreenDeployment's range)${USAGE}` },
  { when: '--verify-sql holds two statements', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable', '--verify-sql', 'SELECT 1; SELECT 2'], exit: 2,
    stderr: /^db-playbook: --verify-sql must be one SQL statement, and it holds 2: .*\(nothing was changed\)\n$/ },
  { when: '--target-parameter-group is empty', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--target-parameter-group', ''], exit: 2, stderr: /^db-playbook: --target-parameter-group '' is not a parameter group name: it .*\n$/ },
  { when: 'the database cannot be reached for the prechecks', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable'], exit: 1,
    stderr: 'db-playbook: the prechecks could not read the database on 127.0.0.1:{CLOSED}/app: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:{CLOSED}. Nothing was changed\n' },
  { when: 'there are no credentials', argv: ['upgrade', '--instance', 'playbook-db', '--target-version', '18.1', '--db-url', 'postgresql://app@127.0.0.1:{CLOSED}/app?sslmode=disable'], env: NO_CREDENTIALS, exit: 1, stderr: NO_CREDENTIALS_MESSAGE },
];

/** The command a case runs (`db-playbook` when it names none, or an unknown one). */
function commandOf(c: Case): string {
  const words = [...c.argv];
  while (words[0] === '--region' || words[0] === '--profile') words.splice(0, 2);
  return ['restore', 'recovery-points', 'copy', 'doctor', 'inspect', 'logs', 'upgrade'].includes(words[0]) ? words[0] : 'db-playbook';
}

describe.each(['db-playbook', 'recovery-points', 'copy', 'doctor', 'restore', 'inspect', 'logs', 'upgrade'])('%s', (command) => {
  const cases = CASES.filter((c) => commandOf(c) === command);

  test.each(cases.map((c) => [c.when, c.argv.map((w) => (w === '' || /\s/.test(w) ? `'${w}'` : w)).join(' '), c] as const))('fails when %s: db-playbook %s', async (_when, _argv, c) => {
    // GIVEN where its AWS requests go
    const aws = c.aws ?? 'moto';
    const stub = { 'ExpiredToken stub': expired, 'ExpiredTokenException stub': expiredJson, 'Throttling stub': throttled } as Record<string, typeof expired | undefined>;
    const record = aws === 'moto, us-west-2 unreachable' ? westDownRecorder : recorder;
    const endpoint = aws === 'closed port' ? `http://127.0.0.1:${fixtures.CLOSED}` : stub[aws]?.url ?? record.url;
    fixtures.ENDPOINT = endpoint;
    const requestsBefore = stub[aws]?.requests() ?? 0;
    record.calls.length = 0;
    const before = await awsState(moto);

    // WHEN the operator runs it
    const result = await spawnCli(bin, c.argv.map(fill), caseEnv(c, endpoint));

    // THEN the documented exit code, the message and nothing else
    expect(result.status).toBe(c.exit);
    if (typeof c.stderr === 'string') expect(result.stderr).toBe(fill(c.stderr));
    else expect(result.stderr).toMatch(c.stderr);
    expect(result.stderr).not.toMatch(/^\s+at |\b(TypeError|ReferenceError|CredentialsProviderError)\b|\$response|Deserialization error/m);
    if (c.jsonCode) {
      const doc = JSON.parse(result.stdout) as { command: string | null; error: unknown };
      expect(doc.command).toBe(command === 'db-playbook' ? null : command);
      const message = result.stderr.split('\n')[0].replace(/^(db-playbook|error): /, '');
      expect(doc.error).toEqual({ code: c.jsonCode, message, hint: null, exitCode: c.exit });
    } else {
      expect(result.stdout).toBe('');
    }
    // The stubs: the SDK gave up after its 3 attempts (cli/context.ts maxAttempts) of the first call.
    if (aws === 'Throttling stub') expect(throttled.requests() - requestsBefore).toBe(3);

    // AND nothing changed in AWS: every call a read, moto's state as before
    expect(record.calls.filter((call) => !isRead(call))).toEqual([]);
    expect(await awsState(moto)).toEqual(before);
  });
});

describe('the exit codes the cases assert are the ones --help documents', () => {
  test.each(['db-playbook', 'recovery-points', 'copy', 'doctor', 'restore', 'inspect', 'logs'])('%s --help', async (command) => {
    const io = fakeIo();
    expect(await main(command === 'db-playbook' ? ['--help'] : [command, '--help'], io)).toBe(0);
    const paragraph = io.out().split('\n\n').find((p) => p.includes('Exit codes'))?.replace(/\s+/g, ' ');
    expect(paragraph).toBeDefined();
    const documented = paragraph!.slice(paragraph!.indexOf('Exit codes'));
    for (const code of new Set(CASES.filter((c) => commandOf(c) === command).map((c) => c.exit))) {
      expect({ code, documented: new RegExp(`[:;,] ${code} `).test(documented) }).toEqual({ code, documented: true });
    }
  });
});
