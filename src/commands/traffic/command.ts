/** `holy traffic pull|sample`: get real traffic for bench (OpenAI stored completions) and draw a representative sample of it. */
import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction } from '../kit.js';
import type { PullFlags } from './pull-options.js';
import type { SampleFlags } from './sample-options.js';

export function register(program: Command, ctx: Ctx): void {
  const traffic = program
    .command('traffic')
    .summary('real traffic for bench: pull stored completions, draw a stratified sample')
    .description('Get real traffic for `holy bench` without a gateway: pull the chat completions OpenAI stored (store: true) into a results file, then draw a stratified sample of it.')
    .addHelpText(
      'after',
      examples([
        'holy traffic pull --since 2026-11-01 --out traffic.jsonl',
        'holy traffic sample traffic.jsonl --n 500 --out sample.jsonl',
        'holy bench sample.jsonl --old recorded --new holysheep',
        '# offline: holy mock --stored 2000 serves stored completions to pull from',
      ]),
    );
  traffic
    .command('pull')
    .summary('pull OpenAI stored completions (store: true) into holy results JSONL; resumable')
    .description(
      'Pull chat completions stored with store: true (GET /v1/chat/completions and …/{id}/messages) into holy results JSONL, ' +
        'newest first, each with its recorded response and usage. Interrupted? Run the same command again: it resumes from --out without duplicates. ' +
        'Keys come from the usual sources (env, --env-file, --key-file), never from a flag.',
    )
    .option('--provider <name>', 'where the completions were stored: a name or NAME=URL (default: official)')
    .option('--since <date>', 'only completions created at or after DATE (ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00Z; UTC)')
    .option('--until <date>', 'only completions created before DATE (exclusive)')
    .option('--model <id>', 'only completions of this model (as the API filters it)')
    .option('--metadata <key=value>', 'only completions whose metadata has KEY=VALUE; repeatable (all must match)', collect)
    .option('--limit <n>', 'stop after N completions in the file')
    .option('--out <file>', 'the results JSONL to write (required; appended to when resuming)')
    .option('--restart', 'start over even though --out holds a pull (the old file is kept as FILE.bak)')
    .option('--timeout <ms>', 'per-request limit (default: the profile timeout, 30000)')
    .option('--force', 'send the key even when it does not look like it belongs to the host')
    .addHelpText(
      'after',
      examples([
        'holy traffic pull --out traffic.jsonl',
        'holy traffic pull --since 2026-11-01 --until 2026-11-08 --model gpt-4o --metadata app=support --out week.jsonl',
        'holy traffic pull --limit 5000 --out traffic.jsonl    # Ctrl-C, then the same command resumes',
        'holy bench traffic.jsonl --old recorded --new holysheep',
        '# exit codes: 0 ok, 1 network/server failure (the file keeps what was pulled), 2 bad flag or a provider without stored completions, 3 key rejected, 130 Ctrl-C',
      ]),
    )
    .action(lazyAction<PullFlags>(ctx, () => import('./pull.js')));
  traffic
    .command('sample')
    .summary('draw a stratified sample of traffic files, with its cost beside the whole file')
    .description(
      'Draw a stratified random sample from traffic files (any format bench reads): each stratum (model × streaming × prompt-length bucket by default) ' +
        'gets its proportional share, and at least --min-per-stratum requests where it has them. Prints the strata and the cost of replaying the sample ' +
        'beside that of the whole file; the sampling is recorded in --out, so bench can say what population its figures stand for.',
    )
    .argument('<files...>', 'traffic files: holy results (e.g. from traffic pull), Batch input/output, chat JSONL or HAR')
    .requiredOption('--n <count>', 'requests to draw')
    .option('--by <keys>', 'strata: any of model, stream, length (comma-separated)', 'model,stream,length')
    .option('--min-per-stratum <n>', 'requests per stratum at least (all of a smaller stratum)', '5')
    .option('--seed <n>', 'seed: the same files, flags and seed draw the same sample', '1')
    .option('--out <file>', 'the sample, as holy results JSONL (required)')
    .option('--prices <file>', 'price table override (holy or LiteLLM JSON)')
    .option('--strict', 'stop at the first bad traffic line instead of skipping it')
    .addHelpText(
      'after',
      examples([
        'holy traffic sample traffic.jsonl --n 500 --out sample.jsonl',
        'holy traffic sample a.jsonl b.jsonl --n 200 --by model,length --seed 7 --out sample.jsonl',
        'holy traffic sample traffic.jsonl --n 500 --out sample.jsonl --json | jq .strata',
        'holy bench sample.jsonl --old recorded --new holysheep',
      ]),
    )
    .action(lazyAction<SampleFlags>(ctx, () => import('./sample.js')));
}
