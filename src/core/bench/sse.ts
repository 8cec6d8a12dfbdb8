/** SSE chat-completion stream → TTFT/ITL timings and the reassembled completion. Pure: the caller supplies bytes and times. */
import { createParser } from 'eventsource-parser';
import type { ErrorClass } from './classify.js';
import { carriesOutput, type CallResult } from '../chat.js';

/** A streamed tool call as it builds up (its deltas carry the index, and pieces of name and arguments). */
interface ToolAcc {
  id?: string;
  name: string;
  arguments: string;
}

/**
 * The message chat-completion chunks add up to: content, reasoning, tool calls (joined by index)
 * and finish_reason. Shared by the live client and the HAR reader, so both rebuild a stream alike.
 */
export class DeltaAccumulator {
  /** null until a chunk carries a content string. */
  content: string | null = null;
  reasoning = '';
  private readonly tools: ToolAcc[] = [];
  finish: string | null = null;

  /** Add one chunk's first choice; true when it carried output (content, reasoning text or a tool-call delta). */
  add(choice: { delta?: Record<string, any>; finish_reason?: unknown }): boolean {
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string') this.content = (this.content ?? '') + delta.content;
    const r = delta.reasoning_content ?? delta.reasoning;
    if (typeof r === 'string') this.reasoning += r;
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        const i = typeof tc?.index === 'number' ? tc.index : this.tools.length;
        const t = (this.tools[i] ??= { name: '', arguments: '' });
        if (tc?.id) t.id = tc.id;
        if (tc?.function?.name) t.name += tc.function.name;
        if (tc?.function?.arguments) t.arguments += tc.function.arguments;
      }
    }
    const carries = carriesOutput(delta);
    if (typeof choice.finish_reason === 'string' && choice.finish_reason) this.finish = choice.finish_reason;
    return carries;
  }

  /** The tool calls in index order (an index no delta used leaves no gap). */
  toolCalls(): Array<{ id?: string; type: 'function'; function: { name: string; arguments: string } }> {
    return this.tools.filter(Boolean).map((t) => ({ ...(t.id ? { id: t.id } : {}), type: 'function' as const, function: { name: t.name, arguments: t.arguments } }));
  }
}

/** Server-sent events → timings and the reassembled completion (fills `res` as chunks arrive). */
export class Sse {
  private readonly msg = new DeltaAccumulator();
  private done = false;
  problem: { cls: ErrorClass; msg: string } | undefined;
  private lastContentAt: number | undefined;
  private id: string | undefined;
  private now = 0;
  private readonly decoder = new TextDecoder();
  private readonly parser = createParser({ onEvent: (ev) => this.onEvent(ev.data) });
  constructor(private readonly res: CallResult, private readonly t0: number) {}

  feed(chunk: Buffer, now: number): void {
    this.now = now;
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  private onEvent(data: string): void {
    if (this.problem || this.done) return;
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let j: Record<string, any>;
    try {
      j = JSON.parse(data);
    } catch {
      this.problem = { cls: 'malformed_stream', msg: `a data: line is not JSON: ${data.slice(0, 80)}` };
      return;
    }
    if (j.error) {
      this.problem = { cls: 'in_stream_error', msg: `error event in the stream: ${String(j.error.message ?? JSON.stringify(j.error)).slice(0, 200)}` };
      return;
    }
    const res = this.res;
    this.id ??= j.id;
    if (j.model) res.responseModel = j.model;
    if (j.usage) {
      res.usage = j.usage;
      res.usageSeen = true;
    }
    const choice = Array.isArray(j.choices) ? j.choices[0] : undefined;
    if (!choice) return;
    const carries = this.msg.add(choice);
    if (carries) {
      // A role-only first chunk does not count: TTFT waits for real output.
      if (this.lastContentAt === undefined) res.ttftMs = this.now - this.t0;
      else res.itl.push(this.now - this.lastContentAt);
      this.lastContentAt = this.now;
    }
  }

  end(fail: (c: ErrorClass, m: string) => CallResult): CallResult {
    const res = this.res;
    const { content, reasoning, finish } = this.msg;
    const tools = this.msg.toolCalls();
    res.completion = {
      ...(this.id ? { id: this.id } : {}),
      object: 'chat.completion',
      ...(res.responseModel ? { model: res.responseModel } : {}),
      choices: [{ index: 0, message: { role: 'assistant', content: tools.length && !content ? null : (content ?? ''), ...(tools.length ? { tool_calls: tools } : {}), ...(reasoning ? { reasoning_content: reasoning } : {}) }, finish_reason: finish }],
      ...(res.usage ? { usage: res.usage } : {}),
    };
    if (this.problem) return fail(this.problem.cls, this.problem.msg);
    if (!this.done && !finish) return fail('truncated_stream', 'the stream ended without a finish_reason or [DONE]');
    res.ok = true;
    return res;
  }
}
