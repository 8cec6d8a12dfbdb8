/**
 * The probes made through the openai SDK, the client the user's app runs: GET /models (verify,
 * models, bench's model mapping) and verify's 1-token chat. Timed measurements go through wire.ts.
 */
import type OpenAI from 'openai';
import type { Dispatcher } from 'undici';
import type { Ctx } from '../../context.js';
import type { HttpSetup } from '../http.js';
import { timedDispatcher, type WireTimes } from '../wire-times.js';
import { carriesOutput } from '../../core/chat.js';
import type { Observation } from '../../core/verify/classify.js';
import type { Untrusted } from '../../core/untrusted.js';
import { DEFAULT_MAX_BYTES, KEEP, received, untrustedFor } from './received.js';

export interface ClientSpec {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
  headers: Record<string, string>;
  /** Cap on one response body (default: a completion's, DEFAULT_MAX_BYTES.chat; listings pass the /models cap). */
  maxBytes?: number;
  /** Note dispatch and byte-arrival times here (chatProbe's TTFT, on bench's definition and clock). */
  wire?: { clock: () => number; times: WireTimes };
}

/** A model as listed by GET /models. */
export interface ListedModel {
  id: string;
  owner?: string;
  /** Unix seconds, when the provider gives it. */
  created?: number;
}

/** A probe's answer: the value and its time, or what went wrong. */
export type ProbeResult<T> = { ok: true; ms: number; value: T; requestId?: string; headers?: Record<string, string> } | { ok: false; ms: number; obs: Observation };

/**
 * Load the SDK on first use. bin/holy.js runs the esbuild bundle, where this import is one chunk
 * instead of ~230 module files (bench/startup.ts measures verify end to end).
 * openai/client is the client alone: the package index adds Azure, Bedrock and upload helpers verify never uses.
 */
export function loadSdk(): Promise<typeof import('openai/client')> {
  return import('openai/client');
}

/**
 * Node's built-in fetch types its dispatcher with the undici-types copy of undici bundled with Node,
 * a different version from the undici holy depends on; the objects work together at run time (the
 * verify and models suites go through it), so this is the one place the two types meet.
 */
function forBuiltinFetch(d: Dispatcher): RequestInit['dispatcher'] {
  return d as unknown as RequestInit['dispatcher'];
}

/** An openai client that never retries, goes through holy's dispatcher, and ignores OPENAI_* env defaults. */
export async function makeClient(http: HttpSetup, s: ClientSpec): Promise<OpenAI> {
  const { OpenAI: OpenAIClass } = await loadSdk();
  return new OpenAIClass({
    apiKey: s.apiKey,
    baseURL: s.baseURL,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: s.timeoutMs,
    defaultHeaders: s.headers,
    logLevel: 'off',
    // The SDK's default fetch (Node's built-in) with holy's dispatcher: the SDK builds its headers with
    // the built-in Headers anyway, so loading undici's own fetch as well would only add startup time.
    fetchOptions: { dispatcher: forBuiltinFetch(s.wire ? timedDispatcher(http.dispatcher, s.wire.clock, s.wire.times) : http.dispatcher) },
    fetch: cappedFetch(s.maxBytes ?? DEFAULT_MAX_BYTES.chat),
  });
}

/**
 * Node's built-in fetch (the SDK's own default) with the response body cut off past `max` bytes:
 * an endless body fails with code HOLY_TOO_LARGE instead of filling memory.
 */
function cappedFetch(max: number): typeof fetch {
  return async (input, init) => {
    const res = await globalThis.fetch(input, init);
    if (!res.body) return res;
    let n = 0;
    const cap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        n += chunk.byteLength;
        if (n > max) c.error(Object.assign(new Error(`the response passed ${max} bytes and was cut off`), { code: 'HOLY_TOO_LARGE' }));
        else c.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(cap), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

function headerRecord(h: unknown): Record<string, string> {
  const outH: Record<string, string> = {};
  if (h && typeof (h as Headers).forEach === 'function') (h as Headers).forEach((v, k) => (outH[k.toLowerCase()] = v));
  else if (h && typeof h === 'object') for (const [k, v] of Object.entries(h as Record<string, string>)) outH[k.toLowerCase()] = String(v);
  return outH;
}

/** The innermost error code in a cause chain (undici wraps ECONNREFUSED in "fetch failed"). */
function rootCause(e: unknown): { code?: string; message: string } {
  let cur: unknown = e;
  let best: { code?: string; message: string } = { message: (e as Error)?.message ?? String(e) };
  for (let i = 0; cur && i < 6; i++) {
    const c = cur as { code?: unknown; message?: string; cause?: unknown };
    if (typeof c.code === 'string') best = { code: c.code, message: c.message ?? best.message };
    else if (c.message && !best.code && c.message !== 'fetch failed' && !/^Connection error/.test(c.message)) best = { message: c.message };
    cur = c.cause;
  }
  return best;
}

/** Reduce whatever the SDK threw to an Observation, cleaned as untrusted text (keys redacted, controls stripped). */
export function observe(e: unknown, timeoutMs: number, u: Untrusted): Observation {
  const err = e as { name?: string; status?: number; headers?: unknown; error?: Record<string, unknown>; code?: string; type?: string; message?: string };
  if (err?.name === 'APIConnectionTimeoutError' || /timed? ?out/i.test(err?.message ?? '') && !err?.status) {
    const rc = rootCause(e);
    if (!rc.code || /TIMEOUT/.test(rc.code)) return { kind: 'timeout', ms: timeoutMs };
  }
  if (typeof err?.status === 'number' && err.headers) {
    const headers = u.headers(headerRecord(err.headers));
    const body = err.error && typeof err.error === 'object' ? JSON.stringify(err.error) : (err.message ?? '').replace(/^\d{3} /, '');
    const msg = typeof err.error?.message === 'string' ? (err.error.message as string) : /^\s*</.test(body) ? undefined : body;
    return {
      kind: 'http',
      status: err.status,
      contentType: headers['content-type'],
      body: received(body, u, KEEP.body),
      errorCode: typeof err.code === 'string' ? u.line(err.code, 100) : undefined,
      errorType: typeof err.type === 'string' ? u.line(err.type, 100) : undefined,
      errorMessage: msg ? received(msg, u, KEEP.message) : undefined,
      headers,
      requestId: headers['x-request-id'],
    };
  }
  const rc = rootCause(e);
  return { kind: 'network', ...(rc.code ? { code: u.line(rc.code, 100) } : {}), message: received(rc.message, u, KEEP.message) };
}

/** GET /models: the listing, or what went wrong. ms is the time to the response headers. */
export async function listModels(ctx: Ctx, client: OpenAI, timeoutMs: number, u: Untrusted): Promise<ProbeResult<ListedModel[]>> {
  const t0 = ctx.clock();
  let res: Response;
  try {
    res = await client.models.list({ timeout: timeoutMs, signal: ctx.signal }).asResponse();
  } catch (e) {
    return { ok: false, ms: ctx.clock() - t0, obs: observe(e, timeoutMs, u) };
  }
  const ms = ctx.clock() - t0;
  const headers = u.headers(headerRecord(res.headers));
  const requestId = headers['x-request-id'];
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    return { ok: false, ms, obs: observe(e, timeoutMs, u) };
  }
  const notJson: Observation = { kind: 'http', status: res.status, contentType: headers['content-type'], body: received(text, u, KEEP.body), headers, requestId };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, ms, obs: notJson };
  }
  const data = (doc as { data?: unknown })?.data;
  if (!Array.isArray(data)) return { ok: false, ms, obs: { ...notJson, contentType: headers['content-type'] ?? 'application/json' } };
  const models: ListedModel[] = data
    .filter((m): m is Record<string, unknown> => !!m && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string')
    .map((m) => ({ id: u.line(m.id as string, 200), ...(typeof m.owned_by === 'string' ? { owner: u.line(m.owned_by, 200) } : {}), ...(typeof m.created === 'number' && Number.isFinite(m.created) ? { created: m.created } : {}) }));
  return { ok: true, ms, value: models, headers, ...(requestId ? { requestId } : {}) };
}

export interface ChatProbe {
  /**
   * Dispatch → arrival of the bytes carrying the first chunk with content, a tool-call delta or
   * reasoning text: bench's TTFT (same rule, same clock) when the client was made with `wire`;
   * otherwise from the SDK call to the SDK yielding that chunk (a few ms of SDK work more).
   */
  ttftMs?: number;
  totalMs: number;
  servedModel?: string;
}

const PROBE = { messages: [{ role: 'user' as const, content: 'Reply with OK.' }], stream: true as const };

/** A 1-token streamed chat completion proving access to `model`. */
export async function chatProbe(ctx: Ctx, client: OpenAI, model: string, timeoutMs: number, u: Untrusted, wire?: WireTimes): Promise<ProbeResult<ChatProbe>> {
  const t0 = ctx.clock();
  const attempt = async (limit: 'max_tokens' | 'max_completion_tokens'): Promise<ProbeResult<ChatProbe>> => {
    const { data: stream, response } = await client.chat.completions
      .create(limit === 'max_tokens' ? { model, ...PROBE, max_tokens: 1 } : { model, ...PROBE, max_completion_tokens: 1 }, { timeout: timeoutMs, signal: ctx.signal })
      .withResponse();
    let ttftMs: number | undefined;
    let servedModel: string | undefined;
    for await (const chunk of stream) {
      if (servedModel === undefined && chunk.model !== undefined) servedModel = u.line(String(chunk.model), 200);
      // The delta as sent: relays add reasoning fields the SDK's types do not name.
      if (ttftMs === undefined && carriesOutput(chunk.choices?.[0]?.delta as Record<string, unknown> | undefined)) {
        // bench's clock: dispatch → arrival of the bytes carrying the chunk (not the SDK's own work before and after).
        ttftMs = wire && Number.isFinite(wire.lastByteAt) && wire.sentAt >= t0 ? wire.lastByteAt - wire.sentAt : ctx.clock() - t0;
      }
    }
    const rid = response.headers.get('x-request-id');
    const requestId = rid === null ? undefined : u.line(rid, 200);
    return { ok: true, ms: ctx.clock() - t0, value: { ttftMs, totalMs: ctx.clock() - t0, servedModel }, ...(requestId ? { requestId } : {}) };
  };
  try {
    return await attempt('max_tokens');
  } catch (e) {
    const err = e as { status?: number; param?: string; message?: string };
    // Reasoning models refuse max_tokens; one retry with its successor is not a retry of a failure mode.
    if (err.status === 400 && (err.param === 'max_tokens' || /max_completion_tokens/.test(err.message ?? ''))) {
      try {
        return await attempt('max_completion_tokens');
      } catch (e2) {
        return { ok: false, ms: ctx.clock() - t0, obs: observe(e2, timeoutMs, u) };
      }
    }
    return { ok: false, ms: ctx.clock() - t0, obs: observe(e, timeoutMs, u) };
  }
}

/** What GET /models told bench: the ids (or why there are none), and whether holy mock answered. */
export interface ModelList {
  ids?: Set<string>;
  /** Why there is no list, e.g. "HTTP 401", "timed out", "ECONNREFUSED". */
  problem?: string;
  /** holy mock puts an x-holy-mock header on every answer, errors included. */
  simulated: boolean;
}

/** GET /models for bench: a best effort that never throws (the mapping, an up-front warning, SIMULATED). */
export async function listForBench(ctx: Ctx, http: HttpSetup, s: ClientSpec, u: Untrusted): Promise<ModelList> {
  try {
    const r = await listModels(ctx, await makeClient(http, s), s.timeoutMs, u);
    if (r.ok) return { ids: new Set(r.value.map((m) => m.id)), simulated: r.headers?.['x-holy-mock'] !== undefined };
    const o = r.obs;
    const problem = o.kind === 'http' ? `HTTP ${o.status}` : o.kind === 'timeout' ? `no answer within ${o.ms} ms` : (o.code ?? o.message);
    return { problem: u.line(String(problem), 200), simulated: o.kind === 'http' && o.headers?.['x-holy-mock'] !== undefined };
  } catch (e) {
    return { problem: u.line(String((e as Error).message ?? 'failed'), 200), simulated: false };
  }
}
