import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { checkSameDatabase, databaseOf, DatabaseSchema } from './database-schema';
import type { IDatabaseRole } from './database-user';
import type { LogicalDatabase } from './logical-database';
import { RolesProvider } from './roles-provider';
import type { PostgresDatabase } from '../postgres-database';
import { identifierProblem } from '../../../shared/roles-spec';
import { PlaybookValidationError } from '../../private/validation';

/**
 * What a schema grant gives, on the objects there now and on those created later (default
 * privileges).
 */
export enum SchemaPrivilege {
  /** USAGE on the schema; SELECT on its tables and sequences. */
  READ_ONLY = 'READ_ONLY',
  /**
   * USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on its tables; USAGE, SELECT, UPDATE on
   * its sequences; EXECUTE on its functions. Not DDL: creating tables stays with the owner.
   */
  READ_WRITE = 'READ_WRITE',
}

/** Options of a SchemaGrant. */
export interface SchemaGrantOptions {
  /** The role the privileges are granted to. */
  readonly role: IDatabaseRole;

  /** What the role may do. */
  readonly privilege: SchemaPrivilege;

  /**
   * A schema a construct of this library creates. Give this or `schemaName`.
   *
   * @default - the schema named `schemaName`
   */
  readonly schema?: DatabaseSchema;

  /**
   * The name of a schema that exists already (e.g. 'public'). Give this or `schema`.
   *
   * @default - the `schema`'s name
   */
  readonly schemaName?: string;

  /**
   * The database of `schemaName`.
   *
   * @default - the schema's database, else the database created with the instance
   */
  readonly logicalDatabase?: LogicalDatabase;

  /**
   * Roles whose tables created later in the schema the grant covers too (ALTER DEFAULT PRIVILEGES
   * FOR ROLE), besides the schema owner's and the master user's.
   *
   * @default - the schema's owner (with its rotation clone) and the master user
   */
  readonly createdBy?: IDatabaseRole[];
}

/** Properties of a SchemaGrant. */
export interface SchemaGrantProps extends SchemaGrantOptions {
  /** The database instance. */
  readonly database: PostgresDatabase;
}

/**
 * Read-only or read-write privileges on a schema's objects for a role, including default
 * privileges, so tables added later are covered without another grant. Removing it revokes them.
 */
export class SchemaGrant extends Construct {
  /** The custom resource of the grant. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaGrantProps) {
    super(scope, id);
    if ((props.schema === undefined) === (props.schemaName === undefined)) {
      throw new PlaybookValidationError(this, 'give schema (a DatabaseSchema) or schemaName (an existing schema), exactly one');
    }
    if (props.schema && props.logicalDatabase) {
      throw new PlaybookValidationError(this, 'logicalDatabase cannot be combined with schema: the schema knows its database');
    }
    if (props.schemaName !== undefined) {
      const problem = identifierProblem(props.schemaName);
      if (problem) throw new PlaybookValidationError(this, `schemaName '${props.schemaName}' is not allowed: ${problem}`);
    }
    if (!Object.values(SchemaPrivilege).includes(props.privilege)) {
      throw new PlaybookValidationError(this, `privilege '${String(props.privilege)}' is not allowed: one of ${Object.values(SchemaPrivilege).join(', ')}`);
    }
    checkSameDatabase(this, props.database, props.role, props.schema, props.logicalDatabase, ...(props.createdBy ?? []));
    const creators = [
      ...(props.schema?.creatorNames ?? [props.database.masterUsername]),
      ...(props.createdBy ?? []).flatMap((r) => r.creatorNames),
    ];
    this.resource = RolesProvider.of(props.database).object(this, 'Resource', {
      kind: 'grant',
      database: props.schema ? props.schema.databaseName : databaseOf(props.database, props.logicalDatabase),
      schema: props.schema?.schemaName ?? props.schemaName!,
      role: props.role.roleName,
      privilege: props.privilege,
      defaultFor: [...new Set(creators)],
    }, RemovalPolicy.DESTROY, [props.role, props.schema, props.logicalDatabase, ...(props.createdBy ?? [])].filter((d): d is NonNullable<typeof d> => d !== undefined));
  }
}
