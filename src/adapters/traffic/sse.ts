/** Reassemble a recorded chat-completion SSE stream (e.g. a HAR response body) into one chat.completion object. */
import { createParser } from 'eventsource-parser';

interface ToolAcc {
  id?: string;
  type: string;
  function: { name: string; arguments: string };
}

/** The completion the chunks add up to, or the in-stream error; `complete` is false when neither a finish_reason nor [DONE] arrived. */
export function completionFromSse(text: string): { body?: Record<string, unknown>; error?: { code?: string; message: string }; complete: boolean } {
  let content: string | null = null;
  let finish: string | null = null;
  let done = false;
  let error: { code?: string; message: string } | undefined;
  let head: Record<string, unknown> = {};
  let usage: unknown;
  const tools: ToolAcc[] = [];
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
      const d = ch.delta ?? {};
      if (typeof d.content === 'string') content = (content ?? '') + d.content;
      if (Array.isArray(d.tool_calls)) {
        for (const raw of d.tool_calls) {
          const t = raw as { index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } };
          const i = typeof t.index === 'number' ? t.index : tools.length;
          const acc = (tools[i] ??= { type: 'function', function: { name: '', arguments: '' } });
          if (t.id) acc.id = t.id;
          if (t.function?.name) acc.function.name += t.function.name;
          if (t.function?.arguments) acc.function.arguments += t.function.arguments;
        }
      }
      if (typeof ch.finish_reason === 'string') finish = ch.finish_reason;
    },
  });
  parser.feed(text.endsWith('\n\n') ? text : text + '\n\n');
  const message: Record<string, unknown> = { role: 'assistant', content };
  const calls = tools.filter(Boolean);
  if (calls.length > 0) message.tool_calls = calls;
  const body: Record<string, unknown> = { ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }] };
  if (usage) body.usage = usage;
  return { body, ...(error ? { error } : {}), complete: finish !== null || done };
}
