/** The summary as rows of metric × (old, new, Δ, CI) — shared by the terminal table and the HTML report. Pure. */
import type { Interval } from './bootstrap.js';
import type { Distribution } from './samples.js';
import type { BenchSummary, ProviderSummary } from './summary.js';
import { errorDiff, errorLoser, pp } from './verdict.js';
import { MIN_PAIRS_P99 } from './verdict-checks.js';

export interface SummaryRow {
  metric: string;
  old: string;
  new: string;
  delta: string;
  ci?: string;
  /** Which side this row favours; null when equal or not comparable. */
  better?: 'old' | 'new' | null;
  /** The sample counts behind the row, e.g. "n=180 / 200, successes only". */
  n?: string;
  /** A verdict in words for rows that compare with a limit rather than old with new. */
  note?: string;
}


export function ms(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function signed(v: number, digits = 1): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(digits)}`;
}

/** Relative difference below which a row names no better side. */
const NOISE = 0.02;

function delta(a: number | undefined, b: number | undefined, unit: string, lowerBetter: boolean): Pick<SummaryRow, 'delta' | 'better'> {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return { delta: '—', better: null };
  const d = b - a;
  const rel = a !== 0 ? ` (${signed((d / a) * 100)}%)` : '';
  // Within ±2% is noise, not a verdict (paired rows with a CI are judged by the CI instead).
  const better = d === 0 || (a !== 0 && Math.abs(d / a) < NOISE) ? null : (d < 0) === lowerBetter ? 'new' : 'old';
  const digits = unit === 'ms' || unit === 'pp' ? 1 : Number.isInteger(a) && Number.isInteger(b) ? 0 : 2;
  // The metric name already says ms; the column stays narrow enough for an 80-column terminal.
  return { delta: `${signed(d, digits)}${unit && unit !== 'ms' ? ' ' + unit : ''}${rel}`, better };
}

/** Whether a paired CI (new − old) backs the side the point difference favours, beyond ±NOISE of the old value. */
function pairedAgrees(iv: Interval, better: SummaryRow['better'], oldValue: number | undefined): boolean {
  const band = oldValue !== undefined && Number.isFinite(oldValue) ? Math.abs(oldValue) * NOISE : 0;
  if (better === 'new') return iv.hi < -band;
  if (better === 'old') return iv.lo > band;
  return true;
}

function ci(i: Interval | undefined): string | undefined {
  if (!i) return undefined;
  return `${signed(i.estimate)} [${signed(i.lo)}, ${signed(i.hi)}]`;
}

/** Percentile order for the table: p99 first with --p99, then the rest, then max. */
function percentileOrder(pcts: number[], p99First: boolean): Array<number | 'max'> {
  const rest = pcts.filter((p) => !(p99First && p === 99));
  return [...(p99First && pcts.includes(99) ? [99] : []), ...rest, 'max'];
}

/** Build the rows; latency CIs are the paired per-request deltas (new − old), bootstrap 95%. */
export function summaryRows(s: BenchSummary, p99First: boolean): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const o = s.old;
  const n = s.new;
  rows.push({ metric: 'requests ok', old: `${o.ok}/${o.requests}`, new: `${n.ok}/${n.requests}`, ...delta(o.ok, n.ok, '', false) });
  // Error rows and every latency row follow the error-rate CI: a side that fails materially more
  // wins no row (its latency is over its successes only).
  const loser = errorLoser(s);
  const ed = errorDiff(s);
  rows.push({ metric: 'error rate', old: pct(o.errorRate), new: pct(n.errorRate), delta: delta(o.errorRate * 100, n.errorRate * 100, 'pp', true).delta, ci: `${pp(ed.estimate).replace(' pp', '')} [${pp(ed.lo).replace(' pp', '')}, ${pp(ed.hi).replace(' pp', '')}] pp`, better: loser === 'new' ? 'old' : loser === 'old' ? 'new' : null, n: `n=${o.requests} / ${n.requests}` });
  const classes = [...new Set([...Object.keys(o.errors), ...Object.keys(n.errors)])].sort();
  for (const c of classes) rows.push({ metric: `  ${c}`, old: String(o.errors[c] ?? 0), new: String(n.errors[c] ?? 0), ...delta(o.errors[c] ?? 0, n.errors[c] ?? 0, '', true) });
  const order = percentileOrder(s.percentiles, p99First);
  const lat: Array<[string, (p: ProviderSummary) => Distribution, keyof BenchSummary['delta'] | undefined]> = [
    ['TTFB', (p) => p.ttfbMs, undefined],
    ['TTFT', (p) => p.ttftMs, 'ttftMs'],
    ['E2E', (p) => p.e2eMs, 'e2eMs'],
    ['ITL', (p) => p.itlMs, undefined],
    ['TPOT', (p) => p.tpotMs, undefined],
  ];
  for (const [name, get, dkey] of lat) {
    const a = get(o);
    const b = get(n);
    if (a.n === 0 && b.n === 0) continue;
    for (const q of order) {
      const va = q === 'max' ? a.max : a.p[String(q)];
      const vb = q === 'max' ? b.max : b.p[String(q)];
      const row: SummaryRow = { metric: `${name} ${q === 'max' ? 'max' : `p${q}`} ms`, old: ms(va), new: ms(vb), ...delta(va, vb, 'ms', true), n: `n=${a.n} / ${b.n}, successes only` };
      const d = dkey ? s.delta[dkey] : undefined;
      // p50: the median of the paired differences; p99: new p99 − old p99 (the p99 of the paired
      // differences is well above zero even for a provider compared with itself).
      const c = d ? (q === 50 ? ci(d.median) : q === 99 ? ci(d.p99Diff) : undefined) : undefined;
      if (c) {
        row.ci = c;
        // A paired CI that straddles zero is no evidence either way, however large the point
        // difference; nor is one that points the other way, or one closer to zero than the noise band.
        const iv = q === 50 ? d!.median : d!.p99Diff;
        if (iv && !pairedAgrees(iv, row.better, va)) row.better = null;
        // Under a hundred pairs the "p99" is the maximum: its interval is no evidence (as in the verdict).
        if (q === 99 && d!.pairs < MIN_PAIRS_P99) {
          row.better = null;
          row.ci = `${c} (n<${MIN_PAIRS_P99})`;
        }
      }
      // A latency row names a better side only on an interval's evidence: without one (TTFB, ITL,
      // TPOT, max) a 2% gap between two noisy samples would crown a winner even A/A.
      if (!c) row.better = null;
      if (loser && row.better === loser) {
        row.better = null;
        row.note = 'no win: fails more';
      }
      rows.push(row);
    }
  }
  rows.push({ metric: 'output tokens/s', old: rate(o.outputTokensPerS, o), new: rate(n.outputTokensPerS, n), ...delta(o.outputTokensPerS, n.outputTokensPerS, '', false) });
  rows.push({ metric: 'requests/s', old: rate(o.requestsPerS, o), new: rate(n.requestsPerS, n), ...delta(o.requestsPerS, n.requestsPerS, '', false) });
  if (n.goodput && o.goodput) {
    // A TTFT SLO only applies where there is a TTFT (streamed answers); say on how many it did.
    const t = o.goodput.slo.ttftMs !== undefined ? `; TTFT SLO applied to ${o.goodput.ttftApplied} / ${n.goodput.ttftApplied} streamed` : '';
    rows.push({ metric: 'goodput (SLO met)', old: pct(o.goodput.share), new: pct(n.goodput.share), ...delta(o.goodput.share * 100, n.goodput.share * 100, 'pp', false), n: `n=${o.requests} / ${n.requests}${t}` });
  }
  rows.push({ metric: 'output tokens', old: tokens(o), new: tokens(n), delta: '—', better: null });
  if (o.retries.total || n.retries.total) rows.push({ metric: 'retries (not in latency)', old: String(o.retries.total), new: String(n.retries.total), ...delta(o.retries.total, n.retries.total, '', true) });
  if (o.retries.capped || n.retries.capped) rows.push({ metric: 'retry waits capped (Retry-After > 60 s/--timeout)', old: String(o.retries.capped), new: String(n.retries.capped), ...delta(o.retries.capped, n.retries.capped, '', true) });
  if (s.quality && s.quality.pairs > 0) {
    rows.push({ metric: 'similarity (mean)', old: '', new: s.quality.meanSimilarity.toFixed(3), delta: '—', better: null });
    rows.push({ metric: `pairs ≥ ${s.quality.threshold}`, old: '', new: pct(s.quality.shareAboveThreshold), delta: '—', better: null, n: `n=${s.quality.pairs} pairs` });
  }
  return rows;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

function rate(v: number, p: ProviderSummary): string {
  return p.recorded ? '—' : v.toFixed(2);
}

function tokens(p: ProviderSummary): string {
  const s = p.outputTokensSource;
  if (!s.server && !s.local) return '—';
  const src = s.server && s.local ? `server ${s.server}, local ${s.local}` : s.local ? 'local tokenizer' : 'server usage';
  return `${p.outputTokens} (${src})`;
}
