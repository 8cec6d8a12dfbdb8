/** Printing a roi result: tables (TTY) or TSV (piped), --json, --csv (exact) or --md. */
import { Decimal } from '../../core/decimal.js';
import type { Out } from '../../ui/output.js';
import { formatTable, type Cell, type Column } from '../../ui/table.js';
import { formatMoney, formatPct, groupDigits, inCurrency } from '../../core/roi/money.js';
import type { RoiReport, TableRow } from '../../core/roi/report.js';
import type { RoiOptions } from './options.js';
import type { RoiResult } from './run.js';
import { toJson } from './json.js';
import { csvLine } from '../../core/csv.js';

interface Section {
  title: string;
  columns: Column[];
  rows: Cell[][];
}

const BAR_MAX = 24;
const BAR_MIN = 6;

/** Print the result in the chosen format. */
export function render(res: RoiResult, o: RoiOptions, out: Out): void {
  if (o.format === 'json') return out.json(toJson(res));
  if (o.format === 'csv') return out.line(toCsv(res.report));
  const sections = buildSections(res.report, out.mode === 'table' && o.format === 'out' ? out.width : 0);
  if (o.format === 'md') {
    out.line(sections.map((s) => `## ${s.title}\n\n${markdown(s)}`).join('\n\n'));
    out.line('\n_Money rounded to 0.01 for display; `holy roi --json` gives exact amounts._');
    return;
  }
  const text = sections.map((s) => (out.mode === 'table' ? `${out.c.bold(s.title)}\n` : '') + formatTable(out, s.columns, s.rows));
  out.line(text.join('\n\n'));
  out.info('money rounded to 0.01 for display (half up), savings = the rounded costs\' difference so each row adds up; --json and --csv give exact amounts.');
}

function fmt(rep: RoiReport) {
  const cur = rep.currency;
  return (cny: Decimal) => formatMoney(inCurrency(cny, cur, rep.rates), cur);
}

/**
 * Savings as shown: the shown old cost minus the shown new cost, so every row adds up on screen
 * (¥43.76 − ¥6.00 = ¥37.76, never the separately rounded ¥37.77). --json and --csv stay exact.
 */
function savedFmt(rep: RoiReport) {
  const cur = rep.currency;
  const shown = (cny: Decimal) => inCurrency(cny, cur, rep.rates).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  return (oldCNY: Decimal, newCNY: Decimal) => formatMoney(shown(oldCNY).minus(shown(newCNY)), cur);
}

function summary(rep: RoiReport): Cell[][] {
  const m = fmt(rep);
  const saved = savedFmt(rep);
  const r = rep.rates;
  const t = rep.totals;
  const rows: Cell[][] = [];
  if (rep.mode === 'quick') {
    rows.push(['monthly spend (official list)', `${formatMoney(t.listUSD, 'USD')} = ${formatMoney(t.oldCNY, 'CNY')} at ${r.fx}`]);
  } else if (rep.period) {
    const p = rep.period;
    const days = p.days.toDecimalPlaces(2).toString();
    const unit = days === '1' ? 'day' : 'days';
    rows.push(['period', p.source === 'data' ? `${p.start} → ${p.end} (${days} ${unit})` : `${days} ${unit} (--days)`]);
    if (t.counts.requests === 0n && t.counts.input === 0n && t.counts.output === 0n && !t.listUSD.isZero()) {
      rows.push(['tokens', 'none: amounts only (OpenAI cost export)']);
    } else {
      rows.push(['requests', groupDigits(t.counts.requests)]);
      rows.push(['input tokens (incl. cached)', groupDigits(t.counts.input)]);
      rows.push(['cached input tokens', groupDigits(t.counts.cached)]);
      rows.push(['output tokens', groupDigits(t.counts.output)]);
    }
    rows.push(['list price (period)', formatMoney(t.listUSD, 'USD')]);
    rows.push(['official cost (period)', m(t.oldCNY)]);
    rows.push(['relay cost (period)', m(t.newCNY)]);
    rows.push(['savings (period)', `${saved(t.oldCNY, t.newCNY)} (${formatPct(t.pct)})`]);
  }
  rows.push(['official rate', `¥${r.fx} per $1 of list price`]);
  rows.push(['relay rate', `¥${r.relayRate} per $1 of list price${r.markupPct.isZero() ? '' : ` + ${r.markupPct}% markup`}`]);
  rows.push(['official cost / month', m(rep.monthly.oldCNY)]);
  rows.push(['relay cost / month', m(rep.monthly.newCNY)]);
  rows.push(['savings / month', saved(rep.monthly.oldCNY, rep.monthly.newCNY)]);
  rows.push(['official cost / year', m(rep.annual.oldCNY)]);
  rows.push(['relay cost / year', m(rep.annual.newCNY)]);
  rows.push(['savings / year', saved(rep.annual.oldCNY, rep.annual.newCNY)]);
  const mig = rep.migration;
  if (mig) {
    const own = (d: Decimal) => formatMoney(d, mig.rateCurrency);
    const conv = mig.rateCurrency === rep.currency ? '' : ` = ${formatMoney(inCurrency(mig.costCNY, rep.currency, r), rep.currency)}${mig.rateCurrency === 'USD' ? ` at ${r.fx}` : ''}`;
    rows.push(['migration cost', `${mig.hours} h × ${own(mig.rate)}/h = ${own(mig.costOwn)}${conv}`]);
    rows.push(['first-year ROI', formatPct(mig.firstYearPct)]);
    rows.push([
      'payback',
      mig.paybackMonths ? `${mig.paybackMonths.toFixed(2)} months (${mig.paybackDays!.toFixed(1)} days)` : 'never (no savings)',
    ]);
  }
  return rows;
}

// The amounts carry their currency symbol and the section title names the currency: short headers leave room for bars.
const MONEY_COLS: Column[] = [
  { header: 'old cost', align: 'right' },
  { header: 'new cost', align: 'right' },
  { header: 'savings', align: 'right' },
  { header: 'saved %', align: 'right' },
];

function tableRows(rep: RoiReport, rows: TableRow[]): Cell[][] {
  const m = fmt(rep);
  const saved = savedFmt(rep);
  return rows.map((r) => [
    r.key,
    groupDigits(r.counts.requests),
    groupDigits(r.counts.input),
    groupDigits(r.counts.cached),
    groupDigits(r.counts.output),
    m(r.oldCNY),
    m(r.newCNY),
    saved(r.oldCNY, r.newCNY),
    formatPct(r.pct),
  ]);
}

/** A terminal bar of a group's share of total savings (TTY only). */
function bar(share: Decimal | null, width: number): string {
  if (share === null) return '';
  const pct = Math.max(0, Math.min(100, share.toNumber()));
  const n = Math.round((pct / 100) * width);
  return '█'.repeat(n) + '░'.repeat(width - n) + ` ${share.toFixed(1)}%`;
}

/**
 * Add the share-of-savings bar column, as wide as the terminal leaves room for (a wrapped bar is
 * unreadable); no bars when fewer than BAR_MIN cells fit.
 */
function withBars(s: Section, rows: TableRow[], termWidth: number): Section {
  const natural = s.columns.map((c, i) => Math.max(c.header.length, ...s.rows.map((r) => String(r[i] ?? '').length)) + 3);
  const room = termWidth - natural.reduce((a, b) => a + b, 0) - 1 - 3 - ' 100.0%'.length;
  const width = Math.min(BAR_MAX, room);
  if (width < BAR_MIN) return s;
  return { ...s, columns: [...s.columns, { header: 'share' }], rows: s.rows.map((r, i) => [...r, bar(rows[i]!.share, width)]) };
}

/** `barWidth` = terminal width for share bars, 0 for none. */
function buildSections(rep: RoiReport, barWidth: number): Section[] {
  const cur = rep.currency;
  const out: Section[] = [{ title: rep.mode === 'quick' ? 'Quick estimate' : 'Summary', columns: [{ header: 'figure' }, { header: 'value' }], rows: summary(rep) }];
  const cols = (first: string): Column[] => [
    { header: first },
    { header: 'requests', align: 'right' },
    { header: 'input', align: 'right' },
    { header: 'cached', align: 'right' },
    { header: 'output', align: 'right' },
    ...MONEY_COLS,
  ];
  const table = (title: string, first: string, rows: TableRow[], bars: boolean): Section => {
    const s = { title, columns: cols(first), rows: tableRows(rep, rows) };
    return bars && barWidth > 0 ? withBars(s, rows, barWidth) : s;
  };
  if (rep.models.length) out.push(table(`By model (${cur})`, 'model', rep.models, !rep.groups));
  if (rep.groups) out.push(table(`By ${rep.groups.by} (${cur})`, rep.groups.by, rep.groups.rows, true));
  const s = rep.sensitivity;
  const m = fmt(rep);
  out.push({
    title: `Annual savings (${cur}) by official rate (rows) and relay markup (columns)`,
    columns: [{ header: 'CNY per USD' }, ...s.markupPct.map((x) => ({ header: `+${x}%`, align: 'right' as const }))],
    rows: s.fx.map((fx, i) => [fx.toString(), ...s.annualSavingsCNY[i]!.map((v) => m(v))]),
  });
  return out;
}

function markdown(s: Section): string {
  // A cell is one table line: a line break would end the row, a pipe would split it, a backslash could escape either.
  const esc = (c: Cell) =>
    String(c ?? '')
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/\r\n|[\r\n\u2028\u2029]/g, '<br>');
  const head = `| ${s.columns.map((c) => esc(c.header)).join(' | ')} |`;
  const rule = `| ${s.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [head, rule, ...s.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** The main table (groups with --by, else models) as CSV with exact amounts. */
function toCsv(rep: RoiReport): string {
  const cur = rep.currency;
  const rows = rep.groups ? rep.groups.rows : rep.models;
  const conv = (d: Decimal) => inCurrency(d, cur, rep.rates).toString();
  const head = [rep.groups?.by ?? 'model', 'requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'list_price_USD', `old_cost_${cur}`, `new_cost_${cur}`, `savings_${cur}`, 'savings_pct'];
  const lines = [...rows, rep.totals].map((r) =>
    csvLine([r.key, String(r.counts.requests), String(r.counts.input), String(r.counts.cached), String(r.counts.output), r.listUSD.toString(), conv(r.oldCNY), conv(r.newCNY), conv(r.savingsCNY), r.pct?.toString() ?? '']),
  );
  return [csvLine(head), ...lines].join('\n');
}
