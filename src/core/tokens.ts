/** Local tokenizer counts (gpt-tokenizer), used where the server reports no usage and for the cost guard. */
import { createRequire } from 'node:module';
import type { ChatBody } from './chat.js';

type Encoding = 'o200k_base' | 'cl100k_base';
type Encoder = { encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[] };

// The encodings take ~90 ms (cl100k) and ~180 ms (o200k) to load, so they are required on
// first use rather than imported: `holy --help` and commands that never count stay fast.
// createRequire keeps countTextTokens synchronous, which the callers' hot loops want.
const encoders = new Map<Encoding, Encoder>();
function encoder(enc: Encoding): Encoder {
  let e = encoders.get(enc);
  if (!e) {
    const req = createRequire(import.meta.url);
    e = req(`gpt-tokenizer/cjs/encoding/${enc}`) as Encoder;
    encoders.set(enc, e);
  }
  return e;
}

/** The tiktoken encoding OpenAI uses for a model: o200k for gpt-4o/4.1/4.5/5 and the o-series, cl100k otherwise. */
export function encodingFor(model?: string): Encoding {
  if (!model) return 'cl100k_base';
  let m = model.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/.test(m)) return 'o200k_base';
  return 'cl100k_base';
}

// Text from users may contain "<|endoftext|>" literally; count it as text instead of throwing.
const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

/** Token count of plain text with the model family's encoding (o200k for gpt-4o/4.1/o-series, cl100k otherwise). */
export function countTextTokens(text: string, model?: string): number {
  if (!text) return 0;
  return encoder(encodingFor(model)).encode(text, NO_SPECIAL).length;
}

/** Text parts of a message `content` (string or array of parts); images/audio are not counted. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const p of content) {
    if (typeof p === 'string') parts.push(p);
    else if (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string') parts.push((p as { text: string }).text);
  }
  return parts.join('\n');
}

const PER_MESSAGE = 3; // <|start|>{role}\n … <|end|> per OpenAI's cookbook (gpt-3.5-turbo-0613 and later)
const PER_NAME = 1;
const PRIMING = 3; // every reply is primed with <|start|>assistant<|message|>

/**
 * Prompt token estimate for a chat request, including OpenAI's per-message overhead
 * (3 per message, +1 for a name, +3 reply priming). Assistant tool calls count their name and
 * arguments; tool definitions count as their JSON text — an approximation (OpenAI renders them
 * in a private format), good to a few percent, which is all a cost guard needs.
 */
export function countRequestTokens(body: ChatBody): number {
  const model = typeof body.model === 'string' ? body.model : undefined;
  let n = PRIMING;
  for (const raw of Array.isArray(body.messages) ? body.messages : []) {
    if (!raw || typeof raw !== 'object') continue;
    const m = raw as Record<string, unknown>;
    n += PER_MESSAGE;
    if (typeof m.role === 'string') n += countTextTokens(m.role, model);
    n += countTextTokens(contentText(m.content), model);
    if (typeof m.name === 'string') n += PER_NAME + countTextTokens(m.name, model);
    if (Array.isArray(m.tool_calls)) {
      for (const tc of m.tool_calls) {
        const f = (tc as { function?: { name?: unknown; arguments?: unknown } })?.function;
        if (typeof f?.name === 'string') n += countTextTokens(f.name, model);
        if (typeof f?.arguments === 'string') n += countTextTokens(f.arguments, model);
      }
    }
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) n += countTextTokens(JSON.stringify(body.tools), model);
  return n;
}
