/**
 * The CPU work a finished pair needs — local token counts (when a response carried no usage) and
 * the quality comparison — as one pure function, so it can run on a worker thread (pair-worker.ts)
 * or, where no worker can start, inline. Keeping it off the thread that timestamps chunks is what
 * keeps it out of every other request's measured latency (see docs/measurement.md).
 */
import { countTextTokens, encodingFor } from '../tokens.js';
import { comparePair, type PairScores, type viewFromCompletion } from '../quality/compare.js';

type ResponseView = ReturnType<typeof viewFromCompletion>;

export interface PairWorkRequest {
  /** Views of the two responses (old, new) when both succeeded; no scoring otherwise. */
  views?: [ResponseView, ResponseView];
  jsonMode: boolean;
  /** Texts to count with the local tokenizer (old, new), or null where the server gave usage. */
  count: [{ text: string; model: string } | null, { text: string; model: string } | null];
}

export interface PairWorkReply {
  scores?: PairScores;
  tokens: [number | null, number | null];
}

/** Do a pair's work (synchronously: call it on a worker, or inline where no worker is available). */
export function doPairWork(r: PairWorkRequest): PairWorkReply {
  const tokens = r.count.map((c) => (c ? countTextTokens(c.text, c.model) : null)) as [number | null, number | null];
  const reply: PairWorkReply = { tokens };
  if (r.views) reply.scores = comparePair(r.views[0], r.views[1], { jsonMode: r.jsonMode });
  return reply;
}

/** Load the encodings these models use (so the first count does not pay for it mid-run). */
export function preloadEncodings(models: Iterable<string>): string[] {
  const encs = [...new Set([...models].map((m) => encodingFor(m)))];
  for (const e of encs) countTextTokens('warm up', e === 'o200k_base' ? 'gpt-4o' : 'gpt-4');
  return encs;
}
