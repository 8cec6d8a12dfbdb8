/** The run's result: per-provider metrics, paired deltas with CIs, integrity flags and gates. Pure. */
import { bootstrapDiffCI, bootstrapPercentileCI, type Interval } from './bootstrap.js';
import { distribution, type Distribution } from './samples.js';
import type { PairStats, ProviderStats, SLO } from './metrics.js';
import type { QualitySummary } from '../quality/compare.js';

/** What every side's summary (chat or embeddings) counts: its name, whether it was recorded, its requests and their outcomes. */
export interface SideCounts {
  name: string;
  recorded: boolean;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  errorRate: number;
}

export interface ProviderSummary extends SideCounts {
  ttfbMs: Distribution;
  ttftMs: Distribution;
  e2eMs: Distribution;
  itlMs: Distribution;
  tpotMs: Distribution;
  outputTokens: number;
  outputTokensSource: { server: number; local: number };
  outputTokensPerS: number;
  requestsPerS: number;
  /** With --slo; `ttftApplied`: successful requests with a TTFT, the only ones a TTFT SLO applies to. */
  goodput: { slo: SLO; requests: number; share: number; perS: number; ttftApplied: number } | undefined;
  /** capped: waits cut short by the 60 s cap, --timeout or --duration (the server asked for longer). */
  retries: { total: number; requests: number; waitMs: number; capped: number };
  includeUsage: { streamedOk: number; honoured: number };
  promptTokens: { counted: number; server: number; local: number; ratio: number | undefined };
  modelEcho: Record<string, number>;
  /** Tokens of successful requests per model as sent (server usage, else the local count): what the cost per request is priced from. */
  usage: Array<{ model: string; requests: number; promptTokens: number; outputTokens: number }>;
  /** Responses that named themselves as holy mock's (seen in recorded answers). */
  simulatedResponses: number;
  abortedAfter?: number;
}

interface DeltaSummary {
  pairs: number;
  /** Median and p99 of the per-request differences new − old (pairs where both succeeded). */
  median?: Interval;
  p99?: Interval;
  /** new p99 − old p99 over each side's successes: what a p99 row and the verdict judge by. */
  p99Diff?: Interval;
}

export interface Gate {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BenchSummary {
  old: ProviderSummary;
  new: ProviderSummary;
  percentiles: number[];
  pairs: number;
  warmup: number;
  delta: { ttftMs: DeltaSummary; e2eMs: DeltaSummary };
  tokens: PairStats['tokens'] & { promptRatio: number | undefined; completionRatio: number | undefined };
  quality?: QualitySummary;
  flags: string[];
  gates: Gate[];
}

function provider(s: ProviderStats, shown: number[], slo: SLO, abortedAfter?: number): ProviderSummary {
  // p50 and p99 are always computed: the verdict and the compact table rest on them.
  const pcts = [...new Set([...shown, 50, 99])].sort((a, b) => a - b);
  const el = s.elapsedS();
  const hasSlo = slo.ttftMs !== undefined || slo.e2eMs !== undefined;
  return {
    name: s.name,
    recorded: s.recorded,
    requests: s.total,
    ok: s.ok,
    errors: s.errors,
    errorRate: s.total ? (s.total - s.ok) / s.total : 0,
    ttfbMs: distribution(s.ttfb, pcts),
    ttftMs: distribution(s.ttft, pcts),
    e2eMs: distribution(s.e2e, pcts),
    itlMs: distribution(s.itl, pcts),
    tpotMs: distribution(s.tpot, pcts),
    outputTokens: s.outputTokens,
    outputTokensSource: { ...s.tokenSource },
    outputTokensPerS: el ? s.outputTokens / el : 0,
    requestsPerS: el ? s.ok / el : 0,
    goodput: hasSlo ? { slo, requests: s.good, share: s.total ? s.good / s.total : 0, perS: el ? s.good / el : 0, ttftApplied: s.sloTtftApplied } : undefined,
    retries: { total: s.retries, requests: s.retriedRequests, waitMs: s.retryWaitMs, capped: s.cappedWaits },
    includeUsage: { streamedOk: s.streamedOk, honoured: s.usageSeen },
    promptTokens: { counted: s.promptCounted, server: s.promptTokensServer, local: s.promptTokensLocal, ratio: s.promptTokensLocal ? s.promptTokensServer / s.promptTokensLocal : undefined },
    modelEcho: s.modelEcho,
    usage: [...s.usage].map(([model, u]) => ({ model, ...u })),
    simulatedResponses: s.simulated,
    ...(abortedAfter !== undefined ? { abortedAfter } : {}),
  };
}

interface SummaryInput {
  old: ProviderStats;
  new: ProviderStats;
  pairs: PairStats;
  percentiles: number[];
  slo: SLO;
  warmup: number;
  seed: number;
  quality?: QualitySummary;
  abortedAfter?: { old?: number; new?: number };
  gates: { p99Ms?: number; maxRegressionPct?: number };
}

/** Build the summary; token over-counting beyond 2% and model substitution are flagged. */
export function summarise(i: SummaryInput): BenchSummary {
  const o = provider(i.old, i.percentiles, i.slo, i.abortedAfter?.old);
  const n = provider(i.new, i.percentiles, i.slo, i.abortedAfter?.new);
  const ci = (s: PairStats['dE2e'], p: number, seed: number) => bootstrapPercentileCI(s, p, { seed, resamples: 2000 });
  // p99: the difference of the two sides' p99s (see bootstrapDiffCI for why not the p99 of the deltas).
  const diff = (a: ProviderStats['e2e'], b: ProviderStats['e2e'], seed: number) => bootstrapDiffCI(a, b, 99, { seed, resamples: 2000 });
  const t = i.pairs.tokens;
  const tokens = { ...t, promptRatio: t.oldPrompt ? t.newPrompt / t.oldPrompt : undefined, completionRatio: t.oldCompletion ? t.newCompletion / t.oldCompletion : undefined };
  const flags: string[] = [];
  if (tokens.promptRatio !== undefined && tokens.promptRatio > 1.02) flags.push(`${n.name} reports ${pct(tokens.promptRatio - 1)} more prompt tokens than ${o.name} for the same requests (it would bill more).`);
  if (tokens.promptRatio !== undefined && tokens.promptRatio < 0.98) flags.push(`${o.name} reports ${pct(1 / tokens.promptRatio - 1)} more prompt tokens than ${n.name} for the same requests.`);
  for (const p of [o, n]) {
    if (p.promptTokens.ratio !== undefined && p.promptTokens.ratio > 1.1) flags.push(`${p.name} counts ${pct(p.promptTokens.ratio - 1)} more prompt tokens than the local tokenizer estimate.`);
    for (const [k, c] of Object.entries(p.modelEcho)) flags.push(`${p.name} answered as a different model (${k}) in ${c} response(s): possible substitution.`);
    const u = p.includeUsage;
    if (!p.recorded && u.streamedOk > 0 && u.honoured < u.streamedOk) flags.push(`${p.name} ignored stream_options.include_usage in ${u.streamedOk - u.honoured} of ${u.streamedOk} streamed responses (output tokens counted locally there).`);
    if (p.abortedAfter !== undefined) flags.push(`${p.name}: stopped sending after ${p.abortedAfter} requests (--abort-after consecutive failures); the rest count as circuit_open.`);
  }
  const gates: Gate[] = [];
  // Gates use the exact p99 even when --percentiles left 99 out of the table.
  const p99Of = (s: ProviderStats) => s.e2e.percentile(99);
  if (i.gates.p99Ms !== undefined) {
    const v = p99Of(i.new);
    const ok = Number.isFinite(v) && v <= i.gates.p99Ms && n.ok > 0;
    gates.push({ name: 'p99', ok, detail: `${n.name} p99 E2E ${fmt(v)} ms ${ok ? '≤' : '>'} ${i.gates.p99Ms} ms` + (n.ok ? '' : ' (no successful requests)') });
  }
  if (i.gates.maxRegressionPct !== undefined) {
    const a = p99Of(i.old);
    const b = p99Of(i.new);
    const reg = (b / a - 1) * 100;
    const ok = Number.isFinite(reg) && reg <= i.gates.maxRegressionPct;
    gates.push({ name: 'max-regression', ok, detail: `${n.name} p99 E2E is ${Number.isFinite(reg) ? `${reg >= 0 ? '+' : ''}${reg.toFixed(1)}%` : 'not comparable'} vs ${o.name} (limit +${i.gates.maxRegressionPct}%)` });
  }
  return {
    old: o,
    new: n,
    percentiles: i.percentiles,
    pairs: i.pairs.pairs,
    warmup: i.warmup,
    delta: {
      ttftMs: { pairs: i.pairs.dTtft.length, median: ci(i.pairs.dTtft, 50, i.seed), p99: ci(i.pairs.dTtft, 99, i.seed + 1), p99Diff: diff(i.old.ttft, i.new.ttft, i.seed + 4) },
      e2eMs: { pairs: i.pairs.dE2e.length, median: ci(i.pairs.dE2e, 50, i.seed + 2), p99: ci(i.pairs.dE2e, 99, i.seed + 3), p99Diff: diff(i.old.e2e, i.new.e2e, i.seed + 5) },
    },
    tokens,
    ...(i.quality ? { quality: i.quality } : {}),
    flags,
    gates,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : 'n/a';
}
