/** `holy bench TRAFFIC...`: paired A/B replay of recorded traffic against the old and new provider. */
import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { collect, examples, lazyAction, reference } from '../kit.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('bench')
    .description('Replay recorded traffic against the old and new provider (each request to both) and compare latency, errors, tokens and answers.')
    .argument('<traffic...>', 'Batch input/output JSONL, chat-request JSONL, holy results JSONL or HAR files (mixable)')
    .option('--old <provider>', 'baseline provider: a name, NAME=URL, or "recorded" to use the recorded responses (default from config: official)')
    .option('--new <provider>', 'candidate provider: a name or NAME=URL (default from config: holysheep)')
    .option('-c, --concurrency <n>', 'closed loop: pairs in flight, so each provider sees at most N concurrent requests (default 4)')
    .option('--rate <r>', 'open loop: Poisson arrivals, R pairs per second; latency counts from the intended send time')
    .option('--seed <n>', 'seed for --rate arrivals and the bootstrap (default 1)')
    .option('--replay-timing', 'send at the recorded timestamps (HAR, holy results)')
    .option('--speed <x>', 'with --replay-timing: play back X times faster (default 1)')
    .option('-n, --requests <n>', 'measured pairs to send, cycling through the traffic (default: each item once)')
    .option('--duration <s>', 'stop starting new pairs after S seconds (cycles through the traffic)')
    .option('--warmup <n>', 'first N pairs are sent but left out of every figure and file (default 0)')
    .addOption(new Option('--stream <mode>', 'streaming: on, off, or as-recorded').choices(['on', 'off', 'as-recorded']).default('as-recorded'))
    .addOption(new Option('--model-map <old=new>', 'send model OLD as NEW to the new provider; repeatable').argParser(collect))
    .option('--timeout <ms>', 'per-request limit (default: the profile timeout, 30000)')
    .option('--retries <n>', 'retry 429/5xx/resets up to N times, honouring Retry-After up to 60 s (and --timeout); reported apart from latency (default 0)')
    .option('--rpm <n>', 'client-side limit: requests per minute per provider')
    .option('--tpm <n>', 'client-side limit: estimated tokens per minute per provider')
    .option('--abort-after <n>', 'stop sending to a provider after N consecutive failures (without it, a provider whose first 5 requests all fail is warned about)')
    .option('--max-cost <usd>', 'refuse to start when the estimated cost is above this (default 1)')
    .option('--yes', 'spend above --max-cost')
    .option('--dry-run', 'print the plan (formats, requests, tokens, cost) and send nothing')
    .option('--prices <file>', 'price table override (holy or LiteLLM JSON)')
    .option('--slo <spec>', 'goodput SLO, e.g. ttft=500,e2e=3000 (ms; TTFT only where streamed); a gate: exit 3 when the new goodput is materially below the old')
    .option('--percentiles <list>', 'show the full table with these percentiles (default: the compact p50/p99 table; 50,90,95,99 with --verbose; max always)')
    .option('--p99 [ms]', 'put p99 first; with MS, fail (exit 3) when the new p99 E2E is above MS')
    .option('--max-regression <pct>', 'fail (exit 3) when the new p99 E2E is more than PCT% above the old')
    .option('--quality-threshold <x>', 'similarity counted as "same answer" (0..1, default 0.8); more than 10% of pairs below it is a no-go')
    .option('--show-worst <n>', 'show the N least similar answer pairs (default 5)')
    .option('--judge <provider:model>', 'also ask a judge model which answer is better (order swapped)')
    .option('--out <file>', 'write results.jsonl: one line per request per provider, streamed')
    .option('--csv <file>', 'write the per-request results as CSV')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--strict', 'stop at the first bad traffic line instead of skipping it')
    .option('--force', 'send even when a key does not look like it belongs to the host')
    .addHelpText(
      'after',
      examples([
        'holy bench traffic.jsonl --p99',
        'holy bench batch_input.jsonl batch_output.jsonl --old recorded --new holysheep',
        'holy bench traffic.jsonl --dry-run',
        'holy bench traffic.jsonl --rate 5 --duration 60 --slo ttft=800,e2e=4000 --out results.jsonl --html report.html',
        'holy bench capture.har --replay-timing --speed 2 --max-regression 10',
        'holy bench results.jsonl --old recorded --p99 2000 --json',
        '# output leads with the decision: GO, NO-GO or INCONCLUSIVE and its reasons (piped: a first "# decision:" line)',
        '# exit codes: 0 ok (whatever the decision), 2 bad input or cost above --max-cost, 3 a --p99/--max-regression/--slo gate missed, 130 Ctrl-C',
      ]),
    )
    .addHelpText('after', reference('bench'))
    .action(lazyAction(ctx, () => import('./run.js')));
}
