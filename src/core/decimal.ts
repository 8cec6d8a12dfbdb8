/**
 * decimal.js set up for money. Its default of 20 significant digits would round a total above
 * ~10^14 micro-dollars; 60 digits keep every sum and product holy computes exact. A clone, so
 * the shared decimal.js constructor (other libraries', tests') keeps its own settings.
 * Import Decimal from here, never from 'decimal.js' directly.
 */
import { Decimal as DecimalJs } from 'decimal.js';

export const Decimal = DecimalJs.clone({ precision: 60 });
export type Decimal = DecimalJs;
