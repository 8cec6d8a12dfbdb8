/** Printing a pull: what is in the file, what was skipped and why, and how the requests were rebuilt. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import type { PullResult } from './pull.js';

const STOP: Record<PullResult['stoppedBy'], string> = {
  end: 'the list ended',
  limit: 'reached --limit',
  since: 'reached --since',
  complete: 'the file already holds a finished pull (--restart pulls again)',
};

export function renderPull(r: PullResult, out: Out): void {
  if (out.mode === 'json') {
    out.json(r);
    return;
  }
  const rows: Array<[string, string]> = [
    ['file', r.out],
    ['provider', r.provider],
    ['completions in file', String(r.inFile)],
    ['pulled now', `${r.pulled}${r.resumedFrom ? ` (resumed after ${r.resumedFrom})` : ''}`],
  ];
  for (const [why, n] of Object.entries(r.skipped).sort((a, b) => b[1] - a[1])) rows.push([`skipped: ${why}`, String(n)]);
  rows.push(['stopped', STOP[r.stoppedBy]]);
  if (r.stoppedBy !== 'complete' && r.stoppedBy !== 'limit' || r.pulled) rows.push(['rate', `${r.ratePerS.toFixed(1)} completions/s (pulled and skipped)`]);
  printTable(out, [{ header: 'pull' }, { header: 'value' }], rows);
  if (r.droppedPartialLine) out.warn(`${r.out} ended in a half-written line (an interrupted earlier run); it was cut off and that completion pulled again.`);
  if (out.quiet) return;
  out.info('\nrequests rebuilt from stored completions (the list does not return every request parameter):');
  for (const [field, how] of Object.entries(r.rebuilt)) out.info(`  ${field}: ${how}`);
  if (r.inFile) out.info(`\nnext: holy traffic sample ${r.out} --n ${Math.min(500, Math.max(1, Math.round(r.inFile / 10)))} --out sample.jsonl, or holy bench ${r.out} --old recorded --new holysheep`);
}
