/** Migration cost, first-year ROI, payback, and the sensitivity of savings to the rate and markup. */
import { Decimal } from '../decimal.js';
import { UsageError } from '../../errors.js';
import { DAYS_PER_MONTH } from './period.js';
import { newCost, oldCost, type Currency, type Rates } from './money.js';

export interface Migration {
  hours: Decimal;
  rate: Decimal;
  /** The hourly rate's own currency: never assumed (a USD rate added to CNY is the seeds' mistake). */
  rateCurrency: Currency;
}

export interface RoiFigures {
  /** hours × rate in the rate's own currency. */
  costOwn: Decimal;
  /** The same in CNY (USD × fx). */
  costCNY: Decimal;
  /** (annual savings − migration cost) / migration cost × 100; null when the cost is zero. */
  firstYearPct: Decimal | null;
  /** migration cost / monthly savings; null when nothing is saved. */
  paybackMonths: Decimal | null;
  /** payback months × 30.4375. */
  paybackDays: Decimal | null;
}

/** ROI and payback of a migration against monthly savings in CNY. */
export function roiOf(monthlySavingsCNY: Decimal, m: Migration, r: Rates): RoiFigures {
  const costOwn = m.hours.times(m.rate);
  const costCNY = m.rateCurrency === 'CNY' ? costOwn : costOwn.times(r.fx);
  const annual = monthlySavingsCNY.times(12);
  const firstYearPct = costCNY.isZero() ? null : annual.minus(costCNY).div(costCNY).times(100);
  const saves = monthlySavingsCNY.greaterThan(0);
  const paybackMonths = saves ? costCNY.div(monthlySavingsCNY) : null;
  return { costOwn, costCNY, firstYearPct, paybackMonths, paybackDays: paybackMonths ? paybackMonths.times(DAYS_PER_MONTH) : null };
}

/** Monthly official and relay list spend in USD for quick mode (--monthly-spend): a CNY spend is converted at fx. */
export function quickSpendUSD(spend: Decimal, cur: Currency, r: Rates): Decimal {
  return cur === 'USD' ? spend : spend.div(r.fx);
}

export interface Sensitivity {
  fx: Decimal[];
  markupPct: Decimal[];
  /** annualSavingsCNY[i][j] at fx[i] and markup[j], everything else unchanged. */
  annualSavingsCNY: Decimal[][];
}

/** Annual savings over a grid of official rates and relay markups, from monthly list USD (official and relay). */
export function sensitivity(monthlyListUSD: Decimal, monthlyRelayUSD: Decimal, r: Rates, fxs: Decimal[], markups: Decimal[]): Sensitivity {
  return {
    fx: fxs,
    markupPct: markups,
    annualSavingsCNY: fxs.map((fx) =>
      markups.map((m) => {
        const rr: Rates = { ...r, fx, markupPct: m };
        return oldCost(monthlyListUSD, rr).minus(newCost(monthlyRelayUSD, rr)).times(12);
      }),
    ),
  };
}

/** Parse "FROM:TO:STEP" (or a comma list) into decimals, inclusive of TO. */
export function parseRange(v: string, flag: string): Decimal[] {
  const bad = () => new UsageError(`${flag} must be FROM:TO:STEP (e.g. 6.5:7.3:0.2) or a comma list of numbers, got "${v}".`);
  const num = (s: string) => {
    if (!/^\d+(\.\d+)?$/.test(s.trim())) throw bad();
    return new Decimal(s.trim());
  };
  if (v.includes(':')) {
    const [a, b, c] = v.split(':');
    if (a === undefined || b === undefined || c === undefined) throw bad();
    const from = num(a);
    const to = num(b);
    const step = num(c);
    if (step.isZero()) throw new UsageError(`${flag} "${v}": the STEP is 0; use a positive step, e.g. ${a}:${b}:0.1.`);
    if (to.lessThan(from)) throw new UsageError(`${flag} "${v}": TO (${b}) is below FROM (${a}); write FROM:TO:STEP with FROM ≤ TO.`);
    const points = to.minus(from).div(step).floor().plus(1);
    if (points.greaterThan(51)) {
      throw new UsageError(`${flag} "${v}" has ${points.toFixed(0)} values; at most 51 fit a table: use a bigger STEP (e.g. ${a}:${b}:${to.minus(from).div(10).toSignificantDigits(2).toString()}) or a comma list.`);
    }
    const out: Decimal[] = [];
    for (let x = from; x.lessThanOrEqualTo(to); x = x.plus(step)) out.push(x);
    return out;
  }
  return v.split(',').map(num);
}
