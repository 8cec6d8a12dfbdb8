/** The compact table every output leads with: p50/p99 of TTFT, E2E and ITL, error rate, cost and quality. Pure. */
import { summaryRows, type SummaryRow as Row } from './rows.js';
import type { BenchSummary } from './summary.js';
import type { SideCost } from './cost.js';
import { money, QUALITY_MAX_BELOW } from './verdict-checks.js';
import type { Verdict } from './verdict.js';

const METRICS = ['TTFT', 'E2E', 'ITL'];

/** The quality row says what the verdict's quality check concluded (one source for every output). */
export function withVerdictNotes(rows: Row[], v: Verdict): Row[] {
  const q = v.checks.find((c) => c.id === 'quality');
  const limit = `${(QUALITY_MAX_BELOW * 100).toFixed(0)}%`;
  const note = q?.severity === 'block' ? `✗ over ${limit} below` : q?.severity === 'good' ? `✓ under ${limit} below` : q?.severity === 'unsure' ? `? unsettled (limit ${limit} below)` : undefined;
  return rows.map((r) => (note && r.metric.includes('pairs ≥ ') ? { ...r, note } : r));
}

/** The rows in a fixed order; the same cells (and `better` rules) as the full table's rows of those names. */
export function compactRows(s: BenchSummary, cost: { old?: SideCost; new?: SideCost } | undefined, v: Verdict, p99First = false): Row[] {
  const full = withVerdictNotes(summaryRows({ ...s, percentiles: [50, 99] }, false), v);
  const by = new Map(full.map((r) => [r.metric, r]));
  const rows: Row[] = [];
  for (const m of METRICS) for (const q of p99First ? ['p99', 'p50'] : ['p50', 'p99']) {
    const r = by.get(`${m} ${q} ms`);
    if (r) rows.push(r);
  }
  rows.push(by.get('error rate')!);
  const o = cost?.old;
  const n = cost?.new;
  if (o || n) {
    const a = o?.requests ? Number(o.per1kUSD) : NaN;
    const b = n?.requests ? Number(n.per1kUSD) : NaN;
    const both = Number.isFinite(a) && Number.isFinite(b);
    const rel = both && a > 0 ? (b - a) / a : NaN;
    rows.push({
      metric: 'cost/1k requests',
      old: Number.isFinite(a) ? `$${money(a)}` : '—',
      new: Number.isFinite(b) ? `$${money(b)}` : '—',
      delta: !both ? '—' : Number.isFinite(rel) && Math.abs(rel) < 0.0005 ? '±0.0%' : `${b - a >= 0 ? '+' : '−'}$${money(Math.abs(b - a))}${Number.isFinite(rel) ? ` (${rel >= 0 ? '+' : '−'}${Math.abs(rel * 100).toFixed(1)}%)` : ''}`,
      better: !Number.isFinite(rel) || Math.abs(rel) < 0.02 ? null : rel < 0 ? 'new' : 'old',
      n: `n=${o?.requests ?? 0} / ${n?.requests ?? 0} ok, list prices`,
    });
  }
  // Retries are not in any latency: when there were some, they stay in view.
  for (const r of full) if (r.metric.startsWith('retr')) rows.push(r);
  const q = full.find((r) => r.metric.startsWith('pairs ≥ '));
  if (q) rows.push({ ...q, metric: `quality ≥ ${s.quality!.threshold}` });
  return rows;
}
