/** `holy roi` — savings, ROI and payback from usage files, or from a monthly spend. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { examples, lazyAction, reference } from '../kit.js';
import type { RoiFlags } from './options.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('roi')
    .summary('savings, ROI and payback from usage files (OpenAI exports, ledgers, LiteLLM logs)')
    .description(
      'Price usage at official list prices and at the relay, and show the savings per model and group, the monthly and ' +
        'annual run-rate, and the migration ROI and payback. Reads OpenAI activity and cost exports, per-request ledgers, ' +
        "LiteLLM spend logs and holy's canonical CSV (detected from the header), holy gateway ledgers (.db, SQLite), .gz files and \"-\" for stdin.\n" +
        'Money is exact (decimal arithmetic on summed integer token counts); display rounds to 0.01.',
    )
    .argument('[files...]', 'usage CSV files or holy gateway ledgers (.db) ("-" = stdin, .gz read transparently)')
    .option('--by <group>', 'group the second table by tenant, project, api_key, model, day or month', 'model')
    .option('--top <n>', 'keep the N groups with the largest savings, the rest summed as "(other)"')
    .option('--prices <file>', 'official price list (holy or LiteLLM JSON) laid over the built-in table')
    .option('--relay-prices <file>', "the relay's own list (holy or LiteLLM JSON, USD), charged at --relay-rate")
    .option('--unknown-price <in,cached,out>', 'USD per 1M tokens for models the price table lacks')
    .option('--skip-unknown', 'leave unpriced models out (they are listed on stderr and in --json)')
    .option('--fx <rate>', 'official rate: CNY paid per USD of list price', '7.3')
    .option('--relay-rate <rate>', 'relay rate: CNY paid per USD of list price', '1')
    .option('--relay-markup <pct>', 'relay markup in percent on top of --relay-rate', '0')
    .addOption(new Option('--currency <code>', 'display currency (USD converts at --fx)').choices(['CNY', 'USD']).argParser(currencyCode('--currency')).default('CNY'))
    .option('--days <n>', 'the files cover N days (instead of the span of their timestamps)')
    .option('--migration-hours <h>', 'engineering hours the migration takes')
    .option('--hourly-rate <rate>', 'cost of one engineering hour (needs --rate-currency)')
    .addOption(new Option('--rate-currency <code>', 'currency of --hourly-rate').choices(['USD', 'CNY']).argParser(currencyCode('--rate-currency')))
    .option('--monthly-spend <amount>', 'quick mode without files: current monthly spend at official prices')
    .addOption(new Option('--spend-currency <code>', 'currency of --monthly-spend').choices(['USD', 'CNY']).argParser(currencyCode('--spend-currency')))
    .option('--columns <map>', 'map other CSVs: model=…,input=…,cached=…,output=…,tenant=…,time=…,requests=…')
    .option('--skip-bad-rows', 'skip rows with bad token counts or times (counted and reported) instead of stopping')
    .option('--fx-range <from:to:step>', 'official rates for the sensitivity table', '6.5:7.3:0.2')
    .option('--markup-range <from:to:step>', 'relay markups (%) for the sensitivity table', '0:20:5')
    .option('--csv', 'print the main table as CSV (exact amounts)')
    .option('--md', 'print a Markdown report')
    .addHelpText(
      'after',
      examples([
        'holy roi usage.csv',
        'holy roi fixtures/usage/openai-activity.csv --by project --top 5',
        'holy roi ledger-*.csv.gz --by tenant --json',
        'holy roi holy-ledger.db --by tenant',
        'holy roi ledgers/*.db --by tenant --currency USD',
        'zcat spend.csv.gz | holy roi - --by month --md > roi.md',
        'holy roi export.csv --columns model=Model,input=Prompt,output=Completion,time=Date',
        'holy roi usage.csv --migration-hours 40 --hourly-rate 150 --rate-currency USD',
        'holy roi --monthly-spend 5000 --spend-currency USD --migration-hours 40 --hourly-rate 150 --rate-currency CNY',
      ]),
    )
    .addHelpText('after', reference('roi'))
    .action(lazyAction<RoiFlags>(ctx, () => import('./run.js')));
}

/** A currency flag's value in any case (`usd` is USD); commander's choices() alone would refuse it. */
function currencyCode(flag: string) {
  return (value: string): 'USD' | 'CNY' => {
    const code = value.trim().toUpperCase();
    if (code === 'USD' || code === 'CNY') return code;
    throw new InvalidArgumentError(`${flag} takes USD or CNY (any case), not "${value}".`);
  };
}
