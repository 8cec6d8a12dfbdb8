/** One chat-completion request over undici with byte-level timing: TTFB, TTFT, E2E and inter-token gaps. */
import type { Dispatcher } from 'undici';
import { Sse } from '../../core/bench/sse.js';
import { classifyStatus, classifyTransport, retryAfterMs, type ErrorClass } from '../../core/bench/classify.js';
import type { CallResult, Completion } from '../../core/chat.js';
import { DEFAULT_MAX_BYTES, receivedCall, untrustedFor } from './received.js';
import type { Untrusted } from '../../core/untrusted.js';

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
  /** The run's keys: everything the server sends is cleaned against them before it is returned. */
  untrusted?: Untrusted;
  /** Largest response body accepted (default DEFAULT_MAX_BYTES.chat); beyond it the call fails as too_large. */
  maxBytes?: number;
}

// Built once per (key, profile headers, stream) and reused: undici only reads them.
const headerCache = new Map<string, Map<Record<string, string> | undefined, [Record<string, string>, Record<string, string>]>>();
function requestHeaders(key: string | undefined, extra: Record<string, string> | undefined, stream: boolean): Record<string, string> {
  let byExtra = headerCache.get(key ?? '');
  if (!byExtra) headerCache.set(key ?? '', (byExtra = new Map()));
  let pair = byExtra.get(extra);
  if (!pair) {
    const make = (accept: string) => {
      const h: Record<string, string> = { 'content-type': 'application/json', accept, ...(extra ?? {}) };
      if (key) h.authorization = `Bearer ${key}`;
      return h;
    };
    pair = [make('application/json'), make('text/event-stream')];
    byExtra.set(extra, pair);
  }
  return pair[stream ? 1 : 0];
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
    const st: CallState = { res, t0: o.intendedAt ?? o.clock(), timedOut: false, ctype: '', bytes: 0, tooLarge: false, maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES.chat };
    let settled = false;
    const u = o.untrusted ?? untrustedFor(o.key);
    const fail = (cls: ErrorClass, msg: string): CallResult => {
      res.ok = false;
      res.errorClass = cls;
      res.errorMessage = msg;
      return res;
    };
    const finish = (f: () => CallResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onOuter);
      const r = f();
      if (r instanceof Error) reject(r);
      else resolve(receivedCall(r, u));
    };
    const abort = (why: Error) => (st.controller ? st.controller.abort(why) : undefined);
    const timer = setTimeout(() => {
      st.timedOut = true;
      abort(new Error('timeout'));
      // Not even connected yet: settle now rather than wait for the connect timeout.
      if (!st.controller) finish(() => fail('timeout', `no complete response within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const onOuter = () => {
      abort(new Error('interrupted'));
      finish(() => new Error('interrupted'));
    };
    if (o.signal?.aborted) return onOuter();
    o.signal?.addEventListener('abort', onOuter, { once: true });

    const headers = requestHeaders(o.key, o.headers, stream);
    const handler = responseHandler(o, st, finish, fail);
    try {
      const { origin, path } = target(o.baseURL);
      o.dispatcher.dispatch({ origin, path, method: 'POST', headers, body: JSON.stringify(o.body) }, handler);
    } catch (err) {
      finish(() => fail('connect_error', (err as Error).message));
    }
  });
}

/** What one sendChat call's timer and response callbacks share. */
interface CallState {
  res: CallResult;
  t0: number;
  controller?: Dispatcher.DispatchController;
  timedOut: boolean;
  sse?: Sse;
  chunks?: Buffer[];
  ctype: string;
  retryAfter?: string | string[];
  bytes: number;
  tooLarge: boolean;
  maxBytes: number;
}

type Fail = (c: ErrorClass, m: string) => CallResult;

/** The undici callbacks of one call: timing as bytes arrive, body capped at maxBytes, settled once through finish. */
function responseHandler(o: CallOptions, st: CallState, finish: (f: () => CallResult | Error) => void, fail: Fail): Dispatcher.DispatchHandler {
  const { res, t0 } = st;
  return {
    onRequestStart(c) {
      st.controller = c;
      if (st.timedOut) c.abort(new Error('timeout'));
    },
    onResponseStart(_c, statusCode, h) {
      res.ttfbMs = o.clock() - t0;
      res.status = statusCode;
      const rid = h['x-request-id'];
      res.requestId = Array.isArray(rid) ? rid[0] : rid;
      const ct = h['content-type'];
      st.ctype = (Array.isArray(ct) ? ct[0] : ct) ?? '';
      st.retryAfter = h['retry-after'];
      if (statusCode < 400 && res.stream && /event-stream/i.test(st.ctype)) st.sse = new Sse(res, t0);
      else st.chunks = [];
    },
    onResponseData(c, chunk) {
      st.bytes += chunk.length;
      if (st.bytes > st.maxBytes) {
        st.tooLarge = true;
        c.abort(new Error('too large'));
        return;
      }
      if (st.sse) st.sse.feed(chunk, o.clock());
      else st.chunks!.push(chunk);
    },
    onResponseEnd() {
      res.e2eMs = o.clock() - t0;
      finish(() => (st.sse ? st.sse.end(fail) : complete(res, Buffer.concat(st.chunks ?? []).toString('utf8'), st.ctype, st.retryAfter, o, fail)));
    },
    onResponseError(_c, err) {
      if (res.ttfbMs !== undefined) res.e2eMs = o.clock() - t0;
      if (st.tooLarge) return finish(() => fail('too_large', `the response passed ${st.maxBytes} bytes and was cut off (raise maxResponseBytes for ${o.baseURL} in holy.config.json if that is expected)`));
      if (o.signal?.aborted && !st.timedOut) return finish(() => err);
      // A broken stream that had already shown its problem is reported as that problem.
      if (st.sse?.problem && !st.timedOut) return finish(() => st.sse!.end(fail));
      finish(() => fail(classifyTransport(err, st.timedOut), st.timedOut ? `no complete response within ${o.timeoutMs} ms` : err.message || String(err)));
    },
  };
}

/** A buffered (non-streaming or error) response → the result. */
function complete(res: CallResult, text: string, ctype: string, retryAfter: string | string[] | undefined, o: CallOptions, fail: Fail): CallResult {
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
