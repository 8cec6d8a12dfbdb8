/** Printing a sample: the strata table (TTY table, TSV piped, one JSON document with --json) and the cost of replaying it. */
import type { Out } from '../../ui/output.js';
import { printTable } from '../../ui/table.js';
import type { SampleResult } from './sample.js';

const pct = (a: number, b: number) => (b ? `${((a / b) * 100).toFixed(1)}%` : '—');

export function renderSample(r: SampleResult, out: Out): void {
  if (out.mode === 'json') {
    out.json(r);
    return;
  }
  const rows = r.strata.map((s) => [...s.values, s.population, pct(s.population, r.population), s.sample, pct(s.sample, r.sample), s.weight === null ? '—' : s.weight.toFixed(2)]);
  rows.push([...r.by.map((_, i) => (i === 0 ? 'total' : '')), r.population, '100.0%', r.sample, '100.0%', r.sample ? (r.population / r.sample).toFixed(2) : '—']);
  printTable(out, [...r.by.map((k) => ({ header: k })), { header: 'population', align: 'right' as const }, { header: 'share', align: 'right' as const }, { header: 'sample', align: 'right' as const }, { header: 'share', align: 'right' as const }, { header: 'weight', align: 'right' as const }], rows);
  const notes = [
    `sampled ${r.sample} of ${r.population} requests in ${r.strata.length} strata (by ${r.by.join(', ')}, at least ${r.minPerStratum} per stratum where available, seed ${r.seed}) into ${r.out}.`,
    `replay cost (est., per provider): sample $${r.cost.sampleUSD} vs whole file $${r.cost.populationUSD}${r.cost.unpriced.length ? ` (no price: ${r.cost.unpriced.join(', ')})` : ''}.`,
  ];
  if (r.duplicates) notes.push(`${r.duplicates} request(s) with an id already seen (overlapping files?) were counted once.`);
  if (r.badLines) notes.push(`${r.badLines} bad traffic line(s) skipped (--strict stops at the first).`);
  for (const [ep, n] of Object.entries(r.skippedEndpoints)) notes.push(`${n} ${ep} request(s) are not chat completions and were left out.`);
  if (out.mode === 'table') {
    out.line();
    for (const l of notes) out.line(l);
  } else for (const l of notes) out.info(l);
}
