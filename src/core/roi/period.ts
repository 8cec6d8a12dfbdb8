/** The period the data covers, and the monthly run-rate factor derived from it. */
import { Decimal } from '../decimal.js';
import { UsageError } from '../../errors.js';
import { isoSecond } from './time.js';

/** An average month: 365.25 / 12 days. */
export const DAYS_PER_MONTH = new Decimal('30.4375');
const DAY_MS = 86_400_000;

export interface Period {
  /** ISO times of the earliest start and latest end in the data (null with --days and no times). */
  start: string | null;
  end: string | null;
  /** Days the totals cover: the data's span, or --days. */
  days: Decimal;
  source: 'data' | '--days';
  /** monthly = total × factor, factor = 30.4375 / days. */
  monthlyFactor: Decimal;
}

/**
 * span = latest end (or latest timestamp) − earliest start, in days; --days N replaces it.
 * Per-request timestamps give the span between first and last request, which slightly
 * understates a bucketed period — the span is printed so the user can correct it with --days.
 */
export function periodOf(tMin: number, tMax: number, days?: number): Period {
  const known = Number.isFinite(tMin) && Number.isFinite(tMax);
  const start = known ? isoSecond(tMin) : null;
  const end = known ? isoSecond(tMax) : null;
  if (days !== undefined) {
    const d = new Decimal(days);
    return { start, end, days: d, source: '--days', monthlyFactor: DAYS_PER_MONTH.div(d) };
  }
  if (!known) throw new UsageError('the data has no timestamps, so the period it covers is unknown; pass --days N (the number of days the files cover).');
  if (tMax <= tMin) {
    throw new UsageError(`all rows have the same time (${start}), so the period they cover is unknown; pass --days N (the number of days the files cover).`);
  }
  const d = new Decimal(tMax - tMin).div(DAY_MS);
  return { start, end, days: d, source: 'data', monthlyFactor: DAYS_PER_MONTH.div(d) };
}

/**
 * When the data's span falls just short of (or past) a whole number of days — per-request rows of
 * a month span 29.96 days, first request to last — the period was most likely those whole days,
 * and monthly figures from the span run a few percent off. Returns the sentence saying so, naming
 * the span used and the --days that would fix it; null when the span is whole or far from whole.
 */
export function spanNote(p: Period): string | null {
  if (p.source !== 'data') return null;
  const whole = p.days.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  const off = p.days.minus(whole).abs();
  // Within a quarter of a day of N ≥ 1 whole days, but not already whole to the second.
  if (whole.lessThan(1) || off.isZero() || off.greaterThan('0.25') || off.lessThan(new Decimal(1).div(86_400))) return null;
  const pct = whole.div(p.days).minus(1).times(100);
  return (
    `the period used is the data's span, ${p.start} → ${p.end} = ${p.days.toDecimalPlaces(2).toString()} days, not ${whole.toString()}: ` +
    `if the files cover ${whole.toString()} whole days, pass --days ${whole.toString()} (monthly and yearly figures are then ${pct.abs().toDecimalPlaces(1).toString()}% ${pct.isNegative() ? 'higher' : 'lower'}).`
  );
}
