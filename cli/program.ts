import { Command, CommanderError } from 'commander';
import { registerDoctor } from './commands/doctor';
import { registerInspect } from './commands/inspect';
import { registerLogs } from './commands/logs';
import { registerUpgrade } from './commands/upgrade';
import { registerRecoveryPoints } from './commands/recovery-points';
import { registerRestore } from './commands/restore';
import { findUnknownWord, firstOperand, refuseOperands } from './argv-check';
import { GlobalOptions, Io } from './context';
import { ErrorReport, reportError, renderError } from './error-report';
import { EXIT, EXIT_CODES_HELP } from './errors';
import { errorDocument, JsonCommand } from './json-output';
import { checkRegion } from './region';
import { wrapText } from './terminal';
import { nodeAdvice } from './warnings';

/** The version printed by --version (kept in step with package.json by a test). */
export const VERSION = '0.1.0';

const JSON_HELP = '--json: stdout carries one JSON document, the same envelope for every command: '
  + '{ "schemaVersion": 1, "command", "generatedAt", ...the command\'s fields, and for doctor, inspect and upgrade "summary" and '
  + '"findings" (rule, severity FAIL|WARN|INFO|PASS, resource, title, message, fix) }; a failure is '
  + '{ ..., "error": { "code", "message", "hint", "exitCode" } } with the same exit code.';

/** Where commander writes help, version and its error messages. */
interface Output {
  readonly writeOut: (text: string) => void;
  readonly writeErr: (text: string) => void;
}

/** The program with every command registered; `setCode` receives a command's exit code. */
function createProgram(io: Io, output: Output, setCode: (code: number) => void): Command {
  const program = new Command('db-playbook')
    .description('Operate a cdk-db-playbook deployment: restore to a point in time, audit against the playbook, list and copy recovery points.')
    .version(VERSION)
    .option('--region <region>', 'AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / the profile)')
    .option('--profile <name>', 'AWS shared-config profile (default: the standard credential chain, AWS_PROFILE)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(output)
    .addHelpText('after', `\n${wrapText(EXIT_CODES_HELP, 100)}\n\n${wrapText(JSON_HELP, 100)}\n\n${wrapText(nodeAdvice(), 100)}`);

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerRestore(program, { io, globals, setCode });
  registerDoctor(program, { io, globals, setCode });
  registerRecoveryPoints(program, { io, globals, setCode });
  registerInspect(program, { io, globals, setCode });
  registerLogs(program, { io, globals, setCode });
  registerUpgrade(program, { io, globals, setCode });
  refuseOperands(program);
  // A mistyped --region is bad input for every command, also one that makes no AWS call.
  program.hook('preAction', () => {
    const { region } = globals();
    if (region !== undefined) checkRegion('--region', region);
  });
  return program;
}

/** The JSON command `argv` runs with --json (null: no command recognized), or undefined without --json. */
function jsonCommand(program: Command, argv: readonly string[]): JsonCommand | null | undefined {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  if (!argv.slice(0, end).includes('--json')) return undefined;
  const name = argv[firstOperand(program, argv)];
  return JSON_COMMANDS.find((c) => c === name) ?? null;
}

const JSON_COMMANDS: readonly JsonCommand[] = ['restore', 'recovery-points', 'copy', 'doctor', 'inspect', 'logs', 'upgrade'];

/**
 * Runs db-playbook with `argv` (without `node` and the script) and resolves to the exit code.
 * Never calls process.exit: the bin file does, so tests can run commands in-process. A failure
 * is reported on stderr and, with --json, as a JSON error document on stdout (cli/json-output.ts),
 * unless the command had printed its own document already.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.OK;
  const setCode = (c: number) => { code = c; };
  let printed = false;
  const commandIo: Io = { ...io, stdout: (text) => { printed = true; io.stdout(text); } };
  const program = createProgram(commandIo, { writeOut: commandIo.stdout, writeErr: io.stderr }, setCode);
  const json = jsonCommand(program, argv);
  const fail = (report: ErrorReport): number => {
    if (json !== undefined && !printed) io.stdout(`${JSON.stringify(errorDocument(json, io.now(), report), null, 2)}\n`);
    return report.exitCode;
  };
  try {
    const unknown = await findUnknownWord((output) => createProgram(io, output, () => undefined), argv);
    if (unknown) {
      io.stderr(unknown.output);
      return fail({ code: 'usage', exitCode: EXIT.USAGE, message: unknown.message.replace(/^error: /, ''), hint: null });
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // --help and --version end with exitCode 0; commander has printed its own errors.
    if (e instanceof CommanderError && e.exitCode === 0) return EXIT.OK;
    const report = reportError(e, io.env, program.opts<GlobalOptions>().profile);
    if (!(e instanceof CommanderError)) io.stderr(renderError(report));
    return fail(report);
  }
}

/** What each command module gets. */
export interface CommandContext {
  readonly io: Io;
  /** The global options (--region, --profile), read when the command runs. */
  readonly globals: () => GlobalOptions;
  /** Sets the process exit code (e.g. doctor's CHECK_FAILED) without throwing. */
  readonly setCode: (code: number) => void;
}
