import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { NagPack } from 'cdk-nag';

export interface Finding {
  readonly rule: string;
  readonly path: string;
}

export interface AcknowledgmentRecord {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
  readonly onStack: boolean;
}

/** The violations a pack reports for `scope`, acknowledgments honoured. */
export function violations(pack: NagPack, scope: IConstruct): Finding[] {
  return flatten(pack.validateScope(scope).violations);
}

/** The violations a pack would report for `scope` if nothing were acknowledged. */
export function rawFindings(pack: NagPack, scope: IConstruct): Finding[] {
  // NagPack.isAcknowledged is internal; turning it off shows what each acknowledgment hides.
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return flatten(pack.validateScope(scope).violations);
}

/** Every acknowledgment recorded under `scope` whose rule id starts with `prefix`. */
export function acknowledgments(scope: IConstruct, prefix: string): AcknowledgmentRecord[] {
  const out: AcknowledgmentRecord[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        if (rule.startsWith(prefix)) out.push({ path: c.node.path, rule, reason, onStack: Stack.isStack(c) });
      }
    }
  }
  return out;
}

function flatten(vs: ReturnType<NagPack['validateScope']>['violations']): Finding[] {
  return vs.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
}
