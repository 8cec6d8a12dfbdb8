/** Bench summaries built from synthetic outcomes through the real accumulators and summarise(), for the verdict tests. */
import { ProviderStats, PairStats, type Outcome, type SLO } from '../../src/core/bench/metrics.js';
import { summarise, type BenchSummary } from '../../src/core/bench/summary.js';
import type { QualitySummary } from '../../src/core/quality/compare.js';
import { mulberry32 } from '../../src/core/rng.js';

export interface Scenario {
  /** Pairs sent. */
  n: number;
  /** Requests failing on each side: the first k of the run. */
  oldErrors?: number;
  newErrors?: number;
  /** E2E of pair i on each side (ms); jitter of ±`noise` ms is added from a seeded source. */
  oldE2e?: (i: number) => number;
  newE2e?: (i: number) => number;
  noise?: number;
  /** Streamed pairs (with a TTFT of e2e/3) out of n. */
  streamed?: number;
  /** Prompt tokens reported by the new side per request (old: 100). */
  newPromptTokens?: number;
  /** The new side answers as this model. */
  newEcho?: string;
  oldEcho?: string;
  /** Pairs below --quality-threshold out of the quality pairs (default 0); `quality: false` for none. */
  below?: number;
  quality?: boolean;
  slo?: SLO;
  /** Requests that meet the E2E SLO are those under this on the new side (with `slo`). */
  gates?: { p99Ms?: number; maxRegressionPct?: number };
  seed?: number;
}

function outcome(ok: boolean, e2e: number, stream: boolean, prompt: number, model: string, echo?: string): Outcome {
  return {
    ok, ...(ok ? {} : { errorClass: 'http_500' }), e2eMs: ok ? e2e : undefined, ...(ok && stream ? { ttftMs: e2e / 3 } : {}), itl: [], stream,
    sentModel: model, ...(echo ? { responseModel: echo } : {}), retries: 0, retryWaitMs: 0, startMs: 0, endMs: e2e,
    outputTokens: 50, outputTokensSource: 'server', promptTokens: prompt, promptTokensLocal: 100, usageSeen: true,
  } as Outcome;
}

/** A summary from the scenario: both sides 'old' and 'new', 1000 ms median by default and no noise. */
export function scenario(s: Scenario): BenchSummary {
  const rand = mulberry32(s.seed ?? 5);
  const old = new ProviderStats('official', 'old');
  const neu = new ProviderStats('holysheep', 'new');
  const pairs = new PairStats();
  const slo = s.slo ?? {};
  const jitter = () => (s.noise ? (rand() * 2 - 1) * s.noise : 0);
  for (let i = 0; i < s.n; i++) {
    const stream = i < (s.streamed ?? s.n);
    const a = outcome(i >= (s.oldErrors ?? 0), (s.oldE2e ?? (() => 1000))(i) + jitter(), stream, 100, 'gpt-4o-mini', s.oldEcho);
    const b = outcome(i >= (s.newErrors ?? 0), (s.newE2e ?? (() => 1000))(i) + jitter(), stream, s.newPromptTokens ?? 100, 'gpt-4o-mini', s.newEcho);
    old.add(a, slo);
    neu.add(b, slo);
    pairs.add(a, b);
  }
  const qPairs = pairs.bothOk;
  const quality: QualitySummary | undefined = s.quality === false || qPairs === 0 ? undefined : {
    pairs: qPairs, meanSimilarity: 0.9, shareAboveThreshold: 1 - (s.below ?? 0) / qPairs, threshold: 0.8, exactRate: 0.5,
    meanTokenF1: 0.9, meanRougeL: 0.9, finishParityRate: 1, meanLengthRatio: 1,
  };
  return summarise({ old, new: neu, pairs, percentiles: [50, 90, 99], slo, warmup: 0, seed: s.seed ?? 1, ...(quality ? { quality } : {}), gates: s.gates ?? {} });
}
