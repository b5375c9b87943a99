/**
 * `db-playbook upgrade`: a major (or minor) version upgrade of a DB instance through an RDS
 * Blue/Green deployment, which CloudFormation cannot do (aws/aws-cdk#23872,
 * cloudformation-coverage-roadmap#1483).
 *
 * In order, each step only after the one before succeeded:
 * 1. prechecks (cli/rds/upgrade-prechecks.ts), each PASS or FAIL with its fix, from RDS
 *    (DescribeDBInstances, DescribeDBEngineVersions, DescribeDBParameters,
 *    DescribeBlueGreenDeployments, DescribeDBParameterGroups) and the source database
 *    (cli/rds/upgrade-database.ts, read-only). A FAIL ends the command with exit 3 and nothing
 *    created; --dry-run ends here too;
 * 2. the target parameter group: one of the target version's family carrying every value the
 *    source's group sets (cli/rds/target-parameter-group.ts), unless --target-parameter-group;
 * 3. CreateBlueGreenDeployment, then a wait with live progress until it is AVAILABLE;
 * 4. --verify-sql on the green instance (read-only, cli/rds/verify-sql.ts);
 * 5. with --switchover, once confirmed (--yes, or the instance's name typed on a terminal),
 *    SwitchoverBlueGreenDeployment with --switchover-timeout, and a wait until it completed;
 *    without --switchover the deployment is left for the operator to switch over (or delete);
 * 6. the change to the CDK app that makes the next `cdk deploy` agree (cli/rds/upgrade-cdk.ts).
 * Aborting before the switchover (Ctrl-C, a failed wait or --verify-sql, no confirmation)
 * deletes the deployment with its green environment (DeleteTarget); blue is never modified
 * until the switchover.
 */
import { DBInstance, DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { Command, InvalidArgumentError } from 'commander';
import { clientConfig, configuredRegion } from '../context';
import { EXIT, InterruptedError, UsageError } from '../errors';
import { Interrupts } from '../interrupt';
import { JsonFinding, printJson, summarizeFindings } from '../json-output';
import type { CommandContext } from '../program';
import {
  createDeployment, deleteDeployment, deploymentName, DeploymentFacts, deploymentsOf, describeDeployment, FAILED_DEPLOYMENT_STATES, switchover, UPGRADE_TAG,
} from '../rds/blue-green';
import { confirmByName, promptIo } from '../rds/confirm';
import { describeEngineVersion, ENGINE_VERSION, majorOf } from '../rds/engine-versions';
import { formatDuration } from '../rds/format';
import { instanceIdentifierProblem, parameterGroupNameProblem, parseArn } from '../rds/identifiers';
import { createParameterGroup, parameterGroupFamily, setParameters, targetGroupName } from '../rds/target-parameter-group';
import { cdkChange } from '../rds/upgrade-cdk';
import { readDatabaseFacts } from '../rds/upgrade-database';
import { evaluatePrechecks, Precheck, UpgradeFacts } from '../rds/upgrade-prechecks';
import { runVerifySql, verifySqlProblem, VerifyResult, verifyTarget, VerifyTarget } from '../rds/verify-sql';
import { waitFor } from '../rds/wait';
import { requireRegion } from '../region';
import { wrapText } from '../terminal';

/** Options of `db-playbook upgrade`. */
export interface UpgradeOptions {
  readonly instance: string;
  readonly targetVersion: string;
  readonly targetParameterGroup?: string;
  readonly dbUrl?: string;
  readonly verifySql?: string;
  readonly skipVerify?: boolean;
  readonly switchover?: boolean;
  readonly yes?: boolean;
  readonly switchoverTimeout: number;
  readonly timeout: number;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** Default --timeout: RDS copies the whole instance into green, and a major upgrade runs pg_upgrade there. */
export const DEFAULT_TIMEOUT_MINUTES = 240;
/** Default --switchover-timeout: RDS's own default (the API takes 30-3600). */
export const DEFAULT_SWITCHOVER_TIMEOUT_SECONDS = 300;

/** How the command names its database flag: `--db-url` whose host INSTANCE is the blue endpoint (prechecks) or green's (--verify-sql). */
const NAMING = { urlFlag: '--db-url', placeholder: 'INSTANCE', purpose: 'upgrade\'s prechecks' };

function positiveMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of minutes greater than 0');
  return n;
}

function switchoverSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 30 || n > 3600) throw new InvalidArgumentError('must be a whole number of seconds from 30 to 3600 (SwitchoverBlueGreenDeployment\'s range)');
  return n;
}

const HELP_AFTER = `
Steps: prechecks (each PASS or FAIL with the fix; any FAIL stops here, nothing changed), a
target parameter group of the new family carrying the source group's values (named
<source group with the family replaced>; --target-parameter-group to bring one), the Blue/Green
deployment and a wait for it (progress on stdout, stderr with --json), --verify-sql on the green
instance, then with --switchover the switchover (--switchover-timeout; RDS rolls it back when it
takes longer), and the change to make in the CDK app.

Prechecks: the source is available; --target-version is one of its ValidUpgradeTargets; no
RDS-managed master password (Blue/Green refuses it); no other Blue/Green deployment of it; for a
major version: rds.logical_replication = 1 in its parameter group and every table with a primary
key or replica identity (in every database); no inactive replication slot (nor, for a major
version, a logical one); the extensions in use exist in the target version; the databases fill
at most 80 % of the storage. The database is read with --db-url (host INSTANCE = the source's
endpoint; any other host, e.g. a tunnel, as given), else PGUSER / PGPASSWORD / PGDATABASE; TLS
as restore's --verify-url (sslmode, default verify-full, PGSSLROOTCERT).

Without --switchover the green environment is left running for you to test and switch over
(aws rds switchover-blue-green-deployment) or delete. With it, --verify-sql (or --skip-verify)
is needed, and a confirmation: --yes, or on a terminal the instance's name typed. Ctrl-C, a
failed wait or --verify-sql, or no confirmation before the switchover deletes the deployment and
its green instance; the source is untouched.

Exit codes: 0 done (dry run: every precheck passed); 1 an AWS call, the database, the wait,
--verify-sql or the switchover failed, or the switchover was not confirmed (green deleted);
2 bad input (nothing changed); 3 a precheck failed (nothing changed); 130 Ctrl-C (before the
switchover: green deleted; during it: the switchover goes on in AWS).

Example:
  db-playbook upgrade --instance orders-db --target-version 18.1 --dry-run
  db-playbook upgrade --instance orders-db --target-version 18.1 \\
    --db-url 'postgresql://admin@INSTANCE/app' --verify-sql 'SELECT count(*) FROM orders' --switchover
`;

/** Registers `db-playbook upgrade`. */
export function registerUpgrade(program: Command, ctx: CommandContext): void {
  program
    .command('upgrade')
    .description('Upgrade a DB instance\'s engine version (major or minor) through an RDS Blue/Green deployment: prechecks, a target parameter group, the green copy, verification, switchover, and the CDK change to make afterwards.')
    .requiredOption('--instance <id>', 'the DB instance to upgrade (blue)')
    .requiredOption('--target-version <version>', 'the engine version to upgrade to, as RDS spells it (e.g. 18.1)')
    .option('--target-parameter-group <name>', 'an existing parameter group of the target version\'s family for green (default: one the command creates from the source\'s)')
    .option('--db-url <postgres-url>', 'credentials for the prechecks and --verify-sql: postgresql://user:password@INSTANCE/dbname[?sslmode=...]; host INSTANCE = the instance\'s endpoint (default: PGUSER, PGPASSWORD, PGDATABASE)')
    .option('--verify-sql <sql>', 'one SQL statement to run on the green instance, read-only, before the switchover; a failure deletes green and exits 1')
    .option('--skip-verify', 'with --switchover: switch over without --verify-sql')
    .option('--switchover', 'switch over once green is ready and verified (asks for the instance\'s name on a terminal, unless --yes); without it green is left for you')
    .option('--yes', 'confirm --switchover without being asked (needed when stdin is not a terminal)')
    .option('--switchover-timeout <seconds>', `how long RDS may take to switch over before it rolls back, 30-3600 (default ${DEFAULT_SWITCHOVER_TIMEOUT_SECONDS})`, switchoverSeconds, DEFAULT_SWITCHOVER_TIMEOUT_SECONDS)
    .option('--timeout <minutes>', `how long to wait for the green environment (default ${DEFAULT_TIMEOUT_MINUTES})`, positiveMinutes, DEFAULT_TIMEOUT_MINUTES)
    .option('--dry-run', 'run the prechecks only; change nothing')
    .option('--json', 'print the prechecks and the outcome as JSON on stdout (progress goes to stderr)')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: UpgradeOptions) => {
      await runUpgrade(opts, ctx);
    });
}

/**
 * What `upgrade --json` prints after the envelope: `instance`, `region`, `sourceVersion`,
 * `targetVersion` (strings), `major` (boolean), `targetFamily` (string or null: RDS does not
 * list the version), `dryRun` (boolean), `targetParameterGroup` (`{ name, created }` or null
 * before it is chosen), `deployment` (`{ id, name, status }` or null), `green` (`{ id, endpoint }`
 * or null), `verify` (null without --verify-sql; `sql`, `target`, `ok`, `rowCount`, `firstRow`,
 * `error`), `switchover` (`{ requested, done, status }`), `greenDeleted` (boolean), `cdkChange`
 * (the lines to change in the app; empty until switched over), then `summary` and `findings`
 * (the prechecks, PASS or FAIL).
 */
export interface UpgradeJson {
  readonly instance: string;
  readonly region: string;
  readonly sourceVersion: string;
  readonly targetVersion: string;
  readonly major: boolean;
  readonly targetFamily: string | null;
  readonly dryRun: boolean;
  readonly targetParameterGroup: { readonly name: string; readonly created: boolean } | null;
  readonly deployment: { readonly id: string; readonly name: string | null; readonly status: string } | null;
  readonly green: { readonly id: string; readonly endpoint: string | null } | null;
  readonly verify: {
    readonly sql: string; readonly target: string; readonly ok: boolean; readonly rowCount: number | null; readonly firstRow: Record<string, unknown> | null; readonly error: string | null;
  } | null;
  readonly switchover: { readonly requested: boolean; readonly done: boolean; readonly status: string | null };
  readonly greenDeleted: boolean;
  readonly cdkChange: string[];
  readonly summary: ReturnType<typeof summarizeFindings>;
  readonly findings: JsonFinding[];
}

/** Checks the flags before any AWS call; resolves the database credentials. */
function checkInput(opts: UpgradeOptions, env: NodeJS.ProcessEnv): VerifyTarget {
  if (!parseArn(opts.instance)?.resource.startsWith('db:')) {
    const problem = instanceIdentifierProblem(opts.instance);
    if (problem) throw new UsageError(`--instance '${opts.instance}' is not a DB instance identifier: it ${problem}`);
  }
  if (!ENGINE_VERSION.test(opts.targetVersion)) {
    throw new UsageError(`--target-version '${opts.targetVersion}' is not an RDS for PostgreSQL version: give <major>.<minor> as RDS lists it, such as 18.1 `
      + '(aws rds describe-db-engine-versions --engine postgres --engine-version <current version> lists the valid targets)');
  }
  if (opts.targetParameterGroup !== undefined) {
    const problem = parameterGroupNameProblem(opts.targetParameterGroup);
    if (problem) throw new UsageError(`--target-parameter-group '${opts.targetParameterGroup}' is not a parameter group name: it ${problem}`);
  }
  if (opts.verifySql !== undefined) {
    const problem = verifySqlProblem(opts.verifySql);
    if (problem) throw new UsageError(`--verify-sql ${problem} (nothing was changed)`);
  }
  if (!opts.switchover) {
    const given = [opts.yes ? '--yes' : undefined, opts.skipVerify ? '--skip-verify' : undefined].filter((f): f is string => f !== undefined);
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} only used with --switchover`);
  } else {
    if (opts.skipVerify && opts.verifySql !== undefined) {
      throw new UsageError('--skip-verify and --verify-sql contradict each other: give --verify-sql to switch over once it passed, or --skip-verify to switch over unverified');
    }
    if (!opts.skipVerify && opts.verifySql === undefined) {
      throw new UsageError('--switchover needs --verify-sql <sql>: production moves to green only after a check of its data passed (e.g. --verify-sql "SELECT count(*) FROM orders"). '
        + 'To switch over unverified, add --skip-verify');
    }
  }
  return verifyTarget(opts.dbUrl, env, NAMING);
}

async function describeInstance(rds: RDSClient, region: string, id: string): Promise<DBInstance> {
  try {
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    if (DBInstances?.[0]) return DBInstances[0];
  } catch (e) {
    if ((e as { name?: string }).name !== 'DBInstanceNotFoundFault') throw e;
  }
  throw new UsageError(`no DB instance "${id}" in ${region}: check --instance and --region (nothing was changed)`);
}

function jsonFinding(p: Precheck, instance: string): JsonFinding {
  return { rule: p.id, severity: p.status, resource: instance, title: p.title, message: p.detail, fix: p.status === 'PASS' ? '' : p.fix };
}

/** The prechecks as lines: `STATUS  title  detail`, the fix under each FAIL. */
function renderPrechecks(prechecks: readonly Precheck[], columns: number): string {
  const width = Math.max(...prechecks.map((p) => p.title.length));
  const detailAt = 8 + width + 2;
  const lines: string[] = [];
  for (const p of prechecks) {
    const head = `${p.status.padEnd(6)}  ${p.title.padEnd(width)}  `;
    // A narrow terminal: the detail goes under the row instead of into a column a few characters wide.
    lines.push((columns - detailAt >= 30 ? wrapText(p.detail, columns, head, ' '.repeat(detailAt)) : `${head.trimEnd()}\n${wrapText(p.detail, columns, ' '.repeat(8))}`)
      .split('\n').map((l) => l.trimEnd()).join('\n'));
    if (p.status === 'FAIL') lines.push(wrapText(`fix: ${p.fix}`, columns, ' '.repeat(8), ' '.repeat(13)));
  }
  return `${lines.join('\n')}\n`;
}

async function runUpgrade(opts: UpgradeOptions, ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  const target = checkInput(opts, io.env);
  const prompt = promptIo(io);
  if (opts.switchover && !opts.yes && !prompt.stdinIsTty) {
    throw new UsageError(`--switchover moves production to the upgraded instance: confirm with --yes (stdin is not a terminal, so the command cannot ask you to type the instance's name). Nothing was changed`);
  }
  const globals = ctx.globals();
  const region = requireRegion(configuredRegion(globals, io), globals.profile, io.env);
  const rds = new RDSClient(clientConfig(globals, io, region));
  const out = io.stdout;
  const progress = opts.json ? io.stderr : io.stdout;
  try {
    // --- 1. prechecks -----------------------------------------------------------------------
    const db = await describeInstance(rds, region, opts.instance);
    const instanceId = db.DBInstanceIdentifier!;
    const sourceArn = db.DBInstanceArn ?? `arn:aws:rds:${region}::db:${instanceId}`;
    const engine = db.Engine ?? 'postgres';
    if (engine !== 'postgres') throw new UsageError(`${instanceId} runs ${engine}: db-playbook upgrade handles RDS for PostgreSQL only (nothing was changed)`);
    const sourceVersion = db.EngineVersion ?? '?';
    if (sourceVersion === opts.targetVersion) throw new UsageError(`${instanceId} runs ${sourceVersion} already: give a newer --target-version (nothing was changed)`);
    const major = majorOf(sourceVersion) !== majorOf(opts.targetVersion);
    const sourceGroup = db.DBParameterGroups?.[0]?.DBParameterGroupName;
    const endpoint = { address: db.Endpoint?.Address ?? '', port: db.Endpoint?.Port ?? db.DbInstancePort ?? 5432 };

    const [sourceEngine, targetEngine, sourceParameters, existing, database] = await Promise.all([
      describeEngineVersion(rds, engine, sourceVersion),
      describeEngineVersion(rds, engine, opts.targetVersion),
      sourceGroup ? setParameters(rds, sourceGroup) : Promise.resolve([]),
      deploymentsOf(rds, sourceArn),
      readDatabaseFacts(target, endpoint).catch((e: unknown) => {
        const err = e as Error & { code?: string };
        throw new Error(`the prechecks could not read the database on ${target.host ?? endpoint.address}:${target.port ?? endpoint.port}/${target.database}: `
          + `${err.code ? `${err.code}: ` : ''}${err.message}. Nothing was changed`, { cause: e });
      }),
    ]);
    const facts: UpgradeFacts = {
      instanceId, region, status: db.DBInstanceStatus ?? 'unknown', sourceVersion, targetVersion: opts.targetVersion, major,
      validTargets: sourceEngine?.upgradeTargets.map((t) => t.version),
      parameterGroup: sourceGroup,
      logicalReplication: sourceParameters.find((p) => p.name === 'rds.logical_replication')?.value,
      masterUserSecretArn: db.MasterUserSecret?.SecretArn,
      allocatedGiB: db.AllocatedStorage ?? 0,
      existingDeployments: existing.map((d) => `${d.id} ${d.status}`),
      database,
    };
    const prechecks = evaluatePrechecks(facts);
    const targetFamily = targetEngine?.family;
    // The target parameter group: the one given must exist, of the target's family; within a family (a minor upgrade)
    // the source's own group; else one to create, whose name must be free.
    const sameFamily = opts.targetParameterGroup === undefined && sourceGroup !== undefined && targetFamily !== undefined && sourceEngine?.family === targetFamily;
    const groupName = opts.targetParameterGroup ?? (sameFamily ? sourceGroup
      : targetFamily && sourceGroup ? targetGroupName(sourceGroup, sourceEngine?.family, targetFamily) : undefined);
    const createGroup = opts.targetParameterGroup === undefined && !sameFamily;
    if (sameFamily) {
      prechecks.push({
        id: 'target.parameter-group', title: `Target parameter group (${targetFamily})`, status: 'PASS',
        detail: `${groupName}, the source's own (the same family): nothing to create`, fix: '',
      });
    } else if (groupName && targetFamily) {
      const family = await parameterGroupFamily(rds, groupName);
      const given = opts.targetParameterGroup !== undefined;
      const ok = given ? family === targetFamily : family === undefined;
      prechecks.push({
        id: 'target.parameter-group',
        title: `Target parameter group (${targetFamily})`,
        status: ok ? 'PASS' : 'FAIL',
        detail: given
          ? (family === undefined ? `--target-parameter-group ${groupName} does not exist in ${region}` : `${groupName} (family ${family})`)
          : (family === undefined ? `${groupName}, to be created with the ${sourceParameters.length} parameter(s) ${sourceGroup} sets` : `${groupName} exists already (family ${family})`),
        fix: given
          ? `create it: \`aws rds create-db-parameter-group --region ${region} --db-parameter-group-name ${groupName} --db-parameter-group-family ${targetFamily} --description ...\`, or leave --target-parameter-group out`
          : `pass --target-parameter-group ${groupName} to use it (family ${targetFamily}), or delete it`,
      });
    } else if (!targetFamily) {
      prechecks.push({
        id: 'target.parameter-group', title: 'Target parameter group', status: 'FAIL',
        detail: `RDS does not list ${engine} ${opts.targetVersion} (DescribeDBEngineVersions), so its parameter group family is unknown`,
        fix: `check --target-version: \`aws rds describe-db-engine-versions --region ${region} --engine ${engine} --engine-version ${opts.targetVersion}\``,
      });
    }
    const findings = prechecks.map((p) => jsonFinding(p, instanceId));
    const failed = prechecks.filter((p) => p.status === 'FAIL');
    let report: UpgradeJson = {
      instance: instanceId, region, sourceVersion, targetVersion: opts.targetVersion, major, targetFamily: targetFamily ?? null, dryRun: Boolean(opts.dryRun),
      targetParameterGroup: groupName ? { name: groupName, created: false } : null,
      deployment: null, green: null, verify: null, switchover: { requested: Boolean(opts.switchover), done: false, status: null }, greenDeleted: false, cdkChange: [],
      summary: summarizeFindings(findings), findings,
    };
    if (!opts.json) {
      out(`db-playbook upgrade: ${instanceId} in ${region}, ${sourceVersion} -> ${opts.targetVersion} (${major ? 'major' : 'minor'}, Blue/Green)\n\n`);
      out(renderPrechecks(prechecks, io.columns));
      out(`\n${prechecks.length} prechecks: ${prechecks.length - failed.length} PASS, ${failed.length} FAIL\n`);
    }
    if (failed.length > 0 || opts.dryRun) {
      if (opts.json) printJson(io, 'upgrade', report);
      else out(failed.length > 0 ? `Nothing was changed: fix the FAILs above and run the command again (exit code ${EXIT.CHECK_FAILED}).\n` : 'Dry run: nothing was changed.\n');
      if (failed.length > 0) ctx.setCode(EXIT.CHECK_FAILED);
      return;
    }

    // --- 2.-5. the deployment ----------------------------------------------------------------
    const interrupts = new Interrupts(io);
    let deployment: DeploymentFacts | undefined;
    let creating: Promise<DeploymentFacts> | undefined;
    let greenId: string | undefined;
    const deleteHint = (id: string) => `aws rds delete-blue-green-deployment --region ${region} --blue-green-deployment-identifier ${id} --delete-target`;
    /** Deletes the deployment and green (blue stays as it is); resolves to what was done. */
    const abort = async (): Promise<string> => {
      if (!deployment && creating) deployment = await creating.catch(() => undefined);
      if (!deployment) return 'no Blue/Green deployment was created';
      const current = await describeDeployment(rds, deployment.id);
      const green = current?.greenArn ? parseArn(current.greenArn)?.resource.replace(/^db:/, '') : greenId;
      progress(`Deleting Blue/Green deployment ${deployment.id} and its green instance${green ? ` ${green}` : ''} (${instanceId} stays as it is)...\n`);
      if (green) {
        // Green copies blue's deletion protection; DeleteTarget cannot delete a protected instance.
        const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: green })).catch(() => ({ DBInstances: [] as DBInstance[] }));
        if (DBInstances[0]?.DeletionProtection) {
          await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: green, DeletionProtection: false, ApplyImmediately: true }));
        }
      }
      await deleteDeployment(rds, deployment.id, true);
      report = { ...report, greenDeleted: true };
      return `Blue/Green deployment ${deployment.id} and its green instance ${green ?? ''} were deleted; ${instanceId} is untouched`;
    };
    const abortShielded = () => interrupts.shield(
      'Ctrl-C: the green environment is being deleted first (stopped half-way, it would keep running and billing).', abort);
    const onInterrupt = (what: string) => async (): Promise<never> => {
      if (io.isTty && !opts.json) progress('\n');
      let done: string;
      try {
        done = await abort();
      } catch (e) {
        done = `deleting it failed (${(e as Error).message}): delete it with ${deployment ? deleteHint(deployment.id) : 'aws rds delete-blue-green-deployment'}`;
      }
      throw new InterruptedError(`interrupted ${what}: ${done}`, `to upgrade, run the command again${report.targetParameterGroup?.created ? ` with --target-parameter-group ${report.targetParameterGroup.name}` : ''}`);
    };
    try {
      const startedAt = io.now();
      const parameterGroup = groupName!;
      if (createGroup) {
        const tags = [{ Key: UPGRADE_TAG, Value: `${instanceId} ${sourceVersion}->${opts.targetVersion}` }];
        const creatingGroup = createParameterGroup(rds, parameterGroup, targetFamily!, `${sourceGroup}'s parameters for ${engine} ${opts.targetVersion} (db-playbook upgrade of ${instanceId})`, sourceParameters, tags);
        await interrupts.race(creatingGroup, () => new InterruptedError(
          `interrupted while creating parameter group ${parameterGroup}: no Blue/Green deployment was created; ${instanceId} is untouched`,
          `delete the group if it exists (aws rds delete-db-parameter-group --region ${region} --db-parameter-group-name ${parameterGroup}), or pass it as --target-parameter-group`));
        report = { ...report, targetParameterGroup: { name: parameterGroup, created: true } };
        progress(`Created parameter group ${parameterGroup} (family ${targetFamily}) with ${sourceParameters.length} parameter(s) of ${sourceGroup}.\n`);
      }

      creating = createDeployment(rds, {
        name: deploymentName(instanceId, opts.targetVersion), sourceArn, targetVersion: opts.targetVersion, targetParameterGroup: parameterGroup,
        tags: [{ Key: UPGRADE_TAG, Value: `${sourceVersion}->${opts.targetVersion}` }],
      });
      deployment = await interrupts.race(creating, () => new InterruptedError('interrupted', '')).catch(async (e: unknown) => {
        if (e instanceof InterruptedError) return onInterrupt('while RDS was taking the Blue/Green deployment')();
        const err = e as Error;
        const wrapped = new Error(`CreateBlueGreenDeployment ${instanceId}: ${err.message}. No deployment was created; ${instanceId} is untouched`
          + `${report.targetParameterGroup?.created ? `; parameter group ${parameterGroup} was (use it with --target-parameter-group ${parameterGroup}, or delete it)` : ''}`, { cause: e });
        wrapped.name = err.name;
        throw wrapped;
      });
      report = { ...report, deployment: { id: deployment.id, name: deployment.name ?? null, status: deployment.status } };
      progress(`Created Blue/Green deployment ${deployment.id} (${deployment.name ?? ''}): green is a copy of ${instanceId} upgraded to ${opts.targetVersion}.\n`);

      const ready = await interrupts.race(waitFor<DeploymentFacts>({
        io, write: progress, tty: io.isTty && !opts.json, label: deployment.id, startedAt,
        timeoutMs: opts.timeout * 60_000,
        resumeHint: '',
        signal: interrupts.signal,
        isDone: (state) => state === 'AVAILABLE',
        isFailed: (state) => FAILED_DEPLOYMENT_STATES.includes(state),
        poll: async () => {
          const d = await describeDeployment(rds, deployment!.id);
          if (!d) throw new Error(`Blue/Green deployment ${deployment!.id} disappeared while waiting for it (deleted?)`);
          return { state: d.status, value: d, detail: d.tasks.length > 0 ? `[${d.tasks.join(', ')}]` : undefined };
        },
      }), () => new InterruptedError('interrupted', '')).catch(async (e: unknown) => {
        if (e instanceof InterruptedError) return onInterrupt('while waiting for the green environment')();
        const done = await abortShielded().catch((d: Error) => `deleting it failed (${d.message}): ${deleteHint(deployment!.id)}`);
        throw new Error(`${(e as Error).message.replace(/\s+$/, '')} ${done}`, { cause: e });
      });
      greenId = ready.greenArn ? parseArn(ready.greenArn)?.resource.replace(/^db:/, '') : undefined;
      if (!greenId) {
        const done = await abortShielded();
        throw new Error(`Blue/Green deployment ${ready.id} is AVAILABLE but names no green instance: ${done}`);
      }
      const { DBInstances: [green] = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: greenId }));
      const greenEndpoint = { address: green?.Endpoint?.Address ?? '', port: green?.Endpoint?.Port ?? endpoint.port };
      report = { ...report, deployment: { id: ready.id, name: ready.name ?? null, status: ready.status }, green: { id: greenId, endpoint: greenEndpoint.address ? `${greenEndpoint.address}:${greenEndpoint.port}` : null } };
      progress(`Green ${greenId} is ready (${green?.EngineVersion ?? opts.targetVersion}) after ${formatDuration(io.now() - startedAt)}.\n`);

      let verify: VerifyResult | undefined;
      if (opts.verifySql !== undefined) {
        verify = await interrupts.race(runVerifySql(opts.verifySql, target, greenEndpoint, 60_000, 'db-playbook upgrade --verify-sql'), () => new InterruptedError('interrupted', ''))
          .catch(async (e: unknown) => {
            if (e instanceof InterruptedError) return onInterrupt('during --verify-sql')();
            throw e;
          });
        report = { ...report, verify: { sql: opts.verifySql, target: verify.target, ok: verify.ok, rowCount: verify.rowCount ?? null, firstRow: verify.firstRow ?? null, error: verify.error ?? null } };
        progress(verify.ok ? `--verify-sql ok on green (${verify.target}): ${verify.rowCount ?? 0} row(s)\n` : `--verify-sql FAILED on green (${verify.target}): ${verify.error}\n`);
        if (!verify.ok) {
          const done = await abortShielded();
          if (opts.json) printJson(io, 'upgrade', report);
          throw new Error(`--verify-sql failed on green (${verify.target}): ${verify.error}. ${done}`);
        }
      }

      if (!opts.switchover) {
        interrupts.dispose();
        if (opts.json) printJson(io, 'upgrade', report);
        else {
          out(`Green is ready and left running (no --switchover). Test it on ${report.green?.endpoint ?? greenId}, then either:\n`
            + `  switch over: aws rds switchover-blue-green-deployment --region ${region} --blue-green-deployment-identifier ${ready.id} --switchover-timeout ${opts.switchoverTimeout}\n`
            + `  or delete it: ${deleteHint(ready.id)}\n`
            + `After a switchover, change the CDK app:\n${cdkChange(instanceId, sourceVersion, opts.targetVersion, targetFamily!, major, parameterGroup, createGroup).map((l) => `  - ${l}\n`).join('')}`);
        }
        return;
      }

      const question = `Green ${greenId} runs ${opts.targetVersion}${verify ? ` and --verify-sql passed (${verify.rowCount ?? 0} row(s))` : ' (not verified: --skip-verify)'}. `
        + `The switchover moves ${instanceId}'s endpoint to it (writes stop for up to ${opts.switchoverTimeout} s). `;
      const confirmed = opts.yes || await interrupts.race(
        confirmByName(io, prompt, question, 'the instance\'s name', instanceId, interrupts.signal), () => new InterruptedError('interrupted', ''),
      ).catch(async (e: unknown) => {
        if (e instanceof InterruptedError) return onInterrupt('at the switchover question')();
        throw e;
      });
      if (!confirmed) {
        const done = await abortShielded();
        if (opts.json) printJson(io, 'upgrade', report);
        throw new Error(`the switchover was not confirmed: ${done}`);
      }

      // --- the switchover: from here RDS goes on whatever this process does --------------------
      interrupts.dispose();
      const switchInterrupts = new Interrupts(io);
      try {
        await switchInterrupts.shield('Ctrl-C: the switchover request is sent first.', () => switchover(rds, ready.id, opts.switchoverTimeout));
        progress(`Switching over ${ready.id} (timeout ${opts.switchoverTimeout} s)...\n`);
        const switched = await switchInterrupts.race(waitFor<DeploymentFacts>({
          io, write: progress, tty: io.isTty && !opts.json, label: ready.id, startedAt: io.now(),
          // RDS rolls back after the switchover timeout; allow for its own steps around it.
          timeoutMs: (opts.switchoverTimeout + 600) * 1000,
          resumeHint: `Check it with: aws rds describe-blue-green-deployments --region ${region} --blue-green-deployment-identifier ${ready.id}`,
          signal: switchInterrupts.signal,
          isDone: (state) => state === 'SWITCHOVER_COMPLETED',
          isFailed: (state) => FAILED_DEPLOYMENT_STATES.includes(state) || state === 'AVAILABLE',
          poll: async () => {
            const d = await describeDeployment(rds, ready.id);
            return { state: d?.status ?? 'unknown', value: d ?? ready, detail: d?.statusDetails };
          },
        }), () => new InterruptedError(
          `interrupted during the switchover of ${ready.id}: it goes on in AWS (RDS rolls it back if it exceeds ${opts.switchoverTimeout} s)`,
          `check it with: aws rds describe-blue-green-deployments --region ${region} --blue-green-deployment-identifier ${ready.id}`));
        const change = cdkChange(instanceId, sourceVersion, opts.targetVersion, targetFamily!, major, parameterGroup, createGroup);
        report = { ...report, deployment: { id: switched.id, name: switched.name ?? null, status: switched.status }, switchover: { requested: true, done: true, status: switched.status }, cdkChange: change };
        if (opts.json) printJson(io, 'upgrade', report);
        else {
          out(`Switched over: ${instanceId} now runs ${opts.targetVersion} (the old instance is ${instanceId}-old1).\n`
            + `Change the CDK app so that the next cdk deploy agrees with what runs:\n${change.map((l) => `  - ${l}\n`).join('')}`
            + `Then delete the deployment (it keeps nothing running): aws rds delete-blue-green-deployment --region ${region} --blue-green-deployment-identifier ${switched.id}\n`);
        }
      } finally {
        switchInterrupts.dispose();
      }
    } finally {
      interrupts.dispose();
    }
  } finally {
    rds.destroy();
  }
}
