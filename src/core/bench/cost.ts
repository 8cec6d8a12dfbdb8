/** What this traffic cost on each side, per 1,000 successful requests, at the price table's list prices. Pure. */
import { Decimal } from '../decimal.js';
import { costUSD, lookupPrice, type PriceTable } from '../prices.js';
import type { ProviderSummary } from './summary.js';

export interface SideCost {
  /** USD per 1,000 successful requests (a decimal string), over the priced models. */
  per1kUSD: string;
  /** Successful requests it is taken over (the priced ones). */
  requests: number;
  /** Models sent that have no price row (their requests are left out). */
  unpriced: string[];
}

/**
 * Price one side's measured tokens (server usage where reported, else the local count) per model
 * sent, and scale to 1,000 requests. Failed requests are not billed, so they are not in it; what
 * they cost the user shows up in the error rate instead.
 */
export function sideCost(p: Pick<ProviderSummary, 'usage'>, table: PriceTable): SideCost | undefined {
  let usd = new Decimal(0);
  let requests = 0;
  const unpriced: string[] = [];
  for (const u of p.usage) {
    const row = lookupPrice(table, u.model);
    if (!row) {
      unpriced.push(u.model);
      continue;
    }
    usd = usd.plus(costUSD(row, { input: u.promptTokens, cached: 0, output: u.outputTokens }));
    requests += u.requests;
  }
  if (requests === 0) return unpriced.length ? { per1kUSD: 'NaN', requests: 0, unpriced } : undefined;
  return { per1kUSD: usd.div(requests).times(1000).toSignificantDigits(6).toString(), requests, unpriced };
}
