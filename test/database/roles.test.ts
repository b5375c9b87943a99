import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  DatabaseUserAuthentication, DataPlatform, PasswordRotationStrategy, PostgresDatabase, Profile, SchemaPrivilege,
} from '../../lib';

/** The specs of the stack's roles custom resources, by type, with their resolved secret references. */
function specs(stack: Stack, type: string): Array<{ id: string; spec: Record<string, unknown>; deletionPolicy?: string; dependsOn: string[] }> {
  const template = Template.fromStack(stack);
  return Object.entries(template.findResources(type)).map(([id, r]) => {
    const raw = r.Properties.Spec;
    // Spec is a JSON string, or a join around secret ARNs (Refs): put the logical id in their place.
    const text = typeof raw === 'string' ? raw
      : (raw['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
    return { id, spec: JSON.parse(text), deletionPolicy: r.DeletionPolicy, dependsOn: r.DependsOn ?? [] };
  });
}

describe('DataPlatform: least-privilege roles by default', () => {
  const stack = new Stack(new App(), 'P');
  const platform = new DataPlatform(stack, 'Data', { enableRestoreTesting: false });
  const template = Template.fromStack(stack);
  const roles = Object.fromEntries(specs(stack, 'Custom::PostgresRole').map((r) => [String(r.spec.name), r]));

  test('the application, read-only, monitoring users and the read-only group, with their authentication', () => {
    expect(Object.keys(roles).sort()).toEqual(['app_reader', 'app_readonly', 'app_writer', 'playbook_monitor']);
    expect(roles.app_writer.spec).toMatchObject({ login: true, iam: true, clone: false, memberOf: [], secretArn: expect.stringMatching(/^<DataDatabaseApplicationUserSecretAttachment/) });
    expect(roles.app_reader.spec).toMatchObject({ login: true, iam: true, clone: false, memberOf: ['app_readonly'] });
    expect(roles.app_readonly.spec).toMatchObject({ login: false, iam: false, memberOf: [] });
    expect(roles.app_readonly.spec.secretArn).toBeUndefined();
    // Alternating users, driven by the master secret: the clone shares the memberships.
    expect(roles.playbook_monitor.spec).toMatchObject({ login: true, iam: false, clone: true, memberOf: ['pg_monitor', 'pg_read_all_stats'] });
  });

  test('schema app owned by the application user; the read-only group reads its tables, later ones included', () => {
    expect(specs(stack, 'Custom::PostgresSchema').map((s) => s.spec)).toEqual([{ kind: 'schema', database: 'app', name: 'app', owner: 'app_writer' }]);
    expect(specs(stack, 'Custom::PostgresSchemaGrant').map((s) => s.spec)).toEqual([{
      kind: 'grant', database: 'app', schema: 'app', role: 'app_readonly', privilege: 'READ_ONLY', defaultFor: ['app_writer', 'dbadmin'],
    }]);
    expect(specs(stack, 'Custom::PostgresExtension').map((s) => s.spec)).toEqual([{ kind: 'extension', database: 'app', name: 'pg_stat_statements' }]);
  });

  test('production retains roles and schemas (a role may own data); grants and extensions are revoked/dropped', () => {
    for (const r of Object.values(roles)) expect(r.deletionPolicy).toBe('Retain');
    expect(specs(stack, 'Custom::PostgresSchema')[0].deletionPolicy).toBe('Retain');
    expect(specs(stack, 'Custom::PostgresSchemaGrant')[0].deletionPolicy).toBe('Delete');
  });

  test('the proxy serves the application and read-only users\' secrets, not the master\'s', () => {
    const proxy = Object.values(template.findResources('AWS::RDS::DBProxy'))[0];
    const secrets = (proxy.Properties.Auth as Array<{ SecretArn: { Ref: string } }>).map((a) => a.SecretArn.Ref);
    expect(secrets).toEqual([expect.stringMatching(/^DataDatabaseApplicationUserSecretAttachment/), expect.stringMatching(/^DataDatabaseReadOnlyUserSecretAttachment/)]);
    expect(platform.connectionPool!.users).toEqual(['app_writer', 'app_reader']);
  });

  test('only the roles provider reads the master secret (its own rotation runs in AWS\'s application)', () => {
    const masterRef = stack.resolve(platform.database.secret.secretArn).Ref as string;
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.PolicyDocument.Statement)
      .includes(`{"Ref":"${masterRef}"}`)).flatMap((p) => p.Properties.Roles.map((r: { Ref: string }) => r.Ref));
    expect(readers).toEqual([expect.stringMatching(/^DataDatabaseRolesProviderFunctionServiceRole/)]);
  });

  test('the collector logs in as the monitoring user', () => {
    const fn = platform.postgresMetrics!.collector;
    const vars = Template.fromStack(stack).findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(vars.SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^DataDatabaseMonitoringUserSecretAttachment/) });
  });

  test('every role comes after the instance, and each password rotation after its role', () => {
    const instanceId = stack.getLogicalId(platform.database.instance.node.defaultChild as never);
    for (const r of Object.values(roles)) expect(r.dependsOn).toContain(instanceId);
    const rotationApp = Object.entries(template.findResources('AWS::Serverless::Application'))
      .find(([id]) => id.startsWith('DataDatabaseApplicationUserRotation'))!;
    expect(rotationApp[1].DependsOn).toContain(roles.app_writer.id);
  });

  test('no custom resource carries a password or a secret value', () => {
    const text = JSON.stringify(Object.values(template.toJSON().Resources as Record<string, { Type: string }>).filter((r) => r.Type.startsWith('Custom::Postgres')));
    expect(text).not.toMatch(/password|resolve:secretsmanager|SecretString/i);
  });

  test('the roles provider runs in the VPC on the database subnets, TLS pinned to the runtime\'s RDS CA bundle', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Creates the PostgreSQL roles'),
      Runtime: 'nodejs24.x',
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: { Variables: Match.objectLike({ DB_CA_FILE: '/var/runtime/ca-cert.pem', DB_PORT: '5433', DB_NAME: 'app' }) },
    });
  });

  test('development retains them too: app_writer owns the tables, and a refused drop would stop cdk destroy', () => {
    const dev = new Stack(new App(), 'D');
    new DataPlatform(dev, 'Data', { profile: Profile.DEVELOPMENT });
    for (const r of specs(dev, 'Custom::PostgresRole')) expect(r.deletionPolicy).toBe('Retain');
    expect(specs(dev, 'Custom::PostgresSchema')[0].deletionPolicy).toBe('Retain');
  });

  test('the names are the user\'s to choose', () => {
    const s = new Stack(new App(), 'N');
    new DataPlatform(s, 'Data', { profile: Profile.DEVELOPMENT, roles: { schemaName: 'orders', applicationUserName: 'orders_app', readOnlyUserName: 'orders_ro' } });
    const names = specs(s, 'Custom::PostgresRole').map((r) => r.spec.name).sort();
    expect(names).toEqual(['app_readonly', 'orders_app', 'orders_ro', 'playbook_monitor']);
    expect(specs(s, 'Custom::PostgresSchema')[0].spec).toMatchObject({ name: 'orders', owner: 'orders_app' });
  });
});

describe('roles constructs on a PostgresDatabase', () => {
  const build = () => {
    const stack = new Stack(new App(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const db = new PostgresDatabase(stack, 'Db', { vpc, profile: Profile.DEVELOPMENT });
    return { stack, db };
  };

  test('a user, a group, a schema, a read-write grant with its creators, a database and extensions', () => {
    const { stack, db } = build();
    const migrator = db.addUser('Migrator', { roleName: 'migrator', authentication: DatabaseUserAuthentication.IAM });
    const writers = db.addGroupRole('Writers', { roleName: 'writers', predefinedRoles: ['pg_signal_backend'] });
    const api = db.addUser('Api', { roleName: 'api', groups: [writers], connectionLimit: 50, rotationInterval: Duration.days(7), removalPolicy: RemovalPolicy.RETAIN });
    const schema = db.addSchema('Orders', { schemaName: 'orders', owner: migrator });
    db.addSchemaGrant('Write', { schema, role: writers, privilege: SchemaPrivilege.READ_WRITE, createdBy: [api] });
    db.addLogicalDatabase('Reporting', { databaseName: 'reporting', owner: migrator });
    db.addExtension('Trgm', { extensionName: 'pg_trgm' });
    const roles = Object.fromEntries(specs(stack, 'Custom::PostgresRole').map((r) => [String(r.spec.name), r]));
    expect(roles.migrator.spec).toMatchObject({ login: true, iam: true, clone: false });
    expect(roles.migrator.spec.secretArn).toBeUndefined();
    expect(roles.api.spec).toMatchObject({ login: true, iam: false, clone: true, memberOf: ['writers'], connectionLimit: 50 });
    expect(roles.api.deletionPolicy).toBe('Retain');
    expect(roles.api.dependsOn).toContain(roles.writers.id);
    expect(roles.writers.spec).toMatchObject({ login: false, memberOf: ['pg_signal_backend'] });
    expect(specs(stack, 'Custom::PostgresSchemaGrant')[0].spec).toEqual({
      kind: 'grant', database: 'app', schema: 'orders', role: 'writers', privilege: 'READ_WRITE',
      // The owner's objects, the master's, and the api user's (both names of its alternating rotation).
      defaultFor: ['migrator', 'dbadmin', 'api', 'api_clone'],
    });
    expect(specs(stack, 'Custom::PostgresDatabase')[0].spec).toEqual({ kind: 'database', name: 'reporting', owner: 'migrator' });
    expect(specs(stack, 'Custom::PostgresExtension').map((e) => e.spec.name).sort()).toEqual(['pg_stat_statements', 'pg_trgm']);
    // The alternating-users rotation, with the master secret driving it, every 7 days.
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
    // The api user's secret names the master secret (masterarn), which its rotation logs in with.
    const apiSecret = Template.fromStack(stack).findResources('AWS::SecretsManager::Secret')[stack.getLogicalId(api.node.findChild('Secret').node.defaultChild as never)];
    const template = JSON.stringify(apiSecret.Properties.GenerateSecretString.SecretStringTemplate);
    expect(template).toContain('\\"username\\":\\"api\\"');
    expect(template).toContain('masterarn');
    expect(template).toContain(stack.resolve(db.secret.secretArn).Ref);
  });

  test('extensions given to the database are created besides pg_stat_statements', () => {
    const stack = new Stack(new App(), 'E');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'Db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new PostgresDatabase(stack, 'Db', { vpc, extensions: ['hypopg', 'pg_stat_statements'] });
    expect(specs(stack, 'Custom::PostgresExtension').map((e) => e.spec.name)).toEqual(['pg_stat_statements', 'hypopg']);
  });

  test('DatabaseUser.grantConnect grants rds-db:connect as the user', () => {
    const { stack, db } = build();
    const user = db.addUser('Reporter', { roleName: 'reporter', authentication: DatabaseUserAuthentication.IAM });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    user.grantConnect(role);
    const statement = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(statement).toContain('rds-db:connect');
    expect(statement).toContain('/reporter');
  });

  describe('bad input fails at synth, naming the prop, the value and what is allowed', () => {
    test.each([
      [{ roleName: 'rds_superuser' }, /roleName 'rds_superuser' is not allowed: a name PostgreSQL or RDS reserves/],
      [{ roleName: 'pg_monitor' }, /roleName 'pg_monitor' is not allowed: the prefix 'pg_' is reserved/],
      [{ roleName: 'Orders-App' }, /roleName 'Orders-App' is not allowed: lower-case letters, digits and underscores only/],
      [{ roleName: 'a'.repeat(60) }, /roleName 'a{60}' is not allowed: at most 57 characters \(the alternating-users rotation adds '_clone'\)/],
      [{ roleName: 'dbadmin' }, /roleName 'dbadmin' is the master user's name/],
      [{ roleName: 'ok', predefinedRoles: ['rds_superuser'] }, /predefinedRoles 'rds_superuser' is not allowed: one of pg_monitor, /],
      [{ roleName: 'ok', connectionLimit: -2 }, /connectionLimit must be an integer from -1 to 100000 \(got -2\)/],
      [{ roleName: 'ok', rotationInterval: Duration.days(400) }, /rotationInterval must be an integer from 1 to 365 days \(got 400 days\)/],
      [{ roleName: 'ok', authentication: DatabaseUserAuthentication.IAM, rotationStrategy: PasswordRotationStrategy.SINGLE_USER }, /rotationStrategy and rotationInterval apply to a password: authentication is IAM/],
    ])('addUser(%o)', (options, message) => {
      const { db } = build();
      expect(() => db.addUser('U', options)).toThrow(message);
    });

    test('two roles of one name in one database', () => {
      const { db } = build();
      db.addUser('A', { roleName: 'api' });
      expect(() => db.addGroupRole('B', { roleName: 'api' })).toThrow(/roleName 'api' is already the role of S\/Db\/A in S\/Db/);
      // The alternating rotation's clone name is taken too.
      expect(() => db.addGroupRole('C', { roleName: 'api_clone' })).toThrow(/roleName 'api_clone' is already the role of S\/Db\/A/);
    });

    test('an extension RDS for PostgreSQL 17 does not have', () => {
      const { db } = build();
      expect(() => db.addExtension('X', { extensionName: 'pg_nonexistent' })).toThrow(/extensionName 'pg_nonexistent' is not allowed/);
    });

    test('a reserved schema, a grant with neither or both schema forms, an unknown privilege', () => {
      const { db } = build();
      expect(() => db.addSchema('S1', { schemaName: 'pg_temp' })).toThrow(/schemaName 'pg_temp' is not allowed: a name PostgreSQL reserves/);
      const user = db.addUser('U', { roleName: 'u' });
      expect(() => db.addSchemaGrant('G1', { role: user, privilege: SchemaPrivilege.READ_ONLY })).toThrow(/give schema \(a DatabaseSchema\) or schemaName/);
      expect(() => db.addSchemaGrant('G2', { role: user, schemaName: 'public', privilege: 'ALL' as SchemaPrivilege })).toThrow(/privilege 'ALL' is not allowed: one of READ_ONLY, READ_WRITE/);
    });

    test('a proxy user whose username alternates, or that has no secret', () => {
      const { db } = build();
      const alternating = db.addUser('Alt', { roleName: 'alt' });
      expect(() => db.addConnectionPool('P1', { users: [alternating] })).toThrow(/users: alt's password rotates by ALTERNATING_USERS, .* give it rotationStrategy SINGLE_USER/);
      const iamOnly = db.addUser('Iam', { roleName: 'iam_only', authentication: DatabaseUserAuthentication.IAM });
      expect(() => db.addConnectionPool('P2', { users: [iamOnly] })).toThrow(/users: iam_only logs in with IAM only/);
    });

    test('IAM connect for a password-only user; grantConnect without a user', () => {
      const { stack, db } = build();
      const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      expect(() => db.addUser('P', { roleName: 'pw' }).grantConnect(role)).toThrow(/grantConnect: pw logs in with a password only/);
      expect(() => db.grantConnect(role, undefined as unknown as string)).toThrow(/grantConnect needs the PostgreSQL user to connect as/);
    });

    test('DataPlatform does not take connectionPool.users', () => {
      const stack = new Stack(new App(), 'X');
      expect(() => new DataPlatform(stack, 'Data', { connectionPool: { users: [] } })).toThrow(/connectionPool.users cannot be set on a DataPlatform/);
    });
  });
});
