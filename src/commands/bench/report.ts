/** --html: the ReportData for the self-contained report, from the run's samples and summary. */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { writeHtmlReport, type ReportData } from '../../adapters/report/html.js';
import { summaryRows } from '../../core/bench/rows.js';
import { compactRows, withVerdictNotes } from '../../core/bench/compact.js';
import { headline } from '../../core/bench/verdict.js';
import { headerLines, simulatedText } from '../../core/bench/header.js';
import { embeddingRows } from '../../core/bench/embedding-rows.js';
import type { Samples } from '../../core/bench/samples.js';
import type { BenchResult } from './run.js';
import type { Side } from './provider.js';

/** At most `max` evenly spaced order statistics: the CDF keeps its shape, the file stays small. */
function thin(s: Samples, max = 1000): number[] {
  const n = s.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => s.rank(i));
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(s.rank(Math.round((i * (n - 1)) / (max - 1))));
  return out;
}

export async function writeReport(ctx: Ctx, file: string, r: BenchResult, oldSide: Side, newSide: Side, p99First: boolean): Promise<void> {
  const s = r.summary;
  const samples: ReportData['samples'] = {};
  for (const [k, get] of [['ttfb', (x: Side) => x.stats.ttfb], ['ttft', (x: Side) => x.stats.ttft], ['e2e', (x: Side) => x.stats.e2e], ['tpot', (x: Side) => x.stats.tpot], ['itl', (x: Side) => x.stats.itl]] as const) {
    if (get(oldSide).length || get(newSide).length) samples[k] = { old: thin(get(oldSide)), new: thin(get(newSide)), unit: 'ms', n: { old: get(oldSide).length, new: get(newSide).length } };
  }
  const errors: ReportData['errors'] = [];
  for (const p of [s.old, s.new]) for (const [cls, count] of Object.entries(p.errors)) errors.push({ provider: p.name, class: cls, count });
  const notes = [...s.flags, ...r.verdict.gates.map((g) => `gate ${g.name}: ${g.ok ? 'passed' : 'MISSED'} — ${g.detail}`)];
  if (r.plan.mapping.length) notes.push(`model mapping: ${r.plan.mapping.map((m) => `${m.from} → ${m.to} (${m.why})`).join(', ')}`);
  if (r.plan.population) notes.push(r.plan.population);
  if (r.embeddings) notes.push(...r.embeddings.flags);
  if (r.interrupted) notes.push('interrupted: the figures cover the pairs finished before Ctrl-C.');
  const v = r.verdict;
  await writeHtmlReport(resolve(ctx.cwd, file), {
    title: `holy bench: ${s.old.name} vs ${s.new.name}${v.simulated ? ' (SIMULATED)' : ''}`,
    generatedAt: new Date(ctx.now()).toISOString(),
    old: s.old.name,
    new: s.new.name,
    verdict: { decision: v.decision, headline: headline(v, s.old.name, s.new.name), reasons: v.checks.map((c) => ({ severity: c.severity, text: c.reason })), ...(v.simulated ? { simulated: simulatedText(r.run) } : {}) },
    header: headerLines(r.run),
    compactRows: compactRows(s, r.cost, v, p99First),
    summaryRows: withVerdictNotes(summaryRows(s, p99First), v),
    ...(r.embeddings ? { embeddingRows: embeddingRows(r.embeddings, s.percentiles) } : {}),
    samples,
    errors,
    leastSimilar: r.worst,
    notes,
  });
}
