import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { databaseOf } from './database-schema';
import type { LogicalDatabase } from './logical-database';
import { RolesProvider } from './roles-provider';
import type { PostgresDatabase } from '../postgres-database';
import { extensionProblem } from '../../../shared/rds-extensions';
import { PlaybookValidationError } from '../../private/validation';

/** Options of a DatabaseExtension. */
export interface DatabaseExtensionOptions {
  /** The extension's name, one RDS for PostgreSQL 17 supports (e.g. 'pg_trgm', 'postgis', 'hypopg'). */
  readonly extensionName: string;

  /**
   * The database the extension is created in.
   *
   * @default - the database created with the instance
   */
  readonly logicalDatabase?: LogicalDatabase;
}

/** Properties of a DatabaseExtension. */
export interface DatabaseExtensionProps extends DatabaseExtensionOptions {
  /** The database instance. */
  readonly database: PostgresDatabase;
}

/**
 * An extension (CREATE EXTENSION IF NOT EXISTS) in a database; dropped (RESTRICT: never what
 * depends on it) when it leaves the stack.
 */
export class DatabaseExtension extends Construct {
  /** The extension's name. */
  public readonly extensionName: string;
  /** The custom resource of the extension. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseExtensionProps) {
    super(scope, id);
    const problem = extensionProblem(props.extensionName);
    if (problem) throw new PlaybookValidationError(this, `extensionName '${props.extensionName}' is not allowed: ${problem}`);
    if (props.logicalDatabase && props.logicalDatabase.database !== props.database) {
      throw new PlaybookValidationError(this, `logicalDatabase ${props.logicalDatabase.node.path} belongs to another database instance`);
    }
    this.extensionName = props.extensionName;
    this.resource = RolesProvider.of(props.database).object(this, 'Resource', {
      kind: 'extension', database: databaseOf(props.database, props.logicalDatabase), name: props.extensionName,
    }, RemovalPolicy.DESTROY, props.logicalDatabase ? [props.logicalDatabase] : []);
  }
}
