/**
 * A ledger row's money, computed where the row is written (the ledger's writer thread): list price in USD
 * by costUSD (core/prices.ts, the one money path) and CNY at the serving provider's rate, both exact
 * decimal strings (docs/ledger.md).
 */
import { Decimal } from '../decimal.js';
import { costUSD, type PriceRow } from '../prices.js';
import type { LedgerEntry, LedgerRow, UnpricedRow } from './types.js';

// One PriceRow per distinct price triple: costUSD parses a row's rates once and keeps them by row.
const rows = new Map<string, PriceRow>();
function priceRow(p: NonNullable<UnpricedRow['price']>): PriceRow {
  const key = `${p.input}|${p.cachedInput ?? ''}|${p.output}`;
  let r = rows.get(key);
  if (!r) {
    if (rows.size >= 1000) rows.clear();
    rows.set(key, (r = { model: '', input: p.input, cachedInput: p.cachedInput, output: p.output, source: '', date: '' }));
  }
  return r;
}

/** The entry as a priced row (an already priced row as it is). Throws on a price that is not a decimal number. */
export function pricedRow(e: LedgerEntry): LedgerRow {
  if (!('price' in e)) return e;
  const { price, cnyRate, ...rest } = e;
  const usd = price ? costUSD(priceRow(price), { input: e.inputTokens, cached: e.cachedTokens, output: e.outputTokens }) : new Decimal(0);
  return { ...rest, costUSD: usd.toFixed(), costCNY: usd.times(cnyRate).toFixed() };
}
