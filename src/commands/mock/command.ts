/** `holy mock`: a local OpenAI-compatible provider simulator for the tour, tests and bench rehearsals. */
import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';
import type { MockFlags } from './run.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('mock')
    .description(
      'Run a local SIMULATOR of an OpenAI-compatible provider (GET /v1/models, POST /v1/chat/completions with SSE, ' +
        'tool calls, JSON mode) with a latency profile and fault injection. Binds loopback only, prints its base URL as the ' +
        'only stdout line and serves until Ctrl-C (a normal stop, exit 0). The required key comes from env HOLY_MOCK_KEY, ' +
        '--key-env VAR or --key-file mock=PATH; with none, any request is accepted.',
    )
    .option('--port <n>', 'TCP port (0 = a free one)', '0')
    .option('--host <addr>', 'loopback address to bind: 127.0.0.1, ::1 or localhost', '127.0.0.1')
    .option('--models <a,b,c>', 'model ids to serve (default: gpt-4.1, gpt-4.1-mini, gpt-4o, gpt-4o-mini, claude-sonnet-4.5, gemini-2.5-flash, deepseek-v3.2)')
    .option('--ttft <ms>', 'time from request to the first content chunk', '0')
    .option('--per-token <ms>', 'delay between content chunks', '0')
    .option('--jitter <ms>', 'seeded random extra delay of 0..MS per chunk', '0')
    .option('--seed <n>', 'seed for answers, jitter and fault rates', '0')
    .option('--variant <p>', '0..1: probability each answer word differs from the canonical answer', '0')
    .option('--usage-scale <x>', 'multiply reported token usage (simulates a provider that bills more)', '1')
    .option('--echo-model <name>', 'report this model in responses instead of the requested one (simulates substitution)')
    .option('--ignore-include-usage', 'never send the usage chunk, even when stream_options.include_usage is set')
    .option('--stored <n>', 'serve N seeded stored completions on GET /v1/chat/completions and …/{id}/messages, for holy traffic pull (default none: 404, like a relay)')
    .addOption(new Option('--fault <spec>', 'inject a fault, KIND[=ARG][@opt=v,…]; repeatable (kinds: see the examples below and the README)').argParser(collect))
    .option('--label <name>', 'name shown in the banner and the x-holy-mock header', 'holy-mock')
    .option('--key-env <var>', 'require the key held in this environment variable (default HOLY_MOCK_KEY, if set)')
    .addHelpText(
      'after',
      examples([
        'holy mock                                   # prints http://127.0.0.1:PORT/v1',
        'HOLY_MOCK_KEY=mock-key holy mock --port 8787 --ttft 300 --per-token 20',
        'holy mock --label new --variant 0.1 --usage-scale 1.2 --fault 503@rate=0.05',
        'holy mock --fault 429@every=5 --fault stall=3000@rate=0.1,phase=body',
        'holy mock --stored 2000                    # then: holy traffic pull --provider mock=URL --out traffic.jsonl',
        '# stdout is only the base URL, so a script can capture it while the simulator runs;',
        '# holy still wants a key for the ad-hoc provider "mock" (MOCK_API_KEY): this mock takes any',
        'holy mock > mock.url & sleep 1; MOCK_API_KEY=any-key holy verify --provider mock=$(cat mock.url); kill %1',
        '# fault kinds: NNN, 429|rate-limit[=S], quota, stall[=MS], reset, malformed-sse, truncate, in-stream-error, html[=STATUS]',
      ]),
    )
    .addHelpText('after', reference('mock'))
    .action(lazyAction<MockFlags>(ctx, () => import('./run.js')));
}
