/** Pricing summed groups once each: list USD at official prices and at the relay's prices. */
import { Decimal } from '../decimal.js';
import { UsageError } from '../../errors.js';
import { costUSD, lookupPrice, type PriceRow, type PriceTable } from '../prices.js';
import { closestModels } from '../models.js';
import { groupDigits } from './money.js';
import { addCounts, countsOf, zeroCounts, type Counts, type Group } from './aggregate.js';

export interface PricedGroup {
  /** The priced model's name (snapshots folded: gpt-4o-2024-08-06 → gpt-4o), or the raw id. */
  model: string;
  /** The ids as they appeared in the data. */
  ids: string[];
  batch: boolean;
  dim: string;
  counts: Counts;
  /** Cost at official list prices, USD. */
  listUSD: Decimal;
  /** Cost at the relay's list prices, USD (= listUSD without --relay-prices). */
  relayUSD: Decimal;
  /** Money-only rows (cost export) cannot be re-priced: their amount is used as is. */
  moneyOnly: boolean;
}

interface UnknownModel {
  model: string;
  counts: Counts;
}

interface PriceOpts {
  relayTable?: PriceTable;
  /** Price for models the table lacks (--unknown-price). */
  unknownPrice?: PriceRow;
  skipUnknown: boolean;
}

export interface PricedData {
  groups: PricedGroup[];
  /** Models left out with --skip-unknown. */
  skipped: UnknownModel[];
  /** Models --relay-prices lacks, priced at the official list instead. */
  relayMissing: string[];
}

/** Price each group once (token counts already summed); unknown models are an error unless told otherwise. */
export function priceGroups(groups: Group[], table: PriceTable, o: PriceOpts): PricedData {
  const out = new Map<string, PricedGroup>();
  const unknown = new Map<string, Counts>();
  const relayMissing = new Set<string>();
  for (const g of groups) {
    const counts = countsOf(g);
    const row = lookupPrice(table, g.model) ?? o.unknownPrice;
    if (g.usd === null && !row) {
      unknown.set(g.model, addCounts(unknown.get(g.model) ?? zeroCounts(), counts));
      continue;
    }
    let list = new Decimal(0);
    let relay = new Decimal(0);
    if (row && g.usd === null) {
      list = costUSD(row, counts, g.batch);
      const rrow = o.relayTable ? lookupPrice(o.relayTable, g.model) : undefined;
      if (o.relayTable && !rrow) relayMissing.add(g.model);
      relay = rrow ? costUSD(rrow, counts, g.batch) : list;
    }
    if (g.usd !== null) {
      list = list.plus(g.usd);
      relay = relay.plus(g.usd);
    }
    const name = lookupPrice(table, g.model)?.model ?? g.model;
    const key = `${name}\u0001${g.batch ? 'b' : ''}\u0001${g.dim}`;
    const prev = out.get(key);
    if (prev) {
      prev.counts = addCounts(prev.counts, counts);
      prev.listUSD = prev.listUSD.plus(list);
      prev.relayUSD = prev.relayUSD.plus(relay);
      if (!prev.ids.includes(g.model)) prev.ids.push(g.model);
      prev.moneyOnly &&= g.usd !== null;
    } else {
      out.set(key, { model: name, ids: [g.model], batch: g.batch, dim: g.dim, counts, listUSD: list, relayUSD: relay, moneyOnly: g.usd !== null });
    }
  }
  const unknownList = [...unknown].map(([model, counts]) => ({ model, counts })).sort((a, b) => (b.counts.input + b.counts.output > a.counts.input + a.counts.output ? 1 : -1));
  if (unknownList.length && !o.skipUnknown) {
    const names = [...table.rows.values()].map((r) => r.model);
    const each = unknownList
      .map((u) => {
        const near = closestModels(u.model, names, 1)[0];
        return `${u.model} (${groupDigits(u.counts.requests)} requests, ${groupDigits(u.counts.input)} input of which ${groupDigits(u.counts.cached)} cached, ${groupDigits(u.counts.output)} output tokens${near ? `; closest priced model: ${near}` : ''})`;
      })
      .join('; ');
    throw new UsageError(
      `${unknownList.length === 1 ? '1 model has' : `${unknownList.length} models have`} no price in the ${table.origin === 'built-in' ? 'built-in price table' : `price table (${table.origin})`}: ${each}.`,
      'price them with --prices FILE (holy or LiteLLM JSON), or --unknown-price IN,CACHED,OUT (USD per 1M tokens), or leave them out with --skip-unknown.',
    );
  }
  return { groups: [...out.values()], skipped: unknownList, relayMissing: [...relayMissing] };
}

/** Parse --unknown-price "IN,CACHED,OUT" (USD per 1M tokens) into a price row. */
export function parseUnknownPrice(v: string): PriceRow {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
    throw new UsageError(`--unknown-price must be three non-negative numbers IN,CACHED,OUT in USD per 1M tokens (e.g. --unknown-price 2,0.5,8), got "${v}".`);
  }
  const [input, cached, output] = parts as [string, string, string];
  return { model: '(unknown-price)', input, cachedInput: cached, output, source: '--unknown-price', date: '' };
}
