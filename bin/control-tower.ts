import * as fs from 'fs';
import * as path from 'path';
import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/** The package's AWS Control Tower rules: one cfn-guard file per control (CT.S3.PR.1 ...). */
const RULES_DIR = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/** A rule file and the CloudFormation resource types it checks (every file names its types as literals). */
interface RuleFile { readonly file: string; readonly types: readonly string[] }

let ruleFiles: RuleFile[] | undefined;

function controlTowerRules(): RuleFile[] {
  if (ruleFiles) return ruleFiles;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.guard')) files.push(p);
    }
  };
  walk(RULES_DIR);
  ruleFiles = files.sort().map((file) => ({
    file,
    types: [...new Set([...fs.readFileSync(file, 'utf8').matchAll(/["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g)].map((m) => m[1]))],
  }));
  return ruleFiles;
}

/** The resource types of the templates being validated. */
function templateTypes(templatePaths: string[]): Set<string> {
  const types = new Set<string>();
  for (const file of templatePaths) {
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
    for (const resource of Object.values(template.Resources ?? {})) if (resource.Type) types.add(resource.Type);
  }
  return types;
}

/**
 * AWS Control Tower's proactive controls, as @cdklabs/cdk-validator-cfnguard ships them, run
 * against the synthesized templates: the rule files of the resource types the templates hold.
 * A rule for a type that is absent can only SKIP, so the findings are the same as the whole set's
 * (test/policy-packs.test.ts compares the two), in a third of the time on the shipped app (cfn-guard
 * spends ~30 ms per rule on the primary stack's template, and 71 of the 237 rules apply).
 *
 * Findings are acknowledged as `cdk-validator-cfnguard::<rule name>`, the plugin's own namespace.
 */
export class ControlTowerChecks implements IPolicyValidationPluginBeta1 {
  public readonly name = 'cdk-validator-cfnguard';

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const present = templateTypes(context.templatePaths);
    const rules = controlTowerRules().filter((r) => r.types.length === 0 || r.types.some((t) => present.has(t))).map((r) => r.file);
    if (rules.length === 0) return { success: true, violations: [] };
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(context);
  }
}
