/** `holy models check NAME`: is this name served by the provider (exactly, or as a snapshot/spelling), and if not, what instead. */
import type { Ctx } from '../../context.js';
import { SilentExit, UsageError } from '../../errors.js';
import type { GlobalOpts } from '../../ui/output.js';
import { loadPriceTable } from '../../adapters/prices.js';
import { lookupPrice, type PriceRow } from '../../core/prices.js';
import { normaliseModel } from '../../core/models.js';
import { alternatives, alternativesText, findServed, type Alternatives } from '../../core/verify/model.js';
import { timeoutFlag } from '../../core/flags.js';
import type { Invocation } from '../kit.js';
import type { ProviderListing } from './list.js';
import { renderCheck } from './render.js';
import { fetchListings } from './run.js';

export interface CheckFlags {
  provider?: string;
  prices?: string;
  timeout?: string;
  force?: boolean;
}

export interface ModelCheck {
  name: string;
  normalised: string;
  provider: string;
  served: boolean;
  /** The id the provider lists for it (may differ from `name` by snapshot or spelling). */
  id?: string;
  exact?: boolean;
  price: PriceRow | null;
  alternatives?: Alternatives;
  fix?: string;
  listing: Omit<ProviderListing, 'models'>;
}

/** Data only: served or not, with alternatives. */
export async function runCheck(ctx: Ctx, g: GlobalOpts, name: string, f: CheckFlags): Promise<ModelCheck> {
  if (!name.trim()) throw new UsageError('holy models check needs a model name, e.g. holy models check gpt-4o.');
  const table = await loadPriceTable(ctx, f.prices);
  const [l] = await fetchListings(ctx, g, f.provider ? [f.provider] : undefined, '--provider', { timeoutMs: timeoutFlag(f.timeout), force: f.force }, 'new');
  const { models: listed, ...listing } = l!;
  const ids = listed.map((m) => m.id);
  const hit = listing.ok ? findServed(name.trim(), ids) : undefined;
  const base = { name: name.trim(), normalised: normaliseModel(name), provider: listing.name, price: lookupPrice(table, hit?.id ?? name) ?? null, listing };
  if (hit) return { ...base, served: true, id: hit.id, exact: hit.exact };
  const alt = alternatives(name.trim(), ids);
  return { ...base, served: false, alternatives: alt, ...(listing.ok ? { fix: alternativesText(alt, true) } : {}) };
}

export default async function check({ ctx, out, g, args, command }: Invocation<CheckFlags>): Promise<void> {
  // commander hands options written after `check` to the parent `models` when both declare them: merge.
  const all = command.optsWithGlobals() as Omit<CheckFlags, 'provider'> & { provider?: string | string[] };
  const provider = Array.isArray(all.provider) ? all.provider : all.provider ? [all.provider] : [];
  if (provider.length > 1) throw new UsageError(`holy models check asks one provider, got --provider ${provider.join(', ')}; pass it once.`);
  const c = await runCheck(ctx, g, String(args[0] ?? ''), { ...all, provider: provider[0] });
  renderCheck(c, out);
  if (!c.served) throw new SilentExit(3);
}
