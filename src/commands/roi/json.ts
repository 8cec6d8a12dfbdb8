/** The --json document of `holy roi`: exact amounts as decimal strings, each with its currency. */
import type { Decimal } from '../../core/decimal.js';
import type { Counts } from '../../core/roi/aggregate.js';
import { money, type Money } from '../../core/roi/money.js';
import type { RoiReport, TableRow } from '../../core/roi/report.js';
import type { RoiResult } from './run.js';

/** Token counts as JSON numbers (strings only past 2^53, where a number would lose digits). */
function n(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function counts(c: Counts) {
  return { requests: n(c.requests), inputTokens: n(c.input), cachedInputTokens: n(c.cached), outputTokens: n(c.output) };
}

const usd = (d: Decimal): Money => ({ amount: d.toString(), currency: 'USD' });

function row(r: TableRow, rep: RoiReport) {
  const m = (d: Decimal) => money(d, rep.currency, rep.rates);
  return {
    key: r.key,
    ...(r.ids ? { modelIds: r.ids } : {}),
    ...counts(r.counts),
    listPrice: usd(r.listUSD),
    relayListPrice: usd(r.relayUSD),
    oldCost: m(r.oldCNY),
    newCost: m(r.newCNY),
    savings: m(r.savingsCNY),
    savingsPct: r.pct?.toString() ?? null,
    shareOfSavingsPct: r.share?.toString() ?? null,
  };
}

/** Build the JSON document (one per run). */
export function toJson(res: RoiResult): unknown {
  const rep = res.report;
  const m = (d: Decimal) => money(d, rep.currency, rep.rates);
  const rr = (x: RoiReport['monthly']) => ({ oldCost: m(x.oldCNY), newCost: m(x.newCNY), savings: m(x.savingsCNY) });
  const mig = rep.migration;
  return {
    mode: rep.mode,
    currency: rep.currency,
    rounding: 'none: amounts are exact decimal strings (run-rates to 20 significant digits)',
    rates: {
      fxCNYPerUSD: rep.rates.fx.toString(),
      relayCNYPerUSD: rep.rates.relayRate.toString(),
      relayMarkupPct: rep.rates.markupPct.toString(),
      prices: res.prices,
      relayPrices: res.relayPrices,
    },
    inputs: res.read?.files ?? [],
    duplicates: res.read ? res.read.duplicates : null,
    badRowsSkipped: res.read ? res.read.badRows : null,
    skippedModels: (res.priced?.skipped ?? []).map((u) => ({ model: u.model, ...counts(u.counts) })),
    relayPricesMissing: res.priced?.relayMissing ?? [],
    period: rep.period
      ? { start: rep.period.start, end: rep.period.end, days: rep.period.days.toString(), source: rep.period.source, monthlyFactor: rep.period.monthlyFactor.toString() }
      : null,
    totals: row(rep.totals, rep),
    monthly: rr(rep.monthly),
    annual: rr(rep.annual),
    models: rep.models.map((r) => row(r, rep)),
    groups: rep.groups ? { by: rep.groups.by, rows: rep.groups.rows.map((r) => row(r, rep)) } : null,
    migration: mig
      ? {
          hours: mig.hours.toString(),
          hourlyRate: { amount: mig.rate.toString(), currency: mig.rateCurrency },
          cost: { amount: mig.costOwn.toString(), currency: mig.rateCurrency },
          costConverted: m(mig.costCNY),
          firstYearRoiPct: mig.firstYearPct?.toString() ?? null,
          paybackMonths: mig.paybackMonths?.toString() ?? null,
          paybackDays: mig.paybackDays?.toString() ?? null,
        }
      : null,
    sensitivity: {
      fxCNYPerUSD: rep.sensitivity.fx.map(String),
      relayMarkupPct: rep.sensitivity.markupPct.map(String),
      annualSavings: rep.sensitivity.annualSavingsCNY.map((r) => r.map(m)),
    },
  };
}
