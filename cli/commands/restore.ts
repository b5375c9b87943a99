import { Command } from 'commander';
import type { CommandContext } from '../program';

/** Registers the `restore` command (work in progress). */
export function registerRestore(program: Command, ctx: CommandContext): void {
  void ctx;
  program.command('restore').description('(not built yet)');
}
