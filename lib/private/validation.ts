import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Raised for a prop or context value that cannot work. The message always names the
 * prop, the value received and what is allowed.
 */
export class PlaybookValidationError extends Error {
  constructor(scope: IConstruct | undefined, message: string) {
    super(scope ? `${scope.node.path}: ${message}` : message);
    this.name = 'PlaybookValidationError';
  }
}

/** An AWS region name: `us-east-1`, `us-gov-west-1`, `us-iso-east-1`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Throws unless `value` is an integer in [min, max]. Unresolved tokens pass. */
export function validateIntegerRange(
  scope: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  unit = '',
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const suffix = unit ? ` ${unit}` : '';
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PlaybookValidationError(
      scope,
      `${prop} must be an integer from ${min} to ${max}${suffix} (got ${value}${suffix})`,
    );
  }
}
