/**
 * The db-playbook program as an operator meets it: --help for every command, exit codes for
 * mistakes, where the region comes from, and the committed bin (assets/cli/db-playbook.js,
 * built by `npm run bundle`) running under plain node.
 */
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { clientConfig } from '../../cli/context';
import { main, VERSION } from '../../cli/program';
import { suppressSdkNodeVersionWarning } from '../../cli/warnings';
import { fakeIo, FakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'assets', 'cli', 'db-playbook.js');
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What a spawned bin did. */
interface Spawned { readonly status: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }

/**
 * Runs the committed bin (`node assets/cli/db-playbook.js`) in its own process with exactly
 * `env` (plus PATH); `closeStdout` closes the read end of its stdout pipe at once, as
 * `| head -1` does after a line (the bin needs far longer to load than that takes).
 */
function spawnBin(argv: string[], env: NodeJS.ProcessEnv, opts: { closeStdout?: boolean } = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo(env);
  return { code: await main(argv, io), io };
}

describe('--help', () => {
  test('the program lists every command and the global options', async () => {
    const { code, io } = await run(['--help']);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^Usage: db-playbook \[options\] \[command\]/);
    for (const word of ['restore', 'doctor', 'recovery-points', 'copy', 'inspect', 'logs', 'upgrade', '--region <region>', '--profile <name>', '--version']) {
      expect(io.out()).toContain(word);
    }
  });

  test.each([
    ['restore', ['--source <id>', '--to <time>', '--latest', '--target <new-id>', '--dry-run', '--verify-sql <sql>', '--verify-url <postgres-url>',
      '--cutover-proxy <name>', '--timeout <minutes>', '--json', 'PGUSER', 'PGSSLROOTCERT', 'Exit codes', 'db-playbook:restored-from']],
    ['recovery-points', ['--source <id>', '--regions <a,b>', '--json', 'replicated-automated-backup', 'cross-region-copy', 'Exit codes']],
    ['copy', ['--snapshot <id-or-arn>', '--to-region <region>', '--kms-key <arn-or-alias>', '--target-id <id>', '--wait', '--timeout <minutes>', '--json', 'Exit codes']],
    ['doctor', ['--instance <id>', '--buckets <names>', '--proxy <name>', '--dr-region <region>', '--json']],
    ['inspect', ['--url <postgres-url>', '--secret-arn <arn>', '--sslmode <mode>', '--min-rows <n>', '--n1-min-calls <n>', '--fail-on <rules>', '--json']],
    ['upgrade', ['--instance <id>', '--target-version <version>', '--target-parameter-group <name>', '--db-url <postgres-url>', '--verify-sql <sql>', '--skip-verify',
      '--switchover', '--yes', '--switchover-timeout <seconds>', '--timeout <minutes>', '--dry-run', '--json', 'rds.logical_replication', 'Exit codes']],
    ['logs', ['--instance <id>', '--file <path>', '--log-files', '--since <duration>', '--from <time>', '--to <time>', '--temp-file-min <size>', '--pgbadger <dir>', '--json', "-p '%t:%r:%u@%d:[%p]:'", 'Exit codes']],
  ])('%s --help exits 0 and describes its options', async (command, words) => {
    const { code, io } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(io.out()).toContain(`Usage: db-playbook ${command} [options]`);
    for (const word of words) expect(io.out()).toContain(word);
  });

  test('help <command> works too', async () => {
    const { code, io } = await run(['help', 'copy']);
    expect(code).toBe(0);
    expect(io.out()).toContain('Usage: db-playbook copy [options]');
  });
});

test('--help ends with which Node.js to use', async () => {
  const { code, io } = await run(['--help']);
  expect(code).toBe(0);
  expect(io.out().replace(/\s+/g, ' ')).toMatch(/Node\.js: use Node\.js 22 or newer\. db-playbook still runs on Node\.js 20, .*January 2027.*\s$/);
});

describe('suppressSdkNodeVersionWarning', () => {
  // The message @aws-sdk/core emits (emitWarningIfUnsupportedVersion), first lines.
  const SDK_WARNING = 'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after the first week of January 2027\nwill require node >=22. You are running node v20.20.2.';

  test('drops the SDK\'s Node-version warning and passes every other warning on unchanged', () => {
    const emitted: unknown[][] = [];
    const target = { emitWarning: (...args: unknown[]) => { emitted.push(args); } };
    suppressSdkNodeVersionWarning(target);
    target.emitWarning(SDK_WARNING);
    target.emitWarning('something else', 'DeprecationWarning', 'DEP0005');
    const error = new Error('disk nearly full');
    target.emitWarning(error);
    expect(emitted).toEqual([['something else', 'DeprecationWarning', 'DEP0005'], [error]]);
  });
});

test('--version prints the package version', async () => {
  const { code, io } = await run(['--version']);
  expect(code).toBe(0);
  expect(io.out()).toBe(`${PACKAGE_VERSION}\n`);
  expect(VERSION).toBe(PACKAGE_VERSION);
});

describe('mistakes exit 2 with the reason on stderr', () => {
  test.each([
    ['fails on an unknown command', ['restroe'], /error: unknown command 'restroe'/],
    ['fails on an unknown option', ['restore', '--source', 'db', '--latest', '--target', 't', '--bogus'], /error: unknown option '--bogus'/],
    ['fails on an unknown global option', ['--bogus', 'restore'], /error: unknown option '--bogus'/],
    ['fails on a missing required option', ['restore', '--latest', '--target', 't'], /error: required option '--source <id>' not specified/],
    ['fails on a missing option argument', ['copy', '--snapshot'], /error: option '--snapshot <id-or-arn>' argument missing/],
  ])('%s', async (_name, argv, message) => {
    const { code, io } = await run(argv);
    expect({ code, out: io.out() }).toEqual({ code: 2, out: '' });
    expect(io.err()).toMatch(message);
    expect(io.err()).toContain('(run with --help for usage)');
  });

  test.each([
    ['an unknown command before --help', ['nosuch', '--help'], "error: unknown command 'nosuch'"],
    ['an unknown command after --help', ['--help', 'nosuch'], "error: unknown command 'nosuch'"],
    ['an unknown command after help', ['help', 'nosuch'], "error: unknown command 'nosuch'"],
    ['an unknown option with --help', ['restore', '--bogus', '--help'], "error: unknown option '--bogus'"],
    ['an unknown option before a missing required one', ['restore', '--bogus'], "error: unknown option '--bogus'"],
    ['an unknown option next to conflicting ones', ['restore', '--source', 'db', '--to', '2026-03-14T13:44:59Z', '--latest', '--target', 't', '--bogus'], "error: unknown option '--bogus'"],
    ['an argument of a command that takes none, with --help', ['restore', 'nosuch', '--help'], "error: unexpected argument 'nosuch': 'db-playbook restore' takes options only"],
    ['an argument of a command that takes none', ['doctor', 'prod-db', '--instance', 'x'], "error: unexpected argument 'prod-db': 'db-playbook doctor' takes options only"],
  ])('fails on %s, naming the word', async (_name, argv, message) => {
    const { code, io } = await run(argv);
    expect({ code, out: io.out(), err: io.err().split('\n')[0] }).toEqual({ code: 2, out: '', err: message });
  });

  test('fails when no region is known, before any AWS call', async () => {
    const { code, io } = await run(['restore', '--source', 'db', '--latest', '--target', 't'], { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    expect(code).toBe(2);
    // restore takes the profile's region too now (requireRegion), so the message names the profile's file.
    expect(io.err()).toMatch(/^db-playbook: no AWS region: pass --region, set AWS_REGION, or set region in profile 'default' \(.+\)\n$/);
  });
});

/** A local HTTP server that answers 500 to everything and counts the requests: where an AWS call would go. */
async function countingEndpoint(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => { count++; req.resume(); res.writeHead(500).end(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('fails on a region that is not a region name: exit 2, naming where it came from, no AWS call', () => {
  const shape = 'an AWS region name: lower case, <area>-<direction>-<number>, such as us-west-2, eu-central-1 or ap-southeast-2';
  test.each([
    ['--region before the command', ['--region', 'useast1', 'recovery-points', '--source', 'db'], {}, `--region must be ${shape} (got "useast1")`],
    ['--region after the command', ['recovery-points', '--source', 'db', '--region', 'US-EAST-1'], {}, `--region must be ${shape} (got "US-EAST-1")`],
    ['--region on a command that needs no AWS', ['--region', 'eu_west_1', 'inspect', '--url', 'postgresql://u@127.0.0.1:1/db'], {}, `--region must be ${shape} (got "eu_west_1")`],
    ['AWS_REGION', ['restore', '--source', 'db', '--latest', '--target', 't'], { AWS_REGION: 'us-east' }, `AWS_REGION must be ${shape} (got "us-east")`],
    ['AWS_DEFAULT_REGION', ['doctor', '--instance', 'db'], { AWS_REGION: '', AWS_DEFAULT_REGION: 'virginia' }, `AWS_DEFAULT_REGION must be ${shape} (got "virginia")`],
    ['--dr-region', ['doctor', '--instance', 'db', '--dr-region', 'west'], {}, `--dr-region must be ${shape} (got "west")`],
    ['--to-region', ['copy', '--snapshot', 'snap', '--to-region', 'uswest2'], {}, `--to-region must be ${shape} (got "uswest2")`],
    ['--regions', ['recovery-points', '--source', 'db', '--regions', 'us-west-2,mars'], {}, `--regions must be ${shape} (got "mars")`],
  ])('%s', async (_name, argv, env, message) => {
    const endpoint = await countingEndpoint();
    try {
      const { code, io } = await run(argv, { AWS_REGION: 'us-east-1', ...env, AWS_ENDPOINT_URL: endpoint.url, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
      expect({ code, out: io.out(), err: io.err(), requests: endpoint.requests() }).toEqual({ code: 2, out: '', err: `db-playbook: ${message}\n`, requests: 0 });
    } finally {
      await endpoint.close();
    }
  });
});

/**
 * A local endpoint that answers every AWS request with one error, as AWS answers a request
 * signed with expired or unknown credentials. Stubbed because moto accepts any credentials and
 * never answers these. The body is the service protocol's error shape: query XML (RDS) or
 * JSON 1.1 (Secrets Manager), so the real SDK parses the error name from it.
 */
async function credentialErrorEndpoint(code: string, message: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (String(req.headers['content-type'] ?? '').includes('x-amz-json')) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }).end(JSON.stringify({ __type: code, message }));
    } else {
      res.writeHead(403, { 'content-type': 'text/xml' }).end(`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('credential problems end with exit 1 and what to do, not the SDK\'s error', () => {
  let home: string;
  /** An environment with no credentials anywhere: no keys, empty config and credentials files, no instance metadata. */
  const noCredentials = (endpoint: string): NodeJS.ProcessEnv => ({
    HOME: home, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: path.join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true',
  });
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'no-credentials-'));
    fs.writeFileSync(path.join(home, 'config'), '');
    fs.writeFileSync(path.join(home, 'credentials'), '');
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  test('fails without any credentials, saying where they come from', async () => {
    const endpoint = await countingEndpoint();
    try {
      // The bin in its own process: the SDK's default chain reads the process environment.
      const result = await spawnBin(['recovery-points', '--source', 'db'], noCredentials(endpoint.url));
      expect({ status: result.status, stdout: result.stdout, requests: endpoint.requests() }).toEqual({ status: 1, stdout: '', requests: 0 });
      expect(result.stderr).toBe('db-playbook: no AWS credentials found (Could not load credentials from any providers)\n'
        + 'hint: set AWS_PROFILE or pass --profile (for an SSO profile, run `aws sso login --profile <name>` first), '
        + 'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)\n');
    } finally {
      await endpoint.close();
    }
  });

  test('fails when --profile names a profile that gives none', async () => {
    const result = await spawnBin(['--profile', 'prod-admin', 'recovery-points', '--source', 'db'], noCredentials('http://127.0.0.1:1'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^db-playbook: AWS profile 'prod-admin' gives no credentials \(Could not resolve credentials using profile: \[prod-admin\]/);
    expect(result.stderr).toContain('hint: check --profile / AWS_PROFILE against ~/.aws/config');
    expect(result.stderr).not.toContain('CredentialsProviderError');
  });

  test.each([
    ['ExpiredToken', 'The security token included in the request is expired', ['recovery-points', '--source', 'db'], 'expired'],
    ['InvalidClientTokenId', 'The security token included in the request is invalid.', ['doctor', '--instance', 'db'], 'invalid'],
    ['ExpiredTokenException', 'The security token included in the request is expired', ['inspect', '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf'], 'expired'],
  ])('fails when AWS answers %s, with a hint to refresh the credentials', async (code, message, argv, how) => {
    const endpoint = await credentialErrorEndpoint(code, message);
    try {
      const { code: exit, io } = await run(argv, { AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'ASIAEXPIRED', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'old' });
      expect({ exit, out: io.out() }).toEqual({ exit: 1, out: '' });
      const [first, hint] = io.err().split('\n');
      expect(first).toMatch(new RegExp(`^db-playbook: AWS refused the credentials as ${how} \\(${code}: .*${message.replace(/[.]/g, '\\.')}\\)$`));
      expect(hint).toBe('hint: refresh them: `aws sso login` for an SSO profile, or new temporary credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN '
        + '(the ones in the environment win over the profile: unset them to use the profile)');
    } finally {
      await endpoint.close();
    }
  });
});

describe('region and credentials', () => {
  test('--region beats AWS_REGION, which beats AWS_DEFAULT_REGION', () => {
    const io = fakeIo({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-central-1' });
    expect(clientConfig({ region: 'eu-west-1' }, io).region).toBe('eu-west-1');
    expect(clientConfig({}, io).region).toBe('us-east-1');
    expect(clientConfig({}, fakeIo({ AWS_DEFAULT_REGION: 'eu-central-1' })).region).toBe('eu-central-1');
    // A command's own region (e.g. copy's destination) beats them all.
    expect(clientConfig({ region: 'eu-west-1' }, io, 'ap-south-1').region).toBe('ap-south-1');
  });

  test('AWS_ENDPOINT_URL and credentials come from the environment the command is given', () => {
    const config = clientConfig({}, fakeIo({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' }));
    expect(config).toMatchObject({ endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' } });
    // Without them, the SDK's own chain (AWS_PROFILE, SSO, instance roles) decides.
    expect(clientConfig({}, fakeIo({})).credentials).toBeUndefined();
  });

  describe('against moto', () => {
    let moto: MotoServer;
    beforeAll(async () => {
      moto = await startMoto();
      const rds = new RDSClient(awsClientConfig(moto.endpoint, 'us-west-2'));
      await rds.send(new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'west-db', Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.t4g.micro',
        AllocatedStorage: 20, MasterUsername: 'postgres', MasterUserPassword: 'password-0123', BackupRetentionPeriod: 1,
      }));
      rds.destroy();
    });
    afterAll(async () => {
      await moto?.stop();
    });

    test.each([
      ['before the command', ['--region', 'us-west-2', 'recovery-points', '--source', 'west-db']],
      ['after the command', ['recovery-points', '--source', 'west-db', '--region', 'us-west-2']],
    ])('--region %s beats AWS_REGION', async (_where, argv) => {
      const { code, io } = await run(argv, motoEnv(moto.endpoint, 'us-east-1'));
      expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
      expect(io.out()).toContain(`Recovery points of 'west-db' (us-west-2)`);
    });

    test('a closed stdout pipe (| head -1) ends the bin quietly, with the command\'s own exit code', async () => {
      const result = await spawnBin(['recovery-points', '--source', 'west-db', '--region', 'us-west-2'], motoEnv(moto.endpoint), { closeStdout: true });
      expect(result).toEqual({ status: 0, signal: null, stdout: '', stderr: '' });
    });

    test('the bin does not start with the AWS SDK\'s Node-version warning', async () => {
      // The SDK emits it when a client is created on Node.js < 22 (the tests run on 20 and 24).
      const result = await spawnBin(['recovery-points', '--source', 'west-db', '--region', 'us-west-2'], motoEnv(moto.endpoint));
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Recovery points of 'west-db'/);
    });

    test('AWS_REGION is used without --region', async () => {
      const { code, io } = await run(['recovery-points', '--source', 'west-db'], motoEnv(moto.endpoint, 'us-east-1'));
      expect(code).toBe(2);
      expect(io.err()).toBe(`db-playbook: no DB instance 'west-db' in us-east-1: check --source and --region\n`);
    });
  });
});

// Passes once assets/cli/db-playbook.js has been rebuilt (`npm run bundle`) from these sources.
test('the committed bin runs under node and prints the package version', () => {
  const result = spawnSync(process.execPath, [BIN, '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${PACKAGE_VERSION}\n` });
});

test('the committed bin ends quietly when the reader of its stdout has gone (--help | true)', async () => {
  const result = await spawnBin(['--help'], {}, { closeStdout: true });
  // Before: exit 1 and "Error: write EPIPE" with a stack trace on stderr.
  expect(result).toEqual({ status: 0, signal: null, stdout: '', stderr: '' });
});
