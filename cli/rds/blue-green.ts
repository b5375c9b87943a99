/**
 * RDS Blue/Green deployments of a DB instance: create one, read its state, switch over, delete it
 * (with the green environment). Each function is one AWS call.
 *
 * States (DescribeBlueGreenDeployments Status): PROVISIONING → AVAILABLE; SWITCHOVER_IN_PROGRESS →
 * SWITCHOVER_COMPLETED; INVALID_CONFIGURATION, PROVISIONING_FAILED and SWITCHOVER_FAILED do not
 * get better by waiting; DELETING.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-overview.html
 */
import {
  BlueGreenDeployment,
  CreateBlueGreenDeploymentCommand,
  DeleteBlueGreenDeploymentCommand,
  DescribeBlueGreenDeploymentsCommand,
  RDSClient,
  SwitchoverBlueGreenDeploymentCommand,
  Tag,
} from '@aws-sdk/client-rds';

/** States a deployment does not leave by waiting. */
export const FAILED_DEPLOYMENT_STATES: readonly string[] = ['INVALID_CONFIGURATION', 'PROVISIONING_FAILED', 'SWITCHOVER_FAILED'];

/** The tag db-playbook puts on the deployments it creates: the upgrade's source and target versions. */
export const UPGRADE_TAG = 'db-playbook:upgrade';

/** What a deployment is, as the command reads it. */
export interface DeploymentFacts {
  readonly id: string;
  readonly name?: string;
  readonly status: string;
  readonly statusDetails?: string;
  /** The green instance's ARN (SwitchoverDetails TargetMember). */
  readonly greenArn?: string;
  /** `name STATUS` of each task RDS reports (CREATING_READ_REPLICA_OF_SOURCE, DB_ENGINE_VERSION_UPGRADE, ...). */
  readonly tasks: readonly string[];
}

function facts(d: BlueGreenDeployment | undefined): DeploymentFacts {
  return {
    id: d?.BlueGreenDeploymentIdentifier ?? '?',
    name: d?.BlueGreenDeploymentName,
    status: d?.Status ?? 'unknown',
    statusDetails: d?.StatusDetails,
    greenArn: d?.SwitchoverDetails?.[0]?.TargetMember ?? d?.Target,
    tasks: (d?.Tasks ?? []).map((t) => `${t.Name ?? '?'} ${t.Status ?? '?'}`),
  };
}

/** A deployment name RDS takes (letters, digits, hyphens; at most 60): `<instance>-to-<version with hyphens>`. */
export function deploymentName(instanceId: string, targetVersion: string): string {
  const suffix = `-to-${targetVersion.replace(/\./g, '-')}`;
  return `${instanceId.slice(0, 60 - suffix.length)}${suffix}`.replace(/--+/g, '-');
}

/** The deployments whose source is `sourceArn` (any state). */
export async function deploymentsOf(rds: RDSClient, sourceArn: string): Promise<DeploymentFacts[]> {
  const { BlueGreenDeployments = [] } = await rds.send(new DescribeBlueGreenDeploymentsCommand({ Filters: [{ Name: 'source', Values: [sourceArn] }] }));
  return BlueGreenDeployments.filter((d) => d.Source === sourceArn).map(facts);
}

/** The request that creates the deployment: the source, the target version and parameter group. */
export interface CreateDeploymentRequest {
  readonly name: string;
  readonly sourceArn: string;
  readonly targetVersion: string;
  readonly targetParameterGroup: string;
  readonly tags: readonly Tag[];
}

export async function createDeployment(rds: RDSClient, r: CreateDeploymentRequest): Promise<DeploymentFacts> {
  const { BlueGreenDeployment: created } = await rds.send(new CreateBlueGreenDeploymentCommand({
    BlueGreenDeploymentName: r.name,
    Source: r.sourceArn,
    TargetEngineVersion: r.targetVersion,
    TargetDBParameterGroupName: r.targetParameterGroup,
    Tags: [...r.tags],
  }));
  return facts(created);
}

/** The deployment `id` now, or undefined once RDS no longer lists it. */
export async function describeDeployment(rds: RDSClient, id: string): Promise<DeploymentFacts | undefined> {
  try {
    const { BlueGreenDeployments = [] } = await rds.send(new DescribeBlueGreenDeploymentsCommand({ BlueGreenDeploymentIdentifier: id }));
    return BlueGreenDeployments[0] ? facts(BlueGreenDeployments[0]) : undefined;
  } catch (e) {
    if ((e as { name?: string }).name === 'BlueGreenDeploymentNotFoundFault') return undefined;
    throw e;
  }
}

/** Starts the switchover; RDS rolls it back if it takes longer than `timeoutSeconds` (30-3600). */
export async function switchover(rds: RDSClient, id: string, timeoutSeconds: number): Promise<DeploymentFacts> {
  const { BlueGreenDeployment: d } = await rds.send(new SwitchoverBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: id, SwitchoverTimeout: timeoutSeconds }));
  return facts(d);
}

/** Deletes the deployment; `deleteTarget` deletes the green environment with it (only before a switchover). */
export async function deleteDeployment(rds: RDSClient, id: string, deleteTarget: boolean): Promise<void> {
  await rds.send(new DeleteBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: id, DeleteTarget: deleteTarget }));
}
