/**
 * AWS credential problems in words an operator can act on. The SDK's own errors name its
 * internals (`CredentialsProviderError: Could not load credentials from any providers`) or only
 * the symptom (`ExpiredToken: The security token included in the request is expired`); these
 * say what is missing or stale and the command that fixes it.
 */

/** A credential problem: what is wrong and what to do. */
export interface CredentialProblem {
  /** `no-credentials` (none found, or a profile that gives none) or `credentials-rejected` (AWS refused them). */
  readonly code: 'no-credentials' | 'credentials-rejected';
  readonly message: string;
  readonly hint: string;
}

/** Errors AWS answers for expired or unknown credentials (STS-issued tokens, access keys), across services. */
const REJECTED = new Set([
  'ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired',
  'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'AuthFailure',
]);

/** Errors of the SDK's credential and token providers (no AWS call was made). */
const PROVIDER_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError', 'ProviderError']);

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

/** What to do about `e`, when it is a credential problem; undefined otherwise. `profile` is --profile, if given. */
export function credentialProblem(e: unknown, env: NodeJS.ProcessEnv, profile?: string): CredentialProblem | undefined {
  const err = e as { name?: string; message?: string; Code?: string } | undefined;
  const name = err?.name ?? '';
  const said = firstLine(err?.message ?? '');
  const profileName = profile ?? env.AWS_PROFILE;
  const login = profileName ? `aws sso login --profile ${profileName}` : 'aws sso login';
  if (PROVIDER_ERRORS.has(name)) {
    if (/SSO session .*(expired|invalid)|token .*expired|re-?authenticate|aws (sso )?login/i.test(said)) {
      return {
        code: 'credentials-rejected',
        message: `the AWS SSO session${profileName ? ` of profile '${profileName}'` : ''} has expired (${said})`,
        hint: `run \`${login}\`, then the command again`,
      };
    }
    const profileMatch = /using profile: \[([^\]]+)\]/.exec(said);
    if (profileMatch) {
      return {
        code: 'no-credentials',
        message: `AWS profile '${profileMatch[1]}' gives no credentials (${said})`,
        hint: `check --profile / AWS_PROFILE against ~/.aws/config (aws configure list-profiles); for an SSO profile run \`aws sso login --profile ${profileMatch[1]}\``,
      };
    }
    return {
      code: 'no-credentials',
      message: `no AWS credentials found (${said})`,
      hint: 'set AWS_PROFILE or pass --profile (for an SSO profile, run `aws sso login --profile <name>` first), '
        + 'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)',
    };
  }
  if (REJECTED.has(name) || REJECTED.has(err?.Code ?? '')) {
    const expired = /Expired|Refresh/.test(name);
    return {
      code: 'credentials-rejected',
      message: `AWS refused the credentials as ${expired ? 'expired' : 'invalid'} (${name}: ${said})`,
      hint: `refresh them: \`${login}\` for an SSO profile, or new temporary credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN`
        + (env.AWS_ACCESS_KEY_ID ? ' (the ones in the environment win over the profile: unset them to use the profile)' : ''),
    };
  }
  return undefined;
}
