/** Per-record parsing for the JSONL formats: format detection and validation of one line, with the reason when it is unusable. */
import type { ChatBody, RecordedResponse, TrafficFormat } from './types.js';
import { jsonTextDepth, MAX_DEPTH } from '../../core/untrusted.js';

/** A usable line, an endpoint to skip and count, or a problem. */
export type LineResult<T> = { ok: T } | { skip: string } | { problem: string };

/** The format a parsed JSON line belongs to, from its keys; undefined when it matches none. */
export function detectFormat(o: Record<string, unknown>): TrafficFormat | undefined {
  if (o.log && typeof o.log === 'object') return 'har';
  if ('custom_id' in o) {
    if ('body' in o || 'url' in o || 'method' in o) return 'batch-input';
    if ('response' in o || 'error' in o) return 'batch-output';
  }
  if (o.request && typeof o.request === 'object') return 'holy-results';
  if ('messages' in o) return 'chat-jsonl';
  return undefined;
}

/** Parse one line as a JSON object, or say why not. */
export function parseLine(text: string): { obj: Record<string, unknown> } | { problem: string } {
  // Counted on the text, before JSON.parse: a value this deep would overflow JSON.stringify later.
  const depth = jsonTextDepth(text);
  if (depth > MAX_DEPTH) return { problem: `nested ${depth} levels deep, more than the ${MAX_DEPTH} a chat request can need` };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { problem: `not valid JSON (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 80)})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: `not a JSON object (got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v})` };
  return { obj: v as Record<string, unknown> };
}

/** Check a chat-completion request body; `where` prefixes field names ("body." for Batch lines). */
export function checkBody(b: unknown, where = ''): { ok: ChatBody } | { problem: string } {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return { problem: `no request body object${where ? ` ("${where.slice(0, -1)}")` : ''}` };
  const o = b as Record<string, unknown>;
  if (o.model === undefined) return { problem: `no "${where}model"` };
  if (typeof o.model !== 'string' || o.model.trim() === '') return { problem: `"${where}model" must be a non-empty string` };
  if (o.messages === undefined) return { problem: `no "${where}messages"` };
  if (!Array.isArray(o.messages)) return { problem: `"${where}messages" must be an array` };
  if (o.messages.length === 0) return { problem: `"${where}messages" is empty` };
  const bad = o.messages.findIndex((m) => m === null || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string');
  if (bad >= 0) return { problem: `"${where}messages[${bad}]" has no "role"` };
  return { ok: o as ChatBody };
}

/** Whether a URL or path is the chat-completions endpoint (query and host ignored). */
export function isChatPath(url: string): boolean {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').split(/[?#]/)[0]!.replace(/\/+$/, '');
  return path.endsWith('/chat/completions');
}

/** The path of a URL for counting skipped endpoints ("/v1/embeddings"). */
export function endpointOf(url: string): string {
  return url.replace(/^[a-z]+:\/\/[^/]+/i, '').split(/[?#]/)[0] || '/';
}

/** An OpenAI Batch input line: POST /v1/chat/completions is replayed, other endpoints are skipped. */
export function batchInput(o: Record<string, unknown>): LineResult<{ id: string; body: ChatBody }> {
  if (typeof o.custom_id !== 'string' || o.custom_id === '') return { problem: 'no "custom_id"' };
  const url = typeof o.url === 'string' ? o.url : '';
  if (!url) return { problem: 'no "url"' };
  const method = typeof o.method === 'string' ? o.method.toUpperCase() : 'POST';
  if (!isChatPath(url)) return { skip: `${method} ${endpointOf(url)}` };
  if (method !== 'POST') return { problem: `unsupported method ${method} (Batch lines must be POST)` };
  const b = checkBody(o.body, 'body.');
  return 'ok' in b ? { ok: { id: o.custom_id, body: b.ok } } : b;
}

/** An OpenAI Batch output line → the recorded response for its custom_id. */
export function batchOutput(o: Record<string, unknown>): LineResult<{ id: string; recorded: RecordedResponse }> {
  if (typeof o.custom_id !== 'string' || o.custom_id === '') return { problem: 'no "custom_id"' };
  const res = o.response as { status_code?: unknown; body?: unknown } | null | undefined;
  const err = o.error as { code?: unknown; message?: unknown } | null | undefined;
  if ((res === null || res === undefined) && (err === null || err === undefined)) return { problem: 'neither "response" nor "error"' };
  const status = typeof res?.status_code === 'number' ? res.status_code : 0;
  const recorded: RecordedResponse = { status };
  if (res && res.body !== undefined) recorded.body = res.body;
  const bodyErr = (res?.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const e = err ?? bodyErr;
  if (e && typeof e === 'object') recorded.error = { ...(typeof e.code === 'string' ? { code: e.code } : {}), message: typeof e.message === 'string' ? e.message : 'error' };
  return { ok: { id: o.custom_id, recorded } };
}

/** Which side of a holy results line this is: "old", "new", or undefined when the line does not say. */
function sideOf(o: Record<string, unknown>): 'old' | 'new' | undefined {
  for (const k of ['side', 'role', 'provider']) {
    const v = o[k];
    if (v === 'old' || v === 'new') return v;
  }
  return undefined;
}

function num(...vs: unknown[]): number | undefined {
  for (const v of vs) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/** Epoch ms from a number (ms) or an ISO date string. */
export function epochMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** A holy results line (`--out`, see src/core/bench/record.ts): the request, and this side's response as a RecordedResponse. */
export function holyResult(o: Record<string, unknown>): LineResult<{ id?: string; side?: 'old' | 'new'; body: ChatBody; recorded?: RecordedResponse; at?: number }> {
  // Embeddings lines are replayed by bench's embeddings pass (adapters/traffic/embeddings.ts), not as chat.
  if (o.endpoint === 'embeddings') return { skip: sideOf(o) === 'new' ? 'POST /v1/embeddings (new side)' : 'POST /v1/embeddings' };
  const b = checkBody(o.request, 'request.');
  if ('problem' in b) return b;
  // The request was written as sent (the new side's model mapped); `model` keeps the recorded one.
  const body = typeof o.model === 'string' && o.model !== '' ? ({ ...b.ok, model: o.model } as ChatBody) : b.ok;
  const id = typeof o.id === 'string' ? o.id : typeof o.id === 'number' ? String(o.id) : undefined;
  const at = epochMs(o.startedAt);
  const side = sideOf(o);
  // "response": null is a request without a recorded answer (traffic sample writes them so): no baseline.
  if (o.response === null && !o.status) return { ok: { ...(id !== undefined ? { id } : {}), ...(side ? { side } : {}), body, ...(at !== undefined ? { at } : {}) } };
  return { ok: { ...(id !== undefined ? { id } : {}), ...(side ? { side } : {}), body, recorded: holyRecorded(o), ...(at !== undefined ? { at } : {}) } };
}

/** This side's response of a holy results line (chat or embeddings) as a RecordedResponse. */
export function holyRecorded(o: Record<string, unknown>): RecordedResponse {
  const t = (o.timings && typeof o.timings === 'object' ? o.timings : {}) as Record<string, unknown>;
  // `response` is holy's envelope {status, body, error}; a bare completion is accepted too.
  const res = (o.response && typeof o.response === 'object' ? o.response : undefined) as Record<string, unknown> | undefined;
  const envelope = res !== undefined && 'status' in res && ('body' in res || 'error' in res);
  const recorded: RecordedResponse = { status: num(envelope ? res.status : undefined, o.status) ?? 0 };
  const resBody = envelope ? res.body : res;
  if (resBody !== undefined && resBody !== null) recorded.body = resBody;
  const e = (envelope ? res.error : undefined) ?? o.error;
  if (typeof e === 'string') recorded.error = { message: e };
  else if (e && typeof e === 'object') {
    const x = e as { code?: unknown; message?: unknown };
    const code = typeof x.code === 'string' ? x.code : undefined;
    recorded.error = { ...(code ? { code } : {}), message: typeof x.message === 'string' ? x.message : code ?? 'error' };
  }
  const ttft = num(t.ttftMs, o.ttftMs);
  const e2e = num(t.e2eMs, o.e2eMs);
  if (ttft !== undefined) recorded.ttftMs = ttft;
  if (e2e !== undefined) recorded.e2eMs = e2e;
  if (o.simulated === true) recorded.simulated = true;
  return recorded;
}
