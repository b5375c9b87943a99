import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { DEFAULT_POSTGRES_VERSION, PLAYBOOK_PARAMETERS, STATIC_PARAMETERS } from '../private/defaults';
import { PlaybookValidationError } from '../private/validation';

/**
 * Properties of a TunedParameterGroup.
 */
export interface TunedParameterGroupProps {
  /**
   * The PostgreSQL version whose parameter group family the group belongs to.
   *
   * A different major version is a different family: the group is replaced (under a new
   * generated name) on a major upgrade, so the old group is never "in use" by the upgrade.
   *
   * @default rds.PostgresEngineVersion.VER_17_9
   */
  readonly engineVersion?: rds.PostgresEngineVersion;

  /**
   * Parameters set over the playbook's defaults. A key that is also a default replaces it.
   *
   * Values are strings in the unit RDS uses for the parameter (PostgreSQL's base unit).
   *
   * @default - the playbook's defaults only
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Names of playbook defaults to leave out, so the RDS default applies instead.
   *
   * @default - none removed
   */
  readonly removeDefaults?: string[];

  /**
   * The group's description.
   *
   * @default 'PostgreSQL parameters tuned by cdk-db-playbook'
   */
  readonly description?: string;
}

/**
 * An RDS for PostgreSQL parameter group holding the playbook's tuned settings: aggressive
 * autovacuum, slow-statement logging at 5 s, pg_stat_statements + auto_explain, SSD costs,
 * a bounded replication-slot WAL size and TLS-only connections.
 *
 * `shared_preload_libraries` is static: a change takes effect only after a reboot.
 * Every other default is dynamic.
 */
export class TunedParameterGroup extends rds.ParameterGroup {
  /**
   * The playbook's parameters with their values, before any override.
   */
  public static playbookDefaults(): { [name: string]: string } {
    return { ...PLAYBOOK_PARAMETERS };
  }

  /**
   * Names of the playbook's parameters that need a reboot to take effect.
   */
  public static staticParameterNames(): string[] {
    return [...STATIC_PARAMETERS];
  }

  /**
   * The parameters this group sets: defaults, minus removals, plus overrides.
   */
  public readonly effectiveParameters: { [name: string]: string };

  constructor(scope: Construct, id: string, props: TunedParameterGroupProps = {}) {
    const effective = mergeParameters(scope, id, props);
    super(scope, id, {
      engine: rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? DEFAULT_POSTGRES_VERSION }),
      description: props.description ?? 'PostgreSQL parameters tuned by cdk-db-playbook',
      parameters: effective,
    });
    this.effectiveParameters = { ...effective };
  }
}

const PARAMETER_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$/;

function mergeParameters(scope: Construct, id: string, props: TunedParameterGroupProps): Record<string, string> {
  const fail = (message: string) => new PlaybookValidationError(undefined, `${scope.node.path}/${id}: ${message}`);
  const defaults = TunedParameterGroup.playbookDefaults();
  const overrides = props.parameters ?? {};
  for (const name of props.removeDefaults ?? []) {
    if (!(name in defaults)) {
      throw fail(`removeDefaults names '${name}', which is not a playbook default; allowed: ${Object.keys(defaults).join(', ')}`);
    }
    if (name in overrides) {
      throw fail(`'${name}' is both in removeDefaults and in parameters; remove it from one of them`);
    }
    delete defaults[name];
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (!PARAMETER_NAME.test(name)) {
      throw fail(`parameters has an invalid name '${name}'; a PostgreSQL parameter name is lower-case letters, digits and underscores, with at most one '.'`);
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw fail(`parameters.${name} must be a non-empty string (got ${JSON.stringify(value)})`);
    }
  }
  return { ...defaults, ...overrides };
}
