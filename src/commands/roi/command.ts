/** `holy roi` — placeholder until its issue lands. */
import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';

export function register(program: Command, _ctx: Ctx): void {
  program
    .command('roi')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('holy roi is not built yet.');
    });
}
