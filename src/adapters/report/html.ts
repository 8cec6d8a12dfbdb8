/** The self-contained HTML report of a bench run. */
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RuntimeError, UsageError } from '../../errors.js';
import { moveIntoPlace, tempBeside, writeNew } from '../atomic.js';
import { wordDiff } from '../../core/quality/diff.js';
import { cdfSvg, esc, histogramSvg, type Series } from './svg.js';
import { REPORT_CSS } from './style.js';
import { banner, runHeader, simulatedStripe, type ReportVerdict } from './banner.js';

type ReportRow = { metric: string; old: string; new: string; delta: string; ci?: string; better?: 'old' | 'new' | null; n?: string; note?: string };

/** Everything the report shows; strings are pre-formatted by the caller. */
export interface ReportData {
  title: string;
  generatedAt: string;
  /** Provider names. */
  old: string;
  new: string;
  /** The decision, shown as a banner before any table. */
  verdict?: ReportVerdict;
  /** The run header as label/value pairs (names and hosts, load, seed, warm-up, traffic, times, version). */
  header?: Array<[string, string]>;
  /** The compact table shown first (p50/p99, error rate, cost, quality). */
  compactRows?: ReportRow[];
  summaryRows: ReportRow[];
  /** e.g. ttft, e2e, tpot, itl (ms) for CDF + histogram; `n` is the true sample count when the values are thinned. */
  samples: Record<string, { old: number[]; new: number[]; unit: string; n?: { old: number; new: number } }>;
  errors: Array<{ provider: string; class: string; count: number }>;
  leastSimilar: Array<{ id: string; similarity: number; oldText: string; newText: string }>;
  notes: string[];
  /** /v1/embeddings pairs, when the traffic had any (bench's embeddings pass). */
  embeddingRows?: ReportData['summaryRows'];
}

const METRIC_NAMES: Record<string, string> = {
  ttfb: 'TTFB — time to first byte',
  ttft: 'TTFT — time to first token',
  e2e: 'E2E — end-to-end latency',
  itl: 'ITL — inter-token latency',
  tpot: 'TPOT — time per output token',
};

function betterCell(b: 'old' | 'new' | null | undefined, data: ReportData, note?: string): string {
  if (note) return `<td class="${note.startsWith('✗') ? 'better-old' : note.startsWith('✓') ? 'better-new' : 'same'}">${esc(note)}</td>`;
  if (b === 'new') return `<td class="better-new">▲ ${esc(data.new)} better</td>`;
  if (b === 'old') return `<td class="better-old">▼ ${esc(data.old)} better</td>`;
  return '<td class="same">— no clear difference</td>';
}

function summary(data: ReportData, list: ReportRow[], cls = 'summary'): string {
  const hasCi = list.some((r) => r.ci);
  const hasN = list.some((r) => r.n);
  const cols = 5 + (hasCi ? 1 : 0) + (hasN ? 1 : 0);
  const rows = list
    .map((r) => `<tr><th scope="row">${esc(r.metric)}</th><td>${esc(r.old)}</td><td>${esc(r.new)}</td><td>${esc(r.delta)}</td>${hasCi ? `<td>${esc(r.ci ?? '')}</td>` : ''}${hasN ? `<td class="n">${esc(r.n ?? '')}</td>` : ''}${betterCell(r.better, data, r.note)}</tr>`)
    .join('\n');
  return `<div class="scroll"><table class="${cls}"><thead><tr><th scope="col">Metric</th><th scope="col">old: ${esc(data.old)}</th><th scope="col">new: ${esc(data.new)}</th><th scope="col">Δ (new − old)</th>${hasCi ? '<th scope="col">95% CI of Δ</th>' : ''}${hasN ? '<th scope="col">n (old / new)</th>' : ''}<th scope="col">Verdict</th></tr></thead>
<tbody>${rows || `<tr><td colspan="${cols}">No metrics.</td></tr>`}</tbody></table></div>`;
}

function charts(data: ReportData): string {
  const keys = Object.keys(data.samples);
  if (keys.length === 0) return '<p>No latency samples were recorded.</p>';
  return keys
    .map((k) => {
      const s = data.samples[k]!;
      const series: Series[] = [
        { name: `old: ${data.old}`, values: s.old, n: s.n?.old ?? s.old.length, colour: '#1b5fa8', dash: '0', fill: '#1b5fa8' },
        { name: `new: ${data.new}`, values: s.new, n: s.n?.new ?? s.new.length, colour: '#d95f02', dash: '7 4', fill: 'url(#hatch)' },
      ];
      const name = METRIC_NAMES[k] ?? k;
      return `<section class="metric" id="metric-${esc(k)}"><h3>${esc(name)}</h3><div class="charts"><figure>${cdfSvg(`${name}: CDF`, s.unit, series)}<figcaption>Empirical CDF: the share of requests at or under each value (further left is faster).</figcaption></figure>
<figure>${histogramSvg(`${name}: histogram`, s.unit, series)}<figcaption>Histogram: the share of each provider's requests per bin (solid = old, hatched = new).</figcaption></figure></div></section>`;
    })
    .join('\n');
}

function errors(data: ReportData): string {
  if (data.errors.length === 0) return '<p>No errors.</p>';
  const rows = data.errors.map((e) => `<tr><td>${esc(e.provider)}</td><td>${esc(e.class)}</td><td class="num">${e.count}</td></tr>`).join('');
  return `<table class="errors"><thead><tr><th scope="col">Provider</th><th scope="col">Error class</th><th scope="col">Count</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function diffs(data: ReportData): string {
  if (data.leastSimilar.length === 0) return '<p>No pairs to show (quality is compared when both providers answered).</p>';
  return data.leastSimilar
    .map((p) => {
      const parts = wordDiff(p.oldText, p.newText);
      const left = parts.map((d) => (d.op === 'eq' ? esc(d.text) : d.op === 'del' ? `<del>${esc(d.text)}</del>` : '')).join('');
      const right = parts.map((d) => (d.op === 'eq' ? esc(d.text) : d.op === 'ins' ? `<ins>${esc(d.text)}</ins>` : '')).join('');
      return `<section class="pair"><h3>${esc(p.id)} <span class="sim">similarity ${p.similarity.toFixed(2)}</span></h3><div class="sides"><div><h4>old: ${esc(data.old)}</h4><pre>${left || '<em>(empty)</em>'}</pre></div><div><h4>new: ${esc(data.new)}</h4><pre>${right || '<em>(empty)</em>'}</pre></div></div></section>`;
    })
    .join('\n');
}

/** The report as one HTML string: inline CSS and SVG only, no scripts, no external references. */
export function renderHtml(data: ReportData): string {
  const notes = data.notes.length ? `<section><h2>Notes</h2><ul>${data.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title><style>${REPORT_CSS}</style></head>
<body><header>${simulatedStripe(data.verdict?.simulated)}<h1>${esc(data.title)}</h1>${data.header ? '' : `<p class="meta">old: <b>${esc(data.old)}</b> · new: <b>${esc(data.new)}</b> · generated ${esc(data.generatedAt)}</p>`}</header>
<main>${data.verdict ? banner(data.verdict) : ''}${data.header ? runHeader(data.header) : ''}${data.compactRows ? `<section><h2>Summary</h2>${summary(data, data.compactRows, 'summary compact')}</section>` : ''}
<section><h2>${data.compactRows ? 'All metrics' : 'Summary'}</h2>${summary(data, data.summaryRows)}</section>
${notes}
${data.embeddingRows?.length ? `<section><h2>Embeddings</h2>${summary(data, data.embeddingRows)}</section>` : ''}
<section><h2>Latency distributions</h2>${charts(data)}</section>
<section><h2>Errors</h2>${errors(data)}</section>
<section><h2>Least similar answers</h2><p class="legend">Words only in the old answer are <del>struck through</del>; words only in the new answer are <ins>underlined</ins>.</p>${diffs(data)}</section></main>
<footer>Generated by holy bench. This file is self-contained and works offline.</footer></body></html>
`;
}

/** A single self-contained HTML file (inline CSS + inline SVG, no scripts from a CDN, works offline), written atomically. All text HTML-escaped. `file` should be absolute (resolve it against ctx.cwd). */
export async function writeHtmlReport(file: string, data: ReportData): Promise<void> {
  const html = renderHtml(data);
  const tmp = tempBeside(file);
  try {
    await writeNew(tmp, html, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`--html ${file}: the folder ${dirname(file)} does not exist; create it or pick another path.`);
    throw new RuntimeError(`The HTML report ${file} cannot be written (${code ?? (e as Error).message}); pick another path.`);
  }
  try {
    await moveIntoPlace(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new RuntimeError(`The HTML report ${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick another path.`);
  }
}
