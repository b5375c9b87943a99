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
 *   SECRET_ARN         (required) the restore-validation role's secret (or any secret with
 *                      username/password): JSON `username` and `password` (and optionally
 *                      `dbname`). The restored instance has the passwords of the snapshot's time,
 *                      and a rotated secret (alternating users: `playbook_restore_check` and
 *                      `playbook_restore_check_clone`) may have moved on by several versions, so
 *                      when AWSCURRENT is refused (28P01) the secret's other versions are tried,
 *                      each with its own username and password: AWSPREVIOUS first, then the
 *                      others newest first, deprecated (unlabelled) ones included, until one
 *                      logs in; at most MAX_SECRET_VERSIONS_TRIED, within the invocation's time.
 *   DB_NAME            database to connect to. Default: the secret's `dbname`, else 'postgres'.
 *   CHECKS             JSON, e.g. {"tables":[{"name":"public.orders","minRows":1}]}. Default: no
 *                      table checks (connect + SELECT 1 only). See checks.ts parseChecks.
 *   DB_SSL             'verify-full' (default): TLS, the certificate chain verified against
 *                      DB_CA_FILE only (never Node's public roots nor NODE_EXTRA_CA_CERTS) and its
 *                      name against the restored instance's endpoint; 'disable': no TLS, for tests
 *                      against a local server only.
 *   DB_CA_FILE         the CA bundle (PEM) verify-full trusts. Default '/var/runtime/ca-cert.pem',
 *                      the Lambda Node.js runtimes' bundle of the RDS certificate authorities. Read
 *                      once per execution environment; unreadable or without a certificate, the job
 *                      is reported FAILED naming it (there is no fallback to other roots).
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
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientConfig } from 'pg';
import { caBundleReader, DEFAULT_CA_FILE, verifyFullSsl } from '../../shared/pg-client';
import { CheckConfig, DEFAULT_TIMEOUT_MS, INVALID_PASSWORD, MAX_MESSAGE_LENGTH, parseChecks, runChecks, ValidationResult } from './checks';

export const DEFAULT_METRIC_NAMESPACE = 'CdkDbPlaybook/RestoreTesting';
/** Time kept back from the invocation's remaining time to report the result. */
const REPORT_MARGIN_MS = 10_000;
const DB_INSTANCE_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:db:[A-Za-z0-9-]+$/;
/**
 * Most secret versions one validation logs in with, AWSCURRENT included: two years of monthly
 * rotations. Each refused login is quick, but the versions are tried one after another.
 */
export const MAX_SECRET_VERSIONS_TRIED = 24;
/** ListSecretVersionIds pages read at most (100 versions each). */
const MAX_VERSION_PAGES = 10;
/** Shortest time limit a further version is tried with; with less time left the search stops. */
const MIN_ATTEMPT_MS = 1000;

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
  /** The CA bundle verify-full trusts. */
  readonly caFile: string;
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
    caFile: env.DB_CA_FILE?.trim() || DEFAULT_CA_FILE,
    timeoutMs,
  };
}

// --- the secret's versions -------------------------------------------------------------------

/** A version of the secret, as ListSecretVersionIds lists it. */
export interface SecretVersion {
  readonly versionId: string;
  /** Its staging labels; none for a deprecated version. */
  readonly stages: readonly string[];
  readonly createdDate?: Date;
}

/**
 * The versions to try once AWSCURRENT's password is refused, in order: AWSPREVIOUS first (the
 * likeliest, a snapshot from before the last rotation), then the others newest first by
 * CreatedDate (undated ones last); AWSCURRENT's own version is left out, as it was tried first.
 */
export function versionsToTry(versions: readonly SecretVersion[], currentVersionId?: string): SecretVersion[] {
  const seen = new Set<string>(currentVersionId ? [currentVersionId] : []);
  const others = versions.filter((v) => {
    if (seen.has(v.versionId) || v.stages.includes('AWSCURRENT')) return false;
    seen.add(v.versionId);
    return true;
  });
  const rank = (v: SecretVersion) => (v.stages.includes('AWSPREVIOUS') ? 1 : 0);
  const time = (v: SecretVersion) => v.createdDate?.getTime() ?? Number.NEGATIVE_INFINITY;
  return others.sort((a, b) => rank(b) - rank(a) || time(b) - time(a));
}

/** How a version is named in log lines and messages: its labels, or that it has none. */
function stageLabel(version: Pick<SecretVersion, 'stages'>): string {
  return version.stages.length > 0 ? version.stages.join(',') : 'unlabelled (deprecated)';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
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

/** A secret version's credentials, with where they came from. */
interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
  readonly versionId?: string;
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
  /** DB_CA_FILE's certificates, read once per execution environment. */
  const caBundle = caBundleReader();

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

  /** One version's credentials: by VersionId, or by staging label when no id is known. */
  async function credentials(secretArn: string, version: { versionId?: string; stage?: string }): Promise<Credentials> {
    const { SecretString, VersionId } = await secrets.send(new GetSecretValueCommand({
      SecretId: secretArn,
      ...(version.versionId ? { VersionId: version.versionId } : { VersionStage: version.stage }),
    }));
    const which = version.versionId ? `version ${version.versionId}` : version.stage;
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString ?? '');
    } catch {
      throw new Error(`secret ${secretArn} (${which}) is not a JSON object with username and password`);
    }
    const { username, password, dbname } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new Error(`secret ${secretArn} (${which}) has no string 'username' and 'password'`);
    }
    return {
      username,
      password,
      dbname: typeof dbname === 'string' && dbname ? dbname : undefined,
      versionId: VersionId ?? version.versionId,
    };
  }

  /**
   * Every version of the secret, deprecated ones included. Secrets Manager keeps a version
   * without staging labels ("deprecated", listed only with IncludeDeprecated) until the secret
   * has more than 100 versions, so the password of a snapshot several rotations old may still
   * be there.
   * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html
   * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
   */
  async function listVersions(secretArn: string): Promise<SecretVersion[]> {
    const versions: SecretVersion[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_VERSION_PAGES; page++) {
      const answer = await secrets.send(new ListSecretVersionIdsCommand({ SecretId: secretArn, IncludeDeprecated: true, MaxResults: 100, NextToken: nextToken }));
      for (const v of answer.Versions ?? []) {
        if (v.VersionId) versions.push({ versionId: v.VersionId, stages: v.VersionStages ?? [], createdDate: v.CreatedDate });
      }
      nextToken = answer.NextToken || undefined;
      if (!nextToken) break;
    }
    return versions;
  }

  /**
   * Connects with AWSCURRENT's credentials; when that password is refused (28P01), with the
   * other versions of the secret, one at a time (versionsToTry), until one is not refused: the
   * restored instance has the role's password of the snapshot's time. Bounded by
   * MAX_SECRET_VERSIONS_TRIED and by `deadline` (when the invocation's time is known). Should
   * ListSecretVersionIds fail (e.g. a role granted only GetSecretValue), AWSPREVIOUS is tried.
   */
  async function checkWithSecret(config: ValidatorConfig, ca: readonly string[] | undefined, endpoint: DbEndpoint, timeoutMs: number,
    deadline: number | undefined, restoreJobId: string): Promise<ValidationResult> {
    const attempt = (secret: Credentials, limitMs: number): Promise<ValidationResult> => runChecks({
      host: endpoint.host,
      port: endpoint.port,
      user: secret.username,
      password: secret.password,
      database: config.dbName ?? secret.dbname ?? 'postgres',
      ssl: ca === undefined ? false : verifyFullSsl(endpoint.host, ca),
    } satisfies ClientConfig, config.checks, limitMs, config.caFile);
    const refused = (r: ValidationResult) => r.checks.some((c) => c.code === INVALID_PASSWORD);
    const note = (r: ValidationResult, text: string): ValidationResult => ({ ...r, message: `${r.message} (${text})`.slice(0, MAX_MESSAGE_LENGTH) });

    const current = await credentials(config.secretArn, { stage: 'AWSCURRENT' });
    let last = await attempt(current, timeoutMs);
    if (!refused(last)) return last;

    // The recovery point predates one or more rotations of the secret.
    let candidates: Array<SecretVersion | { versionId?: undefined; stages: string[]; createdDate?: undefined }>;
    let listError: string | undefined;
    try {
      candidates = versionsToTry(await listVersions(config.secretArn), current.versionId);
    } catch (e) {
      listError = messageOf(e);
      candidates = [{ stages: ['AWSPREVIOUS'] }];
    }
    info('the AWSCURRENT password was refused: trying the secret\'s other versions', {
      restoreJobId, versionId: current.versionId, versionStages: ['AWSCURRENT'], username: current.username, versionsToTry: candidates.length,
      ...(listError ? { listSecretVersionIdsError: listError } : {}),
    });

    let tried = 1;
    const unusable: string[] = [];
    let stopped: string | undefined;
    for (const [i, version] of candidates.entries()) {
      const left = candidates.length - i;
      if (tried + unusable.length >= MAX_SECRET_VERSIONS_TRIED) {
        stopped = `${plural(left, 'older version')} not tried (at most ${MAX_SECRET_VERSIONS_TRIED} are)`;
        break;
      }
      const limitMs = deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - Date.now());
      if (limitMs < MIN_ATTEMPT_MS) {
        stopped = `${plural(left, 'older version')} not tried: the invocation's time ran out`;
        break;
      }
      const label = stageLabel(version);
      let secret: Credentials;
      try {
        secret = await credentials(config.secretArn, version.versionId ? { versionId: version.versionId } : { stage: version.stages[0] });
      } catch (e) {
        unusable.push(version.versionId ?? label);
        info(`skipping the ${label} secret version: ${messageOf(e)}`, { restoreJobId, versionId: version.versionId, versionStages: version.stages });
        continue;
      }
      tried++;
      info(`trying the ${label} secret version`, {
        restoreJobId, attempt: tried, versionId: secret.versionId, versionStages: version.stages,
        createdDate: version.createdDate?.toISOString(), username: secret.username,
      });
      last = await attempt(secret, limitMs);
      if (!refused(last)) {
        return note(last, version.stages.includes('AWSPREVIOUS') ? 'with the AWSPREVIOUS password'
          : `with the password of the ${label} secret version ${secret.versionId}${version.createdDate ? `, created ${version.createdDate.toISOString()}` : ''}`);
      }
    }

    const parts = [`${tried === 1 ? 'password' : 'passwords'} refused for ${plural(tried, 'secret version')} tried`];
    if (unusable.length > 0) parts.push(`${plural(unusable.length, 'version')} skipped (unreadable, or no string username and password)`);
    if (listError) parts.push(`ListSecretVersionIds failed (${listError}), so only AWSCURRENT and AWSPREVIOUS were tried`);
    else if (stopped) parts.push(stopped);
    else parts.push('the role\'s password at the snapshot\'s time is not in the secret');
    return note(last, parts.join('; '));
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
      // Before any AWS call for the job: without its CAs, verify-full cannot connect anywhere.
      const ca = config.ssl === 'verify-full' ? caBundle(config.caFile) : undefined;
      if (!job.createdResourceArn || !DB_INSTANCE_ARN.test(job.createdResourceArn)) {
        return { job, result: failed(`cannot validate: the created resource ${JSON.stringify(job.createdResourceArn)} is not an RDS DB instance ARN`) };
      }
      const endpoint = resolveEndpoint(await findEndpoint(job.createdResourceArn));
      const remaining = context?.getRemainingTimeInMillis?.();
      const timeoutMs = remaining === undefined ? config.timeoutMs : Math.max(1000, Math.min(config.timeoutMs, remaining - REPORT_MARGIN_MS));
      const deadline = remaining === undefined ? undefined : Date.now() + remaining - REPORT_MARGIN_MS;
      return { job, result: await checkWithSecret(config, ca, endpoint, timeoutMs, deadline, job.restoreJobId) };
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
