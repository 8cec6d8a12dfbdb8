/** OpenAI stored chat completions → replayable requests: which request fields can be rebuilt, and how. Pure. */

/** A stored completion as GET /v1/chat/completions lists it: the response plus some of the request's parameters. */
export type StoredCompletion = Record<string, unknown> & { id: string; created?: number; model?: string };

/** One message from GET /v1/chat/completions/{id}/messages. */
export type StoredMessage = Record<string, unknown> & { role?: unknown };

/** Request parameters the list returns beside the response, copied as they are when not null. */
const COPIED = ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'seed', 'tools', 'tool_choice', 'response_format'] as const;

/** How each request field is rebuilt, for the file's header line, the summary and the docs. */
export const REBUILT: Readonly<Record<string, string>> = {
  messages: 'from GET /chat/completions/{id}/messages (content_parts when the message had parts, e.g. images)',
  model: 'the model the stored completion names: the snapshot that answered (e.g. gpt-4o-2024-08-06), which may be more specific than the one requested',
  'temperature, top_p, presence_penalty, frequency_penalty, seed, tools, tool_choice, response_format': 'copied from the stored completion when not null',
  user: 'from input_user when not null',
  stream: 'not stored: replayed as non-streaming (use bench --stream on to stream)',
  'max_tokens, max_completion_tokens': 'not stored: replayed without a cap (bench estimates 256 output tokens for cost)',
  'stop, n, logit_bias, logprobs, top_logprobs, parallel_tool_calls, modalities, audio, prediction, reasoning_effort': 'not stored: left out (the provider defaults apply)',
  'metadata, service_tier, store': 'not replayed (metadata is kept on the line as "metadata" for sampling and filtering)',
};

/** One message as it is sent: role, content (or its parts), name, tool calls; ids and nulls dropped. */
export function requestMessage(m: StoredMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role };
  const parts = m.content_parts;
  out.content = Array.isArray(parts) && parts.length ? parts : (m.content ?? null);
  for (const k of ['name', 'tool_calls', 'tool_call_id', 'function_call', 'refusal', 'audio']) {
    const v = m[k];
    if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return out;
}

/** The request body holy replays for a stored completion, or why there is none. */
export function rebuildRequest(c: StoredCompletion, messages: StoredMessage[]): { ok: Record<string, unknown> & { model: string } } | { problem: string } {
  if (typeof c.model !== 'string' || c.model === '') return { problem: 'the stored completion names no model' };
  const msgs = messages.filter((m) => m && typeof m === 'object' && typeof m.role === 'string').map(requestMessage);
  if (msgs.length === 0) return { problem: 'no input messages were stored' };
  const body: Record<string, unknown> & { model: string } = { model: c.model, messages: msgs };
  for (const k of COPIED) {
    const v = c[k];
    if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) body[k] = v;
  }
  if (typeof c.input_user === 'string' && c.input_user) body.user = c.input_user;
  return { ok: body };
}

/** The response part worth keeping as the baseline: the completion as listed, minus the echoed request parameters. */
export function storedResponse(c: StoredCompletion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const drop = new Set<string>([...COPIED, 'input_user', 'metadata']);
  for (const [k, v] of Object.entries(c)) if (!drop.has(k)) out[k] = v;
  out.object ??= 'chat.completion';
  return out;
}

/** Epoch seconds → whether `created` is inside [since, until) (bounds in epoch ms; undefined = open). */
export function inWindow(createdS: number | undefined, since: number | undefined, until: number | undefined): 'in' | 'before' | 'after' {
  if (createdS === undefined) return 'in';
  const t = createdS * 1000;
  if (since !== undefined && t < since) return 'before';
  if (until !== undefined && t >= until) return 'after';
  return 'in';
}
