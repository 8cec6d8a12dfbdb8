/** `holy tour`: the whole migration story on built-in samples, against two local simulators. */
import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { examples, lazyAction, reference } from '../kit.js';

export interface TourOpts {
  keep?: boolean;
  only?: string;
}

/** Runs holy in-process (cli.ts's main), handed down so the tour never imports the program above it. */
export type RunHoly = (argv: string[], ctx: Ctx) => Promise<number>;

export function register(program: Command, ctx: Ctx, main: RunHoly): void {
  program
    .command('tour')
    .description('Offline tour: two local simulators stand in for "official" and "holysheep"; runs every command on the samples in fixtures/ (no key, no network)')
    .option('--keep', 'keep the temporary workspace (config, results, report, env files) and print its path')
    .option('--only <steps>', 'run only these steps (comma-separated: verify,models,bench,traffic,roi,migrate,gateway,cutover)')
    .addHelpText(
      'after',
      examples([
        'holy tour',
        'holy tour --keep            # keep the workspace to open report.html afterwards',
        'holy tour --only bench,roi',
      ]),
    )
    .addHelpText('after', reference('tour'))
    .action(lazyAction<TourOpts>(ctx, async () => ({ default: (await import('./run.js')).tourWith(main) })));
}
