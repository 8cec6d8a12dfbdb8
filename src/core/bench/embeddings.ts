/**
 * Embeddings pairs: per provider, E2E and errors like chat; per pair, whether the vectors have the same
 * dimension count, their cosine similarity (the same model gives ≈ 1.0; a relay serving another model does
 * not), and whether usage.prompt_tokens agrees. Pure.
 */
import { Decimal } from '../decimal.js';
import { costUSD, lookupPrice, type PriceTable } from '../prices.js';
import { distribution, Samples, type Distribution } from './samples.js';
import type { SideCounts } from './summary.js';

/** Cosine similarity at or above this counts as "the same vector" (float noise and quantisation stay above it). */
export const SAME_VECTOR = 0.99;

export interface EmbeddingOutcome {
  ok: boolean;
  errorClass?: string;
  e2eMs?: number;
  vectors?: number[][];
  promptTokens?: number;
}

/** Cosine similarity of two vectors of the same length (NaN when either is all zeros or lengths differ). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return NaN;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : NaN;
}

export interface PairCompare {
  dims: [number, number];
  sameDims: boolean;
  /** Mean over the request's inputs; undefined when the dimensions differ. */
  cosine?: number;
  tokensAgree?: boolean;
}

/** Compare two successful responses to the same request. */
export function comparePair(a: EmbeddingOutcome, b: EmbeddingOutcome): PairCompare {
  const va = a.vectors ?? [];
  const vb = b.vectors ?? [];
  const dims: [number, number] = [va[0]?.length ?? 0, vb[0]?.length ?? 0];
  const sameDims = va.length === vb.length && va.every((v, i) => v.length === vb[i]?.length);
  const out: PairCompare = { dims, sameDims };
  if (sameDims) {
    const cs = va.map((v, i) => cosine(v, vb[i]!)).filter((c) => Number.isFinite(c));
    if (cs.length) out.cosine = cs.reduce((x, y) => x + y, 0) / cs.length;
  }
  if (a.promptTokens !== undefined && b.promptTokens !== undefined) out.tokensAgree = a.promptTokens === b.promptTokens;
  return out;
}

/** One provider's side of the embeddings run. */
export class EmbeddingSide {
  requests = 0;
  ok = 0;
  readonly errors: Record<string, number> = {};
  readonly e2e = new Samples();
  promptTokens = 0;
  /** Prompt tokens per model, for the cost (server usage; the local estimate where the server gave none). */
  readonly tokensByModel = new Map<string, number>();
  constructor(readonly name: string, readonly recorded: boolean) {}
  add(o: EmbeddingOutcome, model: string, localTokens: number): void {
    this.requests++;
    if (o.e2eMs !== undefined) this.e2e.push(o.e2eMs);
    if (!o.ok) {
      const c = o.errorClass ?? 'error';
      this.errors[c] = (this.errors[c] ?? 0) + 1;
      return;
    }
    this.ok++;
    const t = o.promptTokens ?? localTokens;
    this.promptTokens += t;
    this.tokensByModel.set(model, (this.tokensByModel.get(model) ?? 0) + t);
  }
}

export interface EmbeddingSideSummary extends SideCounts {
  e2eMs: Distribution;
  promptTokens: number;
  costUSD: string;
  unpriced: string[];
}

export interface EmbeddingsSummary {
  pairs: number;
  old: EmbeddingSideSummary;
  new: EmbeddingSideSummary;
  /** Pairs where both sides answered. */
  compared: number;
  dims: { same: number; differ: number; examples: string[] };
  cosine: { n: number; mean: number | null; min: number | null; below: number; threshold: number };
  promptTokens: { compared: number; agree: number };
  flags: string[];
}

export class EmbeddingPairs {
  compared = 0;
  sameDims = 0;
  readonly dimExamples = new Set<string>();
  readonly cos = new Samples();
  tokensCompared = 0;
  tokensAgree = 0;
  add(p: PairCompare): void {
    this.compared++;
    if (p.sameDims) this.sameDims++;
    else if (this.dimExamples.size < 5) this.dimExamples.add(`${p.dims[0]} vs ${p.dims[1]}`);
    if (p.cosine !== undefined) this.cos.push(p.cosine);
    if (p.tokensAgree !== undefined) {
      this.tokensCompared++;
      if (p.tokensAgree) this.tokensAgree++;
    }
  }
}

function side(s: EmbeddingSide, pcts: number[], table: PriceTable, mapModel: (m: string) => string): EmbeddingSideSummary {
  let cost = new Decimal(0);
  const unpriced: string[] = [];
  for (const [m, t] of s.tokensByModel) {
    const row = lookupPrice(table, mapModel(m));
    if (row) cost = cost.plus(costUSD(row, { input: t, cached: 0, output: 0 }));
    else unpriced.push(mapModel(m));
  }
  return {
    name: s.name, recorded: s.recorded, requests: s.requests, ok: s.ok, errors: s.errors, errorRate: s.requests ? (s.requests - s.ok) / s.requests : 0,
    e2eMs: distribution(s.e2e, pcts), promptTokens: s.promptTokens, costUSD: cost.toDecimalPlaces(6, Decimal.ROUND_UP).toString(), unpriced,
  };
}

export function summariseEmbeddings(old: EmbeddingSide, neu: EmbeddingSide, pairs: EmbeddingPairs, pcts: number[], table: PriceTable, mapModel: (m: string) => string): EmbeddingsSummary {
  const sorted = pairs.cos.sorted();
  let below = 0;
  for (const c of sorted) if (c < SAME_VECTOR) below++;
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
  const o = side(old, pcts, table, (m) => m);
  const n = side(neu, pcts, table, mapModel);
  const flags: string[] = [];
  const differ = pairs.compared - pairs.sameDims;
  if (differ) flags.push(`${n.name} returned vectors of another dimension count than ${o.name} in ${differ} of ${pairs.compared} pairs (${[...pairs.dimExamples].join(', ')}): a different model, or a "dimensions" parameter not honoured.`);
  if (below) flags.push(`${below} of ${sorted.length} embedding pairs have cosine similarity below ${SAME_VECTOR}: ${n.name} may be serving another model than ${o.name}.`);
  if (pairs.tokensCompared && pairs.tokensAgree < pairs.tokensCompared) flags.push(`usage.prompt_tokens differs in ${pairs.tokensCompared - pairs.tokensAgree} of ${pairs.tokensCompared} embedding pairs (${o.name} ${o.promptTokens} vs ${n.name} ${n.promptTokens} tokens in all).`);
  return {
    pairs: Math.max(old.requests, neu.requests), old: o, new: n, compared: pairs.compared,
    dims: { same: pairs.sameDims, differ, examples: [...pairs.dimExamples] },
    cosine: { n: sorted.length, mean, min: sorted.length ? sorted[0]! : null, below, threshold: SAME_VECTOR },
    promptTokens: { compared: pairs.tokensCompared, agree: pairs.tokensAgree },
    flags,
  };
}
