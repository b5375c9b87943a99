/** RDS Proxy: reading a proxy's targets and re-pointing its default target group. */
import {
  DBProxy,
  DeregisterDBProxyTargetsCommand,
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetsCommand,
  RDSClient,
  RegisterDBProxyTargetsCommand,
} from '@aws-sdk/client-rds';

/** The proxy's default target group (the only one RDS Proxy has). */
export const DEFAULT_TARGET_GROUP = 'default';

/** The proxy `name`, or undefined when there is none. */
export async function findProxy(rds: RDSClient, name: string): Promise<DBProxy | undefined> {
  try {
    const { DBProxies } = await rds.send(new DescribeDBProxiesCommand({ DBProxyName: name }));
    return DBProxies?.[0];
  } catch (e) {
    if ((e as { name?: string }).name === 'DBProxyNotFoundFault') return undefined;
    throw e;
  }
}

/** The DB instance identifiers the proxy's default target group targets. */
export async function proxyInstanceTargets(rds: RDSClient, name: string): Promise<string[]> {
  const { Targets = [] } = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: DEFAULT_TARGET_GROUP }));
  return Targets.filter((t) => t.Type === 'RDS_INSTANCE' && t.RdsResourceId).map((t) => t.RdsResourceId!);
}

/**
 * Re-points the proxy's default target group from its current instances to `instanceId`:
 * DeregisterDBProxyTargets first (a proxy for RDS for PostgreSQL has one instance target),
 * then RegisterDBProxyTargets. If registering fails, the old targets are registered again
 * and the error is rethrown.
 */
export async function repointProxy(rds: RDSClient, name: string, instanceId: string): Promise<{ before: string[]; after: string[] }> {
  const before = await proxyInstanceTargets(rds, name);
  const old = before.filter((id) => id !== instanceId);
  if (old.length > 0) {
    await rds.send(new DeregisterDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: DEFAULT_TARGET_GROUP, DBInstanceIdentifiers: old }));
  }
  if (!before.includes(instanceId)) {
    try {
      await rds.send(new RegisterDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: DEFAULT_TARGET_GROUP, DBInstanceIdentifiers: [instanceId] }));
    } catch (e) {
      if (old.length > 0) {
        await rds.send(new RegisterDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: DEFAULT_TARGET_GROUP, DBInstanceIdentifiers: old })).catch((again: Error) => {
          (e as Error).message += ` (and re-registering ${old.join(', ')} failed too: ${again.message}; the proxy has no target now)`;
        });
      }
      throw e;
    }
  }
  return { before, after: await proxyInstanceTargets(rds, name) };
}
