/** The verdict's checks on latency, quality, integrity and cost, each one severity and one sentence. Pure. */
import type { BenchSummary } from './summary.js';
import type { SideCost } from './cost.js';
import { pairsNeeded, wilson } from './proportion.js';

/** block → no-go; unsure → inconclusive; warn/good/info explain. */
export type Severity = 'block' | 'unsure' | 'warn' | 'good' | 'info';

export interface Check {
  id: string;
  severity: Severity;
  reason: string;
  /** For `unsure`: about how many pairs the observed spread needs. */
  pairsNeeded?: number;
}

/** A latency difference is material above 10% of the old side's value (and never below 5 ms). */
export const LATENCY_MARGIN = 0.1;
export const LATENCY_MARGIN_MIN_MS = 5;
/** Fewer paired samples than this say nothing about a median (p99: a hundred, or the "p99" is the maximum). */
export const MIN_PAIRS_P50 = 10;
export const MIN_PAIRS_P99 = 100;
/** More than this share of pairs below --quality-threshold (shown by its CI) is a no-go. */
export const QUALITY_MAX_BELOW = 0.1;
/** Prompt tokens reported above the old side's by more than this share: the new side would bill more. */
export const TOKEN_OVERCOUNT = 0.02;

const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v) >= 100 ? Math.abs(v).toFixed(0) : Math.abs(v).toFixed(1)}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const article = (label: string) => (label.startsWith('E') ? 'an ' : 'a ') + label.split(' ')[0];

function latencyCheck(s: BenchSummary, key: 'ttftMs' | 'e2eMs', q: 50 | 99, loser: 'old' | 'new' | undefined, gated: boolean): Check | undefined {
  const label = `${key === 'ttftMs' ? 'TTFT' : 'E2E'} p${q}`;
  const id = `latency:${key === 'ttftMs' ? 'ttft' : 'e2e'}-p${q}`;
  const d = s.delta[key];
  // p50: the median of the per-request differences; p99: new p99 − old p99 (the p99 of the
  // differences is far above zero even A/A, so it says nothing about which side's tail is longer).
  const iv = q === 50 ? d.median : d.p99Diff;
  const o = s.old[key];
  const min = q === 50 ? MIN_PAIRS_P50 : MIN_PAIRS_P99;
  if (!iv || d.pairs < min) {
    if (o.n === 0 && s.new[key].n === 0) return undefined;
    if (s.old.recorded && o.n === 0) return q === 99 ? undefined : { id, severity: 'info', reason: `${label.split(' ')[0]} not compared: the recorded responses carry no timings.` };
    if (q === 99) return { id, severity: 'info', reason: `${label} not judged: ${d.pairs} pair(s) with ${article(label)} on both sides, and a p99 needs ${min}.` };
    // Only streamed answers have a TTFT: too few of them is a gap in the traffic, not in the sample size.
    if (key === 'ttftMs') return { id, severity: 'info', reason: `${label} not judged: only ${d.pairs} pair(s) streamed on both sides (--stream on measures TTFT on every request).` };
    return { id, severity: 'unsure', reason: `${label}: only ${d.pairs} pair(s) where both sides answered with ${article(label)}, too few to compare; send at least ${min}.`, pairsNeeded: min };
  }
  const base = q === 50 ? (o.p['50'] ?? o.mean) : (o.p['99'] ?? o.max);
  const m = Math.max(LATENCY_MARGIN * (Number.isFinite(base) ? base : 0), LATENCY_MARGIN_MIN_MS);
  const rel = Number.isFinite(base) && base > 0 ? ` (${signed((iv.estimate / base) * 100)}%)` : '';
  const tail = `${q === 50 ? 'paired Δ' : 'Δ p99'} ${signed(iv.estimate)} ms${rel}, 95% CI ${signed(iv.lo)} to ${signed(iv.hi)} ms; n=${d.pairs} pairs, successes only`;
  if (iv.lo > m) {
    // The old side cannot win a latency row while it fails materially more.
    if (loser === 'old') return { id, severity: 'warn', reason: `${s.new.name} is slower at ${label} (${tail}), but ${s.old.name} failed materially more, so that is no win for ${s.old.name}.` };
    return { id, severity: gated ? 'warn' : 'block', reason: `${s.new.name} is slower at ${label} by more than 10% (${tail})${gated ? '; within your --p99/--max-regression gate' : ''}.` };
  }
  if (iv.hi < -m) {
    if (loser === 'new') return { id, severity: 'warn', reason: `${s.new.name} looks faster at ${label} (${tail}) only because it failed materially more: no win.` };
    return { id, severity: 'good', reason: `${s.new.name} is faster at ${label} (${tail}).` };
  }
  const lean = iv.lo > 0 ? 'slower, but not shown to be by more than 10%' : iv.hi < 0 ? 'faster, but not shown to be by more than 10%' : 'no difference shown';
  if (q === 99) return { id, severity: 'info', reason: `${label}: ${s.new.name} ${lean.startsWith('no') ? `shows ${lean}` : `is ${lean}`} (${tail}).` };
  if (iv.hi <= m) return { id, severity: 'info', reason: `${label}: ${iv.lo >= -m ? `no material difference, within ±${m.toFixed(0)} ms` : `${s.new.name} is not slower`} (${tail}).` };
  const half = (iv.hi - iv.lo) / 2;
  const need = iv.estimate < m ? pairsNeeded(d.pairs, half, m - iv.estimate) : pairsNeeded(d.pairs, half, iv.estimate - m);
  return { id, severity: 'unsure', reason: `${label}: too few pairs to rule out ${s.new.name} being >10% slower (${tail})${need ? `; about ${need} pairs would settle it` : ''}.`, ...(need ? { pairsNeeded: need } : {}) };
}

/** TTFT and E2E, median and p99 of the paired deltas; the medians decide whether enough was sent. */
export function latencyChecks(s: BenchSummary, loser: 'old' | 'new' | undefined, gated: boolean): Check[] {
  const out: Check[] = [];
  for (const key of ['ttftMs', 'e2eMs'] as const) for (const q of [50, 99] as const) {
    const c = latencyCheck(s, key, q, loser, gated);
    if (c) out.push(c);
  }
  return out;
}

/** The share of answer pairs below --quality-threshold, with its Wilson CI, against the 10% limit. */
export function qualityCheck(s: BenchSummary, items?: number): Check {
  const q = s.quality;
  if (!q || q.pairs === 0) return { id: 'quality', severity: 'unsure', reason: 'answers not compared: no pair where both sides answered.' };
  // Traffic cycled by -n sends the same requests again: their answers are not new evidence about
  // other requests, so the interval counts distinct requests at most.
  const n = items !== undefined && items > 0 ? Math.min(q.pairs, items) : q.pairs;
  const share = 1 - q.shareAboveThreshold;
  const w = wilson(Math.round(share * n), n);
  const nText = n < q.pairs ? `n=${n} distinct requests over ${q.pairs} pairs` : `n=${q.pairs} pairs`;
  const what = `${pct(share)} of answer pairs are below similarity ${q.threshold} (95% CI ${pct(w.lo)} to ${pct(w.hi)}; ${nText}; limit ${pct(QUALITY_MAX_BELOW)})`;
  if (w.lo > QUALITY_MAX_BELOW) return { id: 'quality', severity: 'block', reason: `${s.new.name} answers differently: ${what}.` };
  if (w.hi <= QUALITY_MAX_BELOW) return { id: 'quality', severity: 'good', reason: `answers match: ${what}.` };
  const need = w.estimate < QUALITY_MAX_BELOW ? pairsNeeded(n, w.hi - w.estimate, QUALITY_MAX_BELOW - w.estimate) : pairsNeeded(n, w.estimate - w.lo, w.estimate - QUALITY_MAX_BELOW);
  return { id: 'quality', severity: 'unsure', reason: `quality not settled: ${what}${need ? `; about ${need} ${n < q.pairs ? 'distinct requests' : 'pairs'} would settle it` : ''}.`, ...(need ? { pairsNeeded: need } : {}) };
}

/** Token over-count and model substitution on the new side block; the rest warns. */
export function integrityChecks(s: BenchSummary): Check[] {
  const out: Check[] = [];
  const r = s.tokens.promptRatio;
  if (r !== undefined && r > 1 + TOKEN_OVERCOUNT) out.push({ id: 'integrity:prompt-tokens', severity: 'block', reason: `${s.new.name} reports ${pct(r - 1)} more prompt tokens than ${s.old.name} for the same ${s.tokens.n} requests: it would bill more.` });
  if (r !== undefined && r < 1 / (1 + TOKEN_OVERCOUNT)) out.push({ id: 'integrity:prompt-tokens', severity: 'warn', reason: `${s.old.name} reports ${pct(1 / r - 1)} more prompt tokens than ${s.new.name} for the same ${s.tokens.n} requests.` });
  for (const side of ['new', 'old'] as const) {
    const p = s[side];
    for (const [k, c] of Object.entries(p.modelEcho)) {
      out.push({ id: `integrity:model-${side}`, severity: side === 'new' ? 'block' : 'warn', reason: `${p.name} answered as a different model (${k}) in ${c} response(s): possible substitution.` });
    }
    if (p.promptTokens.ratio !== undefined && p.promptTokens.ratio > 1.1) out.push({ id: `integrity:tokenizer-${side}`, severity: 'warn', reason: `${p.name} counts ${pct(p.promptTokens.ratio - 1)} more prompt tokens than the local tokenizer.` });
    const u = p.includeUsage;
    if (!p.recorded && u.streamedOk > 0 && u.honoured < u.streamedOk) out.push({ id: `integrity:usage-${side}`, severity: 'warn', reason: `${p.name} ignored stream_options.include_usage in ${u.streamedOk - u.honoured} of ${u.streamedOk} streams (tokens counted locally there).` });
    if (p.abortedAfter !== undefined) out.push({ id: `integrity:aborted-${side}`, severity: 'warn', reason: `${p.name}: stopped sending after ${p.abortedAfter} requests (--abort-after); the rest count as errors.` });
  }
  return out;
}

/** Cost per 1,000 successful requests on each side at list prices: explains, never blocks. */
export function costCheck(s: BenchSummary, cost: { old?: SideCost; new?: SideCost } | undefined): Check | undefined {
  const o = cost?.old;
  const n = cost?.new;
  if (!o || !n || !o.requests || !n.requests) return undefined;
  const a = Number(o.per1kUSD);
  const b = Number(n.per1kUSD);
  const rel = a > 0 ? (b - a) / a : 0;
  const unpriced = [...new Set([...o.unpriced, ...n.unpriced])];
  const reason = `cost per 1,000 requests at list prices: ${s.new.name} $${money(b)} vs ${s.old.name} $${money(a)}${a > 0 ? ` (${signed(rel * 100)}%)` : ''}${unpriced.length ? `; no price for ${unpriced.join(', ')}` : ''}.`;
  return { id: 'cost', severity: rel <= -0.02 ? 'good' : rel >= 0.02 ? 'warn' : 'info', reason };
}

/** Dollars with enough digits to tell small per-1k costs apart. */
export function money(v: number): string {
  return !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
