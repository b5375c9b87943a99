/**
 * The AWS SDK for JavaScript v3 warns, through process.emitWarning, on every run under a Node.js
 * older than 22 that its versions published after January 2027 will need Node.js 22: an
 * eight-line `(node:1234) Warning: NodeVersionSupportWarning ...` as the first thing an operator
 * reads, about SDK versions this bin does not bundle (it carries its own, fixed). The bin drops
 * that one warning and passes every other on; `--help` carries the advice instead.
 */

/** The prefix of the SDK's message (@aws-sdk/core emitWarningIfUnsupportedVersion). */
const SDK_NODE_VERSION_WARNING = /^NodeVersionSupportWarning\b/;

/** Whether a warning given to process.emitWarning is the SDK's Node-version warning. */
export function isSdkNodeVersionWarning(warning: unknown): boolean {
  const text = typeof warning === 'string' ? warning : warning instanceof Error ? `${warning.name}: ${warning.message}` : '';
  return SDK_NODE_VERSION_WARNING.test(text) || (warning instanceof Error && warning.name === 'NodeVersionSupportWarning');
}

/** What suppressSdkNodeVersionWarning changes: `process`, in the bin. */
export interface WarningEmitter {
  emitWarning(warning: string | Error, ...rest: unknown[]): void;
}

/** Makes `target.emitWarning` drop the SDK's Node-version warning and emit every other one as before. */
export function suppressSdkNodeVersionWarning(target: WarningEmitter): void {
  const original = target.emitWarning;
  target.emitWarning = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isSdkNodeVersionWarning(warning)) return;
    original.call(target, warning, ...rest);
  };
}

/** The advice for --help: which Node.js to run the CLI on. */
export function nodeAdvice(version: string = process.version): string {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  return 'Node.js: use Node.js 22 or newer. db-playbook still runs on Node.js 20, but the AWS SDK for JavaScript v3 '
    + `supports it only until January 2027, so later releases of db-playbook will need 22${major > 0 && major < 22 ? ` (this is Node.js ${version})` : ''}.`;
}
