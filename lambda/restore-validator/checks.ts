/**
 * The restore validator's checks: what "the restored database is usable" means, as SQL run on
 * a real connection. No AWS here: the handler (index.ts) finds the instance and the credentials,
 * this module connects and checks.
 *
 * Every check runs inside one READ ONLY transaction, so a restore test can never write to the
 * restored copy (not even through a view whose function writes), and runChecks never throws:
 * an unreachable host, a timeout, a refused password or a missing table all become a FAILED
 * result whose message says why.
 */
import { Client, ClientConfig, escapeIdentifier } from 'pg';
import { boundedClient, certificateRefusal } from '../../shared/pg-client';

/** One table that must exist (and be readable) with at least `minRows` rows. */
export interface TableCheckConfig {
  /** `schema.table` or `table` (resolved through the search_path); case-sensitive, as quoted SQL identifiers are. */
  readonly name: string;
  /** Fewest rows the restored table may have. @default 0 (the table must exist and be readable) */
  readonly minRows: number;
}

/** What to check on the restored database (env `CHECKS`). */
export interface CheckConfig {
  readonly tables: readonly TableCheckConfig[];
}

/** The outcome of one check. */
export interface CheckOutcome {
  /** `connect`, `select 1`, or the table name as configured. */
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or why the check failed. */
  readonly detail: string;
  /** The SQLSTATE or Node.js error code of a failure (e.g. `28P01`, `ECONNREFUSED`), if any. */
  readonly code?: string;
}

/** The result reported to AWS Backup (PutRestoreValidationResult). */
export interface ValidationResult {
  readonly status: 'SUCCESSFUL' | 'FAILED';
  /** A summary of at most MAX_MESSAGE_LENGTH characters. */
  readonly message: string;
  /** Every check that ran, in order. */
  readonly checks: CheckOutcome[];
}

/** Per-step time limit (connect, and each statement) when the caller gives none. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest message runChecks returns (the summary reported as ValidationStatusMessage). */
export const MAX_MESSAGE_LENGTH = 1000;
/** The SQLSTATE of a refused password. */
export const INVALID_PASSWORD = '28P01';

const EXAMPLE = '{"tables":[{"name":"public.orders","minRows":1}]}';
/** A plain (unquoted) PostgreSQL identifier: at most 63 bytes, letters, digits, _ and $. */
const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_$]{0,62}';
const TABLE_NAME = new RegExp(`^(?:${IDENTIFIER}\\.)?${IDENTIFIER}$`);

// --- configuration ----------------------------------------------------------------------------

function kind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownKeys(value: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where} has an unknown key '${key}' (allowed: ${allowed.join(', ')})`);
    }
  }
}

/**
 * Parses the `CHECKS` environment variable: `{"tables":[{"name":"public.orders","minRows":1}]}`.
 * Unset or blank means no table checks (the connection and `SELECT 1` are still checked).
 * Throws an Error naming the offending entry for anything else: invalid JSON, unknown keys, a
 * table name that is not `schema.table` / `table` of plain identifier characters, a `minRows`
 * that is not an integer >= 0, a table listed twice.
 */
export function parseChecks(json: string | undefined): CheckConfig {
  if (json === undefined || json.trim() === '') return { tables: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`CHECKS is not valid JSON (${(e as Error).message}); expected e.g. ${EXAMPLE}`, { cause: e });
  }
  if (!isPlainObject(raw)) throw new Error(`CHECKS must be a JSON object like ${EXAMPLE} (got ${kind(raw)})`);
  refuseUnknownKeys(raw, 'CHECKS', ['tables']);
  if (raw.tables === undefined) return { tables: [] };
  if (!Array.isArray(raw.tables)) throw new Error(`CHECKS.tables must be an array (got ${kind(raw.tables)})`);

  const seen = new Set<string>();
  const tables = raw.tables.map((entry: unknown, i: number): TableCheckConfig => {
    const where = `CHECKS.tables[${i}]`;
    if (!isPlainObject(entry)) throw new Error(`${where} must be an object like {"name":"public.orders","minRows":1} (got ${kind(entry)})`);
    refuseUnknownKeys(entry, where, ['name', 'minRows']);
    const { name, minRows = 0 } = entry;
    if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
      throw new Error(`${where}.name must be 'schema.table' or 'table' made of letters, digits, _ and $ (at most 63 each, not starting with a digit) (got ${kind(name)})`);
    }
    if (typeof minRows !== 'number' || !Number.isSafeInteger(minRows) || minRows < 0) {
      throw new Error(`${where}.minRows must be an integer >= 0 (got ${kind(minRows)})`);
    }
    if (seen.has(name)) throw new Error(`${where}.name '${name}' is listed twice`);
    seen.add(name);
    return { name, minRows };
  });
  return { tables };
}

/** `public.orders` → `"public"."orders"`: each part quoted, so it is never read as SQL. */
export function quoteTableName(name: string): string {
  return name.split('.').map((part) => escapeIdentifier(part)).join('.');
}

// --- errors as reasons ------------------------------------------------------------------------

/** The SQLSTATE or Node.js error code of an error (the first one of an AggregateError). */
function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] };
  if (typeof err?.code === 'string') return err.code;
  if (Array.isArray(err?.errors) && err.errors.length > 0) return errorCode(err.errors[0]);
  return undefined;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why a connection attempt failed, in words an operator can act on; a refused certificate names
 * the host it had to be for and the CA bundle it had to come from (`caFile`).
 */
function connectFailure(e: unknown, timeoutMs: number, host: string, caFile: string): string {
  const code = errorCode(e);
  const message = errorMessage(e);
  if (code && /^E[A-Z]+$/.test(code)) return code; // ECONNREFUSED, ENOTFOUND, ETIMEDOUT, EHOSTUNREACH ...
  // pg's messages for connectionTimeoutMillis: 'timeout expired' (8.x now), 'Connection terminated due to connection timeout' (older).
  if (/timeout expired|connection timeout/i.test(message)) return `no connection within ${timeoutMs} ms`;
  const refusal = certificateRefusal(e, host, caFile);
  if (refusal) return refusal;
  return code ? `${message} (${code})` : message;
}

/** Why a statement failed. */
function statementFailure(e: unknown, timeoutMs: number): string {
  const code = errorCode(e);
  if (code === '57014') return `timed out after ${timeoutMs} ms (statement_timeout)`;
  if (/query read timeout/i.test(errorMessage(e))) return `no answer within ${timeoutMs} ms`;
  return code ? `${errorMessage(e)} (${code})` : errorMessage(e);
}

// --- the summary ------------------------------------------------------------------------------

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * `prefix` and `parts` joined with '; ', within `max` characters: when they do not all fit, as
 * many whole parts as fit, then '(+N more)'. Each part is cut to 300 characters first.
 */
function joinWithin(prefix: string, parts: readonly string[], max: number): string {
  const pieces = parts.map((p) => truncate(p, 300));
  const all = `${prefix}${pieces.join('; ')}`;
  if (all.length <= max) return all;
  for (let k = pieces.length - 1; k >= 1; k--) {
    const text = `${prefix}${pieces.slice(0, k).join('; ')} (+${pieces.length - k} more)`;
    if (text.length <= max) return text;
  }
  return truncate(all, max);
}

/** The one-line message reported to AWS Backup: the failures, or what passed. */
export function summarize(checks: readonly CheckOutcome[], target: string, max = MAX_MESSAGE_LENGTH): string {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) {
    return joinWithin(`all ${checks.length} checks passed on ${target}: `, checks.map((c) => c.name === 'connect' || c.name === 'select 1' ? c.name : c.detail), max);
  }
  const prefix = failed.length === 1 ? '' : `${failed.length} of ${checks.length} checks failed on ${target}: `;
  return joinWithin(prefix, failed.map((c) => c.detail), max);
}

// --- running the checks -----------------------------------------------------------------------

/**
 * Connects with `connection`, then, inside one READ ONLY transaction, runs `SELECT 1` and, per
 * configured table, `SELECT count(*)` on its quoted name, comparing the count with minRows.
 *
 * `timeoutMs` bounds the connection (connectionTimeoutMillis) and every statement
 * (statement_timeout on the server, query_timeout on the client); values in `connection`
 * for those are replaced. `caFile` names where `connection.ssl.ca` came from, for the reason of
 * a refused certificate. Never throws: every failure is a FAILED result with the reason,
 * and a failed table check does not stop the others (each runs in its own savepoint).
 */
export async function runChecks(connection: ClientConfig, config: CheckConfig, timeoutMs = DEFAULT_TIMEOUT_MS,
  caFile = 'the given ssl.ca'): Promise<ValidationResult> {
  const host = connection.host ?? 'localhost';
  const port = connection.port ?? 5432;
  const target = `${host}:${port}/${connection.database ?? connection.user ?? 'postgres'}`;
  const checks: CheckOutcome[] = [];
  const done = (): ValidationResult => ({
    status: checks.every((c) => c.ok) ? 'SUCCESSFUL' : 'FAILED',
    message: summarize(checks, target),
    checks,
  });

  const client = boundedClient(connection, 'restore-validator', timeoutMs);
  try {
    try {
      await client.connect();
      checks.push({ name: 'connect', ok: true, detail: `connected to ${target}` });
    } catch (e) {
      checks.push({ name: 'connect', ok: false, detail: `cannot connect to ${host}:${port}: ${connectFailure(e, timeoutMs, host, caFile)}`, code: errorCode(e) });
      return done();
    }

    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      if (rows[0]?.one !== 1) throw new Error(`SELECT 1 returned ${JSON.stringify(rows)}`);
      checks.push({ name: 'select 1', ok: true, detail: 'SELECT 1 answered' });
    } catch (e) {
      checks.push({ name: 'select 1', ok: false, detail: `SELECT 1 failed: ${statementFailure(e, timeoutMs)}`, code: errorCode(e) });
      return done();
    }

    for (const [i, table] of config.tables.entries()) {
      const { outcome, sessionUsable } = await checkTable(client, table, timeoutMs);
      checks.push(outcome);
      if (!sessionUsable) {
        for (const skipped of config.tables.slice(i + 1)) {
          checks.push({ name: skipped.name, ok: false, detail: `${skipped.name} not checked: the session failed on an earlier check` });
        }
        break;
      }
    }
    return done();
  } catch (e) {
    // Not expected (each step above catches its own errors), but runChecks never throws.
    checks.push({ name: 'internal', ok: false, detail: `validator error: ${errorMessage(e)}` });
    return done();
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * One table check, in a savepoint so that its failure leaves the transaction usable for the
 * next one. `sessionUsable` is false when even that failed (e.g. the connection dropped).
 */
async function checkTable(client: Client, table: TableCheckConfig, timeoutMs: number): Promise<{ outcome: CheckOutcome; sessionUsable: boolean }> {
  const quoted = quoteTableName(table.name);
  const failure = (e: unknown, prefix: string): CheckOutcome =>
    ({ name: table.name, ok: false, detail: `${prefix}: ${statementFailure(e, timeoutMs)}`, code: errorCode(e) });
  try {
    await client.query('SAVEPOINT table_check');
  } catch (e) {
    return { outcome: failure(e, `${table.name} not checked`), sessionUsable: false };
  }
  let outcome: CheckOutcome;
  try {
    // to_regclass answers NULL for a missing table or schema instead of raising an error.
    const found = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [quoted]);
    if (!found.rows[0]?.present) {
      outcome = { name: table.name, ok: false, detail: `table ${table.name} does not exist`, code: '42P01' };
    } else {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoted}`);
      const n = BigInt(rows[0].n);
      outcome = n >= BigInt(table.minRows)
        ? { name: table.name, ok: true, detail: `${table.name} has ${n} rows (at least ${table.minRows} expected)` }
        : { name: table.name, ok: false, detail: `${table.name} has ${n} rows, expected at least ${table.minRows}` };
    }
  } catch (e) {
    outcome = failure(e, table.name);
  }
  try {
    await client.query('ROLLBACK TO SAVEPOINT table_check');
    return { outcome, sessionUsable: true };
  } catch {
    return { outcome, sessionUsable: false };
  }
}
