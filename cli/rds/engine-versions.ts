/**
 * RDS's engine versions (DescribeDBEngineVersions): which versions an instance may be upgraded
 * to (ValidUpgradeTarget) and the parameter group family of each.
 */
import { DescribeDBEngineVersionsCommand, RDSClient } from '@aws-sdk/client-rds';

/** RDS for PostgreSQL versions as RDS spells them: `<major>.<minor>` (10 and later), e.g. `17.9`, `18.1`. */
export const ENGINE_VERSION = /^(\d{1,3})\.(\d{1,3})$/;

/** The major version of `version` (`17` of `17.9`). */
export function majorOf(version: string): string {
  return version.split('.')[0];
}

/** One engine version and what it may be upgraded to. */
export interface EngineVersionFacts {
  readonly engine: string;
  readonly version: string;
  /** DBParameterGroupFamily, e.g. `postgres17`. */
  readonly family?: string;
  /** ValidUpgradeTarget: each version and whether it is a major upgrade. */
  readonly upgradeTargets: readonly { readonly version: string; readonly major: boolean }[];
}

/** `engine` `version` as RDS lists it, or undefined when RDS does not know that version. */
export async function describeEngineVersion(rds: RDSClient, engine: string, version: string): Promise<EngineVersionFacts | undefined> {
  const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: engine, EngineVersion: version }));
  const found = DBEngineVersions.find((v) => v.EngineVersion === version);
  if (!found) return undefined;
  return {
    engine,
    version,
    family: found.DBParameterGroupFamily,
    upgradeTargets: (found.ValidUpgradeTarget ?? [])
      .filter((t) => t.EngineVersion !== undefined)
      .map((t) => ({ version: t.EngineVersion!, major: t.IsMajorVersionUpgrade ?? majorOf(t.EngineVersion!) !== majorOf(version) })),
  };
}
