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
