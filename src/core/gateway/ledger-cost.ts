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

/** The two costs of a row as exact decimal strings: list price in USD and CNY at `cnyRate`; no price → "0". Throws on a price that is not a decimal number. */
export function rowCost(price: UnpricedRow['price'], t: { inputTokens: number; cachedTokens: number; outputTokens: number }, cnyRate: string): { costUSD: string; costCNY: string } {
  const usd = price ? costUSD(priceRow(price), { input: t.inputTokens, cached: t.cachedTokens, output: t.outputTokens }) : new Decimal(0);
  return { costUSD: usd.toFixed(), costCNY: usd.times(cnyRate).toFixed() };
}

/** The entry as a priced row (an already priced row as it is). Throws on a price that is not a decimal number. */
export function pricedRow(e: LedgerEntry): LedgerRow {
  if (!('price' in e)) return e;
  const cost = rowCost(e.price, e, e.cnyRate);
  // Field by field rather than rest-and-spread (a third of this function's time, once per row); the test
  // compares the result with the entry key by key, so a field added to LedgerRow cannot be left out.
  const r: LedgerRow = {
    ts: e.ts,
    requestId: e.requestId,
    tenant: e.tenant,
    endpoint: e.endpoint,
    modelAsked: e.modelAsked,
    modelServed: e.modelServed,
    provider: e.provider,
    stream: e.stream,
    inputTokens: e.inputTokens,
    cachedTokens: e.cachedTokens,
    outputTokens: e.outputTokens,
    estimated: e.estimated,
    costUSD: cost.costUSD,
    costCNY: cost.costCNY,
    status: e.status,
    httpStatus: e.httpStatus,
    latencyMs: e.latencyMs,
    fallback: e.fallback,
    arm: e.arm,
  };
  if (e.ttftMs !== undefined) r.ttftMs = e.ttftMs;
  return r;
}
