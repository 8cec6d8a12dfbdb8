/** Per-pair quality comparison of two chat completions (old vs new) and its aggregation. */
import { exactMatch, rougeLOf, tokenF1Of, tokenize } from './text.js';
import { jsonEqual, jsonSimilarity, parseJson } from './json.js';
import { contentOf, firstChoice, toolCallsOf } from '../chat.js';

/** The parts of a completion that quality compares. */
interface ResponseView {
  content: string | null;
  toolCalls?: Array<{ name: string; arguments: string }>;
  finishReason?: string | null;
}

/** Scores for one old/new pair; similarity is the headline 0..1. */
export interface PairScores {
  exact: boolean;
  tokenF1: number;
  rougeL: number;
  /** Present in JSON mode (response_format json_object/json_schema); A = old, B = new. */
  json?: { validA: boolean; validB: boolean; equal: boolean };
  /** Present when either side called a tool. */
  tools?: { namesEqual: boolean; argsEqual: boolean };
  finishParity: boolean;
  /** new/old length in characters (content, or tool-call names + arguments); 1 when both are empty. */
  lengthRatio: number;
  similarity: number;
}

/** Whether a request asked for JSON output (json_object or json_schema), the trigger for JSON scoring. */
export function isJsonMode(body: Record<string, unknown> | undefined): boolean {
  const rf = body?.response_format as { type?: unknown } | undefined;
  return rf?.type === 'json_object' || rf?.type === 'json_schema';
}

function parsedArgs(s: string): unknown {
  const p = parseJson(s);
  return p.ok ? p.value : s.trim();
}

// Parallel tool calls may come back in any order, so calls are matched after sorting by name.
function sortedCalls(calls: ResponseView['toolCalls']): Array<{ name: string; args: unknown }> {
  return (calls ?? []).map((c) => ({ name: c.name, args: parsedArgs(c.arguments) })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

function toolText(v: ResponseView): string {
  return (v.toolCalls ?? []).map((c) => c.name + c.arguments).join('');
}

/**
 * Compare two responses (a = old, b = new). The headline `similarity`:
 * - tool calls on either side: 0 if the tool names differ; 1 if names and parsed arguments are
 *   equal; else 0.5 + 0.5 × the arguments' jsonSimilarity (right tool, partly right arguments);
 * - JSON mode with at least one valid side: 1 if structurally equal, 0 if only one is valid,
 *   else jsonSimilarity of the two documents (leaf by leaf, strings by text similarity);
 * - otherwise 1 on a normalised exact match, else the mean of token F1 and ROUGE-L (word overlap
 *   and word order both count).
 */
export function comparePair(a: ResponseView, b: ResponseView, opts: { jsonMode: boolean }): PairScores {
  const textA = a.content ?? '';
  const textB = b.content ?? '';
  const ta = tokenize(textA);
  const tb = tokenize(textB);
  const exact = exactMatch(textA, textB);
  const f1 = tokenF1Of(ta, tb);
  const rl = rougeLOf(ta, tb);
  const lenA = textA.length + toolText(a).length;
  const lenB = textB.length + toolText(b).length;
  const scores: PairScores = {
    exact,
    tokenF1: f1,
    rougeL: rl,
    finishParity: (a.finishReason ?? null) === (b.finishReason ?? null),
    lengthRatio: lenA === 0 && lenB === 0 ? 1 : lenB / Math.max(lenA, 1),
    similarity: exact ? 1 : (f1 + rl) / 2,
  };
  if (opts.jsonMode) {
    const ja = parseJson(textA);
    const jb = parseJson(textB);
    const equal = ja.ok && jb.ok && jsonEqual(ja.value, jb.value);
    scores.json = { validA: ja.ok, validB: jb.ok, equal };
    if (ja.ok && jb.ok) scores.similarity = equal ? 1 : jsonSimilarity(ja.value, jb.value);
    else if (ja.ok !== jb.ok) scores.similarity = 0;
  }
  if ((a.toolCalls?.length ?? 0) > 0 || (b.toolCalls?.length ?? 0) > 0) {
    const ca = sortedCalls(a.toolCalls);
    const cb = sortedCalls(b.toolCalls);
    const namesEqual = ca.length === cb.length && ca.every((c, i) => c.name === cb[i]!.name);
    const argsEqual = namesEqual && ca.every((c, i) => jsonEqual(c.args, cb[i]!.args));
    scores.tools = { namesEqual, argsEqual };
    if (!namesEqual) scores.similarity = 0;
    else if (argsEqual) scores.similarity = 1;
    else scores.similarity = 0.5 + (0.5 * ca.reduce((s, c, i) => s + jsonSimilarity(c.args, cb[i]!.args), 0)) / ca.length;
  }
  return scores;
}

/** The ResponseView of a chat.completion JSON body (first choice; anything else → an empty view). */
export function viewFromCompletion(body: unknown): ResponseView {
  const choice = firstChoice(body);
  if (!choice) return { content: null };
  const msg = (choice.message ?? {}) as Record<string, unknown>;
  const view: ResponseView = { content: contentOf(msg.content), finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null };
  const calls = toolCallsOf(msg);
  if (calls.length > 0) view.toolCalls = calls;
  return view;
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

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
const rate = (xs: boolean[]): number => mean(xs.map((x) => (x ? 1 : 0)));

/** Aggregate pair scores; JSON and tool rates are over the pairs where they apply (absent when none do); similarity ≥ threshold counts as above. */
export function summariseQuality(scores: PairScores[], threshold: number): QualitySummary {
  const s: QualitySummary = {
    pairs: scores.length,
    meanSimilarity: mean(scores.map((p) => p.similarity)),
    shareAboveThreshold: rate(scores.map((p) => p.similarity >= threshold)),
    threshold,
    exactRate: rate(scores.map((p) => p.exact)),
    meanTokenF1: mean(scores.map((p) => p.tokenF1)),
    meanRougeL: mean(scores.map((p) => p.rougeL)),
    finishParityRate: rate(scores.map((p) => p.finishParity)),
    meanLengthRatio: mean(scores.map((p) => p.lengthRatio)),
  };
  const json = scores.flatMap((p) => (p.json ? [p.json] : []));
  if (json.length > 0) {
    s.jsonValidRate = { old: rate(json.map((j) => j.validA)), new: rate(json.map((j) => j.validB)) };
    s.jsonEqualRate = rate(json.map((j) => j.equal));
  }
  const tools = scores.flatMap((p) => (p.tools ? [p.tools] : []));
  if (tools.length > 0) {
    s.toolNameMatchRate = rate(tools.map((t) => t.namesEqual));
    s.toolArgsMatchRate = rate(tools.map((t) => t.argsEqual));
  }
  return s;
}

/**
 * Offer one item to `kept`, the n lowest-similarity items so far (lowest first, ties keep arrival
 * order). `make` builds the item only when it gets in, so a caller can defer costly fields. With
 * `id`, one item per id is kept (its lowest), so traffic cycled by -n does not list one request n times.
 */
export function keepLeastSimilar<T extends { similarity: number; id?: string }>(kept: T[], n: number, similarity: number, make: () => T, id?: string): void {
  if (id !== undefined && n > 0) {
    const at = kept.findIndex((k) => k.id === id);
    if (at >= 0) {
      if (similarity >= kept[at]!.similarity) return;
      kept.splice(at, 1);
    }
  }
  if (n <= 0 || (kept.length >= n && similarity >= kept[kept.length - 1]!.similarity)) return;
  let i = kept.length;
  while (i > 0 && kept[i - 1]!.similarity > similarity) i--;
  kept.splice(i, 0, make());
  if (kept.length > n) kept.pop();
}

/** The n items with the lowest similarity, lowest first (ties keep input order); one pass, O(n) memory. */
export function leastSimilar<T extends { similarity: number }>(items: Iterable<T>, n: number): T[] {
  const kept: T[] = [];
  for (const it of items) keepLeastSimilar(kept, n, it.similarity, () => it);
  return kept;
}
