/** Pricing a bench run: the plan --dry-run shows, the cost guard, and the plan of the run itself. */
import { Decimal } from '../../core/decimal.js';
import { UsageError } from '../../errors.js';
import type { PriceTable } from '../../core/prices.js';
import type { TrafficStats } from '../../adapters/traffic/types.js';
import type { BenchOptions } from '../../core/bench/options.js';
import { providerPlan, resolveMapping, scaleUses, type MappingEntry, type ProviderPlan } from '../../core/bench/plan.js';
import type { Scan } from './scan.js';
import type { EmbeddingsPlan } from './embeddings.js';

export interface BenchPlan {
  files: TrafficStats['files'];
  skippedEndpoints: Record<string, number>;
  problems: TrafficStats['problems'];
  items: number;
  sends: number;
  warmup: number;
  /** True when --duration without -n: the figures are for one pass over the traffic. */
  perPass: boolean;
  old: ProviderPlan | { name: string; recorded: true };
  new: ProviderPlan | { name: string; recorded: true };
  totalCostUSD: string;
  maxCostUSD: number;
  mapping: MappingEntry[];
  mappingNote?: string;
  load: BenchOptions['load'];
  /** What population the traffic stands for, when it is a `holy traffic sample`. */
  population?: string;
  /** /v1/embeddings requests, replayed once each after the chat pairs. */
  embeddings?: EmbeddingsPlan;
}

export interface Pricing {
  /** The plan before the new provider's model list is known (what --dry-run shows). */
  before: BenchPlan;
  /** The plan for a mapping decided from the new provider's model list (undefined: it could not be listed). */
  after(served: Set<string> | undefined): BenchPlan;
  /** The dearer of the plans with and without the built-in mapping: what the cost guard checks. */
  guardUSD: Decimal;
}

/**
 * Price the run once per distinct mapping (the old side once): the guard, --dry-run and the run's
 * own plan share these prices, so the plan after listing usually costs no pricing at all.
 */
export function priceBench(o: BenchOptions, sc: Scan, table: PriceTable, oldName: string | undefined, newName: string | undefined, extras: Pick<BenchPlan, 'population' | 'embeddings'> = {}): Pricing {
  const items = sc.prompt.length;
  const perPass = o.requests === undefined && o.durationMs !== undefined;
  const sends = o.warmup + (o.requests ?? items);
  const uses = scaleUses(sc, sends);
  const oldPlan = oldName ? providerPlan(oldName, uses, table, (m) => m) : { name: 'recorded', recorded: true as const };
  const priced = new Map<string, ProviderPlan>();
  const newPlan = (mapping: MappingEntry[]): BenchPlan['new'] => {
    if (newName === undefined) return { name: 'recorded', recorded: true };
    const key = JSON.stringify(mapping.map((m) => [m.from, m.to]));
    let p = priced.get(key);
    if (!p) {
      const to = new Map(mapping.map((m) => [m.from, m.to]));
      priced.set(key, (p = providerPlan(newName, uses, table, (m) => to.get(m) ?? m)));
    }
    return p;
  };
  const planFor = (mapping: MappingEntry[], note?: string): BenchPlan => {
    const np = newPlan(mapping);
    const e = extras.embeddings;
    const total = new Decimal('costUSD' in np ? np.costUSD : 0).plus('costUSD' in oldPlan ? oldPlan.costUSD : 0).plus(e?.newCostUSD ?? 0).plus(e?.oldCostUSD ?? 0);
    return {
      files: sc.stats.files, skippedEndpoints: sc.stats.skippedEndpoints, problems: sc.stats.problems, items, sends, warmup: o.warmup, perPass,
      old: oldPlan, new: np, totalCostUSD: total.toString(), maxCostUSD: o.maxCostUSD, mapping, ...(note ? { mappingNote: note } : {}), load: o.load,
      ...extras,
    };
  };
  // Before anything is sent, the new side's model list is unknown: price the plan both with and
  // without the built-in mapping and guard on the dearer one.
  const before = planFor(resolveMapping(sc.models, o.modelMap, undefined), sc.models.some((m) => !o.modelMap.has(m)) ? "built-in mapping (e.g. gpt-4-turbo → gpt-4.1) is decided from the new provider's model list when the run starts" : undefined);
  const withSuggested = planFor(resolveMapping(sc.models, o.modelMap, new Set()));
  return {
    before,
    guardUSD: Decimal.max(before.totalCostUSD, withSuggested.totalCostUSD),
    after: (served) => planFor(resolveMapping(sc.models, o.modelMap, served), served || newName === undefined ? undefined : `could not list ${newName}'s models, so only --model-map rewrites models`),
  };
}

/** Refuse a run whose estimate is above --max-cost, unless --yes. */
export function checkCost(o: BenchOptions, p: Pricing): void {
  if (p.guardUSD.greaterThan(o.maxCostUSD) && !o.yes) {
    throw new UsageError(`the estimated cost is $${p.guardUSD.toFixed(4)}${p.before.perPass ? ' per pass over the traffic' : ''}, above --max-cost $${o.maxCostUSD}; pass --yes to spend it, raise --max-cost, or send fewer requests with -n.`, 'run with --dry-run to see the plan.');
  }
}
