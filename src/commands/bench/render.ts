/** Printing a bench plan or result: a table on a TTY, TSV when piped, one JSON document with --json. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import { summaryRows } from '../../core/bench/rows.js';
import { compactRows, withVerdictNotes } from '../../core/bench/compact.js';
import { headline, type Severity } from '../../core/bench/verdict.js';
import { headerLines, loadText, simulatedText } from '../../core/bench/header.js';
import { renderEmbeddings } from './render-embeddings.js';
import type { BenchOptions } from '../../core/bench/options.js';
import type { BenchResult, BenchPlan } from './run.js';


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

const MARK: Record<Severity, string> = { block: '✗', unsure: '?', warn: '!', good: '✓', info: '·' };
/** Reasons shown under the decision on a terminal; the rest follow the table. */
const TOP_REASONS = 4;

/** The decision line and the top reasons: the first lines of stdout, whatever else follows. */
function renderDecision(r: BenchResult, out: Out): void {
  const v = r.verdict;
  const c = out.c;
  const head = headline(v, r.summary.old.name, r.summary.new.name);
  if (out.mode === 'tsv') {
    // Piped: the decision is the first line, a comment (# …), so `grep -v '^#'` leaves plain TSV.
    out.line(`# decision: ${v.decision}\t${head}`);
    for (const k of v.checks) out.line(`# reason: ${MARK[k.severity]} ${k.reason}`);
    return;
  }
  const paint = v.decision === 'go' ? c.bold.green : v.decision === 'no-go' ? c.bold.red : c.bold.yellow;
  out.line(paint(head));
  const shown = v.checks.slice(0, TOP_REASONS);
  for (const k of shown) out.line(`  ${MARK[k.severity]} ${k.reason}`);
  if (v.checks.length > shown.length) out.line(c.dim(`  … ${v.checks.length - shown.length} more reason(s) below the table.`));
  out.line();
}

/** The result: decision and reasons first, then the compact (or, with --percentiles/--verbose, full) table, then notes. */
export function renderResult(r: BenchResult, out: Out, o: Pick<BenchOptions, 'p99First' | 'percentilesGiven'>): void {
  const s = r.summary;
  if (out.mode === 'json') {
    out.json({ ...r, compactRows: compactRows(s, r.cost, r.verdict, o.p99First), rows: withVerdictNotes(summaryRows(s, o.p99First), r.verdict) });
    return;
  }
  if (s.pairs === 0 && r.embeddings) {
    // Embeddings only: no chat table of dashes; the decision rests on the embeddings checks.
    renderDecision(r, out);
    renderEmbeddings(r.embeddings, out, s.percentiles, false);
    if (r.written.length) (out.mode === 'table' ? out.line : out.info)(`wrote ${r.written.join(', ')}`);
    return;
  }
  renderDecision(r, out);
  const c = out.c;
  const full = o.percentilesGiven || out.verbose;
  const rows = (full ? withVerdictNotes(summaryRows(s, o.p99First), r.verdict) : compactRows(s, r.cost, r.verdict, o.p99First)).map((x) => {
    const paint = (side: 'old' | 'new', v: string) => (x.better === side ? c.green(v) : x.better && x.better !== side ? c.red(v) : v);
    // Narrow on a terminal: "n=120 / 93, successes only" → "120/93*" (the * is footnoted below).
    const n = (x.n ?? '').replace(/^n=/, '').replace(/ \/ /, '/').replace(', successes only', '*');
    return [x.metric, paint('old', x.old), paint('new', x.new), x.delta, x.ci ?? '', x.note ? `${n} ${x.note}`.trim() : n];
  });
  printTable(out, [{ header: 'metric' }, { header: `old: ${s.old.name}`, align: 'right' }, { header: `new: ${s.new.name}`, align: 'right' }, { header: 'Δ new − old', align: 'right' }, { header: 'Δ [95% CI]', align: 'right' }, { header: 'n old/new' }], rows);
  const lines: string[] = [];
  if (out.mode === 'table' && r.verdict.checks.length > TOP_REASONS) {
    lines.push('all reasons:');
    for (const k of r.verdict.checks.slice(TOP_REASONS)) lines.push(`  ${MARK[k.severity]} ${k.reason}`);
  }
  const sim = simulatedText(r.run);
  if (sim) lines.push(c.yellow(sim));
  for (const [k, v] of headerLines(r.run)) lines.push(`${k}: ${v}`);
  lines.push(`${s.pairs} pair(s)${s.warmup ? ` after ${s.warmup} warm-up` : ''}; * latency over successes only; 95% CI (bootstrap): p50 rows = median of the per-request differences new − old, p99 rows = new p99 − old p99, ms; percentiles are exact (nearest rank)${full ? '' : '; other percentiles with --percentiles or --verbose'}.`);
  if (r.plan.population) lines.push(r.plan.population);
  for (const m of r.plan.mapping) lines.push(`model map: ${m.from} → ${m.to} (${m.why === 'flag' ? '--model-map' : 'built-in, not served by ' + s.new.name})`);
  if (s.tokens.n) lines.push(`tokens on ${s.tokens.n} paired requests: prompt ${s.old.name} ${s.tokens.oldPrompt} vs ${s.new.name} ${s.tokens.newPrompt}; completion ${s.tokens.oldCompletion} vs ${s.tokens.newCompletion}.`);
  for (const f of s.flags) lines.push(c.yellow('! ') + f);
  if (s.quality) {
    const q = s.quality;
    lines.push(`quality: ${q.pairs} pairs, mean similarity ${q.meanSimilarity.toFixed(3)}, ${(q.shareAboveThreshold * 100).toFixed(1)}% ≥ ${q.threshold} (--quality-threshold), exact ${(q.exactRate * 100).toFixed(1)}%, finish_reason parity ${(q.finishParityRate * 100).toFixed(1)}%${q.toolNameMatchRate !== undefined ? `, tool names ${(q.toolNameMatchRate * 100).toFixed(1)}%` : ''}${q.jsonEqualRate !== undefined ? `, JSON equal ${(q.jsonEqualRate * 100).toFixed(1)}%` : ''}.`);
  }
  if (r.judge) lines.push(`judge ${r.judge.judge}: ${s.old.name} ${r.judge.old}, ${s.new.name} ${r.judge.new}, tie ${r.judge.tie} (order-swap inconsistent ${r.judge.inconsistent}, failed ${r.judge.failed}).`);
  for (const w of r.worst) lines.push(`least similar ${w.id} (${w.similarity.toFixed(3)}):\n    old: ${oneLine(w.oldText)}\n    new: ${oneLine(w.newText)}`);
  for (const g of r.verdict.gates) lines.push(`gate ${g.name}: ${g.ok ? c.green('passed') : c.red('MISSED')} — ${g.detail}`);
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
