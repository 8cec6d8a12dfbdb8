/** The tour's script: which holy commands run, in order, and what each one shows. Pure data. */

export interface TourStep {
  id: 'verify' | 'models' | 'bench' | 'traffic' | 'roi' | 'migrate' | 'gateway' | 'cutover';
  title: string;
  /** Each entry is one holy invocation (argv without "holy"); {fixtures} and {work} are substituted. */
  runs: string[][];
  /** Exit codes that count as "went as expected" for each run. */
  expect: number[][];
}

export const TOUR_STEPS: TourStep[] = [
  {
    id: 'verify',
    title: 'holy verify — are the keys and endpoints right?',
    runs: [['verify', '--model', 'gpt-4.1']],
    expect: [[0]],
  },
  {
    id: 'models',
    title: 'holy models — what each provider serves, what maps to what, at what price',
    runs: [['models', '--diff', 'official', 'holysheep']],
    expect: [[0]],
  },
  {
    id: 'bench',
    title: 'holy bench — replay recorded traffic against both: latency percentiles and quality A/B',
    runs: [['bench', '{fixtures}/traffic/sample.jsonl', '--p99', '--yes', '-c', '4', '--out', '{work}/results.jsonl', '--html', '{work}/report.html']],
    expect: [[0]],
  },
  {
    id: 'traffic',
    title: 'holy traffic — no traffic file? pull the completions OpenAI stored, sample them, replay the sample',
    runs: [
      ['traffic', 'pull', '--limit', '200', '--out', '{work}/traffic.jsonl'],
      ['traffic', 'sample', '{work}/traffic.jsonl', '--n', '40', '--by', 'model,length', '--min-per-stratum', '3', '--out', '{work}/sample.jsonl'],
      ['bench', '{work}/sample.jsonl', '--old', 'recorded', '--show-worst', '1'],
    ],
    expect: [[0], [0], [0]],
  },
  {
    id: 'roi',
    title: 'holy roi — savings per model and tenant, annualised, ROI and payback',
    runs: [
      ['roi', '{fixtures}/usage/openai-activity.csv', '--by', 'project'],
      ['roi', '{fixtures}/usage/ledger.csv', '{fixtures}/usage/litellm-spend.csv', '--by', 'tenant'],
      // The source article's example (rate in CNY), then the same engineers billed in USD.
      ['roi', '--monthly-spend', '5000', '--spend-currency', 'USD', '--migration-hours', '40', '--hourly-rate', '150', '--rate-currency', 'CNY'],
      ['roi', '--monthly-spend', '5000', '--spend-currency', 'USD', '--migration-hours', '40', '--hourly-rate', '150', '--rate-currency', 'USD'],
    ],
    expect: [[0], [0], [0], [0]],
  },
  {
    id: 'migrate',
    title: 'holy migrate → holy rollback — cut over, then put the old provider back, losing nothing',
    runs: [
      ['migrate', '--env-file', '{work}/app.env', '--dry-run'],
      ['migrate', '--env-file', '{work}/app.env', '--apply', '--yes'],
      ['rollback', '--env-file', '{work}/app.env', '--apply', '--yes'],
    ],
    expect: [[0], [0], [0]],
  },
  {
    // Runs live (run.ts, gatewayStep): a tenant key, the gateway in front of both simulators, two requests through it, a drain.
    id: 'gateway',
    title: 'holy gateway — one OpenAI-compatible endpoint for every team: tenant keys, plans, fallback, a billing ledger',
    runs: [],
    expect: [],
  },
  {
    // Runs live (cutover.ts): shadow → bench the shadow recording → canary 5 % → 25 % → the relay fails, automatic rollback → 25 % → promote.
    id: 'cutover',
    title: 'holy gateway — cut over on live traffic: shadow, bench the shadow, canary, automatic rollback, promote',
    runs: [],
    expect: [],
  },
];

export function substitute(argv: string[], vars: Record<string, string>): string[] {
  return argv.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m));
}
