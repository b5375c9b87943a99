import { CustomResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { RolesProvider } from './roles-provider';
import type { PostgresDatabase } from '../postgres-database';
import { CLONE_SUFFIX, PREDEFINED_ROLES, roleNameProblem } from '../../../shared/roles-spec';
import { acknowledgeDatabaseIngress } from '../../private/nag';
import { PlaybookValidationError, validateIntegerRange } from '../../private/validation';
import { Profile } from '../../profile';

/**
 * A PostgreSQL role a construct of this library creates: a user (DatabaseUser) or a group role
 * (DatabaseGroupRole).
 */
export interface IDatabaseRole extends IConstruct {
  /** The role's name in PostgreSQL. */
  readonly roleName: string;
  /**
   * The names the role's objects are created under: the role, and its `_clone` when its password
   * rotates by alternating users (default privileges must cover both).
   */
  readonly creatorNames: string[];
  /** The database instance the role is in. */
  readonly database: PostgresDatabase;
}

/**
 * How a user logs in.
 */
export enum DatabaseUserAuthentication {
  /** With a password from its own Secrets Manager secret, rotated. */
  PASSWORD = 'PASSWORD',
  /** With an IAM authentication token (member of rds_iam); no secret. */
  IAM = 'IAM',
  /**
   * Both: the secret (RDS Proxy logs in to the database with it) and rds_iam (IAM authentication
   * to the instance and its replicas).
   */
  PASSWORD_AND_IAM = 'PASSWORD_AND_IAM',
}

/**
 * How a user's password rotates.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html
 */
export enum PasswordRotationStrategy {
  /**
   * Alternating users, driven by the master secret: each rotation updates the password of the
   * user or of its clone `<name>_clone` in turn, so the previous credentials stay valid until the
   * next rotation. The secret's `username` alternates: clients must read it from the secret.
   */
  ALTERNATING_USERS = 'ALTERNATING_USERS',
  /**
   * Single user: the user changes its own password. For a user RDS Proxy serves: the proxy matches
   * an IAM login to the secret by its username, which alternating users would change.
   */
  SINGLE_USER = 'SINGLE_USER',
}

/** Options of a DatabaseGroupRole, and of every role (a DatabaseUser's too). */
export interface DatabaseGroupRoleOptions {
  /**
   * The role's name: lower-case letters, digits and underscores, at most 63 characters (57 when
   * its password rotates by alternating users), not `pg_*`, `rds_*` or another reserved name.
   */
  readonly roleName: string;

  /**
   * PostgreSQL's predefined roles the role is a member of (pg_monitor, pg_read_all_stats,
   * pg_read_all_data, pg_signal_backend, ...).
   *
   * @default - none
   * @see https://www.postgresql.org/docs/17/predefined-roles.html
   */
  readonly predefinedRoles?: string[];

  /**
   * Group roles of this database the role is a member of.
   *
   * @default - none
   */
  readonly groups?: DatabaseGroupRole[];

  /**
   * What happens to the role when it leaves the stack. A role that owns objects is never dropped:
   * with DESTROY the deletion fails naming what it owns (and REASSIGN OWNED to run).
   *
   * @default RemovalPolicy.RETAIN - in development too: the instance leaves with the stack anyway,
   * and a role owning the application's tables would otherwise stop `cdk destroy`
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of a DatabaseUser. */
export interface DatabaseUserOptions extends DatabaseGroupRoleOptions {
  /**
   * How the user logs in.
   *
   * @default DatabaseUserAuthentication.PASSWORD
   */
  readonly authentication?: DatabaseUserAuthentication;

  /**
   * How the password rotates (PASSWORD and PASSWORD_AND_IAM).
   *
   * @default PasswordRotationStrategy.ALTERNATING_USERS
   */
  readonly rotationStrategy?: PasswordRotationStrategy;

  /**
   * How often the password rotates (1 to 365 days).
   *
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;

  /**
   * The most connections the user may hold at once (-1: no limit).
   *
   * @default -1
   */
  readonly connectionLimit?: number;
}

/** Properties of a DatabaseUser. */
export interface DatabaseUserProps extends DatabaseUserOptions {
  /** The database instance the user is created in. */
  readonly database: PostgresDatabase;
}

/** Properties of a DatabaseGroupRole. */
export interface DatabaseGroupRoleProps extends DatabaseGroupRoleOptions {
  /** The database instance the role is created in. */
  readonly database: PostgresDatabase;
}

/** Checks and resolves what users and group roles share; returns the spec's memberships. */
function roleBase(scope: Construct, database: PostgresDatabase, options: DatabaseGroupRoleOptions, clone: boolean): { memberOf: string[]; removalPolicy: RemovalPolicy } {
  const name = options.roleName;
  if (Token.isUnresolved(name)) throw new PlaybookValidationError(scope, 'roleName must be a literal string (a role name is known at synth)');
  const problem = roleNameProblem(name, clone);
  if (problem) throw new PlaybookValidationError(scope, `roleName '${name}' is not allowed: ${problem}`);
  if (name === database.masterUsername || (clone && `${name}${CLONE_SUFFIX}` === database.masterUsername)) {
    throw new PlaybookValidationError(scope, `roleName '${name}' is the master user's name: give the role another name`);
  }
  const taken = allRoles(database).find((r) => r !== scope && (r.creatorNames.includes(name) || (clone && r.creatorNames.includes(`${name}${CLONE_SUFFIX}`))));
  if (taken) throw new PlaybookValidationError(scope, `roleName '${name}' is already the role of ${taken.node.path} in ${database.node.path}`);
  for (const role of options.predefinedRoles ?? []) {
    if (!PREDEFINED_ROLES.includes(role)) {
      throw new PlaybookValidationError(scope, `predefinedRoles '${role}' is not allowed: one of ${PREDEFINED_ROLES.join(', ')} (rds_superuser and rds_iam are not grantable this way; for IAM use authentication)`);
    }
  }
  for (const group of options.groups ?? []) {
    if (group.database !== database) throw new PlaybookValidationError(scope, `groups: ${group.node.path} is a role of another database (${group.database.node.path})`);
  }
  return {
    memberOf: [...(options.predefinedRoles ?? []), ...(options.groups ?? []).map((g) => g.roleName)],
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  };
}

/** Every user and group role of `database` in the app. */
function allRoles(database: PostgresDatabase): IDatabaseRole[] {
  return database.node.root.node.findAll().filter((c): c is DatabaseUser | DatabaseGroupRole =>
    (c instanceof DatabaseUser || c instanceof DatabaseGroupRole) && c.database === database);
}

/**
 * A PostgreSQL user (a role with LOGIN), created and kept as code by the database's roles
 * provider: with its own Secrets Manager secret (encrypted with the database key, the connection
 * JSON of the master secret, rotated) or with IAM authentication, member of the given predefined
 * and group roles. Changing it updates the role in place; removing it never drops a role that owns
 * objects.
 */
export class DatabaseUser extends Construct implements IDatabaseRole {
  /** The user's name in PostgreSQL. */
  public readonly roleName: string;
  /** The names its objects are created under (with `_clone` when its password alternates). */
  public readonly creatorNames: string[];
  /** The database instance. */
  public readonly database: PostgresDatabase;
  /** The user's secret (username, password, host, port, dbname, engine), unless IAM-only. */
  public readonly secret?: secretsmanager.ISecret;
  /** How it logs in. */
  public readonly authentication: DatabaseUserAuthentication;
  /** How its password rotates (unless IAM-only). */
  public readonly rotationStrategy?: PasswordRotationStrategy;
  /** The custom resource of the role: depend on it to use the role. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseUserProps) {
    super(scope, id);
    const database = props.database;
    this.database = database;
    this.authentication = props.authentication ?? DatabaseUserAuthentication.PASSWORD;
    const password = this.authentication !== DatabaseUserAuthentication.IAM;
    if (!password && (props.rotationStrategy !== undefined || props.rotationInterval !== undefined)) {
      throw new PlaybookValidationError(this, 'rotationStrategy and rotationInterval apply to a password: authentication is IAM (no secret)');
    }
    this.rotationStrategy = password ? props.rotationStrategy ?? PasswordRotationStrategy.ALTERNATING_USERS : undefined;
    const clone = this.rotationStrategy === PasswordRotationStrategy.ALTERNATING_USERS;
    this.roleName = props.roleName;
    this.creatorNames = clone ? [props.roleName, `${props.roleName}${CLONE_SUFFIX}`] : [props.roleName];
    const { memberOf, removalPolicy } = roleBase(this, database, props, clone);
    const connectionLimit = props.connectionLimit ?? -1;
    validateIntegerRange(this, 'connectionLimit', connectionLimit, -1, 100000);
    const interval = props.rotationInterval ?? Duration.days(30);
    if (!interval.isUnresolved()) validateIntegerRange(this, 'rotationInterval', interval.toDays({ integral: false }), 1, 365, 'days');

    const provider = RolesProvider.of(database);
    const dependsOn: IConstruct[] = [...(props.groups ?? [])];
    if (password) {
      const production = database.profile === Profile.PRODUCTION;
      const generated = new rds.DatabaseSecret(this, 'Secret', {
        username: props.roleName,
        encryptionKey: database.encryptionKey,
        dbname: database.databaseName,
        // The alternating-users rotation logs in as the master (the secret's masterarn) to change the password.
        masterSecret: clone ? database.secret : undefined,
      });
      // Restoring a snapshot keeps the role's password of its time: the secret (its versions) must outlive the instance.
      generated.applyRemovalPolicy(production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      this.secret = generated.attach(database.instance);
      provider.addRoleSecret(this.secret);
      const rotation = new secretsmanager.SecretRotation(this, 'Rotation', {
        application: clone
          ? secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_MULTI_USER
          : secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
        secret: this.secret,
        masterSecret: clone ? database.secret : undefined,
        target: database.instance,
        vpc: database.vpc,
        vpcSubnets: database.vpcSubnets,
        automaticallyAfter: interval,
      });
      const rotationSg = rotation.node.tryFindChild('SecurityGroup');
      if (rotationSg) acknowledgeDatabaseIngress(database.securityGroups, rotationSg, `secret-rotation function of ${props.roleName}`);
      // (The spec names the attachment's ARN: the role comes after the secret. Not after the whole
      // secret construct: its rotation schedule comes after the role.)
    }
    this.resource = provider.object(this, 'Resource', {
      kind: 'role',
      name: props.roleName,
      login: true,
      iam: this.authentication !== DatabaseUserAuthentication.PASSWORD,
      secretArn: this.secret?.secretArn,
      clone,
      memberOf,
      connectionLimit,
    }, removalPolicy, dependsOn);
    // The first rotation (right after the rotation schedule is created) needs the role.
    if (password) this.node.findChild('Rotation').node.addDependency(this.resource);
  }

  /**
   * Grants `rds-db:connect` to the instance as this user (IAM authentication; the user must have
   * authentication IAM or PASSWORD_AND_IAM).
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    this.requireIam('grantConnect');
    return this.database.grantConnect(grantee, this.roleName);
  }

  /** Grants reading the user's secret (and decrypting it). */
  public grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    if (!this.secret) throw new PlaybookValidationError(this, `grantSecretRead: ${this.roleName} logs in with IAM only and has no secret`);
    return this.secret.grantRead(grantee);
  }

  /** Refuses an IAM use of a user that is not a member of rds_iam. */
  public requireIam(what: string): void {
    if (this.authentication === DatabaseUserAuthentication.PASSWORD) {
      throw new PlaybookValidationError(this, `${what}: ${this.roleName} logs in with a password only (authentication PASSWORD); give it authentication PASSWORD_AND_IAM or IAM for IAM authentication`);
    }
  }
}

/**
 * A PostgreSQL group role (NOLOGIN): privileges granted to it reach its members.
 */
export class DatabaseGroupRole extends Construct implements IDatabaseRole {
  /** The role's name in PostgreSQL. */
  public readonly roleName: string;
  /** The names its objects are created under. */
  public readonly creatorNames: string[];
  /** The database instance. */
  public readonly database: PostgresDatabase;
  /** The custom resource of the role. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseGroupRoleProps) {
    super(scope, id);
    this.database = props.database;
    this.roleName = props.roleName;
    this.creatorNames = [props.roleName];
    const { memberOf, removalPolicy } = roleBase(this, props.database, props, false);
    this.resource = RolesProvider.of(props.database).object(this, 'Resource', {
      kind: 'role', name: props.roleName, login: false, iam: false, clone: false, memberOf, connectionLimit: -1,
    }, removalPolicy, [...(props.groups ?? [])]);
  }
}
