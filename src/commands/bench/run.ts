/** `holy bench`: scan traffic → plan and cost guard → keys → paired replay → summary, files, gates. */
import { Decimal } from '../../core/decimal.js';
import type { Ctx } from '../../context.js';
import { CheckFailed, Interrupted, UsageError } from '../../errors.js';
import type { Invocation } from '../kit.js';
import type { GlobalOpts, Out } from '../../ui/output.js';
import { loadProviders, type Providers } from '../../adapters/profiles.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { checkKeyHost, keyHygiene } from '../../core/keys.js';
import { makeHttp } from '../../adapters/http.js';
import { loadPriceTable } from '../../adapters/prices.js';
import type { TrafficStats } from '../../adapters/traffic/types.js';
import { scanTraffic, type Scan } from './scan.js';
import { parseBenchOptions, type BenchFlags, type BenchOptions } from '../../core/bench/options.js';
import { perItemCostUSD, providerPlan, resolveMapping, scaleUses, type MappingEntry, type ProviderPlan } from '../../core/bench/plan.js';
import { Breaker, MinuteLimiter } from '../../core/bench/limits.js';
import { ProviderStats } from '../../core/bench/metrics.js';
import { summarise, type BenchSummary } from '../../core/bench/summary.js';
import { checkOutputPath, CsvFile, LineFile } from '../../adapters/results-writer.js';
import { CSV_COLUMNS } from '../../core/bench/record.js';
import { checkRecorded, listSides } from './preflight.js';
import { sideCost, type SideCost } from '../../core/bench/cost.js';
import { decide, type Verdict } from '../../core/bench/verdict.js';
import { hostOf, loadText, type RunHeader } from '../../core/bench/header.js';
import { VERSION } from '../../version.js';
import { summariseQuality } from '../../core/quality/compare.js';
import { startProgress } from '../../ui/progress.js';
import { runEngine, type WorstPair } from './engine.js';
import { jobs, progressLine } from './jobs.js';
import type { Side } from './provider.js';
import { makeJudge, type JudgeTally } from './judge.js';
import { writeReport } from './report.js';
import { renderPlan, renderResult } from './render.js';

export interface Plan {
  files: TrafficStats['files'];
  skippedEndpoints: Record<string, number>;
  problems: TrafficStats['problems'];
  items: number;
  sends: number;
  warmup: number;
  /** True when --duration without -n: the figures are for one pass over the traffic. */
  perPass: boolean;
  old: ProviderPlan | { name: string; recorded: true };
  new: ProviderPlan;
  totalCostUSD: string;
  maxCostUSD: number;
  mapping: MappingEntry[];
  mappingNote?: string;
  load: BenchOptions['load'];
}

export interface BenchResult {
  /** The decision and its reasons: what every output leads with. */
  verdict: Verdict;
  /** Who was compared, how and when. */
  run: RunHeader;
  plan: Plan;
  summary: BenchSummary;
  /** Per 1,000 successful requests at list prices (absent when nothing was priced). */
  cost: { old?: SideCost; new?: SideCost };
  worst: WorstPair[];
  judge?: JudgeTally;
  interrupted: boolean;
  dropped: number;
  written: string[];
}

/** One streaming pass (in a worker) to count items and estimate tokens, before anything is sent. */
async function scan(ctx: Ctx, o: BenchOptions): Promise<Scan> {
  const sc = await scanTraffic(ctx, { files: o.files, strict: o.strict, needTimestamps: o.load.kind === 'replay', keepRecorded: o.oldRecorded });
  if (sc.prompt.length === 0) {
    const p = sc.stats.problems;
    const why = p.length ? ` (${p.length} bad line(s), first: ${p[0]!.file}:${p[0]!.line}: ${p[0]!.reason})` : '';
    throw new UsageError(`no chat-completion requests found in ${o.files.join(', ')}${why}; give Batch input, chat JSONL, holy results or HAR files.`);
  }
  return sc;
}

async function liveKey(prov: Providers, p: Profile, force: boolean, flag: string): Promise<string> {
  const k = await prov.key(p);
  if (!k.raw) throw new UsageError(`no key for provider ${p.name} (${flag}): set ${p.apiKeyEnv ?? 'its key variable'} in the environment or an --env-file, or pass --key-file ${p.name}=PATH.`);
  const key = keyHygiene(k.raw).cleaned;
  const v = checkKeyHost(key, p.baseURL, p.keyPatterns);
  if (!v.ok && !force) throw new UsageError(`refusing to send: for provider ${p.name} (${flag}), ${v.reason} (key from ${k.source}).`, `${v.fix}.`);
  return key;
}

function makeSide(role: 'old' | 'new', name: string, o: BenchOptions, live: Side['live']): Side {
  return { role, name, live, limiter: new MinuteLimiter(o.rpm, o.tpm), breaker: new Breaker(o.abortAfter), stats: new ProviderStats(name, role, !live), sent: 0 };
}

/** Everything but rendering: returns the plan alone for --dry-run. */
export async function run(o: BenchOptions, ctx: Ctx, g: GlobalOpts, out: Out): Promise<{ plan: Plan; result?: BenchResult }> {
  const prov = await loadProviders(ctx, g);
  const oldP = o.oldRecorded ? undefined : pickProfile(prov, o.old ?? prov.old, '--old');
  const newP = pickProfile(prov, o.new ?? prov.new, '--new');
  if (oldP && oldP.name === newP.name) throw new UsageError(`--old and --new both name ${newP.name}; compare two different providers (or --old recorded).`);
  const table = await loadPriceTable(ctx, o.prices);
  const sc = await scan(ctx, o);
  const items = sc.prompt.length;
  checkRecorded(sc, o, out);
  const bad = sc.stats.problems;
  if (bad.length && !o.dryRun) {
    out.warn(`${bad.length} bad traffic line(s) skipped, first ${bad[0]!.file}:${bad[0]!.line}: ${bad[0]!.reason} (--strict stops at the first; --dry-run lists them).`);
    for (const x of bad) out.debug(`skipped ${x.file}:${x.line}: ${x.reason}`);
  }
  const models = sc.models;
  const perPass = o.requests === undefined && o.durationMs !== undefined;
  const sends = o.warmup + (o.requests ?? items);
  const uses = scaleUses(sc, sends);

  const timeout = (p: Profile) => o.timeoutMs ?? p.timeoutMs;
  const oldPlan = oldP ? providerPlan(oldP.name, uses, table, (m) => m) : { name: 'recorded', recorded: true as const };
  const planFor = (mapping: MappingEntry[], note?: string): Plan => {
    const to = new Map(mapping.map((m) => [m.from, m.to]));
    const newPlan = providerPlan(newP.name, uses, table, (m) => to.get(m) ?? m);
    const total = new Decimal(newPlan.costUSD).plus('costUSD' in oldPlan ? oldPlan.costUSD : 0);
    return {
      files: sc.stats.files, skippedEndpoints: sc.stats.skippedEndpoints, problems: sc.stats.problems, items, sends, warmup: o.warmup, perPass,
      old: oldPlan, new: newPlan, totalCostUSD: total.toString(), maxCostUSD: o.maxCostUSD, mapping, ...(note ? { mappingNote: note } : {}), load: o.load,
    };
  };
  // Before anything is sent, the new side's model list is unknown: price the plan both with and
  // without the built-in mapping and guard on the dearer one.
  const flagOnly = planFor(resolveMapping(models, o.modelMap, undefined), models.some((m) => !o.modelMap.has(m)) ? "built-in mapping (e.g. gpt-4-turbo → gpt-4.1) is decided from the new provider's model list when the run starts" : undefined);
  const withSuggested = planFor(resolveMapping(models, o.modelMap, new Set()));
  const guard = Decimal.max(flagOnly.totalCostUSD, withSuggested.totalCostUSD);
  if (o.dryRun) return { plan: flagOnly };
  if (guard.greaterThan(o.maxCostUSD) && !o.yes) {
    throw new UsageError(`the estimated cost is $${guard.toFixed(4)}${perPass ? ' per pass over the traffic' : ''}, above --max-cost $${o.maxCostUSD}; pass --yes to spend it, raise --max-cost, or send fewer requests with -n.`, 'run with --dry-run to see the plan.');
  }

  // Both keys are checked before any connection is opened: a refused key sends nothing anywhere.
  const keyOld = oldP ? await liveKey(prov, oldP, o.force, '--old') : undefined;
  const keyNew = await liveKey(prov, newP, o.force, '--new');
  const conn = o.load.kind === 'closed' ? o.load.concurrency + 2 : 64;
  const mk = (p: Profile, key: string) => ({ baseURL: p.baseURL.trim(), key, headers: p.headers, http: makeHttp(ctx, conn ? { connections: conn } : {}), timeoutMs: timeout(p) });
  const live: { old?: Side['live']; new?: Side['live'] } = { new: mk(newP, keyNew) };
  if (oldP) live.old = mk(oldP, keyOld!);
  const closeAll = async () => {
    await live.old?.http.close();
    await live.new?.http.close();
  };
  const listed = await listSides(out, [...(oldP && live.old ? [{ role: 'old' as const, profile: oldP, live: live.old }] : []), { role: 'new' as const, profile: newP, live: live.new! }]);
  const served = listed.served;
  const mapping = resolveMapping(models, o.modelMap, served);
  const plan = planFor(mapping, served ? undefined : `could not list ${newP.name}'s models, so only --model-map rewrites models`);
  const mapTo = new Map(mapping.map((m) => [m.from, m.to]));
  const mapModel = (m: string) => mapTo.get(m) ?? m;
  for (const u of [...plan.new.unpriced, ...('unpriced' in oldPlan ? oldPlan.unpriced : [])]) out.warn(`no price for model ${u}: its cost is not in the estimate (add it with --prices FILE).`);
  for (const m of mapping) out.info(`model map: ${m.from} → ${m.to} on ${newP.name} (${m.why === 'flag' ? '--model-map' : `${newP.name} does not list ${m.from}`})`);

  const oldSide = makeSide('old', oldP?.name ?? 'recorded', o, live.old ?? null);
  const newSide = makeSide('new', newP.name, o, live.new!);
  const written: string[] = [];
  let outFile: LineFile | undefined;
  let csvFile: CsvFile | undefined;
  let judge: Awaited<ReturnType<typeof makeJudge>> | undefined;
  try {
    // The report is written after the run: check its path now, before anything is spent.
    if (o.html) await checkOutputPath(ctx.cwd, o.html, '--html');
    if (o.out) outFile = await LineFile.open(ctx.cwd, o.out, '--out');
    if (o.csv) csvFile = await CsvFile.open(ctx.cwd, o.csv, '--csv', CSV_COLUMNS);
    if (o.judge) judge = await makeJudge(ctx, prov, o, (p, f) => liveKey(prov, p, o.force, f));
    const measured = o.requests ?? (perPass ? Infinity : items);
    const totalSends = o.warmup + measured;
    const progress = await startProgress(ctx, out, `bench: ${oldSide.name} vs ${newSide.name}…`, 2000);
    let last = 0;
    const t0 = ctx.clock();
    const startedAt = ctx.now();
    // Only an open-ended --duration run can spend more than the plan that was checked.
    const budget = perPass && !o.yes ? { cost: perItemCostUSD(sc, table, oldP ? [(m: string) => m, mapModel] : [mapModel]), max: o.maxCostUSD, out } : undefined;
    const res = await runEngine(ctx, jobs(ctx, o, totalSends, budget), oldSide, newSide, {
      load: o.load, warmup: o.warmup, ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}), retries: o.retries, slo: o.slo, stream: o.stream, mapModel,
      promptLocal: sc.prompt, outputEst: sc.output, showWorst: o.showWorst, ...(outFile ? { out: outFile } : {}), ...(csvFile ? { csv: csvFile } : {}),
      ...(judge ? { judge: judge.judge } : {}),
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
    await judge?.close();
    if (outFile) { await outFile.close(); written.push(o.out!); }
    if (csvFile) { await csvFile.close(); written.push(o.csv!); }
    const quality = res.scores.length ? summariseQuality(res.scores, o.qualityThreshold) : undefined;
    const summary = summarise({
      old: oldSide.stats, new: newSide.stats, pairs: res.pairs, percentiles: o.percentiles, slo: o.slo, warmup: o.warmup, seed: o.seed,
      ...(quality ? { quality } : {}),
      abortedAfter: { ...(oldSide.breaker.open ? { old: oldSide.breaker.openedAfter } : {}), ...(newSide.breaker.open ? { new: newSide.breaker.openedAfter } : {}) },
      gates: { ...(o.p99GateMs !== undefined ? { p99Ms: o.p99GateMs } : {}), ...(o.maxRegressionPct !== undefined ? { maxRegressionPct: o.maxRegressionPct } : {}) },
    });
    const cost = { old: sideCost(summary.old, table), new: sideCost(summary.new, table) };
    const simulated = { old: listed.simulated.old || summary.old.simulatedResponses > 0, new: listed.simulated.new || summary.new.simulatedResponses > 0 };
    const sameEndpoint = !!oldP && oldP.baseURL.trim().replace(/\/+$/, '') === newP.baseURL.trim().replace(/\/+$/, '');
    const verdict = decide({ summary, cost: { ...(cost.old ? { old: cost.old } : {}), ...(cost.new ? { new: cost.new } : {}) }, simulated, sameEndpoint, interrupted: res.interrupted, items });
    const header: RunHeader = {
      old: { name: oldSide.name, host: oldP ? hostOf(oldP.baseURL) : null, simulated: simulated.old },
      new: { name: newSide.name, host: hostOf(newP.baseURL), simulated: simulated.new },
      load: o.load, loadText: loadText(o.load), seed: o.seed, warmup: o.warmup, stream: o.stream,
      traffic: sc.stats.files.map((f) => ({ file: f.file, format: f.format, items: f.items })), pairs: summary.pairs,
      startedAt: new Date(startedAt).toISOString(), endedAt: new Date(ctx.now()).toISOString(), holyVersion: VERSION, simulated: verdict.simulated,
    };
    const result: BenchResult = { verdict, run: header, plan, summary, cost: { ...(cost.old ? { old: cost.old } : {}), ...(cost.new ? { new: cost.new } : {}) }, worst: res.worst, ...(judge ? { judge: judge.tally } : {}), interrupted: res.interrupted, dropped: res.dropped, written };
    if (o.html) {
      await writeReport(ctx, o.html, result, oldSide, newSide, o.p99First);
      written.push(o.html);
    }
    return { plan, result };
  } catch (e) {
    await outFile?.discard();
    await csvFile?.discard();
    await judge?.close();
    throw e;
  } finally {
    await closeAll();
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

