/**
 * The one shape of every `--json` document db-playbook prints on stdout: the output of
 * `restore` (and `restore --dry-run`), `recovery-points`, `copy`, `doctor`, `inspect`, `logs` and `upgrade`, and the
 * error of any of them. A script reads the same envelope everywhere, the same finding fields in
 * doctor and inspect, and an error the same way whichever command failed.
 *
 * Every document is an object whose first three fields are the envelope:
 * - `schemaVersion` (number, 1): the version of this shape; a field is only ever added within a
 *   version, a rename, removal or change of type makes a new one.
 * - `command` (string): `restore`, `recovery-points`, `copy`, `doctor`, `inspect`, `logs` or `upgrade`; null in an
 *   error document when no command was recognized (e.g. `db-playbook nosuch --json`).
 * - `generatedAt` (string): when the document was made, ISO 8601 in UTC (`2026-03-14T13:44:59.123Z`).
 *
 * Then the command's own fields (documented with each command: cli/commands/*.ts), where a
 * value that is not known yet (a dry run) or does not apply is null, never left out, so every
 * run of a command has the same keys. The commands that judge a deployment or a database
 * (doctor, inspect; upgrade's prechecks) end with:
 * - `summary` (object): how many findings there are of each severity, `{ FAIL, WARN, INFO, PASS }`.
 * - `findings` (array of JsonFinding, below), in report order.
 *
 * A command that fails prints, instead of its own fields, with the same exit code as without
 * --json (the message for people still goes to stderr):
 * - `error.code` (string): ErrorCode, cli/error-report.ts: `usage`, `no-credentials`,
 *   `credentials-rejected`, `timeout`, `interrupted`, `aws`, `failure`.
 * - `error.message` (string): what went wrong, as stderr says it.
 * - `error.hint` (string or null): what to do about it (e.g. the command that resumes an
 *   interrupted restore).
 * - `error.exitCode` (number): the process's exit code (1, 2, 130).
 * stdout always holds one document: a command that printed its own and then fails (restore
 * whose --verify-sql failed: `verify.ok` false, exit 1) prints no second one.
 */
import type { Io } from './context';
import type { ErrorReport } from './error-report';

/** The version of the shape documented above. */
export const SCHEMA_VERSION = 1;

/** The commands that print JSON. */
export type JsonCommand = 'restore' | 'recovery-points' | 'copy' | 'doctor' | 'inspect' | 'logs' | 'upgrade';

/**
 * How bad a finding is, in both doctor and inspect: `FAIL` makes the command exit 3 (doctor: the
 * deployment misses the playbook where data, availability or security is at stake; inspect: its
 * rule is in --fail-on), `WARN` should be fixed, `INFO` is worth knowing, `PASS` is a check that
 * passed (doctor lists every check).
 */
export type Severity = 'FAIL' | 'WARN' | 'INFO' | 'PASS';

/** The severities, worst first. */
export const SEVERITIES: readonly Severity[] = ['FAIL', 'WARN', 'INFO', 'PASS'];

/** One finding, the same fields in doctor and inspect. */
export interface JsonFinding {
  /** The rule's stable id: doctor's `backup.retention`, `parameter.rds.force_ssl`; inspect's `missing-index` (what --fail-on takes). */
  readonly rule: string;
  readonly severity: Severity;
  /** What it is about: an instance, parameter group, proxy or bucket name; `schema.table`, `schema.index`, `pid 1234`, `queryid 5678`. */
  readonly resource: string;
  /** What the rule checks, in a few words. */
  readonly title: string;
  /** What was found, with the numbers. */
  readonly message: string;
  /** What to do about it: the command, SQL or library setting. */
  readonly fix: string;
}

/** The envelope's fields. */
export interface JsonEnvelope {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly command: JsonCommand | null;
  readonly generatedAt: string;
}

/** `{ FAIL, WARN, INFO, PASS }`: how many findings have each severity. */
export type JsonSummary = Record<Severity, number>;

/** The error of a failed command. */
export interface JsonError {
  readonly code: ErrorReport['code'];
  readonly message: string;
  readonly hint: string | null;
  readonly exitCode: number;
}

/** A command's document: the envelope, then `body`'s fields in their order. */
export function jsonDocument<T extends object>(command: JsonCommand | null, now: number, body: T): JsonEnvelope & T {
  return { schemaVersion: SCHEMA_VERSION, command, generatedAt: new Date(now).toISOString(), ...body };
}

/** Prints `command`'s document on stdout. */
export function printJson<T extends object>(io: Io, command: JsonCommand, body: T): void {
  io.stdout(`${JSON.stringify(jsonDocument(command, io.now(), body), null, 2)}\n`);
}

/** The document of a failed command. */
export function errorDocument(command: JsonCommand | null, now: number, report: ErrorReport): JsonEnvelope & { readonly error: JsonError } {
  return jsonDocument(command, now, { error: { code: report.code, message: report.message, hint: report.hint, exitCode: report.exitCode } });
}

/** The summary of `findings`. */
export function summarizeFindings(findings: readonly JsonFinding[]): JsonSummary {
  const summary: JsonSummary = { FAIL: 0, WARN: 0, INFO: 0, PASS: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}

/** `value`, or null for undefined: JSON keeps the key. */
export function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}
