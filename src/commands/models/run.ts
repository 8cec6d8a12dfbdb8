/** `holy models` handler: list each provider's models with prices, or --diff two providers. */
import type { Ctx } from '../../context.js';
import { Interrupted, SilentExit, UsageError } from '../../errors.js';
import type { GlobalOpts } from '../../ui/output.js';
import { loadProviders } from '../../adapters/profiles.js';
import { makeHttp } from '../../adapters/http.js';
import { loadPriceTable } from '../../adapters/prices.js';
import { pickProfile } from '../../core/profiles.js';
import { lookupPrice, type PriceRow } from '../../core/prices.js';
import { countDiff, diffModels, type DiffCounts, type DiffRow } from '../../core/models-diff.js';
import { timeoutFlag } from '../../core/flags.js';
import type { Invocation } from '../kit.js';
import { listProvider, type ProviderListing } from './list.js';
import { renderDiff, renderList } from './render.js';

export interface ModelsFlags {
  provider?: string[];
  diff?: string[];
  prices?: string;
  timeout?: string;
  force?: boolean;
}

interface ModelRow {
  provider: string;
  id: string;
  owner: string | null;
  created: string | null;
  price: PriceRow | null;
}

export interface ModelsList {
  prices: { origin: string };
  providers: Array<Omit<ProviderListing, 'models'> & { count: number }>;
  models: ModelRow[];
}

export interface ModelsDiff {
  old: Omit<ProviderListing, 'models'>;
  new: Omit<ProviderListing, 'models'>;
  counts: DiffCounts;
  rows: DiffRow[];
}

const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());
const strip = ({ models: _m, ...rest }: ProviderListing) => rest;

/** Fetch listings for the named providers (in parallel) through one dispatcher. */
export async function fetchListings(ctx: Ctx, g: GlobalOpts, names: string[] | undefined, flag: string, o: { timeoutMs?: number; force?: boolean; distinct?: boolean }, dflt: 'both' | 'new' = 'both'): Promise<ProviderListing[]> {
  const set = await loadProviders(ctx, g);
  const wanted = names?.length ? names : dflt === 'both' ? [set.old, set.new] : [set.new];
  const picked = wanted.map((n) => pickProfile(set, n, flag));
  const profiles = [...new Map(picked.map((p) => [p.name, p])).values()];
  // "official" and "official=URL" are different words for one provider: caught here, before any request.
  if (o.distinct && profiles.length < picked.length) {
    const twice = picked.find((p, i) => picked.findIndex((q) => q.name === p.name) !== i)!.name;
    throw new UsageError(`${flag} ${wanted.join(' ')}: both name provider ${twice}; name two different providers, e.g. ${flag} official holysheep.`);
  }
  const http = makeHttp(ctx, { connectTimeoutMs: o.timeoutMs });
  try {
    return await Promise.all(profiles.map((p) => listProvider(ctx, http, set, p, o)));
  } finally {
    await http.close();
  }
}

/** Listing with prices; data only. */
export async function runList(ctx: Ctx, g: GlobalOpts, f: ModelsFlags): Promise<ModelsList> {
  const table = await loadPriceTable(ctx, f.prices);
  const listings = await fetchListings(ctx, g, f.provider, '--provider', { timeoutMs: timeoutFlag(f.timeout), force: f.force });
  return {
    prices: { origin: table.origin },
    providers: listings.map((l) => ({ ...strip(l), count: l.models.length })),
    models: listings.flatMap((l) => l.models.map((m) => ({ provider: l.name, id: m.id, owner: m.owner ?? null, created: iso(m.created), price: lookupPrice(table, m.id) ?? null }))),
  };
}

/** --diff OLD NEW; data only. */
export async function runDiff(ctx: Ctx, g: GlobalOpts, f: ModelsFlags): Promise<ModelsDiff> {
  const [a, b] = f.diff!;
  if (a === b) throw new UsageError(`--diff ${a} ${b}: name two different providers, e.g. --diff official holysheep.`);
  const [lo, ln] = await fetchListings(ctx, g, [a!, b!], '--diff', { timeoutMs: timeoutFlag(f.timeout), force: f.force, distinct: true });
  const rows = lo!.ok && ln!.ok ? diffModels(lo!.models.map((m) => m.id), ln!.models.map((m) => m.id)) : [];
  return { old: strip(lo!), new: strip(ln!), counts: countDiff(rows), rows };
}

export default async function models({ ctx, out, g, opts }: Invocation<ModelsFlags>): Promise<void> {
  if (opts.diff && opts.diff.length !== 2) throw new UsageError(`--diff takes exactly two provider names (OLD NEW), got ${opts.diff.length}: e.g. --diff official holysheep.`);
  if (opts.diff && opts.provider?.length) throw new UsageError('--diff and --provider do not combine: --diff names both providers itself.');
  if (opts.diff) {
    const d = await runDiff(ctx, g, opts);
    renderDiff(d, out);
    if (ctx.signal.aborted) throw new Interrupted();
    if (!d.old.ok || !d.new.ok) throw new SilentExit(3);
    return;
  }
  const l = await runList(ctx, g, opts);
  renderList(l, out);
  if (ctx.signal.aborted) throw new Interrupted();
  if (l.providers.some((p) => !p.ok)) throw new SilentExit(3);
}
