/**
 * The roles provider: the CloudFormation custom resource handler behind Custom::PostgresRole,
 * Custom::PostgresDatabase, Custom::PostgresSchema, Custom::PostgresSchemaGrant and
 * Custom::PostgresExtension (lib/database/roles). It is the resources' ServiceToken itself (no
 * provider framework): it runs in the database's VPC, makes the database so with the SQL of
 * shared/roles-sql.ts as the master user, and answers CloudFormation by PUT to the request's
 * presigned ResponseURL (response.ts).
 *
 * Event: a custom resource request. ResourceProperties.Spec is a JSON string of one ObjectSpec
 * (shared/roles-spec.ts), OldResourceProperties.Spec the previous one on Update; both are
 * validated before any SQL is built from them (spec.ts).
 *   Create   createObject; PhysicalResourceId = physicalId(spec).
 *   Update   same physicalId as the old spec (and the resource's): updateObject in place.
 *            Another physicalId: a replacement, createObject of the new spec and its id;
 *            CloudFormation then sends Delete for the old id. An old Spec that no longer reads
 *            (an update back from a refused one) creates the new spec the same way.
 *   Delete   deleteObject, unless the PhysicalResourceId is not physicalId(spec): the placeholder
 *            of a Create that failed (`failed:<RequestId>`) or anything else, which succeeds
 *            without touching the database.
 * A failed Create still answers a PhysicalResourceId, the placeholder, so that the rollback's
 * Delete is a no-op; a failed Update or Delete answers the resource's id.
 *
 * Environment:
 *   MASTER_SECRET_ARN  (required) the RDS master secret: JSON username, password, and usually
 *                      host, port, dbname. Read at every invocation (it rotates).
 *   DB_HOST, DB_PORT, DB_NAME   override the secret's host, port and dbname. DB_NAME (else the
 *                      secret's dbname, else 'postgres') is the database roles are managed from.
 *   DB_SSL             'verify-full' (default): TLS, the certificate chain verified against
 *                      DB_CA_FILE only (not Node's public roots) and the name against the host;
 *                      'disable': no TLS, for tests against a local server only.
 *   DB_CA_FILE         the CA bundle (PEM) for verify-full. Default '/var/runtime/ca-cert.pem',
 *                      the Lambda Node.js runtimes' bundle of the RDS certificate authorities.
 * Role secrets (RoleSpec.secretArn): the new role's password is the secret's AWSCURRENT `password`.
 *
 * Every wait is bounded: each connection and statement by the invocation's remaining time less a
 * reserve for the answer (a quarter of it, 1.5-20 s), the answer itself (a PUT retried up to 4
 * times) by the remaining time, so CloudFormation is answered before the function times out. Work
 * that runs out of time answers FAILED; its connections are ended and no new one is opened. An
 * answer that cannot be sent makes the invocation fail, so that Lambda's retry of the
 * asynchronous event applies it (idempotently) and answers again.
 *
 * Never in the answer, the logs or Data: a password or any secret's value (every one read is also
 * scrubbed from the texts), nor the ResponseURL (it is a presigned URL). One JSON log line per
 * event: RequestType, LogicalResourceId, the physical id, the outcome and, on failure, the reason.
 *
 * Packaging: bundled by scripts/bundle-handlers.mjs into assets/database-roles/index.js (handler
 * `index.handler`); @aws-sdk/client-secrets-manager comes from the runtime.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from 'pg';
import { DbSecret, parseSecret } from '../../shared/db-secret';
import { boundedClient, CaBundleError, readCaBundle, verifyFullSsl } from '../../shared/pg-client';
import { ObjectSpec, physicalId } from '../../shared/roles-spec';
import { ApplyContext, createObject, deleteObject, describeObject, ObjectError, updateObject } from '../../shared/roles-sql';
import { CfnResponse, responseBody, responseUrlProblem, sendResponse, SendOutcome } from './response';
import { parseSpec, SpecError } from './spec';

export const DEFAULT_CA_FILE = '/var/runtime/ca-cert.pem';
/** The PhysicalResourceId of a Create that failed: `failed:<RequestId>`. */
export const FAILED_PREFIX = 'failed:';
/** Assumed remaining time when no Lambda context tells it (a direct call). */
const DEFAULT_REMAINING_MS = 60_000;
/** Time kept back from the invocation's end for sending the answer: between these, a quarter of it. */
const MIN_RESPONSE_RESERVE_MS = 1_500;
const MAX_RESPONSE_RESERVE_MS = 20_000;
/** The last moment of the answer's retries, before the invocation's end. */
const FINAL_MARGIN_MS = 300;
const APPLICATION_NAME = 'cdk-db-playbook-roles';

// --- configuration ----------------------------------------------------------------------------

/** The provider's settings, read from its environment. */
export interface ProviderConfig {
  readonly masterSecretArn: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbName?: string;
  readonly ssl: 'verify-full' | 'disable';
  readonly caFile: string;
}

/** A setting the provider refuses. */
class ConfigError extends Error {}

/** Reads the environment (see the file comment); throws a ConfigError naming the variable. */
export function readConfig(env: NodeJS.ProcessEnv): ProviderConfig {
  const masterSecretArn = env.MASTER_SECRET_ARN?.trim();
  if (!masterSecretArn) throw new ConfigError('MASTER_SECRET_ARN is not set: the provider needs the master user\'s secret');
  const ssl = env.DB_SSL?.trim() || 'verify-full';
  if (ssl !== 'verify-full' && ssl !== 'disable') throw new ConfigError(`DB_SSL must be 'verify-full' or 'disable' (got '${ssl}')`);
  let port: number | undefined;
  if (env.DB_PORT?.trim()) {
    port = Number(env.DB_PORT);
    if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new ConfigError(`DB_PORT must be a port number 1-65535 (got '${env.DB_PORT}')`);
  }
  return {
    masterSecretArn,
    host: env.DB_HOST?.trim() || undefined,
    port,
    dbName: env.DB_NAME?.trim() || undefined,
    ssl,
    caFile: env.DB_CA_FILE?.trim() || DEFAULT_CA_FILE,
  };
}

// --- the request ------------------------------------------------------------------------------

/** The fields of a custom resource request the provider reads. */
interface CfnRequest {
  readonly RequestType: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

function text(value: unknown, max = 2048): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function properties(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** The request's fields, as strings (empty when missing: the answer then says what was wrong). */
function readRequest(event: unknown): CfnRequest {
  const e = properties(event);
  return {
    RequestType: text(e.RequestType, 32),
    ResponseURL: text(e.ResponseURL, 16_384),
    StackId: text(e.StackId),
    RequestId: text(e.RequestId, 256),
    LogicalResourceId: text(e.LogicalResourceId, 256),
    PhysicalResourceId: typeof e.PhysicalResourceId === 'string' ? e.PhysicalResourceId.slice(0, 1024) : undefined,
    ResourceProperties: properties(e.ResourceProperties),
    OldResourceProperties: e.OldResourceProperties === undefined ? undefined : properties(e.OldResourceProperties),
  };
}

// --- secrets and redaction --------------------------------------------------------------------

/** Every secret value read during one invocation, scrubbed from any text that leaves it. */
class Redactor {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (value) this.values.add(value);
  }

  redact(textIn: string): string {
    let out = textIn;
    // Longest first, so that a value containing another is scrubbed whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join('********');
    return out;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads secrets with a SecretsManagerClient, adding every value read to the redactor. */
class SecretReader {
  constructor(private readonly client: SecretsManagerClient, private readonly redactor: Redactor) {}

  private async secretString(arn: string): Promise<string | undefined> {
    let value: string | undefined;
    try {
      value = (await this.client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }))).SecretString;
    } catch (e) {
      // The SDK's messages name the secret and the caller, never a value.
      throw new ConfigError(`cannot read secret ${arn}: ${messageOf(e)}`);
    }
    this.redactor.add(value);
    return value;
  }

  async master(arn: string): Promise<DbSecret> {
    const secret = parseSecret(await this.secretString(arn), arn);
    this.redactor.add(secret.password);
    return secret;
  }

  /** The AWSCURRENT `password` of a role's secret. */
  async password(arn: string): Promise<string> {
    const value = await this.secretString(arn);
    let password: unknown;
    try {
      password = (JSON.parse(value ?? '') as Record<string, unknown> | null)?.password;
    } catch { /* not JSON: no password either */ }
    if (typeof password !== 'string' || password === '') throw new ConfigError(`secret ${arn} is not a JSON object with a string 'password'`);
    this.redactor.add(password);
    return password;
  }
}

// --- connections ------------------------------------------------------------------------------

/**
 * The clients of one invocation: all ended when it answers (or its time is up), after which no
 * new one is opened: work that ran out of time must not change the database after the answer.
 */
class Clients {
  private readonly open = new Set<Client>();
  private closed = false;

  /** Throws once the invocation has answered. */
  check(): void {
    if (this.closed) throw new ConfigError('answered already (out of time): not connecting again');
  }

  add(client: Client): void {
    this.check();
    this.open.add(client);
  }

  async endAll(): Promise<void> {
    this.closed = true;
    const clients = [...this.open];
    this.open.clear();
    await Promise.all(clients.map((c) => Promise.race([c.end().catch(() => undefined), sleep(1000)])));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Why a connection failed: PostgreSQL's message and SQLSTATE (a refused login, a missing
 * database), Node's network error code, the time limit, or the refused certificate with the CA
 * bundle it was checked against.
 */
function connectReason(e: unknown, timeoutMs: number, caFile: string, host: string): string {
  // A connection to a name with several addresses fails with an AggregateError: its first error says why.
  const err = (e as { errors?: unknown[] }).errors?.[0] ?? e;
  const code = (err as { code?: unknown }).code;
  const message = messageOf(err);
  // pg's message for connectionTimeoutMillis.
  if (/timeout expired|connection timeout/i.test(message)) return `no connection within ${timeoutMs} ms`;
  if (typeof code !== 'string') return message;
  if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|DEPTH_ZERO/.test(code)) {
    return `TLS certificate not accepted: ${message} (${code}; verify-full accepts only a certificate for ${host} from a CA in ${caFile})`;
  }
  return message.includes(code) ? message : `${message || code} (${code})`;
}

// --- applying one request ---------------------------------------------------------------------

/** What the answer says. */
interface Outcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason: string;
  /** The object, for the log line. */
  readonly object?: string;
}

/** What the handler uses; every member has a production default. */
export interface HandlerDeps {
  /** @default a SecretsManagerClient for the function's region */
  readonly secrets?: SecretsManagerClient;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the log line (JSON). @default console.log */
  readonly log?: (line: string) => void;
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis?(): number;
  readonly logStreamName?: string;
}

/**
 * What an invocation answered. The handler resolves to it once the answer is sent, resolves to
 * `{ sent: false }` when the request has no ResponseURL it may answer to (nothing is done then),
 * and rejects when the answer could not be sent after its retries (Lambda then retries the event).
 */
export interface HandlerResult {
  /** The answer sent. */
  readonly response?: CfnResponse;
  readonly sent: boolean;
}

/** Builds the handler; `handler` below is the one Lambda runs. */
export function createHandler(deps: HandlerDeps = {}): (event: unknown, context?: InvocationContext) => Promise<HandlerResult> {
  // Created once per execution environment; the region and credentials come from the runtime.
  const secretsClient = deps.secrets ?? new SecretsManagerClient({});
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => console.log(line));

  /** Makes the database so; throws on failure (the caller turns it into the answer). */
  async function apply(req: CfnRequest, clients: Clients, redactor: Redactor, workDeadline: number, progress: { object?: string }): Promise<Outcome> {
    const kind = req.RequestType;
    if (kind !== 'Create' && kind !== 'Update' && kind !== 'Delete') {
      throw new ConfigError(`RequestType must be Create, Update or Delete (got ${JSON.stringify(kind)})`);
    }
    if (kind !== 'Create' && !req.PhysicalResourceId) throw new ConfigError(`a ${kind} request without a PhysicalResourceId`);
    const current = req.PhysicalResourceId ?? '';

    if (kind === 'Delete' && current.startsWith(FAILED_PREFIX)) {
      return { status: 'SUCCESS', physicalResourceId: current, reason: 'nothing to delete: the Create of this resource failed' };
    }
    const spec = parseSpec(req.ResourceProperties.Spec, 'ResourceProperties.Spec');
    const id = physicalId(spec);
    const object = describeObject(spec);
    progress.object = object;
    if (kind === 'Delete' && id !== current) {
      return { status: 'SUCCESS', physicalResourceId: current, object, reason: `nothing deleted: the resource is ${current}, not ${object}` };
    }

    // In place only when the spec keeps the resource's identity and the old spec reads.
    let oldSpec: ObjectSpec | undefined;
    if (kind === 'Update') {
      try {
        oldSpec = parseSpec(req.OldResourceProperties?.Spec, 'OldResourceProperties.Spec');
      } catch {
        oldSpec = undefined;
      }
      if (oldSpec && (physicalId(oldSpec) !== id || current !== id)) oldSpec = undefined;
    }

    try {
      return await makeSo(kind, spec, oldSpec, current, clients, redactor, workDeadline);
    } catch (e) {
      throw new ObjectFailure(object, e);
    }
  }

  /** Connects as the master user and runs roles-sql for the request; throws on failure. */
  async function makeSo(kind: 'Create' | 'Update' | 'Delete', spec: ObjectSpec, oldSpec: ObjectSpec | undefined, current: string,
    clients: Clients, redactor: Redactor, workDeadline: number): Promise<Outcome> {
    const id = physicalId(spec);
    const object = describeObject(spec);
    const config = readConfig(env);
    const reader = new SecretReader(secretsClient, redactor);
    const master = await reader.master(config.masterSecretArn);
    const host = config.host ?? master.host;
    if (!host) throw new ConfigError(`no database host: set DB_HOST or put 'host' in secret ${config.masterSecretArn}`);
    const port = config.port ?? master.port ?? 5432;
    let ssl: ReturnType<typeof verifyFullSsl> | false = false;
    if (config.ssl === 'verify-full') {
      // shared/pg-client.ts: refuses a bundle with no certificate too (an empty `ca` would make
      // Node fall back to its public roots), as the collector and the validator do.
      try {
        ssl = verifyFullSsl(host, readCaBundle(config.caFile));
      } catch (e) {
        if (e instanceof CaBundleError) throw new ConfigError(e.message);
        throw e;
      }
    }
    const connect = async (database: string): Promise<Client> => {
      const timeoutMs = Math.max(1000, workDeadline - Date.now());
      clients.check();
      const client = boundedClient({
        host,
        port,
        database,
        user: master.username,
        password: master.password,
        // The RDS CAs only (Node's public roots are not consulted when `ca` is given), and the
        // certificate's name checked against the host.
        ssl,
      }, APPLICATION_NAME, timeoutMs);
      clients.add(client);
      try {
        await client.connect();
      } catch (e) {
        await client.end().catch(() => undefined);
        throw new ConfigError(`cannot connect to ${host}:${port}/${database} as ${master.username}: ${connectReason(e, timeoutMs, config.caFile, host)}`);
      }
      return client;
    };
    const ctx: ApplyContext = {
      masterUser: master.username,
      defaultDatabase: config.dbName ?? master.dbname ?? 'postgres',
      password: (secretArn: string) => reader.password(secretArn),
    };

    if (kind === 'Delete') {
      await deleteObject(connect, spec, ctx);
      return { status: 'SUCCESS', physicalResourceId: id, object, reason: `deleted ${object}` };
    }
    if (kind === 'Update' && oldSpec) {
      await updateObject(connect, oldSpec, spec, ctx);
      return { status: 'SUCCESS', physicalResourceId: id, object, reason: `updated ${object}` };
    }
    await createObject(connect, spec, ctx);
    const replaced = kind === 'Update' ? ` (replacing ${current})` : '';
    return { status: 'SUCCESS', physicalResourceId: id, object, reason: `created ${object}${replaced}` };
  }

  return async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
    const started = Date.now();
    const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
    const reserve = Math.min(MAX_RESPONSE_RESERVE_MS, Math.max(MIN_RESPONSE_RESERVE_MS, Math.floor(remaining / 4)));
    const workDeadline = started + remaining - reserve;
    const answerDeadline = started + remaining - FINAL_MARGIN_MS;
    const req = readRequest(event);
    const redactor = new Redactor();
    const logLine = (fields: Record<string, unknown>) => log(JSON.stringify({
      requestType: req.RequestType,
      logicalResourceId: req.LogicalResourceId,
      requestId: req.RequestId,
      stackId: req.StackId,
      ...fields,
      durationMs: Date.now() - started,
    }));

    const urlProblem = responseUrlProblem(req.ResponseURL);
    if (urlProblem) {
      logLine({ level: 'ERROR', physicalResourceId: req.PhysicalResourceId, outcome: 'NOT_ANSWERED', reason: `${urlProblem}: nothing done` });
      return { sent: false };
    }

    const failedId = req.RequestType === 'Create' || !req.PhysicalResourceId ? `${FAILED_PREFIX}${req.RequestId}` : req.PhysicalResourceId;
    const clients = new Clients();
    const progress: { object?: string } = {};
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({
        status: 'FAILED',
        physicalResourceId: failedId,
        object: progress.object,
        reason: `${progress.object ? `${progress.object}: ` : ''}did not finish within ${Math.max(0, workDeadline - started)} ms (${reserve} ms kept back to answer)`,
      }), Math.max(0, workDeadline - Date.now()));
    });
    let outcome: Outcome;
    try {
      outcome = await Promise.race([
        apply(req, clients, redactor, workDeadline, progress).catch((e: unknown): Outcome => ({
          status: 'FAILED',
          physicalResourceId: failedId,
          reason: failureReason(e),
          object: e instanceof ObjectFailure ? e.object : undefined,
        })),
        outOfTime,
      ]);
    } finally {
      clearTimeout(timer);
      // Also cuts short the statements of work that ran out of time: nothing runs on after the answer.
      await clients.endAll();
    }

    const reason = redactor.redact(outcome.status === 'SUCCESS' && context?.logStreamName
      ? `${outcome.reason}; see CloudWatch Logs stream ${context.logStreamName}`
      : outcome.reason);
    const response: CfnResponse = {
      Status: outcome.status,
      Reason: reason,
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: req.StackId,
      RequestId: req.RequestId,
      LogicalResourceId: req.LogicalResourceId,
      Data: {},
    };
    const sent: SendOutcome = await sendResponse(req.ResponseURL, responseBody(response), answerDeadline);
    logLine({
      level: outcome.status === 'SUCCESS' && sent.sent ? 'INFO' : 'ERROR',
      physicalResourceId: outcome.physicalResourceId,
      ...(outcome.object ? { object: outcome.object } : {}),
      ...(req.PhysicalResourceId && req.PhysicalResourceId !== outcome.physicalResourceId ? { previousPhysicalResourceId: req.PhysicalResourceId } : {}),
      outcome: outcome.status,
      reason,
      answer: sent.sent ? { sent: true, attempts: sent.attempts } : { sent: false, attempts: sent.attempts, error: redactor.redact(sent.error ?? '') },
    });
    if (!sent.sent) {
      // Lambda retries a failed asynchronous invocation (CloudFormation's is one): the request is
      // applied again (every operation is idempotent) and the answer sent again.
      throw new Error(`the answer to CloudFormation was not sent (${sent.attempts} attempt(s): ${redactor.redact(sent.error ?? 'unknown error')})`);
    }
    return { response, sent: true };
  };
}

/** A failure while applying the SQL of one object. */
class ObjectFailure extends Error {
  constructor(public readonly object: string, public readonly error: unknown) {
    super(messageOf(error));
  }
}

/** The answer's Reason for a failure: the object, PostgreSQL's SQLSTATE and message, or the setting. */
function failureReason(e: unknown): string {
  // roles-sql's ObjectError names the object, and PostgreSQL's message and SQLSTATE, itself.
  if (e instanceof ObjectFailure) return e.error instanceof ObjectError ? e.error.message : `${e.object}: ${e.message}`;
  if (e instanceof SpecError || e instanceof ConfigError) return e.message;
  return `unexpected error: ${messageOf(e)}`;
}

/** The Lambda entry point (`index.handler`). */
export const handler = createHandler();
