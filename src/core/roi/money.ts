/** Money in roi: exact decimals, every figure with its currency, rounding only for display. */
import { Decimal } from '../decimal.js';

export type Currency = 'CNY' | 'USD';

/** The exchange and relay rates every roi figure depends on. */
export interface Rates {
  /** Official rate: CNY paid per USD of list price (default 7.3). */
  fx: Decimal;
  /** Relay rate: CNY paid per USD of (relay) list price (default 1.0). */
  relayRate: Decimal;
  /** Relay markup in percent on top of the relay rate (default 0). */
  markupPct: Decimal;
}

/** Money as JSON: a decimal string and its ISO currency code. */
export interface Money {
  amount: string;
  currency: Currency;
}

/** Old (official) cost in CNY of a USD list amount: usd × fx. */
export function oldCost(usd: Decimal, r: Rates): Decimal {
  return usd.times(r.fx);
}

/** New (relay) cost in CNY of a relay list amount in USD: usd × relay rate × (1 + markup). */
export function newCost(relayUSD: Decimal, r: Rates): Decimal {
  return relayUSD.times(r.relayRate).times(r.markupPct.div(100).plus(1));
}

/** A CNY amount in the display currency (USD at the official rate fx). */
export function inCurrency(cny: Decimal, cur: Currency, r: Rates): Decimal {
  return cur === 'CNY' ? cny : cny.div(r.fx);
}

/** JSON form of a CNY amount in the display currency, exact (no rounding). */
export function money(cny: Decimal, cur: Currency, r: Rates): Money {
  return { amount: inCurrency(cny, cur, r).toString(), currency: cur };
}

const SYMBOL: Record<Currency, string> = { CNY: '¥', USD: '$' };

/** "¥1,234.57" (rounded half-up to `dp` places); negative as "-¥12.00". */
export function formatMoney(amount: Decimal, cur: Currency, dp = 2): string {
  const neg = amount.isNegative() && !amount.toDecimalPlaces(dp, Decimal.ROUND_HALF_UP).isZero();
  return (neg ? '-' : '') + SYMBOL[cur] + groupDigits(amount.abs().toFixed(dp, Decimal.ROUND_HALF_UP));
}

/** Thousands separators for a plain decimal string or bigint. */
export function groupDigits(v: string | bigint): string {
  const s = String(v);
  const [int, frac] = s.split('.') as [string, string | undefined];
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac !== undefined ? '.' + frac : '');
}

/** Percentage for display: "86.3%". */
export function formatPct(p: Decimal | null, dp = 1): string {
  return p === null ? '—' : p.toFixed(dp, Decimal.ROUND_HALF_UP) + '%';
}
