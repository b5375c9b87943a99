/**
 * The integration probe (test/integ/functions/probe.ts) against the test bed's PostgreSQL 17.9 set
 * up like RDS (a non-superuser master, TLS with verify-full), with the roles the integ app's
 * platform creates: the roles provider's specs read from its synthesized template and applied by
 * shared/roles-sql.ts as the provider applies them. What the account run adds: the proxy, IAM
 * tokens, the private zone. The refused INSERT of the read-only role is asserted here for real.
 */
import * as fs from 'fs';
import { App } from 'aws-cdk-lib';
import { ApplyContext, createObject } from '../../shared/roles-sql';
import { ObjectSpec } from '../../shared/roles-spec';
import { cdkJsonContext } from '../support/app';
import { RdsLikePostgres, startRdsLikePostgres } from '../support/rds-like-postgres';
import { PROBE_TABLE, probeDatabase, ProbeTarget, verifyFullAgainst } from './functions/probe';
import { probeSettings } from './functions/probe-handler';
import { buildPlatformInteg, PLATFORM_STACK } from './integ.platform';

/** A synthesized template's JSON, read loosely: the tests look into properties of many shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

jest.setTimeout(300_000);

let rds: RdsLikePostgres;
let specs: ObjectSpec[];
let probeEnv: Record<string, unknown>;
const password = (user: string) => `Pw-${user}-5e1f`;

/** The roles provider's specs in template order, a secret reference standing for `arn:secret:<role>`. */
function providerSpecs(template: Record<string, Loose>): ObjectSpec[] {
  return Object.values(template.Resources as Record<string, Loose>)
    .filter((r) => String(r.Type).startsWith('Custom::Postgres'))
    .map((r) => {
      const spec = r.Properties.Spec;
      const text = typeof spec === 'string' ? spec : (spec['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'arn:secret:')).join('');
      const parsed = JSON.parse(text) as ObjectSpec & { secretArn?: string; name?: string };
      if (parsed.secretArn === 'arn:secret:') parsed.secretArn = `arn:secret:${parsed.name}`;
      return parsed;
    });
}

beforeAll(async () => {
  const app = new App({ context: cdkJsonContext() });
  const built = buildPlatformInteg(app);
  const template = app.synth().getStackByName(PLATFORM_STACK).template;
  specs = providerSpecs(template);
  const fnId = built.stack.getLogicalId(built.probe.node.defaultChild as never);
  probeEnv = template.Resources[fnId].Properties.Environment.Variables;
  rds = await startRdsLikePostgres({ tls: true });
  const ctx: ApplyContext = {
    masterUser: rds.masterUser,
    defaultDatabase: rds.database,
    password: async (arn) => password(arn.replace('arn:secret:', '')),
  };
  const database = specs.find((s) => 'database' in s) as { database: string } | undefined;
  // The instance's DBName, created by RDS: the test bed creates it as the master.
  if (database && database.database !== rds.database) {
    const c = await rds.connect(rds.database);
    await c.query(`CREATE DATABASE ${database.database}`).catch(() => undefined);
    await c.end();
  }
  for (const spec of specs) {
    // Extensions need the shared library preloaded; not what the probe checks.
    if (spec.kind === 'extension') continue;
    await createObject((db) => rds.connect(db), spec, ctx);
  }
});
afterAll(async () => { await rds?.stop(); });

function target(user: string, db: string): ProbeTarget {
  const ca = [fs.readFileSync(rds.caFile!, 'utf8')];
  return { label: user, user, config: { host: rds.host, port: rds.port, database: db, user, password: password(user), ssl: verifyFullAgainst(['localhost'], ca) } };
}

test('the platform creates the application and read-only roles the probe logs in as', () => {
  expect(probeEnv).toMatchObject({ DB_USER: 'app_writer', DB_REPLICA_USER: 'app_reader', DB_NAME: 'app' });
  const roles = specs.filter((s) => s.kind === 'role').map((s) => (s as { name: string }).name);
  expect(roles).toEqual(expect.arrayContaining(['app_writer', 'app_reader', 'app_readonly']));
});

test('the application role writes; the read-only role reads and its INSERT is refused (42501)', async () => {
  const report = await probeDatabase(target('app_writer', 'app'), target('app_reader', 'app'));
  expect(report.problems).toEqual([]);
  expect(report.writer).toMatchObject({ user: 'app_writer', insert: expect.stringMatching(/^ok/) });
  expect(report.reader).toMatchObject({ user: 'app_reader', select: expect.stringMatching(/^ok \(\d+ rows\)/), insert: 'refused 42501' });
});

test('fails when the "read-only" role can write: the probe reports it', async () => {
  // The writer as the reader: an INSERT that goes through must be a problem, not a pass.
  const report = await probeDatabase(target('app_writer', 'app'), { ...target('app_writer', 'app'), label: 'reader' });
  expect(report.reader.insert).toBe('ACCEPTED');
  expect(report.problems.join('\n')).toMatch(new RegExp(`INSERT into ${PROBE_TABLE.replace('.', '\\.')} as app_writer was accepted`));
});

test('fails when the certificate is not for the TLS name: verify-full refuses it', async () => {
  const ca = [fs.readFileSync(rds.caFile!, 'utf8')];
  const wrongName: ProbeTarget = { ...target('app_writer', 'app'), config: { ...target('app_writer', 'app').config, ssl: verifyFullAgainst(['proxy.example.internal'], ca) } };
  const report = await probeDatabase(wrongName, target('app_reader', 'app'));
  expect(report.problems.join('\n')).toMatch(/writer \(app_writer\): .*(altnames|Hostname)/i);
});

test('the probe reads the settings the platform hands it: through the proxy, the reader authenticates with IAM', () => {
  const env = Object.fromEntries(Object.keys(probeEnv).map((k) => [k, `value-of-${k}`]));
  // Without replicas the reader's TLS names are the writer's (the proxy).
  const s = probeSettings({ ...env, DB_PRIMARY_PORT: '5432', DB_REPLICA_PORT: '5432', DB_PRIMARY_IAM_PORT: '5432', DB_REPLICA_TLS_NAMES: 'value-of-DB_PRIMARY_TLS_NAME' });
  expect(s.reader.auth).toBe('iam');
  expect(probeSettings({ ...env, DB_PRIMARY_PORT: '5432', DB_REPLICA_PORT: '5433', DB_PRIMARY_IAM_PORT: '5432', DB_REPLICA_TLS_NAMES: 'replica-1.rds' }).reader)
    .toMatchObject({ auth: 'secret', secretArn: 'value-of-DB_REPLICA_SECRET_ARN' });
  expect(() => probeSettings({})).toThrow(/DB_PRIMARY_TLS_NAME is not set/);
});
