/** Reassemble a recorded chat-completion SSE stream (e.g. a HAR response body) into one chat.completion object. */
import { createParser } from 'eventsource-parser';
import { DeltaAccumulator } from '../../core/bench/sse.js';

/** The completion the chunks add up to, or the in-stream error; `complete` is false when neither a finish_reason nor [DONE] arrived. */
export function completionFromSse(text: string): { body?: Record<string, unknown>; error?: { code?: string; message: string }; complete: boolean } {
  const msg = new DeltaAccumulator();
  let done = false;
  let error: { code?: string; message: string } | undefined;
  let head: Record<string, unknown> = {};
  let usage: unknown;
  const parser = createParser({
    onEvent(ev) {
      const data = ev.data.trim();
      if (data === '[DONE]') {
        done = true;
        return;
      }
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(data) as Record<string, unknown>;
      } catch {
        return; // a garbage line mid-stream: keep what arrived; `complete` tells the caller
      }
      if (j.error && typeof j.error === 'object') {
        const e = j.error as { code?: unknown; message?: unknown };
        error = { ...(typeof e.code === 'string' ? { code: e.code } : {}), message: typeof e.message === 'string' ? e.message : 'error event in stream' };
        return;
      }
      if (!head.id && typeof j.id === 'string') head = { id: j.id, model: j.model, created: j.created };
      if (j.usage) usage = j.usage;
      const ch = (Array.isArray(j.choices) ? j.choices[0] : undefined) as { delta?: Record<string, unknown>; finish_reason?: unknown } | undefined;
      if (!ch) return;
      msg.add(ch);
    },
  });
  parser.feed(text.endsWith('\n\n') ? text : text + '\n\n');
  const message: Record<string, unknown> = { role: 'assistant', content: msg.content };
  const calls = msg.toolCalls();
  if (calls.length > 0) message.tool_calls = calls;
  const body: Record<string, unknown> = { ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: msg.finish }] };
  if (usage) body.usage = usage;
  return { body, ...(error ? { error } : {}), complete: msg.finish !== null || done };
}
