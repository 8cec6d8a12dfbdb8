/** What the mock says: deterministic answers, JSON-mode bodies and tool-call arguments derived from the request. */
import { hashStr, mix, rng } from './rng.js';

// A fixed vocabulary instead of a tokenizer: one word = one token = one stream chunk, so
// usage.completion_tokens equals the number of content chunks and no per-request tokenizing is needed.
const VOCAB = (
  'the a model answer request provider relay latency token stream result value system user check test data ' +
  'quick simple clear stable fast careful exact honest local remote first last next every other same ' +
  'migrate verify measure compare report return send receive write read count price cost time ' +
  'because while after before during within without between across under over into from with for ' +
  'is was can will should would may must has have does did makes takes gives keeps shows tells ' +
  'today often rarely always never again also only still just already indeed'
).split(' ');
const V = VOCAB.length;
/** Words with their leading space precomputed, so building an answer allocates only the array. */
const SPACED = VOCAB.map((w) => ' ' + w);
const CAPITAL = VOCAB.map((w) => w[0]!.toUpperCase() + w.slice(1));

/** Default answer length range when the request sets no max_tokens: "a few dozen tokens". */
const MIN_DEFAULT_TOKENS = 16;
const DEFAULT_TOKEN_SPREAD = 33;
/** Upper bound on generated tokens so a huge max_tokens cannot exhaust memory. */
export const MAX_TOKENS_CAP = 16384;

interface MessageLike {
  role?: unknown;
  content?: unknown;
}

/** Hash of the conversation (roles and text only), so the same prompt gives the same answer whatever the model name. */
export function promptHash(messages: readonly MessageLike[]): number {
  let h = 0x811c9dc5;
  for (const m of messages) {
    if (typeof m?.role === 'string') h = hashStr(m.role, h);
    h = hashStr('\u0000', h);
    const c = m?.content;
    if (typeof c === 'string') h = hashStr(c, h);
    else if (Array.isArray(c)) for (const p of c) if (p && typeof p.text === 'string') h = hashStr(p.text, h);
  }
  return h;
}

/** Rough prompt token count (≈4 characters per token plus per-message overhead); the mock needs plausibility, not a tokenizer. */
export function promptTokens(messages: readonly MessageLike[]): number {
  let chars = 0;
  for (const m of messages) {
    const c = m?.content;
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c)) for (const p of c) if (p && typeof p.text === 'string') chars += p.text.length;
  }
  return Math.ceil(chars / 4) + 4 * messages.length + 3;
}

/** Natural answer length for a prompt (used when the request has no max_tokens). */
export function defaultLength(hash: number): number {
  return MIN_DEFAULT_TOKENS + (hash % DEFAULT_TOKEN_SPREAD);
}

/**
 * The answer as tokens (each a stream chunk). variant 0 gives the canonical answer; with variant p each
 * word is replaced by a different one with probability p, drawn from a stream independent of the words.
 */
export function answerTokens(hash: number, seed: number, variant: number, n: number): string[] {
  const words = rng(mix(hash, seed));
  const perturb = variant > 0 ? rng(mix(hash, seed ^ 0x5bd1e995)) : undefined;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let idx = (words() * V) | 0;
    if (perturb && perturb() < variant) idx = (idx + 1 + ((perturb() * (V - 1)) | 0)) % V;
    out[i] = i === 0 ? CAPITAL[idx]! : SPACED[idx]!;
  }
  if (n > 0) out[n - 1] += '.';
  return out;
}

type Schema = Record<string, unknown> | undefined;

/** A deterministic value matching a JSON schema (type, enum, properties, items); strings are vocabulary words. */
export function valueFor(schema: Schema, r: () => number, depth = 0): unknown {
  if (!schema || typeof schema !== 'object') return VOCAB[(r() * V) | 0];
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if ('const' in schema) return schema.const;
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null';
  if (!type && schema.properties) type = 'object';
  switch (type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      if (depth > 6) return o;
      for (const [k, s] of Object.entries(props)) o[k] = valueFor(s, r, depth + 1);
      return o;
    }
    case 'array':
      return depth > 6 ? [] : [valueFor(schema.items as Schema, r, depth + 1), valueFor(schema.items as Schema, r, depth + 1)];
    case 'integer':
      return (r() * 100) | 0;
    case 'number':
      return Math.round(r() * 10000) / 100;
    case 'boolean':
      return r() < 0.5;
    case 'null':
      return null;
    default:
      return VOCAB[(r() * V) | 0] + ' ' + VOCAB[(r() * V) | 0];
  }
}

/** Content for JSON mode: the schema's shape when given, else {"answer": text}. */
export function jsonAnswer(schema: Schema, hash: number, seed: number, variant: number, words: number): string {
  if (schema && typeof schema === 'object' && (schema.properties || schema.type)) return JSON.stringify(valueFor(schema, rng(mix(hash, seed))));
  return JSON.stringify({ answer: answerTokens(hash, seed, variant, words).join('') });
}

/** Split a string into ~4-character tokens (how JSON content and tool arguments are streamed). */
export function splitPieces(s: string, size = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}
