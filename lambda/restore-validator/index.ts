/**
 * The restore validator: AWS Backup restore testing restores the database from a recovery
 * point; when that restore job completes, EventBridge invokes this function, which connects to
 * the restored DB instance, runs the configured checks (checks.ts) and reports the outcome with
 * PutRestoreValidationResult. "If you do not have a tested restore process, you do not have
 * backups."
 *
 * Event: an EventBridge `Restore Job State Change` event from `aws.backup`. The rule should
 * match `detail.status` = COMPLETED and `detail.restoreTestingPlanArn` exists (ideally the
 * plan's ARN); anything else is ignored here too, with a log line saying why. Used fields:
 *   detail.restoreJobId           required: the job the result is reported for
 *   detail.restoreTestingPlanArn  required: only restore-testing jobs are validated
 *   detail.status                 must be COMPLETED
 *   detail.resourceType           'RDS' (DB instance); other types are left to other validators
 *   detail.createdResourceArn     the restored DB instance's ARN
 * When resourceType or createdResourceArn is missing, DescribeRestoreJob fills them in.
 *
 * Environment:
 *   SECRET_ARN         (required) Secrets Manager secret with JSON `username` and `password`
 *                      (and optionally `dbname`): the database's master credentials. The
 *                      restored instance has the password of the snapshot's time, so when
 *                      AWSCURRENT is refused (28P01) the AWSPREVIOUS version is tried once.
 *   DB_NAME            database to connect to. Default: the secret's `dbname`, else 'postgres'.
 *   CHECKS             JSON, e.g. {"tables":[{"name":"public.orders","minRows":1}]}. Default: no
 *                      table checks (connect + SELECT 1 only). See checks.ts parseChecks.
 *   DB_SSL             'verify-full' (default: TLS, certificate and host name verified; the
 *                      function needs the RDS CA bundle, e.g. NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem)
 *                      or 'disable' (tests against a local server only).
 *   CHECK_TIMEOUT_MS   limit for connecting and for each statement. Default 30000; never more
 *                      than the invocation's remaining time less a margin, so that a result is
 *                      always reported before the function times out.
 *   METRIC_NAMESPACE   namespace of the EMF metrics ValidationSucceeded / ValidationFailed
 *                      (Count). Default 'CdkDbPlaybook/RestoreTesting'.
 *   DB_INSTANCE_ID     the source database's identifier: the metrics' DBInstanceIdentifier
 *                      dimension, so that each platform's alarm counts its own restore tests.
 *                      Without it the metrics have no dimension.
 *
 * A failed check, an unreachable instance or a bad configuration is reported as FAILED with the
 * reason and never crashes the function. The function throws (so Lambda retries the event) only
 * when the event cannot be reported at all: no restoreJobId, or PutRestoreValidationResult failed.
 * A failed report still writes ValidationFailed = 1 (the restore test is not recorded as
 * validated, whatever the checks said) before the function throws, so the alarm fires.
 *
 * Packaging: bundled by scripts/bundle-handlers.mjs into assets/restore-validator/index.js,
 * handler `index.handler`.
 */
import { BackupClient, DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientConfig } from 'pg';
import { CheckConfig, DEFAULT_TIMEOUT_MS, INVALID_PASSWORD, MAX_MESSAGE_LENGTH, parseChecks, runChecks, ValidationResult } from './checks';

export const DEFAULT_METRIC_NAMESPACE = 'CdkDbPlaybook/RestoreTesting';
/** Time kept back from the invocation's remaining time to report the result. */
const REPORT_MARGIN_MS = 10_000;
const DB_INSTANCE_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:db:[A-Za-z0-9-]+$/;

// --- the event --------------------------------------------------------------------------------

/** A restore-testing job to validate, as read from the event. */
export interface RestoreTestJob {
  readonly restoreJobId: string;
  readonly restoreTestingPlanArn: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
}

/** What parseRestoreEvent makes of an event. */
export type ParsedEvent =
  | { readonly kind: 'validate'; readonly job: RestoreTestJob }
  | { readonly kind: 'ignore'; readonly reason: string };

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads an EventBridge event. A COMPLETED restore job of a restore testing plan is to be
 * validated; anything else is ignored with a reason. Throws when such an event has no
 * restoreJobId, as nothing could be reported for it.
 */
export function parseRestoreEvent(event: unknown): ParsedEvent {
  if (typeof event !== 'object' || event === null) return { kind: 'ignore', reason: `not an EventBridge event (got ${event === null ? 'null' : typeof event})` };
  const e = event as Record<string, unknown>;
  if (e.source !== 'aws.backup') return { kind: 'ignore', reason: `source is ${JSON.stringify(e.source)}, not "aws.backup"` };
  if (e['detail-type'] !== 'Restore Job State Change') {
    return { kind: 'ignore', reason: `detail-type is ${JSON.stringify(e['detail-type'])}, not "Restore Job State Change"` };
  }
  const detail = e.detail;
  if (typeof detail !== 'object' || detail === null) return { kind: 'ignore', reason: 'the event has no detail object' };
  const d = detail as Record<string, unknown>;
  if (d.status !== 'COMPLETED') return { kind: 'ignore', reason: `restore job status is ${JSON.stringify(d.status)}, not "COMPLETED"` };
  const restoreTestingPlanArn = stringField(d, 'restoreTestingPlanArn');
  if (!restoreTestingPlanArn) return { kind: 'ignore', reason: 'not a restore testing job (no detail.restoreTestingPlanArn)' };
  const restoreJobId = stringField(d, 'restoreJobId');
  if (!restoreJobId) {
    throw new Error(`a COMPLETED restore testing event (plan ${restoreTestingPlanArn}, event id ${JSON.stringify(e.id)}) has no detail.restoreJobId: nothing to report the validation for`);
  }
  return {
    kind: 'validate',
    job: {
      restoreJobId,
      restoreTestingPlanArn,
      resourceType: stringField(d, 'resourceType'),
      createdResourceArn: stringField(d, 'createdResourceArn'),
    },
  };
}

// --- configuration ----------------------------------------------------------------------------

/**
 * The function's settings, read from its environment (but METRIC_NAMESPACE, which is read on its
 * own: the metric is published even when the rest of the configuration is refused).
 */
export interface ValidatorConfig {
  readonly secretArn: string;
  readonly dbName?: string;
  readonly checks: CheckConfig;
  readonly ssl: 'verify-full' | 'disable';
  readonly timeoutMs: number;
}

/** Reads the environment (see the file comment); throws a clear Error for a bad value. */
export function readConfig(env: NodeJS.ProcessEnv): ValidatorConfig {
  const secretArn = env.SECRET_ARN?.trim();
  if (!secretArn) throw new Error('SECRET_ARN is not set: the validator needs the database credentials secret');
  const ssl = env.DB_SSL?.trim() || 'verify-full';
  if (ssl !== 'verify-full' && ssl !== 'disable') throw new Error(`DB_SSL must be 'verify-full' or 'disable' (got '${ssl}')`);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (env.CHECK_TIMEOUT_MS?.trim()) {
    timeoutMs = Number(env.CHECK_TIMEOUT_MS);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 100) throw new Error(`CHECK_TIMEOUT_MS must be an integer >= 100 (got '${env.CHECK_TIMEOUT_MS}')`);
  }
  return {
    secretArn,
    dbName: env.DB_NAME?.trim() || undefined,
    checks: parseChecks(env.CHECKS),
    ssl,
    timeoutMs,
  };
}

// --- the metric -------------------------------------------------------------------------------

/**
 * One CloudWatch Embedded Metric Format line: ValidationSucceeded and ValidationFailed (0 or 1,
 * Count), with the source database's identifier as the DBInstanceIdentifier dimension when
 * given (one platform's alarm counts its own tests); the job's identifiers ride along as
 * properties for Logs Insights. `reportError` marks a result that could not be reported: a failure.
 */
export function metricLine(namespace: string, job: RestoreTestJob, result: ValidationResult, now = Date.now(),
  dbInstanceId?: string, reportError?: string): string {
  const failed = result.status === 'SUCCESSFUL' && !reportError ? 0 : 1;
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: [dbInstanceId ? ['DBInstanceIdentifier'] : []],
        Metrics: [{ Name: 'ValidationFailed', Unit: 'Count' }, { Name: 'ValidationSucceeded', Unit: 'Count' }],
      }],
    },
    ...(dbInstanceId ? { DBInstanceIdentifier: dbInstanceId } : {}),
    ValidationFailed: failed,
    ValidationSucceeded: 1 - failed,
    restoreJobId: job.restoreJobId,
    restoreTestingPlanArn: job.restoreTestingPlanArn,
    createdResourceArn: job.createdResourceArn,
    validationStatus: result.status,
    validationMessage: result.message,
    ...(reportError ? { reportError } : {}),
  });
}

// --- the handler ------------------------------------------------------------------------------

/** Where the restored instance listens. */
export interface DbEndpoint {
  readonly host: string;
  readonly port: number;
}

/** What the handler uses; every member has a production default. */
export interface HandlerDeps {
  readonly backup?: BackupClient;
  readonly rds?: RDSClient;
  readonly secrets?: SecretsManagerClient;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives every log line (JSON). @default console.log */
  readonly log?: (line: string) => void;
  /**
   * Test hook: maps the endpoint DescribeDBInstances reports to the one to connect to (moto's
   * endpoints are fake, so tests point them at a local PostgreSQL). Code only: nothing in the
   * event or the environment can set it.
   * @default the reported endpoint
   */
  readonly resolveEndpoint?: (reported: DbEndpoint) => DbEndpoint;
}

/** What an invocation did (also logged). */
export type HandlerResult =
  | { readonly reported: false; readonly reason: string }
  | { readonly reported: true; readonly restoreJobId: string; readonly status: ValidationResult['status']; readonly message: string };

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis?(): number;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function failed(message: string): ValidationResult {
  return { status: 'FAILED', message: message.slice(0, MAX_MESSAGE_LENGTH), checks: [] };
}

/** Builds the handler; `handler` below is the one Lambda runs. */
export function createHandler(deps: HandlerDeps = {}): (event: unknown, context?: InvocationContext) => Promise<HandlerResult> {
  // Created once per execution environment; the region and credentials come from the runtime.
  const backup = deps.backup ?? new BackupClient({});
  const rds = deps.rds ?? new RDSClient({});
  const secrets = deps.secrets ?? new SecretsManagerClient({});
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => console.log(line));
  const resolveEndpoint = deps.resolveEndpoint ?? ((reported: DbEndpoint) => reported);

  const info = (message: string, fields: Record<string, unknown> = {}): void =>
    log(JSON.stringify({ level: 'INFO', message, ...fields }));

  /** Fills in resourceType and createdResourceArn from DescribeRestoreJob when the event lacks them. */
  async function completeJob(job: RestoreTestJob): Promise<RestoreTestJob> {
    if (job.resourceType && job.createdResourceArn) return job;
    const described = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: job.restoreJobId }));
    return {
      ...job,
      resourceType: job.resourceType ?? described.ResourceType,
      createdResourceArn: job.createdResourceArn ?? described.CreatedResourceArn,
    };
  }

  async function findEndpoint(instanceArn: string): Promise<DbEndpoint> {
    // DescribeDBInstances takes the instance's ARN as DBInstanceIdentifier.
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceArn }));
    const instance = DBInstances?.[0];
    const address = instance?.Endpoint?.Address;
    if (!instance || !address) {
      throw new Error(`restored instance ${instanceArn} has no endpoint (status ${instance?.DBInstanceStatus ?? 'unknown'})`);
    }
    return { host: address, port: instance.Endpoint?.Port ?? 5432 };
  }

  async function credentials(secretArn: string, versionStage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<{ username: string; password: string; dbname?: string }> {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: versionStage }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString ?? '');
    } catch {
      throw new Error(`secret ${secretArn} (${versionStage}) is not a JSON object with username and password`);
    }
    const { username, password, dbname } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new Error(`secret ${secretArn} (${versionStage}) has no string 'username' and 'password'`);
    }
    return { username, password, dbname: typeof dbname === 'string' && dbname ? dbname : undefined };
  }

  /** Runs the password fallback: AWSCURRENT, then once AWSPREVIOUS if the password was refused. */
  async function checkWithSecret(config: ValidatorConfig, endpoint: DbEndpoint, timeoutMs: number, restoreJobId: string): Promise<ValidationResult> {
    const attempt = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<ValidationResult> => {
      const secret = await credentials(config.secretArn, stage);
      const connection: ClientConfig = {
        host: endpoint.host,
        port: endpoint.port,
        user: secret.username,
        password: secret.password,
        database: config.dbName ?? secret.dbname ?? 'postgres',
        // verify-full: the certificate is checked against the CA bundle (NODE_EXTRA_CA_CERTS) and the host name.
        ssl: config.ssl === 'disable' ? false : { rejectUnauthorized: true },
      };
      return runChecks(connection, config.checks, timeoutMs);
    };
    const refused = (r: ValidationResult) => r.checks.some((c) => c.code === INVALID_PASSWORD);
    const note = (r: ValidationResult, text: string): ValidationResult => ({ ...r, message: `${r.message} (${text})`.slice(0, MAX_MESSAGE_LENGTH) });

    const current = await attempt('AWSCURRENT');
    if (!refused(current)) return current;
    // The recovery point may predate the secret's last rotation: the restored instance then has
    // the previous password.
    info('the AWSCURRENT password was refused; trying the AWSPREVIOUS secret version', { restoreJobId });
    let previous: ValidationResult;
    try {
      previous = await attempt('AWSPREVIOUS');
    } catch (e) {
      return note(current, `no usable AWSPREVIOUS secret version: ${messageOf(e)}`);
    }
    if (previous.status === 'SUCCESSFUL') return note(previous, 'with the AWSPREVIOUS password');
    return refused(previous) ? note(previous, 'AWSCURRENT and AWSPREVIOUS passwords both refused') : previous;
  }

  /**
   * Finds the restored instance and checks it. Never throws: a failure to get that far is a
   * FAILED result with the reason. Jobs of other resource types are left alone.
   */
  async function validate(event: RestoreTestJob, context?: InvocationContext): Promise<{ job: RestoreTestJob; result: ValidationResult } | { ignore: string }> {
    let job = event;
    try {
      job = await completeJob(event);
      if (job.resourceType !== 'RDS') {
        return { ignore: `resource type ${JSON.stringify(job.resourceType)} is not an RDS DB instance ("RDS"): left to another validator` };
      }
      const config = readConfig(env);
      if (!job.createdResourceArn || !DB_INSTANCE_ARN.test(job.createdResourceArn)) {
        return { job, result: failed(`cannot validate: the created resource ${JSON.stringify(job.createdResourceArn)} is not an RDS DB instance ARN`) };
      }
      const endpoint = resolveEndpoint(await findEndpoint(job.createdResourceArn));
      const remaining = context?.getRemainingTimeInMillis?.();
      const timeoutMs = remaining === undefined ? config.timeoutMs : Math.max(1000, Math.min(config.timeoutMs, remaining - REPORT_MARGIN_MS));
      return { job, result: await checkWithSecret(config, endpoint, timeoutMs, job.restoreJobId) };
    } catch (e) {
      return { job, result: failed(`cannot validate restore job ${job.restoreJobId}: ${messageOf(e)}`) };
    }
  }

  return async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
    const parsed = parseRestoreEvent(event);
    if (parsed.kind === 'ignore') {
      info(`ignored: ${parsed.reason}`, { eventId: (event as { id?: unknown } | null)?.id });
      return { reported: false, reason: parsed.reason };
    }
    const outcome = await validate(parsed.job, context);
    if ('ignore' in outcome) {
      info(`ignored: ${outcome.ignore}`, { restoreJobId: parsed.job.restoreJobId });
      return { reported: false, reason: outcome.ignore };
    }
    const { job, result } = outcome;
    info(`validation ${result.status}: ${result.message}`, { restoreJobId: job.restoreJobId, checks: result.checks });
    const namespace = env.METRIC_NAMESPACE?.trim() || DEFAULT_METRIC_NAMESPACE;
    const dbInstanceId = env.DB_INSTANCE_ID?.trim() || undefined;
    try {
      await backup.send(new PutRestoreValidationResultCommand({
        RestoreJobId: job.restoreJobId,
        ValidationStatus: result.status,
        ValidationStatusMessage: result.message,
      }));
    } catch (e) {
      // AWS Backup has no result for this restore test: count it as a failure (the alarm fires),
      // then throw so that Lambda retries the report.
      log(metricLine(namespace, job, result, Date.now(), dbInstanceId, `PutRestoreValidationResult failed: ${messageOf(e)}`));
      throw e;
    }
    // After the report, so that a retried invocation does not count one restore test twice.
    log(metricLine(namespace, job, result, Date.now(), dbInstanceId));
    return { reported: true, restoreJobId: job.restoreJobId, status: result.status, message: result.message };
  };
}

/** The Lambda entry point (`index.handler`). */
export const handler = createHandler();
