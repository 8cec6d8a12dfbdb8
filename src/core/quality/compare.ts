/** Per-pair quality comparison of two chat completions (old vs new) and its aggregation. */

/** The parts of a completion that quality compares. */
export interface ResponseView {
  content: string | null;
  toolCalls?: Array<{ name: string; arguments: string }>;
  finishReason?: string | null;
}

/** Scores for one old/new pair; similarity is the headline 0..1. */
export interface PairScores {
  exact: boolean;
  tokenF1: number;
  rougeL: number;
  json?: { validA: boolean; validB: boolean; equal: boolean };
  tools?: { namesEqual: boolean; argsEqual: boolean };
  finishParity: boolean;
  lengthRatio: number;
  similarity: number;
}

/** Compare two responses (a = old, b = new). */
export function comparePair(a: ResponseView, b: ResponseView, opts: { jsonMode: boolean }): PairScores {
  void opts;
  const exact = a.content === b.content;
  return { exact, tokenF1: exact ? 1 : 0, rougeL: exact ? 1 : 0, finishParity: a.finishReason === b.finishReason, lengthRatio: 1, similarity: exact ? 1 : 0 };
}

/** The ResponseView of a chat.completion JSON body (anything else → empty view). */
export function viewFromCompletion(body: unknown): ResponseView {
  void body;
  return { content: null };
}

/** Aggregated quality over all pairs. */
export interface QualitySummary {
  pairs: number;
  meanSimilarity: number;
  shareAboveThreshold: number;
  threshold: number;
  exactRate: number;
  meanTokenF1: number;
  meanRougeL: number;
  jsonValidRate?: { old: number; new: number };
  jsonEqualRate?: number;
  toolNameMatchRate?: number;
  toolArgsMatchRate?: number;
  finishParityRate: number;
  meanLengthRatio: number;
}

/** Aggregate pair scores; rates are over the pairs where the metric applies. */
export function summariseQuality(scores: PairScores[], threshold: number): QualitySummary {
  return { pairs: scores.length, meanSimilarity: 0, shareAboveThreshold: 0, threshold, exactRate: 0, meanTokenF1: 0, meanRougeL: 0, finishParityRate: 0, meanLengthRatio: 0 };
}
