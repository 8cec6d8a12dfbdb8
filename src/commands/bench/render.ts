/** Printing a bench plan or result: a table on a TTY, TSV when piped, one JSON document with --json. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import { summaryRows } from '../../core/bench/rows.js';
import { renderEmbeddings } from './render-embeddings.js';
import type { BenchOptions } from '../../core/bench/options.js';
import type { BenchResult, BenchPlan } from './run.js';

function loadText(l: BenchPlan['load']): string {
  return l.kind === 'closed' ? `closed loop, concurrency ${l.concurrency}` : l.kind === 'open' ? `open loop, Poisson ${l.rate}/s (seed ${l.seed})` : `recorded timing ×${l.speed}`;
}

/** --dry-run: what would be sent and what it would cost; nothing was sent. */
export function renderPlan(p: BenchPlan, out: Out): void {
  if (out.mode === 'json') {
    out.json({ dryRun: true, plan: p });
    return;
  }
  const rows: Array<[string, string]> = [];
  for (const f of p.files) rows.push([`file ${f.file}`, `${f.format}: ${f.items} request(s)${f.skipped ? `, ${f.skipped} skipped` : ''}`]);
  for (const [ep, n] of Object.entries(p.skippedEndpoints)) if (!(p.embeddings && /\/embeddings/.test(ep))) rows.push([`skipped endpoint ${ep}`, String(n)]);
  if (p.problems.length) rows.push(['bad lines (skipped)', String(p.problems.length)]);
  for (const x of p.problems.slice(0, 10)) rows.push(['  bad line', `${x.file}:${x.line}: ${x.reason}`]);
  if (p.problems.length > 10) rows.push(['  bad line', `… ${p.problems.length - 10} more (--json lists them all)`]);
  rows.push(['requests per provider', `${p.sends}${p.warmup ? ` (incl. ${p.warmup} warm-up)` : ''}${p.perPass ? ' per pass (--duration cycles)' : ''}`]);
  rows.push(['load', loadText(p.load)]);
  for (const side of [p.old, p.new]) {
    if ('recorded' in side) {
      rows.push(['old', 'recorded responses (no calls)']);
      continue;
    }
    rows.push([`${side.name} tokens (est.)`, `${side.promptTokens} prompt + ${side.outputTokens} output`]);
    rows.push([`${side.name} cost (est.)`, `$${side.costUSD}${side.unpriced.length ? ` (no price: ${side.unpriced.join(', ')})` : ''}`]);
  }
  if (p.embeddings) {
    const e = p.embeddings;
    rows.push(['embeddings requests', `${e.requests} (each sent once, after the chat pairs), ${e.promptTokens} input tokens (est.)`]);
    rows.push(['embeddings cost (est.)', `${e.oldCostUSD === null ? '' : `old $${e.oldCostUSD} + `}new $${e.newCostUSD}${e.unpriced.length ? ` (no price: ${e.unpriced.join(', ')})` : ''}`]);
  }
  rows.push(['total cost (est.)', `$${p.totalCostUSD} (limit --max-cost $${p.maxCostUSD})`]);
  for (const m of p.mapping) rows.push(['model map', `${m.from} → ${m.to} (${m.why})`]);
  if (p.mappingNote) rows.push(['note', p.mappingNote]);
  if (p.population) rows.push(['population', p.population]);
  printTable(out, [{ header: 'plan' }, { header: 'value' }], rows);
  out.info('dry run: nothing was sent.');
}

/** The result: metric × (old, new, Δ, CI), then integrity flags, quality, worst pairs and gates. */
export function renderResult(r: BenchResult, out: Out, o: Pick<BenchOptions, 'p99First'>): void {
  const s = r.summary;
  if (out.mode === 'json') {
    out.json({ ...r, rows: summaryRows(s, o.p99First) });
    return;
  }
  const c = out.c;
  if (s.pairs === 0 && r.embeddings) {
    // Embeddings only: no chat table of dashes.
    renderEmbeddings(r.embeddings, out, s.percentiles, false);
    if (r.written.length) (out.mode === 'table' ? out.line : out.info)(`wrote ${r.written.join(', ')}`);
    return;
  }
  const rows = summaryRows(s, o.p99First).map((x) => {
    const paint = (side: 'old' | 'new', v: string) => (x.better === side ? c.green(v) : x.better && x.better !== side ? c.red(v) : v);
    return [x.metric, paint('old', x.old), paint('new', x.new), x.delta, x.ci ?? ''];
  });
  printTable(out, [{ header: 'metric' }, { header: `old: ${s.old.name}`, align: 'right' }, { header: `new: ${s.new.name}`, align: 'right' }, { header: 'Δ new − old', align: 'right' }, { header: 'paired Δ [95% CI]', align: 'right' }], rows);
  const lines: string[] = [];
  lines.push(`${s.pairs} pair(s)${s.warmup ? ` after ${s.warmup} warm-up` : ''}; CI = bootstrap 95% of per-request (new − old) median/p99, ms; percentiles are exact (nearest rank).`);
  if (r.plan.population) lines.push(r.plan.population);
  for (const m of r.plan.mapping) lines.push(`model map: ${m.from} → ${m.to} (${m.why === 'flag' ? '--model-map' : 'built-in, not served by ' + s.new.name})`);
  if (s.tokens.n) lines.push(`tokens on ${s.tokens.n} paired requests: prompt ${s.old.name} ${s.tokens.oldPrompt} vs ${s.new.name} ${s.tokens.newPrompt}; completion ${s.tokens.oldCompletion} vs ${s.tokens.newCompletion}.`);
  for (const f of s.flags) lines.push(c.yellow('! ') + f);
  if (s.quality) {
    const q = s.quality;
    lines.push(`quality: ${q.pairs} pairs, mean similarity ${q.meanSimilarity.toFixed(3)}, ${(q.shareAboveThreshold * 100).toFixed(1)}% ≥ ${q.threshold}, exact ${(q.exactRate * 100).toFixed(1)}%, finish_reason parity ${(q.finishParityRate * 100).toFixed(1)}%${q.toolNameMatchRate !== undefined ? `, tool names ${(q.toolNameMatchRate * 100).toFixed(1)}%` : ''}${q.jsonEqualRate !== undefined ? `, JSON equal ${(q.jsonEqualRate * 100).toFixed(1)}%` : ''}.`);
  }
  if (r.judge) lines.push(`judge ${r.judge.judge}: ${s.old.name} ${r.judge.old}, ${s.new.name} ${r.judge.new}, tie ${r.judge.tie} (order-swap inconsistent ${r.judge.inconsistent}, failed ${r.judge.failed}).`);
  for (const w of r.worst) lines.push(`least similar ${w.id} (${w.similarity.toFixed(3)}):\n    old: ${oneLine(w.oldText)}\n    new: ${oneLine(w.newText)}`);
  for (const g of s.gates) lines.push(`gate ${g.name}: ${g.ok ? c.green('passed') : c.red('MISSED')} — ${g.detail}`);
  if (r.written.length) lines.push(`wrote ${r.written.join(', ')}`);
  if (r.interrupted) lines.push(c.yellow(`interrupted: figures cover the ${s.pairs} pair(s) finished before Ctrl-C.`));
  // Piped output stays a clean TSV table; the notes go to stderr there.
  if (out.mode === 'table') {
    out.line();
    for (const l of lines) out.line(l);
  } else for (const l of lines) out.info(l);
  if (r.embeddings) renderEmbeddings(r.embeddings, out, s.percentiles, true);
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 160 ? t.slice(0, 157) + '…' : t;
}
