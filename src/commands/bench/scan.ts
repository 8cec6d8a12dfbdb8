/** Pre-flight scan of the traffic (counts, models, token estimates), run in a worker thread. */
import { Worker } from 'node:worker_threads';
import type { Ctx } from '../../context.js';
import { Interrupted, RuntimeError, UsageError } from '../../errors.js';
import type { TrafficStats } from '../../adapters/traffic/types.js';

export interface ScanRequest {
  cwd: string;
  files: string[];
  strict: boolean;
  needTimestamps: boolean;
  /** --old recorded: keep (and count) the recorded responses. */
  keepRecorded?: boolean;
  /** --new recorded: pair each request's old and new lines, count the new responses, and name both sides. */
  keepRecordedNew?: boolean;
}

export type ScanReply =
  | { stats: TrafficStats; models: string[]; modelIdx: Uint32Array; prompt: Float64Array; output: Float64Array; streamed: number; recorded: number; recordedNew?: number; recordedBy?: { old?: string; new?: string } }
  | { error: { usage: boolean; message: string } };

export interface Scan {
  stats: TrafficStats;
  models: string[];
  /** Per item (in traffic order): index into models, local prompt tokens, output tokens expected. */
  modelIdx: Uint32Array;
  prompt: Float64Array;
  output: Float64Array;
  /** Items that ask for a stream (with --stream as-recorded, the replay streams these). */
  streamed: number;
  /** Items with a recorded response (counted only with keepRecorded). */
  recorded: number;
  /** Items with a recorded new response (--new recorded only). */
  recordedNew?: number;
  /** The providers the first paired lines name (--new recorded only): the sides' names. */
  recordedBy?: { old?: string; new?: string };
}

/** Scan in a worker (its tokenizer memory is returned when it exits); errors come back as ours. */
export function scanTraffic(ctx: Ctx, req: Omit<ScanRequest, 'cwd'>): Promise<Scan> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: { ...req, cwd: ctx.cwd } satisfies ScanRequest });
    let settled = false;
    const stop = () => void w.terminate();
    ctx.signal.addEventListener('abort', stop, { once: true });
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', stop);
      f();
      void w.terminate();
    };
    w.once('message', (r: ScanReply) =>
      done(() => {
        if ('error' in r) reject(r.error.usage ? new UsageError(r.error.message) : new RuntimeError(`reading the traffic failed: ${r.error.message}`));
        else resolve(r);
      }),
    );
    w.once('error', (e) => done(() => reject(new RuntimeError(`reading the traffic failed: ${e.message}`))));
    w.once('exit', (code) => done(() => reject(ctx.signal.aborted ? new Interrupted('interrupted while reading the traffic; nothing was sent.') : new RuntimeError(`the traffic reader stopped unexpectedly (exit ${code}).`))));
  });
}
