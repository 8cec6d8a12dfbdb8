/** One chat-completion request over undici with byte-level timing: TTFB, TTFT, E2E and inter-token gaps. */
import { request, type Dispatcher } from 'undici';
import { createParser } from 'eventsource-parser';
import { classifyStatus, classifyTransport, retryAfterMs, type ErrorClass } from '../core/bench/classify.js';
import { redact } from '../core/redact.js';

export interface CallOptions {
  dispatcher: Dispatcher;
  baseURL: string;
  /** Cleaned key; never echoed anywhere (error texts are redacted with it). */
  key?: string;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Monotonic clock in ms (Ctx.clock). */
  clock(): number;
  /** Wall clock, for Retry-After dates. */
  now(): number;
  /** Intended send time on `clock` (open loop): latency counts from here, not from when we got round to it. */
  intendedAt?: number;
}

export interface ToolCallView {
  name: string;
  arguments: string;
}

export interface CallResult {
  ok: boolean;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  errorClass?: ErrorClass;
  errorMessage?: string;
  stream: boolean;
  ttfbMs?: number;
  /** Streaming only: first chunk with content, a tool-call delta or reasoning text. */
  ttftMs?: number;
  e2eMs?: number;
  /** Gaps between consecutive content chunks (ms). */
  itl: number[];
  /** The response as a chat.completion object (reassembled from the stream when streaming). */
  completion?: Completion;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  /** Streaming: whether a usage chunk arrived (we always ask for one). */
  usageSeen: boolean;
  responseModel?: string;
  retryAfterMs?: number;
  requestId?: string;
}

export interface Completion {
  id?: string;
  object: 'chat.completion';
  model?: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; tool_calls?: Array<{ id?: string; type: 'function'; function: { name: string; arguments: string } }>; reasoning_content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Send one request and measure it. Never throws for HTTP or transport failures: they come back classified. */
export async function sendChat(o: CallOptions): Promise<CallResult> {
  const stream = o.body.stream === true;
  const url = o.baseURL.replace(/\/+$/, '') + '/chat/completions';
  // One controller per request, fed by the timer and the run's signal. (AbortSignal.any would keep a
  // dependent per request on the long-lived run signal: measurable CPU and memory at 100k requests.)
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new Error('timeout'));
  }, o.timeoutMs);
  const onOuter = () => ac.abort(o.signal!.reason);
  if (o.signal?.aborted) onOuter();
  else o.signal?.addEventListener('abort', onOuter, { once: true });
  const signal = ac.signal;
  const t0 = o.intendedAt ?? o.clock();
  const res: CallResult = { ok: false, status: 0, stream, itl: [], usageSeen: false };
  const fail = (cls: ErrorClass, msg: string): CallResult => {
    res.ok = false;
    res.errorClass = cls;
    res.errorMessage = redact(msg, [o.key]).slice(0, 500);
    return res;
  };
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...(o.headers ?? {}) };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    const r = await request(url, { method: 'POST', headers, body: JSON.stringify(o.body), dispatcher: o.dispatcher, signal });
    res.ttfbMs = o.clock() - t0;
    res.status = r.statusCode;
    res.requestId = header(r.headers, 'x-request-id');
    const ctype = header(r.headers, 'content-type') ?? '';
    if (r.statusCode >= 400 || !stream || !/event-stream/i.test(ctype)) {
      const text = await r.body.text();
      res.e2eMs = o.clock() - t0;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (r.statusCode >= 400) {
        res.retryAfterMs = retryAfterMs(r.headers['retry-after'], o.now());
        const msg = (json as { error?: { message?: string } } | undefined)?.error?.message ?? (/html/i.test(ctype) ? 'an HTML page instead of JSON' : text.slice(0, 200));
        return fail(classifyStatus(r.statusCode, json), `HTTP ${r.statusCode}: ${msg}`);
      }
      if (!json || typeof json !== 'object' || !Array.isArray((json as Completion).choices)) {
        return fail('malformed_response', `HTTP ${r.statusCode} but the body is not a chat.completion (${/html/i.test(ctype) ? 'HTML page' : ctype || 'no content-type'})`);
      }
      const c = json as Completion;
      res.completion = c;
      res.usage = c.usage;
      res.responseModel = c.model;
      res.ok = true;
      return res;
    }
    return await readStream(r.body, res, o, t0, fail);
  } catch (err) {
    if (res.e2eMs === undefined && res.ttfbMs !== undefined) res.e2eMs = o.clock() - t0;
    if (o.signal?.aborted && !timedOut) throw err;
    return fail(classifyTransport(err, timedOut), timedOut ? `no complete response within ${o.timeoutMs} ms` : (err as Error).message ?? String(err));
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuter);
  }
}

async function readStream(body: AsyncIterable<Buffer>, res: CallResult, o: CallOptions, t0: number, fail: (c: ErrorClass, m: string) => CallResult): Promise<CallResult> {
  let content = '';
  let reasoning = '';
  const tools: Array<{ id?: string; name: string; arguments: string }> = [];
  let finish: string | null = null;
  let done = false;
  let problem: { cls: ErrorClass; msg: string } | undefined;
  let lastContentAt: number | undefined;
  let id: string | undefined;
  let now = 0;
  const parser = createParser({
    onEvent(ev) {
      if (problem || done) return;
      if (ev.data === '[DONE]') {
        done = true;
        return;
      }
      let j: Record<string, any>;
      try {
        j = JSON.parse(ev.data);
      } catch {
        problem = { cls: 'malformed_stream', msg: `a data: line is not JSON: ${ev.data.slice(0, 80)}` };
        return;
      }
      if (j.error) {
        problem = { cls: 'in_stream_error', msg: `error event in the stream: ${String(j.error.message ?? JSON.stringify(j.error)).slice(0, 200)}` };
        return;
      }
      id ??= j.id;
      if (j.model) res.responseModel = j.model;
      if (j.usage) {
        res.usage = j.usage;
        res.usageSeen = true;
      }
      const choice = Array.isArray(j.choices) ? j.choices[0] : undefined;
      if (!choice) return;
      const d = choice.delta ?? {};
      let carries = false;
      if (typeof d.content === 'string' && d.content.length > 0) {
        content += d.content;
        carries = true;
      }
      const r = d.reasoning_content ?? d.reasoning;
      if (typeof r === 'string' && r.length > 0) {
        reasoning += r;
        carries = true;
      }
      if (Array.isArray(d.tool_calls)) {
        for (const tc of d.tool_calls) {
          const i = typeof tc.index === 'number' ? tc.index : tools.length;
          tools[i] ??= { name: '', arguments: '' };
          if (tc.id) tools[i]!.id = tc.id;
          if (tc.function?.name) tools[i]!.name += tc.function.name;
          if (tc.function?.arguments) tools[i]!.arguments += tc.function.arguments;
          carries = true;
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      if (carries) {
        // A role-only first chunk does not count: TTFT waits for real output.
        if (lastContentAt === undefined) res.ttftMs = now - t0;
        else res.itl.push(now - lastContentAt);
        lastContentAt = now;
      }
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      now = o.clock();
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  } catch (err) {
    res.e2eMs = o.clock() - t0;
    if (o.signal?.aborted) throw err;
    if (!problem) throw err;
  }
  res.e2eMs ??= o.clock() - t0;
  res.completion = {
    ...(id ? { id } : {}),
    object: 'chat.completion',
    ...(res.responseModel ? { model: res.responseModel } : {}),
    choices: [{ index: 0, message: { role: 'assistant', content: tools.length && !content ? null : content, ...(tools.length ? { tool_calls: tools.map((t) => ({ ...(t.id ? { id: t.id } : {}), type: 'function' as const, function: { name: t.name, arguments: t.arguments } })) } : {}), ...(reasoning ? { reasoning_content: reasoning } : {}) }, finish_reason: finish }],
    ...(res.usage ? { usage: res.usage } : {}),
  };
  if (problem) return fail(problem.cls, problem.msg);
  if (!done && !finish) return fail('truncated_stream', 'the stream ended without a finish_reason or [DONE]');
  res.ok = true;
  return res;
}

/** GET /models ids, to decide the built-in model mapping; undefined when the list cannot be had. */
export async function listModels(o: { dispatcher: Dispatcher; baseURL: string; key?: string; headers?: Record<string, string>; timeoutMs: number }): Promise<Set<string> | undefined> {
  try {
    const headers: Record<string, string> = { accept: 'application/json', ...(o.headers ?? {}) };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    const r = await request(o.baseURL.replace(/\/+$/, '') + '/models', { method: 'GET', headers, dispatcher: o.dispatcher, signal: AbortSignal.timeout(o.timeoutMs) });
    const text = await r.body.text();
    if (r.statusCode >= 400) return undefined;
    const data = (JSON.parse(text) as { data?: Array<{ id?: unknown }> }).data;
    return Array.isArray(data) ? new Set(data.map((d) => String(d.id))) : undefined;
  } catch {
    return undefined;
  }
}
