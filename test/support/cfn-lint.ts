/**
 * cfn-lint (CloudFormation's own linter, with the resource schemas AWS publishes) over a set of
 * template files, and the findings this project accepts, each with its reason.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

/** cfn-lint findings we accept. Anything else — every error and every other warning — fails. */
export const CFN_LINT_IGNORED: Record<string, string> = {
  W3005: "aws-cdk-lib's own providers (LogRetention, the cross-region export reader and writer) declare DependsOn on their role and also GetAtt it; redundant, harmless, not ours to change",
  W3010: 'literal AZs appear only when an account is set: they are the looked-up (cdk.context.json) zones of that account, as aws-cdk-lib intends',
};

export interface CfnLintMatch { Rule: { Id: string }; Filename: string; Message: string; Location: { Start: { LineNumber: number } } }

export function cfnLintBinary(): string {
  const found = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('cfn-lint is not on PATH: install it (pip install cfn-lint); see README "Tests"');
  return 'cfn-lint';
}

/** Every finding cfn-lint reports for `files` (one run: it takes ~2 s to start). */
export function cfnLint(files: string[]): CfnLintMatch[] {
  const run = spawnSync(cfnLintBinary(), ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // cfn-lint exits non-zero when it finds anything; the JSON on stdout says what.
  if (run.status !== 0 && !run.stdout) throw new Error(`cfn-lint failed to run (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout || '[]') as CfnLintMatch[];
}

/** The findings not accepted, as `rule file:line message`. */
export function unacceptedFindings(matches: CfnLintMatch[]): string[] {
  return matches.filter((m) => !(m.Rule.Id in CFN_LINT_IGNORED))
    .map((m) => `${m.Rule.Id} ${path.basename(m.Filename)}:${m.Location.Start.LineNumber} ${m.Message}`);
}
