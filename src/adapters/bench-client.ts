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

const origins = new Map<string, { origin: string; path: string }>();
/** Origin and path of …/chat/completions for a base URL (parsed once per base). */
function target(baseURL: string): { origin: string; path: string } {
  let t = origins.get(baseURL);
  if (!t) {
    const u = new URL(baseURL.replace(/\/+$/, '') + '/chat/completions');
    t = { origin: u.origin, path: u.pathname + u.search };
    origins.set(baseURL, t);
  }
  return t;
}

/**
 * Send one request and measure it. Never rejects for HTTP or transport failures (they come back
 * classified); rejects only when the run's signal aborts it (Ctrl-C). Uses undici's dispatch()
 * handler API rather than request(): callbacks fire as bytes arrive (exact timing) and no
 * stream or promise is built per response, which halves the client's CPU per request.
 */
export function sendChat(o: CallOptions): Promise<CallResult> {
  return new Promise<CallResult>((resolve, reject) => {
    const stream = o.body.stream === true;
    const res: CallResult = { ok: false, status: 0, stream, itl: [], usageSeen: false };
    const t0 = o.intendedAt ?? o.clock();
    let controller: Dispatcher.DispatchController | undefined;
    let timedOut = false;
    let settled = false;
    let sse: Sse | undefined;
    let chunks: Buffer[] | undefined;
    let ctype = '';
    let retryAfter: string | string[] | undefined;
    const fail = (cls: ErrorClass, msg: string): CallResult => {
      res.ok = false;
      res.errorClass = cls;
      res.errorMessage = redact(msg, [o.key]).slice(0, 500);
      return res;
    };
    const finish = (f: () => CallResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onOuter);
      const r = f();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const abort = (why: Error) => (controller ? controller.abort(why) : undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      abort(new Error('timeout'));
      // Not even connected yet: settle now rather than wait for the connect timeout.
      if (!controller) finish(() => fail('timeout', `no complete response within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const onOuter = () => {
      abort(new Error('interrupted'));
      finish(() => new Error('interrupted'));
    };
    if (o.signal?.aborted) return onOuter();
    o.signal?.addEventListener('abort', onOuter, { once: true });

    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...(o.headers ?? {}) };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (timedOut) c.abort(new Error('timeout'));
      },
      onResponseStart(_c, statusCode, h) {
        res.ttfbMs = o.clock() - t0;
        res.status = statusCode;
        const rid = h['x-request-id'];
        res.requestId = Array.isArray(rid) ? rid[0] : rid;
        const ct = h['content-type'];
        ctype = (Array.isArray(ct) ? ct[0] : ct) ?? '';
        retryAfter = h['retry-after'];
        if (statusCode < 400 && stream && /event-stream/i.test(ctype)) sse = new Sse(res, t0);
        else chunks = [];
      },
      onResponseData(_c, chunk) {
        if (sse) sse.feed(chunk, o.clock());
        else chunks!.push(chunk);
      },
      onResponseEnd() {
        res.e2eMs = o.clock() - t0;
        finish(() => (sse ? sse.end(fail) : complete(res, Buffer.concat(chunks ?? []).toString('utf8'), ctype, retryAfter, o, fail)));
      },
      onResponseError(_c, err) {
        if (res.ttfbMs !== undefined) res.e2eMs = o.clock() - t0;
        if (o.signal?.aborted && !timedOut) return finish(() => err);
        // A broken stream that had already shown its problem is reported as that problem.
        if (sse?.problem && !timedOut) return finish(() => sse!.end(fail));
        finish(() => fail(classifyTransport(err, timedOut), timedOut ? `no complete response within ${o.timeoutMs} ms` : err.message || String(err)));
      },
    };
    try {
      const { origin, path } = target(o.baseURL);
      o.dispatcher.dispatch({ origin, path, method: 'POST', headers, body: JSON.stringify(o.body) }, handler);
    } catch (err) {
      finish(() => fail('connect_error', (err as Error).message));
    }
  });
}

/** A buffered (non-streaming or error) response → the result. */
function complete(res: CallResult, text: string, ctype: string, retryAfter: string | string[] | undefined, o: CallOptions, fail: (c: ErrorClass, m: string) => CallResult): CallResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status >= 400) {
    res.retryAfterMs = retryAfterMs(retryAfter, o.now());
    const msg = (json as { error?: { message?: string } } | undefined)?.error?.message ?? (/html/i.test(ctype) ? 'an HTML page instead of JSON' : text.slice(0, 200));
    return fail(classifyStatus(res.status, json), `HTTP ${res.status}: ${msg}`);
  }
  if (!json || typeof json !== 'object' || !Array.isArray((json as Completion).choices)) {
    return fail('malformed_response', `HTTP ${res.status} but the body is not a chat.completion (${/html/i.test(ctype) ? 'HTML page' : ctype || 'no content-type'})`);
  }
  const c = json as Completion;
  res.completion = c;
  res.usage = c.usage;
  res.responseModel = c.model;
  res.ok = true;
  return res;
}

/** Server-sent events → timings and the reassembled completion. */
class Sse {
  private content = '';
  private reasoning = '';
  private readonly tools: Array<{ id?: string; name: string; arguments: string }> = [];
  private finish: string | null = null;
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
    const d = choice.delta ?? {};
    let carries = false;
    if (typeof d.content === 'string' && d.content.length > 0) {
      this.content += d.content;
      carries = true;
    }
    const r = d.reasoning_content ?? d.reasoning;
    if (typeof r === 'string' && r.length > 0) {
      this.reasoning += r;
      carries = true;
    }
    if (Array.isArray(d.tool_calls)) {
      for (const tc of d.tool_calls) {
        const i = typeof tc.index === 'number' ? tc.index : this.tools.length;
        const t = (this.tools[i] ??= { name: '', arguments: '' });
        if (tc.id) t.id = tc.id;
        if (tc.function?.name) t.name += tc.function.name;
        if (tc.function?.arguments) t.arguments += tc.function.arguments;
        carries = true;
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    if (carries) {
      // A role-only first chunk does not count: TTFT waits for real output.
      if (this.lastContentAt === undefined) res.ttftMs = this.now - this.t0;
      else res.itl.push(this.now - this.lastContentAt);
      this.lastContentAt = this.now;
    }
  }

  end(fail: (c: ErrorClass, m: string) => CallResult): CallResult {
    const res = this.res;
    const tools = this.tools;
    res.completion = {
      ...(this.id ? { id: this.id } : {}),
      object: 'chat.completion',
      ...(res.responseModel ? { model: res.responseModel } : {}),
      choices: [{ index: 0, message: { role: 'assistant', content: tools.length && !this.content ? null : this.content, ...(tools.length ? { tool_calls: tools.map((t) => ({ ...(t.id ? { id: t.id } : {}), type: 'function' as const, function: { name: t.name, arguments: t.arguments } })) } : {}), ...(this.reasoning ? { reasoning_content: this.reasoning } : {}) }, finish_reason: this.finish }],
      ...(res.usage ? { usage: res.usage } : {}),
    };
    if (this.problem) return fail(this.problem.cls, this.problem.msg);
    if (!this.done && !this.finish) return fail('truncated_stream', 'the stream ended without a finish_reason or [DONE]');
    res.ok = true;
    return res;
  }
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
