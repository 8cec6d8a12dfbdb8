/** How a price per 1M tokens is shown: at least two decimals, as price lists print them ($2.50, not $2.5). */
import { Decimal } from './decimal.js';

/** "2.5" → "2.50", "10" → "10.00", "0.075" → "0.075"; text that is not a number is returned as it is. */
export function priceText(value: string): string {
  let d: Decimal;
  try {
    d = new Decimal(value);
  } catch {
    return value;
  }
  return d.toFixed(Math.max(2, d.decimalPlaces()));
}
