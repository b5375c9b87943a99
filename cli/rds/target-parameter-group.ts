/**
 * The parameter group of the green environment: a major upgrade needs one of the new family
 * (postgres17 → postgres18), and a group RDS creates from the family's defaults would drop the
 * TunedParameterGroup's values (autovacuum, pg_stat_statements, rds.force_ssl, ...) at the
 * switchover. The command creates one of the target family carrying every value the source's
 * group sets (PLAYBOOK_PARAMETERS and the team's overrides), unless --target-parameter-group
 * names one.
 */
import {
  CreateDBParameterGroupCommand,
  DescribeDBParameterGroupsCommand,
  ModifyDBParameterGroupCommand,
  paginateDescribeDBParameters,
  RDSClient,
  Tag,
} from '@aws-sdk/client-rds';
import { STATIC_PARAMETERS } from '../../shared/playbook-parameters';

/** A parameter the source's group sets. */
export interface SetParameter {
  readonly name: string;
  readonly value: string;
  /** `static` parameters take effect after a reboot. */
  readonly applyType?: string;
}

/**
 * The parameters `group` sets itself: DescribeDBParameters' Source `user` (moto sends no Source:
 * every parameter with a value is then taken as set).
 */
export async function setParameters(rds: RDSClient, group: string): Promise<SetParameter[]> {
  const out: SetParameter[] = [];
  for await (const page of paginateDescribeDBParameters({ client: rds }, { DBParameterGroupName: group })) {
    for (const p of page.Parameters ?? []) {
      if (!p.ParameterName || p.ParameterValue === undefined) continue;
      if (p.Source !== undefined && p.Source !== 'user') continue;
      out.push({ name: p.ParameterName, value: p.ParameterValue, applyType: p.ApplyType });
    }
  }
  return out;
}

/**
 * The new group's name: the source's with its family replaced (`orders-postgres17` →
 * `orders-postgres18`), else the source's with `-<family>` added; at most 255 characters.
 */
export function targetGroupName(sourceGroup: string, sourceFamily: string | undefined, targetFamily: string): string {
  if (sourceFamily && sourceGroup.includes(sourceFamily) && !sourceGroup.startsWith('default.')) return sourceGroup.replace(sourceFamily, targetFamily);
  const base = sourceGroup.startsWith('default.') ? 'db-playbook' : sourceGroup;
  return `${base}-${targetFamily}`.slice(0, 255);
}

/** The family of the parameter group `name`, or undefined when there is no such group. */
export async function parameterGroupFamily(rds: RDSClient, name: string): Promise<string | undefined> {
  try {
    const { DBParameterGroups = [] } = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }));
    return DBParameterGroups[0]?.DBParameterGroupFamily ?? (DBParameterGroups[0] ? '' : undefined);
  } catch (e) {
    if ((e as { name?: string }).name === 'DBParameterGroupNotFoundFault') return undefined;
    throw e;
  }
}

/** ModifyDBParameterGroup takes at most 20 parameters per call. */
const PER_CALL = 20;

/**
 * Creates `name` (family `family`) with `parameters`; if setting them fails (a parameter the new
 * family does not have), the error says so and how to delete the group.
 */
export async function createParameterGroup(
  rds: RDSClient, name: string, family: string, description: string, parameters: readonly SetParameter[], tags: readonly Tag[],
): Promise<void> {
  await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: name, DBParameterGroupFamily: family, Description: description, Tags: [...tags] }));
  try {
    for (let i = 0; i < parameters.length; i += PER_CALL) {
      await rds.send(new ModifyDBParameterGroupCommand({
        DBParameterGroupName: name,
        Parameters: parameters.slice(i, i + PER_CALL).map((p) => ({
          ParameterName: p.name,
          ParameterValue: p.value,
          // A group no instance uses yet: pending-reboot for static ones, which RDS refuses to apply immediately.
          ApplyMethod: p.applyType === 'static' || STATIC_PARAMETERS.includes(p.name) || p.name === 'rds.logical_replication' ? 'pending-reboot' : 'immediate',
        })),
      }));
    }
  } catch (e) {
    const err = e as Error;
    const wrapped = new Error(`ModifyDBParameterGroup ${name}: ${err.message}. The group was created and is not used by any instance: `
      + `fix the parameter (or pass --target-parameter-group) and delete it with \`aws rds delete-db-parameter-group --db-parameter-group-name ${name}\``, { cause: e });
    wrapped.name = err.name;
    throw wrapped;
  }
}
