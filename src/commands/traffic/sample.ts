/** `holy traffic sample`: read the traffic once to form strata, allocate and draw, read again to write the drawn requests. */
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { Invocation } from '../kit.js';
import type { Out } from '../../ui/output.js';
import { readTraffic } from '../../adapters/traffic/read.js';
import type { TrafficItem, TrafficStats } from '../../adapters/traffic/types.js';
import { LineFile } from '../../adapters/results-writer.js';
import { loadPriceTable } from '../../adapters/prices.js';
import { countRequestTokens } from '../../core/tokens.js';
import { outputEstimate, providerPlan, type ModelUse } from '../../core/bench/plan.js';
import { metaLine, type SampleHeader } from '../../core/traffic/meta.js';
import { recordedLine } from '../../core/traffic/line.js';
import { allocate, LENGTH_BUCKETS, selectionKey, smallest, stratumValues } from '../../core/traffic/sample.js';
import { startProgress } from '../../ui/progress.js';
import { printable } from '../../core/traffic/printable.js';
import { parseSampleOptions, type SampleFlags, type SampleOptions } from './sample-options.js';
import { renderSample } from './sample-render.js';

export interface StratumRow {
  values: string[];
  population: number;
  sample: number;
  /** Requests of the population each sampled one stands for. */
  weight: number | null;
}

export interface SampleResult {
  out: string;
  files: TrafficStats['files'];
  by: SampleOptions['by'];
  seed: number;
  minPerStratum: number;
  population: number;
  sample: number;
  strata: StratumRow[];
  cost: { sampleUSD: string; populationUSD: string; unpriced: string[]; note: string };
  duplicates: number;
  badLines: number;
  skippedEndpoints: Record<string, number>;
}

/** Output tokens of a request: the recorded usage when there is one, else bench's estimate. */
function outputTokens(it: TrafficItem): number {
  const u = (it.recorded?.body as { usage?: { completion_tokens?: unknown } } | undefined)?.usage?.completion_tokens;
  return typeof u === 'number' && Number.isFinite(u) ? u : outputEstimate(it.body);
}

/** Pass 1's findings: per unique request its stratum, selection key and token counts (never the request itself). */
interface Population {
  first: ReturnType<typeof readTraffic>;
  strata: Map<string, { values: string[]; members: number[] }>;
  /** Per item read, its stratum key ('' for a duplicate id). */
  itemStratum: string[];
  keys: number[];
  model: string[];
  prompt: number[];
  output: number[];
  duplicates: number;
}

async function readPopulation(o: SampleOptions, ctx: Ctx, out: Out): Promise<Population> {
  const progress = await startProgress(ctx, out, 'reading traffic…', 2000);
  // Pass 1: per request its stratum, key and token counts (a few numbers each, never the request itself).
  const first = readTraffic(ctx, o.files, { strict: o.strict });
  const pop: Population = { first, strata: new Map(), itemStratum: [], keys: [], model: [], prompt: [], output: [], duplicates: 0 };
  const { strata, itemStratum, keys } = pop;
  const ids = new Set<string>();
  let seen = 0;
  for await (const it of first.items) {
    seen++;
    if (ids.has(it.id)) {
      pop.duplicates++;
      itemStratum.push('');
      continue;
    }
    ids.add(it.id);
    const p = countRequestTokens(it.body);
    const values = stratumValues(o.by, { model: it.body.model, stream: it.body.stream === true, promptTokens: p });
    const k = JSON.stringify(values);
    let s = strata.get(k);
    if (!s) strata.set(k, (s = { values, members: [] }));
    s.members.push(keys.length);
    itemStratum.push(k);
    keys.push(selectionKey(o.seed, it.id));
    pop.model.push(it.body.model);
    pop.prompt.push(p);
    pop.output.push(outputTokens(it));
    if (seen % 1000 === 0) progress.update(`read ${seen} requests…`);
  }
  progress.done();
  return pop;
}

/** Per model, the requests and tokens of the picked members of the population. */
function uses(pop: Population, pick: (i: number) => boolean): ModelUse[] {
  const { model, prompt, output } = pop;
  const by = new Map<string, ModelUse>();
  for (let i = 0; i < pop.keys.length; i++) {
    if (!pick(i)) continue;
    const u = by.get(model[i]!) ?? { model: model[i]!, requests: 0, promptTokens: 0, outputTokens: 0 };
    u.requests++;
    u.promptTokens += prompt[i]!;
    u.outputTokens += output[i]!;
    by.set(model[i]!, u);
  }
  return [...by.values()];
}

export async function run(o: SampleOptions, ctx: Ctx, out: Out): Promise<SampleResult> {
  const outPath = resolve(ctx.cwd, o.out);
  if (o.files.some((f) => resolve(ctx.cwd, f) === outPath)) throw new UsageError(`--out ${o.out} is also an input file; write the sample to another file.`);
  const table = await loadPriceTable(ctx, o.prices);
  const pop = await readPopulation(o, ctx, out);
  const { first, strata, keys, duplicates } = pop;
  const population = keys.length;
  if (population === 0) throw new UsageError(`no chat-completion requests found in ${o.files.join(', ')}; give holy results, Batch input, chat JSONL or HAR files.`);
  const list = [...strata.values()].sort((a, b) => b.members.length - a.members.length || JSON.stringify(a.values).localeCompare(JSON.stringify(b.values)));
  const al = allocate(list.map((s) => s.members.length), o.n, o.minPerStratum);
  if ('problem' in al) {
    throw new UsageError(`--n ${o.n} is too small for ${list.length} strata with --min-per-stratum ${o.minPerStratum} (the minimums alone need ${al.needed}); raise --n, lower --min-per-stratum, or stratify by fewer keys with --by.`);
  }
  const chosen = new Set<number>();
  list.forEach((s, i) => smallest(keys, s.members, al.alloc[i]!).forEach((x) => chosen.add(x)));
  const popPlan = providerPlan('population', uses(pop, () => true), table, (m) => m);
  const samplePlan = providerPlan('sample', uses(pop, (i) => chosen.has(i)), table, (m) => m);
  const rows: StratumRow[] = list.map((s, i) => ({ values: s.values, population: s.members.length, sample: al.alloc[i]!, weight: al.alloc[i] ? s.members.length / al.alloc[i]! : null }));
  const header: SampleHeader = {
    kind: 'traffic-sample', version: 1, from: o.files, by: o.by, seed: o.seed, minPerStratum: o.minPerStratum, population, sample: chosen.size,
    strata: rows.map((r) => ({ key: r.values.join(' · '), population: r.population, sample: r.sample })),
    lengthBuckets: LENGTH_BUCKETS.map((b) => b.label),
    costUSD: { sample: samplePlan.costUSD, population: popPlan.costUSD, unpriced: popPlan.unpriced.map((m) => printable(m, 80)) },
  };
  await writeSample(o, ctx, header, pop.itemStratum, chosen, (k) => rows[list.findIndex((s) => JSON.stringify(s.values) === k)]!);
  return {
    out: o.out, files: first.stats.files, by: o.by, seed: o.seed, minPerStratum: o.minPerStratum, population, sample: chosen.size, strata: rows,
    cost: { sampleUSD: samplePlan.costUSD, populationUSD: popPlan.costUSD, unpriced: popPlan.unpriced.map((m) => printable(m, 80)), note: 'per provider replayed: local prompt token counts, recorded completion tokens (else max_tokens or 256), built-in or --prices table' },
    duplicates, badLines: first.stats.problems.length, skippedEndpoints: first.stats.skippedEndpoints,
  };
}

/** Pass 2: the drawn requests, in file order, with their recorded responses. */
async function writeSample(o: SampleOptions, ctx: Ctx, header: SampleHeader, itemStratum: string[], chosen: Set<number>, rowOf: (stratum: string) => StratumRow): Promise<void> {
  const file = await LineFile.open(ctx.cwd, o.out, '--out');
  try {
    await file.write(metaLine(header));
    const second = readTraffic(ctx, o.files, { strict: o.strict });
    let idx = -1;
    let uniq = -1;
    for await (const it of second.items) {
      idx++;
      if (itemStratum[idx] === '') continue;
      uniq++;
      if (!chosen.has(uniq)) continue;
      const row = rowOf(itemStratum[idx]!);
      const rec = it.recorded;
      const line = recordedLine(
        {
          id: it.id, provider: 'recorded', file: it.file, line: it.line, pair: file.lines - 1, request: it.body,
          ...(it.recordedAt !== undefined ? { at: it.recordedAt } : {}),
          ...(rec ? { response: { status: rec.status, ...(rec.body !== undefined ? { body: rec.body } : {}), ...(rec.error ? { error: rec.error } : {}) } } : {}),
          ...(rec?.ttftMs !== undefined ? { ttftMs: rec.ttftMs } : {}),
          ...(rec?.e2eMs !== undefined ? { e2eMs: rec.e2eMs } : {}),
        },
        { sample: { stratum: row.values.join(' · '), weight: row.weight } },
      );
      await file.write(JSON.stringify(line));
    }
    await file.close();
  } catch (e) {
    await file.discard();
    throw e;
  }
}

export default async function sample(inv: Invocation<SampleFlags>): Promise<void> {
  const files = (inv.args[0] as string[] | undefined) ?? [];
  const o = parseSampleOptions(files, inv.opts);
  const r = await run(o, inv.ctx, inv.out);
  renderSample(r, inv.out);
}
