/**
 * Unknown words on the command line are errors, whatever else is on it. commander reports an
 * unknown command or option only when nothing "better" comes first: `db-playbook nosuch --help`
 * printed the root help and exited 0, `restore --bogus --help` printed restore's help, and
 * `restore --bogus` complained about a missing --source instead of the typo. So before the real
 * parse, the same program is parsed once more with its actions replaced by no-ops, every option
 * optional, and --help / -h / the `help` command taken out: if that parse finds an unknown
 * command, option or argument, that is the error; otherwise the real parse goes ahead (and
 * prints the help that was asked for).
 */
import { Command, CommanderError } from 'commander';

/** The code of the error for an argument a command does not take (commander's says only how many). */
export const UNEXPECTED_ARGUMENT = 'db-playbook.unexpectedArgument';

const UNKNOWN_WORD = new Set(['commander.unknownCommand', 'commander.unknownOption', UNEXPECTED_ARGUMENT]);

/** An unknown word: commander's message (`error: unknown option '--bogus'`) and what it wrote to stderr. */
export interface UnknownWord {
  readonly message: string;
  readonly output: string;
}

/**
 * Makes `program`'s commands refuse operands with a message naming the first one (they take
 * options only); call after the commands are registered.
 */
export function refuseOperands(program: Command): void {
  for (const command of program.commands) command.allowExcessArguments(true);
  program.hook('preAction', (_program, command) => {
    if (command.args.length > 0) {
      command.error(`error: unexpected argument '${command.args[0]}': 'db-playbook ${command.name()}' takes options only`, { code: UNEXPECTED_ARGUMENT, exitCode: 2 });
    }
  });
}

/** The index in `argv` of the first word that is not a global option or its value (-1: none). */
export function firstOperand(program: Command, argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!word.startsWith('-') || word === '-') return i;
    const option = program.options.find((o) => o.long === word || o.short === word);
    if (option && (option.required || option.optional)) i++;
  }
  return -1;
}

/** `argv` without what asks for help: -h, --help (before `--`) and the `help` command word. */
export function withoutHelp(program: Command, argv: readonly string[]): string[] {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  const rest = argv.filter((word, i) => i >= end || (word !== '--help' && word !== '-h'));
  const first = firstOperand(program, rest);
  return first >= 0 && rest[first] === 'help' ? [...rest.slice(0, first), ...rest.slice(first + 1)] : rest;
}

/**
 * Parses `argv` with a program from `build` (given where to write) whose actions do nothing;
 * resolves to the unknown word it found, or undefined (other errors are the real parse's to report).
 */
export async function findUnknownWord(build: (output: { writeOut: (t: string) => void; writeErr: (t: string) => void }) => Command,
  argv: readonly string[]): Promise<UnknownWord | undefined> {
  let output = '';
  const program = build({ writeOut: () => undefined, writeErr: (t) => { output += t; } });
  for (const command of [program, ...program.commands]) {
    for (const option of command.options) {
      option.mandatory = false;
      // Not in commander's typings, but what _checkForConflictingOptions reads (a conflict error would come first).
      (option as unknown as { conflictsWith: string[] }).conflictsWith = [];
    }
    if (command !== program) command.action(() => undefined);
  }
  try {
    await program.parseAsync(withoutHelp(program, argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && UNKNOWN_WORD.has(e.code)) return { message: e.message, output };
  }
  return undefined;
}
