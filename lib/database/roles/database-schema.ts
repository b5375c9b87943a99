import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IDatabaseRole } from './database-user';
import type { LogicalDatabase } from './logical-database';
import { RolesProvider } from './roles-provider';
import type { PostgresDatabase } from '../postgres-database';
import { identifierProblem } from '../../../shared/roles-spec';
import { PlaybookValidationError } from '../../private/validation';

/** Options of a DatabaseSchema. */
export interface DatabaseSchemaOptions {
  /** The schema's name: lower-case letters, digits and underscores, not `pg_*` or `information_schema`. */
  readonly schemaName: string;

  /**
   * The role that owns the schema (and so may create objects in it).
   *
   * @default - the master user
   */
  readonly owner?: IDatabaseRole;

  /**
   * The database the schema is in.
   *
   * @default - the database created with the instance
   */
  readonly logicalDatabase?: LogicalDatabase;

  /**
   * What happens to the schema when it leaves the stack: with DESTROY it is dropped only if it is
   * empty (the deletion fails otherwise, naming what it holds).
   *
   * @default RemovalPolicy.RETAIN - in development too: the instance leaves with the stack anyway
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a DatabaseSchema. */
export interface DatabaseSchemaProps extends DatabaseSchemaOptions {
  /** The database instance. */
  readonly database: PostgresDatabase;
}

/** The database name an object is in, and its dependency. */
export function databaseOf(database: PostgresDatabase, logical?: LogicalDatabase): string {
  return logical ? logical.databaseName : database.databaseName;
}

/**
 * The default removal policy of objects that hold or own data (roles, schemas, databases): RETAIN,
 * in development too, where the instance leaves with the stack and a DESTROY that refuses to drop
 * a non-empty schema would only stop `cdk destroy`.
 */
export function statefulRemovalPolicy(given?: RemovalPolicy): RemovalPolicy {
  return given ?? RemovalPolicy.RETAIN;
}

/**
 * A schema with an owner, created by the database's roles provider.
 */
export class DatabaseSchema extends Construct {
  /** The schema's name. */
  public readonly schemaName: string;
  /** The database it is in. */
  public readonly databaseName: string;
  /** The database instance. */
  public readonly database: PostgresDatabase;
  /** The roles whose objects in the schema default privileges cover: the owner's names, and the master user. */
  public readonly creatorNames: string[];
  /** The custom resource of the schema. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseSchemaProps) {
    super(scope, id);
    const problem = identifierProblem(props.schemaName)
      ?? (props.schemaName.startsWith('pg_') || props.schemaName === 'information_schema' ? 'a name PostgreSQL reserves for its own schemas' : undefined);
    if (problem) throw new PlaybookValidationError(this, `schemaName '${props.schemaName}' is not allowed: ${problem}`);
    checkSameDatabase(this, props.database, props.owner, props.logicalDatabase);
    this.database = props.database;
    this.schemaName = props.schemaName;
    this.databaseName = databaseOf(props.database, props.logicalDatabase);
    const owner = props.owner?.roleName ?? props.database.masterUsername;
    this.creatorNames = [...new Set([...(props.owner?.creatorNames ?? []), props.database.masterUsername])];
    this.resource = RolesProvider.of(props.database).object(this, 'Resource', {
      kind: 'schema', database: this.databaseName, name: props.schemaName, owner,
    }, statefulRemovalPolicy(props.removalPolicy), [props.owner, props.logicalDatabase].filter((d): d is NonNullable<typeof d> => d !== undefined));
  }
}

/** Refuses roles and databases of another instance. */
export function checkSameDatabase(scope: Construct, database: PostgresDatabase, ...parts: ({ database: PostgresDatabase; node: { path: string } } | undefined)[]): void {
  for (const part of parts) {
    if (part && part.database !== database) {
      throw new PlaybookValidationError(scope, `${part.node.path} belongs to another database instance (${part.database.node.path}), not ${database.node.path}`);
    }
  }
}
