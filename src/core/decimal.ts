/**
 * decimal.js set up once for money. Its default of 20 significant digits would round a total
 * above ~10^14 micro-dollars; 60 digits keep every sum and product holy computes exact.
 * Import Decimal from here, never from 'decimal.js' directly.
 */
import { Decimal } from 'decimal.js';

Decimal.set({ precision: 60 });

export { Decimal };
