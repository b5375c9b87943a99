import { Command } from 'commander';
import type { CommandContext } from '../program';

/** Registers the `recovery-points` command (work in progress). */
export function registerRecoveryPoints(program: Command, ctx: CommandContext): void {
  void ctx;
  program.command('recovery-points').description('(not built yet)');
}
