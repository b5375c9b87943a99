/**
 * The CLI's call tables (shared/calls-cli.ts) are complete and README says the same.
 *
 * Each command runs against moto (seeded with a deployment; the calls moto cannot serve answered
 * by test/support/aws-gaps-proxy.ts, which says why), in-process, while every SDK command any
 * client sends is recorded: a pass-through spy on the AWS SDK's one Client.prototype.send,
 * which every service client (RDS, AWS Backup, KMS, S3, Secrets Manager) inherits and every
 * paginator calls. Each sent command must map to an entry of its command's table (IAM action
 * and endpoint), and each entry with an endpoint must have been sent: a table can neither miss a
 * call nor keep a stale one. Entries without an endpoint are what AWS authorizes during a call
 * (rds:AddTagsToResource, the KMS grant RDS creates): moto checks no IAM, so they stand on the
 * Service Authorization Reference, which the lead's AWS-data test checks.
 *
 * README's "IAM permissions" table (section "Operations") lists, per command, exactly the
 * actions of its table.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RDSClient } from '@aws-sdk/client-rds';
import * as fs from 'fs';
import * as path from 'path';
import type { AwsCall } from '../../shared/aws-calls';
import { actionsOf, CLI_COMMANDS, CLI_RESOURCES, cliCallTables, CliCommand } from '../../shared/calls-cli';
import { main } from '../../cli/program';
import { AwsGapsProxy, startAwsGapsProxy } from '../support/aws-gaps-proxy';
import { fakeIo, motoEnv } from '../support/fake-io';
import { awsClientConfig, MotoServer, startMoto } from '../support/moto-server';
import { freePort, startPostgres } from '../support/postgres-server';
import { SeededDeployment, seedDeployment } from '../support/seed-deployment';

const TABLES = cliCallTables('us-east-1', 'us-west-2');

/** The IAM service prefix of each SDK client. */
const PREFIX: Record<string, string> = { RDSClient: 'rds', BackupClient: 'backup', KMSClient: 'kms', S3Client: 's3', SecretsManagerClient: 'secretsmanager' };

/** S3 operations whose IAM action has another name (Service Authorization Reference). */
const S3_ACTIONS: Record<string, string> = {
  GetBucketEncryption: 'GetEncryptionConfiguration',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  GetBucketReplication: 'GetReplicationConfiguration',
};

/** An SDK command as sent: the IAM action it needs, the endpoint it went to, its region. */
interface Sent { readonly action: string; readonly endpoint: string; readonly region: string; readonly command: string }

function iamAction(client: string, command: string): Sent['action'] {
  const prefix = PREFIX[client];
  if (!prefix) throw new Error(`an SDK client this test does not know: ${client} (add its IAM prefix)`);
  const operation = command.replace(/Command$/, '');
  return `${prefix}:${prefix === 's3' ? S3_ACTIONS[operation] ?? operation : operation}`;
}

/** Records every command every SDK client sends (and sends it on unchanged). */
function recordSent(): Sent[] {
  const sent: Sent[] = [];
  // RDSClient extends the SDK's Client, as every service client does: its prototype holds the one send().
  const base = Object.getPrototypeOf(RDSClient.prototype) as { send: (...a: unknown[]) => Promise<unknown> };
  const original = base.send;
  jest.spyOn(base, 'send').mockImplementation(async function (this: { constructor: { name: string }; config: { region: () => Promise<string> } }, command: unknown, ...rest: unknown[]) {
    const name = (command as object).constructor.name;
    sent.push({ action: iamAction(this.constructor.name, name), endpoint: PREFIX[this.constructor.name], region: await this.config.region(), command: name });
    return original.call(this, command, ...rest);
  } as never);
  return sent;
}

/** Runs `argv` in-process against `endpoint` and resolves to the exit code and what was sent. */
async function sentBy(argv: string[], endpoint: string): Promise<{ code: number; sent: Sent[]; err: string }> {
  const sent = recordSent();
  const io = fakeIo(motoEnv(endpoint));
  try {
    const code = await main(argv, io);
    return { code, sent, err: io.err() };
  } finally {
    jest.restoreAllMocks();
  }
}

/** Sent calls no entry of `calls` covers (same action, sent to the entry's endpoint). */
function uncovered(sent: readonly Sent[], calls: readonly AwsCall[]): string[] {
  return [...new Set(sent.filter((s) => !calls.some((c) => c.action === s.action && c.endpoint === s.endpoint)).map((s) => `${s.action} (${s.command} in ${s.region})`))];
}

/** Entries of `calls` with an endpoint that nothing sent. */
function neverSent(calls: readonly AwsCall[], sent: readonly Sent[]): string[] {
  return [...new Set(calls.filter((c) => c.endpoint && !sent.some((s) => s.action === c.action && s.endpoint === c.endpoint)).map((c) => c.action))];
}

let moto: MotoServer;
let seeded: SeededDeployment;
let gaps: AwsGapsProxy;
let down: AwsGapsProxy;

beforeAll(async () => {
  moto = await startMoto();
  seeded = await seedDeployment(moto.endpoint);
  const earliestRestorableTime = new Date(Date.now() - 86_400_000);
  const awsBackupSnapshots = [{ region: 'us-east-1', id: 'awsbackup:job-calls', instanceId: seeded.primary.id, created: new Date(), kmsKeyId: seeded.kms.primary.arn }];
  gaps = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime, awsBackupSnapshots });
  down = await startAwsGapsProxy(moto.endpoint, { earliestRestorableTime, unreachableRegions: ['us-east-1'] });
});

afterAll(async () => {
  await gaps?.close();
  await down?.close();
  await moto?.stop();
});

describe('every call a command sends is in its table, and every call of the table is sent', () => {
  test('recovery-points', async () => {
    const { code, sent } = await sentBy(['recovery-points', '--source', seeded.primary.id, '--regions', 'us-west-2'], gaps.url);
    expect(code).toBe(0);
    expect(uncovered(sent, TABLES['recovery-points'])).toEqual([]);
    expect(neverSent(TABLES['recovery-points'], sent)).toEqual([]);
  });

  test('restore (in-region)', async () => {
    // Straight to moto: without a RestoreWindow the window falls back to the automated snapshots, a call of the table too.
    const { code, sent, err } = await sentBy(['restore', '--source', seeded.primary.id, '--latest', '--target', 'calls-restored'], moto.endpoint);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(uncovered(sent, TABLES.restore)).toEqual([]);
    expect(neverSent(TABLES.restore, sent)).toEqual([]);
  });

  test('restore --from-replicated-backups (the primary region unreachable)', async () => {
    const dr = seeded.drNetwork!;
    const { code, sent, err } = await sentBy(['restore', '--region', 'us-west-2', '--from-replicated-backups', '--source', seeded.primary.id, '--latest', '--target', 'calls-dr',
      '--db-subnet-group', dr.dbSubnetGroupName, '--vpc-security-group-ids', dr.securityGroupId, '--db-parameter-group', dr.parameterGroupName, '--kms-key', seeded.kms.dr.arn], down.url);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(sent.filter((s) => s.region !== 'us-west-2')).toEqual([]);
    expect(uncovered(sent, TABLES['restore --from-replicated-backups'])).toEqual([]);
    expect(neverSent(TABLES['restore --from-replicated-backups'], sent)).toEqual([]);
  });

  test('restore --cutover-proxy: what it adds to the restore', async () => {
    const { code, sent, err } = await sentBy(['restore', '--source', seeded.primary.id, '--latest', '--target', 'calls-cutover', '--cutover-proxy', seeded.proxy!.name, '--skip-verify', '--yes'], moto.endpoint);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const calls = [...TABLES.restore, ...TABLES['restore --cutover-proxy']];
    expect(uncovered(sent, calls)).toEqual([]);
    expect(neverSent(TABLES['restore --cutover-proxy'], sent)).toEqual([]);
  });

  test('copy (with --kms-key, and finding the key without it)', async () => {
    const withKey = await sentBy(['copy', '--snapshot', seeded.manualSnapshots[0].id, '--to-region', 'us-west-2', '--target-id', 'calls-copy-1', '--kms-key', seeded.kms.dr.arn, '--wait'], moto.endpoint);
    const found = await sentBy(['copy', '--snapshot', seeded.manualSnapshots[0].id, '--to-region', 'us-west-2', '--target-id', 'calls-copy-2'], moto.endpoint);
    expect({ withKey: withKey.code, found: found.code }).toEqual({ withKey: 0, found: 0 });
    const sent = [...withKey.sent, ...found.sent];
    expect(uncovered(sent, TABLES.copy)).toEqual([]);
    expect(neverSent(TABLES.copy, sent)).toEqual([]);
  });

  test('doctor', async () => {
    const { code, sent } = await sentBy(['doctor', '--instance', seeded.primary.id, '--buckets', seeded.buckets.primary.name, '--dr-region', 'us-west-2'], gaps.url);
    expect([0, 3]).toContain(code);
    expect(uncovered(sent, TABLES.doctor)).toEqual([]);
    expect(neverSent(TABLES.doctor, sent)).toEqual([]);
  });

  test('inspect --secret-arn', async () => {
    const sm = new SecretsManagerClient(awsClientConfig(moto.endpoint));
    // A database that does not answer: the AWS calls come before the connection, which then fails.
    const { ARN } = await sm.send(new CreateSecretCommand({
      Name: 'calls/db', SecretString: JSON.stringify({ username: 'inspector', password: 'x', host: '127.0.0.1', port: await freePort(), dbname: 'app' }),
    }));
    sm.destroy();
    const { code, sent } = await sentBy(['inspect', '--secret-arn', ARN!, '--statement-timeout', '2000'], moto.endpoint);
    expect(code).toBe(1);
    expect(uncovered(sent, TABLES['inspect --secret-arn'])).toEqual([]);
    expect(neverSent(TABLES['inspect --secret-arn'], sent)).toEqual([]);
  });
});

describe('upgrade (every call of its table: an aborted run and a switchover)', () => {
  test('upgrade', async () => {
    // The prechecks read a database: a local PostgreSQL, named by --db-url as a tunnel would be.
    const pg = await startPostgres();
    try {
      const d = await seedDeployment(moto.endpoint, { prefix: 'calls-upgrade', parameters: { 'rds.logical_replication': '1' }, replicas: 0, manualSnapshots: 1, proxy: false });
      const args = ['upgrade', '--instance', d.primary.id, '--target-version', '18.1', '--db-url', `${pg.connectionString()}?sslmode=disable`, '--switchover', '--yes'];
      const aborted = await sentBy([...args, '--verify-sql', 'SELECT * FROM no_such_table'], gaps.url);
      const switched = await sentBy([...args, '--verify-sql', 'SELECT 1', '--target-parameter-group', 'calls-upgrade-postgres18'], gaps.url);
      expect({ aborted: aborted.code, switched: switched.code, err: switched.err }).toEqual({ aborted: 1, switched: 0, err: '' });
      const sent = [...aborted.sent, ...switched.sent];
      expect(uncovered(sent, TABLES.upgrade)).toEqual([]);
      expect(neverSent(TABLES.upgrade, sent)).toEqual([]);
    } finally {
      await pg.stop();
    }
  });
});

describe('the tables', () => {
  test('name only resources CLI_RESOURCES describes, or * ', () => {
    const unknown = Object.values(TABLES).flat().filter((c) => c.resource !== '*' && !(c.resource in CLI_RESOURCES)).map((c) => `${c.action} ${c.resource}`);
    expect(unknown).toEqual([]);
  });

  test('pass no IAM role, so none needs iam:PassRole; every table is there', () => {
    expect(Object.keys(TABLES)).toEqual([...CLI_COMMANDS]);
    expect(Object.values(TABLES).flat().map((c) => c.action)).not.toContain('iam:PassRole');
  });

  test('a request that carries Tags, or makes RDS encrypt with a key, brings what AWS authorizes for it', () => {
    for (const command of ['restore', 'restore --from-replicated-backups', 'copy'] as CliCommand[]) {
      const actions = actionsOf(TABLES[command]);
      expect({ command, actions }).toEqual({ command, actions: expect.arrayContaining(['rds:AddTagsToResource', 'kms:CreateGrant', 'kms:DescribeKey']) });
    }
  });
});

// --- README --------------------------------------------------------------------------------------

/** README's "IAM permissions" table of the Operations section: command → the actions its row lists. */
function readmePermissions(): Map<string, string[]> {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Operations: the `db-playbook` CLI');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const lines = section.slice(section.indexOf('**IAM permissions**')).split('\n');
  const header = lines.indexOf('| Command | Actions |');
  if (header === -1) throw new Error('README\'s Operations section has no "| Command | Actions |" table after **IAM permissions**');
  const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(header + 2, end)) {
    const [, command, actions] = line.split('|').map((c) => c.trim());
    rows.set(command.replace(/^`([^`]+)`.*$/, '$1'), [...actions.matchAll(/`([a-z0-9-]+:[A-Za-z0-9]+)`/g)].map((m) => m[1]));
  }
  return rows;
}

test('README\'s IAM permissions table lists exactly each table\'s actions', () => {
  const readme = readmePermissions();
  expect([...readme.keys()]).toEqual([...CLI_COMMANDS]);
  for (const command of CLI_COMMANDS) {
    // On failure, the row README should have: `| \`<command>\` | <actions> |`.
    expect({ command, actions: [...new Set(readme.get(command))].sort() }).toEqual({ command, actions: actionsOf(TABLES[command]).sort() });
  }
});
