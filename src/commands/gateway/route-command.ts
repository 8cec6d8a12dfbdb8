/** `holy gateway route`: read or move a running gateway's canary share (docs/cutover.md). Registered by ./command.ts. */
import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { examples, lazyAction, reference } from '../kit.js';
import type { RouteFlags } from './route.js';

export function registerRoute(gw: Command, ctx: Ctx): void {
  gw.command('route')
    .description(
      "Show or change a running gateway's route: the canary's share of requests, its state and the guard's window (GET /admin/route), " +
        'or move it: --percent N, --promote (the candidate becomes primary), --rollback (share 0). Needs HOLY_GATEWAY_ADMIN_KEY in the ' +
        "environment, the same value the gateway was started with (a secret of its own, never a tenant key). Every change is logged by the gateway with who/what/why.",
    )
    .option('--percent <n>', 'share of requests served by the candidate, 0-100 (two decimals at most)')
    .option('--promote', 'make the candidate the primary (the old primary becomes its fallback)')
    .option('--rollback', 'send everything to the primary again (share 0)')
    .option('--why <text>', 'the reason, kept in the change log and shown by GET /admin/route')
    .option('--who <name>', 'who made the change (default: $USER)')
    .option('--url <url>', "the gateway's base URL", 'http://127.0.0.1:8787')
    .addHelpText(
      'after',
      examples([
        'holy gateway route                                  # share, state, guard window, last change',
        'holy gateway route --percent 5 --why "shadow bench was a go"',
        'holy gateway route --percent 25',
        'holy gateway route --promote --why "a week at 25 % without a breach"',
        'holy gateway route --rollback --why "p99 up after the relay moved region"',
        'holy gateway route --url http://10.0.0.7:8787 --json',
      ]),
    )
    .addHelpText('after', reference('cutover'))
    .action(lazyAction<RouteFlags>(ctx, () => import('./route.js')));
}
