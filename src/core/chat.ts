/** The chat-completion shapes holy sends and receives, the one TTFT rule, and a completion's text. Pure. */
import type { ErrorClass } from './bench/classify.js';

/** A chat-completion request body exactly as recorded or built (never carries auth headers). */
export type ChatBody = Record<string, unknown> & { model: string; messages: unknown[]; stream?: boolean };

/** A chat.completion response (reassembled from the stream when streaming). */
export interface Completion {
  id?: string;
  object: 'chat.completion';
  model?: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; tool_calls?: Array<{ id?: string; type: 'function'; function: { name: string; arguments: string } }>; reasoning_content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
}

/** One timed chat call as the provider client reports it: never an exception for HTTP or transport failures. */
export interface CallResult {
  ok: boolean;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  errorClass?: ErrorClass;
  errorMessage?: string;
  stream: boolean;
  ttfbMs?: number;
  /** Streaming only: first chunk that carries output ({@link carriesOutput}). */
  ttftMs?: number;
  e2eMs?: number;
  /** Gaps between consecutive output chunks (ms). */
  itl: number[];
  completion?: Completion;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  /** Streaming: whether a usage chunk arrived (we always ask for one). */
  usageSeen: boolean;
  responseModel?: string;
  retryAfterMs?: number;
  requestId?: string;
}

/**
 * The TTFT rule (docs/definitions.md): a streamed chunk counts as the first token when its delta
 * carries content text, reasoning text or a tool-call delta. A role-only first chunk does not.
 */
export function carriesOutput(delta: Record<string, unknown> | undefined): boolean {
  if (!delta) return false;
  if (typeof delta.content === 'string' && delta.content.length > 0) return true;
  const r = delta.reasoning_content ?? delta.reasoning;
  if (typeof r === 'string' && r.length > 0) return true;
  return Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0;
}

/** A message content as text: a string, or the text parts of a multi-part array; null otherwise. */
export function contentOf(c: unknown): string | null {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('');
  return null;
}

/** The first choice of a chat.completion body, or undefined when it has none. */
export function firstChoice(body: unknown): Record<string, unknown> | undefined {
  const choice = (body as { choices?: unknown[] } | null | undefined)?.choices?.[0];
  return choice && typeof choice === 'object' ? (choice as Record<string, unknown>) : undefined;
}

/** A message's tool calls as name + arguments text, the legacy `function_call` (still sent by some relays) included. */
export function toolCallsOf(msg: Record<string, unknown>): Array<{ name: string; arguments: string }> {
  const calls: Array<{ name: string; arguments: string }> = [];
  if (Array.isArray(msg.tool_calls)) {
    for (const tc of msg.tool_calls) {
      const f = (tc as { function?: { name?: unknown; arguments?: unknown } })?.function;
      if (f && typeof f.name === 'string') calls.push({ name: f.name, arguments: typeof f.arguments === 'string' ? f.arguments : JSON.stringify(f.arguments ?? {}) });
    }
  }
  const fc = msg.function_call as { name?: unknown; arguments?: unknown } | undefined;
  if (fc && typeof fc.name === 'string') calls.push({ name: fc.name, arguments: typeof fc.arguments === 'string' ? fc.arguments : '{}' });
  return calls;
}

/**
 * A completion's text, the one way holy reads it. `tokens`: everything the model generated
 * (content, reasoning, tool names and arguments), for counting output tokens locally.
 * `display`: what a reader or a judge sees (content, then one line per tool call).
 */
export function completionText(body: unknown, mode: 'tokens' | 'display'): string {
  const m = (firstChoice(body)?.message ?? undefined) as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return '';
  const content = contentOf(m.content) ?? '';
  const calls = toolCallsOf(m);
  if (mode === 'display') return content + calls.map((t) => `\n[tool ${t.name}(${t.arguments})]`).join('');
  const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : '';
  return content + reasoning + calls.map((t) => t.name + t.arguments).join('');
}
