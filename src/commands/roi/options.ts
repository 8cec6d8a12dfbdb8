/** `holy roi` flags → validated options (every bad value is a UsageError naming its flag). */
import { Decimal } from '../../core/decimal.js';
import { UsageError } from '../../errors.js';
import { decimalFlag } from '../../core/flags.js';
import type { Currency, Rates } from '../../core/roi/money.js';
import type { Migration } from '../../core/roi/roi.js';
import { parseRange } from '../../core/roi/roi.js';
import { parseUnknownPrice } from '../../core/roi/price.js';
import type { PriceRow } from '../../core/prices.js';
import { BY_VALUES, type By } from '../../adapters/usage/read.js';
import { parseColumnsFlag, type Field } from '../../adapters/usage/formats.js';

/** Flags as commander hands them over. */
export interface RoiFlags {
  by: string;
  top?: string;
  prices?: string;
  relayPrices?: string;
  unknownPrice?: string;
  skipUnknown?: boolean;
  fx: string;
  relayRate: string;
  relayMarkup: string;
  currency: Currency;
  days?: string;
  migrationHours?: string;
  hourlyRate?: string;
  rateCurrency?: Currency;
  monthlySpend?: string;
  spendCurrency?: Currency;
  columns?: string;
  skipBadRows?: boolean;
  fxRange: string;
  markupRange: string;
  csv?: boolean;
  md?: boolean;
}

type RoiFormat = 'json' | 'csv' | 'md' | 'out';

export interface RoiOptions {
  files: string[];
  by: By;
  top?: number;
  prices?: string;
  relayPrices?: string;
  /** Checked before any file is read, so a typo does not cost a long read. */
  unknownPrice?: PriceRow;
  skipUnknown: boolean;
  rates: Rates;
  currency: Currency;
  days?: number;
  migration?: Migration;
  quick?: { spend: Decimal; currency: Currency };
  columns?: Partial<Record<Field, string>>;
  skipBadRows: boolean;
  fxRange: Decimal[];
  markupRange: Decimal[];
  format: RoiFormat;
}

/** Validate flags; `json` is the global --json. */
export function parseRoiOptions(files: string[], f: RoiFlags, json: boolean): RoiOptions {
  if (!BY_VALUES.includes(f.by as By)) throw new UsageError(`--by must be one of ${BY_VALUES.join(', ')}, got "${f.by}".`);
  const formats = [json && '--json', f.csv && '--csv', f.md && '--md'].filter(Boolean);
  if (formats.length > 1) throw new UsageError(`${formats.join(' and ')} cannot be combined; pick one output format.`);
  const rates: Rates = {
    fx: decimalFlag(f.fx, '--fx', 'CNY per USD, e.g. 7.3', { positive: true }),
    relayRate: decimalFlag(f.relayRate, '--relay-rate', 'CNY per USD of list price, e.g. 1'),
    markupPct: decimalFlag(f.relayMarkup, '--relay-markup', 'percent, e.g. 10'),
  };
  let migration: Migration | undefined;
  if (f.hourlyRate !== undefined || f.migrationHours !== undefined || f.rateCurrency !== undefined) {
    if (f.migrationHours === undefined) throw new UsageError('--hourly-rate needs --migration-hours H (the engineering hours the migration takes).');
    if (f.hourlyRate === undefined) throw new UsageError('--migration-hours needs --hourly-rate R --rate-currency USD|CNY (the cost of one hour).');
    if (f.rateCurrency === undefined) {
      throw new UsageError(`--hourly-rate ${f.hourlyRate} needs --rate-currency USD or CNY; holy never guesses the rate's currency (mixing a USD rate into CNY costs is the mistake this flag prevents).`);
    }
    migration = {
      hours: decimalFlag(f.migrationHours, '--migration-hours', 'hours'),
      rate: decimalFlag(f.hourlyRate, '--hourly-rate', `${f.rateCurrency} per hour`),
      rateCurrency: f.rateCurrency,
    };
  }
  let quick: RoiOptions['quick'];
  if (f.monthlySpend !== undefined) {
    if (files.length) throw new UsageError('--monthly-spend is quick mode without files; drop it to read the files, or drop the files.');
    if (f.spendCurrency === undefined) throw new UsageError(`--monthly-spend ${f.monthlySpend} needs --spend-currency USD or CNY (the currency of that spend).`);
    quick = { spend: decimalFlag(f.monthlySpend, '--monthly-spend', 'the monthly spend at official prices'), currency: f.spendCurrency };
  } else if (f.spendCurrency !== undefined) throw new UsageError('--spend-currency only applies with --monthly-spend.');
  if (!quick && files.length === 0) {
    throw new UsageError('pass one or more usage CSV files (or "-" for stdin), or --monthly-spend AMOUNT --spend-currency USD|CNY for a quick estimate.');
  }
  if (f.csv && quick) throw new UsageError('--csv prints the usage tables; quick mode has none — use --json or --md.');
  if (f.skipUnknown && f.unknownPrice) throw new UsageError('--skip-unknown and --unknown-price cannot be combined; either price unknown models or leave them out.');
  return {
    files,
    by: f.by as By,
    top: f.top === undefined ? undefined : decimalFlag(f.top, '--top', 'how many groups to keep', { positive: true, integer: true }).toNumber(),
    prices: f.prices,
    relayPrices: f.relayPrices,
    unknownPrice: f.unknownPrice === undefined ? undefined : parseUnknownPrice(f.unknownPrice),
    skipUnknown: !!f.skipUnknown,
    rates,
    currency: f.currency,
    days: f.days === undefined ? undefined : decimalFlag(f.days, '--days', 'days the files cover', { positive: true }).toNumber(),
    migration,
    quick,
    columns: f.columns === undefined ? undefined : parseColumnsFlag(f.columns),
    skipBadRows: !!f.skipBadRows,
    fxRange: withValue(parseRange(f.fxRange, '--fx-range'), rates.fx),
    markupRange: withValue(parseRange(f.markupRange, '--markup-range'), rates.markupPct),
    format: json ? 'json' : f.csv ? 'csv' : f.md ? 'md' : 'out',
  };
}

/** The sensitivity grid always contains the rate actually used. */
function withValue(list: Decimal[], v: Decimal): Decimal[] {
  return list.some((x) => x.equals(v)) ? list : [...list, v].sort((a, b) => a.comparedTo(b));
}
