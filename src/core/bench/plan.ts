/** The plan shown by --dry-run and checked by the cost guard: requests, estimated tokens and cost. Pure. */
import { Decimal } from '../decimal.js';
import { costUSD, lookupPrice, type PriceTable } from '../prices.js';
import { suggestMapping } from '../models.js';

/** Output tokens assumed for a request that sets no max_tokens (a typical chat answer). */
const DEFAULT_OUTPUT_ESTIMATE = 256;

/** Tokens a request is expected to use: the local prompt count plus max_tokens (or the default). */
export function outputEstimate(body: Record<string, unknown>): number {
  const m = body.max_completion_tokens ?? body.max_tokens;
  return typeof m === 'number' && m > 0 ? m : DEFAULT_OUTPUT_ESTIMATE;
}

/** Per traffic model: how many planned requests use it and their estimated tokens. */
export interface ModelUse {
  model: string;
  requests: number;
  promptTokens: number;
  outputTokens: number;
}

export interface ProviderPlan {
  name: string;
  requests: number;
  promptTokens: number;
  outputTokens: number;
  costUSD: string;
  /** Models with no price row: their cost is not in costUSD. */
  unpriced: string[];
}

export interface MappingEntry {
  from: string;
  to: string;
  why: 'flag' | 'built-in';
}

/**
 * Models to rewrite for the new provider: --model-map first; then the built-in suggestion for a
 * model the new provider does not serve (`served` known) — never guessed when `served` is unknown.
 */
export function resolveMapping(models: Iterable<string>, explicit: Map<string, string>, served: Set<string> | undefined): MappingEntry[] {
  const out: MappingEntry[] = [];
  for (const m of new Set(models)) {
    const e = explicit.get(m);
    if (e) {
      out.push({ from: m, to: e, why: 'flag' });
      continue;
    }
    if (!served || served.has(m)) continue;
    const s = suggestMapping(m);
    if (s && s !== m) out.push({ from: m, to: s, why: 'built-in' });
  }
  return out;
}

/** Estimated cost of `uses` on one provider (models mapped through `map`). */
export function providerPlan(name: string, uses: ModelUse[], table: PriceTable, map: (m: string) => string): ProviderPlan {
  let cost = new Decimal(0);
  const unpriced = new Set<string>();
  const p: ProviderPlan = { name, requests: 0, promptTokens: 0, outputTokens: 0, costUSD: '0', unpriced: [] };
  for (const u of uses) {
    const model = map(u.model);
    p.requests += u.requests;
    p.promptTokens += u.promptTokens;
    p.outputTokens += u.outputTokens;
    const row = lookupPrice(table, model);
    if (!row) unpriced.add(model);
    else cost = cost.plus(costUSD(row, { input: u.promptTokens, cached: 0, output: u.outputTokens }));
  }
  p.costUSD = cost.toDecimalPlaces(4, Decimal.ROUND_UP).toString();
  p.unpriced = [...unpriced];
  return p;
}

/** Scale per-model uses of one pass over the traffic to `requests` sends (cycling as the engine does). */
export function scaleUses(perItem: { models: readonly string[]; modelIdx: ArrayLike<number>; prompt: ArrayLike<number>; output: ArrayLike<number> }, requests: number): ModelUse[] {
  const by = new Map<string, ModelUse>();
  const n = perItem.prompt.length;
  if (n === 0) return [];
  const full = Math.floor(requests / n);
  const rest = requests % n;
  for (let i = 0; i < n; i++) {
    const times = full + (i < rest ? 1 : 0);
    if (!times) continue;
    const model = perItem.models[perItem.modelIdx[i]!]!;
    const u = by.get(model) ?? { model, requests: 0, promptTokens: 0, outputTokens: 0 };
    u.requests += times;
    u.promptTokens += perItem.prompt[i]! * times;
    u.outputTokens += perItem.output[i]! * times;
    by.set(model, u);
  }
  return [...by.values()];
}

/** Estimated USD per traffic item on both sides (float: only for the running --max-cost stop of --duration runs). */
export function perItemCostUSD(s: { models: readonly string[]; modelIdx: ArrayLike<number>; prompt: ArrayLike<number>; output: ArrayLike<number> }, table: PriceTable, sides: Array<(m: string) => string>): Float64Array {
  const perModel = s.models.map((m) =>
    sides.map((map) => {
      const row = lookupPrice(table, map(m));
      return row ? { input: Number(row.input), output: Number(row.output) } : { input: 0, output: 0 };
    }),
  );
  const out = new Float64Array(s.prompt.length);
  for (let i = 0; i < out.length; i++) {
    for (const p of perModel[s.modelIdx[i]!]!) out[i]! += (s.prompt[i]! * p.input + s.output[i]! * p.output) / 1e6;
  }
  return out;
}
