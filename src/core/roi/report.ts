/** The roi result as data: totals, per-model and per-group tables, run-rates, ROI and sensitivity. */
import { Decimal } from '../decimal.js';
import { addCounts, zeroCounts, type Counts } from './aggregate.js';
import { newCost, oldCost, type Currency, type Rates } from './money.js';
import type { Period } from './period.js';
import type { PricedGroup } from './price.js';
import { roiOf, sensitivity, type Migration, type RoiFigures, type Sensitivity } from './roi.js';

/** One line of a table; money in CNY (converted for display only). */
export interface TableRow {
  key: string;
  counts: Counts;
  listUSD: Decimal;
  relayUSD: Decimal;
  oldCNY: Decimal;
  newCNY: Decimal;
  savingsCNY: Decimal;
  /** savings / old × 100. */
  pct: Decimal | null;
  /** This row's share of total savings × 100. */
  share: Decimal | null;
  /** Model ids folded into this line (per-model table). */
  ids?: string[];
}

interface RunRate {
  oldCNY: Decimal;
  newCNY: Decimal;
  savingsCNY: Decimal;
}

export interface RoiReport {
  mode: 'data' | 'quick';
  currency: Currency;
  rates: Rates;
  period: Period | null;
  totals: TableRow;
  monthly: RunRate;
  annual: RunRate;
  models: TableRow[];
  groups: { by: string; rows: TableRow[] } | null;
  migration: (Migration & RoiFigures) | null;
  sensitivity: Sensitivity;
}

interface ReportOpts {
  rates: Rates;
  currency: Currency;
  by: string;
  top?: number;
  migration?: Migration;
  fxRange: Decimal[];
  markupRange: Decimal[];
}

function line(key: string, counts: Counts, listUSD: Decimal, relayUSD: Decimal, r: Rates): TableRow {
  const oldCNY = oldCost(listUSD, r);
  const newCNY = newCost(relayUSD, r);
  const savingsCNY = oldCNY.minus(newCNY);
  return { key, counts, listUSD, relayUSD, oldCNY, newCNY, savingsCNY, pct: oldCNY.isZero() ? null : savingsCNY.div(oldCNY).times(100), share: null };
}

/** Sum priced groups by a key, then price nothing again: only sums of exact decimals. */
function sumBy(groups: PricedGroup[], keyOf: (g: PricedGroup) => string, r: Rates): TableRow[] {
  const acc = new Map<string, { counts: Counts; list: Decimal; relay: Decimal; ids: Set<string> }>();
  for (const g of groups) {
    const k = keyOf(g);
    const a = acc.get(k) ?? { counts: zeroCounts(), list: new Decimal(0), relay: new Decimal(0), ids: new Set<string>() };
    a.counts = addCounts(a.counts, g.counts);
    a.list = a.list.plus(g.listUSD);
    a.relay = a.relay.plus(g.relayUSD);
    for (const id of g.ids) a.ids.add(id);
    acc.set(k, a);
  }
  return [...acc].map(([k, a]) => ({ ...line(k, a.counts, a.list, a.relay, r), ids: [...a.ids] }));
}

function withShares(rows: TableRow[], total: Decimal): TableRow[] {
  for (const row of rows) row.share = total.isZero() ? null : row.savingsCNY.div(total).times(100);
  return rows;
}

const bySavings = (a: TableRow, b: TableRow) => b.savingsCNY.comparedTo(a.savingsCNY) || a.key.localeCompare(b.key);

/** Build the report from priced groups and the period they cover. */
export function buildReport(groups: PricedGroup[], period: Period, o: ReportOpts): RoiReport {
  const r = o.rates;
  const all = sumBy(groups, () => 'total', r)[0] ?? line('total', zeroCounts(), new Decimal(0), new Decimal(0), r);
  delete all.ids;
  let models = sumBy(groups, (g) => g.model + (g.batch ? ' (batch)' : ''), r).sort(bySavings);
  if (o.by === 'model' && o.top !== undefined) models = collapse(models, o.top, r);
  models = withShares(models, all.savingsCNY);
  let groupTable: RoiReport['groups'] = null;
  if (o.by !== 'model') {
    let rows = sumBy(groups, (g) => g.dim, r).sort(bySavings);
    for (const row of rows) delete row.ids;
    if (o.top !== undefined) rows = collapse(rows, o.top, r);
    if (o.by === 'day' || o.by === 'month') rows.sort((a, b) => (a.key.startsWith('(other') ? 1 : b.key.startsWith('(other') ? -1 : a.key.localeCompare(b.key)));
    groupTable = { by: o.by, rows: withShares(rows, all.savingsCNY) };
  }
  const f = period.monthlyFactor;
  const monthly = { oldCNY: all.oldCNY.times(f), newCNY: all.newCNY.times(f), savingsCNY: all.savingsCNY.times(f) };
  return {
    mode: 'data',
    currency: o.currency,
    rates: r,
    period,
    totals: all,
    monthly,
    annual: times12(monthly),
    models,
    groups: groupTable,
    migration: o.migration ? { ...o.migration, ...roiOf(monthly.savingsCNY, o.migration, r) } : null,
    sensitivity: sensitivity(all.listUSD.times(f), all.relayUSD.times(f), r, o.fxRange, o.markupRange),
  };
}

/** Keep the first `top` rows (already sorted by savings); sum the rest into one "(other: N)" row. */
function collapse(rows: TableRow[], top: number, r: Rates): TableRow[] {
  if (rows.length <= top) return rows;
  const rest = rows.slice(top);
  const other = rest.reduce(
    (a, x) => ({ counts: addCounts(a.counts, x.counts), list: a.list.plus(x.listUSD), relay: a.relay.plus(x.relayUSD) }),
    { counts: zeroCounts(), list: new Decimal(0), relay: new Decimal(0) },
  );
  return [...rows.slice(0, top), line(`(other: ${rest.length})`, other.counts, other.list, other.relay, r)];
}

function times12(m: RunRate): RunRate {
  return { oldCNY: m.oldCNY.times(12), newCNY: m.newCNY.times(12), savingsCNY: m.savingsCNY.times(12) };
}

/** Quick mode: no data, a monthly spend at official prices (USD list). */
export function quickReport(monthlyUSD: Decimal, o: ReportOpts): RoiReport {
  const r = o.rates;
  const m = line('monthly', zeroCounts(), monthlyUSD, monthlyUSD, r);
  const monthly = { oldCNY: m.oldCNY, newCNY: m.newCNY, savingsCNY: m.savingsCNY };
  return {
    mode: 'quick',
    currency: o.currency,
    rates: r,
    period: null,
    totals: m,
    monthly,
    annual: times12(monthly),
    models: [],
    groups: null,
    migration: o.migration ? { ...o.migration, ...roiOf(monthly.savingsCNY, o.migration, r) } : null,
    sensitivity: sensitivity(monthlyUSD, monthlyUSD, r, o.fxRange, o.markupRange),
  };
}
