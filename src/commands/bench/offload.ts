/**
 * Where a finished pair's CPU work runs: a worker thread (pair-worker.ts), started and warmed —
 * tokenizer loaded — before the first request is sent, so neither the load (120–300 ms) nor any
 * count or quality score runs on the thread that timestamps other requests' chunks.
 */
import { Worker } from 'node:worker_threads';
import { doPairWork, preloadEncodings, type PairWorkReply, type PairWorkRequest } from '../../core/bench/pair-work.js';
import { viewFromCompletion, type PairScores } from '../../core/quality/compare.js';
import { setOutputTokens, type Sent } from './provider.js';

export interface PairWork {
  run(req: PairWorkRequest): Promise<PairWorkReply>;
  /** Load the encodings these models use, if not loaded yet; resolves when they are. */
  preload(models: string[]): Promise<void>;
  /** Whether the work runs off the timing thread (false: inline fallback). */
  readonly offThread: boolean;
  close(): Promise<void>;
}

/** Inline: for --old recorded against nothing live, tests, and where a worker cannot start. */
export const inlineWork: PairWork = { run: async (req) => doPairWork(req), preload: async (models) => void preloadEncodings(models), offThread: false, close: async () => undefined };

/**
 * Start the worker and wait until it has loaded the encodings for `models` (none: it loads one on
 * its first count, on its own thread); falls back to inline if it cannot start.
 */
export async function startPairWork(models: string[]): Promise<PairWork> {
  let w: Worker;
  try {
    w = new Worker(new URL('./pair-worker.js', import.meta.url), { workerData: { models } });
  } catch {
    return inlineWork;
  }
  const pending = new Map<number, { ok(r: PairWorkReply): void; fail(e: Error): void }>();
  let next = 0;
  let dead: Error | undefined;
  const die = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.fail(e);
    pending.clear();
  };
  const ready = await new Promise<boolean>((resolve) => {
    w.once('message', () => resolve(true));
    w.once('error', () => resolve(false));
    w.once('exit', () => resolve(false));
  });
  if (!ready) {
    void w.terminate();
    return inlineWork;
  }
  w.on('message', (m: { id: number; reply?: PairWorkReply; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.reply || !m.error) p.ok(m.reply!);
    else p.fail(new Error(`scoring a pair failed: ${m.error}`));
  });
  w.on('error', (e) => die(e));
  w.on('exit', (code) => die(new Error(`the scoring worker stopped (exit ${code})`)));
  const send = (msg: object): Promise<PairWorkReply> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise((ok, fail) => {
      if (pending.size === 0) w.ref();
      pending.set(id, { ok, fail });
      w.postMessage({ id, ...msg });
    });
  };
  // An idle worker must not keep the process alive after the run; a busy one must.
  w.unref();
  return {
    offThread: true,
    run(req) {
      return send({ req });
    },
    async preload(models) {
      await send({ preload: models });
    },
    async close() {
      w.removeAllListeners('exit');
      await w.terminate();
    },
  };
}

/**
 * A finished pair's CPU work: local output-token counts for the sides that carried no usage
 * (filled into their outcomes, with TPOT) and, when both succeeded, the quality scores.
 */
export async function settlePair(work: PairWork, so: Sent, sn: Sent, jsonMode: boolean): Promise<PairScores | undefined> {
  const both = so.outcome.ok && sn.outcome.ok;
  const need = (s: Sent) => (s.countText !== undefined ? { text: s.countText, model: s.outcome.sentModel } : null);
  const req: PairWorkRequest = { jsonMode, count: [need(so), need(sn)] };
  if (both) req.views = [viewFromCompletion(so.body), viewFromCompletion(sn.body)];
  if (!req.views && !req.count[0] && !req.count[1]) return undefined;
  const r = await work.run(req);
  if (r.tokens[0] !== null) setOutputTokens(so.outcome, r.tokens[0], 'local');
  if (r.tokens[1] !== null) setOutputTokens(sn.outcome, r.tokens[1], 'local');
  return r.scores;
}
