/** The load loop: pairs of sends (old and new, order alternating) on a closed, open or replay schedule. */
import { setMaxListeners } from 'node:events';
import type { Ctx } from '../../context.js';
import type { TrafficItem } from '../../adapters/traffic/types.js';
import { completionText, type ChatBody } from '../../core/chat.js';
import { PairStats, type SLO } from '../../core/bench/metrics.js';
import { poissonOffsets, ReplayClock, type LoadMode } from '../../core/bench/schedule.js';
import { resultLine, csvRow } from '../../core/bench/record.js';
import { isJsonMode, keepLeastSimilar } from '../../core/quality/compare.js';
import { QualityTally } from '../../core/quality/tally.js';
import { settlePair, type PairWork } from './offload.js';
import type { CsvFile, LineFile } from '../../adapters/results-writer.js';
import { fromRecorded, sendLive, sleep, type Sent, type Side } from './provider.js';
import { startGrace } from './grace.js';

export interface Job {
  /** 0-based send index over the whole run (warm-up included). */
  index: number;
  item: TrafficItem;
  /** Position of the item in one pass over the traffic (for per-item estimates). */
  itemIdx: number;
}

export interface WorstPair {
  id: string;
  similarity: number;
  oldText: string;
  newText: string;
}

interface EngineConfig {
  load: LoadMode;
  warmup: number;
  durationMs?: number;
  retries: number;
  slo: SLO;
  stream: 'on' | 'off' | 'as-recorded';
  /** Model rewrite for the new side. */
  mapModel(model: string): string;
  promptLocal: ArrayLike<number>;
  outputEst: ArrayLike<number>;
  showWorst: number;
  out?: LineFile;
  csv?: CsvFile;
  judge?: (request: ChatBody, oldText: string, newText: string) => Promise<void>;
  /** Where token counts and quality scores run (a worker thread, started before the first send). */
  work: PairWork;
  qualityThreshold: number;
  onProgress(): void;
  /** A warning for stderr (a side failing every request, a capped Retry-After). */
  warn?(text: string): void;
}

interface EngineResult {
  pairs: PairStats;
  /** Quality over the pairs where both sides succeeded (running sums: bounded memory). */
  quality: QualityTally;
  worst: WorstPair[];
  interrupted: boolean;
  /** Pairs cut off by Ctrl-C (neither written nor counted). */
  dropped: number;
  /** Measured pairs done (warm-up excluded). */
  done: number;
  elapsedMs: number;
}

/** Build the body to send: model mapped (new side), stream per --stream, usage requested in streams. */
export function prepareBody(body: ChatBody, model: string, stream: EngineConfig['stream']): ChatBody {
  const b: ChatBody = { ...body, model };
  const on = stream === 'on' ? true : stream === 'off' ? false : body.stream === true;
  if (on) {
    b.stream = true;
    const so = typeof body.stream_options === 'object' && body.stream_options !== null ? (body.stream_options as Record<string, unknown>) : {};
    b.stream_options = { ...so, include_usage: true };
  } else {
    delete b.stream;
    delete b.stream_options;
  }
  return b;
}

function text(body: unknown): string {
  return completionText(body, 'display');
}

/** What one run shares between its pairs. */
interface RunState {
  ctx: Ctx;
  cfg: EngineConfig;
  oldSide: Side;
  newSide: Side;
  /** Aborted when the grace period after an interrupt is over: cuts off the sends in flight. */
  runAbort: AbortController;
  pairs: PairStats;
  quality: QualityTally;
  worst: WorstPair[];
  dropped: number;
  done: number;
  /** ms left of --duration (undefined without one): bounds retry waits. */
  remainingMs(): number | undefined;
}

/** Send one side of a pair: live, or the recorded baseline. */
function sendSide(r: RunState, side: Side, job: Job, intendedAt: number | undefined): Promise<Sent> {
  const { ctx, cfg } = r;
  const model = side.role === 'new' ? cfg.mapModel(job.item.body.model) : job.item.body.model;
  const body = prepareBody(job.item.body, model, cfg.stream);
  const promptLocal = cfg.promptLocal[job.itemIdx] ?? 0;
  if (!side.live) return Promise.resolve(fromRecorded(ctx, body, side.role === 'new' ? job.item.recordedNew : job.item.recorded, promptLocal, job.item.recordedAt));
  const opts: Parameters<typeof sendLive>[3] = { estTokens: promptLocal + (cfg.outputEst[job.itemIdx] ?? 0), retries: cfg.retries, promptLocal, signal: r.runAbort.signal, remainingMs: r.remainingMs };
  if (cfg.warn) opts.warn = cfg.warn;
  if (intendedAt !== undefined) opts.intendedAt = intendedAt;
  return sendLive(ctx, side, body, opts);
}

/** One pair: both sends, then (off the timing path) scoring, judging, stats and the result lines. */
async function runPair(r: RunState, job: Job, intendedAt?: number): Promise<void> {
  const { cfg, oldSide, newSide } = r;
  // Alternate which provider is asked first, so neither always gets the warm connection or cache.
  const first = job.index % 2 === 0 ? oldSide : newSide;
  const second = first === oldSide ? newSide : oldSide;
  const pa = sendSide(r, first, job, intendedAt);
  const pb = sendSide(r, second, job, intendedAt);
  let a: Sent;
  let b: Sent;
  try {
    [a, b] = await Promise.all([pa, pb]);
  } catch (e) {
    if (r.runAbort.signal.aborted) {
      r.dropped++;
      return;
    }
    throw e;
  }
  const so = first === oldSide ? a : b;
  const sn = first === oldSide ? b : a;
  if (job.index < cfg.warmup) return;
  // Scoring and writing wait until the I/O callbacks already due have run (and taken their
  // timestamps), so this pair's work never inflates another request's measured latency.
  await new Promise<void>((ok) => setImmediate(ok));
  let similarity: number | undefined;
  // Local token counts and quality scores run on the pair worker, off this (timing) thread.
  const s = await settlePair(cfg.work, so, sn, isJsonMode(job.item.body));
  if (s) {
    similarity = s.similarity;
    r.quality.add(s);
    keepLeastSimilar(r.worst, cfg.showWorst, s.similarity, () => ({ id: job.item.id, similarity: s.similarity, oldText: text(so.body).slice(0, 2000), newText: text(sn.body).slice(0, 2000) }), job.item.id);
    if (cfg.judge) await cfg.judge(job.item.body, text(so.body), text(sn.body));
  }
  oldSide.stats.add(so.outcome, cfg.slo);
  newSide.stats.add(sn.outcome, cfg.slo);
  r.pairs.add(so.outcome, sn.outcome);
  r.done++;
  if (cfg.out || cfg.csv) for (const [side, s] of [[oldSide, so], [newSide, sn]] as const) {
    const line = resultLine({
      id: job.item.id, role: side.role, provider: side.name, simulated: !!side.simulated, file: job.item.file, line: job.item.line, pair: job.index - cfg.warmup,
      startedAt: s.startedAt, model: job.item.body.model, request: s.request,
      status: s.status, body: s.body, ...(s.errorMessage ? { errorMessage: s.errorMessage } : {}), outcome: s.outcome,
      ...(similarity !== undefined ? { similarity } : {}),
    });
    if (cfg.out) await cfg.out.write(JSON.stringify(line));
    if (cfg.csv) await cfg.csv.write(csvRow(line));
  }
  cfg.onProgress();
}

/** Run every job; returns when all are done, the duration is up, or Ctrl-C (after the grace period, grace.ts). */
export async function runEngine(ctx: Ctx, jobs: AsyncIterator<Job>, oldSide: Side, newSide: Side, cfg: EngineConfig): Promise<EngineResult> {
  const runAbort = new AbortController();
  // Every in-flight request listens on this one signal; the default limit of 10 would warn.
  setMaxListeners(0, runAbort.signal);
  const t0 = ctx.clock();
  const remainingMs = () => (cfg.durationMs === undefined ? undefined : cfg.durationMs - (ctx.clock() - t0));
  const r: RunState = { ctx, cfg, oldSide, newSide, runAbort, pairs: new PairStats(), quality: new QualityTally(cfg.qualityThreshold), worst: [], dropped: 0, done: 0, remainingMs };
  const runPairOf = (job: Job, intendedAt?: number) => runPair(r, job, intendedAt);
  const expired = () => cfg.durationMs !== undefined && ctx.clock() - t0 >= cfg.durationMs;
  const grace = startGrace(ctx);

  const inflight = new Set<Promise<void>>();
  const errors: unknown[] = [];
  const track = (p: Promise<void>) => {
    const q = p.catch((e) => void errors.push(e)).finally(() => inflight.delete(q));
    inflight.add(q);
  };
  const next = async (): Promise<Job | undefined> => {
    if (grace.stopping || expired()) return undefined;
    const r = await jobs.next();
    return r.done ? undefined : r.value;
  };

  if (cfg.load.kind === 'closed') {
    const worker = async () => {
      for (let job = await next(); job && !errors.length; job = await next()) {
        try {
          await runPairOf(job);
        } catch (e) {
          errors.push(e);
        }
      }
    };
    // A worker is in flight until its pair ends: the closed loop drains through the same grace.
    track(Promise.all(Array.from({ length: cfg.load.concurrency }, worker)).then(() => undefined));
  } else {
    const poisson = cfg.load.kind === 'open' ? poissonOffsets(cfg.load.rate, cfg.load.seed) : undefined;
    const replay = cfg.load.kind === 'replay' ? new ReplayClock(cfg.load.speed) : undefined;
    for (let job = await next(); job && !errors.length; job = await next()) {
      const offset = poisson ? poisson.next().value : replay!.offset(job.item.recordedAt ?? 0);
      const at = t0 + offset;
      // Timers fire up to ~1 ms late (and cannot wait less than 1 ms): wake 1 ms early and send
      // then, rather than let timer overshoot show up as the provider's latency.
      const ahead = at - ctx.clock();
      if (ahead >= 2) await sleep(ahead - 1, ctx.signal);
      if (grace.stopping || expired()) break;
      // Latency counts from `at`, the intended send time, even if the event loop was late
      // (never from before the actual send, when we fired up to 1 ms early).
      track(runPairOf(job, Math.min(at, ctx.clock())));
    }
  }
  // Wait for what is in flight; after an interrupt, until the grace period ends, then cut it off.
  await Promise.race([Promise.all([...inflight]), grace.expired]);
  if (inflight.size) {
    runAbort.abort(new Error('interrupted'));
    await Promise.all([...inflight]);
  }
  grace.dispose();
  if (errors.length) throw errors[0];
  return { pairs: r.pairs, quality: r.quality, worst: r.worst, interrupted: ctx.signal.aborted, dropped: r.dropped, done: r.done, elapsedMs: ctx.clock() - t0 };
}
