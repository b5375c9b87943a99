import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { checkSameDatabase, statefulRemovalPolicy } from './database-schema';
import type { IDatabaseRole } from './database-user';
import { RolesProvider } from './roles-provider';
import type { PostgresDatabase } from '../postgres-database';
import { identifierProblem } from '../../../shared/roles-spec';
import { PlaybookValidationError } from '../../private/validation';

/** Options of a LogicalDatabase. */
export interface LogicalDatabaseOptions {
  /** The database's name: lower-case letters, digits and underscores, not `postgres`, `rdsadmin` or `template*`. */
  readonly databaseName: string;

  /**
   * The role that owns the database.
   *
   * @default - the master user
   */
  readonly owner?: IDatabaseRole;

  /**
   * What happens to the database when it leaves the stack: with DESTROY it is dropped only if it
   * holds no tables or other objects of its own (the deletion fails otherwise).
   *
   * @default RemovalPolicy.RETAIN - in development too: the instance leaves with the stack anyway
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a LogicalDatabase. */
export interface LogicalDatabaseProps extends LogicalDatabaseOptions {
  /** The database instance. */
  readonly database: PostgresDatabase;
}

const RESERVED_DATABASES = ['postgres', 'rdsadmin', 'template0', 'template1'];

/**
 * A database with an owner, besides the one created with the instance.
 */
export class LogicalDatabase extends Construct {
  /** The database's name. */
  public readonly databaseName: string;
  /** The database instance. */
  public readonly database: PostgresDatabase;
  /** The custom resource of the database. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: LogicalDatabaseProps) {
    super(scope, id);
    const problem = identifierProblem(props.databaseName)
      ?? (RESERVED_DATABASES.includes(props.databaseName) ? 'a database RDS or PostgreSQL keeps for itself' : undefined)
      ?? (props.databaseName === props.database.databaseName ? 'the database created with the instance already has this name' : undefined);
    if (problem) throw new PlaybookValidationError(this, `databaseName '${props.databaseName}' is not allowed: ${problem}`);
    checkSameDatabase(this, props.database, props.owner);
    this.database = props.database;
    this.databaseName = props.databaseName;
    this.resource = RolesProvider.of(props.database).object(this, 'Resource', {
      kind: 'database', name: props.databaseName, owner: props.owner?.roleName ?? props.database.masterUsername,
    }, statefulRemovalPolicy(props.removalPolicy), props.owner ? [props.owner] : []);
  }
}
