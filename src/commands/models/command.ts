/** `holy models`: what each provider serves, at what price; --diff between two; `check NAME` for one name. */
import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';
import type { ModelsFlags } from './run.js';
import type { CheckFlags } from './check.js';

export function register(program: Command, ctx: Ctx): void {
  const models = program
    .command('models')
    .description(
      'List the models each provider serves (id, owner, created, price per 1M tokens), or --diff two providers with the suggested mapping for models only the old one serves.\n' +
        'Exit 0 on success, 3 when a listing fails (or `check` finds the name not served).',
    )
    .addOption(new Option('--provider <name>', 'provider to list (NAME or NAME=URL); repeatable (default: the configured old and new)').argParser(collect))
    .option('--diff <providers...>', 'compare two providers: --diff OLD NEW (both / only-old / only-new, snapshots normalised)')
    .option('--prices <file>', "price table overriding the built-in one (holy's format or LiteLLM's model_prices_and_context_window.json)")
    .option('--timeout <ms>', "time limit per request in ms (default: the profile's timeoutMs, 30000)")
    .option('--force', 'send a key even to a host its format says it does not belong to')
    .addHelpText(
      'after',
      examples([
        'holy models',
        'holy models --provider holysheep --json',
        'holy models --diff official holysheep',
        'holy models --prices model_prices_and_context_window.json',
        'holy models check gpt-4o-2024-08-06 --provider holysheep',
      ]),
    )
    .addHelpText('after', reference('models'))
    .action(lazyAction<ModelsFlags>(ctx, () => import('./run.js')));
  models
    .command('check')
    .argument('<name>', 'model name as your code sends it')
    .description('Check that one model name is served by a provider (default: the configured new one); exit 3 when it is not.')
    .option('--provider <name>', 'provider to ask (NAME or NAME=URL; default: the configured new provider)')
    .option('--prices <file>', 'price table overriding the built-in one')
    .option('--timeout <ms>', 'time limit per request in ms')
    .option('--force', 'send a key even to a host its format says it does not belong to')
    .addHelpText('after', examples(['holy models check gpt-4o', 'holy models check claude-sonnet-4-5 --provider holysheep', 'holy models check gpt-4-turbo || echo "map it first"']))
    .addHelpText('after', reference('models'))
    .action(lazyAction<CheckFlags>(ctx, () => import('./check.js')));
}
