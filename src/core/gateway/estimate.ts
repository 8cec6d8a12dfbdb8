/**
 * The token estimate a request is charged against its tenant's TPM before the call (docs/gateway.md,
 * "Quotas"); the real usage settles the difference afterwards. Pure and O(length of the body's text),
 * with no tokenizer: counting a 1 MB prompt with gpt-tokenizer takes long enough to stall the
 * gateway's event loop for every other tenant (see docs/gateway-quotas.md for the figures), and an
 * estimate only has to be near, because settle() corrects it.
 *
 * The rule: prompt text counts ceil(ASCII chars / 4) + 1 per other UTF-16 unit (a CJK character is
 * about one token in cl100k/o200k, so chars/4 alone would undercount Chinese prompts 3–4×), plus
 * OpenAI's per-message overhead (3 per message, 3 reply priming), a fixed 765 per image part
 * (a 1024×1024 high-detail image: 85 + 4 × 170), and tool definitions as their JSON text. The output
 * side is what the request may produce: max_completion_tokens, else max_tokens, else the plan's cap,
 * else 1024 — times `n` choices.
 */

/** Output tokens assumed when neither the request nor the plan names a maximum. */
export const DEFAULT_MAX_OUTPUT = 1024;
/** Tokens charged per image part (high detail, 1024×1024). */
export const IMAGE_TOKENS = 765;
const PER_MESSAGE = 3;
const PRIMING = 3;

/** Tokens of plain text by the cheap rule: ceil(ASCII / 4) + one per non-ASCII UTF-16 unit. */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return estimateTextTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const p of content) {
    if (typeof p === 'string') n += estimateTextTokens(p);
    else if (p && typeof p === 'object') {
      const part = p as Record<string, unknown>;
      if (typeof part.text === 'string') n += estimateTextTokens(part.text);
      else if (part.type === 'image_url' || part.type === 'input_image' || part.image_url !== undefined) n += IMAGE_TOKENS;
      else if (part.type === 'input_audio' || part.type === 'file') n += estimateTextTokens(JSON.stringify(part));
    }
  }
  return n;
}

/** A positive integer field of the body, or undefined. */
function posInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;
}

/** Prompt tokens of a chat-completion body (messages, tool definitions, response_format schema). */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let n = PRIMING;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const raw of messages) {
    if (!raw || typeof raw !== 'object') continue;
    const m = raw as Record<string, unknown>;
    n += PER_MESSAGE;
    n += contentTokens(m.content);
    if (typeof m.name === 'string') n += 1 + estimateTextTokens(m.name);
    if (Array.isArray(m.tool_calls)) n += estimateTextTokens(JSON.stringify(m.tool_calls));
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) n += estimateTextTokens(JSON.stringify(body.tools));
  if (Array.isArray(body.functions) && body.functions.length > 0) n += estimateTextTokens(JSON.stringify(body.functions));
  if (body.response_format && typeof body.response_format === 'object') n += estimateTextTokens(JSON.stringify(body.response_format));
  return n;
}

/** The output tokens a chat request may produce: its own maximum, else the plan's cap, else {@link DEFAULT_MAX_OUTPUT}; times n. */
export function estimateOutputTokens(body: Record<string, unknown>, planMaxTokens?: number): number {
  const max = posInt(body.max_completion_tokens) ?? posInt(body.max_tokens) ?? posInt(planMaxTokens) ?? DEFAULT_MAX_OUTPUT;
  const n = posInt(body.n) ?? 1;
  return max * n;
}

/** Input tokens of an embeddings body: a string, an array of strings, or token arrays (counted exactly). */
export function estimateEmbeddingTokens(body: Record<string, unknown>): number {
  const one = (x: unknown): number => {
    if (typeof x === 'string') return estimateTextTokens(x);
    if (typeof x === 'number') return 1;
    if (Array.isArray(x)) return x.reduce((s: number, y) => s + one(y), 0);
    return 0;
  };
  return one(body.input);
}

/**
 * The tokens charged against TPM before the call: prompt + maximum output for chat, the input for
 * embeddings. `planMaxTokens` is the plan's cap on max_tokens (used when the request names none).
 */
export function estimateRequestTokens(endpoint: 'chat' | 'embeddings', body: Record<string, unknown>, planMaxTokens?: number): number {
  if (endpoint === 'embeddings') return estimateEmbeddingTokens(body);
  return estimatePromptTokens(body) + estimateOutputTokens(body, planMaxTokens);
}
