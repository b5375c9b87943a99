import { fromIni } from '@aws-sdk/credential-providers';
import { quietWriter } from './output';
import { checkRegion } from './region';
import { terminalColumns } from './terminal';

/** Where the CLI writes, and the process environment it reads: injectable for tests. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (live progress lines, colour) or not (a line per change, no colour). */
  readonly isTty: boolean;
  /** The width to wrap text to: the terminal's; without one, COLUMNS or 100. */
  readonly columns: number;
  /** The clock, in milliseconds (tests move it). */
  readonly now: () => number;
  /** Waits, in milliseconds (tests make it instant); resolves early when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Calls `listener` when the operator presses Ctrl-C (SIGINT), until the returned function is
   * called; while a listener is registered, Ctrl-C does not end the process (tests trigger it).
   */
  readonly onInterrupt: (listener: () => void) => () => void;
}

export function processIo(): Io {
  return {
    stdout: quietWriter(process.stdout),
    stderr: quietWriter(process.stderr),
    env: process.env,
    isTty: Boolean(process.stdout.isTTY),
    columns: terminalColumns(Boolean(process.stdout.isTTY), process.stdout.columns, process.env),
    now: () => Date.now(),
    sleep: (ms, signal) => new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      return () => { process.off('SIGINT', listener); };
    },
  };
}

/** Credentials given as values (from the environment). */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Options every command takes. */
export interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
}

/**
 * The configuration of an AWS SDK v3 client: the standard credential chain (AWS_PROFILE,
 * environment, SSO, instance roles) unless --profile names one, the region from --region or
 * AWS_REGION / AWS_DEFAULT_REGION / the profile, and AWS_ENDPOINT_URL honoured by the SDK itself.
 */
export function clientConfig(options: GlobalOptions, io: Io, region?: string): {
  region?: string; credentials?: ReturnType<typeof fromIni> | StaticCredentials; endpoint?: string; maxAttempts: number;
} {
  return {
    region: region ?? configuredRegion(options, io),
    credentials: options.profile ? fromIni({ profile: options.profile }) : envCredentials(io.env),
    // The SDK reads AWS_ENDPOINT_URL from process.env; pass it on explicitly so injected test envs work too.
    endpoint: io.env.AWS_ENDPOINT_URL,
    maxAttempts: 3,
  };
}

/**
 * The region from --region, else AWS_REGION, else AWS_DEFAULT_REGION (undefined: the profile's,
 * or none); a value that is not a region name is bad input (UsageError naming where it came
 * from), refused before any client is created.
 */
export function configuredRegion(options: GlobalOptions, io: Io): string | undefined {
  if (options.region !== undefined) return checkRegion('--region', options.region);
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = io.env[name];
    if (value) return checkRegion(name, value);
  }
  return undefined;
}

/**
 * Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) in `env`, the
 * first step of the standard chain, read from the injected env (tests) rather than process.env;
 * undefined (the SDK's own chain: AWS_PROFILE, SSO, instance roles) when they are not set.
 */
function envCredentials(env: NodeJS.ProcessEnv): StaticCredentials | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
}
