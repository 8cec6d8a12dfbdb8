/** The top of the HTML report: SIMULATED stripe, the decision banner with its reasons, and the run header. */
import { esc } from './svg.js';

/** The verdict as the report shows it (pre-formatted by the caller). */
export interface ReportVerdict {
  decision: 'go' | 'no-go' | 'inconclusive';
  /** The decision in one sentence. */
  headline: string;
  reasons: Array<{ severity: 'block' | 'unsure' | 'warn' | 'good' | 'info'; text: string }>;
  /** Set when either side is holy mock: shown above everything. */
  simulated?: string;
}

const WORD = { go: 'GO', 'no-go': 'NO-GO', inconclusive: 'INCONCLUSIVE' } as const;
const ICON = { go: '✓', 'no-go': '✗', inconclusive: '?' } as const;
const MARK = { block: '✗', unsure: '?', warn: '!', good: '✓', info: '·' } as const;
const SEVERITY = { block: 'against', unsure: 'unsettled', warn: 'caution', good: 'for', info: 'note' } as const;
/** Reasons shown in the banner; the rest fold into a <details> (no script needed). */
const SHOWN = 5;

/** The SIMULATED stripe (or nothing). */
export function simulatedStripe(text: string | undefined): string {
  return text ? `<p class="simulated" role="note"><strong>SIMULATED</strong> ${esc(text.replace(/^SIMULATED:\s*/, ''))}</p>` : '';
}

/** The decision banner: the word, an icon and a border style per decision, so it reads without colour. */
export function banner(v: ReportVerdict): string {
  const li = (r: ReportVerdict['reasons'][number]) => `<li class="sev-${r.severity}"><span class="mark" aria-hidden="true">${MARK[r.severity]}</span><span class="sev">${SEVERITY[r.severity]}</span> ${esc(r.text)}</li>`;
  // Info lines explain; they never decide, so they wait behind the fold unless there is room.
  const main = v.reasons.filter((r) => r.severity !== 'info');
  const top = (main.length ? main : v.reasons).slice(0, SHOWN);
  const rest = v.reasons.filter((r) => !top.includes(r));
  const headline = v.headline.replace(/^(GO|NO-GO|INCONCLUSIVE):\s*/, '').replace(/\s*\[SIMULATED[^\]]*\]$/, '');
  return `<section class="verdict verdict-${v.decision}" aria-label="decision"><p class="decision"><span class="icon" aria-hidden="true">${ICON[v.decision]}</span><strong>${WORD[v.decision]}</strong> <span class="what">${esc(headline)}</span></p>
<ol class="reasons">${top.map(li).join('')}</ol>${rest.length ? `<details><summary>${rest.length} more reason(s)</summary><ol class="reasons">${rest.map(li).join('')}</ol></details>` : ''}</section>`;
}

/** The run header: old/new names and hosts, load, seed, warm-up, traffic, times, version. */
export function runHeader(lines: Array<[string, string]>): string {
  if (!lines.length) return '';
  return `<dl class="run">${lines.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}
