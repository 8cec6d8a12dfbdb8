/** The self-contained HTML report of a bench run. */
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RuntimeError, UsageError } from '../../errors.js';
import { moveIntoPlace, tempBeside, writeNew } from '../atomic.js';
import { wordDiff } from '../../core/quality/diff.js';
import { cdfSvg, esc, histogramSvg, type Series } from './svg.js';
import { REPORT_CSS } from './style.js';

/** Everything the report shows; strings are pre-formatted by the caller. */
export interface ReportData {
  title: string;
  generatedAt: string;
  /** Provider names. */
  old: string;
  new: string;
  summaryRows: Array<{ metric: string; old: string; new: string; delta: string; ci?: string; better?: 'old' | 'new' | null }>;
  /** e.g. ttft, e2e, tpot, itl (ms) for CDF + histogram. */
  samples: Record<string, { old: number[]; new: number[]; unit: string }>;
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

function betterCell(b: 'old' | 'new' | null | undefined, data: ReportData): string {
  if (b === 'new') return `<td class="better-new">▲ ${esc(data.new)} better</td>`;
  if (b === 'old') return `<td class="better-old">▼ ${esc(data.old)} better</td>`;
  return '<td class="same">— no clear difference</td>';
}

function summary(data: ReportData): string {
  const hasCi = data.summaryRows.some((r) => r.ci);
  const rows = data.summaryRows
    .map((r) => `<tr><th scope="row">${esc(r.metric)}</th><td>${esc(r.old)}</td><td>${esc(r.new)}</td><td>${esc(r.delta)}</td>${hasCi ? `<td>${esc(r.ci ?? '')}</td>` : ''}${betterCell(r.better, data)}</tr>`)
    .join('\n');
  return `<table class="summary"><thead><tr><th scope="col">Metric</th><th scope="col">old: ${esc(data.old)}</th><th scope="col">new: ${esc(data.new)}</th><th scope="col">Δ (new − old)</th>${hasCi ? '<th scope="col">95% CI of Δ</th>' : ''}<th scope="col">Verdict</th></tr></thead>
<tbody>${rows || `<tr><td colspan="${hasCi ? 6 : 5}">No metrics.</td></tr>`}</tbody></table>`;
}

function charts(data: ReportData): string {
  const keys = Object.keys(data.samples);
  if (keys.length === 0) return '<p>No latency samples were recorded.</p>';
  return keys
    .map((k) => {
      const s = data.samples[k]!;
      const series: Series[] = [
        { name: `old: ${data.old}`, values: s.old, colour: '#1b5fa8', dash: '0', fill: '#1b5fa8' },
        { name: `new: ${data.new}`, values: s.new, colour: '#d95f02', dash: '7 4', fill: 'url(#hatch)' },
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
<body><header><h1>${esc(data.title)}</h1><p class="meta">old: <b>${esc(data.old)}</b> · new: <b>${esc(data.new)}</b> · generated ${esc(data.generatedAt)}</p></header>
<main><section><h2>Summary</h2>${summary(data)}</section>
${notes}
${data.embeddingRows?.length ? `<section><h2>Embeddings</h2>${summary({ ...data, summaryRows: data.embeddingRows })}</section>` : ''}
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
