import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PlaybookValidationError } from './private/validation';

/**
 * A cdk-nag rule pack.
 */
export enum CompliancePack {
  /** AWS Solutions: always on in the shipped app. */
  AWS_SOLUTIONS = 'AWS_SOLUTIONS',
  /** HIPAA Security. */
  HIPAA = 'HIPAA',
  /** NIST 800-53 revision 5. */
  NIST_800_53_R5 = 'NIST_800_53_R5',
  /** PCI DSS 3.2.1. */
  PCI_DSS_321 = 'PCI_DSS_321',
}

/**
 * Runs cdk-nag packs on every synth of an app. Every construct of this library acknowledges
 * the findings it keeps on purpose, on the resource that raises them, with the reason.
 */
export class Compliance {
  /** The context names of the packs (`-c compliance=hipaa,nist-800-53-r5,pci-dss-3.2.1`). */
  public static readonly CONTEXT_NAMES: { [name: string]: CompliancePack } = {
    'aws-solutions': CompliancePack.AWS_SOLUTIONS,
    'hipaa': CompliancePack.HIPAA,
    'nist-800-53-r5': CompliancePack.NIST_800_53_R5,
    'pci-dss-3.2.1': CompliancePack.PCI_DSS_321,
  };

  /**
   * Adds the packs' checks to `app` (an App or Stage): an unacknowledged finding fails the synth.
   */
  public static addChecks(app: IConstruct, packs: CompliancePack[]): void {
    for (const pack of new Set(packs)) Validations.of(app).addPlugins(Compliance.nagPack(app, pack));
  }

  /**
   * The packs named in a comma-separated list of context names, e.g. 'hipaa,pci-dss-3.2.1'.
   */
  public static parse(names: string): CompliancePack[] {
    return names.split(',').map((n) => n.trim()).filter((n) => n !== '').map((n) => {
      const pack = Compliance.CONTEXT_NAMES[n];
      if (!pack) {
        throw new PlaybookValidationError(undefined,
          `compliance names an unknown pack '${n}'; allowed: ${Object.keys(Compliance.CONTEXT_NAMES).join(', ')}`);
      }
      return pack;
    });
  }

  /** The cdk-nag pack of `pack`. */
  public static nagPack(app: IConstruct, pack: CompliancePack): NagPack {
    switch (pack) {
      case CompliancePack.AWS_SOLUTIONS: return new AwsSolutionsChecks(app);
      case CompliancePack.HIPAA: return new HIPAASecurityChecks(app);
      case CompliancePack.NIST_800_53_R5: return new NIST80053R5Checks(app);
      case CompliancePack.PCI_DSS_321: return new PCIDSS321Checks(app);
      default: throw new PlaybookValidationError(undefined, `pack must be a CompliancePack (got '${pack as string}')`);
    }
  }
}
