/** The embeddings summary as metric × (old, new, Δ) rows, shared by the terminal table and the HTML report. Pure. */
import type { EmbeddingsSummary } from './embeddings.js';
import { ms, type SummaryRow as Row } from './rows.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');

export function embeddingRows(e: EmbeddingsSummary, percentiles: number[]): Row[] {
  const o = e.old;
  const n = e.new;
  const rows: Row[] = [
    { metric: 'requests ok', old: `${o.ok}/${o.requests}`, new: `${n.ok}/${n.requests}`, delta: '—', better: null },
    { metric: 'error rate', old: pct(o.errorRate), new: pct(n.errorRate), delta: '—', better: null },
  ];
  for (const c of [...new Set([...Object.keys(o.errors), ...Object.keys(n.errors)])].sort()) rows.push({ metric: `  ${c}`, old: String(o.errors[c] ?? 0), new: String(n.errors[c] ?? 0), delta: '—', better: null });
  if (o.e2eMs.n || n.e2eMs.n) {
    for (const q of [...percentiles, 'max' as const]) {
      const a = q === 'max' ? o.e2eMs.max : o.e2eMs.p[String(q)];
      const b = q === 'max' ? n.e2eMs.max : n.e2eMs.p[String(q)];
      const d = a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? `${b - a >= 0 ? '+' : '−'}${Math.abs(b - a).toFixed(1)}` : '—';
      rows.push({ metric: `E2E ${q === 'max' ? 'max' : `p${q}`} ms (n ${o.e2eMs.n}/${n.e2eMs.n})`, old: ms(a), new: ms(b), delta: d, better: null });
    }
  }
  rows.push({ metric: `same dimensions (of ${e.compared} pairs)`, old: '', new: e.compared ? `${e.dims.same} (${pct(e.dims.same / e.compared)})` : '—', delta: '—', better: null });
  rows.push({ metric: `cosine old·new mean (n ${e.cosine.n})`, old: '', new: e.cosine.mean === null ? '—' : e.cosine.mean.toFixed(4), delta: '—', better: null });
  rows.push({ metric: 'cosine old·new min', old: '', new: e.cosine.min === null ? '—' : e.cosine.min.toFixed(4), delta: '—', better: null });
  rows.push({ metric: `pairs with cosine < ${e.cosine.threshold}`, old: '', new: e.cosine.n ? `${e.cosine.below}` : '—', delta: '—', better: null });
  rows.push({ metric: `prompt_tokens agree (of ${e.promptTokens.compared})`, old: '', new: e.promptTokens.compared ? `${e.promptTokens.agree} (${pct(e.promptTokens.agree / e.promptTokens.compared)})` : '—', delta: '—', better: null });
  rows.push({ metric: 'prompt tokens', old: String(o.promptTokens), new: String(n.promptTokens), delta: '—', better: null });
  rows.push({ metric: 'cost (list price, USD)', old: `$${o.costUSD}${o.unpriced.length ? ' +unpriced' : ''}`, new: `$${n.costUSD}${n.unpriced.length ? ' +unpriced' : ''}`, delta: '—', better: null });
  return rows;
}
