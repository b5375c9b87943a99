/** Reading DB subnet groups and DB parameter groups by name (a restore names them). Read-only. */
import { DBParameterGroup, DBSubnetGroup, DescribeDBParameterGroupsCommand, DescribeDBSubnetGroupsCommand, RDSClient } from '@aws-sdk/client-rds';

function errorName(e: unknown): string {
  return (e as { name?: string }).name ?? '';
}

/** The DB subnet group `name`, or undefined when there is none. Calls: rds:DescribeDBSubnetGroups. */
export async function findSubnetGroup(rds: RDSClient, name: string): Promise<DBSubnetGroup | undefined> {
  try {
    const { DBSubnetGroups = [] } = await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }));
    return DBSubnetGroups.find((g) => g.DBSubnetGroupName?.toLowerCase() === name.toLowerCase());
  } catch (e) {
    if (errorName(e) === 'DBSubnetGroupNotFoundFault') return undefined;
    throw e;
  }
}

/** The DB parameter group `name`, or undefined when there is none. Calls: rds:DescribeDBParameterGroups. */
export async function findParameterGroup(rds: RDSClient, name: string): Promise<DBParameterGroup | undefined> {
  try {
    const { DBParameterGroups = [] } = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }));
    return DBParameterGroups.find((g) => g.DBParameterGroupName?.toLowerCase() === name.toLowerCase());
  } catch (e) {
    if (errorName(e) === 'DBParameterGroupNotFoundFault' || errorName(e) === 'DBParameterGroupNotFound') return undefined;
    throw e;
  }
}
