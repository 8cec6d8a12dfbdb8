/** `holy bench`: scan traffic → plan and cost guard → keys → paired replay → summary, files, gates. */
import type { Ctx } from '../../context.js';
import { CheckFailed, Interrupted, UsageError } from '../../errors.js';
import type { Invocation } from '../kit.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { loadProviders, type Providers } from '../../adapters/profiles.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { checkKeyHost, keyHygiene, refuseControlInKey } from '../../core/keys.js';
import { makeHttp } from '../../adapters/http.js';
import { loadPriceTable } from '../../adapters/prices.js';
import { scanTraffic, type Scan } from './scan.js';
import { populationOf } from '../../core/traffic/population.js';
import { planEmbeddings, runEmbeddings, type EmbeddingsPlan } from './embeddings.js';
import type { EmbeddingItem } from '../../adapters/traffic/embeddings.js';
import type { EmbeddingsSummary } from '../../core/bench/embeddings.js';
import { parseBenchOptions, type BenchFlags, type BenchOptions } from '../../core/bench/options.js';
import { perItemCostUSD } from '../../core/bench/plan.js';
import type { PriceTable } from '../../core/prices.js';
import { checkCost, priceBench, type BenchPlan, type Pricing } from './plan.js';
import { Breaker, MinuteLimiter } from '../../core/bench/limits.js';
import { ProviderStats } from '../../core/bench/metrics.js';
import { summarise, type BenchSummary } from '../../core/bench/summary.js';
import { checkOutputPath, CsvFile, LineFile } from '../../adapters/results-writer.js';
import { CSV_COLUMNS } from '../../core/bench/record.js';
import { checkRecorded, listSides } from './preflight.js';
import type { SideCost } from '../../core/bench/cost.js';
import type { Verdict } from '../../core/bench/verdict.js';
import type { RunHeader } from '../../core/bench/header.js';
import { conclude } from './conclude.js';
import { startProgress } from '../../ui/progress.js';
import { runEngine, type WorstPair } from './engine.js';
import { startPairWork, type PairWork } from './offload.js';
import { jobs, progressLine } from './jobs.js';
import type { Side } from './provider.js';
import { makeJudge, type JudgeTally } from './judge.js';
import { writeReport } from './report.js';
import { renderPlan, renderResult } from './render.js';

export type { BenchPlan } from './plan.js';

export interface BenchResult {
  /** The decision and its reasons: what every output leads with. */
  verdict: Verdict;
  /** Who was compared, how and when. */
  run: RunHeader;
  plan: BenchPlan;
  summary: BenchSummary;
  /** Per 1,000 successful requests at list prices (absent when nothing was priced). */
  cost: { old?: SideCost; new?: SideCost };
  worst: WorstPair[];
  judge?: JudgeTally;
  interrupted: boolean;
  dropped: number;
  written: string[];
  embeddings?: EmbeddingsSummary;
}

/** One streaming pass (in a worker) to count items and estimate tokens, before anything is sent. */
async function scan(ctx: Ctx, o: BenchOptions, table: PriceTable): Promise<{ sc: Scan; emb: Prepared['emb'] }> {
  const sc = await scanTraffic(ctx, { files: o.files, strict: o.strict, needTimestamps: o.load.kind === 'replay', keepRecorded: o.oldRecorded, ...(o.newRecorded ? { keepRecordedNew: true } : {}) });
  // The chat reader counts /embeddings requests as skipped endpoints: only then are the files read again for them.
  const hasEmbeddings = Object.keys(sc.stats.skippedEndpoints).some((k) => /^POST \S*\/embeddings\b/.test(k));
  // --new recorded compares chat pairs only: a recording keeps no embedding vectors to compare.
  const emb = hasEmbeddings && !o.newRecorded ? await planEmbeddings(ctx, o.files, table, { old: !o.oldRecorded }, (m) => o.modelMap.get(m) ?? m) : { items: [], tokens: [], plan: undefined };
  if (sc.prompt.length === 0 && emb.items.length === 0) {
    const p = sc.stats.problems;
    const why = p.length ? ` (${p.length} bad line(s), first: ${p[0]!.file}:${p[0]!.line}: ${p[0]!.reason})` : '';
    throw new UsageError(`no chat-completion requests found in ${o.files.join(', ')}${why}; give Batch input, chat JSONL, holy results or HAR files.`);
  }
  return { sc, emb };
}

async function liveKey(prov: Providers, p: Profile, force: boolean, flag: string): Promise<string> {
  const k = await prov.key(p);
  if (!k.raw) throw new UsageError(`no key for provider ${p.name} (${flag}): set ${p.apiKeyEnv ?? 'its key variable'} in the environment or an --env-file, or pass --key-file ${p.name}=PATH.`);
  const key = keyHygiene(k.raw).cleaned;
  refuseControlInKey(key, k.source);
  const v = checkKeyHost(key, p.baseURL, p.keyPatterns);
  if (!v.ok && !force) throw new UsageError(`refusing to send: for provider ${p.name} (${flag}), ${v.reason} (key from ${k.source}).`, `${v.fix}.`);
  return key;
}

function makeSide(role: 'old' | 'new', name: string, o: BenchOptions, live: Side['live']): Side {
  return { role, name, live, limiter: new MinuteLimiter(o.rpm, o.tpm), breaker: new Breaker(o.abortAfter), stats: new ProviderStats(name, role, !live), sent: 0 };
}

/** The providers and the traffic, read and priced before anything is sent. */
interface Prepared {
  prov: Providers;
  oldP?: Profile;
  /** undefined with --new recorded. */
  newP?: Profile;
  table: PriceTable;
  sc: Scan;
  pricing: Pricing;
  /** /v1/embeddings requests (replayed after the chat pairs by ./embeddings.ts). */
  emb: { items: EmbeddingItem[]; tokens: number[]; plan: EmbeddingsPlan | undefined };
}

async function prepare(o: BenchOptions, ctx: Ctx, g: GlobalOpts, out: Out): Promise<Prepared> {
  const prov = await loadProviders(ctx, g);
  const oldP = o.oldRecorded ? undefined : pickProfile(prov, o.old ?? prov.old, '--old');
  const newP = o.newRecorded ? undefined : pickProfile(prov, o.new ?? prov.new, '--new');
  if (oldP && newP && oldP.name === newP.name) throw new UsageError(`--old and --new both name ${newP.name}; compare two different providers (or --old recorded).`);
  const table = await loadPriceTable(ctx, o.prices);
  const { sc, emb } = await scan(ctx, o, table);
  checkRecorded(sc, o, out);
  const bad = sc.stats.problems;
  if (bad.length && !o.dryRun) {
    out.warn(`${bad.length} bad traffic line(s) skipped, first ${bad[0]!.file}:${bad[0]!.line}: ${bad[0]!.reason} (--strict stops at the first; --dry-run lists them).`);
    for (const x of bad) out.debug(`skipped ${x.file}:${x.line}: ${x.reason}`);
  }
  const population = populationOf(sc.stats.meta);
  const extras = { ...(population ? { population } : {}), ...(emb.plan && emb.items.length ? { embeddings: emb.plan } : {}) };
  return { prov, ...(oldP ? { oldP } : {}), ...(newP ? { newP } : {}), table, sc, emb, pricing: priceBench(o, sc, table, oldP?.name, newP?.name, extras) };
}

/** Both sides connected, the model mapping decided from the new provider's list, and the run's plan. */
interface Opened {
  oldSide: Side;
  newSide: Side;
  plan: BenchPlan;
  mapModel(m: string): string;
  /** Which sides answered GET /models as holy mock. */
  simulated: { old: boolean; new: boolean };
  close(): Promise<void>;
}

/** Side names for --old recorded --new recorded: "official (recorded)", or old/new when a line names no provider (or both name the same). */
function recordedNames(by: { old?: string; new?: string }): { old: string; new: string } {
  const same = !by.old || !by.new || by.old === by.new;
  return { old: `${same ? 'old' : by.old} (recorded)`, new: `${same ? 'new' : by.new} (recorded)` };
}

async function openSides(o: BenchOptions, ctx: Ctx, out: Out, p: Prepared): Promise<Opened> {
  const { prov, oldP, newP } = p;
  const timeout = (pr: Profile) => o.timeoutMs ?? pr.timeoutMs;
  // Both keys are checked before any connection is opened: a refused key sends nothing anywhere.
  const keyOld = oldP ? await liveKey(prov, oldP, o.force, '--old') : undefined;
  const keyNew = newP ? await liveKey(prov, newP, o.force, '--new') : undefined;
  const conn = o.load.kind === 'closed' ? o.load.concurrency + 2 : 64;
  const mk = (pr: Profile, key: string) => ({ baseURL: pr.baseURL.trim(), key, headers: pr.headers, http: makeHttp(ctx, conn ? { connections: conn } : {}), timeoutMs: timeout(pr), untrusted: prov.untrusted, ...(pr.maxResponseBytes ? { maxBytes: pr.maxResponseBytes } : {}) });
  const liveNew = newP ? mk(newP, keyNew!) : null;
  const liveOld = oldP ? mk(oldP, keyOld!) : null;
  const close = async () => {
    await liveOld?.http.close();
    await liveNew?.http.close();
  };
  const listed = await listSides(ctx, out, [...(oldP && liveOld ? [{ role: 'old' as const, profile: oldP, live: liveOld }] : []), ...(newP && liveNew ? [{ role: 'new' as const, profile: newP, live: liveNew }] : [])], prov.untrusted);
  const plan = p.pricing.after(listed.served);
  const mapTo = new Map(plan.mapping.map((m) => [m.from, m.to]));
  for (const u of [...('unpriced' in plan.new ? plan.new.unpriced : []), ...('unpriced' in plan.old ? plan.old.unpriced : [])]) out.warn(`no price for model ${u}: its cost is not in the estimate (add it with --prices FILE).`);
  const newName = newP?.name ?? 'recorded';
  for (const m of plan.mapping) out.info(`model map: ${m.from} → ${m.to} on ${newName} (${m.why === 'flag' ? '--model-map' : `${newName} does not list ${m.from}`})`);
  // --new recorded: each side is named after the provider its lines name, so the summary says who was compared.
  const by = o.newRecorded ? p.sc.recordedBy : undefined;
  const names = by ? recordedNames(by) : undefined;
  const oldSide = makeSide('old', names?.old ?? oldP?.name ?? 'recorded', o, liveOld);
  const newSide = makeSide('new', names?.new ?? newName, o, liveNew);
  // Known before the first send, so every results line of a simulated side carries the marker.
  oldSide.simulated = listed.simulated.old;
  newSide.simulated = listed.simulated.new;
  return { oldSide, newSide, plan, mapModel: (m) => mapTo.get(m) ?? m, simulated: listed.simulated, close };
}

/** Open the result files and the judge, replay, summarise, write the report. */
async function measure(o: BenchOptions, ctx: Ctx, out: Out, p: Prepared, s: Opened, work: PairWork): Promise<BenchResult> {
  const { oldSide, newSide, plan, mapModel } = s;
  const written: string[] = [];
  let outFile: LineFile | undefined;
  let csvFile: CsvFile | undefined;
  let judge: Awaited<ReturnType<typeof makeJudge>> | undefined;
  try {
    // The report is written after the run: check its path now, before anything is spent.
    if (o.html) await checkOutputPath(ctx.cwd, o.html, '--html');
    if (o.out) outFile = await LineFile.open(ctx.cwd, o.out, '--out');
    if (o.csv) csvFile = await CsvFile.open(ctx.cwd, o.csv, '--csv', CSV_COLUMNS);
    if (o.judge) judge = await makeJudge(ctx, p.prov, o, (pr, f) => liveKey(p.prov, pr, o.force, f));
    // Before the first send: the encodings of the mapped models too (usually the same ones).
    if (mayCount(o, p.sc)) await work.preload(p.sc.models.map(mapModel));
    const measured = o.requests ?? (plan.perPass ? Infinity : plan.items);
    const progress = await startProgress(ctx, out, `bench: ${oldSide.name} vs ${newSide.name}…`, 2000);
    let last = 0;
    const t0 = ctx.clock();
    const startedAt = ctx.now();
    // Only an open-ended --duration run can spend more than the plan that was checked.
    const budget = plan.perPass && !o.yes ? { cost: perItemCostUSD(p.sc, p.table, [...(p.oldP ? [(m: string) => m] : []), ...(p.newP ? [mapModel] : [])]), max: o.maxCostUSD, out } : undefined;
    const res = await runEngine(ctx, jobs(ctx, o, o.warmup + measured, budget, p.prov.untrusted), oldSide, newSide, {
      load: o.load, warmup: o.warmup, ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}), retries: o.retries, slo: o.slo, stream: o.stream, mapModel,
      promptLocal: p.sc.prompt, outputEst: p.sc.output, showWorst: o.showWorst, ...(outFile ? { out: outFile } : {}), ...(csvFile ? { csv: csvFile } : {}),
      ...(judge ? { judge: judge.judge } : {}), work, qualityThreshold: o.qualityThreshold,
      warn: (text) => out.warn(text),
      onProgress: () => {
        // Same rule as startProgress: nothing is shown, so do not sort samples for it.
        if (out.quiet || (out.mode === 'json' && !ctx.stderr.isTTY)) return;
        const now = ctx.clock();
        if (now - last < 250) return;
        last = now;
        progress.update(progressLine(oldSide, newSide, measured, now - t0, o.durationMs));
      },
    });
    progress.done();
    // --model-map names embedding models too; the built-in mapping is for chat models only.
    const embMap = (m: string) => (mapModel(m) !== m ? mapModel(m) : (o.modelMap.get(m) ?? m));
    const embeddings = p.emb.items.length && !ctx.signal.aborted
      ? await runEmbeddings(ctx, oldSide, newSide, { items: p.emb.items, tokens: p.emb.tokens, concurrency: o.load.kind === 'closed' ? o.load.concurrency : 4, percentiles: o.percentiles, table: p.table, mapModel: embMap, ...(outFile ? { out: outFile } : {}) })
      : undefined;
    await judge?.close();
    if (outFile) { await outFile.close(); written.push(o.out!); }
    if (csvFile) { await csvFile.close(); written.push(o.csv!); }
    const quality = res.quality.summary();
    const summary = summarise({
      old: oldSide.stats, new: newSide.stats, pairs: res.pairs, percentiles: o.percentiles, slo: o.slo, warmup: o.warmup, seed: o.seed,
      ...(quality ? { quality } : {}),
      abortedAfter: { ...(oldSide.breaker.open ? { old: oldSide.breaker.openedAfter } : {}), ...(newSide.breaker.open ? { new: newSide.breaker.openedAfter } : {}) },
      gates: { ...(o.p99GateMs !== undefined ? { p99Ms: o.p99GateMs } : {}), ...(o.maxRegressionPct !== undefined ? { maxRegressionPct: o.maxRegressionPct } : {}) },
    });
    const c = conclude({ o, summary, table: p.table, ...(p.oldP ? { oldP: p.oldP } : {}), ...(p.newP ? { newP: p.newP } : {}), listedSimulated: s.simulated, files: p.sc.stats.files, items: plan.items, interrupted: res.interrupted || ctx.signal.aborted, ...(embeddings ? { embeddings } : {}), startedAt, endedAt: ctx.now() });
    const result: BenchResult = { verdict: c.verdict, run: c.run, plan, summary, cost: c.cost, worst: res.worst, ...(judge ? { judge: judge.tally } : {}), interrupted: res.interrupted || ctx.signal.aborted, dropped: res.dropped, written, ...(embeddings ? { embeddings } : {}) };
    if (o.html) {
      await writeReport(ctx, o.html, result, oldSide, newSide, o.p99First);
      written.push(o.html);
    }
    return result;
  } catch (e) {
    await outFile?.discard();
    await csvFile?.discard();
    await judge?.close();
    throw e;
  }
}

/**
 * Whether answers may come back without usage, so the local tokenizer should be loaded before the
 * first send: streams (relays often ignore include_usage). Elsewhere the worker loads it on its
 * first count, on its own thread.
 */
function mayCount(o: BenchOptions, sc: Scan): boolean {
  return o.stream === 'on' || (o.stream === 'as-recorded' && sc.streamed > 0);
}

/** Everything but rendering: read and price, guard the cost, connect, measure. The plan alone for --dry-run. */
export async function run(o: BenchOptions, ctx: Ctx, g: GlobalOpts, out: Out): Promise<{ plan: BenchPlan; result?: BenchResult }> {
  const prepared = await prepare(o, ctx, g, out);
  if (o.dryRun) return { plan: prepared.pricing.before };
  checkCost(o, prepared.pricing);
  // Counting and scoring run on a worker; it starts (and loads the tokenizer, ~70 MB and 120-300 ms,
  // when mayCount) while the keys are checked and the models listed.
  const starting = startPairWork(mayCount(o, prepared.sc) ? prepared.sc.models : []);
  let opened: Opened | undefined;
  try {
    opened = await openSides(o, ctx, out, prepared);
    return { plan: opened.plan, result: await measure(o, ctx, out, prepared, opened, await starting) };
  } finally {
    await (await starting).close();
    await opened?.close();
  }
}

/** The command handler: parse, run, render, then the exit code (gates → 3, Ctrl-C → 130). */
export default async function bench(inv: Invocation<BenchFlags & { modelMap?: string[] }>): Promise<void> {
  const files = (inv.args[0] as string[] | undefined) ?? [];
  const o = parseBenchOptions(files, inv.opts);
  const { plan, result } = await run(o, inv.ctx, inv.g, inv.out);
  if (!result) {
    renderPlan(plan, inv.out);
    return;
  }
  renderResult(result, inv.out, o);
  if (result.interrupted) throw new Interrupted(`interrupted: ${result.summary.pairs} pair(s) measured and written${result.dropped ? `, ${result.dropped} in flight dropped` : ''}.`);
  const failed = result.verdict.gates.filter((x) => !x.ok);
  if (failed.length) throw new CheckFailed(`gate missed: ${failed.map((x) => x.detail).join('; ')}.`);
}

