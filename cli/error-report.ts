/**
 * How a failed command ends: every error becomes one report (a stable code, the exit code, the
 * message and, where there is one, what to do), printed for people on stderr and, with --json,
 * as JSON on stdout too (cli/json-output.ts).
 */
import { CommanderError } from 'commander';
import { credentialProblem } from './credential-errors';
import { EXIT, InterruptedError, UsageError } from './errors';
import { WaitTimeoutError } from './rds/wait';

/**
 * What went wrong, for scripts: `usage` (bad input or a refused check, exit 2), `no-credentials`
 * and `credentials-rejected` (exit 1), `timeout` (a wait ran out, exit 1), `interrupted`
 * (Ctrl-C, exit 130), `aws` (an AWS call failed, also throttled or unreachable after the SDK's
 * retries, exit 1), `failure` (anything else, e.g. the database, exit 1).
 */
export type ErrorCode = 'usage' | 'no-credentials' | 'credentials-rejected' | 'timeout' | 'interrupted' | 'aws' | 'failure';

/** A failed command's outcome. */
export interface ErrorReport {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly message: string;
  /** What to do about it; null when the message says it all. */
  readonly hint: string | null;
}

/** An error as the AWS SDK v3 throws it: an AWS error answer, or a network error with the SDK's $metadata. */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  /** Node's network error code (ECONNREFUSED, ENOTFOUND, ...). */
  readonly code?: string;
  readonly hostname?: string;
  readonly address?: string;
  readonly port?: number;
  readonly cause?: unknown;
  /** The HTTP status (none when no answer came) and how many attempts the SDK made. */
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** `e` and what it wraps (doctor annotates AWS errors with the call: cause). */
function chain(e: unknown): SdkError[] {
  const errors: SdkError[] = [];
  for (let x = e as SdkError | undefined, depth = 0; x && typeof x === 'object' && depth < 5; x = x.cause as SdkError | undefined, depth++) errors.push(x);
  return errors;
}

/** Whether `e` (or what it wraps) came back from an AWS API. */
function fromAws(e: unknown): boolean {
  return chain(e).some((x) => x.$metadata !== undefined);
}

/**
 * What AWS answers when a caller sends requests faster than the API allows (the SDK retries
 * these, with back-off, up to maxAttempts): the SDK's list of throttling errors, without
 * LimitExceededException and TransactionInProgressException, which some services use for
 * quotas and conflicts.
 */
const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException', 'RequestLimitExceeded',
  'TooManyRequestsException', 'SlowDown', 'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded', 'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

/** Node's codes for a connection that could not be made or broke before an answer. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** `after 3 attempts`, from the SDK's count. */
function attemptsText(x: SdkError): string {
  const n = x.$metadata?.attempts;
  return n && n > 1 ? ` after ${n} attempts` : '';
}

/** `<name>: <message>` as the operator sees it, the message's first line only. */
function said(name: string | undefined, message: string | undefined): string {
  return `${name && name !== 'Error' ? `${name}: ` : ''}${(message ?? '').split('\n')[0].trim()}`;
}

/** Throttling and network failures of AWS calls: what happened in words, and what to do. */
function awsTransportProblem(e: unknown, env: NodeJS.ProcessEnv): Omit<ErrorReport, 'exitCode'> | undefined {
  const errors = chain(e);
  const top = errors[0] as SdkError;
  const throttled = errors.find((x) => x.$metadata !== undefined && (THROTTLING.has(x.name ?? '') || x.$metadata.httpStatusCode === 429));
  if (throttled) {
    return {
      code: 'aws',
      message: `AWS throttled the request${attemptsText(throttled)} (${said(throttled.name, top.message)})`,
      hint: 'AWS limits the rate of API requests per account and region, shared with everything else calling it there '
        + '(the console, scripts, CloudFormation): wait a minute, then run the command again',
    };
  }
  const network = errors.find((x) => x.$metadata !== undefined && x.$metadata.httpStatusCode === undefined
    && (NETWORK.has(x.code ?? '') || x.name === 'TimeoutError'));
  if (network) {
    const where = network.hostname ?? (network.address ? `${network.address}${network.port ? `:${network.port}` : ''}` : undefined);
    const endpoint = env.AWS_ENDPOINT_URL;
    return {
      code: 'aws',
      message: `cannot reach AWS${where ? ` at ${where}` : ''}${attemptsText(network)} (${said(network.code ?? network.name, top.message)})`,
      hint: `check the network (VPN, proxy, firewall)${endpoint ? ` and AWS_ENDPOINT_URL (${endpoint}), where every request goes` : ' and that --region names a region the service is in'}`,
    };
  }
  return undefined;
}

/** The report of `e`; `env` and `profile` (--profile) shape the credential hints. */
export function reportError(e: unknown, env: NodeJS.ProcessEnv, profile?: string): ErrorReport {
  if (e instanceof CommanderError) return { code: 'usage', exitCode: EXIT.USAGE, message: e.message.replace(/^error: /, ''), hint: null };
  if (e instanceof UsageError) return { code: 'usage', exitCode: EXIT.USAGE, message: e.message, hint: null };
  if (e instanceof InterruptedError) return { code: 'interrupted', exitCode: EXIT.INTERRUPTED, message: e.message, hint: e.hint };
  const credentials = credentialProblem(e, env, profile);
  if (credentials) return { ...credentials, exitCode: EXIT.FAILURE };
  const transport = awsTransportProblem(e, env);
  if (transport) return { ...transport, exitCode: EXIT.FAILURE };
  const err = e as Error;
  const message = `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`;
  if (e instanceof WaitTimeoutError) return { code: 'timeout', exitCode: EXIT.FAILURE, message, hint: null };
  return { code: fromAws(e) ? 'aws' : 'failure', exitCode: EXIT.FAILURE, message, hint: null };
}

/** The report for people: `db-playbook: <message>`, then the hint. */
export function renderError(r: ErrorReport): string {
  return `db-playbook: ${r.message}\n${r.hint ? `hint: ${r.hint}\n` : ''}`;
}
