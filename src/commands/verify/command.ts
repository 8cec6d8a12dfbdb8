/** `holy verify`: is each provider's key, URL, network and model access right — and if not, why. */
import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';
import type { VerifyFlags } from './run.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('verify')
    .description(
      'Check key, base URL, network (DNS/connect/TLS) and GET /models for each provider, and with --model a 1-token chat.\n' +
        'With --env-file, also the pair the app will use (provider "app": OPENAI_BASE_URL + OPENAI_API_KEY from that file).\n' +
        'Exit 0 when every check passes, 3 when any fails.',
    )
    .addOption(new Option('--provider <name>', 'provider to check (NAME or NAME=URL); repeatable (default: the configured old and new)').argParser(collect))
    .option('--model <model>', 'also prove access to this model with a 1-token chat completion, and time its TTFT')
    .option('--force', 'send a key even to a host its format says it does not belong to')
    .option('--timeout <ms>', "time limit per request in ms (default: the profile's timeoutMs, 30000)")
    .addHelpText(
      'after',
      examples([
        'holy verify',
        'holy verify --provider holysheep --model gpt-4o-mini',
        'holy verify --env-file .env --json',
        'holy verify --env-file .env --provider app   # after holy migrate: does the app\'s key fit its base URL, does it answer',
        'holy verify --provider staging=https://relay.example.com/v1 --key-file staging=staging.key --timeout 5000',
        '# exit code 3 when a check fails: use it in CI',
        'holy verify -q || echo "fix the provider settings first"',
      ]),
    )
    .addHelpText('after', reference('verify'))
    .action(lazyAction<VerifyFlags>(ctx, () => import('./run.js')));
}
