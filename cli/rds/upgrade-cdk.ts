/**
 * The change to the CDK app after a Blue/Green upgrade, so that the next `cdk deploy` agrees
 * with what runs instead of fighting it: the engine version the stack declares, and with it the
 * TunedParameterGroup's family (a new major version is a new family, which CloudFormation can
 * only get by replacing the group: aws-cdk#21100).
 */

/** Lines to print (and to put in --json) for an upgrade of `instanceId` to `targetVersion`. */
export function cdkChange(
  instanceId: string, sourceVersion: string, targetVersion: string, targetFamily: string, major: boolean, parameterGroup: string, created: boolean,
): string[] {
  const [targetMajor] = targetVersion.split('.');
  const lines = [
    `engineVersion: rds.PostgresEngineVersion.of('${targetVersion}', '${targetMajor}') in PostgresDatabase (DataPlatform: database.engineVersion; `
      + `a TunedParameterGroup of your own: its engineVersion too); it says ${sourceVersion} now, and a deploy would ask RDS for that version again`,
  ];
  if (major) {
    lines.push(
      `the TunedParameterGroup then has family ${targetFamily}: CloudFormation replaces the group and attaches the new one to ${instanceId} `
        + `(static parameters wait for a reboot); ${parameterGroup}${created ? ', which this command created,' : ''} can be deleted once no instance uses it`,
      `delete the old blue instance (${instanceId}-old1 after the switchover; snapshot it first if needed) before that deploy: `
        + 'while it uses the old group, CloudFormation cannot delete that group (parameter group in use)',
    );
  }
  lines.push(
    `the instance's resource id (DbiResourceId) is green's now: IAM policies granting rds-db:connect on the old one (grantConnect) are updated by the same deploy`,
  );
  lines.push('run `cdk diff` first: it must show the engine version (and the parameter group) changing, no replaced instance');
  return lines;
}
