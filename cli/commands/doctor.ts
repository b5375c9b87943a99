import { Command } from 'commander';
import type { CommandContext } from '../program';

/** Registers the `doctor` command (work in progress). */
export function registerDoctor(program: Command, ctx: CommandContext): void {
  void ctx;
  program.command('doctor').description('(not built yet)');
}
